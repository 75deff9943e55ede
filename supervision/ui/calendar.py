"""The supervision calendar: a month grid or an agenda, for the team, its supervisor or one caseworker. A session
opens below: mark it held (with short notes and agreed actions) or missed, move or cancel it. Exports to .ics
(Outlook, Google Calendar, phones) and a printable PDF. A caseworker sees their own sessions and team meetings,
and the notes of their own held sessions."""

from __future__ import annotations

import calendar as month_calendar
from datetime import date, datetime, time, timedelta

import pandas as pd
import streamlit as st
from dateutil.relativedelta import relativedelta

from core.actor import Role
from core.errors import Forbidden, NotFound
from core.i18n import format_date, t, t_plain
from core.safe_text import for_markdown
from core.ui import NOT_SAVED, deferred_download, field_error, label, page_for, unit_of_work
from improvement_actions.rules import PRIORITIES, ImprovementActionDraft
from supervision import reports
from supervision.plan import Activity
from supervision.services import sessions as services
from supervision.services.access import may_run_team
from supervision.services.calendars import calendar_for_team
from supervision.services.generation import team_people
from supervision.ui.common import activity_text, form_key, month_choice, team_choice
from supervision.ui.common import save as save_then_show

ERRORS = "calendar_errors"
SELECTED = "calendar_session"
STATUS_ICONS = {"planned": ":material/event:", "held": ":material/task_alt:", "missed": ":material/event_busy:",
                "cancelled": ":material/block:"}

actor = page_for(Role.SUPERVISOR, Role.MANAGER, Role.CASEWORKER)
st.session_state.setdefault(ERRORS, {})
errors: dict[str, str] = st.session_state[ERRORS]
st.title(t("calendar.title"))

left, mid, right = st.columns([2, 2, 2])
with left:
    team_id = team_choice(actor, "calendar_team")
if team_id is None:
    st.stop()
with mid:
    month = month_choice(t("calendar.month"), "calendar_month")
with unit_of_work() as session:
    runs = may_run_team(session, actor, team_id)
    supervisor, caseworkers = team_people(session, team_id, month, month + relativedelta(months=1, days=-1))
    agency_calendar = calendar_for_team(session, actor=actor, team_id=team_id, years=[month.year])
people = {"team": t("calendar.whole_team")}
if runs:
    if supervisor is not None:
        people[f"s{supervisor.id}"] = t_plain("calendar.supervisor_of", name=supervisor.name)
    people |= {f"c{p.id}": p.name for p in caseworkers}
elif actor.staff_member_id is not None:
    people = {f"c{actor.staff_member_id}": t("calendar.mine")}
with right:
    whose = st.selectbox(t("calendar.whose"), list(people), format_func=people.get, key="calendar_whose")
view_kind = st.segmented_control(t("calendar.view"), ["month", "agenda"], default="month",
                                 format_func=lambda v: t(f"calendar.view_kind.{v}"), key="calendar_view") or "month"
last = month + relativedelta(months=1, days=-1)
person_id = int(whose[1:]) if whose.startswith("c") else None
supervisor_id = int(whose[1:]) if whose.startswith("s") else None
with unit_of_work() as session:
    found = services.list_sessions(session, actor=actor, team_id=team_id, first=month, last=last,
                                   person_id=person_id, supervisor_id=supervisor_id)
shown = [v for v in found if v.status != "cancelled"]
now = datetime.now()
counts = {s: sum(1 for v in found if v.status == s) for s in services.STATUSES}
st.caption(t("calendar.counts", planned=counts["planned"], held=counts["held"], missed=counts["missed"],
             cancelled=counts["cancelled"]))
if not found:
    st.info(t("calendar.empty_runner") if runs else t("calendar.empty"))
    if runs:
        st.page_link("supervision/ui/plan.py", label=t("nav.supervision_plan"), icon=":material/event_repeat:")


def save(action, success: str, fresh: str | None = None) -> None:  # type: ignore[no-untyped-def]
    save_then_show(action, errors_key=ERRORS, success=success, fresh=fresh)
    st.rerun()


def select(session_id: int) -> None:
    st.session_state[SELECTED] = session_id
    st.session_state[ERRORS] = {}


