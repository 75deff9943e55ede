"""Reading a spreadsheet a person uploads (CSV or XLSX) into rows, safely: the one reader behind every import.

Bounded by what the file holds, not by what it says of itself: before openpyxl reads a workbook, the sizes of its
parts unpacked and every part it streams are checked (a text longer than a cell can hold, a row or a table of
shared strings larger than any list, a sheet running on past the rows any import reads), so a small file that
unpacks to gigabytes stops with a message, never by filling the memory. Every line read counts, blank or not.
Every problem names the line as the spreadsheet shows it."""

from __future__ import annotations

import contextlib
import csv
import io
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import IO, Any
from xml.parsers import expat

from openpyxl import load_workbook
from openpyxl.packaging.manifest import Manifest
from openpyxl.packaging.relationship import get_dependents, get_rels_path
from openpyxl.reader.excel import _find_workbook_part  # openpyxl is pinned: the very lookup load_workbook makes
from openpyxl.reader.workbook import WorkbookParser
from openpyxl.xml.constants import (
    ARC_APP,
    ARC_CONTENT_TYPES,
    ARC_CORE,
    ARC_CUSTOM,
    ARC_STYLE,
    ARC_THEME,
    SHARED_STRINGS,
)
from openpyxl.xml.functions import fromstring

from core.errors import ValidationFailed
from core.i18n import join_messages, t

MAX_COLUMNS = 60  # templates have fewer; a sheet claiming thousands of columns is not read past these
MAX_CELL = 5000  # characters in one cell: more than any name, e-mail or list of dates
MAX_FILE_BYTES = 5_000_000
# Lines read beyond an import's rows: blank lines between entries, rows formatted in advance below a list. Every
# line counts, so a sheet of a million rows whose cells are all in a column no import reads stops here.
BLANK_LINES = 10_000

# What a workbook may hold, checked before openpyxl reads it. openpyxl builds a cell's whole text, the whole table
# of shared strings (used or not) and every part it parses whole in memory; deflate packs up to 1,000:1, so a
# file at the upload cap can unpack to gigabytes. The sizes are those of the zip's directory, which zipfile holds
# each part to as it unpacks (a part running past its size fails its checksum); the rest is met by a streaming
# parse that keeps no more than one tag in memory. Each bound is far above what a real list needs.
MAX_PARTS = 1000  # a workbook has a dozen parts, a few more per sheet
# All parts unpacked: the largest list an import takes (10,000 rows of 60 cells) is about 25 MB; a bomb packs
# 1,000 times, a real sheet 4 to 20 times.
MAX_UNPACKED_BYTES = 10 * MAX_FILE_BYTES
# A part openpyxl parses whole (styles, theme, workbook, relations, a chart, a picture) costs tens of times its
# size in memory: the largest real styles (Excel's 64,000 formats) are about 4 MB, most are a few kilobytes.
MAX_WHOLE_PART_BYTES = 2_000_000
EXCEL_CELL = 32_767  # characters a spreadsheet cell can hold (Excel's limit): no spreadsheet has a longer text
EXCEL_COLUMNS = 16_384  # cells in a row (Excel's last column is XFD)
MAX_RECORD_TEXT = 1_000_000  # characters in one row (30 full cells): openpyxl holds a row's text at once
MAX_RECORD_ELEMENTS = 65_536  # elements in one row or shared string, or outside the rows of a sheet
MAX_SHEET_CELLS = 1_000_000  # cells in the sheets read: openpyxl reads about 150,000 a second
# The text of the cells and shared strings read, as Python holds it: 1, 2 or 4 bytes a character, by the widest
# in the text (one emoji makes a long text four times its size packed); half the largest list's 25 MB is text.
MAX_TEXT_BYTES = 48_000_000
MAX_STRINGS = 300_000  # shared strings: each costs about 160 bytes in openpyxl's table besides its text
MAX_NAMES = 2_000  # different element and attribute names in a part; a sheet uses about a hundred
MAX_TOKEN_BYTES = 1_000_000  # bytes the XML parser may hold before a tag ends (a tag is a few dozen)
CHUNK = 65_536


