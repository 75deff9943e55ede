"""Case file review reports: one review for the supervision session (PDF), and a team's month (PDF and Excel):
scores per caseworker, the items most often answered No, timeliness per step and risk level, follow-up actions.
Same style module as the action plan (``core.reports``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta
from openpyxl import Workbook
from reportlab.lib.units import mm
from reportlab.platypus import Spacer
from sqlalchemy.orm import Session

from checklists.services.reviews import ReviewSummary, ReviewView, follow_up_actions, get_review, list_reviews
from checklists.services.sampling import sample_teams
from checklists.services.trends import ItemNo, Rate, review_trends
from checklists.timeliness import RISK_LEVELS, STEPS, Step
from core.actor import Actor
from core.audit import record_event
from core.errors import Forbidden
from core.i18n import format_date, format_month, format_number, t, tn
from core.levels import level_label
from core.reports.pdf import PageFurniture, build_pdf, cell, grid_table, para, usable_width
from core.reports.spreadsheet import workbook_bytes, write_sheet
from improvement_actions.services import ImprovementActionView


def answer_label(answer: str) -> str:
    return t(f"review.answer.{answer}") if answer else t("review.answer.unanswered")


def step_label(step: Step | str) -> str:
    return t(f"timeliness.step.{step}")


def status_text(status: str, days_late: int | None) -> str:
    if status in ("missed", "overdue"):
        late = "timeliness.status_days.missed" if status == "missed" else "timeliness.status_days.overdue"
        return tn(late, days_late or 0)
    return t(f"timeliness.status.{status}")


def score_text(percent: float | None) -> str:
    return f"{format_number(percent)} %" if percent is not None else "—"


def _page_label(page: int, total: int) -> str:
    return t("report.page_of", page=page, total=total)


def _actions_rows(found: list[ImprovementActionView]) -> list[list[Any]]:
    return [[cell(a.source.item or "—"), cell(a.text, wrap_over=0), cell(a.owner or "—"),
             cell(format_date(a.due_on)), cell(t(f"improvement_action.status.{a.status}"))] for a in found]


def review_pdf(view: ReviewView, found: list[ImprovementActionView]) -> bytes:
    width = usable_width()
    furniture = PageFurniture(
        header=f"{t('review.report.title')} — {view.case_code}",
        footer=f"{view.caseworker_name} · {format_date(view.reviewed_on)} · {t('review.report.confidential')}",
        watermark="" if view.is_completed else t("report.draft_mark"))

    def story() -> list:
        result = view.result
        facts = [
            [cell(t("review.field.case_code")), cell(view.case_code)],
            [cell(t("review.field.caseworker")), cell(view.caseworker_name)],
            [cell(t("review.field.reviewer")), cell(view.reviewer_name)],
            [cell(t("review.field.reviewed_on")), cell(format_date(view.reviewed_on))],
            [cell(t("review.field.checklist")), cell(view.template_label, wrap_over=0)],
            [cell(t("review.field.status")), cell(t(f"review.status.{view.status}"))],
            [cell(t("review.field.score")), cell(t("review.score_line", score=score_text(result.percent if result
                                                                                        else None),
                                                   level=level_label(result.level if result else None),
                                                   yes=result.yes if result else 0, no=result.no if result else 0,
                                                   na=result.na if result else 0), wrap_over=0)],
            [cell(t("review.field.acknowledged")), cell(
                t("review.acknowledged_line", name=view.acknowledged_by, date=format_date(view.acknowledged_on))
                if view.acknowledged_on else t("review.not_acknowledged"), wrap_over=0)],
        ]
        out: list = [para(f"{t('review.report.title')} — {view.case_code}", "title"),
                     grid_table([[cell(t("review.report.about")), ""], *facts], [55 * mm, width - 55 * mm]),
                     para(view.thresholds_text, "small"), Spacer(1, 3 * mm)]
        timeliness_rows = [[cell(step_label(step)), cell(status_text(r.status, r.days_late)),
                            cell(format_date(r.due_on) if r.due_on else "—"),
                            cell(format_date(r.done_on) if r.done_on else "—"),
                            cell(t(f"risk_level.{r.risk_level}") if r.risk_level else "—")]
                           for step, r in view.timeliness.items()]
        out.append(grid_table([[cell(t(f"review.report.col.{c}")) for c in ("step", "status", "due_on", "done_on",
                                                                             "risk_level")], *timeliness_rows],
                              [60 * mm, 60 * mm, 40 * mm, 40 * mm, width - 200 * mm],
                              heading=t("review.report.timeliness")))
        checklist = view.checklist
        if checklist is not None:
            for section in checklist.sections:
                rows = []
                for item in section.items:
                    answer = view.answers.get(item.id)
                    marks = answer_label(answer.answer if answer else "")
                    if answer is not None and answer.computed_answer is not None:
                        marks += " · " + (t("review.overridden") if answer.overridden else t("review.computed"))
                    rows.append([cell(item.id), cell(item.text, wrap_over=0), cell(marks, wrap_over=0),
                                 cell("\n".join(x for x in ((answer.comment, answer.override_reason) if answer
                                                            else ()) if x), wrap_over=0),
                                 cell(answer.recommendation if answer else "", wrap_over=0)])
                out.append(grid_table(
                    [[cell(t(f"review.report.col.{c}")) for c in ("item", "text", "answer", "comment",
                                                                   "recommendation")], *rows],
                    [14 * mm, 95 * mm, 38 * mm, (width - 147 * mm) / 2, (width - 147 * mm) / 2],
                    heading=section.label))
        for label, text in ((t("review.field.strengths"), view.strengths), (t("review.field.feedback"),
                                                                             view.feedback)):
            out += [para(label, "h2"), para(text or "—")]
        out.append(grid_table([[cell(t(f"review.report.col.{c}")) for c in ("item", "action", "owner", "due_on",
                                                                             "status")],
                               *(_actions_rows(found) or [[cell("—"), "", "", "", ""]])],
                              [18 * mm, width - 108 * mm, 40 * mm, 25 * mm, 25 * mm],
                              heading=t("review.report.actions")))
        return out

    return build_pdf(story, title=f"{t('review.report.title')} — {view.case_code}", author=view.reviewer_name,
                     furniture=furniture, page_label=_page_label)


def export_review_pdf(session: Session, *, actor: Actor, review_id: int) -> bytes:
    view = get_review(session, actor=actor, review_id=review_id)
    data = review_pdf(view, follow_up_actions(session, actor=actor, review_id=review_id))
    record_event(session, action="export", entity_type="CaseFileReview", entity_id=review_id,
                 summary=review_filename(view), details={"format": "pdf"})
    return data


def review_filename(view: ReviewSummary) -> str:
    code = "".join(c if c.isalnum() or c in "-_" else "-" for c in view.case_code)[:40]
    return f"case-file-review_{code}_{view.reviewed_on.isoformat()}.pdf"


# ------------------------------------------------------------------------------------------- a team's month


@dataclass(frozen=True)
class CaseworkerLine:
    name: str
    reviews: int
    completed: int
    mean_score: float | None
    acknowledged: int


@dataclass(frozen=True)
class TeamMonth:
    team_name: str
    month: date
    caseworkers: list[CaseworkerLine]
    items_no: list[ItemNo]
    timeliness: dict[tuple[Step, str], Rate]
    reviews: list[ReviewSummary]
    actions: list[tuple[ReviewSummary, ImprovementActionView]]


def team_month(session: Session, *, actor: Actor, team_id: int, month: date) -> TeamMonth:
    teams = dict(sample_teams(session, actor=actor))
    if team_id not in teams:
        raise Forbidden(t("common.error.forbidden"))
    start = month.replace(day=1)
    end = start + relativedelta(months=1) - relativedelta(days=1)
    reviews = list_reviews(session, actor=actor, month=start, team_id=team_id)
    trends = review_trends(session, actor=actor, start=start, end=end, team_id=team_id)
    by_person: dict[str, list[ReviewSummary]] = {}
    for review in reviews:
        by_person.setdefault(review.caseworker_name, []).append(review)
    lines = []
    for name, own in sorted(by_person.items()):
        done = [r for r in own if r.is_completed and r.score is not None]
        lines.append(CaseworkerLine(name, len(own), sum(1 for r in own if r.is_completed),
                                    round(sum(r.score or 0 for r in done) / len(done), 1) if done else None,
                                    sum(1 for r in own if r.acknowledged_on)))
    rates: dict[tuple[Step, str], Rate] = {}
    for (_, step, level), rate in trends.timeliness.items():
        merged = rates.setdefault((step, level), Rate())
        merged.met += rate.met
        merged.decided += rate.decided
    found = [(r, a) for r in reviews for a in follow_up_actions(session, actor=actor, review_id=r.id)]
    return TeamMonth(teams[team_id], start, lines, trends.items_no[:10], rates, reviews, found)


def _month_label(month: date) -> str:
    return format_month(month)


def _timeliness_rows(summary: TeamMonth) -> list[list[Any]]:
    rows = []
    for step in STEPS:
        row: list[Any] = [step_label(step)]
        for level in RISK_LEVELS:
            rate = summary.timeliness.get((step, level))
            row.append(t("review.report.rate", percent=score_text(rate.percent), met=rate.met, decided=rate.decided)
                       if rate and rate.decided else "—")
        rows.append(row)
    return rows


def team_month_pdf(summary: TeamMonth) -> bytes:
    width = usable_width()
    title = f"{t('review.report.team_title')} — {summary.team_name}, {_month_label(summary.month)}"
    furniture = PageFurniture(header=title, footer=t("review.report.confidential"))

    def story() -> list:
        out: list = [para(title, "title"), para(t("review.report.score_note"), "small")]
        out.append(grid_table(
            [[cell(t(f"review.report.col.{c}")) for c in ("caseworker", "reviews", "completed", "mean_score",
                                                           "acknowledged")],
             *([[cell(line.name), cell(str(line.reviews)), cell(str(line.completed)), cell(score_text(line.mean_score)),
                 cell(str(line.acknowledged))] for line in summary.caseworkers] or [[cell("—"), "", "", "", ""]])],
            [width - 160 * mm, 40 * mm, 40 * mm, 40 * mm, 40 * mm], heading=t("review.report.scores")))
        out.append(grid_table(
            [[cell(t("review.report.col.item")), cell(t("review.report.col.text")), cell(t("review.report.col.no"))],
             *([[cell(i.item_id), cell(i.text, wrap_over=0),
                 cell(t("review.report.no_count", no=i.no, answered=i.answered))] for i in summary.items_no]
               or [[cell("—"), "", ""]])],
            [18 * mm, width - 68 * mm, 50 * mm], heading=t("review.report.items_no")))
        out.append(grid_table(
            [[cell(t("review.report.col.step")), *[cell(t(f"risk_level.{lv}")) for lv in RISK_LEVELS]],
             *[[cell(c) for c in row] for row in _timeliness_rows(summary)]],
            [60 * mm, *[(width - 60 * mm) / 4] * 4], heading=t("review.report.timeliness_month")))
        out.append(grid_table(
            [[cell(t(f"review.report.col.{c}")) for c in ("case_code", "action", "owner", "due_on", "status")],
             *([[cell(r.case_code), cell(a.text, wrap_over=0), cell(a.owner or "—"), cell(format_date(a.due_on)),
                 cell(t(f"improvement_action.status.{a.status}"))] for r, a in summary.actions]
               or [[cell("—"), "", "", "", ""]])],
            [35 * mm, width - 125 * mm, 40 * mm, 25 * mm, 25 * mm], heading=t("review.report.actions")))
        return out

    return build_pdf(story, title=title, author=summary.team_name, furniture=furniture, page_label=_page_label)


def team_month_xlsx(summary: TeamMonth) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = t("review.report.sheet.reviews")[:31]
    write_sheet(sheet, [t(f"review.report.col.{c}") for c in ("case_code", "caseworker", "reviewer", "reviewed_on",
                                                               "status", "score", "level", "acknowledged_on")],
                [[r.case_code, r.caseworker_name, r.reviewer_name, r.reviewed_on, t(f"review.status.{r.status}"),
                  r.score, level_label(r.level) if r.level is not None else "", r.acknowledged_on]
                 for r in summary.reviews], [22, 26, 26, 14, 14, 10, 24, 14], date_columns=[4, 8])
    items = workbook.create_sheet(t("review.report.sheet.items")[:31])
    write_sheet(items, [t("review.report.col.item"), t("review.report.col.text"), t("review.report.col.no"),
                        t("review.report.col.answered")],
                [[i.item_id, i.text, i.no, i.answered] for i in summary.items_no], [10, 80, 10, 12])
    rates = workbook.create_sheet(t("review.report.sheet.timeliness")[:31])
    write_sheet(rates, [t("review.report.col.step"), t("review.report.col.risk_level"), t("review.report.col.met"),
                        t("review.report.col.decided"), t("review.report.col.percent")],
                [[step_label(step), t(f"risk_level.{level}"), rate.met, rate.decided, rate.percent]
                 for (step, level), rate in sorted(summary.timeliness.items(), key=lambda x: (
                     STEPS.index(Step(x[0][0])), RISK_LEVELS.index(x[0][1])))], [34, 14, 10, 10, 10])
    acts = workbook.create_sheet(t("review.report.sheet.actions")[:31])
    write_sheet(acts, [t(f"review.report.col.{c}") for c in ("case_code", "item", "action", "owner", "due_on",
                                                             "status")],
                [[r.case_code, a.source.item, a.text, a.owner, a.due_on, t(f"improvement_action.status.{a.status}")]
                 for r, a in summary.actions], [22, 8, 60, 26, 14, 16], date_columns=[5])
    return workbook_bytes(workbook)


def export_team_month(session: Session, *, actor: Actor, team_id: int, month: date, fmt: str) -> bytes:
    summary = team_month(session, actor=actor, team_id=team_id, month=month)
    data = team_month_pdf(summary) if fmt == "pdf" else team_month_xlsx(summary)
    record_event(session, action="export", entity_type="Team", entity_id=team_id,
                 summary=team_month_filename(summary, fmt), details={"format": fmt, "reviews": len(summary.reviews)})
    return data


def team_month_filename(summary: TeamMonth, fmt: str) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in summary.team_name.lower())[:40].strip("-") or "team"
    return f"case-file-reviews_{slug}_{summary.month:%Y-%m}.{fmt}"
