"""Timeliness against the guidelines' default timeframes, checked against cases worked out by hand.

Default limits (calendar days): registration 1/3/7 from identification; assessment 0/7/14 from registration;
case plan 3/7/14 from assessment; first action 0/7/14 from the case plan; follow-up gaps 4/14/28; case plan
review every 3 calendar months; post-closure follow-up 3 calendar months after closure (high/medium/low)."""

from __future__ import annotations

from datetime import date as d

import pytest

from checklists.timeliness import (
    CaseDates,
    CaseStatus,
    Limit,
    Reason,
    RiskLevel,
    Status,
    Step,
    default_timeframes,
    rate,
    timeliness,
)

TF = default_timeframes()
H, M, L, N = RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.LOW, RiskLevel.NO_RISK


def case(level=M, **dates):  # type: ignore[no-untyped-def]
    return CaseDates(risk_level=level, **dates)


# (name, case, as of, step, status, due_on, days_late, reason)
TABLE = [
    ("registration same day, high", case(H, identified_on=d(2026, 3, 2), registered_on=d(2026, 3, 2)),
     d(2026, 4, 1), Step.REGISTRATION, Status.MET, d(2026, 3, 3), 0, None),
    ("registration next day is the limit for high", case(H, identified_on=d(2026, 3, 2), registered_on=d(2026, 3, 3)),
     d(2026, 4, 1), Step.REGISTRATION, Status.MET, d(2026, 3, 3), 0, None),
    ("registration two days after, high: late by 1", case(H, identified_on=d(2026, 3, 2),
                                                          registered_on=d(2026, 3, 4)),
     d(2026, 4, 1), Step.REGISTRATION, Status.MISSED, d(2026, 3, 3), 1, None),
    ("assessment same day is the limit for high", case(H, registered_on=d(2026, 3, 2), assessed_on=d(2026, 3, 2)),
     d(2026, 4, 1), Step.ASSESSMENT, Status.MET, d(2026, 3, 2), 0, None),
    ("assessment the next day, high: late by 1", case(H, registered_on=d(2026, 3, 2), assessed_on=d(2026, 3, 3)),
     d(2026, 4, 1), Step.ASSESSMENT, Status.MISSED, d(2026, 3, 2), 1, None),
    ("assessment not done, medium, deadline passed", case(M, registered_on=d(2026, 3, 2)),
     d(2026, 3, 20), Step.ASSESSMENT, Status.OVERDUE, d(2026, 3, 9), 11, None),
    ("assessment not done, low, deadline ahead", case(L, registered_on=d(2026, 3, 2)),
     d(2026, 3, 10), Step.ASSESSMENT, Status.NOT_YET_DUE, d(2026, 3, 16), None, None),
    ("assessment on its deadline day, not done: still not yet due", case(M, registered_on=d(2026, 3, 2)),
     d(2026, 3, 9), Step.ASSESSMENT, Status.NOT_YET_DUE, d(2026, 3, 9), None, None),
    ("no registration date: assessment not applicable", case(M, assessed_on=d(2026, 3, 2)),
     d(2026, 4, 1), Step.ASSESSMENT, Status.NOT_APPLICABLE, None, None, Reason.NO_START),
    ("case plan before the assessment: out of order", case(M, assessed_on=d(2026, 3, 10),
                                                            case_plan_on=d(2026, 3, 8)),
     d(2026, 4, 1), Step.CASE_PLAN, Status.NOT_APPLICABLE, None, None, Reason.OUT_OF_ORDER),
    ("no risk: no deadline", case(N, registered_on=d(2026, 3, 2)),
     d(2026, 4, 1), Step.ASSESSMENT, Status.NOT_APPLICABLE, None, None, Reason.NO_RISK),
    ("first action same day, high", case(H, case_plan_on=d(2026, 3, 5), first_action_on=d(2026, 3, 5)),
     d(2026, 4, 1), Step.FIRST_ACTION, Status.MET, d(2026, 3, 5), 0, None),
    ("case plan over a leap day, low (14 days)", case(L, assessed_on=d(2028, 2, 20), case_plan_on=d(2028, 3, 5)),
     d(2028, 4, 1), Step.CASE_PLAN, Status.MET, d(2028, 3, 5), 0, None),
    ("case plan over February in a common year, low", case(L, assessed_on=d(2027, 2, 20), case_plan_on=d(2027, 3, 7)),
     d(2027, 4, 1), Step.CASE_PLAN, Status.MISSED, d(2027, 3, 6), 1, None),
    ("raised to high while pending: due the day of the change",
     case(H, registered_on=d(2026, 3, 1), assessed_on=d(2026, 3, 6),
          risk_changes=((d(2026, 3, 1), L), (d(2026, 3, 5), H))),
     d(2026, 4, 1), Step.ASSESSMENT, Status.MISSED, d(2026, 3, 5), 1, None),
    ("lowered while pending: the new timeframe runs from the change",
     case(L, registered_on=d(2026, 3, 1), assessed_on=d(2026, 3, 12),
          risk_changes=((d(2026, 3, 1), M), (d(2026, 3, 4), L))),
     d(2026, 4, 1), Step.ASSESSMENT, Status.MET, d(2026, 3, 18), 0, None),
    ("a change after the deadline passed does not excuse the lateness",
     case(H, registered_on=d(2026, 3, 1), assessed_on=d(2026, 3, 25),
          risk_changes=((d(2026, 3, 1), L), (d(2026, 3, 20), H))),
     d(2026, 4, 1), Step.ASSESSMENT, Status.MISSED, d(2026, 3, 15), 10, None),
    ("a change on the day the step was done is too late to matter",
     case(H, registered_on=d(2026, 3, 1), assessed_on=d(2026, 3, 10),
          risk_changes=((d(2026, 3, 1), M), (d(2026, 3, 10), H))),
     d(2026, 4, 1), Step.ASSESSMENT, Status.MISSED, d(2026, 3, 8), 2, None),
    ("closed before the step was due: not applicable",
     case(L, status=CaseStatus.CLOSED, case_plan_on=d(2026, 3, 1), closed_on=d(2026, 3, 5)),
     d(2026, 4, 1), Step.FIRST_ACTION, Status.NOT_APPLICABLE, d(2026, 3, 15), None, Reason.ENDED_BEFORE_DUE),
    ("transferred after the deadline, never done: missed",
     case(M, status=CaseStatus.TRANSFERRED, case_plan_on=d(2026, 3, 1), closed_on=d(2026, 3, 20)),
     d(2026, 4, 1), Step.FIRST_ACTION, Status.MISSED, d(2026, 3, 8), 12, None),
    ("dates after the as-of day have not happened yet", case(M, registered_on=d(2026, 3, 1),
                                                              assessed_on=d(2026, 3, 20)),
     d(2026, 3, 12), Step.ASSESSMENT, Status.OVERDUE, d(2026, 3, 8), 4, None),
    ("post-closure follow-up at a month end: 30 Nov + 3 months = 28 Feb",
     case(L, status=CaseStatus.CLOSED, registered_on=d(2026, 10, 1), closed_on=d(2026, 11, 30),
          post_closure_follow_up_on=d(2027, 3, 1)),
     d(2027, 4, 1), Step.POST_CLOSURE_FOLLOW_UP, Status.MISSED, d(2027, 2, 28), 1, None),
    ("post-closure follow-up in a leap year: 30 Nov 2027 + 3 months = 29 Feb 2028",
     case(L, status=CaseStatus.CLOSED, registered_on=d(2027, 10, 1), closed_on=d(2027, 11, 30),
          post_closure_follow_up_on=d(2028, 2, 29)),
     d(2028, 4, 1), Step.POST_CLOSURE_FOLLOW_UP, Status.MET, d(2028, 2, 29), 0, None),
    ("post-closure follow-up not done, overdue",
     case(M, status=CaseStatus.CLOSED, registered_on=d(2026, 1, 1), closed_on=d(2026, 5, 31)),
     d(2026, 9, 10), Step.POST_CLOSURE_FOLLOW_UP, Status.OVERDUE, d(2026, 8, 31), 10, None),
    ("transferred: the receiving agency follows up",
     case(M, status=CaseStatus.TRANSFERRED, registered_on=d(2026, 1, 1), closed_on=d(2026, 5, 31)),
     d(2026, 9, 10), Step.POST_CLOSURE_FOLLOW_UP, Status.NOT_APPLICABLE, None, None, Reason.TRANSFERRED),
    ("open case: no post-closure follow-up", case(M, registered_on=d(2026, 1, 1)),
     d(2026, 9, 10), Step.POST_CLOSURE_FOLLOW_UP, Status.NOT_APPLICABLE, None, None, Reason.NOT_CLOSED),
    ("closed at no risk: no post-closure deadline by default",
     case(N, status=CaseStatus.CLOSED, registered_on=d(2026, 1, 1), closed_on=d(2026, 5, 31)),
     d(2026, 9, 10), Step.POST_CLOSURE_FOLLOW_UP, Status.NOT_APPLICABLE, None, None, Reason.NO_RISK),
]


