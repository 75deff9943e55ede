"""Case files as a review needs them, with no database: what a valid case file is, how a spreadsheet row is read.

A case file is pseudonymous: a **case code**, never a name. Data minimisation (guidelines 2.1.4): the tool keeps
only the dates and levels that timeliness and the checklist need.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from checklists.timeliness import CASE_STATUSES, RISK_LEVELS, CaseDates, CaseStatus, RiskLevel
from core.i18n import format_date, t
from core.imports import CellError, parse_day

IMPORT_COLUMNS = ("case_code", "caseworker", "risk_level", "status", "identified_on", "registered_on", "assessed_on",
                  "case_plan_on", "first_action_on", "follow_ups", "case_plan_reviews", "reassessments",
                  "risk_changes", "closed_on", "closure_reason", "objectives_achieved", "post_closure_follow_up_on")
REQUIRED_COLUMNS = ("case_code",)
# Column names of a Primero / CPIMS+ case export, read as ours.
PRIMERO_ALIASES = {
    "case_id_display": "case_code",
    "owned_by": "caseworker",
    "registration_date": "registered_on",
    "date_case_plan": "case_plan_on",
    "date_closure": "closed_on",
    "closure_reason": "closure_reason",
    "risk_level": "risk_level",
    "status": "status",
}
DATE_FIELDS = ("identified_on", "registered_on", "assessed_on", "case_plan_on", "first_action_on", "closed_on",
               "post_closure_follow_up_on")
LIST_FIELDS = ("follow_ups", "case_plan_reviews", "reassessments")
# Risk labels understood without asking; an import may map others (Primero's "critical", say) onto these.
RISK_LABELS = {"high": RiskLevel.HIGH, "medium": RiskLevel.MEDIUM, "low": RiskLevel.LOW,
               "no_risk": RiskLevel.NO_RISK, "no risk": RiskLevel.NO_RISK, "none": RiskLevel.NO_RISK}
# At closure: were the case plan's objectives achieved (guidelines 2.1.5.A)? Empty: not recorded.
OBJECTIVES_ACHIEVED = ("yes", "partly", "no")
MAX_CODE = 60
MAX_REASON = 500
MAX_LIST = 200  # dates in one list: years of twice-weekly follow-ups
# The order of the steps: each date may not come before the one it follows.
ORDER = (("registered_on", "identified_on"), ("assessed_on", "registered_on"), ("case_plan_on", "assessed_on"),
         ("first_action_on", "case_plan_on"), ("closed_on", "registered_on"), ("post_closure_follow_up_on",
                                                                            "closed_on"))
_NAME_WORD = re.compile(r"^[^\W\d_]+(?:[-'’][^\W\d_]+)*$")


@dataclass
class CaseFileDraft:
    case_code: str
    caseworker_id: int | None
    risk_level: str
    status: str = CaseStatus.OPEN.value
    identified_on: date | None = None
    registered_on: date | None = None
    assessed_on: date | None = None
    case_plan_on: date | None = None
    first_action_on: date | None = None
    follow_ups: list[date] = field(default_factory=list)
    case_plan_reviews: list[date] = field(default_factory=list)
    reassessments: list[date] = field(default_factory=list)
    risk_changes: list[tuple[date, str]] = field(default_factory=list)
    closed_on: date | None = None
    closure_reason: str = ""
    post_closure_follow_up_on: date | None = None
    objectives_achieved: str = ""

    def dates(self) -> CaseDates:
        """The timeliness view of a valid draft."""
        return CaseDates(
            risk_level=RiskLevel(self.risk_level), status=CaseStatus(self.status), identified_on=self.identified_on,
            registered_on=self.registered_on, assessed_on=self.assessed_on, case_plan_on=self.case_plan_on,
            first_action_on=self.first_action_on, follow_ups=tuple(sorted(self.follow_ups)),
            case_plan_reviews=tuple(sorted(self.case_plan_reviews)), reassessments=tuple(sorted(self.reassessments)),
            risk_changes=tuple(sorted((d, RiskLevel(lv)) for d, lv in self.risk_changes)),
            closed_on=self.closed_on, post_closure_follow_up_on=self.post_closure_follow_up_on)


def looks_like_a_name(code: str) -> bool:
    """A code with no digit made of one to four words of letters ("Amina", "Amina Yusuf") is probably a name.
    Not refused (some agencies' codes are words), but the person is warned."""
    words = code.split()
    return bool(words) and len(words) <= 4 and not any(c.isdigit() for c in code) and all(
        _NAME_WORD.match(w) and w[0].isupper() for w in words)


def field_label(name: str) -> str:
    return t(f"case_file.field.{name}")


def validate_case_file(draft: CaseFileDraft, *, today: date) -> dict[str, str]:
    """Messages per field for what is wrong with the draft; empty when it can be saved."""
    errors: dict[str, str] = {}
    code = draft.case_code
    if not code:
        errors["case_code"] = t("case_file.error.code_required")
    elif len(code) > MAX_CODE:
        errors["case_code"] = t("common.error.too_long", limit=MAX_CODE)
    elif any(not c.isprintable() for c in code):
        errors["case_code"] = t("case_file.error.code_characters")
    if draft.caseworker_id is None:
        errors["caseworker"] = t("case_file.error.caseworker_required")
    if draft.risk_level not in RISK_LEVELS:
        errors["risk_level"] = t("case_file.error.risk_level", value=draft.risk_level[:40],
                                 allowed=", ".join(RISK_LEVELS))
    if draft.status not in CASE_STATUSES:
        errors["status"] = t("case_file.error.status", value=draft.status[:40], allowed=", ".join(CASE_STATUSES))
    for name in DATE_FIELDS:
        value = getattr(draft, name)
        if value is not None and value > today:
            errors[name] = t("case_file.error.future", date=format_date(value))
    for later, earlier in ORDER:
        a, b = getattr(draft, later), getattr(draft, earlier)
        if a is not None and b is not None and a < b and later not in errors:
            errors[later] = t("case_file.error.before", field=field_label(later), date=format_date(a),
                              other=field_label(earlier), other_date=format_date(b))
    start = draft.identified_on or draft.registered_on
    for name in LIST_FIELDS:
        values = getattr(draft, name)
        if len(values) > MAX_LIST:
            errors[name] = t("case_file.error.too_many_dates", limit=MAX_LIST)
            continue
        future = [d for d in values if d > today]
        floor = draft.case_plan_on if name == "case_plan_reviews" else start
        floor_field = "case_plan_on" if name == "case_plan_reviews" else (
            "identified_on" if draft.identified_on else "registered_on")
        early = [d for d in values if floor is not None and d < floor]
        after_closure = [d for d in values if draft.closed_on is not None and d > draft.closed_on]
        if future:
            errors[name] = t("case_file.error.future", date=format_date(future[0]))
        elif early:
            errors[name] = t("case_file.error.before", field=field_label(name), date=format_date(early[0]),
                             other=field_label(floor_field), other_date=format_date(floor))
        elif after_closure:
            errors[name] = t("case_file.error.after_closure", date=format_date(after_closure[0]))
        elif name == "case_plan_reviews" and values and draft.case_plan_on is None:
            errors[name] = t("case_file.error.review_without_plan")
    changes = draft.risk_changes
    if changes:
        days = [d for d, _ in changes]
        unknown = [lv for _, lv in changes if lv not in RISK_LEVELS]
        if unknown:
            errors["risk_changes"] = t("case_file.error.risk_level", value=unknown[0][:40],
                                       allowed=", ".join(RISK_LEVELS))
        elif any(d > today for d in days):
            errors["risk_changes"] = t("case_file.error.future", date=format_date(max(days)))
        elif len(set(days)) != len(days):
            errors["risk_changes"] = t("case_file.error.risk_change_twice")
        elif "risk_level" not in errors and sorted(changes)[-1][1] != draft.risk_level:
            last_day, last_level = sorted(changes)[-1]
            errors["risk_level"] = t("case_file.error.risk_not_last", level=risk_label(draft.risk_level),
                                     last=risk_label(last_level), date=format_date(last_day))
    ended = draft.status in (CaseStatus.CLOSED, CaseStatus.TRANSFERRED)
    if ended and draft.closed_on is None and "status" not in errors:
        errors["closed_on"] = t("case_file.error.closed_on_required")
    if not ended and draft.closed_on is not None and "status" not in errors:
        errors["status"] = t("case_file.error.open_with_closure")
    if draft.post_closure_follow_up_on is not None and draft.status != CaseStatus.CLOSED and "status" not in errors:
        errors["post_closure_follow_up_on"] = t("case_file.error.follow_up_not_closed")
    if len(draft.closure_reason) > MAX_REASON:
        errors["closure_reason"] = t("common.error.too_long", limit=MAX_REASON)
    if draft.objectives_achieved and draft.objectives_achieved not in OBJECTIVES_ACHIEVED:
        errors["objectives_achieved"] = t("case_file.error.objectives_achieved", value=draft.objectives_achieved[:40])
    elif draft.objectives_achieved and draft.status != CaseStatus.CLOSED and "status" not in errors:
        errors["objectives_achieved"] = t("case_file.error.objectives_not_closed")
    return errors


def risk_label(level: str) -> str:
    return t(f"risk_level.{level}") if level in RISK_LEVELS else level


# Reading a spreadsheet row ------------------------------------------------------------------------------------


def parse_days(value: Any, column: str) -> list[date]:
    """A list cell: dates separated by ``;``."""
    if value is None:
        return []
    if isinstance(value, date):
        return [parse_day(value, column) or value]
    days = [parse_day(part, column) for part in str(value).replace(",", ";").split(";") if part.strip()]
    return [d for d in days if d is not None]


def parse_risk(value: Any, column: str, mapping: Mapping[str, str]) -> str:
    text = "" if value is None else str(value).strip().lower()
    if not text:
        return ""
    level = mapping.get(text) or RISK_LABELS.get(text) or RISK_LABELS.get(text.replace("-", "_"))
    if level is None:
        raise CellError(column, t("case_file.error.risk_level", value=text[:40],
                                  allowed=", ".join(RISK_LEVELS)))
    return str(level)


def parse_risk_changes(value: Any, column: str, mapping: Mapping[str, str]) -> list[tuple[date, str]]:
    """``YYYY-MM-DD:level;YYYY-MM-DD:level``."""
    if value is None or not str(value).strip():
        return []
    changes = []
    for part in str(value).split(";"):
        if not part.strip():
            continue
        day, sep, level = part.strip().partition(":")
        if not sep:
            raise CellError(column, t("case_file.error.risk_change_format", value=part.strip()[:40]))
        parsed = parse_day(day, column)
        risk = parse_risk(level, column, mapping)
        if parsed is None or not risk:
            raise CellError(column, t("case_file.error.risk_change_format", value=part.strip()[:40]))
        changes.append((parsed, risk))
    return changes


def parse_objectives(value: Any) -> str:
    """yes / partly / no, in any case; also true/false and 1/0 as a spreadsheet may write them."""
    text = "" if value is None else str(value).strip().lower()
    return {"true": "yes", "false": "no", "1": "yes", "0": "no", "partially": "partly"}.get(text, text)


def parse_status(value: Any) -> str:
    text = "" if value is None else str(value).strip().lower()
    return text or CaseStatus.OPEN.value


def risk_labels_in(rows: list[dict[str, Any]]) -> list[str]:
    """The risk labels a file uses that need mapping onto the four levels (for the import form to ask)."""
    found: set[str] = set()
    for row in rows:
        for value in [row.get("risk_level"), *[p.partition(":")[2] for p in str(row.get("risk_changes") or "")
                                               .split(";")]]:
            text = "" if value is None else str(value).strip().lower()
            if text and text not in RISK_LABELS and text.replace("-", "_") not in RISK_LABELS:
                found.add(text[:40])
    return sorted(found)


def draft_from_row(row: Mapping[str, Any], *, caseworker_id: int | None,
                   risk_mapping: Mapping[str, str]) -> CaseFileDraft:
    """A draft from one import row (column names already ours). Raises ``CellError`` on the first unreadable
    cell; the draft is validated with ``validate_case_file`` after."""
    def text(name: str) -> str:
        value = row.get(name)
        return "" if value is None else str(value).strip()

    changes = parse_risk_changes(row.get("risk_changes"), "risk_changes", risk_mapping)
    risk = parse_risk(row.get("risk_level"), "risk_level", risk_mapping)
    if not risk:
        if not changes:
            raise CellError("risk_level", t("case_file.error.risk_required"))
        risk = sorted(changes)[-1][1]
    values: dict[str, Any] = {name: parse_day(row.get(name), name) for name in DATE_FIELDS}
    lists: dict[str, Any] = {name: parse_days(row.get(name), name) for name in LIST_FIELDS}
    return CaseFileDraft(case_code=text("case_code"), caseworker_id=caseworker_id, risk_level=risk,
                         status=parse_status(row.get("status")), risk_changes=changes,
                         closure_reason=text("closure_reason"),
                         objectives_achieved=parse_objectives(row.get("objectives_achieved")), **values, **lists)


def format_days(values: list[date] | tuple[date, ...]) -> str:
    """A list of dates as the template writes them."""
    return "; ".join(d.isoformat() for d in sorted(values))


def format_risk_changes(changes: list[tuple[date, str]] | tuple[tuple[date, str], ...]) -> str:
    return "; ".join(f"{d.isoformat()}:{lv}" for d, lv in sorted(changes))
