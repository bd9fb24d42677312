"""The budgets REST API on SQLite and PostgreSQL: the lifecycle of a budget, status,
history, alerts, amounts from history, bad input, and another household's ids."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import ApiUser

API = "/api/v1"
PROBLEM = "application/problem+json"


def month_start_of(day: date) -> date:
    return day.replace(day=1)


def _ok(response: Any, code: int = 200) -> Any:
    assert response.status_code == code, response.text
    return response.json() if response.content else None


def _setup(client: TestClient, user: ApiUser) -> dict[str, Any]:
    h = user.headers
    account = _ok(
        client.post(
            f"{API}/accounts",
            headers=h,
            json={"name": "Checking", "type": "checking", "currency": "USD"},
        ),
        201,
    )
    categories = {c["name"]: c for c in _ok(client.get(f"{API}/categories", headers=h))}
    return {"account": account, "categories": categories}


def _spend(
    client: TestClient, user: ApiUser, account_id: str, day: date, amount: str, category_id: str
) -> None:
    _ok(
        client.post(
            f"{API}/transactions",
            headers=user.headers,
            json={
                "account_id": account_id,
                "posted_on": day.isoformat(),
                "amount": amount,
                "category_id": category_id,
            },
        ),
        201,
    )


def test_budget_lifecycle(client: TestClient, alice: ApiUser) -> None:
    h = alice.headers
    setup = _setup(client, alice)
    account_id = setup["account"]["id"]
    food = setup["categories"]["Food"]
    groceries = setup["categories"]["Groceries"]
    today = date.today()
    first = month_start_of(today)
    created = _ok(
        client.post(
            f"{API}/budgets", headers=h, json={"category_id": food["id"], "amount": "400.00"}
        ),
        201,
    )
    assert created["amount"] == "400.00"
    assert created["is_group"] is True
    assert created["status"]["period_start"] == first.isoformat()
    assert created["currency"] == "USD"
    _spend(client, alice, account_id, first, "-100.00", groceries["id"])
    _spend(client, alice, account_id, first, "-250.00", food["id"])
    budget = _ok(client.get(f"{API}/budgets/{created['id']}", headers=h))
    s = budget["status"]
    assert (s["actual"], s["left"], s["percent"], s["state"]) == ("350.00", "50.00", 88, "warning")
    assert s["children"] == [
        {"category_id": groceries["id"], "name": "Groceries", "actual": "100.00"}
    ]
    assert f"category_ids={food['id']}" in s["transactions"]
    assert len(budget["history"]) == 6
    assert budget["amounts"] == [{"effective_from": first.isoformat(), "amount": "400.00"}]

    listed = _ok(client.get(f"{API}/budgets", headers=h))
    assert [b["id"] for b in listed] == [created["id"]]
    overview = _ok(client.get(f"{API}/budgets/status", headers=h))
    assert overview["household"] == {
        "budgeted": "400.00",
        "available": "400.00",
        "actual": "350.00",
        "left": "50.00",
    }
    alerts = _ok(client.get(f"{API}/budgets/alerts", headers=h))
    assert [a["dedupe_key"] for a in alerts] == [f"budget:{created['id']}:{first.isoformat()}:80"]

    changed = _ok(
        client.patch(
            f"{API}/budgets/{created['id']}",
            headers=h,
            json={"amount": "300.00", "rollover": "surplus", "notes": "tighter"},
        )
    )
    assert changed["amount"] == "300.00"
    assert changed["rollover"] == "surplus"
    assert changed["status"]["state"] == "over"
    assert changed["notes"] == "tighter"
    monthly = _ok(
        client.patch(
            f"{API}/budgets/{created['id']}",
            headers=h,
            json={"period_kind": "month_from_day", "start_day": 25},
        )
    )
    assert monthly["start_day"] == 25
    assert monthly["period_kind"] == "month_from_day"
    back = _ok(
        client.patch(f"{API}/budgets/{created['id']}", headers=h, json={"period_kind": "month"})
    )
    assert back["start_day"] is None
    archived = _ok(
        client.patch(f"{API}/budgets/{created['id']}", headers=h, json={"archived": True})
    )
    assert archived["archived"] is True
    assert _ok(client.get(f"{API}/budgets", headers=h)) == []
    assert len(_ok(client.get(f"{API}/budgets?include_archived=true", headers=h))) == 1
    _ok(client.delete(f"{API}/budgets/{created['id']}", headers=h), 204)
    assert client.get(f"{API}/budgets/{created['id']}", headers=h).status_code == 404


def test_set_from_history_and_a_past_day(client: TestClient, alice: ApiUser) -> None:
    h = alice.headers
    setup = _setup(client, alice)
    account_id = setup["account"]["id"]
    fuel = setup["categories"]["Fuel"]
    first = month_start_of(date.today())
    last_month = month_start_of(first - timedelta(days=1))
    before = month_start_of(last_month - timedelta(days=1))
    created = _ok(
        client.post(
            f"{API}/budgets",
            headers=h,
            json={"category_id": fuel["id"], "amount": "10.00", "starts_on": before.isoformat()},
        ),
        201,
    )
    _spend(client, alice, account_id, last_month, "-60.00", fuel["id"])
    _spend(client, alice, account_id, before, "-30.00", fuel["id"])
    one = _ok(
        client.post(
            f"{API}/budgets/{created['id']}/set-from-history",
            headers=h,
            json={"method": "last_period"},
        )
    )
    assert one["amount"] == "60.00"
    assert [p["actual"] for p in one["history"]] == ["0.00", "30.00", "60.00"]
    many = _ok(
        client.post(f"{API}/budgets/set-from-history", headers=h, json={"method": "average_3"})
    )
    assert [b["amount"] for b in many] == ["30.00"]
    # The earlier months keep the amount they had.
    past = _ok(client.get(f"{API}/budgets/{created['id']}?on={last_month.isoformat()}", headers=h))
    assert past["amount"] == "10.00"
    assert past["status"]["actual"] == "60.00"
    assert past["status"]["state"] == "over"


def test_bad_input_names_the_field_and_changes_nothing(client: TestClient, alice: ApiUser) -> None:
    h = alice.headers
    setup = _setup(client, alice)
    fuel = setup["categories"]["Fuel"]
    salary = setup["categories"]["Salary"]

    def refused(body: dict[str, Any], fields: set[str], code: int = 422) -> None:
        response = client.post(f"{API}/budgets", headers=h, json=body)
        assert response.status_code == code, response.text
        assert response.headers["content-type"].startswith(PROBLEM)
        found = {e["field"].split(".")[-1] for e in response.json().get("errors", [])}
        assert fields <= found, response.json()

    refused({"category_id": fuel["id"], "amount": 12.5}, {"amount"})
    refused({"category_id": fuel["id"], "amount": "-1"}, {"amount"})
    refused({"category_id": fuel["id"], "amount": "1.001"}, {"amount"})
    refused({"category_id": fuel["id"], "amount": "1e30"}, {"amount"})
    refused({"category_id": fuel["id"], "amount": "NaN"}, {"amount"})
    refused({"category_id": fuel["id"], "amount": "1", "period_kind": "yearly"}, {"period_kind"})
    refused(
        {"category_id": fuel["id"], "amount": "1", "period_kind": "month_from_day"}, {"start_day"}
    )
    refused(
        {
            "category_id": fuel["id"],
            "amount": "1",
            "period_kind": "month_from_day",
            "start_day": 32,
        },
        {"start_day"},
    )
    refused({"category_id": fuel["id"], "amount": "1", "start_day": 3}, {"start_day"})
    refused({"category_id": fuel["id"], "amount": "1", "anchor": "2026-01-02"}, {"anchor"})
    refused({"category_id": salary["id"], "amount": "1", "rollover": "surplus"}, {"rollover"})
    refused({"category_id": fuel["id"], "amount": "1", "user_id": fuel["id"]}, {"user_id"})
    refused({"category_id": fuel["id"], "amount": "1", "colour": "red"}, {"colour"})
    refused(
        {"category_id": fuel["id"], "amount": "1", "account_ids": [fuel["id"]]},
        {"account_ids"},
        404,
    )
    refused({"category_id": setup["account"]["id"], "amount": "1"}, {"category_id"}, 404)
    assert _ok(client.get(f"{API}/budgets", headers=h)) == []

    created = _ok(
        client.post(f"{API}/budgets", headers=h, json={"category_id": fuel["id"], "amount": "5"}),
        201,
    )
    refused({"category_id": fuel["id"], "amount": "1"}, {"category_id"})
    response = client.patch(
        f"{API}/budgets/{created['id']}", headers=h, json={"amount": "x", "rollover": "often"}
    )
    assert response.status_code == 422
    response = client.patch(
        f"{API}/budgets/{created['id']}", headers=h, json={"start_day": 4, "amount": "-2"}
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"start_day", "amount"}
    bad_method = client.post(
        f"{API}/budgets/{created['id']}/set-from-history", headers=h, json={"method": "median"}
    )
    assert bad_method.status_code == 422
    assert client.get(f"{API}/budgets/status?on=not-a-day", headers=h).status_code == 422
    assert client.get(f"{API}/budgets/{created['id']}?on=0001-01-01", headers=h).status_code == 422
    assert client.get(f"{API}/budgets?on=9999-12-31", headers=h).status_code == 422
    unchanged = _ok(client.get(f"{API}/budgets/{created['id']}", headers=h))
    assert unchanged["amount"] == "5.00"
    assert unchanged["start_day"] is None
    assert unchanged["amounts"] == [{"effective_from": unchanged["starts_on"], "amount": "5.00"}]


def test_another_households_budgets_are_not_found(
    client: TestClient, alice: ApiUser, bob: ApiUser
) -> None:
    setup = _setup(client, alice)
    fuel = setup["categories"]["Fuel"]
    created = _ok(
        client.post(
            f"{API}/budgets", headers=alice.headers, json={"category_id": fuel["id"], "amount": "5"}
        ),
        201,
    )
    url = f"{API}/budgets/{created['id']}"
    assert client.get(url, headers=bob.headers).status_code == 404
    assert client.patch(url, headers=bob.headers, json={"amount": "1"}).status_code == 404
    assert client.delete(url, headers=bob.headers).status_code == 404
    assert (
        client.post(
            f"{url}/set-from-history", headers=bob.headers, json={"method": "last_period"}
        ).status_code
        == 404
    )
    assert _ok(client.get(f"{API}/budgets", headers=bob.headers)) == []
    # Bob cannot budget Alice's category either.
    response = client.post(
        f"{API}/budgets", headers=bob.headers, json={"category_id": fuel["id"], "amount": "5"}
    )
    assert response.status_code == 404
    assert _ok(client.get(url, headers=alice.headers))["amount"] == "5.00"


def test_a_retried_create_with_an_idempotency_key_makes_one_budget(
    client: TestClient, alice: ApiUser
) -> None:
    setup = _setup(client, alice)
    headers = {**alice.headers, "Idempotency-Key": "budget-create-1"}
    body = {"category_id": setup["categories"]["Fuel"]["id"], "amount": "80.00"}
    first = _ok(client.post(f"{API}/budgets", headers=headers, json=body), 201)
    again = _ok(client.post(f"{API}/budgets", headers=headers, json=body), 201)
    assert again["id"] == first["id"]
    assert len(_ok(client.get(f"{API}/budgets", headers=alice.headers))) == 1