def session_label(view: services.SessionView) -> str:
    """A session's button in the month grid (a button's label is Markdown)."""
    return label(f"{view.starts_at:%H:%M}", t(f"activity_short.{view.activity}"), "·", view.with_whom)


detail_box = st.container()  # the opened session shows here, above the grid, where the person is looking
week_start = agency_calendar.week_starts_on
closures = agency_calendar.closures
if view_kind == "month" and found:
    by_day: dict[date, list[services.SessionView]] = {}
    for v in shown:
        by_day.setdefault(v.starts_at.date(), []).append(v)
    order = [(week_start + n) % 7 for n in range(7)]
    header = st.columns(7)
    for column, weekday in zip(header, order, strict=True):
        column.markdown(f"**{t(f'weekday.{weekday}')}**")
    for week in month_calendar.Calendar(firstweekday=week_start).monthdatescalendar(month.year, month.month):
        columns = st.columns(7)
        for column, day in zip(columns, week, strict=True):
            with column.container(border=True):
                if day.month != month.month:
                    continue
                mark = " · " + t("calendar.closed") if day in closures else ""
                mark += " · " + t("calendar.today") if day == date.today() else ""
                st.caption(f"**{day.day}**{mark}")
                for v in by_day.get(day, []):
                    st.button(session_label(v), key=f"open_{v.id}", on_click=select, args=(v.id,), type="tertiary",
                              icon=STATUS_ICONS[v.status], help=t(f"session.status.{v.status}"))
elif found:
    frame = pd.DataFrame([{
        t("calendar.col.date"): format_date(v.starts_at), t("calendar.col.time"):
            f"{v.starts_at:%H:%M}–{v.ends_at:%H:%M}",
        t("calendar.col.activity"): activity_text(v.activity), t("calendar.col.with"): v.with_whom,
        t("calendar.col.status"): t("calendar.not_recorded") if v.status == "planned" and v.starts_at < now
        else t(f"session.status.{v.status}"),
        t("calendar.col.changed"): t("calendar.by_hand") if v.touched and v.status == "planned" else "",
    } for v in found])
    picked = st.dataframe(frame, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                          key=f"agenda_{team_id}_{month:%Y%m}_{whose}")
    rows = picked.selection.rows if picked is not None else []
    if rows and st.session_state.get(SELECTED) != found[rows[0]].id:
        select(found[rows[0]].id)
    st.caption(t("calendar.open_hint"))

# One session ----------------------------------------------------------------------------------------------------
chosen = st.session_state.get(SELECTED)
view = None
if chosen is not None:
    try:
        with unit_of_work() as session:
            view = services.get_session(session, actor=actor, session_id=int(chosen))
            agreed = services.session_actions(session, actor=actor, session_id=int(chosen))
    except (NotFound, Forbidden) as exc:
        st.error(for_markdown(str(exc)))
        st.session_state.pop(SELECTED, None)
