"""Case files: the ones the person may see, each with its timeliness; supervisors and managers enter, edit and
import them. A case is its case code: never a child's name."""

from __future__ import annotations

import hashlib
from datetime import date

import pandas as pd
import streamlit as st

from checklists.case_file import (
    OBJECTIVES_ACHIEVED,
    CaseFileDraft,
    CellError,
    format_days,
    format_risk_changes,
    parse_days,
    parse_risk_changes,
)
from checklists.services import case_files as services
from checklists.services import imports
from checklists.timeliness import CASE_STATUSES, RISK_LEVELS
from checklists.ui.common import risk_text, timeliness_table
from core.actor import Role
from core.i18n import format_date, format_number, join_messages, t
from core.safe_text import for_markdown
from core.ui import NOT_SAVED, field_error, page_for, submit, unit_of_work
from core.ui.paging import PAGE_SIZE, page_start, pager

ERRORS = "case_file_errors"
IMPORT_RESULT = "case_file_import_result"
UPLOAD_LABELS = "case_file_import_labels"  # (the upload's digest, its risk labels to map): a file is read once
WARNING = "case_file_name_warning"
LIST_FIELDS = ("follow_ups", "case_plan_reviews", "reassessments")

actor = page_for(Role.SUPERVISOR, Role.MANAGER, Role.CASEWORKER)
st.session_state.setdefault(ERRORS, {})
errors: dict[str, str] = st.session_state[ERRORS]
editor = actor.has(*services.EDITORS)
st.title(t("case_file.title"))
st.caption(t("case_file.intro"))

with unit_of_work() as session:
    caseworkers = services.caseworkers_to_choose(session, actor=actor) if editor else []
    people = services.case_file_caseworkers(session, actor=actor)
    total = services.count_case_files(session, actor=actor)

left, mid, right, far = st.columns(4)
chosen_person = left.selectbox(t("case_file.filter.caseworker"), [None, *[p[0] for p in people]],
                               format_func=lambda i: t("case_file.filter.anyone") if i is None
                               else dict(people)[i])
chosen_status = mid.selectbox(t("case_file.field.status"), ["", *CASE_STATUSES],
                              format_func=lambda s: t(f"case_status.{s}") if s else t("case_file.filter.any"))
chosen_risk = right.selectbox(t("case_file.field.risk_level"), ["", *RISK_LEVELS],
                              format_func=lambda s: risk_text(s) if s else t("case_file.filter.any"))
code_search = far.text_input(t("case_file.filter.code"), max_chars=60)
filters = services.CaseFileFilter(caseworker_id=chosen_person, status=chosen_status, risk_level=chosen_risk,
                                  code_contains=code_search)
start_row = page_start("case_files", filters)
with unit_of_work() as session:
    matching = services.count_case_files(session, actor=actor, filters=filters)
    shown = services.case_file_index(session, actor=actor, filters=filters, offset=start_row, limit=PAGE_SIZE)

if shown:
    st.caption(t("case_file.count", shown=format_number(matching), total=format_number(total)))
    st.dataframe(pd.DataFrame([{
        t("case_file.field.case_code"): f.case_code, t("case_file.field.caseworker"): f.caseworker_name,
        t("case_file.field.risk_level"): risk_text(f.risk_level), t("case_file.field.status"):
            t(f"case_status.{f.status}"), t("case_file.field.registered_on"): format_date(f.registered_on),
        t("case_file.field.case_plan_on"): format_date(f.case_plan_on),
        t("case_file.col.last_reviewed"): format_date(f.last_reviewed_on) or "—",
    } for f in shown]), hide_index=True, width="stretch")
    pager("case_files", matching)
elif total:
    st.info(t("case_file.none_match"))
else:
    st.info(t("case_file.empty_editor") if editor else t("case_file.empty"))

chosen = None
if shown:
    labels = {f.id: f"{f.case_code} — {f.caseworker_name}" for f in shown}
    wanted = st.query_params.get("case_file", "")
    ids = list(labels)
    index = next((i for i, k in enumerate(ids) if str(k) == wanted), 0)
    chosen_id = st.selectbox(t("case_file.choose"), ids, index=index, format_func=labels.get)
    st.query_params["case_file"] = str(chosen_id)
    with unit_of_work() as session:
        chosen = services.get_case_file(session, actor=actor, case_file_id=chosen_id)
        results = services.case_file_timeliness(session, actor=actor, case_file_id=chosen.id)
    st.subheader(t("case_file.timeliness_heading", code=chosen.case_code))
    st.caption(t("case_file.timeliness_help", date=format_date(date.today())))
    timeliness_table(results)


