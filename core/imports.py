"""Reading a spreadsheet a person uploads (CSV or XLSX) into rows, safely: the one reader behind every import.

Read as a stream: a file with more rows, columns or longer cells than any real list stops with a message, never by
filling the memory. Every problem names the line as the spreadsheet shows it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import load_workbook

from core.errors import ValidationFailed
from core.i18n import t

MAX_COLUMNS = 60  # templates have fewer; a sheet claiming thousands of columns is not read past these
MAX_CELL = 5000  # characters in one cell: more than any name, e-mail or list of dates
MAX_FILE_BYTES = 5_000_000


def problem(line: int, message: str) -> str:
    return t("import.error.line", line=line, message=message)


def report_problems(problems: list[str], field: str = "file") -> None:
    """Raise ``ValidationFailed`` listing the first 50 problems, if there are any."""
    if problems:
        more = len(problems) - 50
        raise ValidationFailed({field: "\n".join(problems[:50]) + (
            "\n" + t("import.error.more", count=more) if more > 0 else "")})


def _xlsx_rows(content: bytes) -> Iterator[Sequence[Any]]:
    try:
        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
    except Exception as exc:  # openpyxl raises many unrelated types for a damaged file
        raise ValidationFailed({"file": t("import.error.unreadable")}) from exc
    rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
    number = 0
    while True:
        number += 1
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # a damaged part of the sheet, or a date Excel cannot have (29 Feb 1900)
            raise ValidationFailed({"file": problem(number, t("import.error.unreadable_row"))}) from exc
        yield row


def _csv_rows(content: bytes) -> Iterator[Sequence[Any]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed({"file": t("import.error.encoding")}) from exc
    # newline="" lets the reader take CR, LF and CRLF line endings alike, and line breaks inside quoted cells.
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ValidationFailed({"file": problem(reader.line_num, t("import.error.unreadable_row"))}) from exc
        yield row


def read_rows(filename: str, content: bytes, *, columns: Sequence[str], required: Sequence[str],
              max_rows: int, aliases: Mapping[str, str] | None = None,
              max_cell: int = MAX_CELL) -> list[tuple[int, dict[str, Any]]]:
    """(row number as the spreadsheet shows it, {column: value}) for each non-empty row. The first row names the
    columns; ``aliases`` read other names (another system's export) as ours, where ours is not there too."""
    name = filename.lower()
    if len(content) > MAX_FILE_BYTES:
        raise ValidationFailed({"file": t("import.error.too_big", megabytes=MAX_FILE_BYTES // 1_000_000)})
    if name.endswith(".xlsx"):
        stream = _xlsx_rows(content)
    elif name.endswith(".csv"):
        stream = _csv_rows(content)
    else:
        raise ValidationFailed({"file": t("import.error.type")})
    first = next(stream, None)
    if first is None:
        raise ValidationFailed({"file": t("import.error.empty")})
    header = [str(h or "").strip().lower()[:40] for h in first[:MAX_COLUMNS]]
    for position, heading in enumerate(header):
        alias = (aliases or {}).get(heading)
        if alias and heading not in columns and alias not in header:
            header[position] = alias
    missing = [c for c in required if c not in header]
    if missing:
        raise ValidationFailed({"file": t("import.error.columns", columns=", ".join(missing))})
    rows = []
    for number, raw in enumerate(stream, start=2):
        row = {header[i]: raw[i] for i in range(min(len(header), len(raw))) if header[i] in columns}
        for column, value in row.items():
            text = "" if value is None else str(value)
            if len(text) > max_cell:
                raise ValidationFailed({"file": problem(number, t("import.error.cell_too_long", column=column,
                                                                  limit=max_cell))})
            if "\x00" in text:
                raise ValidationFailed({"file": problem(number, t("import.error.control_character",
                                                                  column=column))})
        if any(str(v).strip() for v in row.values() if v is not None):
            rows.append((number, row))
            if len(rows) > max_rows:
                raise ValidationFailed({"file": t("import.error.too_many", limit=max_rows)})
    return rows


class CellError(ValueError):
    """A cell that cannot be read; ``column`` names it."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


def parse_day(value: Any, column: str) -> date | None:
    """A date cell: a real spreadsheet date, or text written YYYY-MM-DD."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        if len(text) > 10 and text[10] in "T ":
            return datetime.fromisoformat(text).date()
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise CellError(column, t("import.error.date_format", value=text[:40]))
