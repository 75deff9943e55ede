"""Small presentational helpers (badges, colours) shared by pages."""

from __future__ import annotations

import streamlit as st

from core.safe_text import for_html


def badge(text: str, background: str, foreground: str = "#FFFFFF") -> None:
    st.markdown(
        f'<span style="background:{background};color:{foreground};padding:0.15rem 0.6rem;border-radius:0.8rem;'
        f'font-weight:600;font-size:0.85rem">{for_html(text)}</span>',
        unsafe_allow_html=True,
    )