def case_file_form(key: str, current: services.CaseFileView | None) -> CaseFileDraft | None:
    """The form; returns a draft when submitted (cells that cannot be read become field messages)."""
    draft = current.as_draft() if current else None
    with st.form(key):
        st.warning(t("case_file.no_names"), icon=":material/privacy_tip:")
        code = st.text_input(t("case_file.field.case_code"), value=draft.case_code if draft else "", max_chars=60,
                             help=t("case_file.help.case_code"))
        field_error(errors, "case_code")
        one, two, three = st.columns(3)
        ids = [c.id for c in caseworkers]
        names = {c.id: c.name for c in caseworkers}
        if draft and draft.caseworker_id not in names:
            names[draft.caseworker_id or 0] = current.caseworker_name if current else ""
            ids.insert(0, draft.caseworker_id or 0)
        caseworker_id = one.selectbox(t("case_file.field.caseworker"), ids, format_func=names.get,
                                      index=ids.index(draft.caseworker_id) if draft and draft.caseworker_id in ids
                                      else 0)
        with one:
            field_error(errors, "caseworker")
        risk = two.selectbox(t("case_file.field.risk_level"), RISK_LEVELS, format_func=risk_text,
                             index=RISK_LEVELS.index(draft.risk_level) if draft else 1)
        with two:
            field_error(errors, "risk_level")
        status = three.selectbox(t("case_file.field.status"), CASE_STATUSES,
                                 format_func=lambda s: t(f"case_status.{s}"),
                                 index=CASE_STATUSES.index(draft.status) if draft else 0)
        with three:
            field_error(errors, "status")
        dates: dict[str, date | None] = {}
        columns = st.columns(3)
        for position, name in enumerate(("identified_on", "registered_on", "assessed_on", "case_plan_on",
                                         "first_action_on", "closed_on", "post_closure_follow_up_on")):
            with columns[position % 3]:
                value = st.date_input(t(f"case_file.field.{name}"), value=getattr(draft, name) if draft else None,
                                      format="YYYY-MM-DD", max_value=date.today(), min_value=date(1990, 1, 1))
                dates[name] = value if isinstance(value, date) else None
                field_error(errors, name)
        texts: dict[str, str] = {}
        for name in LIST_FIELDS:
            texts[name] = st.text_input(t(f"case_file.field.{name}"), help=t("case_file.help.list"),
                                        value=format_days(getattr(draft, name)) if draft else "",
                                        placeholder="2026-03-01; 2026-03-15")
            field_error(errors, name)
        texts["risk_changes"] = st.text_input(t("case_file.field.risk_changes"), help=t("case_file.help.risk_changes"),
                                              value=format_risk_changes(draft.risk_changes) if draft else "",
                                              placeholder="2026-03-01:high; 2026-04-10:medium")
        field_error(errors, "risk_changes")
        reason = st.text_input(t("case_file.field.closure_reason"), value=draft.closure_reason if draft else "",
                               max_chars=500, help=t("case_file.help.closure_reason"))
        field_error(errors, "closure_reason")
        choices = ["", *OBJECTIVES_ACHIEVED]
        objectives = st.radio(t("case_file.field.objectives_achieved"), choices, horizontal=True,
                              index=choices.index(draft.objectives_achieved) if draft else 0,
                              format_func=lambda v: t(f"case_file.objectives.{v or 'unknown'}"),
                              help=t("case_file.help.objectives_achieved"))
        field_error(errors, "objectives_achieved")
        field_error(errors, "general")
        if not st.form_submit_button(t("common.save"), type="primary"):
            return None
    parsed: dict[str, object] = {}
    problems: dict[str, str] = {}
    for name in LIST_FIELDS:
        try:
            parsed[name] = parse_days(texts[name], name)
        except CellError as exc:
            problems[name] = str(exc)
    try:
        parsed["risk_changes"] = parse_risk_changes(texts["risk_changes"], "risk_changes", {})
    except CellError as exc:
        problems["risk_changes"] = str(exc)
    if problems:
        st.session_state[ERRORS] = problems
        st.rerun()
    return CaseFileDraft(case_code=code, caseworker_id=caseworker_id or None, risk_level=risk, status=status,
                         closure_reason=reason, objectives_achieved=objectives or "", **dates, **parsed)  # type: ignore[arg-type]


