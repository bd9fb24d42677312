"""Sign-up, sign-in, sign-out and profile pages, following the CSRF flow a browser does."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import TEST_PASSWORD, ApiUser

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
NEW_PASSWORD = "an entirely different passphrase"


def csrf_token(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    field, meta = CSRF_FIELD.search(page.text), CSRF_META.search(page.text)
    assert field
    assert meta
    assert field.group(1) == meta.group(1)
    return field.group(1)


def post_form(
    client: TestClient, form_path: str, action: str, data: dict[str, str]
) -> httpx.Response:
    """What a browser does: load the page holding the form, then submit it."""
    token = csrf_token(client, form_path)
    return client.post(action, data={**data, "csrf_token": token}, follow_redirects=False)


def sign_up(
    client: TestClient, email: str = "dana@example.com", **overrides: str
) -> httpx.Response:
    data = {
        "name": "Dana Scully",
        "email": email,
        "password": TEST_PASSWORD,
        "password_confirm": TEST_PASSWORD,
        **overrides,
    }
    return post_form(client, "/signup", "/signup", data)


def sign_in(
    client: TestClient, email: str, password: str = TEST_PASSWORD, next_url: str = "/"
) -> httpx.Response:
    data = {"email": email, "password": password, "next": next_url}
    return post_form(client, "/login", "/login", data)


def api_login_status(client: TestClient, email: str, password: str = TEST_PASSWORD) -> int:
    response = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    return response.status_code


@pytest.fixture
def browser(app: Any) -> Any:
    """A second, independent browser (its own cookie jar) on the same app."""
    with TestClient(app, raise_server_exceptions=False) as other:
        yield other


# --- sign-up ----------------------------------------------------------------------------


def test_sign_up_signs_in_and_opens_the_profile(client: TestClient) -> None:
    form = client.get("/signup")
    assert form.status_code == 200
    assert '<label for="field-email">' in form.text
    assert 'autocomplete="new-password"' in form.text

    response = sign_up(client)
    assert response.status_code == 303
    assert response.headers["location"] == "/"

    profile = client.get("/profile")
    assert profile.status_code == 200
    assert "Welcome to Coffer, Dana Scully" in profile.text
    assert "dana@example.com" in profile.text
    assert "Account created" in profile.text
    assert "Dana Scully&#39;s household" in profile.text  # the tenant switcher
    assert 'aria-current="page"' in profile.text


def test_sign_up_problems_come_back_beside_their_fields(client: TestClient) -> None:
    response = sign_up(client, email="dana@example", password="password123")
    assert response.status_code == 422
    page = response.text
    assert 'value="dana@example"' in page  # what was typed comes back ...
    assert "password123" not in page  # ... except the password
    assert 'id="field-password-error"' in page
    assert 'aria-describedby="field-password-hint field-password-error"' in page
    assert 'aria-invalid="true"' in page
    assert "commonly used" in page
    assert 'href="#field-email"' in page  # the error summary links to the field
    assert api_login_status(client, "dana@example") == 401


def test_sign_up_needs_matching_passwords(client: TestClient) -> None:
    response = sign_up(client, password_confirm=TEST_PASSWORD + "!")
    assert response.status_code == 422
    assert "do not match" in response.text
    assert api_login_status(client, "dana@example.com") == 401


def test_sign_up_with_a_taken_email(client: TestClient, alice: ApiUser) -> None:
    response = sign_up(client, email=alice.email)
    assert response.status_code == 422
    assert "already exists" in response.text


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(client: TestClient) -> None:
    client.get("/signup")  # the browser has a session and a token, but does not send it
    data = {"name": "Mallory", "email": "mallory@example.com", "password": TEST_PASSWORD,
            "password_confirm": TEST_PASSWORD}  # fmt: skip
    assert client.post("/signup", data=data, follow_redirects=False).status_code == 403
    forged = {**data, "csrf_token": "guessed"}
    assert client.post("/signup", data=forged, follow_redirects=False).status_code == 403
    assert api_login_status(client, "mallory@example.com") == 401


# --- sign-in and sign-out ---------------------------------------------------------------


def test_sign_in_goes_on_to_a_same_site_next(client: TestClient, alice: ApiUser) -> None:
    assert client.get("/profile", follow_redirects=False).headers["location"] == (
        "/login?next=/profile"
    )
    login = client.get("/login?next=/profile")
    assert 'name="next" value="/profile"' in login.text
    response = sign_in(client, alice.email, next_url="/profile")
    assert response.status_code == 303
    assert response.headers["location"] == "/profile"
    assert client.get("/profile").status_code == 200
    # Signed in already: the sign-in page sends you on.
    assert client.get("/login", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil", "x"])
def test_sign_in_ignores_a_next_elsewhere(client: TestClient, alice: ApiUser, target: str) -> None:
    response = sign_in(client, alice.email, next_url=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_wrong_password_re_renders_the_form(client: TestClient, alice: ApiUser) -> None:
    response = sign_in(client, alice.email, password="not my password")
    assert response.status_code == 422
    assert "not correct" in response.text
    assert f'value="{alice.email}"' in response.text
    assert "not my password" not in response.text
    assert client.get("/profile", follow_redirects=False).status_code == 303


def test_lockout_shows_on_the_sign_in_page(client: TestClient, alice: ApiUser) -> None:
    for _ in range(4):
        assert sign_in(client, alice.email, password="not my password").status_code == 422
    locked = sign_in(client, alice.email, password="not my password")
    assert locked.status_code == 429
    assert locked.headers["retry-after"]
    assert "locked for 15 minutes" in locked.text
    assert sign_in(client, alice.email).status_code == 429


def test_sign_out_ends_the_session(client: TestClient, alice: ApiUser) -> None:
    sign_in(client, alice.email)
    response = post_form(client, "/profile", "/logout", {})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert "You have signed out" in client.get("/login").text
    assert client.get("/profile", follow_redirects=False).status_code == 303


def test_htmx_requests_are_redirected_as_a_whole_page(client: TestClient) -> None:
    response = client.get("/profile", headers={"HX-Request": "true"}, follow_redirects=False)
    assert response.status_code == 200
    assert response.headers["hx-redirect"] == "/login?next=/profile"


# --- profile ----------------------------------------------------------------------------


def test_profile_name_change(client: TestClient, alice: ApiUser) -> None:
    sign_in(client, alice.email)
    response = post_form(client, "/profile", "/profile", {"name": "Alice Liddell"})
    assert response.status_code == 303
    page = client.get("/profile").text
    assert "Your profile has been saved" in page
    assert 'value="Alice Liddell"' in page
    assert "Profile updated" in page

    bad = post_form(client, "/profile", "/profile", {"name": "   "})
    assert bad.status_code == 422
    assert 'id="field-name-error"' in bad.text


def test_password_change_keeps_this_browser_and_signs_out_the_rest(
    client: TestClient, browser: TestClient, alice: ApiUser
) -> None:
    sign_in(client, alice.email)
    sign_in(browser, alice.email)
    data = {
        "current_password": TEST_PASSWORD,
        "new_password": NEW_PASSWORD,
        "new_password_confirm": NEW_PASSWORD,
    }
    response = post_form(client, "/profile", "/profile/password", data)
    assert response.status_code == 303
    page = client.get("/profile")
    assert page.status_code == 200
    assert "Your password has been changed" in page.text
    assert "Password changed" in page.text
    assert browser.get("/profile", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/auth/me", headers=alice.headers).status_code == 401
    assert api_login_status(client, alice.email, NEW_PASSWORD) == 200


def test_password_change_problems(client: TestClient, alice: ApiUser) -> None:
    sign_in(client, alice.email)
    mismatch = post_form(
        client,
        "/profile",
        "/profile/password",
        {"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD,
         "new_password_confirm": "something else"},
    )  # fmt: skip
    assert mismatch.status_code == 422
    assert "do not match" in mismatch.text
    wrong = post_form(
        client,
        "/profile",
        "/profile/password",
        {"current_password": "wrong wrong", "new_password": NEW_PASSWORD,
         "new_password_confirm": NEW_PASSWORD},
    )  # fmt: skip
    assert wrong.status_code == 422
    assert 'id="field-current_password-error"' in wrong.text
    assert api_login_status(client, alice.email) == 200  # unchanged


def test_sign_in_page_is_rate_limited(settings: Any, database: Any) -> None:
    from coffer.main import create_app

    app = create_app(settings.model_copy(update={"auth_rate_limit": "2/minute"}), database)
    with TestClient(app, raise_server_exceptions=False) as limited:
        statuses = [sign_in(limited, "nobody@example.com").status_code for _ in range(3)]
        assert statuses == [422, 422, 429]
        token = csrf_token(limited, "/login")
        page = limited.post(
            "/login",
            data={"email": "x@example.com", "password": "whatever it is", "csrf_token": token},
            headers={"Accept": "text/html"},
        )
        assert page.status_code == 429
        assert page.headers["retry-after"]
        assert "Too many attempts" in page.text
