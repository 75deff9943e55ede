"""A case file review's answers and score, with no database.

Each checklist item is answered Yes, No or Not applicable. Items the dates decide are pre-answered from the
timeliness engine ("computed"); the reviewer may override one, with a reason. The score is our design (the
inter-agency checklist has none), so it is simple and said in full wherever it is shown:
**score = Yes ÷ (Yes + No)**, Not applicable left out, mapped onto the four QAF levels by the thresholds in the
review settings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from checklists.checklist import Checklist
from checklists.settings import ScoreThresholds
from checklists.timeliness import Status, StepResult
from core.i18n import t
from core.levels import Level

ANSWERS = ("yes", "no", "na")
MAX_TEXT = 2000
REVIEW_STATUSES = ("draft", "completed")


@dataclass
class AnswerDraft:
    item_id: str
    answer: str = ""  # "" while unanswered
    comment: str = ""
    recommendation: str = ""
    computed_answer: str | None = None  # what the dates say, for computed items
    override_reason: str = ""

    @property
    def overridden(self) -> bool:
        return self.computed_answer is not None and self.answer not in ("", self.computed_answer)


def computed_answer(result: StepResult) -> str:
    """What the dates say about an item: on time is Yes, late or overdue is No, anything else Not applicable."""
    if result.status == Status.MET:
        return "yes"
    if result.status in (Status.MISSED, Status.OVERDUE):
        return "no"
    return "na"


@dataclass(frozen=True)
class Score:
    yes: int
    no: int
    na: int
    unanswered: int
    percent: float | None  # None when nothing was answered Yes or No
    level: Level | None


def score(answers: Iterable[AnswerDraft], thresholds: ScoreThresholds) -> Score:
    answers = list(answers)
    yes = sum(1 for a in answers if a.answer == "yes")
    no = sum(1 for a in answers if a.answer == "no")
    na = sum(1 for a in answers if a.answer == "na")
    percent = round(100 * yes / (yes + no), 1) if yes + no else None
    return Score(yes, no, na, len(answers) - yes - no - na, percent,
                 thresholds.level(percent) if percent is not None else None)


def validate_answers(checklist: Checklist, answers: dict[str, AnswerDraft], *, completing: bool) -> dict[str, str]:
    """Messages keyed ``item:<id>`` (or the text field) for what is wrong. Completing needs every item answered."""
    errors: dict[str, str] = {}
    for item in checklist.items():
        answer = answers.get(item.id)
        if answer is None or answer.answer == "":
            if completing:
                errors[f"item:{item.id}"] = t("review.error.unanswered")
            continue
        if answer.answer not in ANSWERS:
            errors[f"item:{item.id}"] = t("review.error.answer")
        elif answer.overridden and not answer.override_reason.strip():
            errors[f"item:{item.id}"] = t("review.error.override_reason")
        elif max(len(answer.comment), len(answer.recommendation), len(answer.override_reason)) > MAX_TEXT:
            errors[f"item:{item.id}"] = t("common.error.too_long", limit=MAX_TEXT)
    unknown = set(answers) - {i.id for i in checklist.items()}
    if unknown:
        errors["answers"] = t("review.error.unknown_items", items=", ".join(sorted(unknown))[:200])
    return errors
