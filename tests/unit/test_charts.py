"""The management charts read in the reader's direction: months from the left in English, from the right in
Arabic, with the value axis on the side reading starts from."""

from __future__ import annotations

import pytest

from core.i18n import using_locale
from management.ui.charts import bar_chart, level_chart, trend_chart


def _axes(spec: dict) -> tuple[bool, str]:
    encoding = spec.get("spec", spec)["encoding"]
    return encoding["x"]["scale"]["reverse"], encoding["y"]["axis"]["orient"]


@pytest.mark.parametrize("language, expected", [("en", (False, "left")), ("fr", (False, "left")),
                                                ("ar", (True, "right"))])
def test_each_chart_reads_in_the_readers_direction(language, expected):
    with using_locale(language):
        charts = [trend_chart(x="month", y="value", x_title="m", y_title="v", percent=True),
                  bar_chart(x="level", y="value", x_title="l", y_title="v"),
                  level_chart(x="a", y="level", series="code", x_title="a", y_title="l", level_names=["x", "y"])]
    assert [_axes(c) for c in charts] == [expected] * 3


def test_every_point_carries_its_value_so_no_chart_relies_on_colour():
    spec = trend_chart(x="month", y="value", x_title="m", y_title="v")
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["line", "text"]
    assert spec["layer"][1]["encoding"]["text"]["field"] == "value"
    level = level_chart(x="a", y="level", series="code", x_title="a", y_title="l", level_names=["Low", "It's ok"])
    assert "'It\\'s ok'" in level["spec"]["encoding"]["y"]["axis"]["labelExpr"]  # a quote in a name stays text


def test_months_stand_in_the_order_given_whatever_the_layers_merge():
    months = ["Jul 2026", "Aug 2026", "Sept 2026", "Oct 2026"]
    spec = trend_chart(x="month", y="value", x_title="m", y_title="v", order=months)
    assert spec["encoding"]["x"]["scale"]["domain"] == months
