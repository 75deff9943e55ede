"""Password hashing (argon2id) and the rules a new password must meet.

Length first (NIST SP 800-63B): at least 12 characters, no composition rules. Then two checks against guessing:
zxcvbn's estimate must reach its top score (about 10^10 guesses or more: a passphrase of three or four ordinary
words does), with the person's own names and the product's words as extra dictionary entries; and a password
made of those words plus digits and symbols ("Brightpath2026!", "Mariam Haddad 2026") is refused even if it
is long.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

from core.i18n import t

MIN_LENGTH = 12
MAX_LENGTH = 256
MIN_SCORE = 4  # zxcvbn's 0..4
MIN_OWN_LETTERS = 6  # letters left once the person's and the product's words are taken out
# Words anyone guessing a password for this tool would try first.
PRODUCT_WORDS = ("child", "children", "protection", "childprotection", "case", "cases", "management",
                 "casemanagement", "caseworker", "supervisor", "supervision", "cpcm", "cpims", "primero", "quality",
                 "assessment", "humanitarian", "alliance", "password", "admin", "administrator", "welcome")
# argon2id at OWASP's recommended parameters (Password Storage Cheat Sheet: 19 MiB, 2 iterations, 1 lane): about
# 30 ms of one core. Hashes made with other parameters still verify and are rehashed at the next sign-in.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# At most this many hashings at once in a process (``CPCM_PASSWORD_WORKERS``, default 1): a burst of sign-ins
# queues here, a few milliseconds each, instead of taking every core from the pages other people are using.
_workers = threading.BoundedSemaphore(max(1, int(os.environ.get("CPCM_PASSWORD_WORKERS", "1") or 1)))
# Verifying against this when the account does not exist keeps the time of a failed login the same whether or
# not the username exists, so login timing does not reveal which accounts there are.
_DUMMY_HASH = _hasher.hash("no account has this password")


def hash_password(password: str) -> str:
    with _workers:
        return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        with _workers:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def context_words(context: Iterable[str]) -> list[str]:
    """The words of the person's username, name, e-mail and agency (and their run-together forms), with the
    product's words."""
    words: list[str] = []
    for item in context:
        parts = [p for p in re.split(r"[^\w]+|_", (item or "").lower()) if len(p) >= 3]
        words += parts
        if len(parts) > 1:
            words.append("".join(parts))
    return [*dict.fromkeys([*words, *PRODUCT_WORDS])]


def password_problem(password: str, *, context: Iterable[str] = ()) -> str | None:
    """Why ``password`` is not acceptable, or ``None``. ``context``: the username, display name, e-mail and
    agency of the person it is for."""
    if len(password) < MIN_LENGTH:
        return t("accounts.error.password_short", length=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return t("common.error.too_long", limit=MAX_LENGTH)
    words = context_words(context)
    own = password.lower()
    for word in sorted(words, key=len, reverse=True):
        own = own.replace(word, "")
    if len(re.sub(r"[\W\d_]+", "", own)) < MIN_OWN_LETTERS:
        return t("accounts.error.password_context")
    # zxcvbn's cost grows with length; the first 100 characters decide.
    if zxcvbn(password[:100], user_inputs=words)["score"] < MIN_SCORE:
        return t("accounts.error.password_guessable")
    return None
