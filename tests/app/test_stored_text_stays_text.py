"""Whatever people stored reaches every page as text: the example data with every text column of every table
overwritten with Markdown and HTML (an image, a link, bold, a tag, Streamlit's colour and LaTeX), then every page
each role reaches, opened as that role. No element Streamlit renders as Markdown (bodies, captions, headings,
alerts, toasts, metrics, static tables, and the labels, tooltips and choices of widgets, buttons, expanders and
tabs) makes an image, a link or emphasis of it; no element that shows text as it is (a drop-down's choices, a table
cell, ``st.text``, a field's value) shows it with escaping backslashes.

Markdown is judged the way a browser would get it: rendered by markdown-it (CommonMark, raw HTML on), which is
stricter than Streamlit (Streamlit drops raw HTML). It runs on SQLite and PostgreSQL: one example database per
engine, each page opened once per role, about ten seconds on each.

Left out: the text inside JSON documents. The Change Grid's and the checklist's content are compared with the
versions the tool ships and cached by their digest (the pages escape them where they show them); an assessment's
list of agencies and a workshop draft are shown only in the fields that edit them."""

from __future__ import annotations

import re
from collections.abc import Iterator

from markdown_it import MarkdownIt
from sqlalchemy import Engine, String, cast, literal, select
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1.element_tree import Block

import app.registry  # noqa: F401  (every table in the metadata)
from accounts.models import Account
from checklists.models import CaseFile, CaseFileReview
from core.db import session_scope
from core.models import Base
from qaf.ui.common import CURRENT
from supervision.models import SupervisionSession
from tests.app.test_every_page_in_every_language import PAGES
from tests.conftest import laptop_conflict

# Tables the tool writes for itself, never from what a person typed into a field: the audit trail (hash-chained; a
# changed summary would be a broken chain, and its page shows it in table cells only), sign-in sessions, devices and
# throttles (digests), installation settings (keys), and sync's own book-keeping (counters, record versions, a
# laptop's queue of changes, bundles received).
SYSTEM_TABLES = {"audit_records", "audit_chain_head", "installation_settings", "sign_in_throttle",
                 "sign_in_sessions", "known_devices", "sync_clock", "sync_row_states", "sync_local_changes",
                 "sync_bundle_receipts"}
# Columns holding a code the tool checks on the way in and looks up on the way out (a status, a level, a role, a
# language, a time zone, a component or item identifier, a digest), or the username people sign in with. A payload
# there is not something anybody could store; it would only break the lookup.
CODES = {
    "agencies": {"default_language"},
    "accounts": {"username", "password_hash", "language"},
    "checklist_templates": {"key", "language", "content_sha256"},
    "qaf_framework_versions": {"key", "language", "content_sha256"},
    "closure_days": {"kind"},
    "staff_members": {"programme_role", "gender"},
    "working_calendars": {"day_starts", "day_ends", "timezone", "country"},
    "case_files": {"risk_level", "status", "objectives_achieved"},
    "case_file_deadlines": {"step", "outcome", "risk_level"},
    "case_file_reviews": {"status", "level"},
    "case_file_review_answers": {"item_id", "answer", "computed_answer"},
    "improvement_actions": {"source_kind", "source_item", "priority", "status"},
    "improvement_action_updates": {"status", "kind"},
    "qaf_assessments": {"scope", "status"},
    "qaf_assessment_members": {"role"},
    "qaf_component_drafts": {"component_code"},
    "qaf_component_ratings": {"component_code"},
    "staff_trainings": {"topic"},
    "supervision_sessions": {"activity", "occurrence_key", "origin", "status", "cancel_reason", "missed_reason"},
    "team_memberships": {"role_in_team"},
    "sync_replicas": {"role", "status", "public_key"},
    "sync_conflicts": {"kind", "table_name", "field", "status", "resolution"},
}
MARKER = "ZQ"  # then the row's id: every stored text is told apart, and unique columns stay unique
# The longest that fits the column, with room for the marker.
PAYLOADS = ("![px](http://127.0.0.1:9/t.gif) [lnk](http://127.0.0.1:9/) **bZ** <b>hZ</b> :red[cZ] $xZ$ ",
            "![px](http://127.0.0.1:9/t.gif) **bZ** <b>hZ</b> $xZ$ ",
            "![p](http://127.0.0.1:9/)**bZ**")
# What the payload becomes when it is taken as Markdown or HTML.
ACTIVE = re.compile(r'<img|<a href="http://127\.0\.0\.1:9|<strong>bZ</strong>|<em>bZ</em>|<b>hZ</b>')
STREAMLIT_ACTIVE = (":red[cZ", "$xZ$")  # Streamlit's own: coloured text, LaTeX
# GitHub-flavoured Markdown (Streamlit's) links a bare address, which plain CommonMark above does not show.
BARE_ADDRESS = re.compile(r"https?://|www\.")
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")  # inside a code span nothing is a link
ESCAPED = re.compile(r"\\[\\`*_\[\]<>!~|#$:@.]")  # a backslash before a character escaped for Markdown
RENDER = MarkdownIt("commonmark", {"html": True})


def _fill_every_stored_text(engine: Engine) -> int:
    """Every text column a person can fill, of every row, overwritten with a payload; the number of columns."""
    columns = {f"{table.name}.{column.name}" for table in Base.metadata.sorted_tables for column in table.c}
    assert {f"{table}.{name}" for table, names in CODES.items() for name in names} <= columns  # no stale entry
    filled = 0
    with engine.begin() as connection:
        for table in Base.metadata.sorted_tables:
            if table.name in SYSTEM_TABLES:
                continue
            assert "id" in table.c, f"{table.name}: how are its rows told apart?"
            values = {}
            for column in table.c:
                if not isinstance(column.type, String) or column.name in CODES.get(table.name, set()):
                    continue
                room = (column.type.length or 10_000) - len(MARKER) - 6
                payload = next(p for p in PAYLOADS if len(p) <= room)
                values[column.name] = literal(payload + MARKER) + cast(table.c.id, String)
            if values:
                connection.execute(table.update().values(values))
                filled += len(values)
    return filled


