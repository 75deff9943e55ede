from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

import pytest

from core import i18n
from core.reports.spreadsheet import csv_bytes
from core.safe_text import clean, for_html, for_markdown, for_pdf, for_spreadsheet

ROOT = Path(__file__).resolve().parents[2]


def test_a_new_language_is_a_new_catalogue(tmp_path, monkeypatch):
    """Portuguese is not shipped: one catalogue file makes it a language, with English where it says nothing."""
    (tmp_path / "qaf" / "locales").mkdir(parents=True)
    (tmp_path / "qaf" / "locales" / "pt.yaml").write_text('level:\n  good_practice: "Boa prática"\n',
                                                           encoding="utf-8")
    shipped = i18n.catalogue_files

    def with_portuguese(locale):
        return shipped(locale) + sorted(tmp_path.glob(f"*/locales/{locale}.yaml"))

    monkeypatch.setattr(i18n, "catalogue_files", with_portuguese)
    i18n.catalogue.cache_clear()
    try:
        i18n.set_locale("pt")
        assert i18n.t("level.good_practice") == "Boa prática"
        assert i18n.t("level.critical") == "Critical to address"  # falls back to English
        assert i18n.format_date(date(2026, 3, 5)) == "5 de mar. de 2026"
        assert i18n.format_number(1234.5) == "1.234,5"
        i18n.set_locale("fr")
        assert i18n.format_date(date(2026, 3, 5)) == "5 mars 2026"
        assert i18n.format_number(1234.5) == "1\u202f234,5"
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


def test_every_export_drops_what_xml_cannot_hold_and_keeps_the_rest():
    text = "Notes\ufffe with \uffff odd\x00 bytes\x0b, a tab\tand\r\nlines; العربية"
    assert clean(text) == "Notes with  odd bytes, a tab\tand\r\nlines; العربية"
    assert "\ufffe" not in for_pdf(text) and "\ufffe" not in str(for_spreadsheet(text))


@pytest.mark.parametrize("value", ["a\r=1+1", "a\n+SUM(A1)", "a\r\n@cmd", "\r=1+1", "\n-2"])
def test_formulas_after_a_line_break_are_neutralised_too(value):
    cleaned = str(for_spreadsheet(value))
    for line in cleaned.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        assert not line.startswith(("=", "+", "-", "@"))


def test_csv_quotes_every_field_with_a_line_break():
    data = csv_bytes(["note", "n"], [["a\r=1+1", 1], ["b\nc", 2], ["plain", 3]]).decode("utf-8-sig")
    assert data == 'note,n\r\n"a\r\'=1+1",1\r\n"b\nc",2\r\nplain,3\r\n'
    assert list(csv.reader(io.StringIO(data, newline=""))) == [["note", "n"], ["a\r'=1+1", "1"], ["b\nc", "2"],
                                                              ["plain", "3"]]


@pytest.mark.parametrize("payload", ["![x](http://tracker.example/p.png)", "[x](javascript:alert(1))",
                                     "<img src=x onerror=alert(1)>", "**bold** _it_ `code` # head"])
def test_markdown_shows_user_text_as_text(payload):
    escaped = for_markdown(payload)
    assert not re.search(r"(?<!\\)[\[\]<>!]", escaped)  # every character Markdown could act on is escaped
    assert re.sub(r"\\(.)", r"\1", escaped) == payload  # what the reader sees is exactly what was typed


def test_the_language_of_a_page_run_changes_only_through_use_language():
    """A page run reads the person's language once (``core.ui``); a write that bypassed ``use_language`` would
    leave the rest of the run in the old language."""
    import re

    from tests.conftest import PROJECT_ROOT

    direct = re.compile(r"session_state\[LOCALE\]\s*=[^=]|session_state\[[\"']auth_locale[\"']\]\s*=[^=]")
    writers = [str(path.relative_to(PROJECT_ROOT)) for path in PROJECT_ROOT.glob("*/**/*.py")
               if ".venv" not in path.parts and direct.search(path.read_text(encoding="utf-8"))]
    assert writers == ["core/ui/__init__.py"]


def test_an_arabic_date_carries_no_direction_marks_so_a_table_cell_keeps_its_digits_in_order():
    from datetime import UTC, date, datetime

    from core.i18n import format_date, format_datetime, using_locale

    with using_locale("ar"):
        day, moment = format_date(date(2026, 2, 2)), format_datetime(datetime(2026, 2, 2, 10, 5, tzinfo=UTC))
    assert day == "02/02/2026" and moment.startswith("02/02/2026, 10:05")


@pytest.fixture
def on_a_page():
    """Messages made now go to a page, as in a Streamlit page run."""
    token = i18n._markup.set(True)
    yield
    i18n._markup.reset(token)


PAYLOAD = "![x](http://tracker.example/p.png) <b>h</b> $x$"


def test_a_message_for_a_page_escapes_what_is_put_into_it(on_a_page):
    from core.errors import Forbidden

    shown = i18n.t("dashboard.scope_line", scope=PAYLOAD, first="Jan 2026", last="Mar 2026")
    assert isinstance(shown, i18n.Markdown)
    assert shown.startswith(for_markdown(PAYLOAD)) and "![" not in shown
    assert i18n.t("workshop.progress", scored=3, total=17) == "Components scored: 3 / 17"  # numbers as they are
    # Escaped once, wherever the message goes next: into another message, through for_markdown, an exception.
    inner = i18n.t("my_account.agency", agency=PAYLOAD)
    assert i18n.t("tracker.row_problem", id=1, text="x", message=inner).count(for_markdown(PAYLOAD)) == 1
    assert for_markdown(inner) is inner
    assert str(Forbidden(inner)) is inner
    # Markdown the code writes is kept: that is how trusted Markdown goes into a message.
    assert "**x**" in i18n.t("my_account.agency", agency=i18n.Markdown("**x**"))


def test_text_shown_as_it_is_or_written_to_a_file_keeps_its_characters(on_a_page):
    assert i18n.t_plain("my_account.agency", agency=PAYLOAD).endswith(PAYLOAD)
    with i18n.plain_text():  # a download built when clicked
        made = i18n.t("my_account.agency", agency=PAYLOAD)
    assert made.endswith(PAYLOAD) and not isinstance(made, i18n.Markdown)


def test_outside_a_page_a_message_holds_its_values_as_they_are():
    assert i18n.t("my_account.agency", agency=PAYLOAD).endswith(PAYLOAD)
    assert i18n.join_messages(["a <b>", "c"]) == "a <b>\nc"


def test_messages_shown_together_are_each_escaped_once_and_keep_their_lines(on_a_page):
    joined = i18n.join_messages([i18n.t("my_account.agency", agency="<b>"), "*typed*"])
    assert joined == f"{i18n.t('my_account.agency', agency='<b>')}  \n\\*typed\\*"


def test_stored_text_in_a_label_or_a_code_span_shows_as_typed():
    from markdown_it import MarkdownIt

    from core.safe_text import markdown_code
    from core.ui import label

    render = MarkdownIt("commonmark", {"html": True}).render
    assert label("08:00", i18n.Markdown("**Individual**"), "·", PAYLOAD, "", None) == \
        f"08\\:00 **Individual** · {for_markdown(PAYLOAD)}"
    assert "<img" not in render(label(PAYLOAD)) and "<b>" not in render(label(PAYLOAD))
    assert render(markdown_code("a`b")) == "<p><code>a`b</code></p>\n"
    assert render(markdown_code("`x")) == "<p><code>`x</code></p>\n"
    assert "<img" not in render(markdown_code(PAYLOAD))

