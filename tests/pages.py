"""Helpers for page tests: a browser-like TestClient signed in through the sign-in form,
and posts that carry the CSRF token the way a page's form does."""

from __future__ import annotations

import html
import re

import httpx
from fastapi.testclient import TestClient

from tests.conftest import TEST_PASSWORD, ApiUser

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
HTML = {"Accept": "text/html"}


def csrf(client: TestClient, path: str = "/") -> str:
    """The CSRF token of this browser's session, read from a page as a form would."""
    page = client.get(path, headers=HTML)
    match = CSRF_META.search(page.text)
    assert match, page.text
    return match.group(1)


def post_form(
    client: TestClient,
    action: str,
    data: dict[str, str] | list[tuple[str, str]] | None = None,
    *,
    follow: bool = False,
) -> httpx.Response:
    """Submit a form (with its CSRF token); without `follow` the 303 comes back as is.
    `data` as a list of pairs sends repeated fields (checkbox groups, split lines)."""
    pairs = list(data.items()) if isinstance(data, dict) else list(data or [])
    fields: dict[str, list[str]] = {"csrf_token": [csrf(client, "/")]}
    for name, value in pairs:
        fields.setdefault(name, []).append(value)
    response: httpx.Response = client.post(
        action, data=fields, headers=HTML, follow_redirects=follow
    )
    return response


def sign_in(client: TestClient, user: ApiUser) -> TestClient:
    token = csrf(client, "/login")
    response = client.post(
        "/login",
        data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client


def text(response: httpx.Response) -> str:
    """The page's HTML with entities decoded, for plain-text assertions."""
    return html.unescape(response.text)
