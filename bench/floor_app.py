"""Streamlit's own floor for a page: a bare script that draws the same number of each kind of element as one of
the app's pages drew (its shape comes in the address, ``?shape=<JSON>``), with no database, no sign-in and no
translation. ``bench.load --floor`` times a click here against the same click in the app, in the same run, so
that "what does a click cost" is read against what Streamlit itself costs for that page.

The shape is a JSON object: element kind (as in Streamlit's protocol) -> count, and for ``dataframe`` a list of
[rows, columns] for each table; layout blocks as ``block:<kind>`` -> count (containers, rows of columns and their
columns, expanders, tabs, forms), drawn as many times, not nested as the page nests them."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import streamlit as st

shape: dict[str, object] = json.loads(st.query_params.get("shape", "{}") or "{}")


def _table(rows: int, columns: int) -> pd.DataFrame:
    return pd.DataFrame({f"column {c}": [f"cell {r}·{c}" for r in range(rows)] for c in range(columns)})


DRAW = {
    "markdown": lambda i: st.markdown(f"Line {i} of the page, with **some** words in it."),
    "heading": lambda i: st.subheader(f"Heading {i}"),
    "alert": lambda i: st.info(f"A note, number {i}."),
    "checkbox": lambda i: st.checkbox(f"Choice {i}", key=f"checkbox {i}"),
    "text_area": lambda i: st.text_area(f"Text {i}", key=f"text area {i}"),
    "text_input": lambda i: st.text_input(f"Input {i}", key=f"text input {i}"),
    "button": lambda i: st.button(f"Button {i}", key=f"button {i}"),
    "selectbox": lambda i: st.selectbox(f"Choose {i}", ["one", "two", "three", "four"], key=f"selectbox {i}"),
    "multiselect": lambda i: st.multiselect(f"Several {i}", ["one", "two", "three"], key=f"multiselect {i}"),
    "radio": lambda i: st.radio(f"Answer {i}", ["", "yes", "no", "n/a"], horizontal=True, key=f"radio {i}"),
    "date_input": lambda i: st.date_input(f"Day {i}", value=date(2026, 1, 1), key=f"date {i}"),
    "number_input": lambda i: st.number_input(f"Number {i}", value=i, key=f"number {i}"),
    "metric": lambda i: st.metric(f"Figure {i}", i, border=True),
    "download_button": lambda i: st.download_button(f"Download {i}", b"x", key=f"download {i}"),
    "progress": lambda i: st.progress(0.5),
    "page_link": lambda i: st.markdown(f"[Page {i}](#)"),
    "text": lambda i: st.text(f"Plain text {i}"),
}


def _blocks(counts: dict[str, int]) -> None:
    for _ in range(counts.get("block:vertical", 0) + counts.get("block:form", 0)):
        st.container(border=True).caption("A block")
    rows = counts.get("block:horizontal", 0)
    for _ in range(rows):
        st.columns(max(1, round(counts.get("block:column", 0) / rows)))
    for index in range(counts.get("block:expandable", 0)):
        st.expander(f"Section {index}").caption("Inside")
    tabs = counts.get("block:tab", 0)
    if tabs:
        st.tabs([f"Tab {i}" for i in range(tabs)])


_blocks({k: int(v) for k, v in shape.items() if k.startswith("block:")})  # type: ignore[call-overload]
ticks = int(shape.get("checkbox", 0) or 0)  # type: ignore[call-overload]
if not ticks:  # a click needs a widget: one checkbox stands for it
    st.checkbox("Choice 0", key="checkbox 0")
for kind, count in shape.items():
    if kind.startswith("block:"):
        continue
    if kind == "dataframe":
        for rows, columns in count:  # type: ignore[attr-defined]
            st.dataframe(_table(int(rows), int(columns)), hide_index=True)
        continue
    draw = DRAW.get(kind, DRAW["markdown"])  # any other kind: drawn as a line of text
    for index in range(int(count)):  # type: ignore[call-overload]
        draw(index)
