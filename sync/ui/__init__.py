"""Sync's pages: exchanges with the server or the laptops, and the conflicts a person decides."""

from __future__ import annotations

from sqlalchemy import select

from core.actor import Actor, Role
from core.ui import engine, once_per_run
from core.ui.navigation import PageEntry
from sync.models import SyncClock

ADMIN = "nav.section.admin"


def replica_role() -> str:
    """What this database is: standalone, server or laptop (read once per page run)."""
    def load() -> str:
        with engine().connect() as connection:
            return connection.execute(select(SyncClock.role).where(SyncClock.id == 1)).scalar() or "standalone"

    return once_per_run("sync_role", load)


def pages(actor: Actor) -> list[PageEntry]:
    entries = []
    if actor.is_admin or replica_role() == "laptop":
        entries.append(PageEntry(ADMIN, "sync/ui/exchanges.py", "nav.sync", ":material/sync_alt:"))
    if actor.has(Role.MANAGER, Role.FACILITATOR) and replica_role() == "server":
        entries.append(PageEntry(ADMIN, "sync/ui/conflicts.py", "nav.conflicts", ":material/call_split:"))
    return entries


def first_run_import() -> None:
    """On an empty installation: become a laptop of a country server from the starting bundle an administrator
    made there, without a terminal. The bundle is checked against the server key it carries; the fingerprints are
    shown to compare with the administrator's."""
    import streamlit as st

    from accounts.ui.login import NOTICE
    from core.actor import SYSTEM
    from core.errors import ValidationFailed
    from core.i18n import t
    from core.ui import NOT_SAVED, field_error, submit
    from sync import exchange
    from sync.bundle import BundleError
    from sync.keys import KeyMissing

    errors = st.session_state.get("sync_first_run_errors", {})
    with st.expander(t("sync.first_run.heading")):
        st.caption(t("sync.first_run.intro"))
        upload = st.file_uploader(t("sync.bundle_file"), type=["cpcmsync"], key="first_run_bundle")
        passphrase = st.text_input(t("sync.passphrase"), type="password", key="first_run_passphrase")
        field_error(errors, "file")
        if st.button(t("sync.first_run.button"), disabled=upload is None or not passphrase):
            def start(session):  # type: ignore[no-untyped-def]
                try:
                    return exchange.import_uploaded(session, actor=SYSTEM, data=upload.getvalue(),
                                                    passphrase=passphrase)
                except (exchange.SyncRefused, BundleError, KeyMissing) as exc:
                    raise ValidationFailed({"file": str(exc)}) from exc

            with st.spinner(t("sync.importing")):
                result = submit(start, errors_key="sync_first_run_errors", general_field="file")
            if result is not NOT_SAVED:
                st.session_state[NOTICE] = t("sync.first_run.done", name=result.became, server=result.sender,
                                             laptop=result.fingerprints[0], server_key=result.fingerprints[1])
            st.rerun()
