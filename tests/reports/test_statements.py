"""Printable statements on SQLite and PostgreSQL: the figures (held against the report
service, the ledger's balances and sums worked out by hand), the PDF's text (read back
with pypdf), names outside Latin-1, missing exchange rates named, the same bytes for
the same statement, and the API: attachments, 422 for a bad month or year, 404 for
another household's account, a viewer downloads, documented in OpenAPI."""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from babel.numbers import format_currency, format_decimal
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import update

from coffer.core.money import from_minor
from coffer.db.session import Database
from coffer.ledger import service as ledger
from coffer.ledger.models import AccountType, CategoryKind
from coffer.reports import service, statements
from coffer.reports.engine import ReportFilter
from coffer.reports.exports import pdf
from coffer.tenancy.models import Tenant
from tests.conftest import ApiUser
from tests.ledger.conftest import Book
from tests.reports.exports.conftest import build_household

API = "/api/v1/exports/statements"
PROBLEM = "application/problem+json"
GENERATED = datetime(2026, 3, 5, 9, 30, tzinfo=UTC)
FEBRUARY = date(2026, 2, 1)
HOUSEHOLD_NAME = "Zoë & Ωμέγα household"


# --- helpers --------------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    """The text of every page, spaces collapsed (a table cell may wrap)."""
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"\s+", " ", text)


def usd(minor: int) -> str:
    return format_currency(from_minor(minor, "USD"), "USD", locale="en_US")


def num(minor: int, code: str = "USD") -> str:
    digits = 0 if code == "JPY" else 3 if code == "BHD" else 2
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(from_minor(minor, code), format=pattern, locale="en_US")


def cents(amount: str) -> int:
    return int(Decimal(amount) * 100)


def _tenant(session: Any, book: Book) -> Tenant:
    tenant = session.get(Tenant, book.tenant_id)
    assert tenant is not None
    return tenant


def _monthly(book: Book, month: date = FEBRUARY, **kwargs: Any) -> statements.Statement:
    with book.uow() as s:
        return statements.monthly_statement(
            s, tenant=_tenant(s, book), month=month, generated_at=GENERATED, **kwargs
        )


def _annual(book: Book, year: int = 2026, **kwargs: Any) -> statements.Statement:
    with book.uow() as s:
        return statements.annual_statement(
            s, tenant=_tenant(s, book), year=year, generated_at=GENERATED, **kwargs
        )


# --- a household with figures worked out by hand --------------------------------------