def _save(action, success: str, warning: str = "") -> None:  # type: ignore[no-untyped-def]
    if submit(action, errors_key=ERRORS, general_field="general", success=success) is not NOT_SAVED and warning:
        st.session_state[WARNING] = warning  # saved, and worth a second look
    st.rerun()


if not editor:
    st.stop()
if not caseworkers:
    st.info(t("case_file.no_caseworkers"))
    st.stop()

tab_add, tab_edit, tab_import = st.tabs([t("case_file.add"), t("case_file.edit"), t("case_file.import.title")])
with tab_add:
    added = case_file_form("add_case_file", None)
    if added is not None:
        _save(lambda s: services.create_case_file(s, actor=actor, draft=added), t("case_file.saved"),
              services.name_warning(added.case_code.strip()))
with tab_edit:
    if chosen is None:
        st.info(t("case_file.choose_first"))
    else:
        edited = case_file_form(f"edit_case_file_{chosen.id}_{chosen.version_id}", chosen)
        if edited is not None:
            _save(lambda s: services.update_case_file(s, actor=actor, case_file_id=chosen.id, draft=edited,
                                                      expected_version=chosen.version_id), t("case_file.saved"),
                  services.name_warning(edited.case_code.strip()))
if st.session_state.get(WARNING):
    st.warning(for_markdown(st.session_state.pop(WARNING)), icon=":material/warning:")
with tab_import:
    st.caption(t("case_file.import.intro"))
    left, right = st.columns(2)
    left.download_button(t("case_file.import.template_xlsx"), data=imports.case_file_template_xlsx,
                         file_name="case-file-import-template.xlsx", icon=":material/table:",
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    right.download_button(t("case_file.import.template_csv"), data=imports.case_file_template_csv,
                          file_name="case-file-import-template.csv", mime="text/csv", icon=":material/csv:")
    with unit_of_work() as session:
        agencies = dict(imports.agencies_to_import_into(session, actor=actor))
    agency_id = st.selectbox(t("case_file.import.agency"), list(agencies), format_func=agencies.get)
    upload = st.file_uploader(t("case_file.import.file"), type=["csv", "xlsx"])
    field_error(errors, "file")
    mapping: dict[str, str] = {}
    if upload is not None:
        content = upload.getvalue()
        digest = hashlib.sha256(upload.name.encode() + b"\0" + content).hexdigest()
        read = st.session_state.get(UPLOAD_LABELS)
        if read is None or read[0] != digest:  # a new upload: read it; every rerun after uses what was read
            try:
                labels = imports.unmapped_risk_labels(upload.name, content)
            except Exception:
                labels = []  # the import, when clicked, names what is wrong with the file
            st.session_state[UPLOAD_LABELS] = read = (digest, labels)
        if read[1]:
            st.markdown(t("case_file.import.map_heading"))
            for label in read[1]:
                mapping[label] = st.selectbox(t("case_file.import.map_label", label=for_markdown(label)),
                                              RISK_LEVELS, format_func=risk_text, key=f"risk_map_{label}")
    if upload is not None and agency_id is not None and st.button(t("case_file.import.button"), type="primary"):
        with st.spinner(t("case_file.import.running")):
            report = submit(lambda session: imports.import_case_files(
                session, actor=actor, agency_id=agency_id, filename=upload.name, content=upload.getvalue(),
                risk_mapping=mapping), errors_key=ERRORS, general_field="file")
        if isinstance(report, imports.CaseImportReport):
            message = t("case_file.import.done", created=report.created, updated=report.updated)
            if report.name_warnings:
                message = join_messages([message, "", t("case_file.import.name_warnings"),
                                         *report.name_warnings[:20]])
            st.session_state[IMPORT_RESULT] = message
        st.rerun()
    if st.session_state.get(IMPORT_RESULT):
        st.success(for_markdown(st.session_state.pop(IMPORT_RESULT)))