def _walk(node: object) -> Iterator[object]:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def _cells(arrow: bytes) -> list[str]:
    if not arrow:
        return []
    frame = convert_arrow_bytes_to_pandas_df(arrow)
    return [str(c) for c in frame.columns] + [str(v) for v in frame.to_numpy().ravel() if isinstance(v, str)]


def _shown(at) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
    """The texts of the page Streamlit renders as Markdown, and those it shows as they are."""
    markdown: list[str] = []
    plain: list[str] = []
    for node in _walk(at._tree):
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        if isinstance(node, Block):  # expanders, tabs, popovers: their label
            if "type" in proto.DESCRIPTOR.oneofs_by_name:
                which = proto.WhichOneof("type")
                inner = getattr(proto, which) if which else None
            else:  # a tab or an expander keeps its own part of the block
                inner = proto
            fields = inner.DESCRIPTOR.fields_by_name if inner is not None else {}
            markdown += [getattr(inner, name) for name in ("label", "help") if name in fields]
            continue
        kind, fields = node.type, proto.DESCRIPTOR.fields_by_name
        if kind == "text":
            plain.append(proto.body)
        elif kind == "code":
            plain.append(proto.code_text)
        elif kind == "dataframe":
            plain += _cells(proto.arrow_data.data)
        elif kind == "table":  # st.table: every cell (as the styler shows it) is Markdown
            markdown += _cells(proto.arrow_data.styler.display_values or proto.arrow_data.data)
        elif kind == "vega_lite_chart":
            continue
        else:
            markdown += [getattr(proto, name) for name in ("body", "label", "help", "text", "delta")
                         if name in fields]
            if kind == "radio":
                markdown += list(proto.options)
            elif kind == "button_group":
                markdown += [option.content for option in proto.options]
            elif kind in ("selectbox", "multiselect"):
                plain += list(proto.options)
            elif kind in ("text_input", "text_area") and isinstance(node.value, str):
                plain.append(node.value)
    return [x for x in markdown if x], [x for x in plain if x]


def _problems(markdown: list[str], plain: list[str]) -> list[str]:
    found = []
    for text in markdown:
        html = RENDER.render(text)
        if ACTIVE.search(html) or any(mark in text for mark in STREAMLIT_ACTIVE) or (
                MARKER in text and BARE_ADDRESS.search(CODE_SPAN.sub("", text))):
            found.append(f"Markdown: {text[:160]!r}")
    found += [f"escaped plain text: {text[:160]!r}" for text in plain if MARKER in text and ESCAPED.search(text)]
    return found


def _state(engine: Engine, example: dict[str, int]) -> dict[str, object]:
    """What the other pages would have left in the session, so each page shows its main content: the assessment
    opened, a completed review of the example caseworker and one of their held supervision sessions."""
    with session_scope(engine) as session:
        caseworker = session.scalar(select(Account.staff_member_id).where(Account.username == "demo-caseworker"))
        review = session.scalar(select(CaseFileReview.id).join(CaseFile, CaseFile.id == CaseFileReview.case_file_id)
                                .where(CaseFile.caseworker_id == caseworker, CaseFileReview.status == "completed")
                                .order_by(CaseFileReview.id.desc()).limit(1))
        held = session.scalar(select(SupervisionSession.id).where(SupervisionSession.caseworker_id == caseworker,
                                                                  SupervisionSession.status == "held")
                              .order_by(SupervisionSession.starts_at.desc()).limit(1))
    assert review and held
    return {CURRENT: example["assessment"], "review_current": review, "calendar_session": held}


def test_no_stored_text_becomes_markdown_or_html_on_any_page(open_page, app_engine, example, tmp_path):
    # a country server with a laptop, whose bundle left a conflict: the laptop's name and the conflict's texts too
    laptop_conflict(app_engine, tmp_path, admin="demo-admin", author="demo-facilitator",
                    assessment_id=example["assessment"])
    assert _fill_every_stored_text(app_engine) > 50
    state = _state(app_engine, example)
    problems: list[str] = []
    with_payload: set[tuple[str, str]] = set()
    opened = 0
    for person in ("demo-admin", "demo-manager", "demo-supervisor", "demo-caseworker", "demo-facilitator"):
        # The facilitator's dashboard is the task force's: the assessment's name in its scope line.
        extra = {"dash_mode": "task_force"} if person == "demo-facilitator" else {}
        at = open_page("", example[person], **state, **extra)
        for page in PAGES:
            try:
                at.switch_page(page)
            except ValueError:  # not a page of this role
                continue
            at.run()
            assert not at.exception, (person, page, [e.value for e in at.exception])
            opened += 1
            markdown, plain = _shown(at)
            problems += [f"{person} {page}: {problem}" for problem in _problems(markdown, plain)]
            if any(MARKER in text for text in markdown):
                with_payload.add((person, page))
    assert problems == []
    assert opened > 50
    # The payload was there to be found: in the places the defect was reported, and on most pages.
    shown_on = {page for _, page in with_payload}
    assert {"management/ui/dashboard.py", "supervision/ui/calendar.py", "accounts/ui/accounts_admin.py",
            "qaf/ui/workshop.py", "checklists/ui/review.py", "sync/ui/exchanges.py", "sync/ui/conflicts.py"} <= shown_on
    assert len(with_payload) > 30
