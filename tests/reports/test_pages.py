"""The report pages as a browser sees them, on SQLite and PostgreSQL: every figure the
service computes is on the page and links to its drill-down, filters apply, bad input
re-renders the form (422), a viewer reads, another household's ids are refused.
Figures are compared with the reports API, which shapes the same service results.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from babel.numbers import format_currency
from fastapi.testclient import TestClient

from tests.conftest import ApiUser
from tests.pages import HTML, post_form, sign_in, text

START, END = date(2025, 1, 1), date(2025, 3, 31)
PERIOD = {"date_from": START.isoformat(), "date_to": END.isoformat()}
PAGES = [
    "monthly-summary",
    "cash-flow",
    "income-statement",
    "net-worth",
    "top-merchants",
    "spending-by-tag",
    "category-trend",
]


def usd(amount: str) -> str:
    return format_currency(Decimal(amount), "USD", locale="en_US")


def _api(client: TestClient, user: ApiUser, method: str, path: str, **body: Any) -> Any:
    response = client.request(method, "/api/v1" + path, json=body or None, headers=user.headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


def _links(page: str) -> set[str]:
    return {h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', page)}


def _figures(node: Any) -> Iterator[dict[str, str]]:
    """Every {amount, drilldown} of an API answer."""
    if isinstance(node, dict):
        if "drilldown" in node and "amount" in node:
            yield node
        for value in node.values():
            yield from _figures(value)
    elif isinstance(node, list):
        for value in node:
            yield from _figures(value)


@pytest.fixture
def browser(client: TestClient, alice: ApiUser) -> TestClient:
    return sign_in(client, alice)


@pytest.fixture
def household(browser: TestClient, alice: ApiUser) -> dict[str, str]:
    cats = {c["name"]: str(c["id"]) for c in _api(browser, alice, "GET", "/categories")}
    account = {"type": "checking", "currency": "USD", "opening_on": "2024-12-01"}
    checking = str(_api(browser, alice, "POST", "/accounts", name="Everyday", **account)["id"])
    savings = str(_api(browser, alice, "POST", "/accounts", name="Rainy day", **account)["id"])

    holiday = str(_api(browser, alice, "POST", "/tags", name="holiday")["id"])

    def txn(
        account_id: str, amount: str, payee: str, on: str, category: str | None, *tags: str
    ) -> None:
        body: dict[str, Any] = {
            "account_id": account_id,
            "amount": amount,
            "posted_on": on,
            "payee": payee,
            "tag_ids": list(tags),
        }
        if category:
            body["category_id"] = cats[category]
        _api(browser, alice, "POST", "/transactions", **body)

    txn(checking, "3000.00", "Acme payroll", "2025-01-05", "Salary")
    txn(checking, "-120.50", "Corner grocer", "2025-01-09", "Groceries")
    txn(checking, "-80.25", "Corner grocer", "2025-02-11", "Groceries")
    txn(checking, "-45.00", "Bistro", "2025-02-14", "Restaurants", holiday)
    txn(checking, "-1500.00", "Landlord", "2025-03-01", "Rent")
    txn(checking, "-10.00", "Mystery shop", "2025-03-02", None)
    txn(savings, "200.00", "Interest", "2025-03-31", None)
    return {
        "checking": checking,
        "savings": savings,
        "groceries": cats["Groceries"],
        "holiday": holiday,
    }


API = {
    "monthly-summary": "/reports/monthly-summary",
    "cash-flow": "/reports/cash-flow",
    "income-statement": "/reports/income-statement",
    "net-worth": "/reports/net-worth",
    "top-merchants": "/reports/top-merchants",
    "spending-by-tag": "/reports/spending-by-tag",
    "category-trend": "/reports/category-trend",
}


def _params(slug: str, household: dict[str, str]) -> str:
    extra = {"category_id": household["groceries"]} if slug == "category-trend" else {}
    return urlencode({**PERIOD, **extra})


@pytest.mark.parametrize("slug", PAGES)
def test_each_page_shows_the_service_figures_each_linked_to_its_drilldown(
    browser: TestClient, alice: ApiUser, household: dict[str, str], slug: str
) -> None:
    query = _params(slug, household)
    page = browser.get(f"/reports/{slug}?{query}", headers=HTML)
    assert page.status_code == 200, page.text
    body, links = text(page), _links(page.text)
    answer = _api(browser, alice, "GET", f"{API[slug]}?{query}")
    figures = list(_figures(answer))
    assert figures
    for figure in figures:
        assert usd(figure["amount"]) in body, figure
        assert figure["drilldown"] in links, figure
    assert 'aria-current="page"' in page.text
    assert 'href="/reports"' in page.text


def test_the_figures_add_up_and_a_drilldown_lists_their_transactions(
    browser: TestClient, alice: ApiUser, household: dict[str, str]
) -> None:
    body = text(browser.get(f"/reports/cash-flow?{urlencode(PERIOD)}", headers=HTML))
    assert usd("3200.00") in body  # money in: salary and interest
    assert usd("1755.75") in body  # money out
    assert usd("1444.25") in body  # net
    statement = browser.get(f"/reports/income-statement?{urlencode(PERIOD)}", headers=HTML)
    groceries = [
        h
        for h in _links(statement.text)
        if h.startswith("/transactions?") and household["groceries"] in h
    ]
    assert groceries
    listed = text(browser.get(groceries[0], headers=HTML))
    assert "Corner grocer" in listed
    assert "Bistro" not in listed
    assert "Landlord" not in listed


def test_the_filter_applies_and_carries_into_the_drilldowns(
    browser: TestClient, alice: ApiUser, household: dict[str, str]
) -> None:
    query = urlencode({**PERIOD, "account_ids": household["savings"]})
    page = browser.get(f"/reports/cash-flow?{query}", headers=HTML)
    assert page.status_code == 200
    body = text(page)
    assert usd("200.00") in body
    assert usd("3200.00") not in body
    drills = [h for h in _links(page.text) if h.startswith("/transactions?")]
    assert drills
    for href in drills:
        assert parse_qs(urlsplit(href).query)["account_ids"] == [household["savings"]]
    assert f'value="{household["savings"]}" checked' in page.text


def test_the_trend_waits_for_its_category_and_refuses_another_households(
    client: TestClient, browser: TestClient, bob: ApiUser, household: dict[str, str]
) -> None:
    page = browser.get("/reports/category-trend", headers=HTML)
    assert page.status_code == 200
    assert "Choose a category above" in page.text
    theirs = next(iter(c["id"] for c in _api(client, bob, "GET", "/categories")))
    refused = browser.get(f"/reports/category-trend?category_id={theirs}", headers=HTML)
    assert refused.status_code == 422
    assert 'id="field-category_id-error"' in refused.text
    bad = browser.get("/reports/category-trend?category_id=nope", headers=HTML)
    assert bad.status_code == 422


def test_opened_without_dates_a_report_covers_the_last_twelve_months(
    browser: TestClient, household: dict[str, str]
) -> None:
    page = browser.get("/reports/monthly-summary", headers=HTML)
    assert page.status_code == 200
    today = date.today()
    first = date(today.year - (1 if today.month < 12 else 0), today.month % 12 + 1, 1)
    assert f'value="{first.isoformat()}"' in page.text
    assert page.text.count('<th scope="col" class="num">') == 12 + 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_from": "not a date"}, "date_from"),
        ({"date_from": "2025-03-01", "date_to": "2025-01-01"}, "date_to"),
        ({"account_ids": "nope"}, "account_ids"),
        ({"date_from": "1900-01-01", "date_to": "2025-01-01"}, "date_from"),
    ],
)
@pytest.mark.parametrize("slug", ["monthly-summary", "net-worth"])
def test_bad_filter_input_shows_the_form_with_the_field_error(
    browser: TestClient, household: dict[str, str], params: dict[str, str], field: str, slug: str
) -> None:
    page = browser.get(f"/reports/{slug}?{urlencode(params)}", headers=HTML)
    assert page.status_code == 422, page.text
    assert f'id="field-{field}-error"' in page.text
    assert "Show the report" in page.text


def test_another_households_ids_are_refused(
    client: TestClient, browser: TestClient, bob: ApiUser, household: dict[str, str]
) -> None:
    theirs = _api(
        client,
        bob,
        "POST",
        "/accounts",
        name="Bob's",
        type="checking",
        currency="USD",
        opening_on="2025-01-01",
    )["id"]
    their_tag = _api(client, bob, "POST", "/tags", name="secret")["id"]
    for slug, params in [
        ("cash-flow", {"account_ids": theirs}),
        ("net-worth", {"account_ids": theirs}),
        ("monthly-summary", {"tag_ids": their_tag}),
    ]:
        page = browser.get(f"/reports/{slug}?{urlencode(params)}", headers=HTML)
        assert page.status_code == 422, (slug, page.text)
        assert "Bob's" not in page.text
        assert "secret" not in page.text


def test_a_viewer_reads_the_reports(
    app: Any, client: TestClient, alice: ApiUser, bob: ApiUser, household: dict[str, str]
) -> None:
    tenant = alice.personal_tenant_id
    invitation = _api(client, alice, "POST", f"/tenants/{tenant}/invitations", role="viewer")
    token = str(invitation["url"]).rsplit("/", 1)[-1]
    _api(client, bob, "POST", f"/invitations/{token}/accept")
    with TestClient(app) as other:
        sign_in(other, bob)
        assert post_form(other, "/tenants/switch", {"tenant_id": tenant}).status_code == 303
        page = other.get(f"/reports/cash-flow?{urlencode(PERIOD)}", headers=HTML)
        assert page.status_code == 200
        assert usd("3200.00") in text(page)


def test_the_index_lists_every_report(browser: TestClient) -> None:
    page = browser.get("/reports", headers=HTML)
    assert page.status_code == 200
    for slug in PAGES:
        assert f'href="/reports/{slug}"' in page.text


def test_a_merchant_drilldown_lists_that_merchants_transactions(
    browser: TestClient, alice: ApiUser, household: dict[str, str]
) -> None:
    answer = _api(browser, alice, "GET", f"/reports/top-merchants?{urlencode(PERIOD)}")
    grocer = next(m for m in answer["merchants"] if m["name"] == "Corner grocer")
    href = grocer["spending"]["drilldown"]
    assert "merchant_ids=" in href
    page = browser.get(href, headers=HTML)
    assert page.status_code == 200
    body = text(page)
    assert "Corner grocer" in body
    assert "Bistro" not in body
    assert "Landlord" not in body
    assert f'name="merchant_ids" value="{grocer["merchant_id"]}"' in page.text
    bad = browser.get("/transactions?merchant_ids=nope", headers=HTML)
    assert bad.status_code == 422


def test_the_dashboard_cards_lead_to_their_reports(
    browser: TestClient, alice: ApiUser, household: dict[str, str]
) -> None:
    # This month's cards show only once this month has activity.
    _api(
        browser,
        alice,
        "POST",
        "/transactions",
        account_id=household["checking"],
        amount="-12.00",
        posted_on=date.today().isoformat(),
        payee="Corner grocer",
        category_id=household["groceries"],
    )
    page = browser.get("/", headers=HTML)
    assert page.status_code == 200
    for href in ("/reports/net-worth", "/reports/cash-flow", "/reports/income-statement"):
        assert f'<a href="{href}">' in page.text, href
