"""The home dashboard as a browser sees it, on SQLite and PostgreSQL: a friendly start
for an empty household, every card's figures against the raw data and the pages its
links lead to, and the card registry (a failing card, a card from another module).
Data is made through the JSON API, as the ledger's page tests do.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from babel.numbers import format_currency
from fastapi.testclient import TestClient
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from coffer.reports import dashboard
from coffer.reports.dashboard import CardContext, dashboard_card
from tests.conftest import ApiUser
from tests.pages import HTML, sign_in, text

TODAY = date.today()
MONTH_START = TODAY.replace(day=1)
LAST_MONTH = MONTH_START - timedelta(days=1)


def usd(amount: str | Decimal) -> str:
    return format_currency(Decimal(amount), "USD", locale="en_US")


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def _api(client: TestClient, user: ApiUser, method: str, path: str, **body: Any) -> Any:
    status = 201 if method == "POST" else 200
    return _ok(client.request(method, "/api/v1" + path, json=body, headers=user.headers), status)


def _account(client: TestClient, user: ApiUser, name: str, **fields: Any) -> str:
    body = {"type": "checking", "currency": "USD", "opening_on": "2024-01-01", **fields}
    return str(_api(client, user, "POST", "/accounts", name=name, **body)["id"])


def _txn(
    client: TestClient,
    user: ApiUser,
    account_id: str,
    amount: str,
    payee: str,
    *,
    on: date = TODAY,
    category_id: str | None = None,
) -> str:
    body: dict[str, Any] = {
        "account_id": account_id,
        "amount": amount,
        "posted_on": on.isoformat(),
        "payee": payee,
    }
    if category_id:
        body["category_id"] = category_id
    return str(_api(client, user, "POST", "/transactions", **body)["id"])


def _categories(client: TestClient, user: ApiUser) -> dict[str, str]:
    """Default category ids by name (parents and children)."""
    return {c["name"]: str(c["id"]) for c in _api(client, user, "GET", "/categories")}


def _section(page: str, key: str) -> str:
    """The HTML of one card's slot."""
    match = re.search(rf'<section[^>]*id="card-{key}".*?</section>', page, re.S)
    assert match, f"no card {key!r} on the page"
    return match.group(0)


