"""The one reader behind every import is bounded by what a file holds, not by what it claims: a small file whose
text is huge once unpacked (one cell, inline or as a shared string, used or not), a part that unpacks past the
bound, a million rows whose cells are all in a column no import reads, a CSV field past the csv module's limit.
Each is refused with its own message before the text is built (the memory the reader takes is measured where it
is cheap); a real workbook, its blank lines and a stale dimension still read. The files are built here, small;
``python -m bench.imports`` runs the same at the upload cap and measures the memory."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from sqlalchemy import func, select

from accounts.models import StaffMember
from accounts.staff import IMPORT_COLUMNS as STAFF_COLUMNS
from bench.imports import (
    CASE_HEADER,
    MAIN,
    STAFF_HEADER,
    huge_inline_cell,
    huge_shared_string,
    row,
    xlsx,
    zip_bomb,
)
from checklists.models import CaseFile
from core.db import session_scope
from core.errors import ValidationFailed
from core.i18n import t
from core.imports import (
    BLANK_LINES,
    EXCEL_CELL,
    EXCEL_COLUMNS,
    MAX_STRINGS,
    MAX_TEXT_BYTES,
    MAX_UNPACKED_BYTES,
    MAX_WHOLE_PART_BYTES,
    problem,
    read_rows,
)
from tests.conftest import actor_for, make_account

MEGABYTE = 1_000_000
STAFF_ROWS = 5000
LINES = 1 + STAFF_ROWS + BLANK_LINES  # the header, the staff import's rows, blank lines
TOO_BIG = t("import.error.unpacked_too_big", megabytes=MAX_UNPACKED_BYTES // MEGABYTE,
            part=MAX_WHOLE_PART_BYTES // MEGABYTE)


def _read(filename: str, content: bytes) -> list[tuple[int, dict[str, object]]]:
    """As the staff import reads a file."""
    return read_rows(filename, content, columns=STAFF_COLUMNS, required=STAFF_HEADER, max_rows=STAFF_ROWS,
                     max_cell=1000)


def _refusal(filename: str, content: bytes) -> str:
    with pytest.raises(ValidationFailed) as refused:
        _read(filename, content)
    return refused.value.field_errors["file"]


@contextmanager
def _at_most(megabytes: int) -> Iterator[None]:
    """The reader allocates at most this much while refusing (today's reader built the whole text first)."""
    tracemalloc.start()
    try:
        yield
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < megabytes * MEGABYTE, f"{peak / MEGABYTE:.0f} MB"


def test_a_huge_inline_cell_is_refused_before_its_text_is_built():
    content = huge_inline_cell(STAFF_HEADER, 40 * MEGABYTE)
    assert len(content) < MEGABYTE
    with _at_most(16):
        message = _refusal("staff.xlsx", content)
    assert message == problem(2, t("import.error.cell_too_big", limit=EXCEL_CELL))


@pytest.mark.parametrize("used", [True, False], ids=["used", "unused"])
def test_a_huge_shared_string_used_or_not_is_refused_before_it_is_built(used):
    content = huge_shared_string(STAFF_HEADER, 40 * MEGABYTE, used=used)
    with _at_most(16):
        message = _refusal("staff.xlsx", content)
    assert message == t("import.error.text_too_long", limit=EXCEL_CELL)


@pytest.mark.parametrize("unpacked", [MAX_UNPACKED_BYTES + 1, MAX_WHOLE_PART_BYTES + 1], ids=["all", "one part"])
def test_a_workbook_unpacking_past_the_bound_is_refused_from_its_zip_directory(unpacked):
    """A bomb (the styles, which openpyxl parses whole): refused from the sizes the zip lists, nothing unpacked."""
    content = zip_bomb(STAFF_HEADER, unpacked)
    with _at_most(8):
        assert _refusal("staff.xlsx", content) == TOO_BIG


def test_a_part_that_unpacks_past_the_size_its_zip_directory_gives_is_cut_there():
    """The sizes checked are the ones zipfile holds each part to: a part claiming fewer bytes than it holds fails
    its checksum where the claim ends, and the rest is never unpacked."""
    content = bytearray(huge_shared_string(STAFF_HEADER, 40 * MEGABYTE, used=False))
    entry = content.rfind(b"PK\x01\x02", 0, content.find(b"xl/sharedStrings.xml", content.rfind(b"PK\x05\x06") - 4096))
    content[entry + 24:entry + 28] = struct.pack("<I", 1000)  # the uncompressed size of the central directory
    listed = zipfile.ZipFile(io.BytesIO(bytes(content))).getinfo("xl/sharedStrings.xml")
    assert listed.file_size in (1000, 0xFFFFFFFF)  # zip64 keeps the real size in an extra field: patched below
    if listed.file_size == 0xFFFFFFFF:
        extra = content.find(b"\x01\x00", entry + 46 + len(b"xl/sharedStrings.xml"))
        content[extra + 4:extra + 12] = struct.pack("<Q", 1000)
    assert zipfile.ZipFile(io.BytesIO(bytes(content))).getinfo("xl/sharedStrings.xml").file_size == 1000
    with _at_most(8):
        assert _refusal("staff.xlsx", bytes(content)) == t("import.error.unreadable")


WIDE = "\N{GRINNING FACE}"  # one character past U+FFFF: Python then holds every character of its text in 4 bytes


HOLDING_TOO_MUCH = {  # (shared strings, rows after the header), as built
    "too many shared strings": lambda: ((b"<si><t>%d</t></si>" % n for n in range(MAX_STRINGS + 1)), []),
    "text four times its size unpacked": lambda: (
        [b"<si><t>%s</t></si>" % (WIDE + "x" * 30_000).encode()] * (MAX_TEXT_BYTES // 120_000 + 1), []),
    "a row wider than a sheet": lambda: (None, [b'<row r="2">' + b"<c><v>1</v></c>" * (EXCEL_COLUMNS + 1) + b"</row>"]),
}


@pytest.mark.parametrize("case", ["too many shared strings", "a row wider than a sheet"])
def test_a_workbook_holding_more_than_any_list_is_refused_as_it_is_scanned(case):
    strings, rows = HOLDING_TOO_MUCH[case]()
    content = xlsx([row(1, *STAFF_HEADER), *rows], strings, compresslevel=1)
    assert _refusal("staff.xlsx", content) == t("import.error.too_complex")


def test_text_is_counted_as_python_holds_it_and_refused_before_it_is_built():
    """One wide character makes Python hold every character of a text in 4 bytes: 13 MB unpacked would be 52."""
    strings, _ = HOLDING_TOO_MUCH["text four times its size unpacked"]()
    content = xlsx([row(1, *STAFF_HEADER)], strings, compresslevel=1)
    with _at_most(16):
        assert _refusal("staff.xlsx", content) == t("import.error.too_complex")


def test_a_million_rows_in_an_unnamed_column_stop_at_the_line_bound_in_csv():
    content = ("," + ",".join(STAFF_HEADER) + "\n").encode() + b"x\n" * 1_000_000
    assert _refusal("staff.csv", content) == t("import.error.too_many_lines", limit=LINES)


def test_a_million_rows_in_an_unnamed_column_stop_at_the_line_bound_in_xlsx():
    """Packed small (4 MB), each row holding one number in column A, which the header (from B) does not name."""
    content = xlsx([row(1, *STAFF_HEADER, column=2), b"<row><c><v>1</v></c></row>" * 1_000_000], compresslevel=1)
    assert len(content) < 5 * MEGABYTE
    with _at_most(16):
        assert _refusal("staff.xlsx", content) == t("import.error.too_many_lines", limit=LINES)


def test_blank_lines_up_to_the_bound_are_read_past():
    rows = [row(1, *STAFF_HEADER), row(2, "Amina Yusuf", "caseworker", "Brightpath"),
            b"<row/>" * (BLANK_LINES - 1), row(BLANK_LINES + 2, "Samuel Mensah", "supervisor", "Brightpath")]
    read = _read("staff.xlsx", xlsx(rows))
    assert [(line, values["full_name"]) for line, values in read] == [(2, "Amina Yusuf"),
                                                                       (BLANK_LINES + 2, "Samuel Mensah")]
    csv_lines = ",".join(STAFF_HEADER) + "\nAmina Yusuf,caseworker,Brightpath\n" + ",,\n" * (BLANK_LINES - 1)
    assert len(_read("staff.csv", (csv_lines + "Samuel Mensah,supervisor,Brightpath\n").encode())) == 2


def test_a_csv_field_past_the_csv_limit_is_named_as_a_long_cell():
    content = (",".join(STAFF_HEADER) + "\n").encode() + b'"' + b"x" * 200_000 + b'",caseworker,Brightpath\n'
    assert _refusal("staff.csv", content) == problem(2, t("import.error.cell_too_big", limit=131_072))


def test_the_sheet_is_read_to_its_last_row_whatever_its_dimension_claims():
    rows = [row(1, *STAFF_HEADER)] + [row(n, f"Person {n}", "caseworker", "Brightpath") for n in range(2, 7)]
    assert len(_read("staff.xlsx", xlsx(rows, dimension="A1:C2"))) == 5
    assert len(_read("staff.xlsx", xlsx(rows, dimension="A1:XFD1048576"))) == 5


def test_a_document_type_which_could_declare_entities_is_refused():
    """Entities expand (a billion laughs); no spreadsheet declares any. Here in the styles, which openpyxl parses
    whole."""
    laughs = (b'<?xml version="1.0"?><!DOCTYPE styleSheet [<!ENTITY a "aaaaaaaaaa">]><styleSheet xmlns="%s">'
              b"<numFmts><numFmt numFmtId=\"164\" formatCode=\"&a;\"/></numFmts></styleSheet>" % MAIN)
    content = xlsx([row(1, *STAFF_HEADER)], extra={"xl/styles.xml": [laughs]})
    assert _refusal("staff.xlsx", content) == t("import.error.unreadable")


def test_a_real_workbook_with_shared_strings_and_a_second_sheet_still_reads():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([*STAFF_HEADER, "notes"])
    sheet.append(["Amina Yusuf", "caseworker", "Brightpath", "x" * 20_000])  # a long note in a column not read
    sheet.append([])
    sheet.append(["Samuel Mensah", "supervisor", "Brightpath"])
    workbook.create_sheet("how to fill").append(["full_name", "The person's name, as on their contract."])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert [line for line, _ in _read("staff.xlsx", buffer.getvalue())] == [2, 4]


def test_a_chart_sheet_is_read_past_and_every_part_it_reaches_is_bounded():
    """openpyxl parses a chart sheet whole, with its drawing and charts: a chart padded past the bound is refused."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(STAFF_HEADER)
    sheet.append(["Amina Yusuf", "caseworker", "Brightpath"])
    chart = BarChart()
    chart.add_data(Reference(sheet, min_col=1, min_row=1, max_row=2))
    workbook.create_chartsheet("chart", 0).add_chart(chart)
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert len(_read("staff.xlsx", buffer.getvalue())) == 1
    padded = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(padded, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            part = source.read(name)
            if name.startswith("xl/charts/"):
                part = part.replace(b"><", b">" + b" " * MAX_WHOLE_PART_BYTES + b"<", 1)
            target.writestr(name, part)
    assert _refusal("staff.xlsx", padded.getvalue()) == TOO_BIG


# ------------------------------------------------------------------------------------ through the importers


def _count(engine, model) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("importer", ["staff", "case files"])
def test_the_staff_and_case_file_imports_refuse_hostile_files_and_keep_nothing(engine, importer):
    from accounts.staff_import import MAX_IMPORT_ROWS as MAX_STAFF
    from accounts.staff_import import import_staff
    from checklists.services.imports import MAX_IMPORT_ROWS as MAX_CASE_FILES
    from checklists.services.imports import import_case_files

    if importer == "staff":
        actor = actor_for(engine, make_account(engine, username="ada-admin", roles=["administrator"], agency=None))
        header, lines = STAFF_HEADER, 1 + MAX_STAFF + BLANK_LINES
    else:
        actor = actor_for(engine, make_account(engine, username="lucia-manager", roles=["manager"]))
        header, lines = CASE_HEADER, 1 + MAX_CASE_FILES + BLANK_LINES
    before = _count(engine, StaffMember), _count(engine, CaseFile)
    for name, content, message in (
            ("list.xlsx", huge_shared_string(header, 10 * MEGABYTE, used=False),
             t("import.error.text_too_long", limit=EXCEL_CELL)),
            ("list.xlsx", huge_inline_cell(header, 10 * MEGABYTE),
             problem(2, t("import.error.cell_too_big", limit=EXCEL_CELL))),
            ("list.csv", ("," + ",".join(header) + "\n").encode() + b"x\n" * (lines + 10),
             t("import.error.too_many_lines", limit=lines))):
        with pytest.raises(ValidationFailed) as refused, session_scope(engine, actor=actor) as session:
            if importer == "staff":
                import_staff(session, actor=actor, filename=name, content=content)
            else:
                import_case_files(session, actor=actor, agency_id=actor.agency_id or 0, filename=name,
                                  content=content)
        assert refused.value.field_errors["file"] == message
    assert (_count(engine, StaffMember), _count(engine, CaseFile)) == before
