"""The monthly management report: choose the month and the scope, gather its figures with a progress bar, download
the PDF and the workbook (the same figures), each drawn and audited when clicked."""

from __future__ import annotations

from datetime import date

import streamlit as st

from core.actor import Role
from core.errors import Forbidden, NotFound
from core.i18n import format_month, t, t_plain
from core.safe_text import for_markdown
from core.ui import deferred_download, page_for, unit_of_work
from management.indicators import months_ending
from management.reports import export_built_monthly_report
from management.services.indicators import scope_choices
from management.services.monthly import monthly_report

BUILT = "monthly_report_built"  # the last report built in this browser session: its choice and files

actor = page_for(Role.MANAGER, Role.SUPERVISOR)
st.title(t("monthly_page.title"))
st.caption(t("monthly_page.intro"))
with unit_of_work() as session:
    choices = scope_choices(session, actor=actor)
teams = dict(choices.teams)
options: list[int | None] = ([None] if choices.agency else []) + list(teams)
if not options:
    st.info(t("progress.no_figures"))
    st.stop()
a, b = st.columns(2)
month = a.selectbox(t("dashboard.month"), months_ending(date.today(), 24)[::-1], format_func=format_month,
                    key="monthly_month")
team_id = b.selectbox(t("monthly_page.scope"), options, key="monthly_team",
                      format_func=lambda i: teams[i] if i is not None else t_plain("progress.whole_agency",
                                                                                    agency=choices.agency or ""))
if st.button(t("monthly_page.build"), type="primary", icon=":material/summarize:"):
    bar = st.progress(0.0, text=t("monthly_page.building"))

    def told(fraction: float, what: str) -> None:
        bar.progress(fraction, text=t(f"report_monthly.progress.{what}"))

    try:
        with unit_of_work() as session:
            report = monthly_report(session, actor=actor, month=month, team_id=team_id, progress_to=told)
    except (Forbidden, NotFound) as exc:
        bar.empty()
        st.error(for_markdown(str(exc)))
        st.stop()
    bar.empty()
    label = "".join(c if c.isalnum() else "-" for c in (teams.get(team_id) or choices.agency or "")).strip("-")
    st.session_state[BUILT] = {"key": (month, team_id), "report": report, "name": f"monthly-report-{month:%Y-%m}-"
                               f"{label.lower()[:40] or 'scope'}"}
built = st.session_state.get(BUILT)
if built and built["key"] == (month, team_id):
    # The figures were gathered above, with progress shown; each file is drawn when its button is clicked, for
    # the person checked again then (a tab left open after a deactivation or the idle timeout gets nothing).
    st.success(t("monthly_page.built", month=format_month(month)), icon=":material/check:")
    x, y = st.columns(2)
    for column, fmt, label, mime, icon in (
            (x, "pdf", t("monthly_page.download_pdf"), "application/pdf", ":material/picture_as_pdf:"),
            (y, "xlsx", t("monthly_page.download_xlsx"),
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ":material/table:")):
        deferred_download(column, label, file_name=f"{built['name']}.{fmt}", mime=mime,
                          icon=icon, key=f"monthly_{fmt}",
                          build=lambda session, person, fmt=fmt: export_built_monthly_report(
                              session, actor=person, report=built["report"], fmt=fmt))
st.caption(t("monthly_page.command"))
st.code("python -m management monthly-report --month YYYY-MM --agency NAME [--team NAME] --pdf FILE --xlsx FILE",
        language="bash")
