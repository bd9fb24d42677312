"""The tenancy REST API on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ApiUser, register

PROBLEM = "application/problem+json"


def _invite(client: TestClient, owner: ApiUser, tenant_id: str, **body: Any) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/tenants/{tenant_id}/invitations", headers=owner.headers, json=body
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def _token(invitation: dict[str, Any]) -> str:
    return str(invitation["url"]).rsplit("/", 1)[-1]


def _join(client: TestClient, owner: ApiUser, user: ApiUser, role: str) -> str:
    """Bring `user` into the owner's personal household with `role`; its id."""
    tenant_id = owner.personal_tenant_id
    token = _token(_invite(client, owner, tenant_id, role=role))
    accepted = client.post(f"/api/v1/invitations/{token}/accept", headers=user.headers)
    assert accepted.status_code == 200, accepted.text
    return tenant_id


def _audit(client: TestClient, user: ApiUser, tenant_id: str) -> list[dict[str, Any]]:
    response = client.get("/api/v1/audit-events", headers=user.in_tenant(tenant_id))
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


# --- the caller's tenants -------------------------------------------------------------


def test_sign_up_gives_a_personal_household(client: TestClient, alice: ApiUser) -> None:
    response = client.get("/api/v1/tenants", headers=alice.headers)
    assert response.status_code == 200
    [tenant] = response.json()
    assert tenant["id"] == alice.personal_tenant_id
    assert tenant["role"] == "owner"
    assert tenant["is_personal"] is True
    assert tenant["kind"] == "household"
    assert (tenant["base_currency"], tenant["locale"]) == ("USD", "en_US")


def test_create_and_list_households(client: TestClient, alice: ApiUser) -> None:
    created = client.post(
        "/api/v1/tenants",
        headers=alice.headers,
        json={"name": "Lake cabin", "base_currency": "eur", "locale": "fr-FR"},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["name"], body["base_currency"], body["locale"], body["role"]) == (
        "Lake cabin",
        "EUR",
        "fr_FR",
        "owner",
    )
    assert body["is_personal"] is False
    listed = client.get("/api/v1/tenants", headers=alice.headers).json()
    assert [t["id"] for t in listed] == [alice.personal_tenant_id, body["id"]]


def test_create_household_with_bad_fields_names_them(client: TestClient, alice: ApiUser) -> None:
    response = client.post(
        "/api/v1/tenants",
        headers=alice.headers,
        json={"name": "Cabin", "base_currency": "ABC", "locale": "xx_QQ"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"base_currency", "locale"}


def test_tenant_routes_need_a_token(client: TestClient) -> None:
    response = client.get("/api/v1/tenants")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM)


# --- isolation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("PATCH", "", {"name": "Mine now"}),
        ("GET", "/members", None),
        ("GET", "/invitations", None),
        ("POST", "/invitations", {"role": "member"}),
    ],
)
def test_another_users_tenant_is_not_found(
    client: TestClient,
    alice: ApiUser,
    bob: ApiUser,
    method: str,
    suffix: str,
    body: dict[str, Any] | None,
) -> None:
    url = f"/api/v1/tenants/{alice.personal_tenant_id}{suffix}"
    response = client.request(method, url, headers=bob.headers, json=body)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert "Alice" not in response.text


def test_member_routes_of_another_tenant_are_not_found(
    client: TestClient, alice: ApiUser, bob: ApiUser
) -> None:
    base = f"/api/v1/tenants/{alice.personal_tenant_id}/members/{alice.id}"
    assert client.patch(base, headers=bob.headers, json={"role": "viewer"}).status_code == 404
    assert client.delete(base, headers=bob.headers).status_code == 404
    tenants = client.get("/api/v1/tenants", headers=alice.headers).json()
    assert tenants[0]["role"] == "owner"


