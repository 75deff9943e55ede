"""Importer benchmark (memory, not a timed test): ``python -m bench.imports [--only WORD]``.

The staff import and the case file import are run, each case in a fresh process, on files up to the upload cap
(5 MB): a large real list (5,000 rows, XLSX and CSV) and hostile files, small packed but huge unpacked or long:
one cell of 1,000 MB, inline or as a shared string (used or not), a part that unpacks to 5 GB, a million rows
whose cells are all in a column no import reads, a CSV field of 5 MB, and the most text the bounds let through
(shared strings and cells as many and as long as they may be, in characters Python holds in 4 bytes too). For
each: the outcome, the time, and the peak memory above the process's baseline (taken just before the import,
after a small import has loaded the code): the resident set's high-water mark (Linux's VmHWM, reset at the
baseline) and, in a second process, tracemalloc's peak. The target: every case under 200 MB. The workbook
builders write the XML parts themselves with zipfile, streamed, so a part of gigabytes is never held; the tests
use them too."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta
from pathlib import Path

TARGET_MB = 200
UPLOAD_CAP = 5_000_000
MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_TYPES = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/'
          b'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
          b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
          b'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
          b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
          b'spreadsheetml.worksheet+xml"/>%s</Types>')
_STRINGS_TYPE = (b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                 b'officedocument.spreadsheetml.sharedStrings+xml"/>')
_PACKAGE = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.'
            b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
            b'openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            b'</Relationships>')
_BOOK = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="%s" xmlns:r="http://schemas.'
         b'openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="list" sheetId="1" r:id="rId1"/>'
         b'</sheets></workbook>' % MAIN)
_BOOK_RELATIONS = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.'
                   b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                   b'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                   b'%s</Relationships>')
_STRINGS_RELATION = (b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                     b'relationships/sharedStrings" Target="sharedStrings.xml"/>')

Chunks = Iterable[bytes]


def _write(archive: zipfile.ZipFile, name: str, chunks: Chunks) -> None:
    with archive.open(name, "w", force_zip64=True) as part:
        for chunk in chunks:
            part.write(chunk)


def xlsx(rows: Chunks, strings: Chunks | None = None, *, dimension: str = "",
         extra: dict[str, Chunks] | None = None, compresslevel: int = 9) -> bytes:
    """A workbook of one sheet whose ``<sheetData>`` is ``rows`` (each ``<row>`` as bytes, in chunks), with the
    shared strings ``strings`` (each ``<si>``) if given, and ``extra`` parts (a name: its chunks). Level 1 packs
    fastest; 9 packs most (a part of spaces 1,000:1)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as archive:
        archive.writestr("[Content_Types].xml", _TYPES % (_STRINGS_TYPE if strings is not None else b""))
        archive.writestr("_rels/.rels", _PACKAGE)
        archive.writestr("xl/workbook.xml", _BOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _BOOK_RELATIONS % (
            _STRINGS_RELATION if strings is not None else b""))
        _write(archive, "xl/worksheets/sheet1.xml", [
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="%s">' % MAIN,
            b'<dimension ref="%s"/>' % dimension.encode() if dimension else b"", b"<sheetData>", *rows,
            b"</sheetData></worksheet>"])
        if strings is not None:
            _write(archive, "xl/sharedStrings.xml", [
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="%s">' % MAIN, *strings,
                b"</sst>"])
        for name, chunks in (extra or {}).items():
            _write(archive, name, chunks)
    return buffer.getvalue()


def _escaped(value: object) -> bytes:
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode()


def row(number: int, *cells: object, column: int = 1) -> bytes:
    """A row of inline strings from ``column`` (1 is A) on."""
    def letter(index: int) -> str:
        name = ""
        while index:
            index, rest = divmod(index - 1, 26)
            name = chr(65 + rest) + name
        return name

    return b'<row r="%d">' % number + b"".join(
        b'<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>' % (letter(column + i).encode(), number, _escaped(v))
        for i, v in enumerate(cells)) + b"</row>"


def long_text(characters: int, piece: bytes = b"x" * 65_536) -> Iterator[bytes]:
    """``characters`` x's, in chunks."""
    while characters > 0:
        yield piece[:characters]
        characters -= len(piece)