@pytest.mark.parametrize(("name", "case_dates", "as_of", "step", "status", "due_on", "days_late", "reason"), TABLE,
                         ids=[row[0] for row in TABLE])
def test_single_steps_worked_out_by_hand(name, case_dates, as_of, step, status, due_on, days_late, reason):
    result = timeliness(case_dates, TF, as_of)[step]
    assert (result.status, result.due_on, result.days_late if status != Status.NOT_YET_DUE else None,
            result.reason) == (status, due_on, days_late, reason)


def test_follow_ups_medium_risk_count_the_gaps_over_two_weeks():
    # plan 15 Jan; contacts 20 Jan (5 days), 20 Feb (31 days: over 14, due 3 Feb, 17 late); as of 1 Mar: 9 days
    c = case(M, case_plan_on=d(2026, 1, 15), follow_ups=(d(2026, 1, 20), d(2026, 2, 20)))
    r = timeliness(c, TF, d(2026, 3, 1))[Step.FOLLOW_UP]
    assert (r.status, r.gaps_over_limit, r.longest_gap, r.due_on, r.days_late) == (
        Status.MISSED, 1, 31, d(2026, 2, 3), 17)


def test_follow_ups_overdue_while_the_running_gap_is_over_the_limit():
    c = case(H, case_plan_on=d(2026, 3, 1), follow_ups=(d(2026, 3, 4),))
    r = timeliness(c, TF, d(2026, 3, 12))[Step.FOLLOW_UP]  # last contact 4 Mar, next due 8 Mar
    assert (r.status, r.due_on, r.days_late, r.gaps_over_limit) == (Status.OVERDUE, d(2026, 3, 8), 4, 1)


