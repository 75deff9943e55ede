"""Password hashing (argon2id) and the rules a new password must meet."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from core.i18n import t

MIN_LENGTH = 12
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verifying against this when the account does not exist keeps the time of a failed login the same whether or
# not the username exists, so login timing does not reveal which accounts there are.
_DUMMY_HASH = _hasher.hash("no account has this password")
_COMMON = {"password1234", "123456789012", "qwertyuiop12", "childprotection", "administrator", "changeme1234"}


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str, *, username: str = "") -> str | None:
    """Why ``password`` is not acceptable, or ``None``. Length over complexity rules (NIST SP 800-63B)."""
    if len(password) < MIN_LENGTH:
        return t("accounts.error.password_short", length=MIN_LENGTH)
    if len(password) > 256:
        return t("common.error.too_long", limit=256)
    if len(set(password)) < 5:
        return t("accounts.error.password_repetitive")
    lowered = password.lower()
    if lowered in _COMMON or (username and username.lower() in lowered):
        return t("accounts.error.password_guessable")
    return None
