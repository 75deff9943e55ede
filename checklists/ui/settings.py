"""Review settings for a manager's agency: the SOP timeframes per step and risk level, the monthly sample size and
the score thresholds (each save is a new version; reviews keep the one they used), and the case file checklist
with the agency's contextual copies."""

from __future__ import annotations

import copy

import pandas as pd
import streamlit as st

from checklists.reports import step_label
from checklists.services import templates as services
from checklists.timeliness import RISK_LEVELS, STEPS
from checklists.ui.common import risk_text
from core.actor import Role
from core.i18n import join_messages, t
from core.safe_text import for_markdown
from core.ui import current_actor, field_error, page_for, submit, unit_of_work
from core.ui.translation import TranslatableVersion, translation_panel

ERRORS = "review_settings_errors"

actor = page_for(Role.MANAGER)
st.session_state.setdefault(ERRORS, {})
errors: dict[str, str] = st.session_state[ERRORS]
st.title(t("settings.title"))

with unit_of_work() as session:
    info = services.review_settings(session, actor=actor)
    templates = services.list_templates(session, actor=actor)
data = info.settings.data
st.caption(t("settings.version_line", number=info.number) if info.number else t("settings.defaults_line"))

tab_times, tab_checklist = st.tabs([t("settings.timeframes_tab"), t("settings.checklist_tab")])
with tab_times:
    st.caption(t("settings.timeframes_help"))
    with st.form(f"settings_{info.number}"):
        rows = []
        for step in STEPS:
            row = {"step": step.value, t("timeliness.col.step"): step_label(step)}
            for level in RISK_LEVELS:
                limit = data["timeframes"].get(step.value, {}).get(level)
                row[risk_text(level)] = (f"{limit['months']}m" if "months" in limit else str(limit["days"])) \
                    if limit else ""
            rows.append(row)
        edited = st.data_editor(pd.DataFrame(rows), hide_index=True, width="stretch", disabled=["step",
                                t("timeliness.col.step")], column_config={"step": None}, key=f"limits_{info.number}")
        field_error(errors, "limits")
        left, mid, right, far = st.columns(4)
        sample = left.number_input(t("settings.sample"), min_value=1, max_value=25,
                                   value=int(data["sampling"]["files_per_caseworker"]))
        scoring = data["scoring"]
        requires = mid.number_input(t("settings.requires_improvement"), 0.0, 100.0,
                                    float(scoring["requires_improvement"]))
        meets = right.number_input(t("settings.meets_minimum"), 0.0, 100.0, float(scoring["meets_minimum"]))
        good = far.number_input(t("settings.good_practice"), 0.0, 100.0, float(scoring["good_practice"]))
        note = st.text_input(t("settings.note"), max_chars=2000)
        field_error(errors, "settings")
        field_error(errors, "note")
        if st.form_submit_button(t("settings.save"), type="primary"):
            content = copy.deepcopy(data)
            problems = []
            for record in edited.to_dict("records"):
                per_level = {}
                for level in RISK_LEVELS:
                    text = str(record.get(risk_text(level)) or "").strip().lower()
                    if not text:
                        continue
                    try:
                        per_level[level] = {"months": int(text[:-1])} if text.endswith("m") else {"days": int(text)}
                    except ValueError:
                        problems.append(t("settings.error.limit", step=step_label(record["step"]),
                                          level=risk_text(level), value=text[:20]))
                content["timeframes"][record["step"]] = per_level
            content["sampling"]["files_per_caseworker"] = int(sample)
            content["scoring"] = {"requires_improvement": requires, "meets_minimum": meets, "good_practice": good}
            if problems:
                st.session_state[ERRORS] = {"limits": join_messages(problems)}
                st.rerun()
            submit(lambda s: services.save_review_settings(s, actor=current_actor(), content=content, note=note,
                                                          expected_number=info.number),
                   errors_key=ERRORS, general_field="settings", success=t("settings.saved"))
            st.rerun()

