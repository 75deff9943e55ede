from __future__ import annotations

from argon2 import PasswordHasher, extract_parameters

from accounts.passwords import hash_password, needs_rehash, password_problem, verify_password


def test_passwords_are_hashed_with_argon2id_and_verified():
    digest = hash_password("river stones sing at dawn")
    assert digest.startswith("$argon2id$")
    assert "river" not in digest
    assert verify_password(digest, "river stones sing at dawn")
    assert not verify_password(digest, "river stones sing at dusk")
    assert not verify_password(None, "anything at all here")
    assert not verify_password("not a hash", "anything at all here")



def test_hashes_meet_owasps_argon2id_parameters_and_older_ones_still_verify_then_are_renewed():
    made = extract_parameters(hash_password("river stones sing at dawn"))
    # OWASP Password Storage Cheat Sheet: argon2id, at least 19 MiB, 2 iterations, 1 degree of parallelism
    assert made.memory_cost >= 19 * 1024 and made.time_cost >= 2 and made.parallelism >= 1
    older = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4).hash("river stones sing at dawn")
    assert verify_password(older, "river stones sing at dawn")
    assert needs_rehash(older) and not needs_rehash(hash_password("river stones sing at dawn"))


CONTEXT = ["mariam.haddad", "Mariam Haddad", "mariam@brightpath.example", "Brightpath Children's Aid"]
# Common and context-word passwords that a probe found accepted, and others like them.
WEAK = ["Password123!", "P@ssw0rd1234", "childprotection1", "Welcome2026!", "Qwerty123456", "iloveyou1234",
        "Admin@123456", "Summer2026!!", "Passw0rd!234", "letmein12345", "abc123abc123", "111111111111",
        "Childprotection2026", "Casemanagement123", "Brightpath2026!", "Mariam Haddad 2026", "mariamhaddad99"]
STRONG = ["river stones sing at dawn", "quiet harbour lights at nine", "tiger mango river",
          "kT4m-9xQe-Lw2p-Zr7b", "rainy season in juba"]


def test_length_comes_first():
    assert password_problem("short") == "Use at least 12 characters."
    assert password_problem("x" * 257) == "Too long: at most 256 characters."


def test_common_and_context_passwords_are_refused():
    refused = {p: password_problem(p, context=CONTEXT) for p in WEAK}
    assert [p for p, problem in refused.items() if problem is None] == []
    assert "own names" in refused["Mariam Haddad 2026"] and "own names" in refused["Brightpath2026!"]
    assert "too easy to guess" in refused["Qwerty123456"]


def test_passphrases_and_generated_passwords_are_accepted():
    assert {p: password_problem(p, context=CONTEXT) for p in STRONG} == {p: None for p in STRONG}
