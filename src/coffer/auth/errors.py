"""Errors of sign-in and tokens, leaves of the coffer.errors hierarchy."""

from __future__ import annotations

import math

from coffer.errors import RateLimited, Unauthorized

# RFC 9110: a 401 answer names the scheme that would let the client in.
BEARER_CHALLENGE = 'Bearer realm="coffer"'


class NotAuthenticated(Unauthorized):
    """No credentials, or credentials that do not (or no longer) identify an active user."""

    slug = "unauthorized"

    def __init__(self, detail: str, *, error: str | None = None) -> None:
        challenge = BEARER_CHALLENGE + (f', error="{error}"' if error else "")
        super().__init__(detail, headers={"WWW-Authenticate": challenge})


class InvalidToken(NotAuthenticated):
    slug = "invalid-token"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, error="invalid_token")


class InvalidCredentials(NotAuthenticated):
    slug = "invalid-credentials"

    def __init__(self) -> None:
        # One message for an unknown email and a wrong password: which of the two it was
        # would tell a stranger who has an account.
        super().__init__("The email address or password is not correct.")


class AccountLocked(RateLimited):
    slug, title = "account-locked", "Account temporarily locked"

    def __init__(self, *, seconds: float) -> None:
        minutes = max(1, math.ceil(seconds / 60))
        unit = "minute" if minutes == 1 else "minutes"
        super().__init__(
            "Too many unsuccessful sign-in attempts, so this account is locked for "
            f"{minutes} {unit}. Try again then; your data is safe.",
            retry_after=math.ceil(seconds),
        )
