"""The goals, forecast and notification pages as a browser uses them, on SQLite and
PostgreSQL: forms that post and redirect, bad input shown again with its message (422)
and nothing changed, the dashboard cards, and the header's unread count."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import ApiUser, register
from tests.pages import HTML, post_form, sign_in, text

API = "/api/v1"


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def _goals(client: TestClient, user: ApiUser) -> list[dict[str, Any]]:
    return list(_ok(client.get(f"{API}/goals", headers=user.headers)))


def test_create_a_goal_add_and_link_contributions(client: TestClient, alice: ApiUser) -> None:
    sign_in(client, alice)
    assert "Start a goal" in text(client.get("/goals", headers=HTML))
    bad = post_form(client, "/goals/new", {"name": "", "target": "ten", "priority": "3"})
    assert bad.status_code == 422
    page = text(bad)
    assert "Enter the amount to save as a number" in page
    assert "Give the goal a name" in page
    assert _goals(client, alice) == []
    target_date = (date.today() + timedelta(days=200)).isoformat()
    made = post_form(
        client,
        "/goals/new",
        {"name": "Holiday", "target": "1200", "target_date": target_date, "priority": "2"},
    )
    assert made.status_code == 303
    goal = _goals(client, alice)[0]
    assert made.headers["location"] == f"/goals/{goal['id']}"
    bad_amount = post_form(
        client, f"/goals/{goal['id']}/contributions", {"amount": "0", "day": "2026-01-05"}
    )
    assert bad_amount.status_code == 422
    assert "Must not be zero" in text(bad_amount)
    added = post_form(
        client,
        f"/goals/{goal['id']}/contributions",
        {"amount": "300.00", "day": date.today().isoformat(), "note": "first"},
    )
    assert added.status_code == 303
    checking = _ok(
        client.post(
            f"{API}/accounts",
            headers=alice.headers,
            json={"name": "Checking", "type": "checking", "currency": "USD"},
        ),
        201,
    )
    txn = _ok(
        client.post(
            f"{API}/transactions",
            headers=alice.headers,
            json={
                "account_id": checking["id"],
                "posted_on": date.today().isoformat(),
                "amount": "-150.00",
                "payee": "Transfer to savings",
            },
        ),
        201,
    )
    detail = text(client.get(f"/goals/{goal['id']}", headers=HTML))
    assert "Transfer to savings" in detail
    assert "$300.00" in detail
    assert "25%" in detail
    linked = post_form(client, f"/goals/{goal['id']}/link", {"transaction_id": txn["id"]})
    assert linked.status_code == 303
    again = _ok(client.get(f"{API}/goals/{goal['id']}", headers=alice.headers))
    assert (again["saved"], again["percent"]) == ("450.00", 37)
    listed = text(client.get("/goals", headers=HTML))
    assert "Holiday" in listed
    assert "$450.00" in listed
    assert "a month to arrive by" in listed
    home = text(client.get("/", headers=HTML))
    assert 'id="card-goals-title"' in home
    assert "Holiday" in home


def test_edit_and_delete_a_goal(client: TestClient, alice: ApiUser, bob: ApiUser) -> None:
    goal = _ok(
        client.post(f"{API}/goals", headers=alice.headers, json={"name": "Car", "target": "50"}),
        201,
    )
    sign_in(client, alice)
    form = text(client.get(f"/goals/{goal['id']}/edit", headers=HTML))
    assert 'value="Car"' in form
    assert 'value="50.00"' in form
    bad = post_form(
        client,
        f"/goals/{goal['id']}/edit",
        {"name": "Car", "target": "-5", "priority": "3", "status": "active"},
    )
    assert bad.status_code == 422
    assert "Must be more than zero" in text(bad)
    saved = post_form(
        client,
        f"/goals/{goal['id']}/edit",
        {"name": "Van", "target": "80", "priority": "1", "status": "achieved"},
    )
    assert saved.status_code == 303
    assert _goals(client, alice)[0]["name"] == "Van"
    assert post_form(client, f"/goals/{goal['id']}/delete").status_code == 303
    assert _goals(client, alice) == []
    # Another household's goal is not found.
    theirs = _ok(
        client.post(f"{API}/goals", headers=bob.headers, json={"name": "Bob's", "target": "5"}),
        201,
    )
    assert client.get(f"/goals/{theirs['id']}", headers=HTML).status_code == 404
    assert post_form(client, f"/goals/{theirs['id']}/delete").status_code == 404


def test_forecast_page_warns_and_sets_a_threshold(client: TestClient, alice: ApiUser) -> None:
    account = _ok(
        client.post(
            f"{API}/accounts",
            headers=alice.headers,
            json={
                "name": "Everyday",
                "type": "checking",
                "currency": "USD",
                "opening_balance": "100.00",
            },
        ),
        201,
    )
    due = date.today() + timedelta(days=5)
    _ok(
        client.post(
            f"{API}/bills",
            headers=alice.headers,
            json={
                "name": "Rent",
                "payee": "Landlord",
                "amount_min": "400.00",
                "rrule": "FREQ=MONTHLY",
                "first_due": due.isoformat(),
                "account_id": account["id"],
            },
        ),
        201,
    )
    sign_in(client, alice)
    page = text(client.get("/forecast", headers=HTML))
    assert "Everyday" in page
    assert "could go below $0.00" in page
    assert "-$300.00" in page
    assert "Rent" in page
    home = text(client.get("/", headers=HTML))
    assert 'id="card-forecast-warning-title"' in home
    bad = post_form(client, f"/forecast/thresholds/{account['id']}", {"threshold": "lots"})
    assert bad.status_code == 422
    assert "Enter an amount as a number" in text(bad)
    ok = post_form(client, f"/forecast/thresholds/{account['id']}", {"threshold": "-1500"})
    assert ok.status_code == 303
    thresholds = _ok(client.get(f"{API}/forecast/thresholds", headers=alice.headers))
    assert thresholds[0]["threshold"] == "-1500.00"
    assert "No account is expected to go below" in text(client.get("/forecast", headers=HTML))
    assert 'id="card-forecast-warning-title"' not in text(client.get("/", headers=HTML))
    reset = post_form(client, f"/forecast/thresholds/{account['id']}", {"reset": "1"})
    assert reset.status_code == 303
    assert _ok(client.get(f"{API}/forecast/thresholds", headers=alice.headers))[0]["is_default"]


def test_notification_centre(client: TestClient, alice: ApiUser) -> None:
    goal = _ok(
        client.post(f"{API}/goals", headers=alice.headers, json={"name": "Bike", "target": "100"}),
        201,
    )
    _ok(
        client.post(
            f"{API}/goals/{goal['id']}/contributions",
            headers=alice.headers,
            json={"amount": "50"},
        ),
        201,
    )
    sign_in(client, alice)
    page = text(client.get("/notifications", headers=HTML))
    assert "Bike: 50 % saved" in page
    assert "$50.00 of $100.00 is put aside." in page
    assert "1 unread" in page
    # The header's bell counts it on every page.
    assert '<span class="badge">1<span class="visually-hidden"> unread</span>' in text(
        client.get("/goals", headers=HTML)
    )
    note = _ok(client.get(f"{API}/notifications", headers=alice.headers))["items"][0]
    assert post_form(client, f"/notifications/{note['id']}/read").status_code == 303
    assert "You are all caught up" in text(client.get("/notifications", headers=HTML))
    saved = post_form(
        client,
        "/notifications/preferences",
        {"kind_budget_alert": "on", "kind_bill_upcoming": "on", "kind_bill_missed": "on"},
    )
    assert saved.status_code == 303
    prefs = {
        p["kind"]: p["in_app"]
        for p in _ok(client.get(f"{API}/notifications/preferences", headers=alice.headers))
    }
    assert prefs == {
        "budget_alert": True,
        "bill_upcoming": True,
        "bill_missed": True,
        "goal_milestone": False,
        "forecast_warning": False,
    }
    assert post_form(client, "/notifications/read-all").status_code == 303


def test_viewer_reads_goals_but_gets_no_forms(client: TestClient, alice: ApiUser) -> None:
    viewer = register(client, "viola@example.com", name="Viola Viewer")
    tenant_id = alice.personal_tenant_id
    invitation = _ok(
        client.post(
            f"{API}/tenants/{tenant_id}/invitations",
            headers=alice.headers,
            json={"role": "viewer"},
        ),
        201,
    )
    token = str(invitation["url"]).rsplit("/", 1)[-1]
    _ok(client.post(f"{API}/invitations/{token}/accept", headers=viewer.headers))
    goal = _ok(
        client.post(f"{API}/goals", headers=alice.headers, json={"name": "Roof", "target": "9"}),
        201,
    )
    sign_in(client, viewer)
    post_form(client, "/tenants/switch", {"tenant_id": tenant_id})
    page = text(client.get(f"/goals/{goal['id']}", headers=HTML))
    assert "Roof" in page
    assert "Record an amount" not in page
    refused = post_form(client, f"/goals/{goal['id']}/contributions", {"amount": "1"})
    assert refused.status_code == 403
    assert client.get("/notifications", headers=HTML).status_code == 200