@pytest.fixture
def home(book: Book) -> dict[str, uuid.UUID]:
    """Checking, savings, a euro account and a yen wallet (no yen rate), opened in
    December 2025; January, February and March 2026 of transactions."""
    opened = date(2025, 12, 1)
    with book.uow() as s:
        s.execute(update(Tenant).where(Tenant.id == book.tenant_id).values(name=HOUSEHOLD_NAME))
    ids = {
        "checking": book.account(
            "Checking", opening_balance=Decimal("1000.00"), opening_on=opened
        ).id,
        "savings": book.account(
            "Savings",
            type=AccountType.savings,
            opening_balance=Decimal("500.00"),
            opening_on=opened,
        ).id,
        "euro": book.account(
            "Épargne Ünïcode Ωμέγα",
            currency="EUR",
            type=AccountType.savings,
            opening_balance=Decimal("100.00"),
            opening_on=opened,
        ).id,
        "yen": book.account(
            "東京 wallet", currency="JPY", type=AccountType.cash, opening_on=opened
        ).id,
    }
    with book.uow() as s:
        salary = ledger.create_category(s, **book.scope, name="Salary", kind=CategoryKind.income)
        food = ledger.create_category(s, **book.scope, name="Food", kind=CategoryKind.expense)
        groceries = ledger.create_category(
            s, **book.scope, name="Groceries", kind=CategoryKind.expense, parent_id=food.id
        )
        rent = ledger.create_category(s, **book.scope, name="Rent", kind=CategoryKind.expense)
        ids.update(salary=salary.id, food=food.id, groceries=groceries.id, rent=rent.id)
        ledger.add_rate(
            s, **book.scope, rate_on=opened, base="EUR", quote="USD", rate=Decimal("1.10")
        )
    checking, euro = ids["checking"], ids["euro"]
    book.post(checking, "-100.00", posted_on=date(2026, 1, 15), payee="Diner", category_id=food.id)
    book.post(checking, "3000.00", posted_on=date(2026, 2, 1), payee="Employer",
              category_id=salary.id)  # fmt: skip
    book.post(checking, "-1200.00", posted_on=date(2026, 2, 2), payee="Landlord",
              category_id=rent.id)  # fmt: skip
    book.post(checking, "-80.25", posted_on=date(2026, 2, 5), payee="Corner Shop",
              category_id=groceries.id)  # fmt: skip
    book.post(checking, "-19.75", posted_on=date(2026, 2, 6), payee="Bakery", category_id=food.id)
    book.post(checking, "-10.00", posted_on=date(2026, 2, 7), payee="Mystery")
    book.post(euro, "-20.00", posted_on=date(2026, 2, 12), payee="Café Ωμέγα",
              category_id=groceries.id)  # fmt: skip
    book.post(ids["yen"], "-1000", posted_on=date(2026, 2, 14), payee="ラーメン屋",
              category_id=food.id)  # fmt: skip
    book.post(checking, "-50.00", posted_on=date(2026, 3, 1), payee="Later")
    with book.uow() as s:
        ledger.create_transfer(
            s,
            **book.scope,
            from_account_id=checking,
            to_account_id=ids["savings"],
            posted_on=date(2026, 2, 10),
            amount=Decimal("250.00"),
            memo="Rainy day",
        )
    return ids


# --- the figures ------------------------------------------------------------------------


def test_monthly_figures_match_the_hand_sums_the_reports_and_the_balances(
    book: Book, home: dict[str, uuid.UUID]
) -> None:
    statement = _monthly(book)
    assert (statement.date_from, statement.date_to) == (date(2026, 2, 1), date(2026, 2, 28))
    assert statement.household == HOUSEHOLD_NAME
    assert statement.currency == "USD"
    # Income 3000; spending 1200 + 80.25 + 19.75 + 20 EUR at 1.10; the transfer is neither.
    assert statement.income_minor == cents("3000.00")
    assert statement.spending_minor == cents("1322.00")
    assert statement.uncategorised_minor == cents("-10.00")
    assert statement.net_minor == cents("1668.00")
    # Net worth: 900 + 500 + 110 (100 EUR) at January's end; 2340 + 750 + 88 at
    # February's (the yen wallet has no rate and is named, not guessed).
    assert statement.net_worth_start_minor == cents("1510.00")
    assert statement.net_worth_end_minor == cents("3178.00")
    assert ("JPY", date(2026, 2, 14)) in statement.missing_rates
    assert ("JPY", date(2026, 2, 28)) in statement.missing_rates

    with book.uow() as s:
        filters = ReportFilter(date_from=date(2026, 2, 1), date_to=date(2026, 2, 28))
        report = service.income_statement(
            s, tenant_id=book.tenant_id, base_currency="USD", filters=filters
        )
        worth = service.net_worth_history(
            s,
            tenant_id=book.tenant_id,
            base_currency="USD",
            filters=ReportFilter(date_from=date(2026, 1, 1), date_to=date(2026, 2, 28)),
        )
        assert statement.income_minor == report.income_total.amount_minor
        assert statement.spending_minor == report.spending_total.amount_minor
        assert statement.uncategorised_minor == report.uncategorised.amount_minor
        assert statement.net_minor == report.net.amount_minor
        assert [r.name for r in statement.spending] == [r.name for r in report.spending]
        assert statement.net_worth_start_minor == worth.points[0].net_worth.amount_minor
        assert statement.net_worth_end_minor == worth.points[1].net_worth.amount_minor
        accounts = {a.account_id: a for a in statement.accounts}
        assert set(accounts) == {home[k] for k in ("checking", "savings", "euro", "yen")}
        for account in ledger.list_accounts(s, tenant_id=book.tenant_id):
            row = accounts[account.id]
            assert row.opening_minor == ledger.balance(
                s, tenant_id=book.tenant_id, account=account, on=date(2026, 1, 31)
            )
            assert row.closing_minor == ledger.balance(
                s, tenant_id=book.tenant_id, account=account, on=date(2026, 2, 28)
            )
            assert row.opening_minor + row.money_in_minor - row.money_out_minor == (
                row.closing_minor
            )
            assert row.lines is not None
            assert len(row.lines) == row.count
            assert row.lines[-1].balance_minor == row.closing_minor

    checking = accounts[home["checking"]]
    assert (
        checking.opening_minor,
        checking.money_in_minor,
        checking.money_out_minor,
        checking.closing_minor,
    ) == (cents("900.00"), cents("3000.00"), cents("1560.00"), cents("2340.00"))
    assert checking.lines is not None
    assert [line.balance_minor for line in checking.lines] == [
        cents(v) for v in ("3900.00", "2700.00", "2619.75", "2600.00", "2590.00", "2340.00")
    ]
    transfer = checking.lines[-1]
    assert transfer.transfer
    assert transfer.category == "Transfer to Savings"
    savings = accounts[home["savings"]]
    assert savings.lines is not None
    assert savings.lines[0].category == "Transfer from Checking"
    groceries = checking.lines[2]
    assert groceries.category == "Food › Groceries"
    assert checking.lines[4].category == "Uncategorised"