def problem(line: int, message: str) -> str:
    return t("import.error.line", line=line, message=message)


def report_problems(problems: list[str], field: str = "file") -> None:
    """Raise ``ValidationFailed`` listing the first 50 problems, if there are any."""
    if problems:
        more = len(problems) - 50
        raise ValidationFailed({field: join_messages(
            [*problems[:50], *([t("import.error.more", count=more)] if more > 0 else [])])})


def _refused(key: str, **values: Any) -> ValidationFailed:
    return ValidationFailed({"file": t(key, **values)})


def _too_big() -> ValidationFailed:
    return _refused("import.error.unpacked_too_big", megabytes=MAX_UNPACKED_BYTES // 1_000_000,
                    part=MAX_WHOLE_PART_BYTES // 1_000_000)


class _Sized(Exception):
    """Raised at a sheet's dimension: openpyxl reads a sheet other than the first only that far (to size it)."""


def _scan(stream: IO[bytes], *, kind: str, max_lines: int = 0, left: list[int] | None = None) -> None:
    """Stream one part through expat, refusing it at the first bound it passes; nothing of it is kept. ``kind`` is
    ``strings`` (the shared strings: each a record), ``sheet`` (the sheet read: each row a record, each cell's text
    summed), ``other sheet`` (read up to its dimension) or ``whole`` (a part openpyxl parses whole, already bounded
    by its size: only a document type, which could declare entities that expand, is refused). ``left`` holds what
    the workbook has left: cells, and bytes of text."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    sheet = kind in ("sheet", "other sheet")
    names: dict[str, str] = {}
    attribute_names: set[str] = set()
    left = left if left is not None else [MAX_SHEET_CELLS, MAX_TEXT_BYTES]
    # Depths of the element open: the sheet's data, the record (a row, a shared string, one of a sheet's other
    # parts, each of which openpyxl builds whole), the cell or shared string whose text openpyxl joins into one.
    depth = data = record = unit = 0
    elements = records = strings = text = unit_text = unit_width = row = rows = row_cells = last = 0

    def doctype(*_: Any) -> None:
        raise _refused("import.error.unreadable")

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal depth, data, record, unit, elements, records, strings, text, unit_text, unit_width, row, rows
        nonlocal row_cells, last
        depth += 1
        last = parser.CurrentByteIndex
        tag = names.get(name)
        if tag is None:
            tag = names[name] = name.rpartition(":")[2]
        if attributes:
            attribute_names.update(attributes)
        if len(names) + len(attribute_names) > MAX_NAMES:
            raise _refused("import.error.too_complex")
        if record:
            elements += 1
            if elements > MAX_RECORD_ELEMENTS:
                raise _refused("import.error.too_complex")
            if sheet and tag == "c" and depth == record + 1:
                unit, unit_text, unit_width = depth, 0, 1
                row_cells += 1
                left[0] -= 1
                if row_cells > EXCEL_COLUMNS or left[0] < 0:
                    raise _refused("import.error.too_complex")
        elif depth == 2 and sheet and tag == "sheetData":
            data, text = depth, 0
        elif depth == 2 or (data and depth == data + 1):
            record, elements, text = depth, 1, 0
            if data:  # a row: the lines openpyxl yields run to its number, empty ones filled in
                rows += 1
                number = attributes.get("r")
                row = int(number) if number else row + 1
                row_cells = 0
                if max(row, rows) > max_lines:
                    raise _refused("import.error.too_many_lines", limit=max_lines)
            elif tag == "si" and not sheet:
                unit, unit_text, unit_width = depth, 0, 1
                strings += 1
                if strings > MAX_STRINGS:
                    raise _refused("import.error.too_complex")
            elif kind == "other sheet" and tag == "dimension":
                raise _Sized
            else:
                records += 1
                if records > MAX_RECORD_ELEMENTS:
                    raise _refused("import.error.too_complex")
        else:
            text = 0

    def end(name: str) -> None:
        nonlocal depth, data, record, unit, text
        if depth == unit:
            unit = 0
            left[1] -= unit_text * unit_width
            if left[1] < 0:
                raise _refused("import.error.too_complex")
        if depth == record:
            record = text = 0
        elif depth == data:
            data = text = 0
        elif not record:
            text = 0
        depth -= 1

    def characters(chunk: str) -> None:
        nonlocal text, unit_text, unit_width
        if unit:
            unit_text += len(chunk)
            if not chunk.isascii():
                widest = ord(max(chunk))
                unit_width = max(unit_width, 1 if widest < 256 else 2 if widest < 65_536 else 4)
            if unit_text > EXCEL_CELL:
                if sheet:
                    raise ValidationFailed({"file": problem(row, t("import.error.cell_too_big", limit=EXCEL_CELL))})
                raise _refused("import.error.text_too_long", limit=EXCEL_CELL)
        text += len(chunk)
        if text > MAX_RECORD_TEXT:
            raise _refused("import.error.too_complex")

    parser.StartDoctypeDeclHandler = doctype
    if kind != "whole":
        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = characters
    read = 0
    while chunk := stream.read(CHUNK):
        parser.Parse(chunk, False)
        read += len(chunk)
        if read - last > MAX_TOKEN_BYTES and kind != "whole":  # a tag, comment or declaration without end
            raise _refused("import.error.unreadable")
    parser.Parse(b"", True)


def _check_workbook(content: bytes, max_lines: int) -> str:
    """Refuse a workbook before openpyxl reads it if it holds more than any list (see the bounds above); return
    the path of the sheet to read."""
    if content.count(b"PK\x01\x02") > MAX_PARTS:  # the parts' entries in the zip's directory, before zipfile lists them
        raise _refused("import.error.unreadable")
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except Exception as exc:  # not a zip, or a damaged one: zipfile raises several types
        raise _refused("import.error.unreadable") from exc
    with archive:
        listed = archive.infolist()
        sizes = {info.filename: info.file_size for info in listed}
        if len(listed) > MAX_PARTS or len(sizes) < len(listed):  # a name twice: which one is read?
            raise _refused("import.error.unreadable")
        if sum(sizes.values()) > MAX_UNPACKED_BYTES:
            raise _too_big()
        try:
            return _check_parts(archive, sizes, max_lines)
        except ValidationFailed:
            raise
        except Exception as exc:  # a damaged part: a bad checksum, invalid XML, a relation to nothing
            raise _refused("import.error.unreadable") from exc


def _check_parts(archive: zipfile.ZipFile, sizes: dict[str, int], max_lines: int) -> str:
    """The parts found as openpyxl finds them (its own readers, for the small parts that say where the others
    are): those it parses whole are bounded by their size, those it streams (the shared strings, the sheets)
    are scanned."""
    whole: set[str] = set()

    def small(name: str) -> None:
        if name in sizes and name not in whole:
            if sizes[name] > MAX_WHOLE_PART_BYTES:
                raise _too_big()
            # A part that is not XML (a picture) stops the scan at once; openpyxl, if it reads it, says so.
            with archive.open(name) as stream, contextlib.suppress(expat.ExpatError):
                _scan(stream, kind="whole")
            whole.add(name)

    small(ARC_CONTENT_TYPES)
    manifest = Manifest.from_tree(fromstring(archive.read(ARC_CONTENT_TYPES)))
    book = _find_workbook_part(manifest).PartName[1:]
    for name in (book, get_rels_path(book)):
        small(name)
    workbook = WorkbookParser(archive, book, keep_links=False)
    workbook.parse()
    found = [rel for _, rel in workbook.find_sheets() if rel.target in sizes]
    if len({rel.target for rel in found}) < len(found):  # one part as several sheets would be read again and again
        raise _refused("import.error.unreadable")
    sheets = [rel.target for rel in found if "chartsheet" not in rel.Type]
    strings = manifest.find(SHARED_STRINGS)
    streamed = {*sheets, *([strings.PartName[1:]] if strings is not None else [])}
    for name in (ARC_CORE, ARC_APP, ARC_CUSTOM, ARC_THEME, ARC_STYLE, *(get_rels_path(r.target) for r in found)):
        small(name)
    # A chart sheet is read whole, with its drawing, charts and pictures: every part its relations reach.
    reached, visited = [rel.target for rel in found if "chartsheet" in rel.Type], set()
    while reached:
        name = reached.pop()
        if name in sizes and name not in visited:
            visited.add(name)
            small(name)
            relations = get_rels_path(name)
            if relations in sizes:
                small(relations)
                reached += [rel.target for rel in get_dependents(archive, relations) if rel.TargetMode != "External"]
    if streamed & whole:  # a part read whole and streamed: the bounds of both would not hold
        raise _refused("import.error.unreadable")
    left = [MAX_SHEET_CELLS, MAX_TEXT_BYTES]
    if strings is not None and strings.PartName[1:] in sizes:
        with archive.open(strings.PartName[1:]) as stream:
            _scan(stream, kind="strings", left=left)
    for position, name in enumerate(sheets):
        with archive.open(name) as stream, contextlib.suppress(_Sized):
            _scan(stream, kind="other sheet" if position else "sheet", max_lines=max_lines, left=left)
    if not sheets:
        raise _refused("import.error.unreadable")
    return sheets[0]


def _xlsx_rows(content: bytes, max_lines: int) -> Iterator[Sequence[Any]]:
    first = _check_workbook(content, max_lines)
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True, keep_links=False)
        sheet = book.worksheets[0]
        if sheet._worksheet_path != first:  # the sheet scanned is the one read
            raise ValueError(sheet._worksheet_path)
    except Exception as exc:  # openpyxl raises many unrelated types for a damaged file
        raise ValidationFailed({"file": t("import.error.unreadable")}) from exc
    # Up to the lines an import reads, whatever the sheet's dimension says: a stale one would drop rows.
    rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS, max_row=max_lines + 1)
    number = 0
    try:
        while True:
            number += 1
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception as exc:  # a damaged part of the sheet, or a date Excel cannot have (29 Feb 1900)
                raise ValidationFailed({"file": problem(number, t("import.error.unreadable_row"))}) from exc
            yield row
    finally:
        book.close()


def _csv_rows(content: bytes) -> Iterator[Sequence[Any]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed({"file": t("import.error.encoding")}) from exc
    # newline="" lets the reader take CR, LF and CRLF line endings alike, and line breaks inside quoted cells.
    # A field past the csv module's limit (131,072 characters) stops the reader before it is built further.
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise ValidationFailed({"file": problem(reader.line_num, t(
                    "import.error.cell_too_big", limit=csv.field_size_limit()))}) from exc
            raise ValidationFailed({"file": problem(reader.line_num, t("import.error.unreadable_row"))}) from exc
        yield row


def read_rows(filename: str, content: bytes, *, columns: Sequence[str], required: Sequence[str],
              max_rows: int, aliases: Mapping[str, str] | None = None,
              max_cell: int = MAX_CELL) -> list[tuple[int, dict[str, Any]]]:
    """(row number as the spreadsheet shows it, {column: value}) for each non-empty row. The first row names the
    columns; ``aliases`` read other names (another system's export) as ours, where ours is not there too. Every
    line counts towards ``max_rows`` and ``BLANK_LINES`` more, however empty."""
    name = filename.lower()
    if len(content) > MAX_FILE_BYTES:
        raise ValidationFailed({"file": t("import.error.too_big", megabytes=MAX_FILE_BYTES // 1_000_000)})
    max_lines = 1 + max_rows + BLANK_LINES
    if name.endswith(".xlsx"):
        stream = _xlsx_rows(content, max_lines)
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
        if number > max_lines:
            raise ValidationFailed({"file": t("import.error.too_many_lines", limit=max_lines)})
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