def session_panel(view: services.SessionView, agreed: list) -> None:  # type: ignore[type-arg]
    """One session: what and when, recording it held or missed, moving or cancelling it, agreed actions."""
    st.subheader(t("calendar.session_heading", activity=activity_text(view.activity), who=view.with_whom))
    st.text(t_plain("calendar.session_when", date=format_date(view.starts_at), start=f"{view.starts_at:%H:%M}",
                    end=f"{view.ends_at:%H:%M}", minutes=view.minutes))
    st.text(t_plain("calendar.session_status", status=t(f"session.status.{view.status}"),
                    supervisor=view.supervisor_name or "—"))
    if view.status == "held":
        st.text(t_plain("calendar.held_line", date=format_date(view.held_on), minutes=view.held_minutes or 0))
        if view.notes:
            st.text(t("calendar.notes_label"))
            st.text(view.notes)
    if view.status == "missed":
        st.text(t_plain("calendar.missed_line", reason=t(f"missed_reason.{view.missed_reason}")))
        if view.missed_note:
            st.text(view.missed_note)
    field_error(errors, "general")
    may_edit = runs and view.team_id == team_id
    if may_edit:
        tabs = st.tabs([t("calendar.tab_held"), t("calendar.tab_missed"), t("calendar.tab_move"),
                        t("calendar.tab_cancel")])
        with tabs[0], st.form(f"held_{view.id}"):
            st.caption(t("calendar.notes_warning"))
            held_on = st.date_input(t("calendar.held_on"), value=view.held_on or min(view.starts_at.date(),
                                                                                     date.today()),
                                    max_value=date.today(), format="YYYY-MM-DD")
            field_error(errors, "held_on")
            held_minutes = st.number_input(t("calendar.held_minutes"), min_value=5, max_value=480, step=5,
                                           value=view.held_minutes or view.minutes)
            field_error(errors, "held_minutes")
            notes = st.text_area(t("calendar.notes"), value=view.notes, max_chars=services.MAX_NOTES)
            field_error(errors, "notes")
            if st.form_submit_button(t("calendar.save_held"), type="primary", icon=":material/task_alt:"):
                save(lambda s: services.mark_held(s, actor=actor, session_id=view.id, held_on=held_on,
                                                  minutes=int(held_minutes), notes=notes,
                                                  expected_version=view.version_id), t("calendar.held_saved"))
        with tabs[1], st.form(f"missed_{view.id}"):
            reason = st.selectbox(t("calendar.missed_reason"), services.MISSED_REASONS,
                                  format_func=lambda r: t(f"missed_reason.{r}"),
                                  index=services.MISSED_REASONS.index(view.missed_reason)
                                  if view.missed_reason in services.MISSED_REASONS else 0)
            field_error(errors, "missed_reason")
            missed_note = st.text_area(t("calendar.missed_note"), value=view.missed_note,
                                       max_chars=services.MAX_NOTES)
            field_error(errors, "missed_note")
            if st.form_submit_button(t("calendar.save_missed"), icon=":material/event_busy:"):
                save(lambda s: services.mark_missed(s, actor=actor, session_id=view.id, reason=reason,
                                                    note=missed_note, expected_version=view.version_id),
                     t("calendar.missed_saved"))
        with tabs[2]:
            if view.status != "planned":
                st.caption(t("calendar.only_planned"))
            else:
                with st.form(f"move_{view.id}"):
                    a, b, c = st.columns(3)
                    new_day = a.date_input(t("calendar.new_date"), value=view.starts_at.date(), format="YYYY-MM-DD")
                    new_time = b.time_input(t("calendar.new_time"), value=view.starts_at.time(), step=900)
                    new_minutes = c.number_input(t("calendar.minutes"), min_value=15, max_value=480, step=15,
                                                 value=view.minutes)
                    field_error(errors, "starts_at")
                    field_error(errors, "minutes")
                    if st.form_submit_button(t("calendar.save_move"), icon=":material/schedule:"):
                        moved = datetime.combine(new_day, new_time or time(9))
                        save(lambda s: services.move_session(
                            s, actor=actor, session_id=view.id, starts_at=moved, minutes=int(new_minutes),
                            expected_version=view.version_id), t("calendar.moved"))
        with tabs[3]:
            if view.status != "planned":
                st.caption(t("calendar.only_planned"))
            else:
                st.caption(t("calendar.cancel_help"))
                sure = st.checkbox(t("calendar.cancel_confirm"), key=f"cancel_sure_{view.id}")
                if st.button(t("calendar.cancel"), key=f"cancel_{view.id}", icon=":material/event_busy:",
                             disabled=not sure):
                    save(lambda s: services.cancel_session(s, actor=actor, session_id=view.id,
                                                           expected_version=view.version_id), t("calendar.cancelled"))
    st.markdown(f"**{t('calendar.actions_heading')}**")
    if agreed:
        st.dataframe(pd.DataFrame([{
            t("calendar.col.action"): a.text, t("calendar.col.owner"): a.owner or "—",
            t("calendar.col.due"): format_date(a.due_on) or "—",
            t("calendar.col.status"): t(f"improvement_action.status.{a.status}")} for a in agreed]),
            hide_index=True, width="stretch")
    else:
        st.caption(t("calendar.no_actions"))
    if may_edit:
        with st.form(form_key(f"action_{view.id}")):
            text = st.text_area(t("calendar.action_text"), max_chars=2000)
            field_error(errors, "text")
            a, b, c = st.columns(3)
            owner = a.text_input(t("calendar.action_owner"), value=view.caseworker_name, max_chars=200)
            field_error(errors, "owner")
            due = b.date_input(t("calendar.action_due"),
                               value=max(view.starts_at.date(), date.today()) + timedelta(days=14),
                               format="YYYY-MM-DD")
            field_error(errors, "due_on")
            priority = c.selectbox(t("calendar.action_priority"), PRIORITIES, index=1,
                                   format_func=lambda p: t(f"improvement_action.priority.{p}"))
            field_error(errors, "priority")
            if st.form_submit_button(t("calendar.action_add"), icon=":material/add_task:"):
                save(lambda s: services.add_session_action(s, actor=actor, session_id=view.id,
                                                           draft=ImprovementActionDraft(
                                                               text=text, owner_person=owner, due_on=due,
                                                               priority=priority)), t("calendar.action_added"),
                     fresh=f"action_{view.id}")