def test_monthly_pdf_prints_the_service_figures(book: Book, home: dict[str, uuid.UUID]) -> None:
    statement = _monthly(book)
    data = pdf.render(statement)
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    assert "Monthly statement" in text
    assert "February 2026" in text
    assert HOUSEHOLD_NAME in text
    for figure in (
        statement.net_worth_start_minor,
        statement.income_minor,
        statement.spending_minor,
        statement.uncategorised_minor,
        statement.net_minor,
        statement.net_worth_end_minor,
    ):
        assert usd(figure) in text, usd(figure)
    # The hand sums, as printed: the summary and the per-account balances.
    for printed in ("$1,510.00", "$3,000.00", "$1,322.00", "-$10.00", "$1,668.00", "$3,178.00"):
        assert printed in text, printed
    for printed in ("$900.00", "$1,560.00", "$2,340.00", "$750.00", "€100.00", "€80.00"):
        assert printed in text, printed
    # Categories with their children, and the transactions with running balances.
    assert f"Groceries {num(cents('102.25'))}" in text
    assert f"Food {num(cents('122.00'))}" in text
    assert f"Rent {num(cents('1200.00'))}" in text
    for balance in ("3,900.00", "2,700.00", "2,619.75", "2,600.00", "2,590.00", "2,340.00"):
        assert balance in text, balance
    assert "Transfer to Savings" in text
    assert "Transfer from Checking" in text
    assert "Épargne Ünïcode Ωμέγα" in text
    assert "Café Ωμέγα" in text
    assert "Missing exchange rates" in text
    assert "JPY on Feb 14, 2026" in text
    # March's transaction is not in February's statement.
    assert "Later" not in text
    reader = PdfReader(io.BytesIO(data))
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.5)  # A4
    assert f"Page 1 of {len(reader.pages)}" in (reader.pages[0].extract_text() or "")


