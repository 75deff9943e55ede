"""Framework versions: the bundled Change Grid, contextualised copies, and the framework an assessment uses."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.actor import Actor, Role, require_role
from core.audit import binds_actor, record_event
from core.content import content_hash
from core.content_translation import text_entries, translation_workbook
from core.errors import Forbidden, NotFound, ReadOnly, ValidationFailed
from core.i18n import LANGUAGE_NAMES, current_locale, t, tn
from core.records import get_or_raise
from core.safe_text import text_problem
from core.versioned_content import (
    copy_content,
    ensure_shipped,
    ensure_shipped_translations,
    store_translation,
    version_problem,
)
from qaf.framework import FRAMEWORKS, Framework, FrameworkError, framework_from_dict
from qaf.models import Assessment, FrameworkVersion


@dataclass(frozen=True)
class FrameworkVersionInfo:
    id: int
    key: str
    version: str
    title: str
    language: str
    parent_id: int | None
    context_note: str
    assessments_using: int
    agency_id: int | None = None
    translation_of_id: int | None = None
    working_translation: bool = False

    @property
    def is_contextualised(self) -> bool:
        return self.parent_id is not None

    @property
    def is_translation(self) -> bool:
        return self.translation_of_id is not None

    @property
    def editable(self) -> bool:
        return self.is_contextualised and self.assessments_using == 0

    @property
    def label(self) -> str:
        language = LANGUAGE_NAMES.get(self.language, self.language)
        note = f", {t('translation.working')}" if self.working_translation else ""
        return f"{self.title} — {self.version} ({language}{note})"


def framework_of(row: FrameworkVersion) -> Framework:
    return FRAMEWORKS.of(row)


def frameworks_by_id(session: Session, version_ids: set[int]) -> dict[int, Framework]:
    """Several framework versions, each content read from the database only when it is not cached yet (a list
    of assessments names a handful of versions, each a large document)."""
    hashes = dict(session.execute(select(FrameworkVersion.id, FrameworkVersion.content_sha256).where(
        FrameworkVersion.id.in_(version_ids))).all()) if version_ids else {}
    missing = [i for i, sha in hashes.items() if FRAMEWORKS.cached(sha) is None]
    for row in session.scalars(select(FrameworkVersion).where(FrameworkVersion.id.in_(missing))) if missing else []:
        FRAMEWORKS.of(row)
    return {i: FRAMEWORKS.cached(sha) for i, sha in hashes.items()}  # type: ignore[misc]


def ensure_bundled_framework(session: Session) -> int:
    """Store the framework shipped with the tool, once per version; return its id."""
    return ensure_shipped(session, FrameworkVersion, FRAMEWORKS)


def ensure_bundled_translations(session: Session) -> list[int]:
    """Store the working translations shipped with the tool, once per version, each linked to the English
    version it translates; return their ids."""
    return ensure_shipped_translations(session, FrameworkVersion, FRAMEWORKS)


def list_framework_versions(session: Session) -> list[FrameworkVersionInfo]:
    usage = dict(session.execute(
        select(Assessment.framework_version_id, func.count()).group_by(Assessment.framework_version_id)
    ).all())
    rows = session.scalars(select(FrameworkVersion).order_by(FrameworkVersion.id)).all()
    return [
        FrameworkVersionInfo(id=r.id, key=r.key, version=r.version, title=r.title, language=r.language,
                             parent_id=r.parent_id, context_note=r.context_note,
                             assessments_using=usage.get(r.id, 0), agency_id=r.agency_id,
                             translation_of_id=r.translation_of_id,
                             working_translation=bool(framework_of(r).meta.get("working_translation")))
        for r in rows
    ]


def get_framework(session: Session, framework_version_id: int) -> Framework:
    row = get_or_raise(session, FrameworkVersion, framework_version_id, "framework.error.not_found")
    return framework_of(row)


def framework_for_reader(session: Session, framework_version_id: int, language: str | None = None) -> Framework:
    """The framework's text in the reader's language where a translation of it exists: the version itself when
    it is in that language, else a translation of the same source in it (an official one before a working one,
    the newest first), else the version as it is. Codes and action ids are the same in every translation, so a
    page can show another language's titles for what an assessment recorded."""
    language = language or current_locale()
    row = get_or_raise(session, FrameworkVersion, framework_version_id, "framework.error.not_found")
    if row.language == language:
        return framework_of(row)
    root = row
    while root.translation_of_id is not None:
        root = get_or_raise(session, FrameworkVersion, root.translation_of_id, "framework.error.not_found")
    if root.language == language:
        return framework_of(root)
    family, frontier = {root.id}, {root.id}
    while frontier:  # translations of translations belong to the same source
        frontier = set(session.scalars(select(FrameworkVersion.id).where(
            FrameworkVersion.translation_of_id.in_(frontier)))) - family
        family |= frontier
    found = session.scalars(select(FrameworkVersion.id).where(
        FrameworkVersion.id.in_(family), FrameworkVersion.language == language)
        .order_by(FrameworkVersion.id.desc())).all()
    if not found:
        return framework_of(row)
    texts = frameworks_by_id(session, set(found))  # content read only where not cached
    official = [i for i in found if not texts[i].meta.get("working_translation")]
    return texts[(official or found)[0]]


