"""Checklist templates and review settings: the shipped checklist, agencies' contextual copies, and each agency's
versions of the review settings."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.models import Agency
from checklists.checklist import CHECKLISTS, Checklist, ChecklistError, checklist_from_dict
from checklists.models import CaseFileReview, ChecklistTemplate, ReviewSettingsVersion
from checklists.settings import ReviewSettings, SettingsError, default_settings, settings_from_dict
from core.actor import Actor, Role, require_role
from core.audit import binds_actor, record_event
from core.content import content_hash
from core.content_translation import text_entries, translation_workbook
from core.errors import Forbidden, ReadOnly, ValidationFailed
from core.i18n import LANGUAGE_NAMES, t
from core.records import check_version, get_or_raise
from core.versioned_content import (
    copy_content,
    ensure_shipped,
    ensure_shipped_translations,
    store_translation,
    version_problem,
)

MAX_NOTE = 2000


@dataclass(frozen=True)
class TemplateInfo:
    id: int
    key: str
    version: str
    title: str
    language: str
    agency_id: int | None
    parent_id: int | None
    context_note: str
    item_count: int
    used: bool
    version_id: int
    translation_of_id: int | None = None
    working_translation: bool = False

    @property
    def label(self) -> str:
        language = LANGUAGE_NAMES.get(self.language, self.language)
        note = f", {t('translation.working')}" if self.working_translation else ""
        return f"{self.title} — {self.version} ({language}{note})"

    @property
    def editable(self) -> bool:
        return self.agency_id is not None and not self.used


def checklist_of(row: ChecklistTemplate) -> Checklist:
    """The template's checklist, validated once per content."""
    return CHECKLISTS.of(row)


def ensure_bundled_checklist(session: Session) -> int:
    """Store the shipped checklist once (the same content is never stored twice)."""
    return ensure_shipped(session, ChecklistTemplate, CHECKLISTS)


def ensure_bundled_checklist_translations(session: Session) -> list[int]:
    """Store the working translations shipped with the tool, once per version, each linked to the English
    checklist it translates; return their ids."""
    return ensure_shipped_translations(session, ChecklistTemplate, CHECKLISTS)


def _used_ids(session: Session) -> set[int]:
    return set(session.scalars(select(CaseFileReview.template_id).distinct()).all())


def _may_read_template(row: ChecklistTemplate, actor: Actor) -> bool:
    return row.agency_id is None or row.agency_id == actor.agency_id


def list_templates(session: Session, *, actor: Actor) -> list[TemplateInfo]:
    """The shipped checklist and the actor's agency's copies."""
    used = _used_ids(session)
    rows = session.scalars(select(ChecklistTemplate).order_by(ChecklistTemplate.id)).all()
    return [TemplateInfo(r.id, r.key, r.version, r.title, r.language, r.agency_id, r.parent_id, r.context_note,
                         checklist_of(r).item_count, r.id in used, r.version_id, r.translation_of_id,
                         bool(checklist_of(r).meta.get("working_translation")))
            for r in rows if _may_read_template(r, actor)]


def get_checklist(session: Session, *, actor: Actor, template_id: int) -> Checklist:
    row = get_or_raise(session, ChecklistTemplate, template_id, "checklist.error.not_found")
    if not _may_read_template(row, actor):
        raise Forbidden(t("common.error.forbidden"))
    return checklist_of(row)


def template_for_new_reviews(session: Session, agency_id: int, language: str | None = None) -> ChecklistTemplate:
    """New reviews use the agency's newest contextual copy (or its translation into ``language``, the agency's
    language where none is given), else the shipped checklist in that language, else the English one."""
    language = language or session.scalar(select(Agency.default_language).where(Agency.id == agency_id))
    own = session.scalars(select(ChecklistTemplate).where(ChecklistTemplate.agency_id == agency_id)
                          .order_by(ChecklistTemplate.id.desc())).all()
    if own:
        return next((r for r in own if r.language == language), own[0])
    source = get_or_raise(session, ChecklistTemplate, ensure_bundled_checklist(session), "checklist.error.not_found")
    if language and language != source.language:
        translated = session.scalar(select(ChecklistTemplate).where(
            ChecklistTemplate.translation_of_id == source.id, ChecklistTemplate.agency_id.is_(None),
            ChecklistTemplate.language == language))
        if translated is not None:
            return translated
    return source


@binds_actor
def create_contextual_copy(session: Session, *, actor: Actor, base_template_id: int, version: str,
                           context_note: str) -> int:
    """A manager's copy of a checklist for their agency, to add, drop or reword items; the original is never
    touched. It can be changed until the first review uses it."""
    require_role(actor, Role.MANAGER)
    if actor.agency_id is None:
        raise Forbidden(t("common.error.forbidden"))
    base = get_or_raise(session, ChecklistTemplate, base_template_id, "checklist.error.not_found")
    if not _may_read_template(base, actor):
        raise Forbidden(t("common.error.forbidden"))
    version, context_note = version.strip(), context_note.strip()
    errors: dict[str, str] = {}
    if problem := version_problem(session, ChecklistTemplate, CHECKLISTS, base.key, version):
        errors["version"] = problem
    if len(context_note) > MAX_NOTE:
        errors["context_note"] = t("common.error.too_long", limit=MAX_NOTE)
    if errors:
        raise ValidationFailed(errors)
    content = copy_content(base, "checklist", version=version, context_note=context_note)
    row = ChecklistTemplate(key=base.key, version=version, title=base.title, language=base.language,
                            content=content, content_sha256=content_hash(content), parent_id=base.id,
                            agency_id=actor.agency_id, context_note=context_note)
    session.add(row)
    session.flush()
    return row.id


