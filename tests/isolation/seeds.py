"""What the isolation probe plants in the victim's household before attacking it.

Each capability registers a seeder that creates its objects through the API as the
victim. The probe then finds every id of the victim's rows in the database itself, so a
new table or route is covered without editing the probe; a seeder only makes sure the
new table has rows to find.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient


@dataclass
class SeedContext:
    client: TestClient
    headers: dict[str, str]
    tenant_id: str
    # Strings that must never appear in a response to another user.
    secrets: set[str] = field(default_factory=set)


Seeder = Callable[[SeedContext], None]
SEEDERS: list[Seeder] = []


def seeder(func: Seeder) -> Seeder:
    SEEDERS.append(func)
    return func


def _ok(response: Any) -> Any:
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


@seeder
def seed_tenancy(ctx: SeedContext) -> None:
    c, h, t = ctx.client, ctx.headers, ctx.tenant_id
    _ok(c.patch(f"/api/v1/tenants/{t}", headers=h, json={"name": "Victim household"}))
    ctx.secrets.add("Victim household")
    invitation = _ok(
        c.post(
            f"/api/v1/tenants/{t}/invitations",
            headers=h,
            json={"role": "member", "email": "victim-invitee@example.com"},
        )
    )
    ctx.secrets.add("victim-invitee@example.com")
    ctx.secrets.add(invitation["url"].rsplit("/", 1)[-1])
    second = _ok(c.post("/api/v1/tenants", headers=h, json={"name": "Victim second home"}))
    ctx.secrets.add("Victim second home")
    ctx.secrets.add(second["id"])


@seeder
def seed_ledger(ctx: SeedContext) -> None:
    c, h = ctx.client, ctx.headers
    checking = _ok(
        c.post(
            "/api/v1/accounts",
            headers=h,
            json={
                "name": "Victim checking",
                "type": "checking",
                "currency": "USD",
                "opening_balance": "1000.00",
                "account_number": "DE44500105175407324931",
            },
        )
    )
    savings = _ok(
        c.post(
            "/api/v1/accounts",
            headers=h,
            json={"name": "Victim euro savings", "type": "savings", "currency": "EUR"},
        )
    )
    ctx.secrets |= {"Victim checking", "Victim euro savings", "DE44500105175407324931"}
    hobby = _ok(
        c.post("/api/v1/categories", headers=h, json={"name": "Victim hobby", "kind": "expense"})
    )
    tag = _ok(c.post("/api/v1/tags", headers=h, json={"name": "victim-tag"}))
    ctx.secrets |= {"Victim hobby", "victim-tag"}
    _ok(
        c.post(
            "/api/v1/transactions",
            headers=h,
            json={
                "account_id": checking["id"],
                "posted_on": "2026-02-03",
                "amount": "-42.17",
                "payee": "Victim Payee Ltd",
                "memo": "victim memo",
                "category_id": hobby["id"],
                "tag_ids": [tag["id"]],
            },
        )
    )
    _ok(
        c.post(
            "/api/v1/transactions",
            headers=h,
            json={
                "account_id": checking["id"],
                "posted_on": "2026-02-04",
                "amount": "-10.00",
                "payee": "Victim split shop",
                "splits": [
                    {"amount": "-6.00", "category_id": hobby["id"], "memo": "victim line"},
                    {"amount": "-4.00"},
                ],
            },
        )
    )
    ctx.secrets |= {"Victim Payee Ltd", "victim memo", "Victim split shop", "victim line"}
    _ok(
        c.post(
            "/api/v1/fx-rates",
            headers=h,
            json={"rate_on": "2026-02-01", "base": "USD", "quote": "EUR", "rate": "0.9137"},
        )
    )
    _ok(
        c.post(
            "/api/v1/transfers",
            headers=h,
            json={
                "from_account_id": checking["id"],
                "to_account_id": savings["id"],
                "posted_on": "2026-02-05",
                "amount": "100.00",
                "memo": "victim transfer",
            },
        )
    )
    _ok(
        c.post(
            "/api/v1/saved-filters",
            headers=h,
            json={"name": "Victim saved filter", "query": {"text": "victim"}},
        )
    )
    ctx.secrets |= {"victim transfer", "Victim saved filter"}


@seeder
def seed_imports(ctx: SeedContext) -> None:
    c, h = ctx.client, ctx.headers
    account = _ok(
        c.post(
            "/api/v1/accounts",
            headers=h,
            json={"name": "Victim import account", "type": "checking", "currency": "USD"},
        )
    )
    category = _ok(
        c.post("/api/v1/categories", headers=h, json={"name": "Victim coffee", "kind": "expense"})
    )
    mapping = {"date_column": "Date", "amount_column": "Amount", "payee_column": "Description"}
    _ok(
        c.post(
            "/api/v1/import-formats",
            headers=h,
            json={"name": "Victim bank format", "mapping": mapping},
        )
    )
    _ok(
        c.post(
            "/api/v1/rules",
            headers=h,
            json={
                "name": "Victim coffee rule",
                "conditions": [{"field": "payee", "op": "contains", "value": "victimcafe"}],
                "actions": {"category_id": category["id"], "memo": "victim rule memo"},
            },
        )
    )
    _ok(
        c.post(
            "/api/v1/merchant-aliases",
            headers=h,
            json={"pattern": "victimcafe", "match": "contains", "merchant": "Victim Cafe Merchant"},
        )
    )
    data = (
        b"Date,Description,Amount\n"
        b"2026-02-10,VICTIMCAFE 0042,-4.20\n"
        b"2026-02-11,VICTIM IMPORTED PAYEE,-99.00\n"
    )
    upload = _ok(
        c.post(
            "/api/v1/imports",
            headers=h,
            files={"file": ("victim-statement.csv", data, "text/csv")},
            data={"account_id": account["id"]},
        )
    )
    _ok(c.post(f"/api/v1/imports/{upload['import_batch']['id']}/commit", headers=h, json={}))
    # A file past the background threshold commits as a job; wait for it, so the probe
    # starts from a settled household and /jobs/{job_id} has a target.
    big = "Date,Description,Amount\n" + "".join(
        f"2025-{1 + i % 12:02d}-{1 + i % 28:02d},VICTIM BULK {i},-1.{i % 100:02d}\n"
        for i in range(5001)
    )
    bulk = _ok(
        c.post(
            "/api/v1/imports",
            headers=h,
            files={"file": ("victim-bulk.csv", big.encode(), "text/csv")},
            data={"account_id": account["id"]},
        )
    )
    queued = _ok(c.post(f"/api/v1/imports/{bulk['import_batch']['id']}/commit", headers=h, json={}))
    job_id = queued["job"]["id"]
    for _ in range(600):
        if _ok(c.get(f"/api/v1/jobs/{job_id}", headers=h))["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.05)
    # A second upload stays uncommitted, so preview and mapping routes have a target.
    _ok(
        c.post(
            "/api/v1/imports",
            headers=h,
            files={"file": ("victim-pending.csv", data, "text/csv")},
            data={"account_id": account["id"]},
        )
    )
    ctx.secrets |= {
        "Victim bank format",
        "Victim coffee rule",
        "victim rule memo",
        "Victim Cafe Merchant",
        "VICTIM IMPORTED PAYEE",
        "victim-statement.csv",
        "victim-pending.csv",
    }


# Capabilities whose seeders live in modules of their own; imported last, as they
# register with `seeder` above.
from tests.isolation import seeds_bills, seeds_budgets, seeds_goals  # noqa: E402, F401
