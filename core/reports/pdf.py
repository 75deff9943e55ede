"""The one PDF style module: fonts that cover accented and Arabic script, paragraph styles, page header and
footer with "page X of Y", and safe paragraphs built from user text."""

from __future__ import annotations

import html
import io
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import arabic_reshaper
from bidi.algorithm import get_display  # the reference algorithm: it also mirrors brackets in right-to-left runs
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, LETTER, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle
from reportlab.platypus.paragraph import cleanBlockQuotedText

from core.i18n import is_rtl
from core.safe_text import clean, for_pdf

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
INK = colors.HexColor("#1F2933")
MUTED = colors.HexColor("#52606D")
RULE = colors.HexColor("#9AA5B1")
HEADER_FILL = colors.HexColor("#E4E7EB")
PAGE_SIZE = landscape(A4)
PAGE_SIZES = {"a4": landscape(A4), "letter": landscape(LETTER)}  # landscape, for wide tables and month grids
MARGIN = 15 * mm

_ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]")


@cache
def register_fonts() -> None:
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)


def styles() -> dict[str, ParagraphStyle]:
    """The paragraph styles of the reader's language: right-aligned for a right-to-left language."""
    return _styles(is_rtl())


@cache
def _styles(rtl: bool) -> dict[str, ParagraphStyle]:
    register_fonts()
    align = TA_RIGHT if rtl else TA_LEFT
    base = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=11.5, textColor=INK, alignment=align)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5, textColor=MUTED),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
        "cell_bold": ParagraphStyle("cell_bold", parent=base, fontName=FONT_BOLD, fontSize=8, leading=10),
        "title": ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=22, leading=27,
                                spaceAfter=6 * mm),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=12, leading=15, textColor=MUTED,
                                   spaceAfter=4 * mm),
        "h1": ParagraphStyle("h1", parent=base, fontName=FONT_BOLD, fontSize=14, leading=18, spaceBefore=4 * mm,
                             spaceAfter=2.5 * mm),
        "h2": ParagraphStyle("h2", parent=base, fontName=FONT_BOLD, fontSize=10.5, leading=13,
                             spaceBefore=3.5 * mm, spaceAfter=1.5 * mm),
        "centre": ParagraphStyle("centre", parent=base, alignment=TA_CENTER),
    }


