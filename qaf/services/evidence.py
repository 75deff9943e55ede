"""Evidence for the workshop, from whoever provides it (registered at start-up by the application, which knows
the features that hold the records). Access is checked here: only people who may read the assessment."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from core.actor import Actor
from qaf.evidence import EvidenceLine
from qaf.services.access import assessment_row

EvidenceProvider = Callable[[Session, Actor, int], dict[str, list[EvidenceLine]]]
_providers: list[EvidenceProvider] = []


def register_evidence_provider(provider: EvidenceProvider) -> None:
    """Idempotent: registering the same provider twice keeps one."""
    if provider not in _providers:
        _providers.append(provider)


def evidence_for(session: Session, *, actor: Actor, assessment_id: int) -> dict[str, list[EvidenceLine]]:
    """Component code -> the evidence lines every provider has for it."""
    assessment_row(session, assessment_id, actor)
    found: dict[str, list[EvidenceLine]] = {}
    for provider in _providers:
        for code, lines in provider(session, actor, assessment_id).items():
            found.setdefault(code, []).extend(lines)
    return found
