"""The one place where user text is made safe before it leaves the tool: HTML, Markdown, a PDF paragraph, a
spreadsheet cell or a CSV field all go through ``clean`` first, then their own escaping."""

from __future__ import annotations

import html
import re

from core.i18n import Markdown, t

# What XML 1.0 (and so every .xlsx, and ReportLab's paragraph markup) cannot hold: control characters other than
# tab and line breaks, lone surrogates, and the non-characters U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A cell (or, after a line break, a line) starting with one of these is run as a formula by Excel, LibreOffice
# and Google Sheets ("CSV injection"); a leading apostrophe makes it plain text without changing what people read.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_LINE_BREAK = re.compile(r"(\r\n|\r|\n)")
# What Markdown (and Streamlit's, with LaTeX between dollars) can act on: links and images need brackets, HTML
# needs angle brackets, emphasis and code their marks, headings a hash. Ordinary punctuation is left alone.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>!~|#$:@])")
# GitHub-flavoured Markdown (Streamlit's) also makes a link of a bare address ("http://…", "www.…", "a@b.org"):
# the colon and the at sign are escaped above, and the dot after "www" here. (A line starting "1." or "-" may be
# laid out as a list; it stays the same words, and widget labels show it as typed.)
_BARE_WWW = re.compile(r"(?i)\b(www)\.")


def as_saved(text: str | None) -> str:
    """Free text as the tool stores it: without leading or trailing spaces and line breaks. Pages compare what is
    typed with what is saved through this too, so a trailing space is never an "unsaved change"."""
    return (text or "").strip()


def text_problem(text: str, limit: int | None) -> str:
    """What stops a typed text from being stored, in the person's words: a NUL character, or more than ``limit``
    characters; empty when it can be stored. Services check a text with this before they look it up, so the
    same message comes from every engine."""
    if "\x00" in text:
        return t("common.error.nul_character")
    if limit is not None and len(text) > limit:
        return t("common.error.too_long", limit=limit)
    return ""


def clean(text: str | None) -> str:
    """Text with every character removed that some export cannot carry."""
    return _NOT_XML.sub("", text or "")


def one_line(text: str | None) -> str:
    """Text for a field that holds one line (a calendar's name): line breaks and runs of spaces become a space."""
    return " ".join(clean(text).split())


def for_html(text: str | None) -> str:
    return html.escape(clean(text), quote=True)


def for_markdown(text: str | None) -> Markdown:
    """User text placed inside Markdown (a widget label, a list item) shows as the same text: no link, image or
    HTML is made of it. Text that is ``Markdown`` already (a message ``t`` made for a page, text escaped before)
    is kept as it is: escaped twice, it would show its backslashes."""
    if isinstance(text, Markdown):
        return text
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", clean(text))
    escaped = _BARE_WWW.sub(r"\1\\.", escaped)
    return Markdown(escaped.replace("\n", "  \n"))


def markdown_code(text: str | None) -> Markdown:
    """User text shown as inline code (an action's identifier): a code span fenced by more backticks than the
    text holds in a row, so nothing in it ends the span early; inside it nothing is Markdown."""
    body = " ".join(clean(text).split())
    if not body:
        return Markdown("")
    fence = "`" * (max((len(run) for run in re.findall("`+", body)), default=0) + 1)
    padding = " " if body.startswith("`") or body.endswith("`") else ""
    return Markdown(f"{fence}{padding}{body}{padding}{fence}")


def for_pdf(text: str | None) -> str:
    """Escape text for a ReportLab ``Paragraph`` (which parses a small XML markup) and keep line breaks."""
    return html.escape(clean(text), quote=False).replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br/>")


def for_spreadsheet(value: object) -> object:
    """Neutralise spreadsheet formulas in user text (at the start and after every line break); leave numbers and
    dates alone."""
    if not isinstance(value, str):
        return value
    cleaned = clean(value)
    if cleaned.startswith(_FORMULA_START):
        cleaned = "'" + cleaned
    parts = _LINE_BREAK.split(cleaned)
    for index in range(2, len(parts), 2):  # the text after each line break
        if parts[index].startswith(_FORMULA_START[:4]):
            parts[index] = "'" + parts[index]
    return "".join(parts)
