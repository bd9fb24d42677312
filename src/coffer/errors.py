"""The one error hierarchy. Services raise these; web/errors.py maps them to responses.

Each error carries its HTTP status so the mapping stays in one place.
"""

from __future__ import annotations


class CofferError(Exception):
    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


class NotFound(CofferError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(CofferError):
    status, slug, title = 409, "conflict", "Conflict"


class RuleViolation(CofferError):
    status, slug, title = 422, "rule-violation", "The request breaks a rule"


class ValidationFailed(CofferError):
    """Field problems; `errors` holds one {"field", "message"} per problem."""

    status, slug, title = 422, "validation", "Some fields are not valid"


class Unauthorized(CofferError):
    status, slug, title = 401, "unauthorized", "Sign-in required"


class SignInRequired(Unauthorized):
    """A page needs a signed-in browser: answered with a redirect to `location` (the
    sign-in page) rather than an error page; the API never raises it."""

    def __init__(self, detail: str, *, location: str) -> None:
        super().__init__(detail)
        self.location = location


class Forbidden(CofferError):
    status, slug, title = 403, "forbidden", "Not allowed"


class RateLimited(CofferError):
    status, slug, title = 429, "rate-limited", "Too many requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = max(1, retry_after)


class Unavailable(CofferError):
    status, slug, title = 503, "unavailable", "Temporarily unavailable"


def field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", errors=[{"field": field, "message": message}])