def test_annual_statement_month_by_month(book: Book, home: dict[str, uuid.UUID]) -> None:
    statement = _annual(book)
    assert (statement.date_from, statement.date_to) == (date(2026, 1, 1), date(2026, 12, 31))
    assert [m.month for m in statement.months] == [date(2026, m, 1) for m in range(1, 13)]
    january, february, march = statement.months[:3]
    assert (january.income_minor, january.spending_minor, january.net_minor) == (
        0,
        cents("100.00"),
        cents("-100.00"),
    )
    assert (february.income_minor, february.spending_minor, february.net_minor) == (
        cents("3000.00"),
        cents("1322.00"),
        cents("1668.00"),
    )
    assert (march.uncategorised_minor, march.net_minor) == (cents("-50.00"), cents("-50.00"))
    assert january.net_worth_minor == cents("1510.00")
    assert february.net_worth_minor == cents("3178.00")
    assert statement.income_minor == cents("3000.00")
    assert statement.spending_minor == cents("1422.00")
    assert statement.net_minor == cents("1518.00")
    assert statement.net_worth_start_minor == cents("1610.00")
    assert statement.net_worth_end_minor == cents("3128.00")
    assert all(a.lines is None for a in statement.accounts)
    with book.uow() as s:
        summary = service.monthly_summary(
            s,
            tenant_id=book.tenant_id,
            base_currency="USD",
            filters=ReportFilter(date_from=date(2026, 1, 1), date_to=date(2026, 12, 31)),
        )
    assert [m.net_minor for m in statement.months] == [f.amount_minor for f in summary.net.months]
    assert statement.net_minor == summary.net.total.amount_minor

    text = pdf_text(pdf.render(statement))
    assert "Annual statement" in text
    assert "Month by month" in text
    assert "does not list transactions" in text
    assert "Landlord" not in text
    assert (
        f"February {num(cents('3000.00'))} {num(cents('1322.00'))} {num(cents('-10.00'))} "
        f"{num(cents('1668.00'))} {num(cents('3178.00'))}"
    ) in text
    for printed in ("$1,610.00", "$3,128.00", "$1,422.00", "$1,518.00", "$2,290.00"):
        assert printed in text, printed


def test_account_filter_narrows_every_figure(book: Book, home: dict[str, uuid.UUID]) -> None:
    statement = _monthly(book, account_ids=[home["savings"]])
    assert statement.account_names == ["Savings"]
    assert [a.account_id for a in statement.accounts] == [home["savings"]]
    assert (statement.income_minor, statement.spending_minor, statement.net_minor) == (0, 0, 0)
    assert statement.net_worth_start_minor == cents("500.00")
    assert statement.net_worth_end_minor == cents("750.00")
    text = pdf_text(pdf.render(statement))
    assert "Accounts Savings" in text
    assert "Employer" not in text


def test_another_households_account_is_not_found(
    book: Book, other_book: Book, home: dict[str, uuid.UUID]
) -> None:
    theirs = other_book.account("Theirs").id
    with pytest.raises(Exception, match="account_ids") as refused:
        _monthly(book, account_ids=[theirs])
    assert getattr(refused.value, "status", None) == 404


def test_same_statement_same_bytes(book: Book, home: dict[str, uuid.UUID]) -> None:
    statement = _monthly(book)
    first, second = pdf.render(statement), pdf.render(statement)
    assert first == second
    reader = PdfReader(io.BytesIO(first))
    assert reader.metadata is not None
    assert reader.metadata.creation_date == GENERATED
    assert pdf.filename(statement) == "coffer-statement-2026-02.pdf"
    assert pdf.filename(_annual(book)) == "coffer-statement-2026.pdf"


