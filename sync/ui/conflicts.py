"""Conflicts: what laptops and the server changed differently, waiting for a person of the agency to decide. The
server's value stays in place until then; each decision is audited and reaches every laptop on its next
exchange."""

from __future__ import annotations

import streamlit as st

from core.actor import Role
from core.i18n import catalogue, current_locale, format_datetime, t, t_plain, tn
from core.ui import field_error, label, page_for, submit, unit_of_work
from sync.conflicts import list_conflicts, resolve_conflict

ERRORS = "conflict_errors"

actor = page_for(Role.MANAGER, Role.FACILITATOR)
st.title(t("sync.conflicts.title"))
st.caption(t("sync.conflicts.intro"))
show_resolved = st.toggle(t("sync.conflicts.show_resolved"))
with unit_of_work() as session:
    conflicts = list_conflicts(session, actor=actor, status="resolved" if show_resolved else "open")
st.caption(tn("sync.conflicts.count", len(conflicts)))
errors: dict[str, dict[str, str]] = st.session_state.setdefault(ERRORS, {})


def shown(value) -> str:
    """A stored value as plain text (a record's fields one per line)."""
    if value is None or value == "":
        return t_plain("sync.conflicts.empty")
    if isinstance(value, dict):
        return "\n".join(f"{k}: {shown(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or t_plain("sync.conflicts.empty")
    return str(value)


def field_label(name: str) -> str:
    """A field as the forms name it, where this page knows it; otherwise its stored name made readable."""
    key = f"sync.field.{name}"
    return t_plain(key) if key in catalogue(current_locale()) else name.replace("_", " ").capitalize()


def who(name: str, moment) -> str:
    return f"{name or '—'}, {format_datetime(moment)}" if moment else (name or "—")


for conflict in conflicts:
    record = t_plain(f"sync.table.{conflict.table_name}")
    heading = label(record, "·", conflict.title, "·", field_label(conflict.field)) if conflict.field else label(
        record, "·", conflict.title)
    with st.container(border=True):
        st.markdown(f"**{t(f'sync.conflicts.kind.{conflict.kind}')}** — {heading}")
        st.caption(t("sync.conflicts.detected", laptop=conflict.replica_name,
                     when=format_datetime(conflict.detected_at)))
        if conflict.kind == "field":
            base, server, laptop = st.columns(3)
            base.caption(t("sync.conflicts.base"))
            base.text(shown(conflict.base_value))
            server.caption(t("sync.conflicts.server", who=who(conflict.server_by, conflict.server_at)))
            server.text(shown(conflict.server_value))
            laptop.caption(t("sync.conflicts.laptop", who=who(conflict.replica_by, conflict.replica_at)))
            laptop.text(shown(conflict.replica_value))
        elif conflict.kind == "deleted":
            st.caption(t("sync.conflicts.deleted_here") if conflict.server_deleted else
                       t("sync.conflicts.deleted_there", laptop=conflict.replica_name))
            st.text(shown(conflict.replica_value if conflict.server_deleted else conflict.server_value))
        else:
            server, laptop = st.columns(2)
            server.caption(t("sync.conflicts.duplicate_server"))
            server.text(shown(conflict.server_value))
            laptop.caption(t("sync.conflicts.duplicate_laptop", laptop=conflict.replica_name))
            laptop.text(shown(conflict.replica_value))
        if conflict.status != "open":
            st.caption(t("sync.conflicts.resolved", who=conflict.resolved_by,
                         when=format_datetime(conflict.resolved_at),
                         choice=t(f"sync.conflicts.choice.{conflict.kind}.{conflict.resolution}")))
            continue
        mine = errors.get(str(conflict.id), {})
        choices = {"field": ["server", "replica", *(["typed"] if conflict.typed_allowed else [])],
                   "deleted": ["server", "replica"], "duplicate": ["apart", "merge"]}[conflict.kind]
        choice = st.radio(t("sync.conflicts.decide"), choices, horizontal=True, key=f"choice_{conflict.id}",
                          format_func=lambda c, k=conflict.kind: t_plain(f"sync.conflicts.choice.{k}.{c}"))
        typed = ""
        if choice == "typed":
            typed = st.text_area(t("sync.conflicts.typed"), key=f"typed_{conflict.id}",
                                 value=conflict.server_value if isinstance(conflict.server_value, str) else "")
        elif conflict.kind == "duplicate" and choice == "apart" and conflict.table_name == "case_files":
            typed = st.text_input(t("sync.conflicts.new_case_code"), key=f"typed_{conflict.id}",
                                  help=t("sync.conflicts.new_case_code_help"))
        field_error(mine, "typed")
        field_error(mine, "choice")
        field_error(mine, "general")
        if st.button(t("sync.conflicts.save"), key=f"save_{conflict.id}", icon=":material/check:"):
            submit(lambda session, c=conflict, ch=choice, ty=typed: resolve_conflict(
                session, actor=actor, conflict_id=c.id, choice=ch, typed=ty, expected_version=c.version),
                errors_key=str(conflict.id), general_field="general", store=errors,
                success=t("sync.conflicts.saved"))
            st.rerun()

if not conflicts:
    st.info(t("sync.conflicts.none") if not show_resolved else t("sync.conflicts.none_resolved"),
            icon=":material/check_circle:")