def _links(html: str) -> list[str]:
    return [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', html)]


def _query(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


@pytest.fixture
def browser(client: TestClient, alice: ApiUser) -> TestClient:
    return sign_in(client, alice)


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, dashboard.CardSpec]:
    """The card registry as the app has it, restored after the test."""
    dashboard.discover_cards()
    cards = dict(dashboard._CARDS)
    monkeypatch.setattr(dashboard, "_CARDS", cards)
    return cards


@pytest.fixture
def household(browser: TestClient, alice: ApiUser) -> dict[str, str]:
    """Two accounts with a month of activity, a transfer, and last month's spending."""
    cats = _categories(browser, alice)
    checking = _account(browser, alice, "Everyday", opening_balance="1000.00")
    card = _account(browser, alice, "Visa", type="credit_card", opening_balance="-200.00")
    ids = {
        "checking": checking,
        "card": card,
        "food": cats["Food"],
        "home": cats["Home"],
        "salary": _txn(
            browser, alice, checking, "3000.00", "Acme payroll", category_id=cats["Salary"]
        ),
        "groceries": _txn(
            browser, alice, card, "-120.50", "Corner grocer", category_id=cats["Groceries"]
        ),
        "dinner": _txn(browser, alice, card, "-45.00", "Bistro", category_id=cats["Restaurants"]),
        "rent": _txn(browser, alice, checking, "-1500.00", "Landlord", category_id=cats["Rent"]),
        "mystery": _txn(browser, alice, checking, "-10.00", "Mystery shop"),
        "old": _txn(
            browser,
            alice,
            checking,
            "-50.00",
            "Last month's grocer",
            on=LAST_MONTH,
            category_id=cats["Groceries"],
        ),
    }
    _api(
        browser,
        alice,
        "POST",
        "/transfers",
        from_account_id=checking,
        to_account_id=card,
        posted_on=TODAY.isoformat(),
        amount="165.50",
    )
    return ids


# --- the friendly start ---------------------------------------------------------------


def test_an_empty_household_sees_getting_started_not_zeros(browser: TestClient) -> None:
    page = text(browser.get("/", headers=HTML))
    assert "Getting started" in page
    assert "2 of 6 done" in page
    assert "Net worth" not in page
    assert "$0.00" not in page
    assert "chart.umd.min.js" not in page


def test_accounts_without_transactions_show_the_dashboard_and_the_next_step(
    browser: TestClient, alice: ApiUser
) -> None:
    _account(browser, alice, "Savings", type="savings", opening_balance="2500.00")
    page = text(browser.get("/", headers=HTML))
    assert "Hello, Alice Example" in page
    assert "3 of 6 done" in page  # sign-up's two, and the account
    assert 'href="/getting-started"' in page
    assert usd("2500.00") in _section(page, "net-worth")
    # Nothing happened this month yet: those cards wait rather than show zeros.
    assert 'id="card-cash-flow"' not in page
    assert 'id="card-spending"' not in page
    assert 'id="card-recent"' not in page
    steps = text(browser.get("/getting-started", headers=HTML))
    assert "3 of 6 done" in steps
    assert "See how the household is doing" in steps


# --- the figures and where they lead ----------------------------------------------------


def test_net_worth_equals_the_balances_and_the_accounts_page(
    browser: TestClient, alice: ApiUser, household: dict[str, str]
) -> None:
    page = text(browser.get("/", headers=HTML))
    card = _section(page, "net-worth")
    balances = {a["name"]: Decimal(a["balance"]) for a in _api(browser, alice, "GET", "/accounts")}
    # 1000 + 3000 - 1500 - 10 - 50 - 165.50 (sent) and -200 - 120.50 - 45 + 165.50.
    assert balances == {"Everyday": Decimal("2274.50"), "Visa": Decimal("-200.00")}
    total = sum(balances.values())
    assert usd(total) in card
    assert usd("2274.50") in card  # what you have
    assert usd("200.00") in card  # what you owe
    assert usd(total) in text(browser.get("/accounts", headers=HTML))
    # The trend table ends today with the same figure; last month's end is before the
    # month's activity: the opening balances and last month's grocer.
    rows = re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</th>\s*<td[^>]*>(.*?)</td>", card, re.S)
    assert len(rows) == 12
    assert rows[0] == (f"{TODAY.strftime('%b')} {TODAY.day}, {TODAY.year} (today)", usd(total))
    assert rows[1][1] == usd("750.00")
    assert "/accounts" in _links(card)


def test_cash_flow_counts_income_and_spending_without_transfers(
    browser: TestClient, household: dict[str, str]
) -> None:
    page = text(browser.get("/", headers=HTML))
    card = _section(page, "cash-flow")
    income, spending = Decimal("3000.00"), Decimal("1675.50")  # 120.50 + 45 + 1500 + 10
    assert usd(income) in card
    assert usd(spending) in card
    assert usd(income - spending) in card
    assert f"kept {round((income - spending) * 100 / income)}%" in card
    hrefs = {h for h in _links(card) if h.startswith("/transactions")}
    income_href = next(h for h in hrefs if "amount_min" in _query(h))
    spending_href = next(h for h in hrefs if "amount_max" in _query(h))
    for href in (income_href, spending_href):
        query = _query(href)
        assert query["date_from"] == [MONTH_START.isoformat()]
        assert query["date_to"] == [TODAY.isoformat()]
        assert query["transfers"] == ["false"]
    # The drill-down lists exactly the transactions the figure adds up.
    listed = text(browser.get(spending_href, headers=HTML))
    for payee in ("Corner grocer", "Bistro", "Landlord", "Mystery shop"):
        assert payee in listed
    for payee in ("Acme payroll", "Last month's grocer", "Transfer to Visa"):
        assert payee not in listed
    listed = text(browser.get(income_href, headers=HTML))
    assert "Acme payroll" in listed
    assert "Landlord" not in listed


def test_spending_by_category_rolls_up_to_parents_and_links_to_them(
    browser: TestClient, household: dict[str, str]
) -> None:
    page = text(browser.get("/", headers=HTML))
    card = _section(page, "spending")
    items = re.findall(
        r'<a class="dash-category-name" href="([^"]+)">(.*?)</a>\s*<a class="amount[^"]*" '
        r'href="[^"]+"[^>]*>(.*?)</a>\s*<span class="dash-share">(\d+)%',
        card,
    )
    shown = [(name, amount, int(share)) for _, name, amount, share in items]
    assert shown == [
        ("Home", usd("1500.00"), 89),
        ("Food", usd("165.50"), 10),
        ("Not categorised yet", usd("10.00"), 1),
    ]
    assert usd("1675.50") in card  # the card's total
    food_href = items[1][0].replace("&amp;", "&")
    assert _query(food_href) == {
        "date_from": [MONTH_START.isoformat()],
        "date_to": [TODAY.isoformat()],
        "category_ids": [household["food"]],
        "transfers": ["false"],
    }
    listed = text(browser.get(food_href, headers=HTML))
    assert "Corner grocer" in listed
    assert "Bistro" in listed
    assert "Landlord" not in listed
    assert "Last month's grocer" not in listed
    uncategorised = _query(items[2][0].replace("&amp;", "&"))
    assert uncategorised["uncategorised"] == ["true"]
    assert "Mystery shop" in text(browser.get(items[2][0].replace("&amp;", "&"), headers=HTML))
    # The chart's data block carries the same figures as the list.
    assert '"values": ["1500.00", "165.50", "10.00"]' in card.replace("&#34;", '"')


def test_the_month_cards_say_what_the_reports_say_for_the_same_days(
    browser: TestClient, alice: ApiUser, household: dict[str, str]
) -> None:
    """One definition of income and spending: a split with a refund line and an
    uncategorised refund count on the dashboard exactly as in the reports."""
    cats = _categories(browser, alice)
    _api(
        browser,
        alice,
        "POST",
        "/transactions",
        account_id=household["checking"],
        posted_on=TODAY.isoformat(),
        amount="-60.00",
        payee="Split shop",
        splits=[
            {"amount": "-80.00", "category_id": cats["Groceries"]},
            {"amount": "20.00", "category_id": cats["Restaurants"]},
        ],
    )
    _txn(browser, alice, household["checking"], "4.00", "Mystery refund")
    period = f"date_from={MONTH_START.isoformat()}&date_to={TODAY.isoformat()}"
    flow = _api(browser, alice, "GET", f"/reports/cash-flow?{period}")
    statement = _api(browser, alice, "GET", f"/reports/income-statement?{period}")
    page = text(browser.get("/", headers=HTML))
    cash = _section(page, "cash-flow")
    assert usd(flow["money_in"]["amount"]) in cash
    assert usd(flow["money_out"]["amount"]) in cash
    assert flow["money_out"]["amount"] == "1755.50"  # the split's -80 line is money out
    spending = _section(page, "spending")
    # The uncategorised refund does not hide the uncategorised spending.
    assert statement["uncategorised"]["amount"] == "-6.00"
    assert flow["uncategorised_out"]["amount"] == "10.00"
    total = Decimal(statement["spending_total"]["amount"]) + Decimal("10.00")
    assert total == Decimal("1735.50")  # 1500 + 165.50 + (80 - 20), and 10 uncategorised
    assert usd(total) in spending
    assert usd("10.00") in spending
    for row in statement["spending"]:
        assert usd(row["amount"]["amount"]) in spending
        assert row["amount"]["drilldown"] in spending


def test_accounts_and_recent_transactions_link_to_their_pages(
    browser: TestClient, household: dict[str, str]
) -> None:
    page = text(browser.get("/", headers=HTML))
    accounts = _section(page, "accounts")
    assert "Cash and bank" in accounts
    assert "Credit" in accounts
    assert f'href="/accounts/{household["checking"]}">Everyday' in accounts
    assert f'href="/accounts/{household["card"]}">Visa' in accounts
    assert usd("2274.50") in accounts
    assert usd("-200.00") in accounts
    recent = _section(page, "recent")
    rows = re.findall(r'<li>\s*<span class="dash-recent-main">', recent)
    # Newest first: this month's five and the transfer's two legs, then last month's.
    assert len(rows) == 8
    assert f'href="/transactions/{household["salary"]}/edit"' in recent
    assert recent.index("Last month's grocer") > recent.index("Landlord")
    assert "Transfer to Visa" in recent
    assert browser.get(f"/transactions/{household['salary']}/edit", headers=HTML).status_code == 200


# --- the registry --------------------------------------------------------------------------


def test_the_ledger_cards_are_registered_in_order(registry: dict[str, dashboard.CardSpec]) -> None:
    cards = dashboard.registered_cards()
    # Other capabilities' cards may sit between the ledger's.
    ledger = [c.key for c in cards if c.load.__module__ == "coffer.ledger.cards"]
    assert ledger == ["net_worth", "cash_flow", "spending", "recent", "accounts"]
    assert cards[0].href == "/reports/net-worth"
    assert cards[0].template == "ledger/cards/net_worth.html"
    with pytest.raises(ValueError, match="card key"):
        dashboard_card(key="Not a key", title="x", order=1)
    with pytest.raises(ValueError, match="give the card a template"):
        dashboard_card(key="no_template", title="x", order=1)(lambda _s, _c: None)


def test_a_failing_card_does_not_break_the_dashboard(
    browser: TestClient, household: dict[str, str], registry: dict[str, dashboard.CardSpec]
) -> None:
    @dashboard_card(key="broken_query", title="Broken query", order=15, template="x.html")
    def broken_query(session: Session, ctx: CardContext) -> object:
        # On PostgreSQL a failed statement aborts the transaction: the savepoint
        # around each card keeps the cards after it working.
        return session.execute(sql("SELECT * FROM no_such_table")).all()

    @dashboard_card(key="broken_template", title="Broken template", order=16, template="nope.html")
    def broken_template(session: Session, ctx: CardContext) -> object:
        return {"anything": 1}

    response = browser.get("/", headers=HTML)
    assert response.status_code == 200
    page = text(response)
    for key in ("broken-query", "broken-template"):
        assert "could not be loaded" in _section(page, key)
    for key in ("net-worth", "cash-flow", "spending", "accounts", "recent"):
        assert "could not be loaded" not in _section(page, key)
    assert usd("3000.00") in _section(page, "cash-flow")


def test_a_card_from_another_module_appears_without_editing_the_dashboard(
    app: Any,
    browser: TestClient,
    household: dict[str, str],
    registry: dict[str, dashboard.CardSpec],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = app.state.templates.env
    partial = '<p class="goal">{{ data.name }}: {{ data.saved|money(base_currency) }}</p>'
    monkeypatch.setattr(
        env, "loader", ChoiceLoader([DictLoader({"goals/cards/goal.html": partial}), env.loader])
    )
    seen: list[uuid.UUID] = []

    @dashboard_card(key="goal", title="Savings goal", order=25, template="goals/cards/goal.html")
    def goal(session: Session, ctx: CardContext) -> dict[str, Any]:
        seen.append(ctx.tenant_id)
        return {"name": "Holiday", "saved": Decimal("640.00")}

    @dashboard_card(key="nothing", title="Nothing to say", order=26, template="x.html")
    def nothing(session: Session, ctx: CardContext) -> None:
        return None

    page = text(browser.get("/", headers=HTML))
    assert '<p class="goal">Holiday: $640.00</p>' in _section(page, "goal")
    assert 'id="card-nothing"' not in page
    order = [
        m.group(1)
        for m in re.finditer(r'<section class="card dash-card[^"]*" id="card-([a-z-]+)"', page)
    ]
    assert order == ["net-worth", "cash-flow", "goal", "spending", "recent", "accounts"]
    assert len(seen) == 1
