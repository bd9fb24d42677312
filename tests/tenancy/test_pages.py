"""Household pages as a browser uses them: forms with CSRF tokens, redirects, messages."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import TEST_PASSWORD, ApiUser, register

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
LINK = re.compile(r'id="invitation-link">([^<]+)<')
HTML = {"Accept": "text/html"}


def _csrf(client: TestClient, path: str = "/") -> str:
    page = client.get(path, headers=HTML)
    match = CSRF_META.search(page.text)
    assert match, page.text
    return match.group(1)


def _post(client: TestClient, action: str, data: dict[str, str] | None = None) -> httpx.Response:
    token = _csrf(client, "/settings/household")
    response: httpx.Response = client.post(
        action, data={**(data or {}), "csrf_token": token}, headers=HTML, follow_redirects=False
    )
    return response


def _sign_in(client: TestClient, user: ApiUser) -> None:
    token = _csrf(client, "/login")
    response = client.post(
        "/login",
        data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def _text(response: httpx.Response) -> str:
    return html.unescape(response.text)


@pytest.fixture
def browser(client: TestClient, alice: ApiUser) -> TestClient:
    """Alice's browser, signed in."""
    _sign_in(client, alice)
    return client


@pytest.fixture
def second_browser(app: Any) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as other:
        yield other


def _invite_link(browser: TestClient, role: str = "member", email: str = "") -> str:
    response = _post(browser, "/settings/household/invitations", {"role": role, "email": email})
    assert response.status_code == 303, response.text
    page = browser.get("/settings/household", headers=HTML)
    match = LINK.search(page.text)
    assert match, "the new link is shown once after creating it"
    return match.group(1)


# --- home -----------------------------------------------------------------------------


def test_home_is_a_getting_started_page_from_real_data(browser: TestClient, alice: ApiUser) -> None:
    page = browser.get("/", headers=HTML)
    assert page.status_code == 200
    text = _text(page)
    assert "Welcome, Alice Example" in text
    assert "Alice Example's household" in text
    assert "USD — US Dollar" in text
    assert "English (United States)" in text
    assert "2 of 6 done" in text
    assert "Just you so far." in text

    _post(
        browser,
        "/settings/household",
        {"name": "Examples", "base_currency": "EUR", "locale": "en_GB"},
    )
    _invite_link(browser)
    text = _text(browser.get("/", headers=HTML))
    assert "4 of 6 done" in text
    assert "EUR — Euro" in text

    # The ledger steps count what the household really has.
    added = browser.post(
        "/api/v1/accounts",
        headers=alice.headers,
        json={"name": "Checking", "type": "checking", "currency": "EUR"},
    )
    assert added.status_code == 201, added.text
    assert "5 of 6 done" in _text(browser.get("/", headers=HTML))


