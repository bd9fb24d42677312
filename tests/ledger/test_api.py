"""The ledger REST API on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ApiUser

API = "/api/v1"
PROBLEM = "application/problem+json"


def _ok(response: Any, code: int = 200) -> Any:
    assert response.status_code == code, response.text
    return response.json() if response.content else None


def _account(client: TestClient, user: ApiUser, **body: Any) -> dict[str, Any]:
    payload = {"name": "Checking", "type": "checking", "currency": "USD", **body}
    return dict(_ok(client.post(f"{API}/accounts", headers=user.headers, json=payload), 201))


def _txn(client: TestClient, user: ApiUser, account_id: str, amount: str, **body: Any) -> Any:
    payload = {"account_id": account_id, "posted_on": "2026-03-01", "amount": amount, **body}
    return _ok(client.post(f"{API}/transactions", headers=user.headers, json=payload), 201)


def _join(client: TestClient, owner: ApiUser, user: ApiUser, role: str) -> str:
    tenant_id = owner.personal_tenant_id
    invitation = _ok(
        client.post(
            f"{API}/tenants/{tenant_id}/invitations", headers=owner.headers, json={"role": role}
        ),
        201,
    )
    token = str(invitation["url"]).rsplit("/", 1)[-1]
    _ok(client.post(f"{API}/invitations/{token}/accept", headers=user.headers))
    return tenant_id


def _problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = dict(response.json())
    if field is not None:
        assert field in {e["field"] for e in body.get("errors", [])}, body
    return body


def test_account_lifecycle_and_balance(client: TestClient, alice: ApiUser) -> None:
    account = _account(
        client,
        alice,
        opening_balance="250.00",
        account_number="DE44 5001 0517 5407 3249 31",
        institution="Example Bank",
    )
    assert account["balance"] == "250.00"
    assert account["last_four"] == "4931"
    assert account["has_account_number"] is True
    assert "5407" not in str(account)
    _txn(client, alice, account["id"], "-12.34")
    got = _ok(client.get(f"{API}/accounts/{account['id']}", headers=alice.headers))
    assert got["balance"] == "237.66"
    assert got["base_currency"] == "USD"
    assert got["balance_base"] == "237.66"
    on = _ok(
        client.get(f"{API}/accounts/{account['id']}/balance?on=2026-02-28", headers=alice.headers)
    )
    assert on["balance"] == "250.00"
    _txn(client, alice, account["id"], "-0.66", status="cleared")
    now = _ok(client.get(f"{API}/accounts/{account['id']}/balance", headers=alice.headers))
    assert (now["balance"], now["cleared_balance"]) == ("237.00", "249.34")  # -12.34 pending
    closed = _ok(
        client.post(f"{API}/accounts/{account['id']}/close", headers=alice.headers, json={})
    )
    assert closed["closed_on"] is not None
    _problem(
        client.post(
            f"{API}/transactions",
            headers=alice.headers,
            json={"account_id": account["id"], "posted_on": "2026-03-02", "amount": "1.00"},
        ),
        422,
    )
    _ok(client.post(f"{API}/accounts/{account['id']}/reopen", headers=alice.headers))
    renamed = _ok(
        client.patch(
            f"{API}/accounts/{account['id']}", headers=alice.headers, json={"name": "Everyday"}
        )
    )
    assert renamed["name"] == "Everyday"
    _problem(client.delete(f"{API}/accounts/{account['id']}", headers=alice.headers), 422)
    empty = _account(client, alice, name="Spare")
    _ok(client.delete(f"{API}/accounts/{empty['id']}", headers=alice.headers), 204)


def test_bad_input_names_the_field_and_changes_nothing(client: TestClient, alice: ApiUser) -> None:
    account = _account(client, alice)
    bad: list[tuple[dict[str, Any], str]] = [
        ({"amount": 12.5}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"posted_on": "2026-02-30"}, "posted_on"),
        ({"status": "reconciled"}, "status"),
    ]
    for change, field in bad:
        body = {"account_id": account["id"], "posted_on": "2026-03-01", "amount": "1.00", **change}
        _problem(client.post(f"{API}/transactions", headers=alice.headers, json=body), 422, field)
    _problem(
        client.post(
            f"{API}/accounts",
            headers=alice.headers,
            json={"name": "X", "type": "checking", "currency": "XYZ"},
        ),
        422,
        "currency",
    )
    _problem(
        client.post(
            f"{API}/accounts",
            headers=alice.headers,
            json={"name": "X", "type": "cash", "currency": "USD", "credit_limit": "100"},
        ),
        422,
        "credit_limit",
    )
    page = _ok(client.get(f"{API}/transactions", headers=alice.headers))
    assert page["items"] == []
    assert [a["name"] for a in _ok(client.get(f"{API}/accounts", headers=alice.headers))] == [
        "Checking"
    ]


def test_split_transaction_over_the_api(client: TestClient, alice: ApiUser) -> None:
    account = _account(client, alice)
    food = _ok(
        client.post(
            f"{API}/categories", headers=alice.headers, json={"name": "Dining", "kind": "expense"}
        ),
        201,
    )
    unbalanced: dict[str, Any] = {
        "account_id": account["id"],
        "posted_on": "2026-03-01",
        "amount": "-30.00",
        "splits": [{"amount": "-20.00", "category_id": food["id"]}, {"amount": "-9.99"}],
    }
    _problem(
        client.post(f"{API}/transactions", headers=alice.headers, json=unbalanced), 422, "splits"
    )
    unbalanced["splits"][1]["amount"] = "-10.00"
    txn = _ok(client.post(f"{API}/transactions", headers=alice.headers, json=unbalanced), 201)
    assert txn["is_split"] is True
    assert [line["amount"] for line in txn["splits"]] == ["-20.00", "-10.00"]
    found = _ok(client.get(f"{API}/transactions?category_ids={food['id']}", headers=alice.headers))
    assert [t["id"] for t in found["items"]] == [txn["id"]]


def test_register_pages_carry_running_balances(client: TestClient, alice: ApiUser) -> None:
    account = _account(client, alice, opening_balance="100.00")
    for day, amount in [(1, "10.00"), (2, "-3.50"), (2, "7.25"), (5, "-1.00"), (9, "20.00")]:
        _txn(client, alice, account["id"], amount, posted_on=f"2026-03-{day:02d}")
    _txn(client, alice, account["id"], "5.00", posted_on="2026-01-15")
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = f"?limit=2&cursor={cursor}" if cursor else "?limit=2"
        page = _ok(
            client.get(f"{API}/accounts/{account['id']}/register{query}", headers=alice.headers)
        )
        assert page["balance"] == "137.75"
        rows.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [r["posted_on"] for r in rows] == sorted((r["posted_on"] for r in rows), reverse=True)
    assert len(rows) == 6
    assert rows[0]["running_balance"] == "137.75"
    for above, below in itertools.pairwise(rows):
        expected = Decimal(above["running_balance"]) - Decimal(above["amount"])
        assert Decimal(below["running_balance"]) == expected
    assert rows[-1]["running_balance"] == "105.00"
    _problem(
        client.get(
            f"{API}/accounts/{account['id']}/register?cursor=nonsense", headers=alice.headers
        ),
        422,
        "cursor",
    )


def test_another_households_ids_are_not_found(
    client: TestClient, alice: ApiUser, bob: ApiUser
) -> None:
    account = _account(client, alice)
    txn = _txn(client, alice, account["id"], "-5.00")
    bobs = _account(client, bob)
    for response in [
        client.get(f"{API}/accounts/{account['id']}", headers=bob.headers),
        client.get(f"{API}/accounts/{account['id']}/register", headers=bob.headers),
        client.get(f"{API}/transactions/{txn['id']}", headers=bob.headers),
        client.patch(f"{API}/transactions/{txn['id']}", headers=bob.headers, json={"memo": "x"}),
        client.delete(f"{API}/transactions/{txn['id']}", headers=bob.headers),
        client.post(
            f"{API}/transactions/bulk",
            headers=bob.headers,
            json={"action": "delete", "ids": [txn["id"]]},
        ),
        client.post(
            f"{API}/transfers",
            headers=bob.headers,
            json={
                "from_account_id": bobs["id"],
                "to_account_id": account["id"],
                "posted_on": "2026-03-01",
                "amount": "1.00",
            },
        ),
        client.get(f"{API}/accounts", headers=bob.in_tenant(alice.personal_tenant_id)),
    ]:
        _problem(response, 404)
    assert _ok(client.get(f"{API}/transactions/{txn['id']}", headers=alice.headers))["memo"] is None


def test_viewers_read_but_cannot_write(client: TestClient, alice: ApiUser, bob: ApiUser) -> None:
    account = _account(client, alice)
    txn = _txn(client, alice, account["id"], "-5.00")
    tenant = _join(client, alice, bob, "viewer")
    h = bob.in_tenant(tenant)
    assert _ok(client.get(f"{API}/transactions/{txn['id']}", headers=h))["amount"] == "-5.00"
    writes = [
        client.post(
            f"{API}/accounts", headers=h, json={"name": "B", "type": "cash", "currency": "USD"}
        ),
        client.post(
            f"{API}/transactions",
            headers=h,
            json={"account_id": account["id"], "posted_on": "2026-03-01", "amount": "1"},
        ),
        client.patch(f"{API}/transactions/{txn['id']}", headers=h, json={"memo": "x"}),
        client.delete(f"{API}/transactions/{txn['id']}", headers=h),
        client.post(f"{API}/categories", headers=h, json={"name": "C", "kind": "expense"}),
        client.post(f"{API}/tags", headers=h, json={"name": "t"}),
        client.post(
            f"{API}/fx-rates",
            headers=h,
            json={"rate_on": "2026-01-01", "base": "USD", "quote": "EUR", "rate": "0.9"},
        ),
    ]
    for response in writes:
        _problem(response, 403)


def test_idempotent_retries_write_once(client: TestClient, alice: ApiUser) -> None:
    account = _account(client, alice)
    body = {"account_id": account["id"], "posted_on": "2026-03-01", "amount": "-9.99"}
    headers = {**alice.headers, "Idempotency-Key": "txn-0001"}
    first = client.post(f"{API}/transactions", headers=headers, json=body)
    second = client.post(f"{API}/transactions", headers=headers, json=body)
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert first.json() == second.json()
    assert len(_ok(client.get(f"{API}/transactions", headers=alice.headers))["items"]) == 1
    changed = client.post(f"{API}/transactions", headers=headers, json={**body, "amount": "-1"})
    _problem(changed, 422)
    other = _account(client, alice, name="Savings", type="savings")
    transfer = {
        "from_account_id": account["id"],
        "to_account_id": other["id"],
        "posted_on": "2026-03-02",
        "amount": "50.00",
    }
    key = {**alice.headers, "Idempotency-Key": "transfer-0001"}
    a = client.post(f"{API}/transfers", headers=key, json=transfer)
    b = client.post(f"{API}/transfers", headers=key, json=transfer)
    assert a.json() == b.json()
    balance = _ok(client.get(f"{API}/accounts/{other['id']}", headers=alice.headers))["balance"]
    assert balance == "50.00"


def test_cross_currency_transfer_uses_the_rate(client: TestClient, alice: ApiUser) -> None:
    usd = _account(client, alice)
    eur = _account(client, alice, name="Euro", currency="EUR")
    body = {
        "from_account_id": usd["id"],
        "to_account_id": eur["id"],
        "posted_on": "2026-03-02",
        "amount": "100.00",
    }
    _problem(client.post(f"{API}/transfers", headers=alice.headers, json=body), 422, "fx_rate")
    _ok(
        client.post(
            f"{API}/fx-rates",
            headers=alice.headers,
            json={"rate_on": "2026-03-01", "base": "EUR", "quote": "USD", "rate": "1.08"},
        ),
        201,
    )
    by_table = _ok(client.post(f"{API}/transfers", headers=alice.headers, json=body), 201)
    assert by_table["received"]["amount"] == "92.59"  # 100 / 1.08, half-up
    explicit = _ok(
        client.post(f"{API}/transfers", headers=alice.headers, json={**body, "fx_rate": "0.9137"}),
        201,
    )
    assert explicit["sent"]["amount"] == "-100.00"
    assert explicit["received"]["amount"] == "91.37"
    assert explicit["received"]["transfer_account_id"] == usd["id"]
    sent_id = explicit["sent"]["id"]
    edited = _ok(
        client.patch(
            f"{API}/transactions/{sent_id}", headers=alice.headers, json={"amount": "-200.00"}
        )
    )
    assert edited["amount"] == "-200.00"
    received = _ok(client.get(f"{API}/transfers/{explicit['id']}", headers=alice.headers))[
        "received"
    ]
    assert received["amount"] == "182.74"
    _ok(client.delete(f"{API}/transfers/{explicit['id']}", headers=alice.headers), 204)
    assert (
        _ok(client.get(f"{API}/accounts/{eur['id']}", headers=alice.headers))["balance"] == "92.59"
    )


def test_bulk_actions_and_all_or_nothing(client: TestClient, alice: ApiUser, bob: ApiUser) -> None:
    account = _account(client, alice)
    ids = [_txn(client, alice, account["id"], f"-{i}.00")["id"] for i in range(1, 4)]
    food = _ok(
        client.post(
            f"{API}/categories", headers=alice.headers, json={"name": "Dining", "kind": "expense"}
        ),
        201,
    )
    tag = _ok(client.post(f"{API}/tags", headers=alice.headers, json={"name": "trip"}), 201)
    result = _ok(
        client.post(
            f"{API}/transactions/bulk",
            headers=alice.headers,
            json={"action": "recategorise", "ids": ids, "category_id": food["id"]},
        )
    )
    assert sorted(result["changed"]) == sorted(ids)
    _ok(
        client.post(
            f"{API}/transactions/bulk",
            headers=alice.headers,
            json={"action": "tag", "ids": ids[:2], "tag_id": tag["id"]},
        )
    )
    tagged = _ok(client.get(f"{API}/transactions?tag_ids={tag['id']}", headers=alice.headers))
    assert sorted(t["id"] for t in tagged["items"]) == sorted(ids[:2])
    bobs = _account(client, bob)
    foreign = _txn(client, bob, bobs["id"], "-1.00")["id"]
    _problem(
        client.post(
            f"{API}/transactions/bulk",
            headers=alice.headers,
            json={"action": "delete", "ids": [*ids, foreign]},
        ),
        404,
    )
    assert len(_ok(client.get(f"{API}/transactions", headers=alice.headers))["items"]) == 3
    _ok(
        client.post(
            f"{API}/transactions/bulk",
            headers=alice.headers,
            json={"action": "mark_cleared", "ids": ids},
        )
    )
    cleared = _ok(client.get(f"{API}/transactions?statuses=cleared", headers=alice.headers))
    assert len(cleared["items"]) == 3


def test_search_filters_and_saved_filters(client: TestClient, alice: ApiUser, bob: ApiUser) -> None:
    account = _account(client, alice)
    yen = _account(client, alice, name="Yen", currency="JPY")
    _txn(client, alice, account["id"], "-12.50", payee="ACME Hardware", posted_on="2026-01-10")
    _txn(client, alice, account["id"], "-80.00", memo="Big acme order", posted_on="2026-02-10")
    _txn(client, alice, yen["id"], "-1500", payee="Ramen", posted_on="2026-02-11")
    found = _ok(client.get(f"{API}/transactions?text=acme", headers=alice.headers))
    assert len(found["items"]) == 2
    dated = _ok(
        client.get(f"{API}/transactions?text=acme&date_from=2026-02-01", headers=alice.headers)
    )
    assert [t["amount"] for t in dated["items"]] == ["-80.00"]
    ranged = _ok(
        client.get(f"{API}/transactions?amount_min=-100&amount_max=-50", headers=alice.headers)
    )
    assert [t["amount"] for t in ranged["items"]] == ["-80.00"]
    paged = _ok(client.get(f"{API}/transactions?limit=2", headers=alice.headers))
    rest = _ok(
        client.get(
            f"{API}/transactions?limit=2&cursor={paged['next_cursor']}", headers=alice.headers
        )
    )
    assert len(paged["items"]) == 2
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None
    saved = _ok(
        client.post(
            f"{API}/saved-filters",
            headers=alice.headers,
            json={"name": "Acme", "query": {"text": "acme"}},
        ),
        201,
    )
    via_saved = _ok(
        client.get(f"{API}/transactions?saved_filter_id={saved['id']}", headers=alice.headers)
    )
    assert len(via_saved["items"]) == 2
    tenant = _join(client, alice, bob, "viewer")
    as_bob = bob.in_tenant(tenant)
    assert _ok(client.get(f"{API}/saved-filters", headers=as_bob)) == []
    _problem(client.get(f"{API}/saved-filters/{saved['id']}", headers=as_bob), 404)
    _problem(client.delete(f"{API}/saved-filters/{saved['id']}", headers=as_bob), 404)
    # A viewer cannot change the household but keeps searches of their own.
    own = _ok(
        client.post(
            f"{API}/saved-filters", headers=as_bob, json={"name": "Acme", "query": {"text": "a"}}
        ),
        201,
    )
    renamed = client.patch(f"{API}/saved-filters/{own['id']}", headers=as_bob, json={"name": "A"})
    assert _ok(renamed)["name"] == "A"
    assert [f["name"] for f in _ok(client.get(f"{API}/saved-filters", headers=as_bob))] == ["A"]
    assert [f["id"] for f in _ok(client.get(f"{API}/saved-filters", headers=alice.headers))] == [
        saved["id"]
    ]
    _ok(client.delete(f"{API}/saved-filters/{own['id']}", headers=as_bob), 204)


def test_reconciliation_flow(client: TestClient, alice: ApiUser) -> None:
    account = _account(client, alice, opening_balance="100.00")
    a = _txn(client, alice, account["id"], "-30.00", posted_on="2026-03-01")
    b = _txn(client, alice, account["id"], "-20.00", posted_on="2026-03-02")
    _txn(client, alice, account["id"], "-5.00", posted_on="2026-03-03")
    base = f"{API}/accounts/{account['id']}/reconciliations"
    started = _ok(
        client.post(
            base,
            headers=alice.headers,
            json={"statement_on": "2026-03-31", "statement_balance": "50.00"},
        ),
        201,
    )
    assert started["difference"] == "-50.00"
    assert started["uncleared_count"] == 3
    url = f"{base}/{started['id']}"
    _problem(client.post(f"{url}/finish", headers=alice.headers), 422)
    ticked = _ok(
        client.post(
            f"{url}/toggle", headers=alice.headers, json={"transaction_ids": [a["id"], b["id"]]}
        )
    )
    assert ticked["difference"] == "0.00"
    key = {**alice.headers, "Idempotency-Key": "finish-1"}
    done = _ok(client.post(f"{url}/finish", headers=key))
    again = client.post(f"{url}/finish", headers=key)
    assert again.status_code == 200
    assert again.json() == done
    assert done["status"] == "completed"
    assert done["reconciled_count"] == 2
    locked = client.patch(
        f"{API}/transactions/{a['id']}", headers=alice.headers, json={"amount": "-31"}
    )
    assert _problem(locked, 422)["type"] == "/problems/reconciled-locked"
    _problem(client.delete(f"{API}/transactions/{a['id']}", headers=alice.headers), 422)
    unlocked = client.patch(
        f"{API}/transactions/{a['id']}",
        headers=alice.headers,
        json={"amount": "-31", "unlock": True},
    )
    assert _ok(unlocked)["amount"] == "-31.00"


def test_categories_merge_and_delete_with_reassignment(client: TestClient, alice: ApiUser) -> None:
    account = _account(client, alice)

    def category(name: str, parent: str | None = None) -> str:
        body = {"name": name, "kind": "expense", "parent_id": parent}
        return str(
            _ok(client.post(f"{API}/categories", headers=alice.headers, json=body), 201)["id"]
        )

    food, eating_out = category("Dining"), category("Eating out")
    cafe = category("Cafe", eating_out)
    _problem(
        client.post(
            f"{API}/categories",
            headers=alice.headers,
            json={"name": "Too deep", "kind": "expense", "parent_id": cafe},
        ),
        422,
        "parent_id",
    )
    _problem(
        client.post(
            f"{API}/categories", headers=alice.headers, json={"name": "dining", "kind": "expense"}
        ),
        422,
        "name",
    )
    txn = _txn(client, alice, account["id"], "-4.00", category_id=cafe)
    _ok(
        client.post(
            f"{API}/categories/{eating_out}/merge", headers=alice.headers, json={"target_id": food}
        )
    )
    cats = {c["id"]: c for c in _ok(client.get(f"{API}/categories", headers=alice.headers))}
    assert eating_out not in cats
    assert cats[cafe]["parent_id"] == food
    _ok(client.delete(f"{API}/categories/{cafe}?reassign_to={food}", headers=alice.headers), 204)
    assert (
        _ok(client.get(f"{API}/transactions/{txn['id']}", headers=alice.headers))["category_id"]
        == food
    )
    _ok(client.delete(f"{API}/categories/{food}", headers=alice.headers), 204)
    assert (
        _ok(client.get(f"{API}/transactions/{txn['id']}", headers=alice.headers))["category_id"]
        is None
    )


def test_fx_rates_csv_import_reports_every_bad_line(client: TestClient, alice: ApiUser) -> None:
    good = "date,base,quote,rate\n2026-01-02,USD,EUR,0.9137\n2026-01-03,usd,eur,0.9140\n"
    imported = _ok(
        client.post(
            f"{API}/fx-rates/import",
            headers=alice.headers,
            files={"file": ("rates.csv", good.encode(), "text/csv")},
        )
    )
    assert imported == {"created": 2, "updated": 0}
    bad = (
        "2026-01-04,USD,EUR,0.91\n"
        "2026-13-01,USD,EUR,0.9\n"
        "2026-01-05,USD,XXX,1\n"
        "2026-01-06,USD,EUR,-1\n"
    )
    body = _problem(
        client.post(
            f"{API}/fx-rates/import",
            headers=alice.headers,
            files={"file": ("rates.csv", bad.encode(), "text/csv")},
        ),
        422,
    )
    assert [e["line"] for e in body["errors"]] == ["2", "3", "4"]
    rates = _ok(client.get(f"{API}/fx-rates?base=USD", headers=alice.headers))
    assert [r["rate"] for r in rates["items"]] == ["0.914", "0.9137"]
    converted = _ok(
        client.get(
            f"{API}/fx-rates/convert?amount=10&from=EUR&to=USD&on=2026-02-01", headers=alice.headers
        )
    )
    assert converted["converted"] == "10.94"  # 10 / 0.914, half-up
    currencies = _ok(client.get(f"{API}/currencies", headers=alice.headers))
    minor = {c["code"]: c["minor_units"] for c in currencies}
    assert (minor["JPY"], minor["USD"], minor["BHD"]) == (0, 2, 3)


@pytest.mark.parametrize("path", ["/accounts", "/transactions", "/categories", "/fx-rates"])
def test_ledger_routes_need_a_token(client: TestClient, path: str) -> None:
    _problem(client.get(f"{API}{path}"), 401)
