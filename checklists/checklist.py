"""The Case File Checklist as plain data: sections of items a reviewer answers Yes, No or Not applicable.

Like the Change Grid, the checklist is a data file validated against ``content/checklist.schema.json`` when
loaded, with a key and a version; every review stores which stored version it used, so a contextual copy made
later (items added, dropped or reworded) never changes a past review. Items marked ``computed`` are answered
from the case file's dates by the timeliness engine before the reviewer starts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from checklists.timeliness import Step
from core.content import ContentDocument, ContentKind

CONTENT_DIR = Path(__file__).resolve().parent / "content"
BUNDLED_CHECKLIST = CONTENT_DIR / "case_file_checklist.en.yaml"
SCHEMA_PATH = CONTENT_DIR / "case_file_checklist.schema.json"


class ChecklistError(ValueError):
    """The checklist content is invalid; the message names the bad entry."""


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    text: str
    section_code: str
    guidance: str = ""
    computed: Step | None = None  # the timeliness step that answers this item
    added_in_context: bool = False


@dataclass(frozen=True)
class Section:
    code: str
    title: str
    items: tuple[ChecklistItem, ...]

    @property
    def label(self) -> str:
        return f"{self.code}. {self.title}"


@dataclass(frozen=True)
class Checklist(ContentDocument):
    sections: tuple[Section, ...]

    def items(self) -> Iterator[ChecklistItem]:
        for section in self.sections:
            yield from section.items

    def item(self, item_id: str) -> ChecklistItem:
        for item in self.items():
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    @property
    def item_count(self) -> int:
        return sum(len(s.items) for s in self.sections)

    def to_dict(self) -> dict[str, Any]:
        return {
            "checklist": self.header(),
            "sections": [{"code": s.code, "title": s.title, "items": [_item_dict(i) for i in s.items]}
                         for s in self.sections],
        }


def _item_dict(item: ChecklistItem) -> dict[str, Any]:
    data: dict[str, Any] = {"id": item.id, "text": item.text}
    if item.guidance:
        data["guidance"] = item.guidance
    if item.computed:
        data["computed"] = item.computed.value
    if item.added_in_context:
        data["added_in_context"] = True
    return data


@cache
def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate_checklist_data(data: Any) -> None:
    """Raise ``ChecklistError`` naming the first bad entry (section and item, as a content editor says them)."""
    errors = sorted(jsonschema.Draft202012Validator(_schema()).iter_errors(data),
                    key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        path = list(first.absolute_path)
        where = "top level"
        if isinstance(data, dict) and len(path) >= 2 and path[0] == "sections":
            try:
                section = data["sections"][path[1]]
                where = f"section {section.get('code', path[1])}"
                if len(path) >= 4 and path[2] == "items":
                    where += f", item {section['items'][path[3]].get('id', path[3])}"
            except (IndexError, KeyError, TypeError, AttributeError):
                where = ", ".join(str(p) for p in path)
        elif path:
            where = ", ".join(str(p) for p in path)
        raise ChecklistError(f"Checklist content is invalid at {where}: {first.message}")
    codes: set[str] = set()
    ids: set[str] = set()
    computed: set[str] = set()
    for section in data["sections"]:
        if section["code"] in codes:
            raise ChecklistError(f"Checklist content is invalid at section {section['code']}: the code is used twice")
        codes.add(section["code"])
        for item in section["items"]:
            if item["id"] in ids:
                raise ChecklistError(f"Checklist content is invalid at item {item['id']}: the id is used twice")
            ids.add(item["id"])
            if "computed" in item:
                if item["computed"] in computed:
                    raise ChecklistError(f"Checklist content is invalid at item {item['id']}: another item is "
                                         f"already computed from '{item['computed']}'")
                computed.add(item["computed"])


def checklist_from_dict(data: Any) -> Checklist:
    validate_checklist_data(data)
    meta = dict(data["checklist"])
    sections = tuple(
        Section(code=s["code"], title=s["title"].strip(), items=tuple(
            ChecklistItem(id=i["id"], text=i["text"].strip(), section_code=s["code"],
                          guidance=i.get("guidance", "").strip(),
                          computed=Step(i["computed"]) if i.get("computed") else None,
                          added_in_context=bool(i.get("added_in_context", False)))
            for i in s["items"]))
        for s in data["sections"])
    return Checklist(key=meta.pop("key"), version=meta.pop("version"), title=meta.pop("title"),
                     language=meta.pop("language"), sections=sections, meta=meta)


CHECKLISTS: ContentKind[Checklist] = ContentKind(
    header="checklist", parse=checklist_from_dict, error=ChecklistError, shipped_file=BUNDLED_CHECKLIST,
    identifiers="sections and item ids", version_required="checklist.error.version_required",
    version_taken="checklist.error.version_taken")


def load_checklist_file(path: Path) -> Checklist:
    return CHECKLISTS.load_file(path)


def bundled_checklist() -> Checklist:
    """The inter-agency Case File Checklist shipped with the tool (English)."""
    return CHECKLISTS.shipped


def bundled_translations() -> dict[str, Checklist]:
    """The working translations shipped beside it (``case_file_checklist.<language>.yaml``), by language."""
    return CHECKLISTS.shipped_translations