def test_home_needs_sign_in(client: TestClient) -> None:
    response = client.get("/", headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


# --- household settings ---------------------------------------------------------------


def test_save_household_details(browser: TestClient) -> None:
    response = _post(
        browser,
        "/settings/household",
        {"name": "The Examples", "base_currency": "JPY", "locale": "ja_JP"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/settings/household"
    page = _text(browser.get("/settings/household", headers=HTML))
    assert "The household's details are saved." in page
    assert 'value="The Examples"' in page
    assert '<option value="JPY" selected>' in page


def test_bad_details_are_shown_again_with_errors(browser: TestClient) -> None:
    response = _post(
        browser, "/settings/household", {"name": " ", "base_currency": "QQQ", "locale": "en_US"}
    )
    assert response.status_code == 422
    text = _text(response)
    assert "Enter a name of 1 to 200 characters." in text
    assert "Choose an ISO 4217 currency code" in text
    assert 'aria-invalid="true"' in text
    unchanged = _text(browser.get("/", headers=HTML))
    assert "Alice Example's household" in unchanged


def test_a_post_without_csrf_token_is_refused(browser: TestClient) -> None:
    response = browser.post(
        "/settings/household", data={"name": "Hijacked"}, headers=HTML, follow_redirects=False
    )
    assert response.status_code == 403


def test_members_table_and_role_change(
    browser: TestClient, client: TestClient, alice: ApiUser, bob: ApiUser
) -> None:
    link = _invite_link(browser, role="viewer")
    token = link.rsplit("/", 1)[-1]
    accepted = client.post(f"/api/v1/invitations/{token}/accept", headers=bob.headers)
    assert accepted.status_code == 200
    page = _text(browser.get("/settings/household", headers=HTML))
    assert "Bob Example" in page
    assert f'action="/settings/household/members/{bob.id}/role"' in page
    # Alice is the only owner: her own role cannot be changed and she cannot leave.
    assert f'action="/settings/household/members/{alice.id}/role"' not in page
    assert 'action="/settings/household/leave"' not in page

    changed = _post(browser, f"/settings/household/members/{bob.id}/role", {"role": "member"})
    assert changed.status_code == 303
    assert "Bob Example is now member." in _text(browser.get("/settings/household", headers=HTML))

    refused = _post(browser, f"/settings/household/members/{alice.id}/role", {"role": "viewer"})
    assert refused.status_code == 303
    assert "always needs an owner" in _text(browser.get("/settings/household", headers=HTML))

    removed = _post(browser, f"/settings/household/members/{bob.id}/remove")
    assert removed.status_code == 303
    page = _text(browser.get("/settings/household", headers=HTML))
    assert "Bob Example no longer has access" in page


def test_invitation_link_is_shown_once_with_a_copy_button(browser: TestClient) -> None:
    link = _invite_link(browser, role="advisor", email="sam@example.com")
    assert link.startswith("http://testserver/invitations/")
    page = browser.get("/settings/household", headers=HTML).text
    assert LINK.search(page) is None
    assert "sam@example.com" in page  # still listed as waiting
    assert 'data-copy="invitation-link"' not in page


def test_bad_invitation_input_is_shown_again(browser: TestClient, bob: ApiUser) -> None:
    response = _post(
        browser, "/settings/household/invitations", {"role": "member", "email": "nope"}
    )
    assert response.status_code == 422
    assert "Enter a valid email address" in _text(response)
    taken = _post(
        browser, "/settings/household/invitations", {"role": "member", "email": "alice@example.com"}
    )
    assert taken.status_code == 422
    assert "already a member" in _text(taken)


def test_revoke_from_the_page(browser: TestClient, client: TestClient, alice: ApiUser) -> None:
    _invite_link(browser, email="sam@example.com")
    listed = client.get(
        f"/api/v1/tenants/{alice.personal_tenant_id}/invitations", headers=alice.headers
    ).json()
    response = _post(browser, f"/settings/household/invitations/{listed[0]['id']}/revoke")
    assert response.status_code == 303
    page = _text(browser.get("/settings/household", headers=HTML))
    assert "The invitation is withdrawn" in page
    assert "No invitations are waiting to be used." in page


def test_a_viewer_sees_settings_read_only_and_cannot_post(
    browser: TestClient, second_browser: TestClient, bob: ApiUser
) -> None:
    link = _invite_link(browser, role="viewer")
    _sign_in(second_browser, bob)
    token = _csrf(second_browser, link.removeprefix("http://testserver"))
    joined = second_browser.post(
        link.removeprefix("http://testserver") + "/accept",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert joined.status_code == 303
    page = _text(second_browser.get("/settings/household", headers=HTML))
    assert "Alice Example's household" in page
    assert "Only owners and admins can change these." in page
    assert 'name="base_currency"' not in page
    assert "Invite someone" not in page
    refused = _post(
        second_browser,
        "/settings/household",
        {"name": "Mine", "base_currency": "USD", "locale": "en_US"},
    )
    assert refused.status_code == 403
    assert "You do not have access" in refused.text or "Not allowed" in refused.text


# --- the person invited ---------------------------------------------------------------


def test_signed_out_invitation_page_links_to_sign_in_and_back(
    browser: TestClient, second_browser: TestClient
) -> None:
    path = _invite_link(browser).removeprefix("http://testserver")
    page = second_browser.get(path, headers=HTML)
    assert page.status_code == 200
    text = _text(page)
    assert "Alice Example invites you to Alice Example's household" in text
    assert f"/login?next={path}" in text
    assert f"/signup?next={path}" in text
    assert "/accept" not in text


def test_accepting_switches_to_the_household(
    browser: TestClient, second_browser: TestClient, bob: ApiUser
) -> None:
    path = _invite_link(browser, role="member").removeprefix("http://testserver")
    _sign_in(second_browser, bob)
    page = _text(second_browser.get(path, headers=HTML))
    assert "Join Alice Example's household" in page
    token = CSRF_META.search(page)
    assert token
    response = second_browser.post(
        path + "/accept", data={"csrf_token": token.group(1)}, follow_redirects=False
    )
    assert response.status_code == 303
    home = _text(second_browser.get("/", headers=HTML))
    assert "Welcome to Alice Example's household. You joined as member." in home
    assert "This is Alice Example's household." in home
    # Opening the link again tells them it is used.
    used = second_browser.get(path, headers=HTML)
    assert used.status_code == 422
    assert "already been used" in _text(used)


def test_unknown_invitation_page(second_browser: TestClient) -> None:
    response = second_browser.get("/invitations/not-a-token", headers=HTML)
    assert response.status_code == 404
    assert "This invitation cannot be used" in _text(response)


# --- switching and new households -----------------------------------------------------


def test_switch_between_households(
    browser: TestClient, client: TestClient, alice: ApiUser, bob: ApiUser
) -> None:
    cabin = client.post(
        "/api/v1/tenants", headers=alice.headers, json={"name": "Lake cabin"}
    ).json()
    token = _csrf(browser, "/settings/household")
    response = browser.post(
        "/tenants/switch",
        data={"tenant_id": cabin["id"], "csrf_token": token},
        headers={**HTML, "Referer": "http://testserver/settings/household"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/settings/household"
    assert "This is Lake cabin." in _text(browser.get("/", headers=HTML))

    elsewhere = browser.post(
        "/tenants/switch",
        data={"tenant_id": alice.personal_tenant_id, "csrf_token": token},
        headers={**HTML, "Referer": "https://evil.example/phish"},
        follow_redirects=False,
    )
    assert elsewhere.headers["location"] == "/"

    stranger = browser.post(
        "/tenants/switch",
        data={"tenant_id": bob.personal_tenant_id, "csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert (stranger.status_code, stranger.headers["location"]) == (303, "/")
    home = _text(browser.get("/", headers=HTML))
    assert "That household is not one of yours" in home
    assert "This is Alice Example's household." in home
    assert "Bob Example" not in home


def test_removed_member_falls_back_to_their_own_household(
    browser: TestClient, second_browser: TestClient, bob: ApiUser
) -> None:
    path = _invite_link(browser).removeprefix("http://testserver")
    _sign_in(second_browser, bob)
    token = _csrf(second_browser, path)
    second_browser.post(path + "/accept", data={"csrf_token": token}, follow_redirects=False)
    assert "This is Alice Example's household." in _text(second_browser.get("/", headers=HTML))
    _post(browser, f"/settings/household/members/{bob.id}/remove")
    assert "This is Bob Example's household." in _text(second_browser.get("/", headers=HTML))


def test_create_another_household(browser: TestClient) -> None:
    form = _text(browser.get("/households/new", headers=HTML))
    assert "Start another household" in form
    bad = _post(browser, "/households/new", {"name": "", "base_currency": "USD", "locale": "en_US"})
    assert bad.status_code == 422
    response = _post(
        browser,
        "/households/new",
        {"name": "Mum's affairs", "base_currency": "GBP", "locale": "en_GB"},
    )
    assert response.status_code == 303
    home = _text(browser.get("/", headers=HTML))
    assert "Mum's affairs is ready, and you are its owner." in home
    assert "This is Mum's affairs." in home
    assert "GBP — British Pound" in home


def test_registration_via_api_then_page_sign_in_lands_in_personal_household(
    client: TestClient,
) -> None:
    dana = register(client, "dana@example.com", name="Dana Example")
    _sign_in(client, dana)
    assert "This is Dana Example's household." in _text(client.get("/", headers=HTML))
