"""The goals, forecast and notifications REST API on SQLite and PostgreSQL, with bad
input, other households' ids, and a viewer's read-only role."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import ApiUser, register

API = "/api/v1"
PROBLEM = "application/problem+json"


def _ok(response: Any, code: int = 200) -> Any:
    assert response.status_code == code, response.text
    return response.json() if response.content else None


def _problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = dict(response.json())
    if field is not None:
        fields = {e.get("field", "").split(".")[-1] for e in body.get("errors", [])}
        assert field in fields, body
    return body


def _account(client: TestClient, user: ApiUser, name: str = "Checking", **body: Any) -> Any:
    payload = {"name": name, "type": "checking", "currency": "USD", **body}
    return _ok(client.post(f"{API}/accounts", headers=user.headers, json=payload), 201)


def _join(client: TestClient, owner: ApiUser, user: ApiUser, role: str) -> dict[str, str]:
    tenant_id = owner.personal_tenant_id
    invitation = _ok(
        client.post(
            f"{API}/tenants/{tenant_id}/invitations", headers=owner.headers, json={"role": role}
        ),
        201,
    )
    token = str(invitation["url"]).rsplit("/", 1)[-1]
    _ok(client.post(f"{API}/invitations/{token}/accept", headers=user.headers))
    return user.in_tenant(tenant_id)


def test_goal_lifecycle_with_contributions(client: TestClient, alice: ApiUser) -> None:
    h = alice.headers
    target_date = (date.today() + timedelta(days=400)).isoformat()
    goal = _ok(
        client.post(
            f"{API}/goals",
            headers=h,
            json={"name": "New roof", "target": "8000.00", "target_date": target_date},
        ),
        201,
    )
    assert (goal["currency"], goal["saved"], goal["percent"], goal["source"]) == (
        "USD",
        "0.00",
        0,
        "contributions",
    )
    assert goal["monthly_needed"] is not None
    gid = goal["id"]
    today = date.today().isoformat()
    first = _ok(
        client.post(
            f"{API}/goals/{gid}/contributions",
            headers=h,
            json={"amount": "2500.00", "day": today, "note": "bonus"},
        ),
        201,
    )
    _ok(client.post(f"{API}/goals/{gid}/contributions", headers=h, json={"amount": "-500.00"}), 201)
    after = _ok(client.get(f"{API}/goals/{gid}", headers=h))
    assert (after["saved"], after["left"], after["percent"]) == ("2000.00", "6000.00", 25)
    assert after["milestones"][0] == {
        "percent": 25,
        "amount": "2000.00",
        "reached": True,
        "reached_on": today,
    }
    rows = _ok(client.get(f"{API}/goals/{gid}/contributions", headers=h))
    assert len(rows) == 2
    changed = _ok(
        client.patch(
            f"{API}/goals/{gid}/contributions/{first['id']}", headers=h, json={"amount": "3000"}
        )
    )
    assert changed["amount"] == "3000.00"
    _ok(client.delete(f"{API}/goals/{gid}/contributions/{first['id']}", headers=h), 204)
    assert _ok(client.get(f"{API}/goals/{gid}", headers=h))["saved"] == "-500.00"
    patched = _ok(
        client.patch(
            f"{API}/goals/{gid}",
            headers=h,
            json={"target_date": None, "priority": 1, "status": "archived"},
        )
    )
    assert (patched["target_date"], patched["priority"], patched["status"]) == (None, 1, "archived")
    assert patched["monthly_needed"] is None
    assert [g["id"] for g in _ok(client.get(f"{API}/goals?status=archived", headers=h))] == [gid]
    assert _ok(client.get(f"{API}/goals?status=active", headers=h)) == []
    _ok(client.delete(f"{API}/goals/{gid}", headers=h), 204)
    _problem(client.get(f"{API}/goals/{gid}", headers=h), 404)


def test_linked_account_and_transaction(client: TestClient, alice: ApiUser) -> None:
    h = alice.headers
    savings = _account(client, alice, "Savings", type="savings", opening_balance="1500.00")
    goal = _ok(
        client.post(
            f"{API}/goals",
            headers=h,
            json={"name": "Cushion", "target": "3000", "account_id": savings["id"]},
        ),
        201,
    )
    assert (goal["source"], goal["saved"], goal["percent"]) == ("account", "1500.00", 50)
    checking = _account(client, alice)
    txn = _ok(
        client.post(
            f"{API}/transactions",
            headers=h,
            json={"account_id": checking["id"], "posted_on": "2026-02-01", "amount": "-75.25"},
        ),
        201,
    )
    other = _ok(client.post(f"{API}/goals", headers=h, json={"name": "Trip", "target": "500"}), 201)
    row = _ok(
        client.post(
            f"{API}/goals/{other['id']}/contributions",
            headers=h,
            json={"transaction_id": txn["id"]},
        ),
        201,
    )
    assert (row["amount"], row["day"], row["transaction_id"]) == ("75.25", "2026-02-01", txn["id"])
    _problem(
        client.post(
            f"{API}/goals/{other['id']}/contributions",
            headers=h,
            json={"transaction_id": txn["id"]},
        ),
        409,
    )


def test_goal_bad_input_changes_nothing(client: TestClient, alice: ApiUser, bob: ApiUser) -> None:
    h = alice.headers
    cases = [
        ({"name": "A", "target": 10.5}, "target"),  # a float
        ({"name": "A", "target": "0"}, "target"),
        ({"name": "A", "target": "1.234"}, "target"),
        ({"name": "A", "target": "ten"}, "target"),
        ({"name": "", "target": "10"}, "name"),
        ({"name": "A", "target": "10", "priority": 9}, "priority"),
        ({"name": "A", "target": "10", "status": "done"}, "status"),
        ({"name": "A", "target": "10", "surprise": 1}, "surprise"),
    ]
    for body, field in cases:
        _problem(client.post(f"{API}/goals", headers=h, json=body), 422, field)
    bobs = _account(client, bob, "Bob's")
    _problem(
        client.post(
            f"{API}/goals", headers=h, json={"name": "A", "target": "10", "account_id": bobs["id"]}
        ),
        422,
        "account_id",
    )
    assert _ok(client.get(f"{API}/goals", headers=h)) == []
    goal = _ok(client.post(f"{API}/goals", headers=h, json={"name": "A", "target": "10"}), 201)
    _problem(client.post(f"{API}/goals", headers=h, json={"name": "a", "target": "5"}), 422, "name")
    _problem(
        client.post(f"{API}/goals/{goal['id']}/contributions", headers=h, json={"amount": "0"}),
        422,
        "amount",
    )
    _problem(client.post(f"{API}/goals/{goal['id']}/contributions", headers=h, json={}), 422)
    # Bob cannot see, change or add to Alice's goal.
    for method, url, body in (
        ("GET", f"{API}/goals/{goal['id']}", None),
        ("PATCH", f"{API}/goals/{goal['id']}", {"name": "Mine"}),
        ("DELETE", f"{API}/goals/{goal['id']}", None),
        ("POST", f"{API}/goals/{goal['id']}/contributions", {"amount": "1"}),
        ("GET", f"{API}/goals/{goal['id']}/contributions", None),
    ):
        _problem(client.request(method, url, headers=bob.headers, json=body), 404)
    assert _ok(client.get(f"{API}/goals", headers=bob.headers)) == []
    assert _ok(client.get(f"{API}/goals/{goal['id']}", headers=h))["name"] == "A"


def test_viewer_reads_but_cannot_write(client: TestClient, alice: ApiUser) -> None:
    viewer = register(client, "viola@example.com", name="Viola Viewer")
    vh = _join(client, alice, viewer, "viewer")
    _ok(client.post(f"{API}/goals", headers=alice.headers, json={"name": "A", "target": "10"}), 201)
    assert len(_ok(client.get(f"{API}/goals", headers=vh))) == 1
    _problem(client.post(f"{API}/goals", headers=vh, json={"name": "B", "target": "10"}), 403)
    account = _account(client, alice)
    _problem(
        client.put(
            f"{API}/forecast/thresholds/{account['id']}", headers=vh, json={"threshold": "5"}
        ),
        403,
    )
    # Notifications are the viewer's own: reading and marking them is allowed.
    assert _ok(client.get(f"{API}/notifications/unread-count", headers=vh)) == {"unread": 0}


def test_forecast_and_thresholds(client: TestClient, alice: ApiUser, bob: ApiUser) -> None:
    h = alice.headers
    checking = _account(client, alice, opening_balance="100.00")
    _ok(
        client.post(
            f"{API}/bills",
            headers=h,
            json={
                "name": "Insurance",
                "payee": "Acme Insurance",
                "amount_min": "150.00",
                "rrule": "FREQ=MONTHLY",
                "first_due": (date.today() + timedelta(days=3)).isoformat(),
                "account_id": checking["id"],
            },
        ),
        201,
    )
    body = _ok(client.get(f"{API}/forecast?days=30", headers=h))
    account = next(a for a in body["accounts"] if a["account_id"] == checking["id"])
    assert account["opening"] == "100.00"
    assert len(account["days"]) == 30
    assert account["first_breach"] == {
        "day": (date.today() + timedelta(days=3)).isoformat(),
        "balance": "-50.00",
        "threshold": "0.00",
    }
    assert account["flows"][0]["label"] == "Insurance"
    assert account["flows"][0]["amount"] == "-150.00"
    put = f"{API}/forecast/thresholds/{checking['id']}"
    assert _ok(client.put(put, headers=h, json={"threshold": "-75.00"}))["threshold"] == "-75.00"
    only = _ok(client.get(f"{API}/forecast?days=10&account_id={checking['id']}", headers=h))
    assert only["accounts"][0]["first_breach"] is None
    listed = _ok(client.get(f"{API}/forecast/thresholds", headers=h))
    assert [(t["account"], t["threshold"], t["is_default"]) for t in listed] == [
        ("Checking", "-75.00", False)
    ]
    cleared = _ok(client.delete(put, headers=h))
    assert (cleared["threshold"], cleared["is_default"]) == ("0.00", True)
    _problem(client.get(f"{API}/forecast?days=0", headers=h), 422, "days")
    _problem(client.get(f"{API}/forecast?days=366", headers=h), 422, "days")
    _problem(client.get(f"{API}/forecast?account_id=nope", headers=h), 422, "account_id")
    _problem(client.put(put, headers=h, json={"threshold": 5.5}), 422, "threshold")
    _problem(client.put(put, headers=h, json={"threshold": "1.001"}), 422, "threshold")
    _problem(client.put(put, headers=bob.headers, json={"threshold": "1"}), 404)
    _problem(client.get(f"{API}/forecast?account_id={checking['id']}", headers=bob.headers), 404)
    assert _ok(client.get(f"{API}/forecast/thresholds", headers=bob.headers)) == []


def test_notifications_api(client: TestClient, alice: ApiUser, bob: ApiUser) -> None:
    h = alice.headers
    goal = _ok(client.post(f"{API}/goals", headers=h, json={"name": "Bike", "target": "400"}), 201)
    _ok(
        client.post(f"{API}/goals/{goal['id']}/contributions", headers=h, json={"amount": "300"}),
        201,
    )
    refreshed = _ok(client.post(f"{API}/notifications/refresh", headers=h))
    assert refreshed == {"created": 1, "unread": 1}
    assert _ok(client.post(f"{API}/notifications/refresh", headers=h)) == {
        "created": 0,
        "unread": 1,
    }
    page = _ok(client.get(f"{API}/notifications", headers=h))
    assert page["unread"] == 1
    item = page["items"][0]
    assert (item["kind"], item["title"], item["link"]) == (
        "goal_milestone",
        "Bike: 75 % saved",
        f"/goals/{goal['id']}",
    )
    # Bob sees none of it and cannot mark it.
    assert _ok(client.get(f"{API}/notifications", headers=bob.headers)) == {
        "items": [],
        "unread": 0,
    }
    _problem(client.post(f"{API}/notifications/{item['id']}/read", headers=bob.headers), 404)
    _problem(
        client.post(f"{API}/notifications/read", headers=bob.headers, json={"ids": [item["id"]]}),
        404,
    )
    _problem(client.post(f"{API}/notifications/read", headers=h, json={"ids": []}), 422, "ids")
    marked = _ok(client.post(f"{API}/notifications/{item['id']}/read", headers=h))
    assert marked == {"marked": 1, "unread": 0}
    assert _ok(client.get(f"{API}/notifications?unread=true", headers=h))["items"] == []
    assert _ok(client.post(f"{API}/notifications/read-all", headers=h)) == {
        "marked": 0,
        "unread": 0,
    }
    prefs = _ok(client.get(f"{API}/notifications/preferences", headers=h))
    assert {p["kind"] for p in prefs} == {
        "budget_alert",
        "bill_upcoming",
        "bill_missed",
        "goal_milestone",
        "forecast_warning",
    }
    assert all(p["in_app"] for p in prefs)
    updated = _ok(
        client.put(
            f"{API}/notifications/preferences",
            headers=h,
            json={"preferences": [{"kind": "goal_milestone", "in_app": False}]},
        )
    )
    assert {p["kind"]: p["in_app"] for p in updated}["goal_milestone"] is False
    _problem(
        client.put(
            f"{API}/notifications/preferences",
            headers=h,
            json={"preferences": [{"kind": "nope", "in_app": False}]},
        ),
        422,
        "kind",
    )
    _problem(
        client.put(
            f"{API}/notifications/preferences",
            headers=h,
            json={
                "preferences": [
                    {"kind": "bill_missed", "in_app": False},
                    {"kind": "bill_missed", "in_app": True},
                ]
            },
        ),
        422,
        "preferences",
    )
    # Turned off: a new milestone (100 %) is not stored.
    _ok(
        client.post(f"{API}/goals/{goal['id']}/contributions", headers=h, json={"amount": "100"}),
        201,
    )
    assert _ok(client.post(f"{API}/notifications/refresh", headers=h))["created"] == 0
