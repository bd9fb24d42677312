"""GET /api/v1/audit-events: who may read it, paging, filtering."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ApiUser

URL = "/api/v1/audit-events"


def _rename(client: TestClient, user: ApiUser, times: int) -> None:
    for n in range(times):
        response = client.patch(
            f"/api/v1/tenants/{user.personal_tenant_id}",
            headers=user.headers,
            json={"name": f"Household {n}"},
        )
        assert response.status_code == 200, response.text


def _join(client: TestClient, owner: ApiUser, user: ApiUser, role: str) -> str:
    tenant = owner.personal_tenant_id
    made = client.post(
        f"/api/v1/tenants/{tenant}/invitations", headers=owner.headers, json={"role": role}
    ).json()
    token = made["url"].rsplit("/", 1)[-1]
    assert (
        client.post(f"/api/v1/invitations/{token}/accept", headers=user.headers).status_code == 200
    )
    return tenant


def test_owner_reads_the_tenant_log(client: TestClient, alice: ApiUser) -> None:
    _rename(client, alice, 1)
    response = client.get(URL, headers=alice.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["next_cursor"] is None
    updated, categories, created = body["items"]
    assert set(updated) == {
        "id",
        "occurred_at",
        "actor",
        "action",
        "summary",
        "entity_type",
        "entity_id",
        "old_values",
        "new_values",
        "ip",
    }
    assert updated["action"] == "tenant.updated"
    assert updated["actor"] == {"id": alice.id, "name": "Alice Example"}
    assert updated["new_values"] == {"name": "Household 0"}
    assert updated["summary"] == "Changed the household's name"
    assert (created["action"], created["entity_type"], created["entity_id"]) == (
        "tenant.created",
        "tenant",
        alice.personal_tenant_id,
    )
    assert categories["action"] == "category.defaults_created"
    assert categories["summary"] == "Added the 62 default categories"
    # Personal events (sign-up, sign-in) belong to the person, not the household.
    assert not [i for i in body["items"] if i["action"].startswith("auth.")]


@pytest.mark.parametrize("role", ["member", "viewer", "advisor"])
def test_non_managers_get_403(client: TestClient, alice: ApiUser, bob: ApiUser, role: str) -> None:
    tenant = _join(client, alice, bob, role)
    response = client.get(URL, headers=bob.in_tenant(tenant))
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")


def test_admins_may_read(client: TestClient, alice: ApiUser, bob: ApiUser) -> None:
    tenant = _join(client, alice, bob, "admin")
    response = client.get(URL, headers=bob.in_tenant(tenant))
    assert response.status_code == 200
    assert response.json()["items"][0]["summary"] == "Joined as an admin through an invitation"


def test_another_tenants_log_is_not_found(client: TestClient, alice: ApiUser, bob: ApiUser) -> None:
    response = client.get(URL, headers=bob.in_tenant(alice.personal_tenant_id))
    assert response.status_code == 404
    assert "Alice" not in response.text


def test_cursor_pagination_walks_every_event_once(client: TestClient, alice: ApiUser) -> None:
    _rename(client, alice, 5)  # with tenant.created and the default categories: 7 events
    everything = client.get(URL, headers=alice.headers).json()["items"]
    assert len(everything) == 7
    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = client.get(URL, headers=alice.headers, params=params).json()
        pages += 1
        assert len(body["items"]) <= 3
        seen.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert [e["id"] for e in seen] == [e["id"] for e in everything]
    stamps = [e["occurred_at"] for e in seen]
    assert stamps == sorted(stamps, reverse=True)


def test_filter_by_action_prefix(client: TestClient, alice: ApiUser, bob: ApiUser) -> None:
    _rename(client, alice, 2)
    _join(client, alice, bob, "viewer")
    members = client.get(URL, headers=alice.headers, params={"action": "membership."}).json()
    assert [e["action"] for e in members["items"]] == ["membership.joined"]
    renames = client.get(URL, headers=alice.headers, params={"action": "tenant.updated"}).json()
    assert len(renames["items"]) == 2
    wildcard = client.get(URL, headers=alice.headers, params={"action": "%"}).json()
    assert wildcard["items"] == []  # a prefix, not a LIKE pattern


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 201}, {"cursor": "bogus"}])
def test_bad_paging_parameters_are_422(
    client: TestClient, alice: ApiUser, params: dict[str, Any]
) -> None:
    response = client.get(URL, headers=alice.headers, params=params)
    assert response.status_code == 422
    field = next(iter(params))
    assert response.json()["errors"][0]["field"] == field


def test_a_cursor_from_one_tenant_reveals_nothing_in_another(
    client: TestClient, alice: ApiUser, bob: ApiUser
) -> None:
    _rename(client, alice, 3)
    cursor = client.get(URL, headers=alice.headers, params={"limit": 1}).json()["next_cursor"]
    response = client.get(URL, headers=bob.headers, params={"cursor": cursor})
    assert response.status_code == 200
    assert all(e["actor"]["id"] == bob.id for e in response.json()["items"])
