"""All interface text goes through ``t``. Each package keeps its own messages (``<package>/locales/<code>.yaml``,
keys namespaced by the package's area); the catalogues of every package are merged here, found on disk, so the
base imports no feature. Adding French, Spanish or Arabic means adding catalogue files, not changing code.

The language is per person: the page run (and its button callbacks) take it from the signed-in person's session
through a *locale source* that the UI layer registers; code that runs outside a page run (a deferred download, a
command-line job) states it with ``using_locale``. The server default (``CPCM_LOCALE``) applies otherwise. Dates
and numbers are formatted for the active locale by Babel.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from babel import Locale
from babel.dates import format_date as _babel_format_date
from babel.dates import format_datetime as _babel_format_datetime
from babel.numbers import format_decimal

from core.config import PROJECT_ROOT, get_settings

FALLBACK_LOCALE = "en"
RTL_LANGUAGES = {"ar", "he", "fa", "ur"}
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "es": "Español", "ar": "العربية"}

log = logging.getLogger(__name__)
_current_locale: ContextVar[str | None] = ContextVar("cpcm_locale", default=None)
_locale_source: list[Callable[[], str | None]] = []


def catalogue_files(locale: str) -> list[Path]:
    """Every package's catalogue for ``locale``: ``<project>/<package>/locales/<locale>.yaml``."""
    return sorted(PROJECT_ROOT.glob(f"*/locales/{locale}.yaml"))


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{full}."))
        else:
            flat[full] = str(value)
    return flat


def read_catalogue(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8") as handle:
        return _flatten(yaml.safe_load(handle) or {})


@cache
def catalogue(locale: str) -> dict[str, str]:
    """The merged catalogue. Two packages may not define the same key: the later file would silently win."""
    merged: dict[str, str] = {}
    for path in catalogue_files(locale):
        part = read_catalogue(path)
        clash = sorted(set(part) & set(merged))
        if clash:
            raise ValueError(f"{path}: message keys already defined by another package: {', '.join(clash[:5])}")
        merged.update(part)
    return merged


def available_locales() -> list[str]:
    return sorted({p.stem for p in PROJECT_ROOT.glob("*/locales/*.yaml")})


def set_locale_source(source: Callable[[], str | None]) -> None:
    """Register where the current person's language comes from during a page run (the UI layer's session)."""
    _locale_source[:] = [source]


def current_locale() -> str:
    explicit = _current_locale.get()
    if explicit:
        return explicit
    for source in _locale_source:
        chosen = source()
        if chosen:
            return chosen
    return get_settings().locale


def set_locale(locale: str | None) -> None:
    _current_locale.set(locale)


@contextmanager
def using_locale(locale: str | None) -> Iterator[None]:
    """Run a block in ``locale`` (a report built outside the page run, for the person who asked for it)."""
    token = _current_locale.set(locale)
    try:
        yield
    finally:
        _current_locale.reset(token)


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


def _babel_locale() -> Locale:
    try:
        return Locale.parse(current_locale())
    except (ValueError, TypeError):
        return Locale.parse(FALLBACK_LOCALE)
