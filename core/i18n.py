"""All interface text goes through ``t``. Each package keeps its own messages (``<package>/locales/<code>.yaml``,
keys namespaced by the package's area); the catalogues of every package are merged here, found on disk, so the
base imports no feature. Adding French, Spanish or Arabic means adding catalogue files, not changing code.

The language is per person: the page run (and its button callbacks) take it from the signed-in person's session
through a *locale source* that the UI layer registers; code that runs outside a page run (a deferred download, a
command-line job) states it with ``using_locale``. The server default (``CPCM_LOCALE``) applies otherwise. Dates
and numbers are formatted for the active locale by Babel.

A message is Markdown when it goes to a page (Streamlit renders captions, labels, alerts and buttons as Markdown),
so ``t`` escapes the text put into it there: a name typed as ``![x](http://…)`` reads as typed, never as an image.
Whether a message goes to a page is told by a *markup source* the UI layer registers (a Streamlit page run is going
on); a file built for a download, a command-line job or a test outside a page run gets the text as it is, and each
file escapes it its own way (``core.safe_text``). ``t_plain`` is for the page's plain-text places (a drop-down's
choices, a table cell, ``st.text``, a file name).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from babel import Locale
from babel.dates import format_date as _babel_format_date
from babel.dates import format_time as _babel_format_time
from babel.numbers import format_decimal

from core.config import LOCALE_VAR, PROJECT_ROOT

FALLBACK_LOCALE = "en"
RTL_LANGUAGES = {"ar", "he", "fa", "ur"}
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "es": "Español", "ar": "العربية"}

log = logging.getLogger(__name__)
_current_locale: ContextVar[str | None] = ContextVar("cpcm_locale", default=None)
_locale_source: list[Callable[[], str | None]] = []
_timezone_source: list[Callable[[], str | None]] = []
_markup_source: list[Callable[[], bool]] = []
_markup: ContextVar[bool | None] = ContextVar("cpcm_markup", default=None)


class Markdown(str):
    """Text safe to render as Markdown: a message ``t`` made for a page, user text ``core.safe_text.for_markdown``
    escaped, or Markdown the code writes itself (``Markdown("**" + heading + "**")`` where ``heading`` is one of
    these). Put into a message or escaped again, it is kept as it is; any other text is escaped first."""

    __slots__ = ()

    def __str__(self) -> Markdown:  # an exception raised with a message keeps saying so through ``str(exc)``
        return self


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
    return os.environ.get(LOCALE_VAR) or FALLBACK_LOCALE  # the server default (core.config.Settings.locale)


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


def set_markup_source(source: Callable[[], bool]) -> None:
    """Register how to tell that messages go to a page, where they are rendered as Markdown (the UI layer: a
    Streamlit page run is going on)."""
    _markup_source[:] = [source]


def renders_markdown() -> bool:
    """Whether the messages made now are shown as Markdown: in a page run (and its button callbacks), unless the
    block says otherwise (``plain_text``)."""
    explicit = _markup.get()
    if explicit is not None:
        return explicit
    return any(source() for source in _markup_source)


@contextmanager
def plain_text() -> Iterator[None]:
    """Run a block whose messages go into a file, not onto a page (a download built when clicked): values as
    they are, the file escapes them its own way."""
    token = _markup.set(False)
    try:
        yield
    finally:
        _markup.reset(token)


def _message(key: str) -> str:
    text = catalogue(current_locale()).get(key)
    if text is None:
        text = catalogue(FALLBACK_LOCALE).get(key)
    if text is None:
        log.warning("missing message %s", key)
        return key
    return text


def _markdown_value(value: Any) -> Any:
    """A value put into a message shown as Markdown: text escaped (unless it is Markdown already); numbers, dates
    and the rest as they are, so a format in the message (``{hours:g}``) still applies."""
    if isinstance(value, Markdown) or not isinstance(value, str):
        return value
    from core.safe_text import for_markdown  # imports this module: looked up when first needed

    return for_markdown(value)


def t(key: str, /, **values: Any) -> str:
    """Translate ``key`` for the active locale, falling back to English, then to the key itself. On a page the
    result is ``Markdown``, with every text value escaped; elsewhere, the text with the values as they are."""
    text = _message(key)
    if not renders_markdown():
        return text.format(**values) if values else text
    if values:
        text = text.format(**{name: _markdown_value(value) for name, value in values.items()})
    return Markdown(text)


def t_plain(key: str, /, **values: Any) -> str:
    """``t`` for a place on a page that shows text as it is (a drop-down's choices, a table cell, ``st.text``,
    a widget's value, a file name): the values are never escaped, so nobody reads a backslash."""
    text = _message(key)
    return text.format(**values) if values else text


def join_messages(parts: Iterable[str], separator: str = "\n") -> str:
    """Messages (or user text) shown together, one after another: on a page each part is escaped unless it is
    Markdown already, and a line break stays a line break."""
    if not renders_markdown():
        return separator.join(parts)
    return Markdown(separator.replace("\n", "  \n").join(_markdown_value(str(part)) for part in parts))


PLURAL_FORMS = ("zero", "one", "two", "few", "many", "other")


def tn(key: str, count: int, /, **values: Any) -> str:
    """A message that depends on a number ("1 action", "0 actions", and Arabic's six forms): the catalogue holds
    ``key.one``, ``key.other`` (and whichever forms the language has); the locale's plural rule picks one.
    ``{count}`` is the number, formatted for the locale."""
    return t(_plural_key(key, count), count=format_number(count), **values)


def tn_plain(key: str, count: int, /, **values: Any) -> str:
    """``tn`` for a place on a page that shows text as it is (see ``t_plain``)."""
    return t_plain(_plural_key(key, count), count=format_number(count), **values)


def _plural_key(key: str, count: int) -> str:
    chosen = f"{key}.{_babel_locale().plural_form(count)}"
    if chosen not in catalogue(current_locale()) and chosen not in catalogue(FALLBACK_LOCALE):
        chosen = f"{key}.other"
    return chosen


def set_timezone_source(source: Callable[[], str | None]) -> None:
    """Where the reader's time zone comes from (their browser's, in a page run); UTC when it says nothing."""
    _timezone_source[:] = [source]


def _reader_timezone() -> ZoneInfo:
    for source in _timezone_source:
        name = source()
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                break
    return ZoneInfo("UTC")


def format_date(value: date | datetime | None) -> str:
    """The one way a date is shown, in pages, PDFs, workbooks and the audit trail: the locale's medium date
    ("24 Nov 2026"). A moment is shown on the reader's calendar day."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(_reader_timezone()).date()
    return _medium_date(value, current_locale())


# Babel puts right-to-left marks between an Arabic date's numbers ("02\u200f/02\u200f/2026"). Table cells are drawn
# on a canvas that reorders them into "022026/02/"; without the marks the date reads as digits are written.
_BIDI_MARKS = str.maketrans("", "", "\u200e\u200f\u061c")


@lru_cache(maxsize=2048)
def _short_time(hour: int, minute: int, locale: str) -> str:  # the clock already on the reader's zone
    return _babel_format_time(time(hour, minute), format="short", locale=_parsed_locale(locale)).translate(
        _BIDI_MARKS)


@lru_cache(maxsize=8192)
def _medium_date(value: date, locale: str) -> str:  # a table of a thousand rows shows a few hundred distinct days
    return _babel_format_date(value, format="medium", locale=_parsed_locale(locale)).translate(_BIDI_MARKS)


def format_datetime(value: datetime | None) -> str:
    """A moment where the time matters (a save, a sign-in, an audit record): the medium date and the short time
    in the reader's time zone, with the zone named ("24 Nov 2026, 14:05 EET")."""
    if value is None:
        return ""
    zone = _reader_timezone()
    moment = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone)
    day = _medium_date(moment.date(), current_locale())
    clock = _short_time(moment.hour, moment.minute, current_locale())
    return f"{day}, {clock} {moment.tzname() or zone.key}"


def format_month(value: date, *, short: bool = False) -> str:
    """A month as the locale names it standing alone ("November 2026", or short: "Nov 2026")."""
    return _babel_format_date(value, format="LLL y" if short else "LLLL y", locale=_babel_locale())


def format_number(value: float | int) -> str:
    return format_decimal(value, locale=_babel_locale())


def _babel_locale() -> Locale:
    """Babel's locale for formatting. English is formatted the British way ("24 Nov 2026"), as the sector
    writes it."""
    return _parsed_locale(current_locale())


@lru_cache(maxsize=32)
def _parsed_locale(locale: str) -> Locale:  # parsed once per language: a long table formats thousands of dates
    try:
        return Locale.parse("en_GB" if locale == "en" else locale)
    except (ValueError, TypeError):
        return Locale.parse(FALLBACK_LOCALE)
