"""The isolation probe's seeder for budgets: a household group budget with rollover, a
personal budget on a chosen account, and an amount change (a second amount row)."""

from __future__ import annotations

from typing import Any

from tests.isolation.seeds import SeedContext, seeder


def _ok(response: Any) -> Any:
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


@seeder
def seed_budgets(ctx: SeedContext) -> None:
    c, h = ctx.client, ctx.headers
    me = _ok(c.get("/api/v1/auth/me", headers=h))
    account = _ok(
        c.post(
            "/api/v1/accounts",
            headers=h,
            json={"name": "Victim budget card", "type": "credit_card", "currency": "USD"},
        )
    )
    group = _ok(
        c.post(
            "/api/v1/categories", headers=h, json={"name": "Victim budget group", "kind": "expense"}
        )
    )
    child = _ok(
        c.post(
            "/api/v1/categories",
            headers=h,
            json={"name": "Victim budget child", "kind": "expense", "parent_id": group["id"]},
        )
    )
    ctx.secrets |= {"Victim budget card", "Victim budget group", "Victim budget child"}
    household = _ok(
        c.post(
            "/api/v1/budgets",
            headers=h,
            json={
                "category_id": group["id"],
                "amount": "321.09",
                "rollover": "surplus_and_overspending",
                "starts_on": "2026-01-01",
                "notes": "victim budget note",
            },
        )
    )
    _ok(
        c.post(
            "/api/v1/budgets",
            headers=h,
            json={
                "category_id": child["id"],
                "amount": "45.67",
                "period_kind": "biweekly",
                "anchor": "2026-01-02",
                "user_id": me["id"],
                "account_ids": [account["id"]],
            },
        )
    )
    _ok(c.patch(f"/api/v1/budgets/{household['id']}", headers=h, json={"amount": "333.33"}))
    ctx.secrets.add("victim budget note")
