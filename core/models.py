"""Declarative base shared by every feature package, with a naming convention so that migrations name
constraints the same way on SQLite and PostgreSQL, and the mixins every user-data table uses."""

from __future__ import annotations

import uuid as uuid_module
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Integer, MetaData, String, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UuidMixin:
    """A universally unique id, made by the client when the record is created and never changed. Integer keys
    are local to one database; the UUID is what lets a laptop's records merge into a country server."""

    uuid: Mapped[uuid_module.UUID] = mapped_column(Uuid, default=uuid_module.uuid4, unique=True)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class AttributionMixin:
    """Who last changed the row, filled in from the acting account at every flush (see ``core.audit``)."""

    updated_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_by_name: Mapped[str] = mapped_column(String(200), default="")


class VersionedMixin:
    """Optimistic locking: every save bumps the version; a save from a page that loaded an older version is
    refused (``core.records.check_version``) and a race at the same instant raises ``StaleDataError``."""

    version_id: Mapped[int] = mapped_column(Integer, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805  (a class-level directive)
        return {"version_id_col": cls.__table__.c.version_id}  # type: ignore[attr-defined]