def huge_inline_cell(header: list[str], characters: int) -> bytes:
    """The header, then one cell whose inline text is ``characters`` long."""
    return xlsx([row(1, *header), b'<row r="2"><c r="A2" t="inlineStr"><is><t>', *long_text(characters),
                 b"</t></is></c></row>"])


def huge_shared_string(header: list[str], characters: int, *, used: bool) -> bytes:
    """The header, then (if ``used``) a cell showing shared string 0, whose text is ``characters`` long."""
    rows = [row(1, *header)] + ([b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>'] if used else [])
    return xlsx(rows, [b"<si><t>", *long_text(characters), b"</t></si>"])


def zip_bomb(header: list[str], unpacked: int) -> bytes:
    """A real list whose sheet's settings part (styles) unpacks to ``unpacked`` bytes of spaces."""
    return xlsx([row(1, *header)], extra={"xl/styles.xml": [
        b'<?xml version="1.0" encoding="UTF-8"?>\n<styleSheet xmlns="%s">' % MAIN,
        *long_text(unpacked, b" " * (1 << 20)), b"</styleSheet>"]})


def rows_in_an_unnamed_column(header: list[str], count: int) -> bytes:
    """The header, then ``count`` rows each with one number, in a column the header does not name (Z)."""
    return xlsx([row(1, *header), *(b'<row r="%d"><c r="Z%d"><v>1</v></c></row>' % (n, n)
                                    for n in range(2, count + 2))])


def csv_rows_in_an_unnamed_column(header: list[str], count: int) -> bytes:
    return ("," + ",".join(header) + "\n").encode() + b"x\n" * count


def csv_huge_field(header: list[str], characters: int) -> bytes:
    return (",".join(header) + "\n").encode() + b'"' + b"x" * characters + b'"\n'


WIDE = "\N{GRINNING FACE}"  # past U+FFFF: a text holding one is held in 4 bytes a character


def most_shared_strings(header: list[str], count: int, characters: int, wide: bool = False) -> bytes:
    """``count`` different shared strings, each ``characters`` long (with a wide character first if ``wide``); one
    row uses the first."""
    filler = ((WIDE if wide else "") + "x" * (characters - 8 - wide)).encode()
    return xlsx([row(1, *header), b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>'],
                (b"<si><t>%s%08d</t></si>" % (filler, n) for n in range(count)))


def longest_cells(header: list[str], rows: int, characters: int, wide: bool = False) -> bytes:
    """``rows`` rows whose every named cell holds ``characters`` characters (each different; with a wide
    character first if ``wide``)."""
    filler = (WIDE if wide else "") + "x" * (characters - 8 - wide)
    return xlsx([row(1, *header)] + [row(n, *(f"{filler}{n:04d}{i:04d}" for i in range(len(header))))
                                     for n in range(2, rows + 2)])


# ---------------------------------------------------------------------------------------------------- real lists

def staff_list(agency: str, count: int, fmt: str) -> bytes:
    header = ["full_name", "programme_role", "agency", "team", "start_date", "gender", "email", "active"]
    rows = [[f"Imported Person {n:05d}", ["caseworker", "supervisor", "other"][n % 3], agency, f"Team {n % 40:02d}",
             (date(2020, 1, 1) + timedelta(days=n % 1500)).isoformat(), ["female", "male", "undisclosed"][n % 3],
             f"person{n:05d}@example.org", "yes"] for n in range(count)]
    return _list(header, rows, fmt)


def case_file_list(caseworkers: list[str], count: int, fmt: str) -> bytes:
    header = ["case_code", "caseworker", "risk_level", "registered_on", "assessed_on", "case_plan_on", "follow_ups"]
    today = date.today()
    rows = [[f"IMPORT-{n:05d}", caseworkers[n % len(caseworkers)], ["high", "medium", "low"][n % 3],
             (today - timedelta(days=60 + n % 200)).isoformat(), (today - timedelta(days=50 + n % 200)).isoformat(),
             (today - timedelta(days=40 + n % 200)).isoformat(), (today - timedelta(days=20)).isoformat()]
            for n in range(count)]
    return _list(header, rows, fmt)


def _list(header: list[str], rows: list[list[str]], fmt: str) -> bytes:
    if fmt == "csv":
        buffer = io.StringIO(newline="")
        csv.writer(buffer).writerows([header, *rows])
        return buffer.getvalue().encode()
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for values in [header, *rows]:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------- the cases

STAFF_HEADER = ["full_name", "programme_role", "agency"]
CASE_HEADER = ["case_code", "caseworker", "risk_level"]
MEGABYTE = 1_000_000


def cases(agency: str, caseworkers: list[str]) -> list[tuple[str, str, str, Callable[[], bytes]]]:
    """(importer, name, file name, builder) for every case."""
    found: list[tuple[str, str, str, Callable[[], bytes]]] = []
    for importer, header, real in (
            ("staff", STAFF_HEADER, lambda fmt: staff_list(agency, 5000, fmt)),
            ("case files", CASE_HEADER, lambda fmt: case_file_list(caseworkers, 5000, fmt))):
        found += [
            (importer, "5,000 real rows (XLSX)", "list.xlsx", lambda real=real: real("xlsx")),
            (importer, "5,000 real rows (CSV)", "list.csv", lambda real=real: real("csv")),
            (importer, "a 1,000 MB inline cell", "list.xlsx", lambda h=header: huge_inline_cell(h, 1000 * MEGABYTE)),
            (importer, "a 1,000 MB shared string, used", "list.xlsx",
             lambda h=header: huge_shared_string(h, 1000 * MEGABYTE, used=True)),
            (importer, "a 1,000 MB shared string, unused", "list.xlsx",
             lambda h=header: huge_shared_string(h, 1000 * MEGABYTE, used=False)),
            (importer, "a 49 MB inline cell (within the unpacked bound)", "list.xlsx",
             lambda h=header: huge_inline_cell(h, 49 * MEGABYTE)),
            (importer, "a 49 MB shared string, unused (within the bound)", "list.xlsx",
             lambda h=header: huge_shared_string(h, 49 * MEGABYTE, used=False)),
            (importer, "a part unpacking to 5 GB", "list.xlsx", lambda h=header: zip_bomb(h, 5000 * MEGABYTE)),
            (importer, "1,000,000 rows in an unnamed column (XLSX)", "list.xlsx",
             lambda h=header: rows_in_an_unnamed_column(h, 1_000_000)),
            (importer, "1,000,000 rows in an unnamed column (CSV)", "list.csv",
             lambda h=header: csv_rows_in_an_unnamed_column(h, 1_000_000)),
            (importer, "a CSV field of 4.9 MB", "list.csv", lambda h=header: csv_huge_field(h, 4_900_000)),
            (importer, "300,000 shared strings of 80 characters (the most)", "list.xlsx",
             lambda h=header: most_shared_strings(h, 300_000, 80)),
            (importer, "1,450 wide shared strings of 8,190 characters (47.5 MB held)", "list.xlsx",
             lambda h=header: most_shared_strings(h, 1450, 8190, wide=True)),
            (importer, "1,500 wide shared strings of 30,000 characters (180 MB held)", "list.xlsx",
             lambda h=header: most_shared_strings(h, 1500, 30_000, wide=True)),
        ]
    found += [
        ("staff", "5,000 rows of cells of 1,000 characters", "list.xlsx",
         lambda: longest_cells(STAFF_HEADER, 5000, 1000)),
        ("staff", "3,900 rows of cells of 1,000 wide characters (46.8 MB held)", "list.xlsx",
         lambda: longest_cells(STAFF_HEADER, 3900, 1000, wide=True)),
        ("case files", "3,000 rows of cells of 5,000 characters", "list.xlsx",
         lambda: longest_cells(CASE_HEADER, 3000, 5000)),
        ("case files", "780 rows of cells of 5,000 wide characters (46.8 MB held)", "list.xlsx",
         lambda: longest_cells(CASE_HEADER, 780, 5000, wide=True)),
    ]
    return found


# ---------------------------------------------------------------------------------------------------- measuring

def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def _child(importer: str, path: str, database: str, trace: bool) -> None:
    """Run one import in this (fresh) process and print what it cost, as JSON."""
    import gc
    import tracemalloc

    from sqlalchemy import select

    import app.wiring  # noqa: F401  (every table known, as in the app)
    from accounts.models import Account
    from accounts.services import build_actor
    from accounts.staff_import import import_staff
    from checklists.services.imports import import_case_files
    from core.db import make_engine, session_scope
    from core.errors import ValidationFailed
    from core.imports import read_rows

    engine = make_engine(f"sqlite:///{database}")
    with session_scope(engine) as session:
        ids = dict(session.execute(select(Account.username, Account.id)).all())
        actor = build_actor(session, ids["demo-admin" if importer == "staff" else "demo-manager"])
    content = Path(path).read_bytes()
    for warm in (xlsx([row(1, "a"), row(2, "b")]), b"a\nb\n"):  # the reader's code loaded before the baseline
        read_rows("warm.xlsx" if warm[:2] == b"PK" else "warm.csv", warm, columns=["a"], required=["a"],
                  max_rows=5)
    gc.collect()
    baseline = _status("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # the high-water mark from here
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    try:
        with session_scope(engine, actor=actor) as session:
            if importer == "staff":
                report = import_staff(session, actor=actor, filename=Path(path).name, content=content)
                outcome = f"imported {report.created}"
            else:
                done = import_case_files(session, actor=actor, agency_id=actor.agency_id or 0,
                                         filename=Path(path).name, content=content)
                outcome = f"imported {done.created + done.updated}"
    except ValidationFailed as refused:
        outcome = "refused: " + " ".join(str(refused.field_errors.get("file", refused)).split())
    seconds = time.perf_counter() - start
    traced = tracemalloc.get_traced_memory()[1] if trace else 0
    print(json.dumps({"outcome": outcome, "seconds": seconds, "rss": _status("VmHWM") - baseline,
                      "traced": traced, "baseline": baseline}))


def _database(folder: Path) -> tuple[Path, str, list[str]]:
    """A migrated SQLite database holding the example organisation: its path, the agency's name and its
    caseworkers' names."""
    from sqlalchemy import select

    import app.wiring  # noqa: F401
    from accounts.models import Agency, StaffMember
    from app.example import load_example
    from core.db import make_engine, migrate_to_head, session_scope

    path = folder / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate_to_head(engine)
    with session_scope(engine) as session:
        load_example(session)
        agency = session.scalars(select(Agency.name).order_by(Agency.id)).first() or ""
        names = list(session.scalars(select(StaffMember.full_name).where(StaffMember.programme_role == "caseworker")))
    engine.dispose()
    return path, agency, names


def _run(importer: str, path: Path, template: Path, folder: Path, trace: bool) -> dict[str, object]:
    database = folder / "run.db"
    shutil.copy(template, database)
    command = [sys.executable, "-m", "bench.imports", "--child", importer, str(path), str(database)]
    done = subprocess.run(command + (["--trace"] if trace else []),  # noqa: S603  (this module, a fixed command)
                          capture_output=True, text=True, timeout=1800, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if done.returncode != 0:
        said = done.stderr.strip().splitlines()
        return {"outcome": "crashed: " + (said[-1] if said else f"exit {done.returncode}"),
                "seconds": 0.0, "rss": 0, "traced": 0}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run only the cases whose name holds this")
    parser.add_argument("--child", nargs=3, metavar=("IMPORTER", "FILE", "DATABASE"), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        _child(*options.child, trace=options.trace)
        return
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        template, agency, caseworkers = _database(folder)
        print(f"{'importer':<11} {'case':<62} {'file':>8} {'time':>7} {'RSS peak':>9} {'traced':>8}  outcome")
        worst = 0.0
        for importer, name, filename, build in cases(agency, caseworkers):
            if options.only.lower() not in f"{importer} {name}".lower():
                continue
            path = folder / filename
            content = build()
            path.write_bytes(content)
            measured = _run(importer, path, template, folder, trace=False)
            traced = _run(importer, path, template, folder, trace=True)["traced"]
            rss = int(measured["rss"]) / MEGABYTE  # type: ignore[call-overload]
            worst = max(worst, rss, int(traced) / MEGABYTE)  # type: ignore[call-overload]
            print(f"{importer:<11} {name:<62} {len(content) / MEGABYTE:>6.2f}MB {measured['seconds']:>6.2f}s "
                  f"{rss:>7.1f}MB {int(traced) / MEGABYTE:>6.1f}MB  {str(measured['outcome'])[:110]}", flush=True)
        print(f"Worst peak above the baseline: {worst:.1f} MB (target: under {TARGET_MB} MB).")


if __name__ == "__main__":
    main()