def test_follow_ups_all_on_time_are_met_and_say_when_the_next_is_due():
    c = case(L, case_plan_on=d(2026, 3, 1), follow_ups=(d(2026, 3, 20), d(2026, 4, 15)))
    r = timeliness(c, TF, d(2026, 4, 20))[Step.FOLLOW_UP]
    assert (r.status, r.due_on, r.gaps_over_limit, r.longest_gap) == (Status.MET, d(2026, 5, 13), 0, 26)


def test_no_follow_up_yet_and_not_due():
    r = timeliness(case(L, case_plan_on=d(2026, 3, 1)), TF, d(2026, 3, 10))[Step.FOLLOW_UP]
    assert (r.status, r.due_on) == (Status.NOT_YET_DUE, d(2026, 3, 29))


def test_follow_ups_after_a_risk_rise_mid_case_use_the_new_limit_from_the_change():
    # low: 28 days allowed from 1 Mar (due 29 Mar); raised to high on 10 Mar: due 14 Mar; next contact 20 Mar
    c = case(H, case_plan_on=d(2026, 3, 1), follow_ups=(d(2026, 3, 20),),
             risk_changes=((d(2026, 2, 20), L), (d(2026, 3, 10), H)))
    r = timeliness(c, TF, d(2026, 3, 21))[Step.FOLLOW_UP]
    assert (r.status, r.due_on, r.days_late) == (Status.MISSED, d(2026, 3, 14), 6)


def test_a_closed_case_is_followed_up_until_its_closure_only():
    c = case(M, status=CaseStatus.CLOSED, case_plan_on=d(2026, 3, 1), follow_ups=(d(2026, 3, 10),),
             closed_on=d(2026, 3, 20))
    r = timeliness(c, TF, d(2026, 9, 1))[Step.FOLLOW_UP]
    assert (r.status, r.gaps_over_limit, r.longest_gap) == (Status.MET, 0, 10)


def test_case_plan_reviews_every_three_calendar_months_from_a_month_end():
    # plan 31 Aug: first review due 30 Nov (no skipped month); reviewed 28 Nov; next due 28 Feb
    c = case(M, case_plan_on=d(2026, 8, 31), case_plan_reviews=(d(2026, 11, 28),))
    r = timeliness(c, TF, d(2027, 1, 15))[Step.CASE_PLAN_REVIEW]
    assert (r.status, r.due_on, r.first_interval_met) == (Status.MET, d(2027, 2, 28), True)
    late = timeliness(case(M, case_plan_on=d(2026, 8, 31)), TF, d(2026, 12, 10))[Step.CASE_PLAN_REVIEW]
    assert (late.status, late.due_on, late.days_late, late.first_interval_met) == (
        Status.OVERDUE, d(2026, 11, 30), 10, False)


def test_a_context_with_monthly_plan_reviews_changes_one_setting():
    monthly = default_timeframes()
    monthly.limits[Step.CASE_PLAN_REVIEW] = {level: Limit(months=1) for level in (H, M, L)}
    c = case(M, case_plan_on=d(2026, 1, 31), case_plan_reviews=(d(2026, 3, 1),))
    r = timeliness(c, monthly, d(2026, 3, 2))[Step.CASE_PLAN_REVIEW]
    assert (r.status, r.intervals[0].due_on, r.days_late) == (Status.MISSED, d(2026, 2, 28), 1)


def test_rates_count_only_decided_steps():
    results = timeliness(case(M, identified_on=d(2026, 3, 1), registered_on=d(2026, 3, 2), assessed_on=d(2026, 3, 20)),
                         TF, d(2026, 4, 1))
    found = rate(results.values())
    # registration met, assessment late, case plan overdue; the rest are not applicable
    assert (found.met, found.decided, found.percent) == (1, 3, 33.3)
