"""Sync: on a laptop, send the changes made here to the server and take in what the server sends; on the server,
enrol laptops (comparing key fingerprints), make each laptop's bundle, take in theirs, revoke a lost one."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from core.i18n import format_datetime, format_number, t, t_plain, tn
from core.ui import NOT_SAVED, current_actor, deferred_download, field_error, label, submit, unit_of_work
from sync import exchange
from sync.bundle import BundleError
from sync.keys import KeyMissing

ERRORS = "sync_errors"
ENROLLED = "sync_enrolled"  # the starting bundle just made: shown once, with the fingerprints to compare
IMPORTED = "sync_imported"  # the outcome of the import just made, shown once
MIME = "application/octet-stream"

actor = current_actor()
errors: dict[str, str] = st.session_state.get(ERRORS, {})
st.title(t("sync.title"))
with unit_of_work() as session:
    status = exchange.sync_status(session)
    agencies = dict(exchange.agency_choices(session))


def _when(moment) -> str:
    return format_datetime(moment) if moment is not None else t_plain("sync.never")


def _refusal(action):
    """Run a bundle action; what stops it becomes a message next to the field, and nothing is changed."""
    def run(session):
        try:
            return action(session)
        except (exchange.SyncRefused, BundleError, KeyMissing) as exc:
            from core.errors import ValidationFailed

            raise ValidationFailed({"file": str(exc)}) from exc
    return run


def passphrase_fields(key: str, *, confirm: bool) -> str | None:
    """The passphrase, typed twice when a bundle is made; None (with a message) until it can be used."""
    first = st.text_input(t("sync.passphrase"), type="password", key=f"{key}_passphrase",
                          help=t("sync.passphrase_help"))
    if not confirm:
        return first or None
    again = st.text_input(t("sync.passphrase_again"), type="password", key=f"{key}_passphrase_again")
    if first and again and first != again:
        st.error(t("sync.error.passphrases_differ"), icon=":material/error:")
        return None
    return first if first and first == again else None


def show_result(result: exchange.ImportResult) -> None:
    if result.already_imported:
        st.info(t("sync.imported_before"), icon=":material/info:")
        return
    st.success(t("sync.imported", sender=result.sender, applied=format_number(result.applied),
                 deleted=format_number(result.deleted), audit=format_number(result.audit_records)),
               icon=":material/check_circle:")
    if result.conflicts:
        st.warning(tn("sync.conflicts_found", result.conflicts), icon=":material/call_split:")


def import_section(key: str, heading: str, intro: str) -> None:
    st.subheader(heading)
    st.caption(intro)
    upload = st.file_uploader(t("sync.bundle_file"), type=["cpcmsync"], key=f"{key}_file")
    passphrase = passphrase_fields(key, confirm=False)
    field_error(errors, "file")
    if st.button(t("sync.import_button"), icon=":material/upload:", disabled=upload is None or not passphrase,
                 key=f"{key}_import"):
        with st.status(t("sync.importing"), expanded=False) as progress:
            result = submit(_refusal(lambda session: exchange.import_uploaded(
                session, actor=actor, data=upload.getvalue(), passphrase=passphrase or "",
                progress=lambda text: progress.update(label=t("sync.importing_progress", progress=text)))),
                errors_key=ERRORS, general_field="file")
            progress.update(label=t("sync.import_done") if result is not NOT_SAVED else t("sync.import_refused"),
                            state="complete" if result is not NOT_SAVED else "error")
        if result is not NOT_SAVED:
            st.session_state[IMPORTED] = result  # shown by the next run, whose figures include the bundle
        st.rerun()
    if (done := st.session_state.pop(IMPORTED, None)) is not None:
        show_result(done)


if status.me is not None and status.me.role == "laptop":
    server = status.peers[0] if status.peers else None
    st.caption(t("sync.laptop_intro", name=status.me.name, server=server.name if server else "—"))
    left, middle, right = st.columns(3)
    left.metric(t("sync.waiting"), format_number(status.waiting))
    for column, heading, moment in ((middle, "sync.last_sent", server.last_sent_at if server else None),
                                    (right, "sync.last_received", server.last_received_at if server else None)):
        column.caption(t(heading))  # a date and time: too long for a metric's large figures in a third of a page
        column.markdown(f"**{_when(moment)}**")
    st.caption(t("sync.fingerprints", mine=status.me.fingerprint, theirs=server.fingerprint if server else "—"))
    st.subheader(t("sync.send_heading"))
    st.caption(t("sync.send_intro"))
    passphrase = passphrase_fields("send", confirm=True)
    if passphrase:
        deferred_download(st, t("sync.download_for_server"), build=lambda session, person: exchange.bundle_bytes(
            lambda path: exchange.export_changes(session, actor=person, out=path, passphrase=passphrase))[0],
            file_name=f"{status.me.name}-to-server-{date.today().isoformat()}.cpcmsync", mime=MIME,
            icon=":material/download:", key="send_download")
    st.divider()
    import_section("receive", t("sync.receive_heading"), t("sync.receive_intro"))
else:
    if not actor.is_admin:
        st.info(t("sync.admin_only"), icon=":material/lock:")
        st.stop()
    if status.me is None:
        st.caption(t("sync.standalone_intro"))
    else:
        st.caption(t("sync.server_intro", fingerprint=status.me.fingerprint))
        left, right = st.columns(2)
        left.metric(t("sync.laptops"), format_number(len(status.peers)))
        right.metric(t("sync.open_conflicts"), format_number(status.open_conflicts))
        if status.peers:
            st.dataframe(pd.DataFrame([{
                t_plain("sync.col.laptop"): p.name, t_plain("sync.col.agency"): agencies.get(p.agency_id, ""),
                t_plain("sync.col.status"): t_plain(f"sync.status.{p.status}"),
                t_plain("sync.col.last_sent"): _when(p.last_sent_at),
                t_plain("sync.col.last_received"): _when(p.last_received_at),
                t_plain("sync.col.fingerprint"): p.fingerprint} for p in status.peers]),
                hide_index=True, width="stretch")

    st.subheader(t("sync.enrol_heading"))
    st.caption(t("sync.enrol_intro"))
    enrolled = st.session_state.get(ENROLLED)
    if enrolled:
        st.success(t("sync.enrolled", name=enrolled["name"]), icon=":material/check_circle:")
        st.markdown(t("sync.compare_fingerprints", laptop=enrolled["laptop"], server=enrolled["server"]))
        st.download_button(t("sync.download_start"), data=enrolled["data"], mime=MIME, icon=":material/download:",
                           file_name=f"{enrolled['name']}-start.cpcmsync", on_click="ignore")
        if st.button(t("sync.enrol_another")):
            st.session_state.pop(ENROLLED, None)
            st.rerun()
    else:
        name = st.text_input(t("sync.laptop_name"), max_chars=120, key="enrol_name")
        field_error(errors, "name")
        agency = st.selectbox(t("sync.agency"), list(agencies), format_func=lambda i: agencies[i],
                              index=list(agencies).index(actor.agency_id) if actor.agency_id in agencies else 0,
                              key="enrol_agency") if agencies else None
        field_error(errors, "agency")
        passphrase = passphrase_fields("enrol", confirm=True)
        field_error(errors, "enrol")
        if st.button(t("sync.enrol_button"), icon=":material/add_link:", disabled=not passphrase):
            with st.spinner(t("sync.enrolling")):
                outcome = submit(lambda session: exchange.bundle_bytes(lambda path: exchange.enrol_laptop(
                    session, actor=actor, name=name, agency_id=agency, out=path, passphrase=passphrase or "")),
                    errors_key=ERRORS, general_field="enrol")
            if outcome is not NOT_SAVED:
                data, done = outcome
                st.session_state[ENROLLED] = {"name": done.laptop, "laptop": done.laptop_fingerprint,
                                              "server": done.server_fingerprint, "data": data}
            st.rerun()

    active = [p.name for p in status.peers if p.status == "active"]
    if active:
        st.divider()
        st.subheader(t("sync.for_laptop_heading"))
        st.caption(t("sync.for_laptop_intro"))
        chosen = st.selectbox(t("sync.col.laptop"), active, key="for_laptop")
        passphrase = passphrase_fields("for_laptop", confirm=True)
        if passphrase:
            deferred_download(st, label(t("sync.download_for_laptop", name=chosen)), build=lambda session, person:
                              exchange.bundle_bytes(lambda path: exchange.export_changes(
                                  session, actor=person, out=path, passphrase=passphrase, for_laptop=chosen))[0],
                              file_name=f"server-to-{chosen}-{date.today().isoformat()}.cpcmsync", mime=MIME,
                              icon=":material/download:", key="for_laptop_download")
        st.divider()
        import_section("from_laptop", t("sync.from_laptop_heading"), t("sync.from_laptop_intro"))
        st.divider()
        st.subheader(t("sync.revoke_heading"))
        st.caption(t("sync.revoke_intro"))
        lost = st.selectbox(t("sync.col.laptop"), active, key="revoke_laptop")
        sure = st.checkbox(t("sync.revoke_confirm", name=lost), key="revoke_sure")
        field_error(errors, "revoke")
        if st.button(t("sync.revoke_button"), icon=":material/link_off:", disabled=not sure):
            submit(lambda session: exchange.revoke_laptop(session, actor=actor, name=lost), errors_key=ERRORS,
                   general_field="revoke", success=t("sync.revoked", name=lost))
            st.rerun()
