"""Values one installation keeps about itself: a random salt for pseudonymising what must not be stored in clear
(an unknown username typed at sign-in, a client address), and markers that make one-time steps happen once."""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.models import Base

SALT_KEY = "pseudonym_salt"


class InstallationSetting(Base):
    """System data, not a user's record: no UUID, not audited (it holds the salt)."""

    __tablename__ = "installation_settings"
    __audited__ = False
    __user_data__ = False

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")


def installation_salt(session: Session) -> str:
    """This installation's salt, made at random by the migration that created the table."""
    return session.scalar(select(InstallationSetting.value).where(InstallationSetting.key == SALT_KEY)) or ""


def pseudonym(session: Session, text: str) -> str:
    """A stable stand-in for ``text`` that cannot be turned back into it without this installation's salt."""
    return hmac.new(installation_salt(session).encode(), text.encode(), hashlib.sha256).hexdigest()[:16]
