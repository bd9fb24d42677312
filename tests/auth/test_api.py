"""The /api/v1/auth routes through HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from coffer.audit.models import AuditEvent
from coffer.auth.models import RefreshToken, User
from coffer.auth.tokens import create_access_token
from coffer.config import Settings
from coffer.db.session import Database
from coffer.web import ratelimit
from tests.conftest import TEST_PASSWORD, ApiUser, register

NEW_PASSWORD = "an entirely different passphrase"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _login(client: TestClient, email: str, password: str = TEST_PASSWORD) -> httpx.Response:
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def _fields(response: httpx.Response) -> set[str]:
    return {error["field"] for error in response.json().get("errors", [])}


# --- register --------------------------------------------------------------------------


def test_register_answers_201_with_the_user(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/register",
        json={"email": "Carol@Example.com", "password": TEST_PASSWORD, "name": "Carol"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "email", "name", "personal_tenant_id", "created_at"}
    assert body["email"] == "carol@example.com"
    assert body["personal_tenant_id"]


def test_register_twice_is_a_conflict(client: TestClient, alice: ApiUser) -> None:
    response = client.post(
        "/api/v1/auth/register",
        json={"email": "ALICE@example.com", "password": TEST_PASSWORD, "name": "Impostor"},
    )
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert _fields(response) == {"email"}


def test_weak_passwords_are_422_naming_the_field(client: TestClient) -> None:
    for password, fragment in [
        ("short", "at least 10"),
        ("password123", "commonly used"),
        ("qwertyuiop", "commonly used"),
        ("carol@example.com", "name or email"),
    ]:
        response = client.post(
            "/api/v1/auth/register",
            json={"email": "carol@example.com", "password": password, "name": "Carol"},
        )
        assert response.status_code == 422, password
        assert response.headers["content-type"].startswith("application/problem+json")
        errors = response.json()["errors"]
        assert [e["field"] for e in errors] == ["password"]
        assert fragment in errors[0]["message"]
    assert _login(client, "carol@example.com").status_code == 401  # nothing was created


def test_malformed_registration_names_each_field(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/register", json={"email": "nope", "password": TEST_PASSWORD, "name": ""}
    )
    assert response.status_code == 422
    assert _fields(response) == {"email", "name"}


# --- login, me, refresh, logout ------------------------------------------------------------


def test_login_and_me(client: TestClient, alice: ApiUser) -> None:
    response = _login(client, "Alice@Example.com")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    me = client.get("/api/v1/auth/me", headers=_bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["email"] == "alice@example.com"
    assert me.json()["personal_tenant_id"] == alice.personal_tenant_id


def test_wrong_password_and_unknown_email_look_the_same(client: TestClient, alice: ApiUser) -> None:
    wrong = _login(client, alice.email, "not the right one")
    unknown = _login(client, "nobody@example.com")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert wrong.headers["www-authenticate"].startswith("Bearer")


def test_me_requires_a_valid_bearer_token(
    client: TestClient, alice: ApiUser, settings: Settings, database: Database
) -> None:
    missing = client.get("/api/v1/auth/me")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert missing.headers["content-type"].startswith("application/problem+json")

    header, payload, signature = alice.access_token.split(".")
    tampered = f"{header}.{payload[:-2]}AA.{signature}"
    assert client.get("/api/v1/auth/me", headers=_bearer(tampered)).status_code == 401
    assert client.get("/api/v1/auth/me", headers={"Authorization": "Basic abc"}).status_code == 401

    with database.unit_of_work() as session:
        user = session.get(User, uuid.UUID(alice.id))
        assert user is not None
        expired, _ = create_access_token(
            settings,
            user=user,
            family_id=uuid.uuid4(),
            now=datetime.now(UTC) - timedelta(hours=1),
        )
    response = client.get("/api/v1/auth/me", headers=_bearer(expired))
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_refresh_rotates_and_reuse_revokes_the_family(client: TestClient, alice: ApiUser) -> None:
    first = client.post("/api/v1/auth/refresh", json={"refresh_token": alice.refresh_token})
    assert first.status_code == 200
    rotated = first.json()
    assert rotated["refresh_token"] != alice.refresh_token
    assert client.get("/api/v1/auth/me", headers=_bearer(rotated["access_token"])).is_success

    reuse = client.post("/api/v1/auth/refresh", json={"refresh_token": alice.refresh_token})
    assert reuse.status_code == 401
    # Every token of the family is dead now, the newest included, access tokens too.
    newest = client.post("/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert newest.status_code == 401
    assert (
        client.get("/api/v1/auth/me", headers=_bearer(rotated["access_token"])).status_code == 401
    )
    # Signing in again starts a new family that works.
    assert _login(client, alice.email).status_code == 200


def test_refresh_with_garbage_is_401(client: TestClient) -> None:
    response = client.post("/api/v1/auth/refresh", json={"refresh_token": "x" * 43})
    assert response.status_code == 401
    assert client.post("/api/v1/auth/refresh", json={}).status_code == 422


def test_logout_revokes_the_session(client: TestClient, alice: ApiUser) -> None:
    other = _login(client, alice.email).json()
    response = client.post("/api/v1/auth/logout", headers=alice.headers)
    assert response.status_code == 204
    assert client.get("/api/v1/auth/me", headers=alice.headers).status_code == 401
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": alice.refresh_token})
    assert refreshed.status_code == 401
    # Another session of the same person is not affected.
    assert client.get("/api/v1/auth/me", headers=_bearer(other["access_token"])).is_success
    assert client.post("/api/v1/auth/logout").status_code == 401


def test_logout_can_revoke_another_refresh_token_too(client: TestClient, alice: ApiUser) -> None:
    other = _login(client, alice.email).json()
    response = client.post(
        "/api/v1/auth/logout", headers=alice.headers, json={"refresh_token": other["refresh_token"]}
    )
    assert response.status_code == 204
    assert client.get("/api/v1/auth/me", headers=_bearer(other["access_token"])).status_code == 401


def test_a_refresh_token_cannot_revoke_someone_elses_session(
    client: TestClient, alice: ApiUser, bob: ApiUser
) -> None:
    response = client.post(
        "/api/v1/auth/logout", headers=alice.headers, json={"refresh_token": bob.refresh_token}
    )
    assert response.status_code == 204
    assert client.get("/api/v1/auth/me", headers=bob.headers).is_success


# --- profile and password ------------------------------------------------------------------


def test_patch_me_updates_the_name(client: TestClient, alice: ApiUser) -> None:
    response = client.patch("/api/v1/auth/me", headers=alice.headers, json={"name": "Alice B."})
    assert response.status_code == 200
    assert response.json()["name"] == "Alice B."
    bad = client.patch("/api/v1/auth/me", headers=alice.headers, json={"name": ""})
    assert bad.status_code == 422
    assert _fields(bad) == {"name"}


def test_password_change_signs_out_everything_else(client: TestClient, alice: ApiUser) -> None:
    other_device = _login(client, alice.email).json()
    response = client.post(
        "/api/v1/auth/password",
        headers=alice.headers,
        json={"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 200, response.text
    fresh = response.json()
    assert client.get("/api/v1/auth/me", headers=_bearer(fresh["access_token"])).is_success
    for stale in (alice.access_token, other_device["access_token"]):
        assert client.get("/api/v1/auth/me", headers=_bearer(stale)).status_code == 401
    for stale in (alice.refresh_token, other_device["refresh_token"]):
        assert client.post("/api/v1/auth/refresh", json={"refresh_token": stale}).status_code == 401
    assert client.post(
        "/api/v1/auth/refresh", json={"refresh_token": fresh["refresh_token"]}
    ).is_success
    assert _login(client, alice.email).status_code == 401
    assert _login(client, alice.email, NEW_PASSWORD).status_code == 200


def test_password_change_problems_name_the_fields(client: TestClient, alice: ApiUser) -> None:
    response = client.post(
        "/api/v1/auth/password",
        headers=alice.headers,
        json={"current_password": "wrong wrong wrong", "new_password": "short"},
    )
    assert response.status_code == 422
    assert _fields(response) == {"current_password", "new_password"}
    assert client.get("/api/v1/auth/me", headers=alice.headers).is_success


# --- lockout -------------------------------------------------------------------------------


def test_lockout_after_five_failures_survives_the_rollback(
    client: TestClient, alice: ApiUser, database: Database, settings: Settings
) -> None:
    for attempt in range(1, settings.lockout_threshold):
        assert _login(client, alice.email, "wrong password!").status_code == 401, attempt
    locked = _login(client, alice.email, "wrong password!")
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 14 * 60
    assert "locked" in locked.json()["detail"]
    # Even the right password is refused while the lock lasts.
    right = _login(client, alice.email)
    assert right.status_code == 429
    assert right.headers["retry-after"]

    with database.unit_of_work() as session:  # the lock runs out
        session.execute(
            update(User)
            .where(User.email == alice.email)
            .values(locked_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert _login(client, alice.email).status_code == 200


def test_openapi_declares_the_auth_routes(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    paths = spec["paths"]
    for path in ("register", "login", "refresh", "logout", "me", "password"):
        assert f"/api/v1/auth/{path}" in paths
    assert paths["/api/v1/auth/me"]["get"]["security"] == [{"HTTPBearer": []}]
    assert "$ref" in str(paths["/api/v1/auth/login"]["post"]["responses"]["200"])


# --- rate limits -----------------------------------------------------------------------------


@pytest.fixture
def limited_client(settings: Settings, database: Database) -> Iterator[TestClient]:
    from coffer.main import create_app

    app = create_app(settings.model_copy(update={"auth_rate_limit": "3/minute"}), database)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_rate_limit_answers_429_with_retry_after(limited_client: TestClient) -> None:
    for _ in range(3):
        assert _login(limited_client, "nobody@example.com").status_code == 401
    limited = _login(limited_client, "nobody@example.com")
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.headers["content-type"].startswith("application/problem+json")
    # Each route has its own count.
    response = limited_client.post("/api/v1/auth/refresh", json={"refresh_token": "x" * 43})
    assert response.status_code == 401


def test_logins_for_one_email_are_limited_across_addresses(
    limited_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    addresses = iter(f"198.51.100.{n}" for n in range(1, 100))
    monkeypatch.setattr(ratelimit, "client_ip", lambda _request: next(addresses))
    for _ in range(3):
        assert _login(limited_client, "victim@example.com").status_code == 401
    assert _login(limited_client, "Victim@Example.com").status_code == 429
    assert _login(limited_client, "someone-else@example.com").status_code == 401


def test_registration_and_password_change_are_limited(limited_client: TestClient) -> None:
    statuses = [
        limited_client.post(
            "/api/v1/auth/register",
            json={"email": f"u{n}@example.com", "password": TEST_PASSWORD, "name": "U"},
        ).status_code
        for n in range(4)
    ]
    assert statuses == [201, 201, 201, 429]
    token = _login(limited_client, "u0@example.com").json()["access_token"]
    wrong = {"current_password": "wrong wrong wrong", "new_password": NEW_PASSWORD}
    statuses = [
        limited_client.post("/api/v1/auth/password", headers=_bearer(token), json=wrong).status_code
        for _ in range(4)
    ]
    assert statuses == [422, 422, 422, 429]


# --- audit -----------------------------------------------------------------------------------


def test_every_auth_event_is_audited_without_secrets(
    client: TestClient, owner_db: Database
) -> None:
    user = register(client, "erin@example.com", name="Erin")
    secrets_seen = {user.password, user.access_token, user.refresh_token}
    _login(client, user.email, "a wrong guess!")
    rotated = client.post("/api/v1/auth/refresh", json={"refresh_token": user.refresh_token})
    secrets_seen |= set(rotated.json().values()) - {"bearer", 900}
    client.post("/api/v1/auth/refresh", json={"refresh_token": user.refresh_token})  # reuse
    fresh = _login(client, user.email).json()
    client.patch("/api/v1/auth/me", headers=_bearer(fresh["access_token"]), json={"name": "E."})
    changed = client.post(
        "/api/v1/auth/password",
        headers=_bearer(fresh["access_token"]),
        json={"current_password": user.password, "new_password": NEW_PASSWORD},
    ).json()
    secrets_seen |= {fresh["access_token"], fresh["refresh_token"], NEW_PASSWORD}
    secrets_seen |= {changed["access_token"], changed["refresh_token"]}
    client.post("/api/v1/auth/logout", headers=_bearer(changed["access_token"]))

    with owner_db.unit_of_work() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.actor_id == uuid.UUID(user.id))
        ).all()
        hashes = set(session.scalars(select(RefreshToken.token_hash)))
        hashes |= set(session.scalars(select(User.password_hash)))
    actions = {event.action for event in events}
    assert {
        "auth.register",
        "auth.login",
        "auth.login_failed",
        "auth.refresh_reuse",
        "auth.profile_updated",
        "auth.password_changed",
        "auth.logout",
    } <= actions
    assert all(event.tenant_id is None for event in events if event.action.startswith("auth."))
    dumped = " ".join(
        f"{e.old_values} {e.new_values} {e.entity_id} {e.entity_type}" for e in events
    )
    for secret in secrets_seen | hashes:
        assert str(secret) not in dumped
