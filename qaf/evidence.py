"""Evidence beside a component in the workshop: what the tool already holds about practice (indicators, case
file review answers, workforce figures), as lines of text with their figures. Another part of the application
computes them and registers a provider (``qaf.services.evidence``); the QAF only shows them. Informative only:
nothing here ticks a Change Grid action."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EvidenceLine:
    """A row of the workshop's evidence table: plain text (made with ``t_plain``), never Markdown."""

    label: str  # what is counted
    figure: str  # the figure, with its numerator and denominator
    detail: str = ""  # how it is computed, over which records and months
