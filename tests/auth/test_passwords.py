"""Password hashing and the password policy (no database)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coffer.auth.passwords import (
    COMMON_PASSWORDS,
    MAX_LENGTH,
    MIN_LENGTH,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)


def test_hash_is_argon2id_with_the_configured_cost() -> None:
    hashed = hash_password("a perfectly fine passphrase")
    assert hashed.startswith("$argon2id$v=19$m=47104,t=1,p=1$")
    assert verify_password(hashed, "a perfectly fine passphrase")
    assert not verify_password(hashed, "a perfectly fine passphrasE")
    assert not needs_rehash(hashed)


def test_weaker_parameters_and_garbage_need_a_rehash() -> None:
    from argon2 import PasswordHasher

    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("whatever it was")
    assert verify_password(old, "whatever it was")
    assert needs_rehash(old)
    assert not verify_password("not-a-hash", "anything")
    assert needs_rehash("not-a-hash")


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("short", "at least 10 characters"),
        ("x" * (MAX_LENGTH + 1), "at most 256"),
        ("qwertyuiop", "most commonly used"),
        ("PASSWORD123", "most commonly used"),  # case does not help
        ("1234567890", "most commonly used"),
    ],
)
def test_policy_rejects_with_a_clear_message(password: str, fragment: str) -> None:
    problem = password_problem(password)
    assert problem is not None
    assert fragment in problem


def test_policy_rejects_the_name_or_email() -> None:
    assert password_problem("marguerite-2024", email="marguerite@example.com") is not None
    assert password_problem("Jean Dupont", name="Jean Dupont") is not None
    assert password_problem("my name is jean dupont!", name="Jean  Dupont") is not None
    # A short name is not a forbidden substring of everything.
    assert password_problem("totally unrelated words", name="Al") is None


def test_policy_accepts_a_passphrase() -> None:
    assert password_problem("correct horse battery staple", email="a@example.com") is None


@given(st.text(max_size=MIN_LENGTH - 1))
def test_anything_shorter_than_the_minimum_is_rejected(password: str) -> None:
    assert password_problem(password) is not None


@given(st.text(max_size=300), st.emails(), st.text(max_size=40))
def test_an_accepted_password_is_long_enough_and_not_common(
    password: str, email: str, name: str
) -> None:
    if password_problem(password, email=email, name=name) is None:
        assert MIN_LENGTH <= len(password) <= MAX_LENGTH
        assert password.lower() not in COMMON_PASSWORDS
        assert email.lower() not in password.lower()


@given(st.sampled_from(sorted(COMMON_PASSWORDS)))
def test_every_common_password_is_rejected(password: str) -> None:
    assert password_problem(password) is not None
    assert password_problem(password.upper()) is not None
