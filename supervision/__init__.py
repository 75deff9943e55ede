"""Supervision: supervision plans and calendars, sessions held against planned, caseload and ratio checks.

Builds on the workforce directory in ``accounts`` (staff, teams) and the shared ``improvement_actions``."""
