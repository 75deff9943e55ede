"""All interface text goes through ``t``. Messages live in one catalogue per locale (``core/locales/<code>.yaml``);
adding French, Spanish or Arabic means adding a catalogue file, not changing code. Dates and numbers are
formatted for the active locale by Babel.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from babel import Locale
from babel.dates import format_date as _babel_format_date
from babel.dates import format_datetime as _babel_format_datetime
from babel.numbers import format_decimal, format_percent

from core.config import get_settings

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
FALLBACK_LOCALE = "en"
RTL_LANGUAGES = {"ar", "he", "fa", "ur"}

log = logging.getLogger(__name__)
_current_locale: ContextVar[str | None] = ContextVar("cpcm_locale", default=None)


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{full}."))
        else:
            flat[full] = str(value)
    return flat


@cache
def catalogue(locale: str) -> dict[str, str]:
    path = LOCALES_DIR / f"{locale}.yaml"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as handle:
        return _flatten(yaml.safe_load(handle) or {})


def available_locales() -> list[str]:
    return sorted(p.stem for p in LOCALES_DIR.glob("*.yaml"))


def current_locale() -> str:
    return _current_locale.get() or get_settings().locale


def set_locale(locale: str) -> None:
    _current_locale.set(locale)


def is_rtl(locale: str | None = None) -> bool:
    return (locale or current_locale()).split("_")[0] in RTL_LANGUAGES


def t(key: str, /, **values: Any) -> str:
    """Translate ``key`` for the active locale, falling back to English, then to the key itself."""
    locale = current_locale()
    text = catalogue(locale).get(key)
    if text is None:
        text = catalogue(FALLBACK_LOCALE).get(key)
    if text is None:
        log.warning("missing message %s", key)
        return key
    return text.format(**values) if values else text


def format_date(value: date | datetime | None, *, fmt: str = "medium") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _babel_format_datetime(value, format=fmt, locale=_babel_locale())
    return _babel_format_date(value, format=fmt, locale=_babel_locale())


def format_number(value: float | int) -> str:
    return format_decimal(value, locale=_babel_locale())


def format_share(value: float) -> str:
    """A proportion (0..1) as a percentage for the active locale."""
    return format_percent(value, locale=_babel_locale())


def _babel_locale() -> Locale:
    try:
        return Locale.parse(current_locale())
    except (ValueError, TypeError):
        return Locale.parse(FALLBACK_LOCALE)
