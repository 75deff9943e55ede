"""The agency's working calendar (managers): working days and hours, a supervisor's most supervision hours in a
day, the time zone, and the public holidays of a country from the holidays package, edited: a holiday worked,
closure days added or imported from a spreadsheet."""

from __future__ import annotations

from datetime import date, time

import pandas as pd
import streamlit as st

from core.actor import Role
from core.i18n import format_date, t
from core.reports.spreadsheet import csv_bytes
from core.ui import NOT_SAVED, field_error, page_for, submit, unit_of_work
from supervision.services import calendars as services
from supervision.ui.common import form_key, save
from supervision.working_time import country_name, supported_countries, time_zones

ERRORS = "working_calendar_errors"
CLASH = "working_calendar_clash"  # shown once, after the rerun that follows adding a closure day

actor = page_for(Role.MANAGER)
st.session_state.setdefault(ERRORS, {})
errors: dict[str, str] = st.session_state[ERRORS]
st.title(t("working_calendar.title"))
st.caption(t("working_calendar.intro"))
year = st.selectbox(t("working_calendar.year"), [date.today().year + n for n in (-1, 0, 1, 2)], index=1)
with unit_of_work() as session:
    info = services.working_calendar(session, actor=actor, year=year)
current = info.settings
if not info.stored:
    st.info(t("working_calendar.defaults"), icon=":material/info:")


def _clock(text: str) -> time:
    return time.fromisoformat(text)


with st.form("working_calendar"):
    days = st.multiselect(t("working_calendar.working_days"), list(range(7)), default=list(current.working_days),
                          format_func=lambda d: t(f"weekday.{d}"))
    field_error(errors, "working_days")
    a, b, c = st.columns(3)
    starts = a.time_input(t("working_calendar.day_starts"), _clock(current.day_starts), step=900)
    ends = b.time_input(t("working_calendar.day_ends"), _clock(current.day_ends), step=900)
    cap = c.number_input(t("working_calendar.cap_hours"), 0.5, 12.0, current.max_supervision_minutes / 60, step=0.5)
    field_error(errors, "hours")
    field_error(errors, "max_supervision_minutes")
    d, e = st.columns(2)
    countries = ["", *supported_countries()]
    country = d.selectbox(t("working_calendar.country"), countries,
                          index=countries.index(current.country) if current.country in countries else 0,
                          format_func=lambda code: country_name(code) or t("working_calendar.no_country"))
    field_error(errors, "country")
    zones = list(time_zones()) if current.timezone in time_zones() else [current.timezone, *time_zones()]
    zone = e.selectbox(t("working_calendar.timezone"), zones, index=zones.index(current.timezone))
    field_error(errors, "timezone")
    if st.form_submit_button(t("working_calendar.save"), type="primary", icon=":material/save:"):
        settings = services.CalendarSettings(tuple(sorted(days)), (starts or time(8, 30)).strftime("%H:%M"),
                                             (ends or time(16, 30)).strftime("%H:%M"), round(cap * 60), zone,
                                             country)
        save(lambda s: services.save_working_calendar(s, actor=actor, settings=settings,
                                                      expected_version=info.version_id),
             errors_key=ERRORS, success=t("working_calendar.saved"))
        st.rerun()
field_error(errors, "general")

st.subheader(t("working_calendar.closures_heading", year=year))
st.caption(t("working_calendar.closures_help"))
if info.closures:
    frame = pd.DataFrame([{
        "day": c.day, t("working_calendar.col.date"): format_date(c.day), t("working_calendar.col.name"): c.name,
        t("working_calendar.col.source"): t(f"working_calendar.source.{c.source}"),
        "closed": c.source != "open"} for c in info.closures])
    edited = st.data_editor(frame, hide_index=True, width="stretch", key=f"closures_{year}_{info.version_id}_"
                            f"{len(info.closures)}_{sum(c.source == 'open' for c in info.closures)}",
                            disabled=[t("working_calendar.col.date"), t("working_calendar.col.name"),
                                      t("working_calendar.col.source")],
                            column_order=[t("working_calendar.col.date"), t("working_calendar.col.name"),
                                          t("working_calendar.col.source"), "closed"],
                            column_config={"closed": st.column_config.CheckboxColumn(t("working_calendar.col.closed"))})
    changed = [(row["day"], bool(row["closed"])) for (_, row), c in zip(edited.iterrows(), info.closures, strict=True)
               if bool(row["closed"]) != (c.source != "open")]
    if changed and st.button(t("working_calendar.apply"), icon=":material/check:"):
        def apply(session):  # type: ignore[no-untyped-def]
            for day, closed in changed:
                services.update_public_holiday(session, actor=actor, day=day, worked=not closed)

        save(apply, errors_key=ERRORS, general_field="closures", success=t("working_calendar.saved"))
        st.rerun()
else:
    st.caption(t("working_calendar.no_closures"))
field_error(errors, "closures")

with st.form(form_key("closure_day")):
    st.markdown(f"**{t('working_calendar.add_heading')}**")
    a, b = st.columns([1, 3])
    day = a.date_input(t("working_calendar.col.date"), value=None, format="YYYY-MM-DD")
    field_error(errors, "day")
    name = b.text_input(t("working_calendar.col.name"), max_chars=services.MAX_NAME)
    field_error(errors, "name")
    if st.form_submit_button(t("working_calendar.add"), icon=":material/add:"):
        clashes = save(lambda s: services.add_closure_day(s, actor=actor, day=day, name=name), errors_key=ERRORS,
                       general_field="name", success=t("working_calendar.closure_added", day=format_date(day)),
                       fresh="closure_day")
        if isinstance(clashes, int) and clashes:
            st.session_state[CLASH] = t("working_calendar.closure_clash", count=clashes, day=format_date(day))
        st.rerun()
if st.session_state.get(CLASH):
    st.warning(st.session_state.pop(CLASH), icon=":material/event_busy:")

with st.expander(t("working_calendar.import_heading"), icon=":material/upload:"):
    st.caption(t("working_calendar.import_help"))
    st.download_button(t("working_calendar.template"), csv_bytes(list(services.CLOSURE_COLUMNS),
                                                                [[f"{year}-12-31", "Office closure"]]),
                       file_name="closure-days.csv", mime="text/csv", icon=":material/download:")
    upload = st.file_uploader(t("working_calendar.file"), type=["csv", "xlsx"], key="closure_upload")
    if upload is not None and st.button(t("working_calendar.import"), icon=":material/upload:"):
        imported = submit(lambda s: services.import_closure_days(s, actor=actor, filename=upload.name,
                                                                 content=upload.getvalue()),
                          errors_key=ERRORS, general_field="file")
        if imported is not NOT_SAVED:
            st.success(t("working_calendar.imported", count=imported))
    field_error(errors, "file")
