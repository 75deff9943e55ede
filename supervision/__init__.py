"""Supervision: staff, teams and their history; supervision calendars, session logs and ratios build on these."""
