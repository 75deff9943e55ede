"""Altair charts for the management pages: every mark carries its number as a label, and no chart relies on
colour alone (one series per chart, or words on the axis)."""

from __future__ import annotations

import altair as alt
import pandas as pd


def trend_chart(frame: pd.DataFrame, *, x: str, y: str, x_title: str, y_title: str,
                percent: bool = False) -> alt.LayerChart:
    """A line over months with a point and its value printed at each month."""
    scale = alt.Scale(domain=[0, 100]) if percent else alt.Scale(zero=True)
    base = alt.Chart(frame).encode(x=alt.X(f"{x}:N", title=x_title, sort=None, axis=alt.Axis(labelAngle=0)),
                                   y=alt.Y(f"{y}:Q", title=y_title, scale=scale))
    line = base.mark_line(point=alt.OverlayMarkDef(size=60, filled=True))
    labels = base.mark_text(dy=-12, fontSize=12).encode(text=alt.Text(f"{y}:Q", format=".1f"))
    return (line + labels).properties(height=220)


def bar_chart(frame: pd.DataFrame, *, x: str, y: str, x_title: str, y_title: str) -> alt.LayerChart:
    """Bars named on the axis, each with its value printed above it."""
    base = alt.Chart(frame).encode(x=alt.X(f"{x}:N", title=x_title, sort=None, axis=alt.Axis(labelAngle=0)),
                                   y=alt.Y(f"{y}:Q", title=y_title))
    return (base.mark_bar() + base.mark_text(dy=-8, fontSize=12).encode(
        text=alt.Text(f"{y}:Q", format=".1f"))).properties(height=220)


def level_chart(frame: pd.DataFrame, *, x: str, y: str, series: str, x_title: str, y_title: str,
                level_names: list[str]) -> alt.Chart:
    """Levels over assessments, one small chart per component so no line is told apart by colour alone."""
    base = alt.Chart(frame).encode(
        x=alt.X(f"{x}:N", title=x_title, sort=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(domain=[0, len(level_names) - 1]),
                axis=alt.Axis(values=list(range(len(level_names))), labelExpr=_label_expr(level_names),
                              labelLimit=160)))
    line = base.mark_line(point=alt.OverlayMarkDef(size=50, filled=True))
    # The level is named on a point only where it changed (or at the first), so labels never sit on each other.
    text = base.mark_text(dy=-10, fontSize=10).encode(text=alt.Text("label:N")).transform_filter(
        "datum.changed")
    return alt.layer(line, text, data=frame).properties(height=120, width=150).facet(
        facet=alt.Facet(f"{series}:N", title=None, sort=None, header=alt.Header(labelFontWeight="bold")),
        columns=4)


def _label_expr(names: list[str]) -> str:
    cases = " : ".join(f"datum.value == {i} ? {_quote(n)}" for i, n in enumerate(names))
    return f"{cases} : ''"


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
