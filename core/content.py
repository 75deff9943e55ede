"""Versioned content, the plain part: documents that live as data files with a schema and are stored as
versions a record remembers (the QAF Change Grid, the case file checklist).

Every kind has the same shape, so imports, copies, translations and sync learn it once:
- a data file shipped with the tool, validated when loaded, with a header (``framework:`` or ``checklist:``)
  that names its key, version, title and language, and working translations beside it
  (``<stem>.<language>.yaml``) that keep its structure and identifiers exactly;
- a stored row per version (``VersionedContentMixin``): the content as JSON and its SHA-256, the version it
  was copied from (``parent_id``), the version it translates (``translation_of_id``), the agency whose copy
  it is (none: shipped). ``(key, version)`` names a version everywhere, on every replica;
- the parsed document cached by content hash: a version's content never changes under its hash.

Plain code: the stored form and the helpers that take a session are in ``core.versioned_content``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import yaml

from core.content_translation import skeleton


class StoredContent(Protocol):
    content: dict[str, Any]
    content_sha256: str


@dataclass(frozen=True)
class ContentDocument:
    """What every kind's document has: the header that names the version (its other header fields in ``meta``)
    and its data-file form."""

    key: str
    version: str
    title: str
    language: str
    meta: dict[str, Any] = field(default_factory=dict, compare=False, kw_only=True)

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def header(self) -> dict[str, Any]:
        return {**self.meta, "key": self.key, "version": self.version, "title": self.title,
                "language": self.language}


Doc = TypeVar("Doc", bound=ContentDocument)


def content_hash(content: dict[str, Any]) -> str:
    """The SHA-256 of the content's canonical JSON: equal contents, equal hashes, on every database."""
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass
class ContentKind(Generic[Doc]):
    """One kind of versioned content: how to read it, where its shipped file and translations are, and how its
    error messages and identifiers are named."""

    header: str  # the content's header key: "framework", "checklist"
    parse: Callable[[Any], Doc]  # validates and builds the document; raises ``error`` naming the bad entry
    error: type[ValueError]
    shipped_file: Path
    identifiers: str  # what a translation must keep, in words: "action ids", "item ids"
    version_required: str  # the message keys for a new version's name: none given,
    version_taken: str  # and one this key already has
    _cache: dict[str, Doc] = field(default_factory=dict, repr=False)

    def load_file(self, path: Path) -> Doc:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise self.error(f"{path.name} is not valid YAML: {exc}") from exc
        try:
            return self.parse(data)
        except self.error as exc:
            raise self.error(f"{path.name}: {exc}") from exc

    @cached_property
    def shipped(self) -> Doc:
        """The version shipped with the tool (English)."""
        return self.load_file(self.shipped_file)

    @cached_property
    def shipped_translations(self) -> dict[str, Doc]:
        """The working translations shipped beside it, by language, each checked against it."""
        stem = self.shipped_file.name.split(".")[0]
        found: dict[str, Doc] = {}
        for path in sorted(self.shipped_file.parent.glob(f"{stem}.*.yaml")):
            if path == self.shipped_file:
                continue
            translation = self.load_file(path)
            self.check_translation(self.shipped, translation, path.name)
            found[translation.language] = translation
        return found

    def check_translation(self, source: Doc, translation: Doc, where: str) -> None:
        """Raise ``error`` unless ``translation`` is ``source`` in another language: the same structure and
        identifiers, a different language, naming the version it translates."""
        if translation.meta.get("translation_of") != source.version:
            raise self.error(f"{where}: translation_of must name version {source.version}")
        if translation.language == source.language:
            raise self.error(f"{where}: a translation must be in another language than {source.language}")
        if skeleton(translation.to_dict()) != skeleton(source.to_dict()):
            raise self.error(f"{where}: not the same structure and {self.identifiers} as "
                             f"{source.key} {source.version}")

    def of(self, row: StoredContent) -> Doc:
        """The row's document, parsed and validated once per content."""
        cached = self._cache.get(row.content_sha256)
        if cached is None:
            cached = self._cache[row.content_sha256] = self.parse(row.content)
        return cached

    def cached(self, content_sha256: str) -> Doc | None:
        return self._cache.get(content_sha256)


