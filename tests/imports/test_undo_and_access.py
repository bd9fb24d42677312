"""Undo restores balances and aggregates exactly; idempotent commit and undo; who may do
what; another household's ids answer 404."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select

from coffer.audit.models import AuditEvent
from coffer.db.session import Database
from coffer.ledger import aggregates
from coffer.ledger import service as ledger
from tests.conftest import ApiUser
from tests.imports.conftest import Household, csv_bytes, fixture_bytes

ROWS = [
    ("2024-01-30", "RENT", "-1200.00"),
    ("2024-02-01", "TESCO STORES", "-42.10"),
    ("2024-02-01", "TESCO STORES", "-42.10"),
    ("2024-02-14", "FLORIST", "-30.00"),
    ("2024-03-01", "SALARY", "2500.00"),
]


def _aggregates_agree(database: Database, home: Household) -> None:
    tenant_id, user_id = uuid.UUID(home.user.personal_tenant_id), uuid.UUID(home.user.id)
    with database.unit_of_work(user_id=user_id, tenant_id=tenant_id) as session:
        stored = aggregates.stored_sums(session, tenant_id=tenant_id)
        assert stored  # seen through row-level security: the check is not vacuous
        assert ledger.reconcile_aggregates(session, tenant_id=tenant_id) == []


def test_undo_restores_balances_and_aggregates_exactly(home: Household, database: Database) -> None:
    groceries = home.category("Groceries")
    rule = {
        "name": "Tesco",
        "conditions": [{"field": "payee", "op": "contains", "value": "tesco"}],
        "actions": {"category_id": groceries, "tag_ids": [home.tag("food")]},
    }
    home.ok(home.client.post("/api/v1/rules", headers=home.headers, json=rule), 201)
    account = home.account(opening_balance="100.00")
    home.ok(
        home.client.post(
            "/api/v1/transactions",
            headers=home.headers,
            json={"account_id": account, "posted_on": "2024-02-02", "amount": "-5.00"},
        ),
        201,
    )
    before = home.balance(account)
    split_account = home.account(name="QIF")
    qif = home.import_file(fixture_bytes("bank_split.qif"), "bank.qif", split_account)
    batch = home.import_file(csv_bytes(ROWS), "feb.csv", account)
    assert home.balance(account) == "1280.80"
    _aggregates_agree(database, home)

    undone = home.ok(home.undo_raw(batch["id"]), 200)["import_batch"]
    assert undone["status"] == "undone"
    assert home.balance(account) == before
    assert [t["payee"] for t in home.transactions(account)] == [None]
    home.ok(home.undo_raw(qif["id"]), 200)
    assert home.transactions(split_account) == []
    _aggregates_agree(database, home)
    again = home.undo_raw(batch["id"])
    assert again.status_code == 409
    # Undone, the same file imports afresh.
    assert home.import_file(csv_bytes(ROWS), "feb.csv", account)["counts"]["added"] == 5
    scope = {
        "user_id": uuid.UUID(home.user.id),
        "tenant_id": uuid.UUID(home.user.personal_tenant_id),
    }
    with database.unit_of_work(**scope) as session:
        actions = set(
            session.scalars(
                select(AuditEvent.action).where(AuditEvent.entity_type == "import_batch")
            )
        )
    assert actions == {"import.committed", "import.undone"}


def test_undo_is_refused_once_a_transaction_is_reconciled(home: Household) -> None:
    account = home.account()
    batch = home.import_file(csv_bytes(ROWS[:2]), "a.csv", account)
    txn = home.transactions(account)[0]
    client, h = home.client, home.headers
    recon = home.ok(
        client.post(
            f"/api/v1/accounts/{account}/reconciliations",
            headers=h,
            json={"statement_on": "2024-02-28", "statement_balance": "-1242.10"},
        ),
        201,
    )
    home.ok(
        client.post(
            f"/api/v1/accounts/{account}/reconciliations/{recon['id']}/toggle",
            headers=h,
            json={"transaction_ids": [t["id"] for t in home.transactions(account)]},
        )
    )
    home.ok(
        client.post(f"/api/v1/accounts/{account}/reconciliations/{recon['id']}/finish", headers=h)
    )
    assert home.transactions(account)[0]["status"] == "reconciled", txn
    refused = home.undo_raw(batch["id"])
    assert refused.status_code == 422
    assert refused.json()["type"] == "/problems/undo-refused"
    assert len(home.transactions(account)) == 2


def test_idempotent_commit_and_undo_replay_without_a_second_batch(home: Household) -> None:
    account = home.account()
    batch = home.upload(csv_bytes(ROWS), "feb.csv", account)["import_batch"]
    first = home.commit_raw(batch["id"], {}, **{"Idempotency-Key": "commit-feb-1"})
    second = home.commit_raw(batch["id"], {}, **{"Idempotency-Key": "commit-feb-1"})
    assert first.status_code == second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert len(home.transactions(account)) == 5
    other = home.commit_raw(batch["id"], {"skip_lines": [2]}, **{"Idempotency-Key": "commit-feb-1"})
    assert other.status_code == 422
    undo = home.undo_raw(batch["id"], **{"Idempotency-Key": "undo-feb-1"})
    replay = home.undo_raw(batch["id"], **{"Idempotency-Key": "undo-feb-1"})
    assert undo.status_code == replay.status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true"
    listed = home.ok(home.client.get("/api/v1/imports", headers=home.headers), 200)
    assert [b["status"] for b in listed["items"]] == ["undone"]


def _join(client: TestClient, owner: ApiUser, user: ApiUser, role: str) -> str:
    tenant_id = owner.personal_tenant_id
    invitation = client.post(
        f"/api/v1/tenants/{tenant_id}/invitations", headers=owner.headers, json={"role": role}
    )
    assert invitation.status_code == 201, invitation.text
    token = str(invitation.json()["url"]).rsplit("/", 1)[-1]
    accepted = client.post(f"/api/v1/invitations/{token}/accept", headers=user.headers)
    assert accepted.status_code < 300, accepted.text
    return tenant_id


def test_viewers_read_imports_but_cannot_change_anything(home: Household, bob: ApiUser) -> None:
    account = home.account()
    pending = home.upload(csv_bytes(ROWS), "feb.csv", account)["import_batch"]
    done = home.import_file(csv_bytes(ROWS[:1]), "jan.csv", account)
    tenant = _join(home.client, home.user, bob, "viewer")
    viewer = Household(home.client, bob)
    h = bob.in_tenant(tenant)
    c = home.client
    assert c.get(f"/api/v1/imports/{pending['id']}", headers=h).status_code == 200
    assert c.get(f"/api/v1/imports/{pending['id']}/preview", headers=h).status_code == 200
    assert c.get("/api/v1/rules", headers=h).status_code == 200
    writes = [
        c.post(
            "/api/v1/imports",
            headers=h,
            files={"file": ("x.csv", csv_bytes(ROWS), "text/csv")},
            data={"account_id": account},
        ),
        c.post(f"/api/v1/imports/{pending['id']}/commit", headers=h, json={}),
        c.put(f"/api/v1/imports/{pending['id']}/mapping", headers=h, json={"preset": "mint"}),
        c.post(f"/api/v1/import-batches/{done['id']}/undo", headers=h),
        c.post(
            "/api/v1/rules",
            headers=h,
            json={
                "name": "r",
                "conditions": [{"field": "payee", "op": "contains", "value": "x"}],
                "actions": {"memo": "m"},
            },
        ),
        c.post("/api/v1/merchant-aliases", headers=h, json={"pattern": "x", "merchant": "X"}),
        c.post(
            "/api/v1/import-formats",
            headers=h,
            json={"name": "f", "mapping": {"date_column": "a", "amount_column": "b"}},
        ),
    ]
    for response in writes:
        assert response.status_code == 403, response.text
    assert viewer.user is bob


def test_another_households_imports_answer_404(home: Household, bob: ApiUser) -> None:
    account = home.account()
    pending = home.upload(csv_bytes(ROWS), "feb.csv", account)["import_batch"]
    done = home.import_file(csv_bytes(ROWS[:1]), "jan.csv", account)
    c, h = home.client, bob.headers
    for response in (
        c.get(f"/api/v1/imports/{pending['id']}", headers=h),
        c.get(f"/api/v1/imports/{pending['id']}/preview", headers=h),
        c.post(f"/api/v1/imports/{pending['id']}/commit", headers=h, json={}),
        c.post(f"/api/v1/import-batches/{done['id']}/undo", headers=h),
        c.post(
            "/api/v1/imports",
            headers=h,
            files={"file": ("x.csv", csv_bytes(ROWS), "text/csv")},
            data={"account_id": account},
        ),
    ):
        assert response.status_code == 404, response.text
    assert c.get("/api/v1/imports", headers=h).json()["items"] == []
    assert len(home.transactions(account)) == 1
