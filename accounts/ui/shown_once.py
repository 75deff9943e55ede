"""Passwords handed over once: kept for the next page run only, shown in a static table, then forgotten."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core.i18n import t
from core.ui import label

SHOW_ONCE = "accounts_show_once"


def remember(rows: list[dict[str, Any]]) -> None:
    """Keep these rows (the first column names the account) to show on the next run, once."""
    st.session_state[SHOW_ONCE] = rows


def show() -> None:
    rows = st.session_state.pop(SHOW_ONCE, None)
    if rows:
        st.warning(t("admin.passwords_once"), icon=":material/key:")
        # st.table renders each cell as Markdown: a password (or a name) shows character for character.
        frame = pd.DataFrame([{label(k): _cell(v) for k, v in row.items()} for row in rows])
        st.table(frame.set_index(frame.columns[0]))


def _cell(value: Any) -> str:
    return label(*value, sep=", ") if isinstance(value, list | tuple) else label(value)
