"""The mapping from QAF components to the evidence the tool holds for them (``content/evidence_map.yaml``): data
with a schema, validated when loaded, so a country team can point another indicator or checklist item at a
component without touching code. No database here."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from management.indicators import KEYS

CONTENT = Path(__file__).parent / "content"
MAP_PATH = CONTENT / "evidence_map.yaml"
SCHEMA_PATH = CONTENT / "evidence_map.schema.json"


class EvidenceMapError(ValueError):
    """The mapping file is not valid; the message names where."""


@dataclass(frozen=True)
class ComponentEvidence:
    indicators: tuple[str, ...] = ()
    checklist_items: tuple[str, ...] = ()
    workforce: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvidenceMap:
    version: str
    framework: str
    checklist: str
    months: int
    components: dict[str, ComponentEvidence]

    def for_component(self, code: str) -> ComponentEvidence | None:
        return self.components.get(code)


def evidence_map_from_dict(data: Any) -> EvidenceMap:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        where = ", ".join(str(p) for p in errors[0].absolute_path) or "top level"
        raise EvidenceMapError(f"The evidence map is invalid at {where}: {errors[0].message}")
    components = {}
    for code, entry in data["components"].items():
        unknown = [k for k in entry.get("indicators", []) if k not in KEYS]
        if unknown:
            raise EvidenceMapError(f"The evidence map is invalid at components, {code}: no indicator {unknown[0]}")
        components[str(code)] = ComponentEvidence(tuple(entry.get("indicators", [])),
                                                  tuple(str(i) for i in entry.get("checklist_items", [])),
                                                  tuple(entry.get("workforce", [])))
    return EvidenceMap(data["version"], data["framework"], data["checklist"], int(data["months"]), components)


@cache
def default_evidence_map() -> EvidenceMap:
    with MAP_PATH.open(encoding="utf-8") as handle:
        return evidence_map_from_dict(yaml.safe_load(handle))
