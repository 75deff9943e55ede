"""The one place where user text is made safe before it enters HTML, a PDF paragraph or a spreadsheet cell."""

from __future__ import annotations

import html
import re

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Google Sheets
# ("CSV injection"); the leading apostrophe makes it plain text without changing what people read.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def for_html(text: str | None) -> str:
    return html.escape(text or "", quote=True)


def for_pdf(text: str | None) -> str:
    """Escape text for a ReportLab ``Paragraph`` (which parses a small XML markup) and keep line breaks."""
    cleaned = _CONTROL_CHARS.sub("", text or "")
    return html.escape(cleaned, quote=False).replace("\n", "<br/>")


def for_spreadsheet(value: object) -> object:
    """Neutralise spreadsheet formulas in user text; leave numbers and dates alone."""
    if not isinstance(value, str):
        return value
    cleaned = _CONTROL_CHARS.sub("", value)
    if cleaned.startswith(_FORMULA_PREFIXES):
        return "'" + cleaned
    return cleaned
