"""Summary: every component's level, colour-coded, a chart, counts per level, what needs attention first, and
finalising the assessment."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from core.i18n import t, tn
from core.safe_text import for_markdown
from core.ui import current_actor, field_error, submit
from qaf import services
from qaf.action_plan import suggested_actions
from qaf.levels import LEVEL_COLOURS, LEVEL_TEXT_COLOURS, Level, level_label
from qaf.ui.common import assessment_header, require_results

FINALISE_ERRORS = "qaf_finalise_errors"

view, framework, summary = require_results()

st.title(t("summary.title"))
st.subheader(for_markdown(view.name))
assessment_header(view)

counts = summary.counts
metric_columns = st.columns(5)
for column, level in zip(metric_columns, Level, strict=False):
    column.metric(level_label(level), counts[level])
metric_columns[4].metric(t("level.not_scored"), summary.total - summary.scored_count)

label_to_level = {level_label(level): level for level in Level}
rows = []
for result in summary.results:
    rows.append({
        t("report.col.component"): result.component.label,
        t("report.col.derived_level"): level_label(result.derived_level) if result.scored else "—",
        t("report.col.agreed_level"): level_label(result.level),
        t("report.col.reason"): result.level_reason,
    })
table = pd.DataFrame(rows)


def _colour(value: str) -> str:
    level = label_to_level.get(value)
    if level is None:
        return ""
    return f"background-color: {LEVEL_COLOURS[level]}; color: {LEVEL_TEXT_COLOURS[level]}; font-weight: 600"


styled = (table.style.map(_colour, subset=[t("report.col.derived_level"), t("report.col.agreed_level")])
          .format(for_markdown).hide(axis="index"))
st.table(styled)  # a static table: long reasons wrap instead of being cut off; each cell is Markdown

if summary.scored_count:
    chart_data = pd.DataFrame({"level": [level_label(level) for level in Level],
                               "components": [counts[level] for level in Level],
                               "order": [int(level) for level in Level]})
    chart = (
        alt.Chart(chart_data)
        .mark_bar()
        .encode(  # horizontal bars: the full level names read on the axis
            y=alt.Y("level:N", sort=alt.SortField("order"), title=None, axis=alt.Axis(labelLimit=0)),
            x=alt.X("components:Q", title=t("report.col.components"),
                    axis=alt.Axis(tickMinStep=1, format="d"), scale=alt.Scale(domainMin=0)),
            color=alt.Color("level:N", scale=alt.Scale(domain=list(chart_data["level"]),
                                                       range=[LEVEL_COLOURS[level] for level in Level]),
                            legend=None),
            tooltip=[alt.Tooltip("level:N", title=t("report.col.agreed_level")),
                     alt.Tooltip("components:Q", title=t("report.col.components"), format="d")],
        )
        .properties(height=200, title=t("report.chart_title"))
    )
    st.altair_chart(chart, width="stretch")
else:
    st.info(t("summary.no_chart"))

st.subheader(t("report.attention_heading"))
attention = summary.needing_attention()
if attention:
    for result in attention:
        gaps = len(suggested_actions(result))
        st.markdown(f"- **{for_markdown(result.component.label)}** — {level_label(result.level)} · "
                    f"{tn('summary.gaps', gaps)}")
elif summary.scored_count:
    st.success(t("summary.no_attention"))
else:
    st.info(t("summary.nothing_scored"))

st.page_link("qaf/ui/action_plan.py", label=t("summary.to_action_plan"), icon=":material/checklist:")

if view.can_edit:
    st.divider()
    st.subheader(t("summary.finalise_heading"))
    st.caption(t("summary.finalise_help"))
    errors = st.session_state.get(FINALISE_ERRORS, {})
    confirmed = st.checkbox(t("summary.finalise_confirm"))
    if st.button(t("summary.finalise_button"), disabled=not confirmed, type="primary"):
        submit(lambda session: services.finalise_assessment(session, actor=current_actor(), assessment_id=view.id),
               errors_key=FINALISE_ERRORS, general_field="status", success=t("summary.finalised"))
        st.rerun()
    field_error(errors, "status")
