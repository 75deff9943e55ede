"""Improvement action rules that need no database: statuses, priorities, what makes an action valid, and which
fields someone who only tracks an action may change."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from enum import IntEnum

from core.i18n import format_date, t

STATUSES = ("not_started", "in_progress", "done", "dropped")
OPEN_STATUSES = ("not_started", "in_progress")
PRIORITIES = ("high", "medium", "low")
MAX_TEXT = 2000
MAX_SHORT = 200
# Someone who tracks an action (a manager, or anyone once the plan is signed off) moves it along; only those who
# own the plan change what it is.
TRACKING_FIELDS = ("status", "progress_notes")


class Access(IntEnum):
    """What a person may do with the actions of one source, decided by the feature that owns the source."""

    NONE = 0
    READ = 1
    TRACK = 2  # change status and progress notes
    EDIT = 3  # change everything, add and delete


@dataclass(frozen=True)
class ActionSource:
    """What produced an action: ``kind`` names the feature's record type, ``record_id`` the record (an
    assessment, a case file review, a supervision session), ``item`` the part of it (a QAF component, a checklist
    item) and ``reference`` a finer pointer (the Change Grid action the key action was taken from)."""

    kind: str
    record_id: int
    item: str = ""
    reference: str | None = None


@dataclass
class ImprovementActionDraft:
    text: str
    owner_person: str = ""
    owner_agency: str = ""
    due_on: date | None = None
    resources: str = ""
    priority: str = "medium"
    status: str = "not_started"
    progress_notes: str = ""
    owner_staff_member_id: int | None = None
    owner_agency_id: int | None = None


def action_fields() -> tuple[str, ...]:
    """The fields an improvement action stores from a draft."""
    return tuple(f.name for f in fields(ImprovementActionDraft))


def clean(draft: ImprovementActionDraft) -> dict[str, object]:
    """The draft's stored values, text trimmed."""
    values = {name: getattr(draft, name) for name in action_fields()}
    for name, value in values.items():
        if isinstance(value, str):
            values[name] = value.strip()
    return values


def validate_action(values: dict[str, object], *, not_before: date | None,
                    too_early: str = "") -> dict[str, str]:
    """Messages per field for what is wrong with an action's values (as ``clean`` returns them). A due date
    before ``not_before`` is refused with ``too_early``, the source's own words for why."""
    errors: dict[str, str] = {}
    text = str(values["text"])
    if not text:
        errors["text"] = t("improvement_action.error.text_required")
    elif len(text) > MAX_TEXT:
        errors["text"] = t("common.error.too_long", limit=MAX_TEXT)
    person, agency = str(values["owner_person"]), str(values["owner_agency"])
    if not person and not agency and values["owner_staff_member_id"] is None and values["owner_agency_id"] is None:
        errors["owner"] = t("improvement_action.error.owner_required")
    elif max(len(person), len(agency)) > MAX_SHORT:
        errors["owner"] = t("common.error.too_long", limit=MAX_SHORT)
    due_on = values["due_on"]
    if due_on is None:
        errors["due_on"] = t("improvement_action.error.due_required")
    elif not_before is not None and isinstance(due_on, date) and due_on < not_before:
        errors["due_on"] = too_early or t("improvement_action.error.due_too_early", date=format_date(not_before))
    if values["priority"] not in PRIORITIES:
        errors["priority"] = t("improvement_action.error.priority")
    if values["status"] not in STATUSES:
        errors["status"] = t("improvement_action.error.status")
    elif values["status"] == "done" and not str(values["progress_notes"]):
        # Done means someone can point at what shows it: the note given then is the evidence.
        errors["progress_notes"] = t("improvement_action.error.evidence_required")
    for name in ("resources", "progress_notes"):
        if len(str(values[name])) > MAX_TEXT and name not in errors:
            errors[name] = t("common.error.too_long", limit=MAX_TEXT)
    return errors


def beyond_tracking(values: dict[str, object], stored: dict[str, object]) -> list[str]:
    """The fields someone who may only track an action tried to change."""
    return [name for name in values if name not in TRACKING_FIELDS and values[name] != stored[name]]


def validate_comment(text: str) -> dict[str, str]:
    if not text:
        return {"comment": t("improvement_action.error.comment_required")}
    if len(text) > MAX_TEXT:
        return {"comment": t("common.error.too_long", limit=MAX_TEXT)}
    return {}


def is_overdue(due_on: date | None, status: str, today: date) -> bool:
    """Past its due date and neither done nor dropped."""
    return due_on is not None and due_on < today and status in OPEN_STATUSES


def is_due_soon(due_on: date | None, status: str, today: date, days: int = 14) -> bool:
    """Due from today to ``days`` days ahead, and still open."""
    return due_on is not None and status in OPEN_STATUSES and 0 <= (due_on - today).days <= days