@binds_actor
def create_contextualised_copy(session: Session, *, actor: Actor, base_version_id: int, version: str, title: str,
                               context_note: str = "") -> int:
    """Copy a framework so a task force can adapt it to its context; the original stays as it was."""
    require_role(actor, Role.FACILITATOR)
    base = get_or_raise(session, FrameworkVersion, base_version_id, "framework.error.not_found")
    errors: dict[str, str] = {}
    if problem := (text_problem(version.strip(), 40)
                   or version_problem(session, FrameworkVersion, FRAMEWORKS, base.key, version.strip())):
        errors["version"] = problem
    if not title.strip():
        errors["title"] = t("framework.error.title_required")
    elif problem := text_problem(title.strip(), 300):
        errors["title"] = problem
    if problem := text_problem(context_note.strip(), None):
        errors["context_note"] = problem
    if errors:
        raise ValidationFailed(errors)
    content = copy_content(base, "framework", version=version.strip(), title=title.strip(),
                           context_note=context_note.strip())
    row = FrameworkVersion(key=base.key, version=version.strip(), title=title.strip(), language=base.language,
                           content=content, content_sha256=content_hash(content), parent_id=base.id,
                           context_note=context_note.strip(), agency_id=actor.agency_id)
    session.add(row)
    session.flush()
    return row.id


@binds_actor
def save_contextualised_component(session: Session, *, actor: Actor, framework_version_id: int,
                                  component_code: str, columns: list[list[dict[str, str]]]) -> None:
    """Replace one component's three columns of actions in a contextualised copy.

    ``columns`` holds, per column, dicts with ``id`` (empty for a new action) and ``text``. Actions without an
    id get the next free id in their column and are marked as added in context. A copy already used by an
    assessment is frozen, so past assessments keep exactly what they scored.
    """
    row = get_or_raise(session, FrameworkVersion, framework_version_id, "framework.error.not_found")
    if row.parent_id is None:
        raise ReadOnly(t("framework.error.original_read_only"))
    require_role(actor, Role.FACILITATOR)
    if row.agency_id is None or row.agency_id != actor.agency_id:
        raise Forbidden(t("framework.error.other_agency"))
    in_use = session.scalar(select(func.count()).where(Assessment.framework_version_id == row.id))
    if in_use:
        raise ReadOnly(tn("framework.error.in_use", in_use))
    content = copy.deepcopy(row.content)
    target = next((c for d in content["dimensions"] for c in d["components"] if c["code"] == component_code), None)
    if target is None:
        raise NotFound(t("framework.error.component_not_found", code=component_code))
    original_ids = {a["id"] for col in target["columns"] for a in col["actions"]}
    new_columns = []
    for index, column in enumerate(columns, start=1):
        texts = [(a.get("id") or "", (a.get("text") or "").strip()) for a in column]
        texts = [(i, x) for i, x in texts if x]
        if not texts:
            raise ValidationFailed({f"column_{index}": t("framework.error.column_empty", column=index)})
        used = {i for i, _ in texts if i}
        actions = []
        counter = 0
        for action_id, text in texts:
            if action_id and action_id in original_ids:
                old = next(a for col in target["columns"] for a in col["actions"] if a["id"] == action_id)
                if not action_id.startswith(f"{component_code}.{index}."):
                    raise ValidationFailed({f"column_{index}": t("framework.error.action_moved", id=action_id)})
                actions.append({**old, "text": text})
                continue
            counter += 1
            new_id = f"{component_code}.{index}.c{counter}"
            while new_id in used or new_id in original_ids:
                counter += 1
                new_id = f"{component_code}.{index}.c{counter}"
            used.add(new_id)
            actions.append({"id": new_id, "text": text, "added_in_context": True})
        new_columns.append(actions)
    for column_data, actions in zip(target["columns"], new_columns, strict=True):
        column_data["actions"] = actions
    try:
        framework_from_dict(content)
    except FrameworkError as exc:
        raise ValidationFailed({"framework": str(exc)}) from exc
    row.content = content
    row.content_sha256 = content_hash(content)




def translation_workbook_for(session: Session, *, actor: Actor, framework_version_id: int,
                             target_language: str) -> bytes:
    """The workbook a translator fills in to make ``framework_version_id`` available in another language."""
    require_role(actor, Role.FACILITATOR)
    row = get_or_raise(session, FrameworkVersion, framework_version_id, "framework.error.not_found")
    data = translation_workbook(text_entries(row.content), source_language=row.language,
                                target_language=target_language, source_label=f"{row.title} — {row.version}")
    record_event(session, action="export", entity_type="FrameworkVersion", entity_id=row.id,
                 summary=f"{row.key} {row.version} → {target_language}", details={"format": "xlsx"})
    return data


@binds_actor
def import_translation(session: Session, *, actor: Actor, source_version_id: int, language: str, version: str,
                       filename: str, data: bytes, official: bool = False) -> int:
    """A new framework version from a filled translation workbook: the source's structure and action ids, every
    text translated, linked to the source. All of it or nothing: a missing, extra or empty row refuses the file,
    naming the rows."""
    require_role(actor, Role.FACILITATOR)
    source = get_or_raise(session, FrameworkVersion, source_version_id, "framework.error.not_found")
    return store_translation(session, FrameworkVersion, FRAMEWORKS, source, language=language, version=version,
                             filename=filename, data=data, official=official, agency_id=actor.agency_id)
