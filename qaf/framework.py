"""The QAF Change Grid as plain data: dimensions, components, three columns of suggested actions.

Framework content is a data file validated against ``content/schema.json`` when loaded. Every framework carries
a key and a version; assessments store the exact content they used, so editing a framework later (or making a
contextualised copy) never changes a past assessment.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from core.content import ContentDocument, ContentKind
from qaf.levels import COLUMN_TARGETS, Level

CONTENT_DIR = Path(__file__).resolve().parent / "content"
BUNDLED_FRAMEWORK = CONTENT_DIR / "change_grid_2019.en.yaml"
SCHEMA_PATH = CONTENT_DIR / "schema.json"


class FrameworkError(ValueError):
    """The framework content is invalid; the message names the bad entry."""


@dataclass(frozen=True)
class ChangeGridAction:
    id: str
    text: str
    column: int  # 1..3
    sources: tuple[str, ...] = ()
    added_in_context: bool = False

    @property
    def moves_to(self) -> Level:
        return COLUMN_TARGETS[self.column - 1]


@dataclass(frozen=True)
class Component:
    code: str
    title: str
    dimension_number: int
    columns: tuple[tuple[ChangeGridAction, ...], tuple[ChangeGridAction, ...], tuple[ChangeGridAction, ...]]
    guiding_questions: tuple[str, ...] = ()

    @property
    def actions(self) -> list[ChangeGridAction]:
        return [a for column in self.columns for a in column]

    @property
    def column_action_ids(self) -> list[list[str]]:
        return [[a.id for a in column] for column in self.columns]

    @property
    def label(self) -> str:
        return f"{self.code} {self.title}"


@dataclass(frozen=True)
class Dimension:
    number: int
    title: str
    components: tuple[Component, ...]

    @property
    def label(self) -> str:
        return f"{self.number}. {self.title}"


@dataclass(frozen=True)
class Framework(ContentDocument):
    dimensions: tuple[Dimension, ...]

    def components(self) -> Iterator[Component]:
        for dimension in self.dimensions:
            yield from dimension.components

    def component(self, code: str) -> Component:
        for component in self.components():
            if component.code == code:
                return component
        raise KeyError(code)

    def dimension(self, number: int) -> Dimension:
        for dimension in self.dimensions:
            if dimension.number == number:
                return dimension
        raise KeyError(number)

    def action(self, action_id: str) -> ChangeGridAction:
        for component in self.components():
            for action in component.actions:
                if action.id == action_id:
                    return action
        raise KeyError(action_id)

    @property
    def component_count(self) -> int:
        return sum(len(d.components) for d in self.dimensions)

    @property
    def action_count(self) -> int:
        return sum(len(c.actions) for c in self.components())

    def to_dict(self) -> dict[str, Any]:
        """The data-file form, suitable for storing with an assessment and for re-loading."""
        return {
            "framework": self.header(),
            "dimensions": [
                {
                    "number": d.number,
                    "title": d.title,
                    "components": [
                        {
                            "code": c.code,
                            "title": c.title,
                            "guiding_questions": list(c.guiding_questions),
                            "columns": [
                                {
                                    "moves_to": COLUMN_TARGETS[i].key,
                                    "actions": [_action_dict(a) for a in column],
                                }
                                for i, column in enumerate(c.columns)
                            ],
                        }
                        for c in d.components
                    ],
                }
                for d in self.dimensions
            ],
        }


def _action_dict(action: ChangeGridAction) -> dict[str, Any]:
    data: dict[str, Any] = {"id": action.id, "text": action.text}
    if action.sources:
        data["sources"] = list(action.sources)
    if action.added_in_context:
        data["added_in_context"] = True
    return data


@cache
def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _describe_path(data: dict[str, Any], path: list[Any]) -> str:
    """Turn a JSON path into words a content editor recognises: 'component 2a, column 3, action 2a.3.4'."""
    parts: list[str] = []
    node: Any = data
    for position, step in enumerate(path):
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            parts.append(str(step))
            continue
        if isinstance(node, dict) and "components" in node and "number" in node:
            parts.append(f"dimension {node['number']}")
        elif isinstance(node, dict) and "columns" in node and "code" in node:
            parts.append(f"component {node['code']}")
        elif isinstance(node, dict) and "moves_to" in node:
            parts.append(f"column {int(step) + 1}")
        elif isinstance(node, dict) and "id" in node:
            parts.append(f"action {node['id']}")
        elif isinstance(step, str) and (position == len(path) - 1 or not isinstance(node, list)):
            parts.append(step)
    return ", ".join(parts) or "top level"


def validate_framework_data(data: Any) -> None:
    """Raise ``FrameworkError`` naming the first bad entry; return quietly when the content is sound."""
    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = _describe_path(data, list(first.absolute_path)) if isinstance(data, dict) else "top level"
        raise FrameworkError(f"Framework content is invalid at {where}: {first.message}")
    seen_codes: set[str] = set()
    seen_actions: set[str] = set()
    numbers = [d["number"] for d in data["dimensions"]]
    if len(numbers) != len(set(numbers)):
        raise FrameworkError("Framework content is invalid: two dimensions share a number")
    for dimension in data["dimensions"]:
        for component in dimension["components"]:
            code = component["code"]
            if code in seen_codes:
                raise FrameworkError(f"Framework content is invalid at component {code}: the code is used twice")
            seen_codes.add(code)
            if not code.startswith(str(dimension["number"])):
                raise FrameworkError(
                    f"Framework content is invalid at component {code}: it sits in dimension "
                    f"{dimension['number']} but its code does not start with that number"
                )
            for index, column in enumerate(component["columns"], start=1):
                expected = COLUMN_TARGETS[index - 1].key
                if column["moves_to"] != expected:
                    raise FrameworkError(
                        f"Framework content is invalid at component {code}, column {index}: "
                        f"moves_to must be '{expected}'"
                    )
                for action in column["actions"]:
                    action_id = action["id"]
                    if action_id in seen_actions:
                        raise FrameworkError(
                            f"Framework content is invalid at action {action_id}: the id is used twice")
                    seen_actions.add(action_id)
                    if not action_id.startswith(f"{code}.{index}."):
                        raise FrameworkError(
                            f"Framework content is invalid at action {action_id}: in component {code}, "
                            f"column {index}, the id must start with '{code}.{index}.'"
                        )


def framework_from_dict(data: Any) -> Framework:
    validate_framework_data(data)
    meta = dict(data["framework"])
    dimensions = []
    for d in data["dimensions"]:
        components = []
        for c in d["components"]:
            columns = tuple(
                tuple(
                    ChangeGridAction(
                        id=a["id"],
                        text=a["text"].strip(),
                        column=index,
                        sources=tuple(a.get("sources", ())),
                        added_in_context=bool(a.get("added_in_context", False)),
                    )
                    for a in column["actions"]
                )
                for index, column in enumerate(c["columns"], start=1)
            )
            components.append(
                Component(
                    code=c["code"],
                    title=c["title"],
                    dimension_number=d["number"],
                    columns=columns,  # type: ignore[arg-type]
                    guiding_questions=tuple(c.get("guiding_questions", ())),
                )
            )
        dimensions.append(Dimension(number=d["number"], title=d["title"], components=tuple(components)))
    return Framework(
        key=meta.pop("key"),
        version=meta.pop("version"),
        title=meta.pop("title"),
        language=meta.pop("language"),
        dimensions=tuple(dimensions),
        meta=meta,
    )


FRAMEWORKS: ContentKind[Framework] = ContentKind(
    header="framework", parse=framework_from_dict, error=FrameworkError, shipped_file=BUNDLED_FRAMEWORK,
    identifiers="action ids", version_required="framework.error.version_required",
    version_taken="framework.error.version_taken")


def load_framework_file(path: Path) -> Framework:
    return FRAMEWORKS.load_file(path)


def bundled_framework() -> Framework:
    """The 2019 Change Grid shipped with the tool (English)."""
    return FRAMEWORKS.shipped


def bundled_translations() -> dict[str, Framework]:
    """The working translations shipped beside it (``change_grid_2019.<language>.yaml``), by language."""
    return FRAMEWORKS.shipped_translations
