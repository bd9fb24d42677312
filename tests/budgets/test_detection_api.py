"""Recurring detection end to end through the API, on SQLite and PostgreSQL: a planted
history (a subscription with a price rise, a monthly salary, a two-weekly gym, and
noise at a supermarket) -> proposals with their confidence -> accept (a bill whose past
payments are linked) and dismiss (never proposed again); the subscriptions view."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.budgets.test_bills_api import Api
from tests.conftest import ApiUser

TODAY = date.today()


def _month_back(months: int, day: int) -> date:
    index = TODAY.year * 12 + TODAY.month - 1 - months
    return date(index // 12, index % 12 + 1, day)


def _plant(api: Api, account: str) -> dict[str, list[str]]:
    rng = random.Random(7)
    planted: dict[str, list[str]] = {"netflix": [], "salary": [], "gym": []}
    for months in range(12, 0, -1):
        on = _month_back(months, 7)
        price = "-15.99" if months > 4 else "-17.99"
        planted["netflix"].append(api.txn(account, price, "NETFLIX.COM 866-579", on))
        planted["salary"].append(
            api.txn(account, "3120.00", "Northwind Health payroll", _month_back(months, 28))
        )
    friday = TODAY - timedelta(days=(TODAY.weekday() - 4) % 7 + 7)
    for k in range(14):
        planted["gym"].append(
            api.txn(account, "-25.00", "Riverside Fitness", friday - timedelta(days=14 * k))
        )
    for _ in range(40):
        on = TODAY - timedelta(days=rng.randint(1, 360))
        api.txn(account, f"-{rng.randint(5, 140)}.{rng.randint(0, 99):02d}", "Corner Market", on)
    return planted


def test_detect_accept_dismiss(client: TestClient, alice: ApiUser, bob: ApiUser) -> None:
    api = Api(client, alice)
    account = api.account("Checking", "USD")
    planted = _plant(api, account)

    run = api.post("/bills/candidates/detect", None, 200)
    by_payee: dict[str, Any] = {c["payee"]: c for c in run["candidates"]}
    assert set(by_payee) == {"Netflix.com", "Northwind Health payroll", "Riverside Fitness"}
    netflix = by_payee["Netflix.com"]
    assert (netflix["kind"], netflix["cadence"], netflix["amount"]) == (
        "subscription",
        "monthly",
        "17.99",
    )
    assert netflix["rrule"] == "FREQ=MONTHLY;BYMONTHDAY=7"
    assert netflix["schedule"] == "Monthly on day 7"
    assert netflix["occurrences"] == 12
    assert netflix["confidence"] >= 0.8
    assert [(p["old_amount"], p["new_amount"]) for p in netflix["price_changes"]] == [
        ("15.99", "17.99")
    ]
    assert by_payee["Northwind Health payroll"]["kind"] == "income"
    assert by_payee["Riverside Fitness"]["cadence"] == "biweekly"
    # Detecting again changes nothing: the same proposals, not duplicated.
    assert len(api.post("/bills/candidates/detect", None, 200)["candidates"]) == 3
    assert len(api.get("/bills/candidates")) == 3

    bill = api.post(
        f"/bills/candidates/{netflix['id']}/accept",
        {"name": "Netflix", "amount_min": "15.99", "amount_max": "17.99"},
        201,
    )
    assert (bill["name"], bill["source"], bill["kind"]) == ("Netflix", "detected", "subscription")
    history = api.get(f"/bills/{bill['id']}/occurrences")
    paid = {o["transaction_id"] for o in history if o["status"] == "paid"}
    assert paid == set(planted["netflix"])
    assert not [o for o in history if o["status"] in ("missed", "review")]

    gym = by_payee["Riverside Fitness"]
    dismissed = api.post(f"/bills/candidates/{gym['id']}/dismiss", None, 200)
    assert dismissed["status"] == "dismissed"
    again = api.post("/bills/candidates/detect", None, 200)
    assert [c["payee"] for c in again["candidates"]] == ["Northwind Health payroll"]
    assert [c["payee"] for c in api.get("/bills/candidates?status=dismissed")] == [
        "Riverside Fitness"
    ]
    # Accepting twice, or dismissing an accepted one, is refused.
    api.post(f"/bills/candidates/{netflix['id']}/accept", None, 422)
    api.post(f"/bills/candidates/{netflix['id']}/dismiss", None, 422)

    salary = by_payee["Northwind Health payroll"]
    income = api.post(f"/bills/candidates/{salary['id']}/accept", None, 201)
    assert income["kind"] == "income"
    assert income["amount_min"] == "3120.00"
    assert income["name"] == "Northwind Health payroll"

    subs = api.get("/bills/subscriptions")
    assert [s["name"] for s in subs["subscriptions"]] == ["Netflix"]
    assert subs["subscriptions"][0]["yearly_cost"] == "215.88"  # 12 x 17.99
    assert subs["monthly_total"] == "17.99"
    assert subs["yearly_total"] == "215.88"
    assert [(p["name"], p["old_amount"], p["new_amount"]) for p in subs["price_increases"]] == [
        ("Netflix", "15.99", "17.99")
    ]

    # Another household sees none of it.
    other = Api(client, bob)
    assert other.get("/bills/candidates") == []
    other.post(f"/bills/candidates/{salary['id']}/dismiss", None, 404)
    assert other.get("/bills/subscriptions")["subscriptions"] == []
