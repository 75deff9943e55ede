"""Errors that services raise and pages show to the user."""

from __future__ import annotations

ANY_FIELD = "*"  # a message about the input as a whole, shown where a page shows its general messages


class ValidationFailed(Exception):
    """Input was rejected. ``field_errors`` maps a field name to a message shown next to that field (or
    ``ANY_FIELD``: the input as a whole, when no one field can be named)."""

    def __init__(self, field_errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in field_errors.items()))
        self.field_errors = field_errors


class NotFound(Exception):
    """The record asked for does not exist (or no longer exists)."""


class ReadOnly(Exception):
    """The record is finalised and cannot be changed."""


class Forbidden(Exception):
    """The acting person may not see or do this. Every refusal is recorded in the audit trail."""


class Conflict(Exception):
    """Someone else changed the record since it was loaded; nothing was saved."""


class Busy(Conflict):
    """Another program holds the database's write lock for longer than a person should wait; nothing was saved
    and what they typed is kept."""


class Unavailable(Conflict):
    """The database could not be reached (the server restarted, the network dropped, the connection was cut)
    while working; nothing was saved and what the person typed is kept. The next try opens a fresh connection."""
