"""CSRF protection for cookie-authenticated pages.

Each browser session holds a random token (in the signed session cookie). Every unsafe
request to a page route must echo it, as the form field `csrf_token` or the
`X-CSRF-Token` header (htmx sends the header, see static/js/coffer.js). The API is not
cookie-authenticated (bearer tokens only), so it needs no token.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request

from coffer.errors import Forbidden

SESSION_KEY = "csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token(request: Request) -> str:
    token = request.session.get(SESSION_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return str(token)


async def verify_csrf(request: Request) -> None:
    """Router-level dependency of every page router."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get(SESSION_KEY)
    sent = request.headers.get("x-csrf-token")
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()  # Starlette caches it for the route
            value = form.get("csrf_token")
            sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(str(expected), sent):
        raise Forbidden(
            "The form has expired or did not come from Coffer. Reload the page and try again."
        )