def test_x_tenant_id_switches_the_tenant(client: TestClient, alice: ApiUser, bob: ApiUser) -> None:
    shared = _join(client, alice, bob, "admin")
    # Without the header bob acts in his own household, with it in alice's.
    own = client.get("/api/v1/audit-events", headers=bob.headers).json()["items"]
    assert {e["action"] for e in own} == {"tenant.created", "category.defaults_created"}
    there = client.get("/api/v1/audit-events", headers=bob.in_tenant(shared)).json()["items"]
    assert "membership.joined" in {e["action"] for e in there}


def test_x_tenant_id_of_a_stranger_is_not_found(
    client: TestClient, alice: ApiUser, bob: ApiUser
) -> None:
    response = client.get("/api/v1/audit-events", headers=bob.in_tenant(alice.personal_tenant_id))
    assert response.status_code == 404


def test_a_malformed_x_tenant_id_is_a_422_naming_the_header(
    client: TestClient, alice: ApiUser
) -> None:
    response = client.get("/api/v1/audit-events", headers=alice.in_tenant("not-a-uuid"))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["errors"][0]["field"] == "X-Tenant-Id"


def test_the_path_not_the_header_decides_the_tenant(
    client: TestClient, alice: ApiUser, bob: ApiUser
) -> None:
    shared = _join(client, alice, bob, "viewer")
    # Bob names alice's household in the header, his own in the path: his own is changed.
    response = client.patch(
        f"/api/v1/tenants/{bob.personal_tenant_id}",
        headers=bob.in_tenant(shared),
        json={"name": "Bob's place"},
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Bob's place"
    alices = client.get(f"/api/v1/tenants/{shared}", headers=alice.headers).json()
    assert alices["name"] != "Bob's place"


# --- roles ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "advisor"])
def test_readers_get_403_on_every_write(
    client: TestClient, alice: ApiUser, bob: ApiUser, role: str
) -> None:
    tenant = _join(client, alice, bob, role)
    base = f"/api/v1/tenants/{tenant}"
    h = bob.headers
    assert client.get(base, headers=h).json()["role"] == role
    assert client.get(f"{base}/members", headers=h).status_code == 200
    writes = [
        client.patch(base, headers=h, json={"name": "Renamed"}),
        client.patch(f"{base}/members/{alice.id}", headers=h, json={"role": "viewer"}),
        client.delete(f"{base}/members/{alice.id}", headers=h),
        client.post(f"{base}/invitations", headers=h, json={"role": "member"}),
        client.get(f"{base}/invitations", headers=h),
        client.get("/api/v1/audit-events", headers=bob.in_tenant(tenant)),
    ]
    for response in writes:
        assert response.status_code == 403, response.text
        assert response.headers["content-type"].startswith(PROBLEM)


def test_a_reader_may_still_leave(client: TestClient, alice: ApiUser, bob: ApiUser) -> None:
    tenant = _join(client, alice, bob, "viewer")
    response = client.delete(f"/api/v1/tenants/{tenant}/members/{bob.id}", headers=bob.headers)
    assert response.status_code == 204
    assert client.get(f"/api/v1/tenants/{tenant}", headers=bob.headers).status_code == 404
    assert _audit(client, alice, tenant)[0]["action"] == "membership.left"


def test_admin_cannot_grant_owner(client: TestClient, alice: ApiUser, bob: ApiUser) -> None:
    tenant = _join(client, alice, bob, "admin")
    carol = register(client, "carol@example.com", name="Carol Example")
    token = _token(_invite(client, alice, tenant, role="member"))
    client.post(f"/api/v1/invitations/{token}/accept", headers=carol.headers)
    url = f"/api/v1/tenants/{tenant}/members/{carol.id}"
    refused = client.patch(url, headers=bob.headers, json={"role": "owner"})
    assert refused.status_code == 403
    assert "owner" in refused.json()["detail"]
    allowed = client.patch(url, headers=bob.headers, json={"role": "viewer"})
    assert allowed.status_code == 200
    assert allowed.json()["role"] == "viewer"
    invite_owner = client.post(
        f"/api/v1/tenants/{tenant}/invitations", headers=bob.headers, json={"role": "owner"}
    )
    assert invite_owner.status_code == 403


def test_the_last_owner_cannot_be_demoted_or_removed(client: TestClient, alice: ApiUser) -> None:
    base = f"/api/v1/tenants/{alice.personal_tenant_id}/members/{alice.id}"
    demote = client.patch(base, headers=alice.headers, json={"role": "member"})
    assert demote.status_code == 422
    assert "owner" in demote.json()["detail"]
    leave = client.delete(base, headers=alice.headers)
    assert leave.status_code == 422


def test_role_change_is_audited_with_old_and_new(
    client: TestClient, alice: ApiUser, bob: ApiUser
) -> None:
    tenant = _join(client, alice, bob, "viewer")
    response = client.patch(
        f"/api/v1/tenants/{tenant}/members/{bob.id}", headers=alice.headers, json={"role": "member"}
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Bob Example"
    event = _audit(client, alice, tenant)[0]
    assert event["action"] == "membership.role_changed"
    assert (event["old_values"], event["new_values"]) == ({"role": "viewer"}, {"role": "member"})
    assert event["actor"] == {"id": alice.id, "name": "Alice Example"}
    assert event["summary"] == "Changed Bob Example's role from viewer to member"


def test_owner_removes_a_member(client: TestClient, alice: ApiUser, bob: ApiUser) -> None:
    tenant = _join(client, alice, bob, "member")
    response = client.delete(f"/api/v1/tenants/{tenant}/members/{bob.id}", headers=alice.headers)
    assert response.status_code == 204
    members = client.get(f"/api/v1/tenants/{tenant}/members", headers=alice.headers).json()
    assert [m["user_id"] for m in members] == [alice.id]
    event = _audit(client, alice, tenant)[0]
    assert (event["action"], event["entity_id"], event["old_values"]) == (
        "membership.removed",
        bob.id,
        {"role": "member"},
    )


def test_update_household_is_audited(client: TestClient, alice: ApiUser) -> None:
    tenant = alice.personal_tenant_id
    response = client.patch(
        f"/api/v1/tenants/{tenant}", headers=alice.headers, json={"base_currency": "JPY"}
    )
    assert response.status_code == 200
    assert response.json()["base_currency"] == "JPY"
    event = _audit(client, alice, tenant)[0]
    assert (event["action"], event["old_values"], event["new_values"]) == (
        "tenant.updated",
        {"base_currency": "USD"},
        {"base_currency": "JPY"},
    )


# --- invitations ----------------------------------------------------------------------


def test_invitation_link_flow(client: TestClient, alice: ApiUser, bob: ApiUser) -> None:
    tenant = alice.personal_tenant_id
    invitation = _invite(client, alice, tenant, role="advisor", email="Bob@Example.com")
    assert invitation["url"].startswith("http://testserver/invitations/")
    assert (invitation["status"], invitation["email"], invitation["invited_by_name"]) == (
        "pending",
        "bob@example.com",
        "Alice Example",
    )
    token = _token(invitation)
    listed = client.get(f"/api/v1/tenants/{tenant}/invitations", headers=alice.headers).json()
    assert [i["id"] for i in listed] == [invitation["id"]]
    assert "url" not in listed[0]
    assert token not in str(listed)

    preview = client.get(f"/api/v1/invitations/{token}", headers=bob.headers)
    assert preview.status_code == 200
    home = client.get(f"/api/v1/tenants/{tenant}", headers=alice.headers).json()
    assert preview.json() == {
        "tenant_name": home["name"],
        "tenant_kind": "household",
        "role": "advisor",
        "inviter_name": "Alice Example",
        "email": "bob@example.com",
        "expires_at": invitation["expires_at"],
    }

    accepted = client.post(f"/api/v1/invitations/{token}/accept", headers=bob.headers)
    assert accepted.status_code == 200
    assert (accepted.json()["id"], accepted.json()["role"]) == (tenant, "advisor")
    tenants = client.get("/api/v1/tenants", headers=bob.headers).json()
    assert [t["id"] for t in tenants] == [bob.personal_tenant_id, tenant]

    listed = client.get(f"/api/v1/tenants/{tenant}/invitations", headers=alice.headers).json()
    assert listed[0]["status"] == "accepted"
    actions = [e["action"] for e in _audit(client, alice, tenant)]
    assert actions[:2] == ["membership.joined", "invitation.created"]
    created = _audit(client, alice, tenant)[1]
    assert token not in str(created)


def test_invitation_preview_requires_sign_in(client: TestClient, alice: ApiUser) -> None:
    token = _token(_invite(client, alice, alice.personal_tenant_id))
    assert client.get(f"/api/v1/invitations/{token}").status_code == 401


def test_unknown_invitation_is_not_found(client: TestClient, bob: ApiUser) -> None:
    assert client.get("/api/v1/invitations/nope", headers=bob.headers).status_code == 404
    accept = client.post("/api/v1/invitations/nope/accept", headers=bob.headers)
    assert accept.status_code == 404


def test_a_used_invitation_cannot_be_reused(
    client: TestClient, alice: ApiUser, bob: ApiUser
) -> None:
    token = _token(_invite(client, alice, alice.personal_tenant_id))
    assert (
        client.post(f"/api/v1/invitations/{token}/accept", headers=bob.headers).status_code == 200
    )
    carol = register(client, "carol@example.com", name="Carol Example")
    reused = client.post(f"/api/v1/invitations/{token}/accept", headers=carol.headers)
    assert reused.status_code == 422
    assert "already been used" in reused.json()["detail"]


def test_already_a_member_is_a_conflict(client: TestClient, alice: ApiUser) -> None:
    token = _token(_invite(client, alice, alice.personal_tenant_id))
    response = client.post(f"/api/v1/invitations/{token}/accept", headers=alice.headers)
    assert response.status_code == 409


def test_a_revoked_invitation_stops_working(
    client: TestClient, alice: ApiUser, bob: ApiUser
) -> None:
    tenant = alice.personal_tenant_id
    invitation = _invite(client, alice, tenant)
    url = f"/api/v1/tenants/{tenant}/invitations/{invitation['id']}"
    assert client.delete(url, headers=bob.headers).status_code == 404
    assert client.delete(url, headers=alice.headers).status_code == 204
    token = _token(invitation)
    preview = client.get(f"/api/v1/invitations/{token}", headers=bob.headers)
    assert preview.status_code == 422
    assert "withdrawn" in preview.json()["detail"]
    assert (
        client.post(f"/api/v1/invitations/{token}/accept", headers=bob.headers).status_code == 422
    )
    event = _audit(client, alice, tenant)[0]
    assert (event["action"], event["new_values"]) == ("invitation.revoked", {"status": "revoked"})


def test_an_expired_invitation_is_refused(
    client: TestClient, alice: ApiUser, bob: ApiUser, app: Any
) -> None:
    app.state.settings.invitation_days = -1
    token = _token(_invite(client, alice, alice.personal_tenant_id))
    response = client.post(f"/api/v1/invitations/{token}/accept", headers=bob.headers)
    assert response.status_code == 422
    assert "expired" in response.json()["detail"]
    listed = client.get(
        f"/api/v1/tenants/{alice.personal_tenant_id}/invitations", headers=alice.headers
    ).json()
    assert listed[0]["status"] == "expired"


@pytest.mark.parametrize(("wanted", "expected"), [(True, 62), (False, 0)])
def test_a_new_household_starts_with_default_categories_unless_declined(
    client: TestClient, alice: ApiUser, wanted: bool, expected: int
) -> None:
    created = client.post(
        "/api/v1/tenants",
        headers=alice.headers,
        json={"name": "Lake cabin", "default_categories": wanted},
    )
    assert created.status_code == 201, created.text
    categories = client.get("/api/v1/categories", headers=alice.in_tenant(created.json()["id"]))
    assert categories.status_code == 200
    assert len(categories.json()) == expected
