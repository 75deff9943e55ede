"""Runtime settings, read from the environment once per process.

The database is chosen by one variable, ``CPCM_DATABASE_URL`` (any SQLAlchemy URL). Without it the tool uses
an embedded SQLite file in the local data folder, so a facilitator's laptop needs no server and no internet.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DATABASE_URL_VAR = "CPCM_DATABASE_URL"
DATA_DIR_VAR = "CPCM_DATA_DIR"
LOCALE_VAR = "CPCM_LOCALE"


IDLE_TIMEOUT_VAR = "CPCM_IDLE_TIMEOUT_MINUTES"
LOCKOUT_ATTEMPTS_VAR = "CPCM_LOCKOUT_ATTEMPTS"
LOCKOUT_MINUTES_VAR = "CPCM_LOCKOUT_MINUTES"
TRUST_PROXY_VAR = "CPCM_TRUST_PROXY"


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path
    locale: str
    idle_timeout_minutes: int = 60
    lockout_attempts: int = 6
    lockout_minutes: int = 30
    trusted_proxies: int = 0  # reverse proxies of the deployment's own in front of the app (see client_address)

    @property
    def trust_proxy(self) -> bool:
        """Behind the deployment's own proxy: its forwarded host, scheme and address are believed."""
        return self.trusted_proxies > 0


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip().isdigit() and int(value) > 0 else default


def default_data_dir() -> Path:
    return Path(os.environ.get(DATA_DIR_VAR) or PROJECT_ROOT / "data")


def get_settings() -> Settings:
    data_dir = default_data_dir()
    url = os.environ.get(DATABASE_URL_VAR) or f"sqlite:///{data_dir / 'cpcm-quality.db'}"
    return Settings(database_url=url, data_dir=data_dir, locale=os.environ.get(LOCALE_VAR, "en"),
                    idle_timeout_minutes=_int(IDLE_TIMEOUT_VAR, 60), lockout_attempts=_int(LOCKOUT_ATTEMPTS_VAR, 6),
                    lockout_minutes=_int(LOCKOUT_MINUTES_VAR, 30),
                    trusted_proxies=_proxies(os.environ.get(TRUST_PROXY_VAR, "")))


def _proxies(value: str) -> int:
    """``CPCM_TRUST_PROXY``: how many reverse proxies of your own stand in front of the app (``1`` for one nginx;
    ``yes``/``true`` mean one); empty or ``0``: none, the connection's address is the client's."""
    text = value.strip().lower()
    if text in {"yes", "true", "on"}:
        return 1
    return int(text) if text.isdigit() else 0


def passphrase_from(variable: str, prompt: str, *, confirm: bool) -> str:
    """A passphrase for a command line job: from the environment variable when set (scripts, timers), otherwise
    asked for without echo (twice when it will protect a new file)."""
    import getpass

    given = os.environ.get(variable, "")
    if given:
        return given
    first = getpass.getpass(f"{prompt}: ")
    if confirm and getpass.getpass("The same passphrase again: ") != first:
        raise SystemExit("The two passphrases differ.")
    return first
