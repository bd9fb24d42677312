"""The split and settle calculators through the API: exact to the cent, the fewest
payments, and a 422 problem naming what is wrong for every kind of bad input."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SPLIT = "/api/v1/calculators/split"
SETTLE = "/api/v1/calculators/settle"


def _members(*names: str, **values: Any) -> list[dict[str, Any]]:
    return [{"name": n, **{k: v[i] for k, v in values.items()}} for i, n in enumerate(names)]


def _amounts(body: dict[str, Any]) -> dict[str, str]:
    return {a["name"]: a["amount"] for a in body["allocations"]}


def _problem(response: Any, field: str, words: str) -> None:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["status"] == 422
    fields = {e["field"]: e["message"] for e in problem.get("errors", [])}
    assert any(f == field or f.startswith(field) for f in fields), problem
    assert words in problem["detail"] or any(words in m for m in fields.values()), problem


def test_equal_split_gives_the_extra_cent_to_the_first(client: TestClient) -> None:
    body = {
        "total": "100.00",
        "currency": "USD",
        "method": "equal",
        "members": _members("Ana", "Ben", "Cy"),
    }
    response = client.post(SPLIT, json=body)
    assert response.status_code == 200, response.text
    assert _amounts(response.json()) == {"Ana": "33.34", "Ben": "33.33", "Cy": "33.33"}
    assert response.json()["total"] == "100.00"


def test_each_method(client: TestClient) -> None:
    cases = [
        (
            {"method": "exact", "members": _members("A", "B", amount=["60.00", "40.00"])},
            {"A": "60.00", "B": "40.00"},
        ),
        (
            {"method": "percent", "members": _members("A", "B", "C", percent=["50", "25", "25"])},
            {"A": "50.00", "B": "25.00", "C": "25.00"},
        ),
        (
            {"method": "shares", "members": _members("A", "B", shares=["2", "1"])},
            {"A": "66.67", "B": "33.33"},
        ),
    ]
    for extra, expected in cases:
        response = client.post(SPLIT, json={"total": "100.00", "currency": "USD", **extra})
        assert response.status_code == 200, response.text
        assert _amounts(response.json()) == expected


def test_itemized_spreads_tax_and_tip_by_subtotal(client: TestClient) -> None:
    body = {
        "total": "66.00",
        "currency": "EUR",
        "method": "itemized",
        "members": _members("A", "B"),
        "items": [
            {"name": "pizza", "amount": "30.00", "members": ["A", "B"]},
            {"name": "wine", "amount": "30.00", "members": ["A"]},
        ],
        "tax": "3.00",
        "tip": "3.00",
    }
    response = client.post(SPLIT, json=body)
    assert response.status_code == 200, response.text
    # Subtotals 45 and 15: the 6.00 of tax and tip split 3:1.
    assert _amounts(response.json()) == {"A": "49.50", "B": "16.50"}


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (
            {"method": "percent", "members": _members("A", "B", percent=["50", "49.9"])},
            "percents",
            "add up to 99.9, not 100",
        ),
        (
            {"method": "exact", "members": _members("A", "B", amount=["60.00", "30.00"])},
            "amounts",
            "add up to 90.00 but the total is 100.00 (10.00 missing)",
        ),
        (
            {"method": "shares", "members": _members("A", "B", shares=["1", "0"])},
            "shares",
            "greater than zero",
        ),
        (
            {"method": "shares", "members": _members("A", "B", shares=["1", "-2"])},
            "shares",
            "greater than zero",
        ),
        (
            {"method": "exact", "members": _members("A", "B")},
            "members[0].amount",
            "needs an amount for every member",
        ),
        (
            {
                "method": "itemized",
                "members": _members("A"),
                "items": [{"amount": "100.00", "members": ["Zed"]}],
            },
            "items[0].members",
            "'Zed' is not a member",
        ),
        (
            {
                "method": "itemized",
                "members": _members("A"),
                "items": [{"amount": "90.00", "members": ["A"]}],
            },
            "total",
            "add up to 90.00, but the total is 100.00",
        ),
        ({"method": "equal", "members": _members("A", "A")}, "", "listed twice"),
        ({"method": "equal", "currency": "XYZ", "members": _members("A")}, "currency", "ISO 4217"),
        ({"method": "equal", "total": "10.001", "members": _members("A")}, "total", ""),
        ({"method": "equal", "total": 10.5, "members": _members("A")}, "total", ""),
        ({"method": "dice", "members": _members("A")}, "method", ""),
    ],
)
def test_bad_splits_say_what_is_wrong(
    client: TestClient, body: dict[str, Any], field: str, words: str
) -> None:
    request = {"total": "100.00", "currency": "USD", **body}
    _problem(client.post(SPLIT, json=request), field, words)


def test_settle_in_the_fewest_payments(client: TestClient) -> None:
    balances = [
        {"name": "A", "balance": "10.00"},
        {"name": "B", "balance": "-10.00"},
        {"name": "C", "balance": "25.00"},
        {"name": "D", "balance": "-5.00"},
        {"name": "E", "balance": "-20.00"},
    ]
    response = client.post(SETTLE, json={"currency": "USD", "balances": balances})
    assert response.status_code == 200, response.text
    payments = response.json()["payments"]
    assert len(payments) == 3
    left = {b["name"]: Decimal(b["balance"]) for b in balances}
    for p in payments:
        left[p["from"]] += Decimal(p["amount"])
        left[p["to"]] -= Decimal(p["amount"])
    assert set(left.values()) == {Decimal(0)}
    assert response.json()["greedy_payments"] >= len(payments)


@pytest.mark.parametrize(
    ("balances", "field", "words"),
    [
        (
            [{"name": "A", "balance": "10.00"}, {"name": "B", "balance": "-5.00"}],
            "balances",
            "add up to 5.00, not 0",
        ),
        (
            [{"name": "A", "balance": "1.00"}, {"name": "A", "balance": "-1.00"}],
            "balances[1].name",
            "listed twice",
        ),
        (
            [{"name": "A", "balance": "1.001"}, {"name": "B", "balance": "-1.001"}],
            "balances[0].balance",
            "",
        ),
    ],
)
def test_bad_settlements_say_what_is_wrong(
    client: TestClient, balances: list[dict[str, str]], field: str, words: str
) -> None:
    _problem(client.post(SETTLE, json={"currency": "USD", "balances": balances}), field, words)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    total=st.integers(min_value=1, max_value=10**9),
    weights=st.lists(st.integers(min_value=1, max_value=1000), min_size=1, max_size=12),
)
def test_a_shares_split_always_sums_to_the_total(
    client: TestClient, total: int, weights: list[int]
) -> None:
    body = {
        "total": str(Decimal(total) / 100),
        "currency": "USD",
        "method": "shares",
        "members": [{"name": f"m{i}", "shares": str(w)} for i, w in enumerate(weights)],
    }
    response = client.post(SPLIT, json=body)
    assert response.status_code == 200, response.text
    assert sum(Decimal(a["amount"]) for a in response.json()["allocations"]) == Decimal(total) / 100
