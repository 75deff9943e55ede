"""Long lists one page at a time: the database filters, sorts, counts and returns only the page's rows (a
country's 16,000 actions or 100,000 audit records never travel whole to draw a table), and the page shows where
it stands ("Rows 101–200 of 16,628") with the way to the pages before and after.

``offset = page_start(key, filters)`` before the query (back to the first page whenever the filters change), then
``pager(key, total)`` after it, under the table."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.i18n import format_number, t

PAGE_SIZE = 100


def _state(key: str) -> dict[str, Any]:
    return st.session_state.setdefault(f"paging:{key}", {"page": 0, "filters": None})


def page_start(key: str, filters: object, *, size: int = PAGE_SIZE) -> int:
    """The first row of the page to show; the first page again when ``filters`` differ from the last run's."""
    state = _state(key)
    if state["filters"] != filters:
        state.update(page=0, filters=filters)
    return state["page"] * size


def _go(key: str, page: int) -> None:
    _state(key)["page"] = max(0, page)


def pager(key: str, total: int, *, size: int = PAGE_SIZE) -> None:
    """Where this page stands in the list and the buttons to the others. A page beyond the end (the list shrank
    since) is replaced by the last one at once."""
    state = _state(key)
    pages = max(1, -(-total // size))
    if state["page"] >= pages:
        state["page"] = pages - 1
        st.rerun()
    first = state["page"] * size
    shown = t("paging.rows", first=format_number(first + 1 if total else 0),
              last=format_number(min(total, first + size)), total=format_number(total))
    if pages == 1:
        st.caption(shown)
        return
    left, middle, right, count = st.columns([1, 1, 1, 3], vertical_alignment="center")
    left.button(t("paging.previous"), key=f"paging:{key}:previous", on_click=_go, args=(key, state["page"] - 1),
                disabled=state["page"] == 0, icon=":material/chevron_left:", width="stretch")
    middle.caption(t("paging.page", page=format_number(state["page"] + 1), pages=format_number(pages)))
    right.button(t("paging.next"), key=f"paging:{key}:next", on_click=_go, args=(key, state["page"] + 1),
                 disabled=state["page"] >= pages - 1, icon=":material/chevron_right:", width="stretch")
    count.caption(shown)
