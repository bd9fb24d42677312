"""The isolation probe's seeder for goals, the forecast's thresholds and notifications:
a goal linked to an account, a goal with contributions (one linked to a transaction),
a threshold, a notification preference, and notifications made by the scanner."""

from __future__ import annotations

from typing import Any

from tests.isolation.seeds import SeedContext, seeder


def _ok(response: Any) -> Any:
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


@seeder
def seed_goals(ctx: SeedContext) -> None:
    c, h = ctx.client, ctx.headers
    accounts = {a["name"]: a for a in _ok(c.get("/api/v1/accounts", headers=h))}
    checking = accounts["Victim checking"]
    _ok(
        c.post(
            "/api/v1/goals",
            headers=h,
            json={
                "name": "Victim rainy day goal",
                "target": "5000.00",
                "account_id": accounts["Victim euro savings"]["id"],
                "notes": "victim goal notes",
            },
        )
    )
    goal = _ok(
        c.post(
            "/api/v1/goals",
            headers=h,
            json={"name": "Victim boat goal", "target": "100.00", "target_date": "2027-06-30"},
        )
    )
    _ok(
        c.post(
            f"/api/v1/goals/{goal['id']}/contributions",
            headers=h,
            json={"amount": "60.00", "day": "2026-02-01", "note": "victim contribution note"},
        )
    )
    txns = _ok(c.get(f"/api/v1/transactions?account_id={checking['id']}", headers=h))
    items = txns["items"] if isinstance(txns, dict) else txns
    _ok(
        c.post(
            f"/api/v1/goals/{goal['id']}/contributions",
            headers=h,
            json={"transaction_id": items[0]["id"], "amount": "5.00"},
        )
    )
    _ok(
        c.put(
            f"/api/v1/forecast/thresholds/{checking['id']}",
            headers=h,
            json={"threshold": "123.45"},
        )
    )
    _ok(
        c.put(
            "/api/v1/notifications/preferences",
            headers=h,
            json={"preferences": [{"kind": "bill_upcoming", "in_app": False}]},
        )
    )
    created = _ok(c.post("/api/v1/notifications/refresh", headers=h))
    assert created["created"] >= 1, created
    ctx.secrets |= {
        "Victim rainy day goal",
        "victim goal notes",
        "Victim boat goal",
        "victim contribution note",
    }
