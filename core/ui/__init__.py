"""Streamlit helpers shared by every package's pages: the cached engine, the signed-in person, the unit-of-work
wrapper, the one submit helper for page writes, the one deferred download, field messages, the one way stored text
goes into a label.

This is the base layer's only Streamlit code; feature pages live in each feature's ``ui/`` folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar
from weakref import ref

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.actor import Actor, Role
from core.config import get_settings
from core.db import make_engine, migrate_to_head, session_scope
from core.errors import ANY_FIELD, Conflict, Forbidden, NotFound, ReadOnly, Unavailable, ValidationFailed
from core.i18n import (
    Markdown,
    current_locale,
    plain_text,
    set_locale_source,
    set_markup_source,
    set_timezone_source,
    t,
    using_locale,
)
from core.safe_text import for_markdown

T = TypeVar("T")
ACTOR = "auth_actor"  # set by the sign-in gate in each run, forgotten when the run ends; owned by no widget
ACCOUNT = "auth_account_id"  # who signed in in this browser session
SESSION = "auth_session_id"  # their sign-in session record (shared with the browser's other tabs)
LOCALE = "auth_locale"  # the signed-in person's language (or the server default); written only by use_language


# The language and time zone of each page run, read once: a table of a thousand rows asks for them thousands of
# times, and each read of the session state takes its lock. Forgotten at the start of every run (``start_run``)
# and changed only through ``use_language``.
_run_memo: dict[int, tuple[ref[Any], dict[str, str | None]]] = {}  # by run context, while it lives


def _memo() -> dict[str, str | None] | None:
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None:
        return None
    key = id(ctx)
    entry = _run_memo.get(key)
    if entry is None or entry[0]() is not ctx:
        entry = (ref(ctx, lambda _gone: _run_memo.pop(key, None)), {})
        _run_memo[key] = entry
    return entry[1]


def _session_locale() -> str | None:
    """The language of the person whose page run (or button callback) this is; none outside a page run."""
    memo = _memo()
    if memo is None:
        return None
    if "locale" not in memo:
        memo["locale"] = st.session_state.get(LOCALE)
    return memo["locale"]


def use_language(locale: str | None) -> None:
    """Show the rest of this run, and the runs after, in ``locale``."""
    st.session_state[LOCALE] = locale
    memo = _memo()
    if memo is not None:
        memo["locale"] = locale


def _browser_timezone() -> str | None:
    """The reader's time zone as their browser reports it; none outside a page run."""
    memo = _memo()
    if memo is None:
        return None
    if "timezone" not in memo:
        zone = st.context.timezone
        memo["timezone"] = zone if isinstance(zone, str) else None
    return memo["timezone"]


def _in_page_run() -> bool:
    """Messages made now are shown on a page (as Markdown): a page run, or one of its button callbacks, is going
    on. A download built when clicked, a command-line job and a test outside a page run have none."""
    return get_script_run_ctx(suppress_warning=True) is not None


set_locale_source(_session_locale)
set_timezone_source(_browser_timezone)
set_markup_source(_in_page_run)


def label(*parts: object, sep: str = " ") -> Markdown:
    """The one way a page puts stored text (a name, a title, a note) into an element that renders Markdown: a
    button, an expander, a tab, a radio choice, a caption, a heading, an alert, a tooltip. Each part shows as
    typed (``Markdown`` parts, such as messages from ``t``, are kept), numbers and dates as text, empty parts
    left out, joined by ``sep`` (which the code writes, so it is not escaped)."""
    return Markdown(sep.join(for_markdown(part if isinstance(part, str) else str(part))
                             for part in parts if part is not None and part != ""))

_preparation: list[Callable[[Engine], None]] = [migrate_to_head]


def set_database_preparation(prepare: Callable[[Engine], None]) -> None:
    """What to do to a database before the first page uses it (migrate, seed bundled content). The entry point
    sets it, because only the top of the app knows every feature."""
    _preparation[:] = [prepare]


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    """One engine per process and database URL, prepared the first time."""
    engine = make_engine(url)
    _preparation[0](engine)
    return engine


RUN = "ui_this_run"  # what this page run has already loaded; emptied by the entry point at the start of each run


def start_run() -> None:
    """Called by the entry point first thing in every run: forget what the previous run loaded."""
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is not None:
        _run_memo.pop(id(ctx), None)
    st.session_state[RUN] = {}


def once_per_run(key: str, load: Callable[[], T]) -> T:
    """``load()`` the first time in this page run, the same value after (the sidebar and the page share it)."""
    loaded: dict[str, Any] = st.session_state.setdefault(RUN, {})
    if key not in loaded:
        loaded[key] = load()
    return loaded[key]