with tab_checklist:
    st.caption(t("settings.checklist_help"))
    st.dataframe(pd.DataFrame([{
        t("settings.col.checklist"): x.label, t("settings.col.items"): x.item_count,
        t("settings.col.kind"): t("settings.kind.copy") if x.agency_id else t("settings.kind.shipped"),
        t("settings.col.state"): t("settings.state.used") if x.used else (
            t("settings.state.editable") if x.editable else t("settings.state.fixed")),
    } for x in templates]), hide_index=True, width="stretch")
    labels = {x.id: x.label for x in templates}
    chosen_id = st.selectbox(t("settings.choose_checklist"), list(labels), format_func=labels.get,
                             index=len(labels) - 1)
    chosen = next(x for x in templates if x.id == chosen_id)
    with unit_of_work() as session:
        checklist = services.get_checklist(session, actor=actor, template_id=chosen_id)
    with st.expander(t("settings.copy_heading")), st.form("copy_checklist"):
        version = st.text_input(t("settings.copy_version"), max_chars=40)
        field_error(errors, "version")
        context = st.text_area(t("settings.copy_note"), max_chars=2000)
        field_error(errors, "context_note")
        if st.form_submit_button(t("settings.copy_button")):
            submit(lambda s: services.create_contextual_copy(s, actor=current_actor(), base_template_id=chosen_id,
                                                             version=version, context_note=context),
                   errors_key=ERRORS, general_field="version", success=t("settings.copied"))
            st.rerun()
    if chosen.editable:
        st.info(t("settings.edit_help"), icon=":material/edit:")
        content = checklist.to_dict()
        for index, section in enumerate(content["sections"]):
            with st.form(f"section_{chosen.id}_{chosen.version_id}_{index}"):
                st.markdown(f"**{for_markdown(section['code'])}. {for_markdown(section['title'])}**")
                frame = pd.DataFrame([{"id": i["id"], "text": i["text"], "guidance": i.get("guidance", ""),
                                       "computed": i.get("computed", "")} for i in section["items"]])
                table = st.data_editor(frame, num_rows="dynamic", hide_index=True, width="stretch",
                                       disabled=["computed"], key=f"items_{chosen.id}_{chosen.version_id}_{index}",
                                       column_config={"id": st.column_config.TextColumn(t("settings.col.id")),
                                                      "text": st.column_config.TextColumn(t("settings.col.text"),
                                                                                          width="large"),
                                                      "guidance": st.column_config.TextColumn(
                                                          t("settings.col.guidance")),
                                                      "computed": st.column_config.TextColumn(
                                                          t("settings.col.computed"))})
                if st.form_submit_button(t("settings.save_section")):
                    items = []
                    for record in table.to_dict("records"):
                        if not str(record.get("id") or "").strip() and not str(record.get("text") or "").strip():
                            continue
                        item = {"id": str(record.get("id") or "").strip(),
                                "text": str(record.get("text") or "").strip()}
                        if str(record.get("guidance") or "").strip():
                            item["guidance"] = str(record["guidance"]).strip()
                        if str(record.get("computed") or "").strip():
                            item["computed"] = str(record["computed"]).strip()
                        original = next((i for i in section["items"] if i["id"] == item["id"]), None)
                        if original is None:
                            item["added_in_context"] = True
                        items.append(item)
                    new_content = copy.deepcopy(content)
                    new_content["sections"][index]["items"] = items
                    submit(lambda s, c=new_content: services.save_template_content(
                        s, actor=current_actor(), template_id=chosen.id, content=c,
                        expected_version=chosen.version_id), errors_key=ERRORS, general_field="content",
                        success=t("settings.section_saved"))
                    st.rerun()
        field_error(errors, "content")
    else:
        if chosen.used and chosen.agency_id:
            st.caption(t("settings.frozen"))
        for section in checklist.sections:
            st.markdown(f"**{for_markdown(section.label)}**")
            st.dataframe(pd.DataFrame([{t("settings.col.id"): i.id, t("settings.col.text"): i.text,
                                        t("settings.col.guidance"): i.guidance,
                                        t("settings.col.computed"): step_label(i.computed) if i.computed else ""}
                                       for i in section.items]), hide_index=True, width="stretch")
    st.divider()
    translation_panel(
        "checklist", [TranslatableVersion(x.id, x.label, x.key, x.version, x.language) for x in templates],
        export=lambda session, who, template_id, language: services.checklist_translation_workbook(
            session, actor=who, template_id=template_id, target_language=language),
        import_=lambda session, who, template_id, language, version, name, data, official:
        services.import_checklist_translation(session, actor=who, source_template_id=template_id, language=language,
                                              version=version, filename=name, data=data, official=official),
        errors_key="checklist_translation_errors")
