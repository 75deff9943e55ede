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
    trust_proxy: bool = False  # take the client's address from X-Forwarded-For (only behind your own proxy)


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
                    trust_proxy=os.environ.get(TRUST_PROXY_VAR, "").strip().lower() in {"1", "true", "yes"})