if view is not None:
    with detail_box:
        session_panel(view, agreed)
        st.divider()

# Adding a session by hand ---------------------------------------------------------------------------------------
if runs:
    with st.expander(t("calendar.add_heading"), icon=":material/add:"), st.form(form_key("add_session")):
        st.caption(t("calendar.add_help"))
        a, b = st.columns(2)
        activity = a.selectbox(t("calendar.col.activity"), [x.value for x in Activity],
                               index=[x.value for x in Activity].index(Activity.CASE_DISCUSSION.value),
                               format_func=activity_text)
        options = {p.id: p.name for p in caseworkers}
        who = b.selectbox(t("calendar.col.with"), [None, *options], format_func=lambda i: options.get(
            i, t("calendar.whole_team")))
        field_error(errors, "caseworker")
        field_error(errors, "activity")
        c, d, e = st.columns(3)
        day = c.date_input(t("calendar.new_date"), value=max(date.today(), month), format="YYYY-MM-DD")
        start = d.time_input(t("calendar.new_time"), value=time(10), step=900)
        minutes = e.number_input(t("calendar.minutes"), min_value=15, max_value=480, step=15, value=60)
        field_error(errors, "starts_at")
        field_error(errors, "minutes")
        if st.form_submit_button(t("calendar.add"), icon=":material/add:"):
            added = save_then_show(lambda s: services.add_session(
                s, actor=actor, team_id=team_id, activity=activity, caseworker_id=who,
                starts_at=datetime.combine(day, start or time(10)), minutes=int(minutes)),
                errors_key=ERRORS, success=t("calendar.added"), fresh="add_session")
            if added is not NOT_SAVED:
                select(int(added))  # type: ignore[call-overload]
                st.session_state[ERRORS] = {}
            st.rerun()
        field_error(errors, "general")

# Exports ----------------------------------------------------------------------------------------------------------
st.divider()
st.subheader(t("calendar.export_heading"))
scope_kind = "team" if whose == "team" else "supervisor" if whose.startswith("s") else "caseworker"
scope = reports.Scope(team_id, scope_kind, person_id or supervisor_id)
export_label = people[whose]
a, b, c = st.columns([2, 2, 1])
deferred_download(a, t("calendar.export_ics", who=export_label),
                  build=lambda session, who: reports.export_calendar_ics(session, actor=who, scope=scope),
                  file_name=reports.filename(f"{export_label}", "ics"), mime="text/calendar",
                  icon=":material/event:", key=f"ics_{team_id}_{whose}")
page = c.selectbox(t("calendar.page_size"), ["a4", "letter"], format_func=lambda p: t(f"calendar.page.{p}"),
                   key="calendar_page")
deferred_download(b, t("calendar.export_pdf", month=month.strftime("%Y-%m")),
                  build=lambda session, who: reports.export_calendar_pdf(session, actor=who, scope=scope,
                                                                         first=month, last=last, page=page),
                  file_name=reports.filename(f"{export_label} {month:%Y-%m}", "pdf"), mime="application/pdf",
                  icon=":material/picture_as_pdf:", key=f"pdf_{team_id}_{whose}_{month:%Y%m}")
with st.expander(t("calendar.how_to_import"), icon=":material/help:"):
    st.markdown(t("calendar.import_outlook"))
    st.markdown(t("calendar.import_google"))
