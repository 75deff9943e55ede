from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from core import i18n
from core.safe_text import for_html, for_pdf, for_spreadsheet

ROOT = Path(__file__).resolve().parents[2]


def _keys_used_in_code() -> set[str]:
    keys: set[str] = set()
    for path in ROOT.rglob("*.py"):
        if ".venv" in path.parts or "tests" in path.parts:
            continue
        for match in re.finditer(r"\bt\(f?([\"'])([a-z_.{}]+)\1", path.read_text(encoding="utf-8")):
            keys.add(match.group(2))
    return keys


def test_every_message_used_in_code_is_in_the_english_catalogue():
    catalogue = i18n.catalogue("en")
    used = _keys_used_in_code()
    assert len(used) > 100
    missing = sorted(k for k in used if "{" not in k and k not in catalogue)
    assert missing == []
    # Keys built at run time: every value they can take is present.
    for prefix, values in {
        "level.": ["critical", "requires_improvement", "meets_minimum", "good_practice"],
        "action_plan.status.": ["not_started", "in_progress", "done", "dropped"],
        "action_plan.priority.": ["high", "medium", "low"],
        "assessment.scope.": ["agency", "inter_agency"],
        "assessment.status.": ["draft", "final"],
    }.items():
        for value in values:
            assert prefix + value in catalogue


def test_a_new_language_is_a_new_catalogue(tmp_path, monkeypatch):
    (tmp_path / "en.yaml").write_text((i18n.LOCALES_DIR / "en.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "fr.yaml").write_text('level:\n  good_practice: "Bonne pratique"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path)
    i18n.catalogue.cache_clear()
    try:
        i18n.set_locale("fr")
        assert i18n.t("level.good_practice") == "Bonne pratique"
        assert i18n.t("level.critical") == "Critical to address"  # falls back to English
        assert i18n.format_date(date(2026, 3, 5), fmt="long") == "5 mars 2026"
        assert i18n.format_number(1234.5) == "1\u202f234,5"
        assert "fr" in i18n.available_locales()
    finally:
        i18n.set_locale("en")
        i18n.catalogue.cache_clear()


def test_arabic_is_right_to_left_and_placeholders_fill():
    assert i18n.is_rtl("ar") and not i18n.is_rtl("es")
    assert i18n.t("workshop.progress", scored=3, total=17) == "Components scored: 3 / 17"


@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://x\")", "+1+1", "-2", "@SUM(A1)"])
def test_spreadsheet_formulas_are_neutralised(value):
    assert for_spreadsheet(value) == "'" + value


def test_html_and_pdf_escaping():
    assert for_html('<script>alert("x")</script>') == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
    assert for_pdf("a < b & <b>bold</b>\nline") == "a &lt; b &amp; &lt;b&gt;bold&lt;/b&gt;<br/>line"
    assert for_spreadsheet(3) == 3
