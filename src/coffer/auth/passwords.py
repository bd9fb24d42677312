"""Password hashing (argon2id) and the password policy.

The policy follows NIST SP 800-63B: a minimum length, a generous maximum, and a check
against passwords attackers try first, instead of composition rules ("one digit, one
symbol") that push people towards predictable patterns.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 10
MAX_LENGTH = 256
# A name or email local part shorter than this is too common a substring to forbid
# ("al" would rule out "totally"); equality is still refused.
MIN_PERSONAL_FRAGMENT = 4

# 46 MiB, one pass, one lane: OWASP's recommended argon2id configuration.
_hasher = PasswordHasher(time_cost=1, memory_cost=47104, parallelism=1, type=Type.ID)

# The 30,000 most common passwords of the zxcvbn corpus, lower-cased like the input.
COMMON_PASSWORDS: frozenset[str] = frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with older parameters than the current ones."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("coffer-timing-equaliser")


def spend_verification_time(password: str) -> None:
    """Do the work of a real verification, so an unknown email answers no faster than a
    known one with a wrong password (otherwise timing would reveal who has an account)."""
    verify_password(_dummy_hash(), password)


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why this password is not acceptable, as a sentence for the person; None if it is."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters; a few unrelated words work well."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or lowered.strip() in COMMON_PASSWORDS:
        return (
            "This is one of the most commonly used passwords, so it is among the first "
            "an attacker would try. Choose something less predictable."
        )
    for fragment in _personal_fragments(email=email, name=name):
        if lowered == fragment or (len(fragment) >= MIN_PERSONAL_FRAGMENT and fragment in lowered):
            return "Do not use your name or email address in your password."
    return None


def _personal_fragments(*, email: str, name: str) -> list[str]:
    fragments = [email.strip().lower(), email.strip().lower().partition("@")[0]]
    fragments.append(" ".join(name.lower().split()))
    fragments.append(name.lower().replace(" ", ""))
    return [f for f in fragments if f]