def test_an_empty_household_and_names_beyond_latin_1(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """Accents, €, CJK, BHD's three decimals, JPY's none: nothing crashes, what the
    font cannot draw shows as U+FFFD, rates missing for yen and dinar are named, and a
    year without data still prints."""
    home = build_household(database)
    book = home.book
    statement = _monthly(book, month=date(2025, 3, 1))
    text = pdf_text(pdf.render(statement))
    assert "Épargne € (Livret A)" in text
    assert "\ufffd\ufffd wallet" in text  # 東京 wallet
    assert "missing the following glyphs" not in caplog.text
    # Named by day: the month's transactions and both month ends.
    assert "BHD on Feb 28, 2025, Mar 5, 2025, Mar 6, 2025, Mar 31, 2025" in text
    assert "JPY on Feb 28, 2025, Mar 3, 2025, Mar 4, 2025, Mar 31, 2025" in text
    dinar = next(a for a in statement.accounts if a.currency == "BHD")
    assert num(dinar.closing_minor, "BHD") in text
    # Closed in January: not in March's statement; in January's, marked closed.
    assert all(a.name != "Old savings" for a in statement.accounts)
    january = _monthly(book, month=date(2025, 1, 1))
    old = next(a for a in january.accounts if a.name == "Old savings")
    assert old.closed_on == date(2025, 1, 31)
    assert "closed Jan 31, 2025" in pdf_text(pdf.render(january))
    year = _annual(book, year=2025)
    assert pdf.render(year).startswith(b"%PDF-")
    empty = _annual(book, year=2024)
    assert empty.income_minor == empty.spending_minor == 0
    assert pdf.render(empty).startswith(b"%PDF-")


def test_parsing_months_and_years() -> None:
    assert statements.parse_month("2026-03") == date(2026, 3, 1)
    assert statements.parse_month(" 2026-3 ") == date(2026, 3, 1)
    assert statements.parse_year("2025") == 2025
    for bad in ("2026-13", "2026-00", "March", "", "2026-03-01", "1899-12"):
        with pytest.raises(Exception, match="month"):
            statements.parse_month(bad)
    for bad in ("20x5", "", "1899", "99999", "2025.5"):
        with pytest.raises(Exception, match="year"):
            statements.parse_year(bad)
    assert statements.last_complete_month(date(2026, 1, 15)) == date(2025, 12, 1)
    assert statements.last_complete_month(date(2026, 3, 1)) == date(2026, 2, 1)
    assert statements.last_complete_year(date(2026, 1, 1)) == 2025


# --- the API ------------------------------------------------------------------------------


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _problem(response: Any, status: int, field: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert field in {e["field"] for e in response.json().get("errors", [])}, response.json()


def _seed(client: TestClient, user: ApiUser) -> dict[str, str]:
    h = user.headers

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        return dict(_ok(client.post(f"/api/v1/{path}", headers=h, json=body), 201))

    account = {"type": "checking", "currency": "USD", "opening_on": "2025-12-01"}
    checking = post("accounts", {"name": "Everyday", "opening_balance": "250.00", **account})
    savings = post("accounts", {"name": "Rainy day", **account})
    wages = post("categories", {"name": "Statement wages", "kind": "income"})
    food = post("categories", {"name": "Statement food", "kind": "expense"})
    for day, amount, payee, category in (
        ("2026-02-01", "2500.00", "Payroll", wages["id"]),
        ("2026-02-03", "-64.30", "Grocer", food["id"]),
        ("2026-02-04", "-15.70", "Unknown shop", None),
    ):
        body = {"account_id": checking["id"], "posted_on": day, "amount": amount, "payee": payee}
        if category:
            body["category_id"] = category
        post("transactions", body)
    post(
        "transfers",
        {
            "from_account_id": checking["id"],
            "to_account_id": savings["id"],
            "posted_on": "2026-02-20",
            "amount": "400.00",
        },
    )
    return {"checking": checking["id"], "savings": savings["id"]}


def test_api_monthly_and_annual_downloads(client: TestClient, alice: ApiUser) -> None:
    ids = _seed(client, alice)
    response = client.get(f"{API}/monthly.pdf?month=2026-02", headers=alice.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        'attachment; filename="coffer-statement-2026-02.pdf"'
    )
    text = pdf_text(response.content)
    period = "date_from=2026-02-01&date_to=2026-02-28"
    report = _ok(client.get(f"/api/v1/reports/income-statement?{period}", headers=alice.headers))
    for key in ("income_total", "spending_total", "uncategorised", "net"):
        printed = usd(cents(report[key]["amount"]))
        assert printed in text, (key, printed)
    assert "$2,420.00" in text  # net: 2500 - 64.30 - 15.70
    # Everyday: 250 + 2500 - 64.30 - 15.70 - 400; Rainy day: the transfer.
    assert "$2,270.00" in text
    assert "$400.00" in text
    accounts = _ok(client.get("/api/v1/accounts", headers=alice.headers))
    items = accounts["items"] if isinstance(accounts, dict) else accounts
    for account in items:
        assert usd(cents(account["balance"])) in text, account

    annual = client.get(f"{API}/annual.pdf?year=2026", headers=alice.headers)
    assert annual.status_code == 200, annual.text
    assert annual.headers["content-type"] == "application/pdf"
    assert 'filename="coffer-statement-2026.pdf"' in annual.headers["content-disposition"]
    assert "$2,420.00" in pdf_text(annual.content)

    only = client.get(
        f"{API}/monthly.pdf?month=2026-02&account_ids={ids['savings']}", headers=alice.headers
    )
    assert only.status_code == 200
    only_text = pdf_text(only.content)
    assert "Rainy day" in only_text
    assert "Payroll" not in only_text

    default = client.get(f"{API}/monthly.pdf", headers=alice.headers)
    assert default.status_code == 200
    last = (date.today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    assert f'filename="coffer-statement-{last}.pdf"' in default.headers["content-disposition"]
    default_year = client.get(f"{API}/annual.pdf", headers=alice.headers)
    assert (
        f"coffer-statement-{date.today().year - 1}.pdf"
        in (default_year.headers["content-disposition"])
    )


def test_api_refuses_bad_months_years_and_foreign_accounts(
    client: TestClient, alice: ApiUser, bob: ApiUser
) -> None:
    _seed(client, alice)
    h = alice.headers
    for bad in ("2026-13", "nope", "2026-02-01", "1899-12", ""):
        _problem(client.get(f"{API}/monthly.pdf?month={bad}", headers=h), 422, "month")
    for bad in ("20x5", "1899", "3000", "10000", ""):
        _problem(client.get(f"{API}/annual.pdf?year={bad}", headers=h), 422, "year")
    _problem(client.get(f"{API}/monthly.pdf?account_ids=nope", headers=h), 422, "account_ids.0")
    theirs = _ok(
        client.post(
            "/api/v1/accounts",
            headers=bob.headers,
            json={"name": "Bob's", "type": "checking", "currency": "USD"},
        ),
        201,
    )["id"]
    for path in ("monthly.pdf?month=2026-02", "annual.pdf?year=2026"):
        _problem(client.get(f"{API}/{path}&account_ids={theirs}", headers=h), 404, "account_ids")
    # Bob's own statement knows nothing of Alice's household.
    text = pdf_text(client.get(f"{API}/monthly.pdf?month=2026-02", headers=bob.headers).content)
    assert "Payroll" not in text
    assert "Everyday" not in text
    # And Alice's household is not Bob's to ask for.
    refused = client.get(
        f"{API}/monthly.pdf?month=2026-02", headers=bob.in_tenant(alice.personal_tenant_id)
    )
    assert refused.status_code == 404


def test_a_viewer_downloads_statements(client: TestClient, alice: ApiUser, bob: ApiUser) -> None:
    _seed(client, alice)
    tenant = alice.personal_tenant_id
    invitation = _ok(
        client.post(
            f"/api/v1/tenants/{tenant}/invitations", headers=alice.headers, json={"role": "viewer"}
        ),
        201,
    )
    token = str(invitation["url"]).rsplit("/", 1)[-1]
    accepted = client.post(f"/api/v1/invitations/{token}/accept", headers=bob.headers)
    assert accepted.status_code in (200, 201), accepted.text
    response = client.get(f"{API}/monthly.pdf?month=2026-02", headers=bob.in_tenant(tenant))
    assert response.status_code == 200, response.text
    assert "Payroll" in pdf_text(response.content)


def test_openapi_documents_the_statements(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    for path, param in ((f"{API}/monthly.pdf", "month"), (f"{API}/annual.pdf", "year")):
        operation = paths[path]["get"]
        assert operation["summary"]
        assert "application/pdf" in operation["responses"]["200"]["content"]
        assert "exports" in operation["tags"]
        assert {param, "account_ids"} <= {p["name"] for p in operation["parameters"]}
