"""Spreadsheet building blocks: a formatted sheet with a frozen header and filters; every cell passes through
``core.safe_text.for_spreadsheet`` so user text never runs as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from core.safe_text import for_spreadsheet

HEADER_FILL = PatternFill("solid", fgColor="E4E7EB")
DATE_FORMAT = "d mmm yyyy"  # the medium date, as in pages and PDFs ("24 Nov 2026")


def write_sheet(sheet: Worksheet, headers: Sequence[str], rows: Sequence[Sequence[Any]],
                widths: Sequence[int], *, date_columns: Sequence[int] = (),
                choices: Mapping[int, Sequence[str]] | None = None, spare_rows: int = 200) -> None:
    """Headers, rows, widths, dates in the one date format, and for each column in ``choices`` a drop-down list
    of its allowed values (on the rows written and ``spare_rows`` more), so a sheet filled in offline holds only
    values that can be read back."""
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    for row in rows:
        sheet.append([for_spreadsheet(v) for v in row])
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for column in date_columns:
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = DATE_FORMAT
    for row_cells in sheet.iter_rows(min_row=2):
        for cell in row_cells:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    for column, allowed in (choices or {}).items():
        listed = ",".join(value.replace('"', '""') for value in allowed)
        validation = DataValidation(type="list", formula1=f'"{listed}"', allow_blank=True, showDropDown=False,
                                    showErrorMessage=True)
        letter = get_column_letter(column)
        validation.add(f"{letter}2:{letter}{len(rows) + 1 + spare_rows}")
        sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(1, len(rows) + 1)}"


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """The one CSV writer: UTF-8 with a byte-order mark (Excel then opens accented and Arabic text correctly),
    CRLF between records, and every field that holds a line break of any kind (CR, LF) quoted, so a line break
    inside a note never starts a new record or a new cell."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([for_spreadsheet(h) for h in headers])
    for row in rows:
        writer.writerow([for_spreadsheet(v.isoformat() if hasattr(v, "isoformat") else v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")
