"""The reports REST API on SQLite and PostgreSQL: shapes, filters, drill-downs that
reproduce their figures, field errors, and another household's data kept out."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import ApiUser

API = "/api/v1"
REPORTS = f"{API}/reports"
PROBLEM = "application/problem+json"
ROUTES = (
    "monthly-summary",
    "cash-flow",
    "income-statement",
    "net-worth",
    "spending-by-tag",
    "top-merchants",
)


def _ok(response: Any, code: int = 200) -> Any:
    assert response.status_code == code, response.text
    return response.json()


def _problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = dict(response.json())
    if field is not None:
        assert field in {e["field"] for e in body.get("errors", [])}, body
    return body


def _household(client: TestClient, user: ApiUser) -> dict[str, Any]:
    h = user.headers

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        return dict(_ok(client.post(f"{API}/{path}", headers=h, json=body), 201))

    checking = post("accounts", {"name": "Checking", "type": "checking", "currency": "USD"})
    euro = post("accounts", {"name": "Euro", "type": "savings", "currency": "EUR"})
    salary = post("categories", {"name": "Report wages", "kind": "income"})
    food = post("categories", {"name": "Report food", "kind": "expense"})
    groceries = post(
        "categories", {"name": "Report groceries", "kind": "expense", "parent_id": food["id"]}
    )
    trip = post("tags", {"name": "trip"})
    post("fx-rates", {"rate_on": "2026-02-01", "base": "EUR", "quote": "USD", "rate": "1.1"})

    def txn(account: dict[str, Any], day: str, amount: str, **body: Any) -> None:
        post(
            "transactions",
            {"account_id": account["id"], "posted_on": day, "amount": amount, **body},
        )

    txn(checking, "2026-01-31", "3000.00", category_id=salary["id"], payee="Employer")
    txn(checking, "2026-02-03", "-120.40", category_id=groceries["id"], payee="Corner Shop")
    txn(checking, "2026-02-10", "-30.00", category_id=food["id"], payee="Corner Shop")
    txn(checking, "2026-02-11", "12.00", category_id=groceries["id"], payee="Corner Shop")
    txn(checking, "2026-02-12", "-45.00", payee="Big Market", tag_ids=[trip["id"]])
    txn(euro, "2026-02-15", "-10.00", category_id=groceries["id"], tag_ids=[trip["id"]])
    txn(euro, "2026-01-15", "-5.00", category_id=groceries["id"])  # before any rate
    txn(
        checking,
        "2026-03-02",
        "-100.00",
        splits=[
            {"amount": "-70.00", "category_id": groceries["id"]},
            {"amount": "-30.00", "category_id": food["id"]},
        ],
    )
    post(
        "transfers",
        {
            "from_account_id": checking["id"],
            "to_account_id": euro["id"],
            "posted_on": "2026-02-20",
            "amount": "110.00",
            "fx_rate": "0.9",
        },
    )
    return {
        "checking": checking,
        "euro": euro,
        "salary": salary,
        "food": food,
        "groceries": groceries,
        "trip": trip,
    }


def _by_id(rows: list[dict[str, Any]], key: str, value: str) -> dict[str, Any]:
    return next(r for r in rows if r[key] == value)


def test_monthly_summary_shape_and_figures(client: TestClient, alice: ApiUser) -> None:
    h = _household(client, alice)
    body = _ok(
        client.get(
            f"{REPORTS}/monthly-summary?date_from=2026-01-01&date_to=2026-03-31",
            headers=alice.headers,
        )
    )
    assert body["currency"] == "USD"
    assert body["months"] == ["2026-01-01", "2026-02-01", "2026-03-01"]
    assert body["missing_rates"] == [{"currency": "EUR", "on": "2026-01-15"}]
    food = _by_id(body["spending"]["categories"], "category_id", h["food"]["id"])
    # February: 120.40 + 30.00 - 12.00 refund + 11.00 (10 EUR at 1.1); transfers left out.
    assert [f["amount"] for f in food["months"]] == ["0.00", "149.40", "100.00"]
    groceries = _by_id(food["children"], "category_id", h["groceries"]["id"])
    assert [f["amount"] for f in groceries["months"]] == ["0.00", "119.40", "70.00"]
    assert food["total"]["amount"] == "249.40"
    assert food["average"] == "83.13"
    assert [f["amount"] for f in body["income"]["months"]] == ["3000.00", "0.00", "0.00"]
    assert [f["amount"] for f in body["uncategorised"]["months"]] == ["0.00", "-45.00", "0.00"]
    assert body["net"]["total"]["amount"] == str(
        Decimal("3000.00") - Decimal("249.40") - Decimal("45.00")
    )
    february = food["months"][1]["drilldown"]
    assert february.startswith("/transactions?date_from=2026-02-01&date_to=2026-02-28")
    assert f"category_ids={h['food']['id']}" in february
    assert "transfers=false" in february


def test_drilldown_reproduces_its_figure(client: TestClient, alice: ApiUser) -> None:
    h = _household(client, alice)
    query = f"account_ids={h['checking']['id']}&date_from=2026-02-01&date_to=2026-02-28"
    body = _ok(client.get(f"{REPORTS}/monthly-summary?{query}", headers=alice.headers))
    food = _by_id(body["spending"]["categories"], "category_id", h["food"]["id"])
    figures = [food["total"], body["spending"]["total"], body["uncategorised"]["total"]]
    for figure, sign in zip(figures, (-1, -1, 1), strict=True):
        drill = figure["drilldown"].removeprefix("/transactions?")
        found = _ok(client.get(f"{API}/transactions?{drill}&limit=500", headers=alice.headers))
        total = sum(Decimal(t["amount_base"]) for t in found["items"])
        assert sign * total == Decimal(figure["amount"]), figure
    merchants = _ok(client.get(f"{REPORTS}/top-merchants?{query}", headers=alice.headers))
    shop = merchants["merchants"][0]
    assert (shop["name"], shop["spending"]["amount"], shop["count"]) == ("Corner Shop", "138.40", 3)
    drill = shop["spending"]["drilldown"].removeprefix("/transactions?")
    found = _ok(client.get(f"{API}/transactions?{drill}", headers=alice.headers))
    assert -sum(Decimal(t["amount"]) for t in found["items"]) == Decimal("138.40")


def test_other_reports(client: TestClient, alice: ApiUser) -> None:
    h = _household(client, alice)
    period = "date_from=2026-01-01&date_to=2026-03-31"
    flow = _ok(client.get(f"{REPORTS}/cash-flow?{period}", headers=alice.headers))
    assert [(m["money_in"]["amount"], m["money_out"]["amount"]) for m in flow["months"]] == [
        ("3000.00", "0.00"),
        ("12.00", "206.40"),
        ("0.00", "100.00"),
    ]
    statement = _ok(client.get(f"{REPORTS}/income-statement?{period}", headers=alice.headers))
    assert statement["income_total"]["amount"] == "3000.00"
    assert statement["spending_total"]["amount"] == "249.40"
    assert statement["net"]["amount"] == flow["net"]["amount"] == "2705.60"
    trend = _ok(
        client.get(
            f"{REPORTS}/category-trend?category_id={h['food']['id']}&{period}",
            headers=alice.headers,
        )
    )
    assert [p["amount"]["amount"] for p in trend["points"]] == ["0.00", "149.40", "100.00"]
    assert trend["points"][2]["month_over_month"] == {"amount": "-49.40", "percent": "-33.1"}
    assert trend["points"][0]["year_over_year"] is None
    tags = _ok(client.get(f"{REPORTS}/spending-by-tag?{period}", headers=alice.headers))
    assert [
        (t["name"], t["spending"]["amount"], t["uncategorised"]["amount"]) for t in tags["tags"]
    ] == [("trip", "11.00", "-45.00")]
    worth = _ok(
        client.get(
            f"{REPORTS}/net-worth?date_from=2026-01-01&date_to=2026-03-31", headers=alice.headers
        )
    )
    # Checking: 3000 - 120.40 - 30 + 12 - 45 - 110 = 2706.60 at February's end; the euro
    # account holds 99 - 10 - 5 = 84 EUR = 92.40 USD; January has no EUR rate.
    february = worth["points"][1]
    assert february["net_worth"]["amount"] == "2799.00"
    assert (february["assets"], february["liabilities"]) == ("2799.00", "0.00")
    euro = _by_id(worth["accounts"], "account_id", h["euro"]["id"])
    assert euro["balances"][0] is None
    assert {"currency": "EUR", "on": "2026-01-31"} in worth["missing_rates"]


def test_field_errors_are_problems(client: TestClient, alice: ApiUser) -> None:
    h = alice.headers
    for route in ROUTES:
        _problem(client.get(f"{REPORTS}/{route}?date_from=2026-13-01", headers=h), 422, "date_from")
        _problem(client.get(f"{REPORTS}/{route}?account_ids=nope", headers=h), 422, "account_ids.0")
        _problem(
            client.get(f"{REPORTS}/{route}?date_from=2026-03-01&date_to=2026-02-01", headers=h),
            422,
            "date_from",
        )
    _problem(client.get(f"{REPORTS}/category-trend", headers=h), 422, "category_id")
    _problem(client.get(f"{REPORTS}/top-merchants?limit=0", headers=h), 422, "limit")
    _problem(
        client.get(f"{REPORTS}/monthly-summary?date_from=1900-01-01&date_to=2026-01-01", headers=h),
        422,
        "date_from",
    )


def test_another_households_data_never_appears(
    client: TestClient, alice: ApiUser, bob: ApiUser
) -> None:
    h = _household(client, alice)
    for route in ROUTES:
        body = _ok(client.get(f"{REPORTS}/{route}", headers=bob.headers))
        text = str(body)
        for value in h.values():
            assert value["id"] not in text
        assert "Corner Shop" not in text
        assert "3000" not in text
    for field, key in (("account_ids", "checking"), ("category_ids", "food"), ("tag_ids", "trip")):
        _problem(
            client.get(f"{REPORTS}/monthly-summary?{field}={h[key]['id']}", headers=bob.headers),
            404,
            field,
        )
    _problem(
        client.get(f"{REPORTS}/category-trend?category_id={h['food']['id']}", headers=bob.headers),
        404,
        "category_id",
    )
