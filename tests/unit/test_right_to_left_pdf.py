"""Arabic in a PDF: a long mixed Arabic and Latin phrase wraps in reading order (the second half never above the
first, a name never reversed across lines), tables read from the right, and the layout is mirrored."""

from __future__ import annotations

import io
import itertools
import re
import unicodedata

from pypdf import PdfReader
from reportlab.lib.units import mm

from core.i18n import using_locale
from core.reports.pdf import BidiParagraph, PageFurniture, build_pdf, cell, grid_table, para, styles

PHRASE = ("تدريب مسؤولي الحالات على إجراءات التشغيل الموحدة مع Mariam Haddad من منظمة Brightpath قبل نهاية "
          "الربع الأول ثم متابعة التنفيذ شهريا مع المشرفين وفريق العمل المشترك بين المنظمات")


def _pdf(story) -> bytes:
    with using_locale("ar"):
        return build_pdf(lambda: story(), title="t", author="a", furniture=PageFurniture("رأس", "تذييل"),
                         page_label=lambda page, total: f"{page}/{total}")


def _words(text: str) -> list[str]:
    """Arabic and Latin words (text extraction may glue an Arabic word to a Latin one at a direction change)."""
    return re.findall(r"[\u0600-\u06FF]+|[A-Za-z]+", text)


def _lines(data: bytes) -> list[str]:
    text = unicodedata.normalize("NFKC", PdfReader(io.BytesIO(data)).pages[0].extract_text())
    return [line.strip() for line in text.splitlines() if line.strip()]


def test_a_wrapped_mixed_direction_phrase_reads_line_by_line_in_order():
    with using_locale("ar"):
        story = lambda: [grid_table([[cell("الإجراء"), cell("الرمز")], [para(PHRASE, "cell"), cell("1.1")]],  # noqa: E731
                                    [45 * mm, 20 * mm])]
    lines = _lines(_pdf(story))
    words = _words(PHRASE)
    body = [line for line in lines if any(w in _words(line) for w in words)]
    assert len(body) >= 4  # the phrase wrapped over several lines
    positions = []
    start = 0  # a word repeated in the phrase is looked for after the line above
    for line in body:
        found = [words.index(w, start) for w in _words(line) if w in words[start:]]
        positions.append((min(found), max(found)))
        start = max(found) + 1
    # each line continues where the one above it stopped: reading order kept across the wrap
    assert all(above[1] < below[0] for above, below in itertools.pairwise(positions)), body
    assert positions[0][0] == 0 and positions[-1][1] == len(words) - 1
    assert any("Mariam Haddad" in line for line in body)  # a Latin name inside stays in its own order


def test_visual_lines_are_wrapped_before_they_are_reordered():
    with using_locale("ar"):
        paragraph = BidiParagraph(PHRASE, styles()["cell"])
        lines = paragraph.visual_lines(45 * mm)
    assert len(lines) >= 4
    first = unicodedata.normalize("NFKC", lines[0])
    # in visual order (drawn left to right), holding the phrase's first words and not its last
    assert "تدريب"[::-1] in first and "المشرفين"[::-1] not in first and "تدريب" not in first


def test_an_arabic_table_starts_at_the_right():
    data = _pdf(lambda: [grid_table([[cell("العمود الأول"), cell("العمود الثاني")], [cell("أ"), cell("ب")]],
                                    [40 * mm, 40 * mm])])
    page = PdfReader(io.BytesIO(data)).pages[0]
    placed: dict[str, float] = {}

    def visitor(text, _cm, tm, _font, _size):
        if text.strip():
            placed[unicodedata.normalize("NFKC", text.strip())] = tm[4]

    page.extract_text(visitor_text=visitor)
    first = next(x for t, x in placed.items() if "الأول" in t)
    second = next(x for t, x in placed.items() if "الثاني" in t)
    assert first > second  # the first column is drawn to the right of the second


def test_brackets_in_right_to_left_text_face_the_words_they_enclose():
    with using_locale("ar"):
        (line,) = BidiParagraph("الجلسة [منعقدة] (QAF)", styles()["cell"]).visual_lines(200 * mm)
    # drawn left to right: "(QAF) [ةدقعنم] ةسلجلا", each bracket turned to face its words
    assert line.startswith("(QAF)") and "[" in line and line.index("[") < line.index("]")