def engine() -> Engine:
    """The process's engine for the configured database (looked up once per page run: a page opens several units
    of work, and Streamlit's resource cache costs more to ask than the query it guards)."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return _engine_for(get_settings().database_url)
    return once_per_run("engine", lambda: _engine_for(get_settings().database_url))


SessionCheck = Callable[[Session, "int | None"], "tuple[Actor | None, str]"]
_session_check: list[SessionCheck] = []


def set_session_check(check: SessionCheck) -> None:
    """Register how to check a signed-in browser against the database: the session record live and within the
    idle timeout, the account active, not locked, with its current roles. Returns the person, or ``None`` and
    why not. The accounts feature registers it."""
    _session_check[:] = [check]


def checked_actor(db: Engine, session_id: int | None, account_id: int | None = None) -> Actor:
    """The person, checked again now. A refusal is recorded (``session_scope`` records every ``Forbidden``).
    Used where the sign-in gate has not run: button callbacks, and downloads built after the page was drawn."""
    with session_scope(db, actor=Actor(account_id=account_id, name=f"account {account_id}")) as session:
        if session_id is None or not _session_check:
            raise Forbidden(t("common.error.signed_out"))
        actor, reason = _session_check[0](session, session_id)
        if actor is None:
            raise Forbidden(reason)
    return actor


def current_actor() -> Actor:
    """The signed-in person. In the page run, the one the sign-in gate checked at the top of this run. In a button
    callback (Streamlit runs those before the script, so before the gate) the account is checked again against
    the database first: nothing is saved on behalf of someone deactivated, locked, timed out or no longer in the
    role."""
    actor = st.session_state.get(ACTOR)
    if actor is not None:
        return actor
    return checked_actor(engine(), st.session_state.get(SESSION), st.session_state.get(ACCOUNT))


def end_run() -> None:
    """Called by the entry point when a run ends however it ends: the next run's callbacks check again."""
    st.session_state.pop(ACTOR, None)


def part_rerun() -> bool:
    """This run redraws only a part of the page (``page_part``): the page above it, the sign-in gate included,
    did not run, and what the page read for it may have changed since."""
    ctx = get_script_run_ctx(suppress_warning=True)
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def page_part(body: Callable[..., None]) -> Callable[..., None]:
    """A part of a page that a click inside it redraws on its own (Streamlit's fragment): a tick costs the part,
    not the whole page with its menu, its sign-in check and every other part.

    The whole page draws it with the arguments it read. On the part's own runs the gate has not run, so the
    person is checked again against the database first (signed out, deactivated or no longer in the role: the
    whole page runs, and the gate says why), and ``part_rerun()`` tells the body to read afresh what it shows."""

    @st.fragment
    @wraps(body)
    def part(*args: Any, **kwargs: Any) -> None:
        if not part_rerun():
            body(*args, **kwargs)
            return
        try:
            st.session_state[ACTOR] = checked_actor(engine(), st.session_state.get(SESSION),
                                                    st.session_state.get(ACCOUNT))
        except Forbidden:
            st.rerun(scope="app")
        try:
            body(*args, **kwargs)
        except Unavailable as exc:  # the database is away: what is on screen stays, with the reason
            st.error(str(exc), icon=":material/cloud_off:")
        except Forbidden:  # no longer allowed what the part shows (a role, a membership): the page says so
            st.rerun(scope="app")
        finally:
            st.session_state.pop(ACTOR, None)

    return part


def page_for(*roles: Role) -> Actor:
    """The signed-in person, if they hold one of ``roles``; otherwise say so and end the page."""
    actor = current_actor()
    if not actor.has(*roles):
        st.error(t("common.error.forbidden"))
        st.stop()
    return actor


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One transaction on behalf of the signed-in person; every change in it is attributed and audited."""
    with session_scope(engine(), actor=st.session_state.get(ACTOR)) as session:
        yield session


def field_error(errors: dict[str, str], name: str) -> None:
    """Show the message for ``name`` right where the field is."""
    if name in errors:
        st.error(for_markdown(errors[name]), icon=":material/error:")


NOT_SAVED = object()


def submit(action: Callable[[Session], T], *, errors_key: str, general_field: str, success: str = "",
           store: MutableMapping[str, Any] | None = None) -> T | object:
    """Run one write in one transaction and put what went wrong where the page shows it: field messages under
    their fields, anything else (a conflict, no access, a vanished record) under ``general_field``. Returns the
    action's result, or ``NOT_SAVED``; what the person typed is never touched, so nothing is lost.

    Messages are kept at ``store[errors_key]``: the session state, or a page's own mapping when it keeps one set
    of messages per item (one per workshop component)."""
    target: MutableMapping[str, Any] = st.session_state if store is None else store
    try:
        with unit_of_work() as session:
            outcome = action(session)
    except ValidationFailed as exc:
        found = dict(exc.field_errors)
        if ANY_FIELD in found:  # about the input as a whole: where the page shows its general messages
            found.setdefault(general_field, found.pop(ANY_FIELD))
        target[errors_key] = found
        return NOT_SAVED
    except (Conflict, Forbidden, NotFound, ReadOnly) as exc:
        target[errors_key] = {general_field: str(exc)}  # a message made by ``t`` stays Markdown (``Markdown``)
        return NOT_SAVED
    target[errors_key] = {}
    if success:
        st.toast(for_markdown(success), icon=":material/check:")
    return outcome


def deferred_build(db: Engine, session_id: int | None, account_id: int | None, locale: str,
                   build: Callable[[Session, Actor], bytes]) -> Callable[[], bytes]:
    """What a download button runs when clicked: check the account again, then build in the person's language."""

    def make() -> bytes:
        with using_locale(locale), plain_text():  # the file escapes its text its own way
            actor = checked_actor(db, session_id, account_id)
            with session_scope(db, actor=actor) as session:
                return build(session, actor)

    return make


def deferred_download(container: Any, label: str, *, build: Callable[[Session, Actor], bytes], file_name: str,
                      mime: str, icon: str, key: str | None = None) -> None:
    """A download button whose file is built only when clicked. The build runs outside the page run (no session
    state there), so it is given the engine, the account and the language now, and checks the account again when
    clicked (a tab left open after the person was deactivated, or past the idle timeout, gets nothing);
    ``build`` is an audited service."""
    make = deferred_build(engine(), st.session_state.get(SESSION), st.session_state.get(ACCOUNT), current_locale(),
                          build)
    container.download_button(label, data=make, file_name=file_name, mime=mime, icon=icon, key=key,
                              width="stretch")
