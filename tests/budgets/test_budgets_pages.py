"""The budgets pages as a browser uses them, on SQLite and PostgreSQL: the empty page,
a budget added through the form, refused forms (422, nothing changed), the page with
its bars, links and sections, editing, amounts from history, archive and delete, the
dashboard card, a viewer, and another household's budget."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import ApiUser
from tests.pages import HTML, post_form, sign_in, text

API = "/api/v1"


def words(response: Any) -> str:
    """The page's text without its tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", text(response)).split()).replace(" .", ".")


def _ok(response: Any, code: int = 200) -> Any:
    assert response.status_code == code, response.text
    return response.json() if response.content else None


def _household(client: TestClient, user: ApiUser) -> dict[str, Any]:
    h = user.headers
    account = _ok(
        client.post(
            f"{API}/accounts",
            headers=h,
            json={"name": "Checking", "type": "checking", "currency": "USD"},
        ),
        201,
    )
    categories = {c["name"]: c["id"] for c in _ok(client.get(f"{API}/categories", headers=h))}
    first = date.today().replace(day=1)
    for category, amount in (("Groceries", "-120.00"), ("Restaurants", "-30.00")):
        _ok(
            client.post(
                f"{API}/transactions",
                headers=h,
                json={
                    "account_id": account["id"],
                    "posted_on": first.isoformat(),
                    "amount": amount,
                    "category_id": categories[category],
                },
            ),
            201,
        )
    return {"account": account["id"], "categories": categories, "first": first}


def _form(**values: str) -> dict[str, str]:
    base = {
        "category_id": "",
        "amount": "",
        "period_kind": "month",
        "start_day": "",
        "anchor": "",
        "rollover": "none",
        "starts_on": "",
        "user_id": "",
        "notes": "",
    }
    base.update(values)
    return base


def test_budgets_pages(client: TestClient, alice: ApiUser) -> None:
    setup = _household(client, alice)
    categories = setup["categories"]
    browser = sign_in(client, alice)
    empty = browser.get("/budgets", headers=HTML)
    assert empty.status_code == 200
    assert "No budgets yet" in text(empty)
    assert browser.get("/budgets/new", headers=HTML).status_code == 200

    refused = post_form(
        browser,
        "/budgets",
        _form(category_id=categories["Food"], amount="lots", period_kind="month_from_day"),
    )
    assert refused.status_code == 422
    page = text(refused)
    assert "Amount: Enter an amount as a number" in page
    assert "Start day: Enter the day of the month" in page
    duplicate_free = _ok(client.get(f"{API}/budgets", headers=alice.headers))
    assert duplicate_free == []
    refused = post_form(
        browser,
        "/budgets",
        _form(category_id=categories["Salary"], amount="10", rollover="surplus"),
    )
    assert refused.status_code == 422
    assert "income plan does not roll over" in text(refused)

    added = post_form(browser, "/budgets", _form(category_id=categories["Food"], amount="200"))
    assert added.status_code == 303
    assert added.headers["location"].startswith("/budgets#budget-")
    post_form(browser, "/budgets", _form(category_id=categories["Salary"], amount="3000"))
    mine = post_form(
        browser,
        "/budgets",
        [
            *_form(category_id=categories["Restaurants"], amount="25", user_id=alice.id).items(),
            ("account_ids", setup["account"]),
        ],
    )
    assert mine.status_code == 303
    budgets = {
        b["category_name"]: b for b in _ok(client.get(f"{API}/budgets", headers=alice.headers))
    }
    assert budgets["Restaurants"]["account_ids"] == [setup["account"]]
    assert budgets["Restaurants"]["user_id"] == alice.id

    page = browser.get("/budgets", headers=HTML)
    assert page.status_code == 200
    body = text(page)
    assert "Household budgets" in body
    assert "Alice Example's own budgets" in body
    assert "Income: planned and received" in body
    assert "$150.00 spent of $200.00 (75%)" in words(page)
    assert "$50.00 left" in body
    assert "$5.00 over." in body  # Restaurants: 30 of 25
    assert "Over budget" in body
    assert f"category_ids={categories['Food']}" in body
    assert f"date_from={setup['first'].isoformat()}" in body
    assert "Groceries" in body  # the group budget's children
    odd = browser.get("/budgets?on=9999-12-31", headers=HTML)
    assert odd.status_code == 200
    assert "Showing today instead" in text(odd)
    assert "Showing today instead" in text(browser.get("/budgets?on=someday", headers=HTML))

    food = budgets["Food"]["id"]
    edit = browser.get(f"/budgets/{food}/edit", headers=HTML)
    assert edit.status_code == 200
    detail = browser.get(f"/budgets/{food}", headers=HTML)
    assert detail.status_code == 200
    shown = words(detail)
    assert "Available and spent, period by period" in shown
    assert "$200.00 to spend each calendar month, for Food and its subcategories" in shown
    assert 'data-chart="chart-budget"' in detail.text
    assert shown.count("Now") == 1  # this period's row, beside twelve earlier ones
    saved = post_form(
        browser,
        f"/budgets/{food}",
        _form(category_id=categories["Food"], amount="180", rollover="surplus", notes="less"),
    )
    assert saved.status_code == 303
    again = _ok(client.get(f"{API}/budgets/{food}", headers=alice.headers))
    assert again["amount"] == "180.00"
    assert again["rollover"] == "surplus"
    refused = post_form(
        browser, f"/budgets/{food}", _form(category_id=categories["Food"], amount="-5")
    )
    assert refused.status_code == 422
    assert "must be zero or more" in text(refused).lower()
    assert _ok(client.get(f"{API}/budgets/{food}", headers=alice.headers))["amount"] == "180.00"

    history = post_form(browser, f"/budgets/{food}/set-from-history", {"method": "last_period"})
    assert history.status_code == 303
    assert _ok(client.get(f"{API}/budgets/{food}", headers=alice.headers))["amount"] == "0.00"
    post_form(browser, "/budgets/set-from-history", {"method": "average_3"})

    dashboard = text(browser.get("/", headers=HTML))
    assert "Budgets this period" in dashboard

    archived = post_form(browser, f"/budgets/{food}/archive", {"archived": "yes"})
    assert archived.status_code == 303
    assert "1 archived budget is not shown" in text(browser.get("/budgets", headers=HTML))
    deleted = post_form(browser, f"/budgets/{food}/delete")
    assert deleted.status_code == 303
    assert client.get(f"{API}/budgets/{food}", headers=alice.headers).status_code == 404


def test_another_households_budget_pages_are_not_found(
    client: TestClient, alice: ApiUser, bob: ApiUser
) -> None:
    setup = _household(client, alice)
    food = _ok(
        client.post(
            f"{API}/budgets",
            headers=alice.headers,
            json={"category_id": setup["categories"]["Food"], "amount": "100"},
        ),
        201,
    )["id"]
    browser = sign_in(client, bob)
    assert browser.get(f"/budgets/{food}/edit", headers=HTML).status_code == 404
    assert post_form(browser, f"/budgets/{food}/delete").status_code == 404
    assert (
        post_form(
            browser, f"/budgets/{food}/set-from-history", {"method": "last_period"}
        ).status_code
        == 404
    )
    assert browser.get(f"/budgets/{food}", headers=HTML).status_code == 404
    assert "No budgets yet" in text(browser.get("/budgets", headers=HTML))
    assert _ok(client.get(f"{API}/budgets/{food}", headers=alice.headers))["amount"] == "100.00"
