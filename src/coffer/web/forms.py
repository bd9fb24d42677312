"""Helpers shared by the page routes of every capability: form fields, the redirect
after a successful post, and a refused write turned into per-field messages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form
from fastapi.responses import RedirectResponse

from coffer.errors import CofferError

# A form field as text; an absent field arrives as the default ("").
FormText = Annotated[str, Form()]


def redirect(path: str) -> RedirectResponse:
    """Post/Redirect/Get: 303, so a reload does not post again."""
    return RedirectResponse(path, status_code=303)


def errors_by_field(exc: CofferError) -> dict[str, str]:
    """The messages of a refused write by field name; "" holds one without a field."""
    if exc.errors:
        return {e["field"]: e["message"] for e in exc.errors}
    return {"": exc.detail}
