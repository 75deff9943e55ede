"""Supervision use cases: plans, working calendars, generation, sessions, compliance and ratios."""
