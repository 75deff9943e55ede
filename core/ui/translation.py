"""The translation workflow for framework content, one component for the Change Grid and the checklist: download
a version as a translation workbook, have it filled in, import it as a new version in the other language."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import streamlit as st
from sqlalchemy.orm import Session

from core.actor import Actor
from core.i18n import LANGUAGE_NAMES, available_locales, t
from core.ui import current_actor, deferred_download, field_error, submit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class TranslatableVersion:
    id: int
    label: str
    key: str
    version: str
    language: str


def translation_panel(prefix: str, versions: Sequence[TranslatableVersion], *,
                      export: Callable[[Session, Actor, int, str], bytes],
                      import_: Callable[[Session, Actor, int, str, str, str, bytes, bool], int],
                      errors_key: str) -> None:
    """Step 1 downloads the chosen version's texts for a language; step 2 imports the filled file. Nothing is
    stored unless every row of the file is sound."""
    actor = current_actor()
    errors: dict[str, str] = st.session_state.setdefault(errors_key, {})
    st.subheader(t("translation.ui.heading"))
    st.caption(t("translation.ui.intro"))
    labels = {v.id: v.label for v in versions}
    source_id = st.selectbox(t("translation.ui.source"), list(labels), format_func=labels.get,
                             key=f"{prefix}_translation_source")
    source = next(v for v in versions if v.id == source_id)
    targets = [code for code in available_locales() if code != source.language]
    target = st.selectbox(t("translation.ui.language"), targets, format_func=lambda c: LANGUAGE_NAMES.get(c, c),
                          key=f"{prefix}_translation_language")
    field_error(errors, "language")
    if target is None:
        return
    words = "-".join(re.findall(r"\w+", f"{source.key} {source.version}".lower()))[:60]
    deferred_download(st, t("translation.ui.download"), file_name=f"translation_{words}_{target}.xlsx", mime=XLSX,
                      icon=":material/download:", key=f"{prefix}_translation_download",
                      build=lambda session, who: export(session, who, source_id, target))
    with st.form(f"{prefix}_translation_import"):
        upload = st.file_uploader(t("translation.ui.file"), type=["xlsx", "csv"])
        field_error(errors, "file")
        version = st.text_input(t("translation.ui.version"), value=f"{source.version}-{target}", max_chars=40)
        field_error(errors, "version")
        official = st.checkbox(t("translation.ui.official"), help=t("translation.ui.official_help"))
        if st.form_submit_button(t("translation.ui.import"), type="primary"):
            if upload is None:
                st.session_state[errors_key] = {"file": t("translation.ui.no_file")}
            else:
                name, data = upload.name, upload.getvalue()
                submit(lambda session: import_(session, actor, source_id, target, version, name, data, official),
                       errors_key=errors_key, general_field="file", success=t("translation.ui.imported"))
            st.rerun()
