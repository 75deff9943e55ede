from __future__ import annotations

from core.accounts.passwords import hash_password, password_problem, verify_password


def test_passwords_are_hashed_with_argon2id_and_verified():
    digest = hash_password("river stones sing at dawn")
    assert digest.startswith("$argon2id$")
    assert "river" not in digest
    assert verify_password(digest, "river stones sing at dawn")
    assert not verify_password(digest, "river stones sing at dusk")
    assert not verify_password(None, "anything at all here")
    assert not verify_password("not a hash", "anything at all here")


def test_password_rules():
    assert password_problem("short") == "Use at least 12 characters."
    assert password_problem("aaaaaaaaaaaaaaa") == "Use more varied characters."
    assert "too easy" in password_problem("Password1234")
    assert "too easy" in password_problem("my name is samuel!!", username="samuel")
    assert password_problem("river stones sing at dawn", username="admin") is None