def _base_direction(text: str) -> str:
    """'R' when the paragraph's first strong letter is Arabic (or it has none and the reader's language runs
    right to left), else 'L': the Unicode bidi algorithm's rule P2-P3."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "R"
        if kind == "L":
            return "L"
    return "R" if is_rtl() else "L"


def _visual(line: str, direction: str) -> str:
    """One line in visual order. python-bidi refuses a whole line ("not allowed here") when a character is
    unknown to its Unicode data (an emoji newer than it, an unassigned code point): one such character in one
    note would stop every report that prints it. Such characters are drawn as U+FFFD (the fonts have no glyph
    for them either) and the rest of the line is ordered as usual; a line the algorithm still refuses is drawn
    in reading order rather than not at all."""
    try:
        return get_display(line, base_dir=direction)
    except Exception:  # python-bidi raises AssertionError (and may raise others) for data it does not know
        known = "".join(c if unicodedata.bidirectional(c) and unicodedata.category(c) not in ("Cn", "Co", "Cs")
                        else "\ufffd" for c in line)
        try:
            return get_display(known, base_dir=direction)
        except Exception:
            return known


def shape(text: str) -> str:
    """One line of text as it is drawn: Arabic letters joined, then the line put in visual order (right to left
    runs reversed). Only for text that is drawn on one line; wrapped text goes through ``BidiParagraph``."""
    if not _ARABIC.search(text):
        return text
    return "\n".join(_visual(arabic_reshaper.reshape(line), _base_direction(line)) for line in text.split("\n"))


class BidiParagraph(Paragraph):
    """A paragraph holding right-to-left text, wrapped the way a reader reads it: the words are broken into lines
    in their logical (reading) order first, and only then is each line put in visual order. Reordering the whole
    text before wrapping, as a plain Paragraph would need, puts the second half of a wrapped Arabic phrase above
    its first and reverses a name split across two lines.

    It is a Paragraph whose lines are laid out again for each width it is wrapped at, so tables and frames split
    it across pages exactly as they split any paragraph (a long note in a narrow column runs on over pages)."""

    def __init__(self, text: str | None, style: ParagraphStyle, markup: str | None = None,
                 **piece: Any) -> None:
        if text is None:  # a piece of a split paragraph (Paragraph.split makes them so): its lines are laid out
            self.logical_text, self.markup, self._laid_width = "", None, None
            super().__init__(None, style, **piece)
            return
        self.logical_text = clean(text)  # Paragraph keeps its own ``text``: the markup of the laid-out lines
        self.markup = markup
        rtl = _base_direction(self.logical_text) == "R"
        self._laid_width = -1.0
        self.style = style if not rtl or style.alignment == TA_CENTER else ParagraphStyle(
            f"{style.name}_rtl", parent=style, alignment=TA_RIGHT)
        super().__init__(self._markup(usable_width()), self.style)

    def _font(self) -> str:
        return FONT_BOLD if self.markup == "b" or self.style.fontName == FONT_BOLD else self.style.fontName

    def visual_lines(self, width: float) -> list[str]:
        """The lines as drawn, top to bottom, each already in visual order."""
        font, size = self._font(), self.style.fontSize
        lines: list[str] = []
        for paragraph in self.logical_text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            direction = _base_direction(paragraph)
            current: list[str] = []
            for word in arabic_reshaper.reshape(paragraph).split(" "):
                trial = " ".join([*current, word])
                if current and pdfmetrics.stringWidth(trial, font, size) > width:
                    lines.append(_visual(" ".join(current), direction))
                    current = [word]
                else:
                    current.append(word)
            lines.append(_visual(" ".join(current), direction))
        return lines

    def _markup(self, width: float) -> str:
        markup = "<br/>".join(html.escape(line, quote=False) for line in self.visual_lines(width - 1))
        return f"<{self.markup}>{markup}</{self.markup}>" if self.markup else markup

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        if self._laid_width is not None and available_width != self._laid_width:
            self._laid_width = available_width
            self._setup(self._markup(available_width), self.style, None, None, cleanBlockQuotedText)
        return super().wrap(available_width, available_height)


def para(text: str | None, style: str = "body", *, markup: str | None = None) -> Flowable:
    """A paragraph of user text, escaped; Arabic text is wrapped in reading order, then shaped line by line.
    ``markup`` (e.g. 'b') wraps it in trusted tags."""
    value = text or ""
    if _ARABIC.search(value):
        return BidiParagraph(value, styles()[style], markup)
    safe = for_pdf(value)
    if markup:
        safe = f"<{markup}>{safe}</{markup}>"
    return Paragraph(safe, styles()[style])


def cell(text: str | None, style: str = "cell", *, wrap_over: int = 18) -> Flowable | str:
    """A table cell. Short one-line text is drawn directly (no markup parsing, so nothing to escape and much
    faster for long tables); longer text becomes a wrapping paragraph."""
    value = text or ""
    if len(value) <= wrap_over and "\n" not in value:
        return shape(value)
    return para(value, style)


def grid_table(rows: Sequence[Sequence[Flowable | str]], col_widths: Sequence[float],
               extra: Sequence[tuple] = (), *, heading: str | None = None,
               min_row_heights: Sequence[float] | None = None) -> Table:
    """A table with a repeated header row that splits cleanly across pages. A ``heading`` is the table's own
    first row (repeated with the header on every page it runs over), so it can never sit alone at the foot of a
    page."""
    # splitInRow: a row taller than what is left of the page (a long progress note, a long reason) continues
    # on the next page instead of stopping the whole report.
    body = list(rows)
    rtl = is_rtl()
    if rtl:  # a right-to-left reader starts at the right: the first column is drawn at the right edge
        body = [list(reversed(row)) for row in body]
        col_widths = list(reversed(col_widths))
        extra = [_mirrored(rule, len(col_widths)) for rule in extra]
    shift = 0
    if heading is not None:
        body = [[para(heading, "h2"), *([""] * (len(col_widths) - 1))], *body]
        shift = 1
    heights = [0.0] * shift + list(min_row_heights) if min_row_heights else None
    table = Table(body, colWidths=list(col_widths), repeatRows=1 + shift, splitByRow=True, splitInRow=1,
                  minRowHeights=heights)
    heading_style = [("SPAN", (0, 0), (-1, 0)), ("LEFTPADDING", (0, 0), (-1, 0), 0),
                     ("TOPPADDING", (0, 0), (-1, 0), 3 * mm)] if heading is not None else []
    extra = [_shifted(rule, shift) for rule in extra]
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), FONT, 8),
        ("BACKGROUND", (0, shift), (-1, shift), HEADER_FILL),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, shift), (-1, -1), 0.4, RULE),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("ALIGN", (0, 0), (-1, -1), "RIGHT" if rtl else "LEFT"),
        *heading_style,
        *extra,
    ]))
    return table


def _mirrored(rule: tuple, columns: int) -> tuple:
    """A style rule for the same table with its columns in reverse order."""
    name, (c0, r0), (c1, r1), *rest = rule

    def mirror(column: int) -> int:
        return columns - 1 - (column if column >= 0 else columns + column)

    return (name, (mirror(c1), r0), (mirror(c0), r1), *rest)


def _shifted(rule: tuple, rows: int) -> tuple:
    """A style rule for a table that got ``rows`` more rows on top."""
    if not rows:
        return rule
    name, (c0, r0), (c1, r1), *rest = rule
    return (name, (c0, r0 + rows if r0 >= 0 else r0), (c1, r1 + rows if r1 >= 0 else r1), *rest)


@dataclass(frozen=True)
class PageFurniture:
    header: str
    footer: str
    watermark: str = ""  # e.g. "DRAFT", across every page


class _NumberedCanvas(rl_canvas.Canvas):
    """Defers page output so the footer can say 'page X of Y'."""

    furniture: PageFurniture
    page_label: Callable[[int, int], str]

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._saved_pages: list[dict] = []

    def showPage(self) -> None:  # noqa: N802 (ReportLab's name)
        self._saved_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._saved_pages)
        for state in self._saved_pages:
            self.__dict__.update(state)
            self._draw_furniture(total)
            super().showPage()
        super().save()

    def _draw_furniture(self, total: int) -> None:
        width, height = self._pagesize
        self.saveState()
        self.setFont(FONT, 7.5)
        self.setFillColor(MUTED)
        header, footer = self.furniture.header[:160], self.furniture.footer[:160]
        if is_rtl():  # the running header and footer start at the right, the page number at the left
            self.drawRightString(width - MARGIN, height - 9 * mm, shape(header))
            self.drawRightString(width - MARGIN, 8 * mm, shape(footer))
            self.drawString(MARGIN, 8 * mm, shape(self.page_label(self._pageNumber, total)))
        else:
            self.drawString(MARGIN, height - 9 * mm, shape(header))
            self.drawString(MARGIN, 8 * mm, shape(footer))
            self.drawRightString(width - MARGIN, 8 * mm, self.page_label(self._pageNumber, total))
        self.setStrokeColor(RULE)
        self.setLineWidth(0.4)
        self.line(MARGIN, height - 10.5 * mm, width - MARGIN, height - 10.5 * mm)
        self.line(MARGIN, 11 * mm, width - MARGIN, 11 * mm)
        if self.furniture.watermark:
            self.setFont(FONT_BOLD, 96)
            self.setFillColor(colors.Color(0.75, 0.2, 0.2, alpha=0.13))
            self.translate(width / 2, height / 2)
            self.rotate(30)
            self.drawCentredString(0, -30, shape(self.furniture.watermark))
        self.restoreState()


class _End(Flowable):
    """Takes no room; notes where the story ended (page, and height left below it)."""

    def __init__(self) -> None:
        super().__init__()
        self.page = 0
        self.left = 0.0

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.left = available_height
        return 0, 0

    def draw(self) -> None:
        self.page = self.canv.getPageNumber()


NEARLY_EMPTY = 0.2  # a last page filled less than this is worth a small condensation


def build_pdf(story: Callable[[], list[Flowable]], *, title: str, author: str, furniture: PageFurniture,
              page_label: Callable[[int, int], str], page_size: tuple[float, float] = PAGE_SIZE) -> bytes:
    """Build the document. When its last page would hold only a row or two, build it once more with slightly
    smaller page margins and keep that if it saves the page."""
    register_fonts()
    first, pages, left = _build(story(), title, author, furniture, page_label, squeeze=0.0, page_size=page_size)
    frame = page_size[1] - 2 * MARGIN - 2 * mm
    if pages > 1 and left > frame * (1 - NEARLY_EMPTY):
        second, fewer, _ = _build(story(), title, author, furniture, page_label, squeeze=5 * mm,
                                  page_size=page_size)
        if fewer < pages:
            return second
    return first


def _build(story: list[Flowable], title: str, author: str, furniture: PageFurniture,
           page_label: Callable[[int, int], str], *, squeeze: float,
           page_size: tuple[float, float] = PAGE_SIZE) -> tuple[bytes, int, float]:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=page_size, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN + 2 * mm - squeeze / 2, bottomMargin=MARGIN - squeeze / 2,
                            title=title, author=author)
    canvas_class = type("PlanCanvas", (_NumberedCanvas,), {"furniture": furniture,
                                                           "page_label": staticmethod(page_label)})
    end = _End()
    doc.build([*story, end], canvasmaker=canvas_class)
    return buffer.getvalue(), end.page, end.left


def usable_width(page_size: tuple[float, float] = PAGE_SIZE) -> float:
    return page_size[0] - 2 * MARGIN


def usable_height(page_size: tuple[float, float] = PAGE_SIZE) -> float:
    return page_size[1] - 2 * MARGIN - 2 * mm


BAR_FILL = colors.HexColor("#3E7CB1")


def bar_chart(labels: Sequence[str], values: Sequence[float | None], *, width: float, height: float = 55 * mm,
              maximum: float | None = None, unit: str = "") -> Flowable:
    """A bar chart drawn in the PDF: one series, each bar named on the axis and its value printed on it (colour
    is never the only signal). Bars without a value are drawn empty and labelled "—"."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing, String

    register_fonts()
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 12 * mm, 14 * mm
    chart.width, chart.height = width - 16 * mm, height - 22 * mm
    chart.data = [[v if v is not None else 0 for v in values]]
    chart.bars[0].fillColor = BAR_FILL
    chart.bars[0].strokeColor = None
    top = maximum if maximum is not None else max([v for v in values if v is not None] + [1]) * 1.2
    chart.valueAxis.valueMin, chart.valueAxis.valueMax = 0, top
    chart.valueAxis.labels.fontName, chart.valueAxis.labels.fontSize = FONT, 7
    chart.categoryAxis.categoryNames = [shape(label) for label in labels]
    chart.categoryAxis.labels.fontName, chart.categoryAxis.labels.fontSize = FONT, 7
    chart.categoryAxis.labels.boxAnchor = "n"
    chart.barLabelFormat = lambda v: ""  # values are drawn below, "—" where there is none
    drawing.add(chart)
    step = chart.width / max(len(values), 1)
    for index, value in enumerate(values):
        text = "—" if value is None else f"{value:g}{unit}"
        y = chart.y + (chart.height * (value or 0) / top if top else 0) + 2
        drawing.add(String(chart.x + step * (index + 0.5), y, text, fontName=FONT, fontSize=7.5,
                           textAnchor="middle", fillColor=INK))
    return drawing
