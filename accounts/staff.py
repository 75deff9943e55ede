"""Staff rules that need no database: what a valid staff record is, how an import row is read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from dateutil.relativedelta import relativedelta

from core.i18n import t

PROGRAMME_ROLES = ("caseworker", "supervisor", "manager", "data_entry", "other")
GENDERS = ("female", "male", "other", "undisclosed")
IMPORT_COLUMNS = ("full_name", "programme_role", "agency", "team", "start_date", "gender", "email", "active")
MAX = 200


@dataclass
class StaffDraft:
    full_name: str
    programme_role: str
    agency_id: int | None
    start_date: date | None = None
    gender: str = "undisclosed"
    email: str = ""
    active: bool = True


def validate_staff(draft: StaffDraft) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not draft.full_name.strip():
        errors["full_name"] = t("staff.error.name")
    elif len(draft.full_name) > MAX:
        errors["full_name"] = t("common.error.too_long", limit=MAX)
    if draft.programme_role not in PROGRAMME_ROLES:
        errors["programme_role"] = t("staff.error.role", allowed=", ".join(PROGRAMME_ROLES))
    if draft.agency_id is None:
        errors["agency_id"] = t("staff.error.agency")
    if draft.gender not in GENDERS:
        errors["gender"] = t("staff.error.gender", allowed=", ".join(GENDERS))
    email = draft.email.strip()
    if email and ("@" not in email or " " in email or len(email) > 254):
        errors["email"] = t("accounts.error.email")
    # A year from today as the calendar counts it: on 29 February that is 28 February of the next year.
    if draft.start_date and draft.start_date > date.today() + relativedelta(years=1):
        errors["start_date"] = t("staff.error.start_date_future")
    return errors


def parse_date(value: Any) -> date | None:
    """Dates from a spreadsheet: a real date cell, or text as YYYY-MM-DD."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError as exc:
        raise ValueError(t("staff.error.date_format", value=str(value)[:40])) from exc


def parse_bool(value: Any) -> bool:
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    text = str(value).strip().lower()
    if text in {"yes", "y", "true", "1", "active"}:
        return True
    if text in {"no", "n", "false", "0", "inactive"}:
        return False
    raise ValueError(t("staff.error.active", value=str(value)[:40]))