def checklist_translation_workbook(session: Session, *, actor: Actor, template_id: int,
                                  target_language: str) -> bytes:
    """The workbook a translator fills in to make a checklist available in another language."""
    require_role(actor, Role.MANAGER)
    row = get_or_raise(session, ChecklistTemplate, template_id, "checklist.error.not_found")
    if not _may_read_template(row, actor):
        raise Forbidden(t("common.error.forbidden"))
    data = translation_workbook(text_entries(row.content), source_language=row.language,
                                target_language=target_language, source_label=f"{row.title} — {row.version}")
    record_event(session, action="export", entity_type="ChecklistTemplate", entity_id=row.id,
                 summary=f"{row.key} {row.version} → {target_language}", details={"format": "xlsx"})
    return data


@binds_actor
def import_checklist_translation(session: Session, *, actor: Actor, source_template_id: int, language: str,
                                 version: str, filename: str, data: bytes, official: bool = False) -> int:
    """The agency's new checklist template from a filled translation workbook: the source's sections and item ids,
    every text translated, linked to the source. All of it or nothing."""
    require_role(actor, Role.MANAGER)
    if actor.agency_id is None:
        raise Forbidden(t("common.error.forbidden"))
    source = get_or_raise(session, ChecklistTemplate, source_template_id, "checklist.error.not_found")
    if not _may_read_template(source, actor):
        raise Forbidden(t("common.error.forbidden"))
    return store_translation(session, ChecklistTemplate, CHECKLISTS, source, language=language, version=version,
                             filename=filename, data=data, official=official, agency_id=actor.agency_id)


@binds_actor
def save_template_content(session: Session, *, actor: Actor, template_id: int, content: dict[str, Any],
                          expected_version: int | None = None) -> None:
    """Replace an unused copy's items (the page edits one section at a time and sends the whole content)."""
    require_role(actor, Role.MANAGER)
    row = get_or_raise(session, ChecklistTemplate, template_id, "checklist.error.not_found")
    if row.agency_id is None or row.agency_id != actor.agency_id:
        raise Forbidden(t("common.error.forbidden"))
    if row.id in _used_ids(session):
        raise ReadOnly(t("checklist.error.frozen"))
    check_version(row, expected_version)
    content = copy.deepcopy(content)
    content["checklist"].update({"key": row.key, "version": row.version})
    try:
        checklist_from_dict(content)
    except ChecklistError as exc:
        raise ValidationFailed({"content": str(exc)}) from exc
    row.content = content
    row.content_sha256 = content_hash(content)
    session.flush()


# Review settings --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SettingsInfo:
    settings: ReviewSettings
    version_row_id: int | None  # None: the shipped defaults
    number: int  # 0 for the shipped defaults
    note: str = ""


def current_settings(session: Session, agency_id: int | None) -> SettingsInfo:
    row = None
    if agency_id is not None:
        row = session.scalar(select(ReviewSettingsVersion).where(ReviewSettingsVersion.agency_id == agency_id)
                             .order_by(ReviewSettingsVersion.number.desc()).limit(1))
    if row is None:
        return SettingsInfo(default_settings(), None, 0)
    return SettingsInfo(settings_from_dict(row.content), row.id, row.number, row.note)


def settings_by_id(session: Session, settings_id: int | None) -> ReviewSettings:
    if settings_id is None:
        return default_settings()
    row = session.get(ReviewSettingsVersion, settings_id)
    return settings_from_dict(row.content) if row is not None else default_settings()


def review_settings(session: Session, *, actor: Actor) -> SettingsInfo:
    """The settings the actor's agency uses now."""
    return current_settings(session, actor.agency_id)


@binds_actor
def save_review_settings(session: Session, *, actor: Actor, content: dict[str, Any], note: str = "",
                         expected_number: int | None = None) -> int:
    """Store the agency's next settings version. Earlier versions stay: every review keeps the one it used."""
    require_role(actor, Role.MANAGER)
    if actor.agency_id is None:
        raise Forbidden(t("common.error.forbidden"))
    try:
        settings_from_dict(content)
    except SettingsError as exc:
        raise ValidationFailed({"settings": str(exc)}) from exc
    if len(note.strip()) > MAX_NOTE:
        raise ValidationFailed({"note": t("common.error.too_long", limit=MAX_NOTE)})
    number = (session.scalar(select(func.max(ReviewSettingsVersion.number)).where(
        ReviewSettingsVersion.agency_id == actor.agency_id)) or 0) + 1
    if expected_number is not None and number - 1 != expected_number:
        raise ValidationFailed({"settings": t("settings.error.changed_meanwhile")})
    row = ReviewSettingsVersion(agency_id=actor.agency_id, number=number, content=content, note=note.strip())
    session.add(row)
    session.flush()
    from checklists.services.deadlines import refresh_deadlines  # it reads the settings through this module

    refresh_deadlines(session, agency_id=actor.agency_id)  # new timeframes move the indicators' deadlines
    return row.id
