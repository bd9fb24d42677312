"""The isolation probe's seeder for bills: a bill entered by hand with a due date paid by
a linked transaction and one skipped, and a planted monthly series that detection
proposes (one accepted as a bill, one left proposed)."""

from __future__ import annotations

from typing import Any

from tests.isolation.seeds import SeedContext, seeder


def _ok(response: Any) -> Any:
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


@seeder
def seed_bills(ctx: SeedContext) -> None:
    c, h = ctx.client, ctx.headers
    accounts = {a["name"]: a for a in _ok(c.get("/api/v1/accounts", headers=h))}
    checking = accounts["Victim checking"]["id"]
    bill = _ok(
        c.post(
            "/api/v1/bills",
            headers=h,
            json={
                "name": "Victim rent bill",
                "payee": "Victim Landlord",
                "amount_min": "40.00",
                "amount_max": "45.00",
                "account_id": checking,
                "rrule": "FREQ=MONTHLY;BYMONTHDAY=1",
                "first_due": "2026-01-01",
                "notes": "victim bill notes",
            },
        )
    )
    ctx.secrets |= {"Victim rent bill", "Victim Landlord", "victim bill notes"}
    txns = _ok(c.get(f"/api/v1/transactions?account_id={checking}", headers=h))
    items = txns["items"] if isinstance(txns, dict) else txns
    paying = next(t for t in items if t["payee"] == "Victim Payee Ltd")
    _ok(
        c.post(
            f"/api/v1/bills/{bill['id']}/occurrences/2026-02-01",
            headers=h,
            json={"action": "link", "transaction_id": paying["id"]},
        )
    )
    _ok(
        c.post(
            f"/api/v1/bills/{bill['id']}/occurrences/2026-03-01",
            headers=h,
            json={"action": "skip"},
        )
    )
    for payee, amount, day in (("Victim Stream Co", "-9.99", 5), ("Victim Gym Club", "-31.00", 12)):
        for month in (7, 8, 9, 10, 11):
            _ok(
                c.post(
                    "/api/v1/transactions",
                    headers=h,
                    json={
                        "account_id": checking,
                        "posted_on": f"2026-{month:02d}-{day:02d}",
                        "amount": amount,
                        "payee": payee,
                    },
                )
            )
    ctx.secrets |= {"Victim Stream Co", "Victim Gym Club"}
    found = _ok(c.post("/api/v1/bills/candidates/detect", headers=h))
    proposed = {cand["payee"]: cand for cand in found["candidates"]}
    assert {"Victim Stream Co", "Victim Gym Club"} <= set(proposed), proposed
    _ok(
        c.post(
            f"/api/v1/bills/candidates/{proposed['Victim Stream Co']['id']}/accept",
            headers=h,
            json={"name": "Victim streaming subscription", "kind": "subscription"},
        )
    )
    ctx.secrets.add("Victim streaming subscription")
