"""Charts for the management pages, as Vega-Lite specifications drawn with ``st.vega_lite_chart``: every mark
carries its number as a label, and no chart relies on colour alone (one series per chart, or words on the axis).

Written as plain specifications rather than built with Altair: the dashboard draws eight charts on every rerun,
and building and validating them through Altair took most of its run."""

from __future__ import annotations

from typing import Any

from core.i18n import is_rtl

Spec = dict[str, Any]


def _axis_x(field: str, title: str, order: list[str] | None = None) -> Spec:
    """Categories (months, levels) in reading order: from the right in a right-to-left language, where the value
    axis stands at the right too (``_axis_y``). ``order`` names them in order: a layered chart merges its layers'
    categories and may otherwise put the first month last."""
    scale: Spec = {"reverse": is_rtl()}
    if order is not None:
        scale["domain"] = list(dict.fromkeys(order))
    return {"field": field, "type": "nominal", "title": title, "sort": None, "axis": {"labelAngle": 0},
            "scale": scale}


def _axis_y(field: str, title: str, **more: Any) -> Spec:
    axis = {"orient": "right" if is_rtl() else "left", **more.pop("axis", {})}
    return {"field": field, "type": "quantitative", "title": title, "axis": axis, **more}


def trend_chart(*, x: str, y: str, x_title: str, y_title: str, percent: bool = False,
                order: list[str] | None = None) -> Spec:
    """A line over months (``order``: the months, first to last) with a point and its value printed at each."""
    scale = {"domain": [0, 100]} if percent else {"zero": True}
    return {"height": 220, "encoding": {
        "x": _axis_x(x, x_title, order), "y": _axis_y(y, y_title, scale=scale)},
        "layer": [{"mark": {"type": "line", "point": {"size": 60, "filled": True}}},
                  {"mark": {"type": "text", "dy": -12, "fontSize": 12},
                   "encoding": {"text": {"field": y, "type": "quantitative", "format": ".1f"}}}]}


def bar_chart(*, x: str, y: str, x_title: str, y_title: str) -> Spec:
    """Bars named on the axis, each with its value printed above it."""
    return {"height": 220, "encoding": {
        "x": _axis_x(x, x_title), "y": _axis_y(y, y_title)},
        "layer": [{"mark": {"type": "bar"}},
                  {"mark": {"type": "text", "dy": -8, "fontSize": 12},
                   "encoding": {"text": {"field": y, "type": "quantitative", "format": ".1f"}}}]}


def level_chart(*, x: str, y: str, series: str, x_title: str, y_title: str, level_names: list[str]) -> Spec:
    """Levels over assessments, one small chart per component so no line is told apart by colour alone."""
    encoding = {"x": _axis_x(x, x_title), "y": _axis_y(
        y, y_title, scale={"domain": [0, len(level_names) - 1]},
        axis={"values": list(range(len(level_names))), "labelExpr": _label_expr(level_names), "labelLimit": 160})}
    # The level is named on a point only where it changed (or at the first), so labels never sit on each other.
    return {"facet": {"field": series, "type": "nominal", "title": None, "sort": None,
                      "header": {"labelFontWeight": "bold"}},
            "columns": 4,
            "spec": {"height": 120, "width": 150, "encoding": encoding, "layer": [
                {"mark": {"type": "line", "point": {"size": 50, "filled": True}}},
                {"mark": {"type": "text", "dy": -10, "fontSize": 10},
                 "encoding": {"text": {"field": "label", "type": "nominal"}},
                 "transform": [{"filter": "datum.changed"}]}]}}


def _label_expr(names: list[str]) -> str:
    cases = " : ".join(f"datum.value == {i} ? {_quote(n)}" for i, n in enumerate(names))
    return f"{cases} : ''"


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
