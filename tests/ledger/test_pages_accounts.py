"""Account pages as a browser uses them: the list with balances and totals, the account
form, closing and reopening, reconciliation and exchange rates. Each runs on SQLite and
PostgreSQL; data is set up through the JSON API (the services), and checked back there.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from babel.numbers import format_currency
from fastapi.testclient import TestClient

from coffer.core.money import from_minor
from coffer.db.session import Database
from coffer.ledger import service
from tests.conftest import ApiUser
from tests.pages import HTML, post_form, sign_in, text

TODAY = date.today()


def _months_ago(months: int, day: int = 10) -> date:
    year, month = TODAY.year, TODAY.month - months
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, day)


def usd(amount: str) -> str:
    return format_currency(Decimal(amount), "USD", locale="en_US")


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def make_account(client: TestClient, user: ApiUser, name: str, **fields: Any) -> dict[str, Any]:
    body = {"type": "checking", "currency": "USD", "opening_on": "2025-01-01", **fields}
    result: dict[str, Any] = _ok(
        client.post("/api/v1/accounts", json={"name": name, **body}, headers=user.headers), 201
    )
    return result


def post_txn(
    client: TestClient, user: ApiUser, account_id: str, amount: str, on: date, payee: str
) -> str:
    body = {"account_id": account_id, "amount": amount, "posted_on": on.isoformat(), "payee": payee}
    created = _ok(client.post("/api/v1/transactions", json=body, headers=user.headers), 201)
    return str(created["id"])


def accounts_via_api(client: TestClient, user: ApiUser) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = _ok(client.get("/api/v1/accounts", headers=user.headers))
    return result


@pytest.fixture
def browser(client: TestClient, alice: ApiUser) -> TestClient:
    return sign_in(client, alice)


@pytest.fixture
def second_browser(app: Any) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as other:
        yield other


def _join(client: TestClient, owner: ApiUser, user: ApiUser, role: str) -> str:
    tenant_id = owner.personal_tenant_id
    invitation = _ok(
        client.post(
            f"/api/v1/tenants/{tenant_id}/invitations", headers=owner.headers, json={"role": role}
        ),
        201,
    )
    token = str(invitation["url"]).rsplit("/", 1)[-1]
    accepted = client.post(f"/api/v1/invitations/{token}/accept", headers=user.headers)
    assert accepted.status_code < 300, accepted.text
    return tenant_id


# --- the list ---------------------------------------------------------------------------


def test_an_empty_household_is_invited_to_add_its_first_account(browser: TestClient) -> None:
    page = browser.get("/accounts", headers=HTML)
    assert page.status_code == 200
    body = text(page)
    assert "Add your first account" in body
    assert 'href="/accounts/new"' in body
    assert "Net worth" not in body
    assert "$0.00" not in body


def test_the_list_shows_the_service_balances_by_group_with_base_currency_and_totals(
    browser: TestClient, alice: ApiUser, database: Database
) -> None:
    opened = _months_ago(5, 1).isoformat()
    checking = make_account(
        browser,
        alice,
        "Everyday",
        opening_balance="1000.00",
        opening_on=opened,
        institution="Harbor Bank",
        account_number="12-3456-7890",
    )
    for months, amount in ((4, "-120.50"), (2, "250.25"), (0, "-40.00")):
        post_txn(browser, alice, checking["id"], amount, _months_ago(months), "Grocer")
    card = make_account(
        browser, alice, "Visa", type="credit_card", opening_balance="-250.00", opening_on=opened
    )
    savings = make_account(
        browser, alice, "Euro savings", type="savings", currency="EUR", opening_balance="1000.00"
    )
    make_account(browser, alice, "London pot", currency="GBP", opening_balance="10.00")
    old = make_account(browser, alice, "Old account", opening_balance="0")
    _ok(
        browser.post(
            "/api/v1/fx-rates",
            json={"rate_on": "2025-01-01", "base": "EUR", "quote": "USD", "rate": "1.1"},
            headers=alice.headers,
        ),
        201,
    )
    _ok(browser.post(f"/api/v1/accounts/{old['id']}/close", json={}, headers=alice.headers))

    with database.unit_of_work(
        user_id=uuid.UUID(alice.id), tenant_id=uuid.UUID(alice.personal_tenant_id)
    ) as session:
        accounts = service.list_accounts(session, tenant_id=uuid.UUID(alice.personal_tenant_id))
        balances = {
            a.name: (a.currency, amount) for a, amount in _balances(session, accounts).items()
        }

    page = browser.get("/accounts", headers=HTML)
    assert page.status_code == 200
    body = text(page)
    # Every balance is the service's, written the household's way.
    assert balances["Everyday"] == ("USD", 108975)  # 1000 - 120.50 + 250.25 - 40
    for code, amount in balances.values():
        assert format_currency(from_minor(amount, code), code, locale="en_US") in body
    assert usd("1089.75") in body
    assert usd("-250.00") in body
    assert "€1,000.00" in body
    assert "≈ $1,100.00" in body
    assert "£10.00" in body
    assert "No GBP to USD rate yet" in body
    # Groups, details, links.
    for heading in ("Cash and bank", "Credit"):
        assert heading in body
    assert "Harbor Bank" in body
    assert "7890" in body
    assert "12-3456-7890" not in body
    assert f'href="/accounts/{checking["id"]}"' in body
    assert f'href="/accounts/{card["id"]}"' in body
    assert f'href="/accounts/{savings["id"]}/edit"' in body
    # Totals in USD: assets 1089.75 + 1100 = 2189.75; liabilities 250; GBP left out.
    assert usd("2189.75") in body
    assert usd("250.00") in body
    assert usd("1939.75") in body
    assert "Left out of the totals" in body
    assert "London pot (GBP)" in body
    # A 12-month trend for the account with history, drawn as inline SVG.
    assert re.search(r'<polyline class="sparkline-line" points="[\d., ]+"', page.text)
    assert "Balance trend: $1,000.00 at the end of" in body
    # The closed account is folded away.
    closed_part = body.split("Closed accounts (1)")[1]
    assert "Old account" in closed_part
    assert "Old account" not in body.split("Closed accounts (1)")[0]


def _balances(session: Any, accounts: list[Any]) -> dict[Any, int]:
    tenant_id = accounts[0].tenant_id
    found = service.balances(session, tenant_id=tenant_id, accounts=accounts)
    return {a: found[a.id] for a in accounts}


# --- the form ---------------------------------------------------------------------------


def test_bad_input_is_422_with_field_messages_and_creates_nothing(
    browser: TestClient, alice: ApiUser
) -> None:
    form = {
        "name": "",
        "type": "checking",
        "currency": "ZZZ",
        "opening_balance": "lots",
        "opening_on": "2026-02-30",
        "credit_limit": "500",
    }
    response = post_form(browser, "/accounts/new", form)
    assert response.status_code == 422
    body = text(response)
    assert "Please check the form" in body
    assert "Choose a currency from the list." in body
    assert "Enter an amount as a number, like 1234.56." in body
    assert "Enter a date as year-month-day" in body
    assert 'aria-invalid="true"' in body
    assert accounts_via_api(browser, alice) == []

    # The service's own rules come back beside their fields too.
    make_account(browser, alice, "Everyday")
    again = {
        "name": "everyday",
        "type": "checking",
        "currency": "USD",
        "opening_balance": "0",
        "opening_on": "2026-01-01",
    }
    response = post_form(browser, "/accounts/new", again)
    assert response.status_code == 422
    body = text(response)
    assert "Another account already has this name" in body
    assert len(accounts_via_api(browser, alice)) == 1


def test_create_then_edit_an_account(browser: TestClient, alice: ApiUser) -> None:
    page = browser.get("/accounts/new", headers=HTML)
    assert page.status_code == 200
    assert 'name="credit_limit"' in page.text
    assert 'name="interest_rate"' in page.text
    created = post_form(
        browser,
        "/accounts/new",
        {
            "name": "Rewards card",
            "type": "credit_card",
            "currency": "USD",
            "opening_balance": "-1,234.50",
            "opening_on": "2026-01-15",
            "institution": "Maple Credit",
            "account_number": "4111 1111 1111 4321",
            "credit_limit": "5,000",
            "interest_rate": "19.99",
            "include_in_budget": "on",
            "notes": "Pays on the 3rd",
        },
    )
    assert created.status_code == 303, created.text
    assert created.headers["location"] == "/accounts"
    [account] = accounts_via_api(browser, alice)
    assert account["type"] == "credit_card"
    assert account["opening_balance"] == "-1234.50"
    assert account["credit_limit"] == "5000.00"
    assert account["interest_rate"] == "19.99"
    assert account["last_four"] == "4321"
    assert account["has_account_number"] is True
    assert account["notes"] == "Pays on the 3rd"
    listed = text(browser.get("/accounts", headers=HTML))
    assert "Rewards card is ready" in listed
    assert usd("-1234.50") in listed

    edit = text(browser.get(f"/accounts/{account['id']}/edit", headers=HTML))
    assert 'value="Rewards card"' in edit
    assert "ending in 4321" in edit
    assert "4111" not in edit  # the full number is write-only
    assert 'value="-1234.50"' in edit

    saved = post_form(
        browser,
        f"/accounts/{account['id']}/edit",
        {
            "name": "Travel card",
            "type": "credit_card",
            "currency": "USD",
            "opening_balance": "-1234.50",
            "opening_on": "2026-01-15",
            "institution": "Maple Credit",
            "last_four": "4321",
            "credit_limit": "6000",
            "interest_rate": "",
            "notes": "",
        },
    )
    assert saved.status_code == 303, saved.text
    [changed] = accounts_via_api(browser, alice)
    assert changed["name"] == "Travel card"
    assert changed["credit_limit"] == "6000.00"
    assert changed["interest_rate"] is None
    assert changed["include_in_budget"] is False
    assert changed["has_account_number"] is True  # left empty: kept

    refused = post_form(
        browser,
        f"/accounts/{account['id']}/edit",
        {
            "name": "Renamed",
            "type": "savings",
            "currency": "USD",
            "opening_balance": "0",
            "opening_on": "2026-01-15",
            "credit_limit": "100",
        },
    )
    assert refused.status_code == 422
    assert "Applies only to credit cards and credit lines" in text(refused)
    [unchanged] = accounts_via_api(browser, alice)
    assert unchanged["name"] == "Travel card"
    assert unchanged["type"] == "credit_card"

    cleared = post_form(
        browser,
        f"/accounts/{account['id']}/edit",
        {
            "name": "Travel card",
            "type": "credit_card",
            "currency": "USD",
            "opening_balance": "-1234.50",
            "opening_on": "2026-01-15",
            "clear_account_number": "on",
        },
    )
    assert cleared.status_code == 303, cleared.text
    [final] = accounts_via_api(browser, alice)
    assert final["has_account_number"] is False
    assert final["last_four"] is None


def test_close_and_reopen_ask_first(browser: TestClient, alice: ApiUser) -> None:
    account = make_account(browser, alice, "Old savings", type="savings", opening_balance="12.00")
    confirm = browser.get(f"/accounts/{account['id']}/close", headers=HTML)
    assert confirm.status_code == 200
    body = text(confirm)
    assert "Close Old savings?" in body
    assert "not zero" in body
    assert accounts_via_api(browser, alice)[0]["closed_on"] is None  # asking changes nothing

    bad = post_form(browser, f"/accounts/{account['id']}/close", {"closed_on": "2024-12-31"})
    assert bad.status_code == 422
    assert accounts_via_api(browser, alice)[0]["closed_on"] is None

    closed = post_form(browser, f"/accounts/{account['id']}/close", {"closed_on": "2026-02-01"})
    assert closed.status_code == 303
    assert accounts_via_api(browser, alice)[0]["closed_on"] == "2026-02-01"
    listed = text(browser.get("/accounts", headers=HTML))
    assert "Closed accounts (1)" in listed
    assert "Every account is closed." in listed
    assert f'href="/accounts/{account["id"]}/reopen"' in listed

    assert "Reopen Old savings?" in text(
        browser.get(f"/accounts/{account['id']}/reopen", headers=HTML)
    )
    reopened = post_form(browser, f"/accounts/{account['id']}/reopen")
    assert reopened.status_code == 303
    assert accounts_via_api(browser, alice)[0]["closed_on"] is None
    assert "Old savings is open again." in text(browser.get("/accounts", headers=HTML))


# --- who may do what --------------------------------------------------------------------


def test_a_viewer_sees_no_edit_buttons_and_every_post_is_403(
    client: TestClient, second_browser: TestClient, alice: ApiUser, bob: ApiUser
) -> None:
    account = make_account(client, alice, "Everyday", opening_balance="50.00")
    tenant_id = _join(client, alice, bob, "viewer")
    sign_in(second_browser, bob)
    switched = post_form(second_browser, "/tenants/switch", {"tenant_id": tenant_id})
    assert switched.status_code == 303

    page = text(second_browser.get("/accounts", headers=HTML))
    assert "Everyday" in page
    assert usd("50.00") in page
    assert 'href="/accounts/new"' not in page
    assert "/edit" not in page
    assert "/close" not in page
    assert "/reconcile" not in page
    rates = text(second_browser.get("/fx-rates", headers=HTML))
    assert "Add a rate" not in rates
    assert "Upload a file" not in rates
    reconcile = text(second_browser.get(f"/accounts/{account['id']}/reconcile", headers=HTML))
    assert "Start reconciling" not in reconcile

    assert second_browser.get("/accounts/new", headers=HTML).status_code == 403
    form = {"name": "Mine", "type": "checking", "currency": "USD", "opening_on": "2026-01-01"}
    assert post_form(second_browser, "/accounts/new", form).status_code == 403
    assert post_form(second_browser, f"/accounts/{account['id']}/edit", form).status_code == 403
    assert post_form(second_browser, f"/accounts/{account['id']}/close").status_code == 403
    statement = {"statement_on": "2026-01-31", "statement_balance": "50"}
    assert (
        post_form(second_browser, f"/accounts/{account['id']}/reconcile", statement).status_code
        == 403
    )
    rate = {"rate_on": "2026-01-01", "base": "EUR", "quote": "USD", "rate": "1.1"}
    assert post_form(second_browser, "/fx-rates", rate).status_code == 403
    assert len(accounts_via_api(client, alice)) == 1
    assert accounts_via_api(client, alice)[0]["closed_on"] is None


def test_another_households_account_is_not_found(
    client: TestClient, second_browser: TestClient, alice: ApiUser, bob: ApiUser
) -> None:
    account = make_account(client, alice, "Alice's secret account")
    sign_in(second_browser, bob)
    assert "Alice's secret account" not in text(second_browser.get("/accounts", headers=HTML))
    for path in ("edit", "close", "reopen", "reconcile"):
        response = second_browser.get(f"/accounts/{account['id']}/{path}", headers=HTML)
        assert response.status_code == 404, path
    assert post_form(second_browser, f"/accounts/{account['id']}/close").status_code == 404
    form = {"name": "Taken", "type": "checking", "currency": "USD", "opening_on": "2026-01-01"}
    assert post_form(second_browser, f"/accounts/{account['id']}/edit", form).status_code == 404
    [still] = accounts_via_api(client, alice)
    assert still["name"] == "Alice's secret account"
    assert still["closed_on"] is None


# --- reconciliation ---------------------------------------------------------------------


def _statuses(client: TestClient, user: ApiUser, account_id: str) -> dict[str, str]:
    page = _ok(client.get(f"/api/v1/accounts/{account_id}/register", headers=user.headers))
    return {row["id"]: row["status"] for row in page["items"]}


def test_reconciliation_shows_the_difference_and_finish_locks_the_ticked(
    browser: TestClient, alice: ApiUser
) -> None:
    account = make_account(browser, alice, "Everyday", opening_balance="100.00")
    aid = account["id"]
    rent = post_txn(browser, alice, aid, "-20.00", date(2026, 1, 5), "Corner shop")
    gym = post_txn(browser, alice, aid, "-30.00", date(2026, 1, 9), "Gym")
    pay = post_txn(browser, alice, aid, "50.00", date(2026, 1, 20), "Salary")
    later = post_txn(browser, alice, aid, "-5.00", date(2026, 2, 3), "After the statement")

    start = browser.get(f"/accounts/{aid}/reconcile", headers=HTML)
    assert start.status_code == 200
    assert "Start reconciling" in text(start)
    bad = post_form(browser, f"/accounts/{aid}/reconcile", {"statement_on": "2026-01-31"})
    assert bad.status_code == 422
    assert "Enter the statement's closing balance." in text(bad)

    # Start, think better of it, start again; then correct the statement's balance.
    statement = {"statement_on": "2026-01-31", "statement_balance": "999.00"}
    assert post_form(browser, f"/accounts/{aid}/reconcile", statement).status_code == 303
    body = text(browser.get(f"/accounts/{aid}/reconcile", headers=HTML))
    cancelled = post_form(
        browser, f"/accounts/{aid}/reconcile/cancel", {"reconciliation": _reconciliation_id(body)}
    )
    assert cancelled.status_code == 303
    assert "Start reconciling" in text(browser.get(f"/accounts/{aid}/reconcile", headers=HTML))
    assert post_form(browser, f"/accounts/{aid}/reconcile", statement).status_code == 303
    body = text(browser.get(f"/accounts/{aid}/reconcile", headers=HTML))
    assert 'data-difference="899.00"' in body
    correction = {"reconciliation": _reconciliation_id(body), "statement_on": "2026-01-31"}
    fix = f"/accounts/{aid}/reconcile/statement"
    wrong = post_form(browser, fix, {**correction, "statement_balance": "1.001"})
    assert wrong.status_code == 422
    assert "decimal places" in text(wrong)
    corrected = post_form(browser, fix, {**correction, "statement_balance": "130"})
    assert corrected.status_code == 303
    body = text(browser.get(f"/accounts/{aid}/reconcile", headers=HTML))
    # Nothing ticked: cleared balance 100, statement 130, difference 30.
    assert 'data-difference="30.00"' in body
    assert "Corner shop" in body
    assert "Salary" in body
    assert "Gym" in body
    assert "After the statement" not in body

    # One tick as htmx sends it: the figures come back.
    fragment = browser.post(
        f"/accounts/{aid}/reconcile/toggle",
        data={
            "csrf_token": _csrf_of(browser, aid),
            "reconciliation": _reconciliation_id(body),
            "transaction_id": gym,
            "cleared": [gym],
        },
        headers={**HTML, "HX-Request": "true"},
    )
    assert fragment.status_code == 200
    assert 'data-difference="60.00"' in fragment.text  # 130 - (100 - 30)
    assert "<html" not in fragment.text
    assert _statuses(browser, alice, aid)[gym] == "cleared"

    # Finishing with a difference is refused with a clear message, and locks nothing.
    refused = post_form(
        browser, f"/accounts/{aid}/reconcile/finish", {"reconciliation": _reconciliation_id(body)}
    )
    assert refused.status_code == 422
    assert "differ by 60.00 USD" in text(refused)
    assert "reconciled" not in _statuses(browser, alice, aid).values()

    # Without JavaScript every tick goes at once: the shop and the salary, not the gym.
    shown = [("shown", t) for t in (rent, gym, pay)]
    ticks = post_form(
        browser,
        f"/accounts/{aid}/reconcile/ticks",
        [("reconciliation", _reconciliation_id(body)), *shown, ("cleared", rent), ("cleared", pay)],
    )
    assert ticks.status_code == 303
    body = text(browser.get(f"/accounts/{aid}/reconcile", headers=HTML))
    assert 'data-difference="0.00"' in body
    assert "You can finish." in body

    finished = post_form(
        browser, f"/accounts/{aid}/reconcile/finish", {"reconciliation": _reconciliation_id(body)}
    )
    assert finished.status_code == 303
    statuses = _statuses(browser, alice, aid)
    assert statuses[rent] == statuses[pay] == "reconciled"
    assert statuses[gym] == "pending"
    assert statuses[later] == "pending"
    after = text(browser.get(f"/accounts/{aid}/reconcile", headers=HTML))
    assert "2 transactions are now locked" in after
    assert "Earlier reconciliations" in after
    assert "Start reconciling" in after


def _reconciliation_id(body: str) -> str:
    match = re.search(r'name="reconciliation" value="([0-9a-f-]{36})"', body)
    assert match, "the page carries the reconciliation's id"
    return match.group(1)


def _csrf_of(client: TestClient, account_id: str) -> str:
    page = client.get(f"/accounts/{account_id}/reconcile", headers=HTML)
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
    assert match
    return match.group(1)


# --- exchange rates ---------------------------------------------------------------------


def _rates(client: TestClient, user: ApiUser, **params: str) -> list[dict[str, Any]]:
    page = _ok(client.get("/api/v1/fx-rates", params=params, headers=user.headers))
    return list(page["items"])


def test_fx_rates_add_upload_delete_filter_and_convert(browser: TestClient, alice: ApiUser) -> None:
    empty = text(browser.get("/fx-rates", headers=HTML))
    assert "No rates yet" in empty

    added = post_form(
        browser,
        "/fx-rates",
        {"rate_on": "2026-01-31", "base": "EUR", "quote": "USD", "rate": "1.0842"},
    )
    assert added.status_code == 303
    assert [(r["base"], r["quote"], r["rate"]) for r in _rates(browser, alice)] == [
        ("EUR", "USD", "1.0842")
    ]

    bad = post_form(
        browser, "/fx-rates", {"rate_on": "2026-01-31", "base": "EUR", "quote": "EUR", "rate": "x"}
    )
    assert bad.status_code == 422
    assert "Enter a rate as a number" in text(bad)
    same = post_form(
        browser, "/fx-rates", {"rate_on": "2026-01-31", "base": "EUR", "quote": "EUR", "rate": "2"}
    )
    assert same.status_code == 422
    assert "Must differ from the base currency" in text(same)
    assert len(_rates(browser, alice)) == 1

    good_csv = b"date,base,quote,rate\n2026-02-01,GBP,USD,1.2710\n2026-02-01,EUR,USD,1.09\n"
    uploaded = _upload(browser, good_csv)
    assert uploaded.status_code == 303
    assert "Rates imported: 2 new rates, 0 changed." in text(browser.get("/fx-rates", headers=HTML))
    assert len(_rates(browser, alice)) == 3

    broken = b"2026-02-02,GBP,USD,1.27\n2026-13-01,GBP,USD,1.2\nnot,a,rate\n2026-02-03,GBP,XYZ,1\n"
    refused = _upload(browser, broken)
    assert refused.status_code == 422
    body = text(refused)
    assert "nothing was imported" in body
    assert "line 2: date '2026-13-01' is not YYYY-MM-DD" in body
    assert "line 3: expected 4 columns" in body
    assert "line 4:" in body
    assert len(_rates(browser, alice)) == 3
    assert _upload(browser, b"").status_code == 422

    filtered = text(browser.get("/fx-rates?base=GBP&quote=USD", headers=HTML))
    assert "1 GBP = 1.271 USD" in filtered
    assert "1 EUR = 1.0842 USD" not in filtered

    converted = text(
        browser.get("/fx-rates?amount=100&from=EUR&to=USD&on=2026-02-15", headers=HTML)
    )
    assert "€100.00" in converted
    assert "$109.00" in converted
    reverse = text(browser.get("/fx-rates?amount=109&from=USD&to=EUR&on=2026-02-15", headers=HTML))
    assert "€100.00" in reverse
    missing = text(browser.get("/fx-rates?amount=5&from=JPY&to=USD&on=2026-02-15", headers=HTML))
    assert "No JPY/USD rate is known" in missing

    gbp = _rates(browser, alice, base="GBP")[0]
    deleted = post_form(browser, f"/fx-rates/{gbp['id']}/delete")
    assert deleted.status_code == 303
    assert _rates(browser, alice, base="GBP") == []
    assert "Rate deleted: 1 GBP = 1.271 USD" in text(browser.get("/fx-rates", headers=HTML))


def _upload(client: TestClient, content: bytes) -> Any:
    page = client.get("/fx-rates", headers=HTML)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
    assert token
    return client.post(
        "/fx-rates/import",
        data={"csrf_token": token.group(1)},
        files={"file": ("rates.csv", content, "text/csv")},
        headers=HTML,
        follow_redirects=False,
    )


def test_a_trend_needs_two_months_of_history(browser: TestClient, alice: ApiUser) -> None:
    make_account(browser, alice, "Brand new", opening_on=TODAY.isoformat(), opening_balance="5")
    body = text(browser.get("/accounts", headers=HTML))
    assert "Trend after a month" in body


def test_month_end_balances_agree_with_the_balance_on_each_month_end(book: Any) -> None:
    from calendar import monthrange

    from coffer.ledger.trends import month_end_balances

    opened = _months_ago(7, 1)
    account = book.account("Everyday", opening_balance=Decimal("100.00"), opening_on=opened)
    for months, amount in ((9, "-1.00"), (6, "-20.50"), (6, "5.25"), (3, "300.00"), (0, "-0.75")):
        book.post(account.id, amount, posted_on=_months_ago(months, 20))
    with book.uow() as session:
        points = month_end_balances(
            session, tenant_id=book.tenant_id, accounts=[account], months=12, today=TODAY
        )[account.id]
        assert points[0].month == opened  # nothing before the first day
        assert len(points) == 8
        for point in points:
            last = point.month.replace(day=monthrange(point.month.year, point.month.month)[1])
            expected = service.balance(session, tenant_id=book.tenant_id, account=account, on=last)
            assert point.balance_minor == expected, point.month
