"""Versioned content, the stored part: the row shape every kind shares and the helpers that store shipped
versions, name new ones and make copies and translations (see ``core.content`` for the shape itself)."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from core.content import ContentDocument, ContentKind, content_hash
from core.content_translation import translated_version
from core.errors import ValidationFailed
from core.i18n import available_locales, t


class VersionedContentMixin:
    """The stored form of one version of versioned content (see the module's docstring)."""

    key: Mapped[str] = mapped_column(String(80))
    version: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(10))
    # A large document, parsed once per content and kept by its hash (``ContentKind.of``): loading a row (an
    # assessment's framework, a review's checklist, at every page run) reads it only when it is not parsed yet.
    content: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True, deferred_raiseload=False)
    content_sha256: Mapped[str] = mapped_column(String(64))
    context_note: Mapped[str] = mapped_column(Text, default="")

    @declared_attr
    def parent_id(cls) -> Mapped[int | None]:  # noqa: N805  (the version this one was copied from)
        return mapped_column(Integer, ForeignKey(f"{cls.__tablename__}.id"))  # type: ignore[attr-defined]

    @declared_attr
    def translation_of_id(cls) -> Mapped[int | None]:  # noqa: N805  (the version this one translates)
        return mapped_column(Integer, ForeignKey(f"{cls.__tablename__}.id"))  # type: ignore[attr-defined]

    @declared_attr
    def agency_id(cls) -> Mapped[int | None]:  # noqa: N805  (whose copy; none: shipped with the tool)
        return mapped_column(Integer, ForeignKey("agencies.id"))

    @property
    def working_translation(self) -> bool:
        return bool(next(iter(self.content.values()), {}).get("working_translation")) if self.content else False

    def audit_scope(self, _session: Session) -> int | None:
        return self.agency_id

    def audit_title(self, _session: Session) -> str:
        return f"{self.title} — {self.version}"


Row = TypeVar("Row", bound=VersionedContentMixin)


def stored_version(model: type[Row], document: ContentDocument, **links: Any) -> Row:
    """A new row holding ``document`` (not yet added to a session)."""
    content = document.to_dict()
    return model(key=document.key, version=document.version, title=document.title, language=document.language,
                 content=content, content_sha256=content_hash(content), **links)


def ensure_shipped(session: Session, model: type[Row], kind: ContentKind[Any]) -> int:
    """Store the version shipped with the tool once (the same key and version are never stored twice); its id."""
    document = kind.shipped
    existing = session.scalar(select(model.id).where(model.key == document.key,  # type: ignore[attr-defined]
                                                     model.version == document.version))
    if existing is not None:
        return existing
    row = stored_version(model, document)
    session.add(row)
    session.flush()
    return row.id  # type: ignore[attr-defined]


def ensure_shipped_translations(session: Session, model: type[Row], kind: ContentKind[Any]) -> list[int]:
    """Store the working translations shipped with the tool, once per version, each linked to the version it
    translates; their ids."""
    source_id = ensure_shipped(session, model, kind)
    ids = []
    for translation in kind.shipped_translations.values():
        existing = session.scalar(select(model.id).where(model.key == translation.key,  # type: ignore[attr-defined]
                                                         model.version == translation.version))
        if existing is None:
            row = stored_version(model, translation, translation_of_id=source_id)
            session.add(row)
            session.flush()
            existing = row.id  # type: ignore[attr-defined]
        ids.append(existing)
    return ids


def version_problem(session: Session, model: type[VersionedContentMixin], kind: ContentKind[Any], key: str,
                    version: str) -> str | None:
    """What is wrong with ``version`` as the name of a new version of ``key``, in the person's language."""
    if not version:
        return t(kind.version_required)
    if len(version) > 40:
        return t("common.error.too_long", limit=40)
    if session.scalar(select(model.id).where(model.key == key, model.version == version)):  # type: ignore[attr-defined]
        return t(kind.version_taken, version=version)
    return None


def copy_content(base: VersionedContentMixin, header: str, **changes: str) -> dict[str, Any]:
    """The base's content for a contextual copy: its header names the new version and the one it is based on."""
    content = json.loads(json.dumps(base.content))
    content[header].update({k: v for k, v in changes.items() if v}, based_on=f"{base.key} {base.version}")
    return content


def store_translation(session: Session, model: type[Row], kind: ContentKind[Any], source: Row, *, language: str,
                      version: str, filename: str, data: bytes, official: bool, agency_id: int | None) -> int:
    """Store a new version from a filled translation workbook: the source's structure and identifiers, every text
    translated, linked to the source; its id. All of it or nothing: ``ValidationFailed`` names each field that is
    wrong (the language, the version's name, the file)."""
    version = version.strip()
    errors: dict[str, str] = {}
    if language not in available_locales() or language == source.language:
        errors["language"] = t("translation.error.language")
    if problem := version_problem(session, model, kind, source.key, version):
        errors["version"] = problem
    if errors:
        raise ValidationFailed(errors)
    content = translated_version(source.content, kind.header, language=language, version=version,
                                 filename=filename, data=data, official=official)
    try:
        translation = kind.parse(content)
        kind.check_translation(kind.of(source), translation, filename)
    except kind.error as exc:
        raise ValidationFailed({"file": str(exc)}) from exc
    row = model(key=source.key, version=version, title=translation.title, language=language, content=content,
                content_sha256=content_hash(content), parent_id=source.parent_id, translation_of_id=source.id,
                context_note=source.context_note, agency_id=agency_id)
    session.add(row)
    session.flush()
    return row.id  # type: ignore[attr-defined]
