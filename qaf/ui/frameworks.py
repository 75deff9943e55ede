"""Framework versions: browse the Change Grid, make a contextualised copy and adapt its actions. The original
is never edited, and a copy freezes once an assessment uses it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.actor import Role
from core.i18n import t, tn
from core.safe_text import for_markdown, markdown_code
from core.ui import NOT_SAVED, current_actor, field_error, submit, unit_of_work
from core.ui.translation import TranslatableVersion, translation_panel
from qaf import services
from qaf.levels import COLUMN_TARGETS, level_label

ERRORS = "qaf_framework_errors"
REVISION = "qaf_framework_revision"

actor = current_actor()
st.title(t("frameworks.title"))
st.caption(t("frameworks.intro"))
st.session_state.setdefault(ERRORS, {})
st.session_state.setdefault(REVISION, 0)
errors: dict[str, str] = st.session_state[ERRORS]

with unit_of_work() as session:
    versions = services.list_framework_versions(session)

st.dataframe(pd.DataFrame([{
    t("frameworks.col.title"): v.title, t("frameworks.col.version"): v.version,
    t("frameworks.col.kind"): t("frameworks.kind.contextualised") if v.is_contextualised
    else t("frameworks.kind.translation") if v.is_translation else t("frameworks.kind.original"),
    t("frameworks.col.in_use"): v.assessments_using,
} for v in versions]), hide_index=True, width="stretch")

labels = {v.id: v.label for v in versions}
chosen_id = st.selectbox(t("frameworks.browse"), list(labels), format_func=labels.get)
chosen = next(v for v in versions if v.id == chosen_id)
with unit_of_work() as session:
    framework = services.get_framework(session, chosen_id)
st.caption(t("frameworks.counts", dimensions=len(framework.dimensions), components=framework.component_count,
             actions=framework.action_count))
if chosen.context_note:
    st.info(for_markdown(chosen.context_note))

codes = {c.code: c.label for c in framework.components()}
code = st.selectbox(t("frameworks.component"), list(codes), format_func=codes.get)
component = framework.component(code)

if chosen.editable and actor.has(Role.FACILITATOR) and chosen.agency_id == actor.agency_id:
    st.caption(t("frameworks.edit_help"))
    edited_columns = []
    for index, column in enumerate(component.columns):
        st.markdown(f"**{t('workshop.column_heading', level=level_label(COLUMN_TARGETS[index]))}**")
        frame = pd.DataFrame([{"id": a.id, "text": a.text} for a in column], columns=["id", "text"])
        edited = st.data_editor(
            frame, num_rows="dynamic", width="stretch", hide_index=True,
            key=f"fw_{chosen_id}_{code}_{index}_{st.session_state[REVISION]}",
            column_config={"id": st.column_config.TextColumn(t("frameworks.col.id"), disabled=True),
                           "text": st.column_config.TextColumn(t("frameworks.col.action"), width="large")},
        )
        field_error(errors, f"column_{index + 1}")
        edited_columns.append([{"id": str(r.get("id") or ""), "text": str(r.get("text") or "")}
                               for r in edited.fillna("").to_dict("records")])
    field_error(errors, "framework")
    if st.button(t("frameworks.save_component"), type="primary"):
        saved = submit(lambda session: services.save_contextualised_component(
            session, actor=actor, framework_version_id=chosen_id, component_code=code, columns=edited_columns),
            errors_key=ERRORS, general_field="framework", success=t("common.saved"))
        if saved is not NOT_SAVED:
            st.session_state[REVISION] += 1
        st.rerun()
else:
    if chosen.is_contextualised:
        st.info(tn("frameworks.frozen", chosen.assessments_using))
    for index, column in enumerate(component.columns):
        st.markdown(f"**{t('workshop.column_heading', level=level_label(COLUMN_TARGETS[index]))}**")
        for action in column:
            sources = f" — *{for_markdown('; '.join(action.sources))}*" if action.sources else ""
            st.markdown(f"- {markdown_code(action.id)} {for_markdown(action.text)}{sources}")

if not actor.has(Role.FACILITATOR):
    st.stop()
st.divider()
st.subheader(t("frameworks.copy_heading"))
with st.form("copy_framework"):
    base_id = st.selectbox(t("frameworks.copy_base"), list(labels), format_func=labels.get)
    title = st.text_input(t("frameworks.col.title"), value=t("frameworks.copy_default_title"), max_chars=300)
    field_error(errors, "title")
    version = st.text_input(t("frameworks.col.version"), placeholder="2019.1-valdoria", max_chars=40)
    field_error(errors, "version")
    note = st.text_area(t("frameworks.copy_note"))
    if st.form_submit_button(t("frameworks.copy_button"), type="primary"):
        submit(lambda session: services.create_contextualised_copy(
            session, actor=actor, base_version_id=base_id, version=version, title=title, context_note=note),
            errors_key=ERRORS, general_field="version", success=t("frameworks.copied"))
        st.rerun()

st.divider()
translation_panel("framework", [TranslatableVersion(v.id, v.label, v.key, v.version, v.language) for v in versions],
                  export=lambda session, who, version_id, language: services.translation_workbook_for(
                      session, actor=who, framework_version_id=version_id, target_language=language),
                  import_=lambda session, who, version_id, language, version, name, data, official:
                  services.import_translation(session, actor=who, source_version_id=version_id, language=language,
                                              version=version, filename=name, data=data, official=official),
                  errors_key="qaf_translation_errors")
