"""Framework content in another language: a Change Grid version or a checklist template seen as a list of texts,
each with a stable identifier, so a translation keeps the source's structure and identifiers and only its texts
change.

The identifier of a text is its path through the content, each list element named by its own identifier
(``id``, ``code``, ``number`` or ``moves_to``) and each question or source by its position:
``dimensions/2/components/2a/columns/meets_minimum/actions/2a.2.1/text``. The translation workbook has one row
per text (identifier, source text, translation, note); reading it back refuses a missing or an extra identifier
and an empty translation, naming the rows, so a version is made from a whole translation or not at all.

Plain code: no database, no Streamlit.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from core.errors import ValidationFailed
from core.i18n import t, tn
from core.imports import problem, read_rows, report_problems
from core.reports.spreadsheet import workbook_bytes, write_sheet
from core.safe_text import as_saved

# the texts a person reads; everything else (keys, versions, identifiers, levels, flags) is structure
TEXT_KEYS = frozenset({"title", "text", "guidance", "guiding_questions", "sources", "publisher",
                       "guiding_questions_source", "source", "context_note"})
ID_KEYS = ("id", "code", "number", "moves_to")
# header fields that say which version this is, not what it says: never translated, never compared
HEADER_KEYS = frozenset({"version", "language", "based_on", "translation_of", "working_translation"})
COLUMNS = ("identifier", "source_text", "translation", "note")
MAX_TEXT = 5000
MAX_ROWS = 5000


@dataclass(frozen=True)
class TextEntry:
    identifier: str
    text: str


def _element_id(element: Mapping[str, Any], position: int) -> str:
    for key in ID_KEYS:
        if key in element:
            return str(element[key])
    return str(position)


def _walk(node: Any, path: str) -> Iterator[tuple[str, Any, Any]]:
    """(identifier, container, key) for every text in ``node``."""
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        here = f"{path}/{key}" if path else key
        if key in TEXT_KEYS and isinstance(value, str):
            yield here, node, key
        elif key in TEXT_KEYS and isinstance(value, list) and all(isinstance(v, str) for v in value):
            for index in range(len(value)):
                yield f"{here}/{index + 1}", value, index
        elif isinstance(value, list):
            for position, element in enumerate(value, start=1):
                if isinstance(element, dict):
                    yield from _walk(element, f"{here}/{_element_id(element, position)}")
        elif isinstance(value, dict):
            yield from _walk(value, here)


def text_entries(content: Mapping[str, Any]) -> list[TextEntry]:
    """Every text of the content, in reading order."""
    return [TextEntry(identifier, container[key]) for identifier, container, key in _walk(dict(content), "")
            if str(container[key]).strip()]


def skeleton(content: Mapping[str, Any]) -> Any:
    """The content without its texts and without the header fields that name the version: two contents with the
    same skeleton are translations of each other."""
    def strip(node: Any, key: str = "") -> Any:
        if isinstance(node, dict):
            return {k: strip(v, k) for k, v in node.items() if k not in TEXT_KEYS and k not in HEADER_KEYS}
        if isinstance(node, list):
            return [strip(v, key) for v in node]
        return node
    return strip(copy.deepcopy(dict(content)))


def translated_content(content: Mapping[str, Any], translations: Mapping[str, str]) -> dict[str, Any]:
    """A copy of ``content`` with each text replaced by its translation (texts not named stay as they were)."""
    result = copy.deepcopy(dict(content))
    for identifier, container, key in list(_walk(result, "")):
        if identifier in translations:
            container[key] = translations[identifier]
    return result


def translation_workbook(entries: list[TextEntry], *, source_language: str, target_language: str,
                         source_label: str) -> bytes:
    """The workbook a translator fills in: one row per text, the translation column empty. The first row holds
    the column names the import reads; a second sheet says how to fill it in, in the reader's language."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "translation"
    write_sheet(sheet, list(COLUMNS), [[e.identifier, e.text, "", ""] for e in entries], [48, 70, 70, 30],
                spare_rows=0)
    sheet.sheet_view.rightToLeft = False  # identifiers read left to right whatever the target language
    about = workbook.create_sheet("about")
    write_sheet(about, [t("translation.workbook.field"), t("translation.workbook.value")], [
        [t("translation.workbook.source"), source_label],
        [t("translation.workbook.source_language"), source_language],
        [t("translation.workbook.target_language"), target_language],
        [t("translation.workbook.instructions"), t("translation.workbook.how")],
    ], [30, 100], spare_rows=0)
    for row in about.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    about["A1"].font = Font(bold=True)
    return workbook_bytes(workbook)


def read_translation_workbook(filename: str, data: bytes, entries: list[TextEntry]) -> dict[str, str]:
    """The translations a filled workbook holds, one per source text. Refuses, naming the rows, an identifier the
    source does not have, one given twice, an empty translation, and the source's texts the file lacks."""
    rows = read_rows(filename, data, columns=COLUMNS, required=("identifier", "translation"), max_rows=MAX_ROWS,
                     max_cell=MAX_TEXT)
    expected = {e.identifier for e in entries}
    found: dict[str, str] = {}
    problems: list[str] = []
    for line, row in rows:
        identifier = str(row.get("identifier") or "").strip()
        translation = as_saved(str(row.get("translation") or "")).strip()
        if translation.startswith("'") and translation[1:2] in ("=", "+", "-", "@"):
            translation = translation[1:]  # the export's guard against formulas, not part of the text
        if not identifier:
            problems.append(problem(line, t("translation.error.no_identifier")))
        elif identifier not in expected:
            problems.append(problem(line, t("translation.error.unknown_identifier", identifier=identifier)))
        elif identifier in found:
            problems.append(problem(line, t("translation.error.twice", identifier=identifier)))
        elif not translation:
            problems.append(problem(line, t("translation.error.empty", identifier=identifier)))
            found[identifier] = ""
        else:
            found[identifier] = translation
    missing = [e.identifier for e in entries if e.identifier not in found]
    if missing:
        shown = ", ".join(missing[:10]) + ("…" if len(missing) > 10 else "")
        problems.append(tn("translation.error.missing", len(missing), identifiers=shown))
    report_problems(problems)
    if not found:
        raise ValidationFailed({"file": t("import.error.empty")})
    return found


def translated_version(content: Mapping[str, Any], header: str, *, language: str, version: str, filename: str,
                       data: bytes, official: bool) -> dict[str, Any]:
    """The content of a new version made from a filled translation workbook: the source's structure, every text
    from the file, and a header (``content[header]``) naming the new version, its language and the version it
    translates. Raises ``ValidationFailed`` (naming the rows) unless the file translates every text once."""
    translations = read_translation_workbook(filename, data, text_entries(content))
    result = translated_content(content, translations)
    result[header].update(version=version, language=language, translation_of=content[header]["version"],
                          working_translation=not official)
    return result
