"""The cash-flow forecast through the service, on SQLite and PostgreSQL: a hand-computed
case with a bill, income and a remaining budget that dips below zero; thresholds;
flows from elsewhere (a fake of bills.scheduled_flows); bad input."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from coffer.budgets import bills, budgets, forecast
from coffer.budgets.models import BalanceThreshold
from coffer.db.types import configure_encryption
from coffer.errors import NotFound, ValidationFailed
from coffer.ledger import service as ledger
from coffer.ledger.models import AccountType, CategoryKind
from tests.conftest import ENCRYPTION_KEY
from tests.ledger.conftest import Book, make_book

TODAY = date(2026, 4, 28)


@pytest.fixture(autouse=True)
def _encryption() -> None:
    configure_encryption([ENCRYPTION_KEY])


@pytest.fixture
def book(database: Any) -> Book:
    return make_book(database, "Alice")


def _household(book: Book) -> tuple[uuid.UUID, uuid.UUID]:
    """Checking at 900.00 after 100.00 of groceries in April; rent 800.00 on the 1st,
    salary 1,500.00 on the 15th, groceries budgeted at 300.00 a month."""
    checking = book.account("Checking", opening_balance=Decimal("1000.00"))
    savings = book.account("Savings", type=AccountType.savings, opening_balance=Decimal("5000.00"))
    with book.uow() as s:
        groceries = ledger.create_category(
            s, **book.scope, name="Groceries", kind=CategoryKind.expense
        )
        gid = groceries.id
    book.post(checking.id, "-100.00", posted_on=date(2026, 4, 10), category_id=gid)
    with book.uow() as s:
        bills.create_bill(
            s,
            **book.scope,
            name="Rent",
            payee="Landlord",
            amount_min=Decimal("800.00"),
            rrule="FREQ=MONTHLY;BYMONTHDAY=1",
            first_due=date(2026, 5, 1),
            account_id=checking.id,
            today=TODAY,
        )
        bills.create_bill(
            s,
            **book.scope,
            name="Salary",
            payee="Employer",
            kind="income",
            amount_min=Decimal("1500.00"),
            rrule="FREQ=MONTHLY;BYMONTHDAY=15",
            first_due=date(2026, 5, 15),
            account_id=checking.id,
            today=TODAY,
        )
        budgets.create_budget(
            s,
            **book.scope,
            category_id=gid,
            amount=Decimal("300.00"),
            starts_on=date(2026, 1, 1),
            today=TODAY,
        )
    return checking.id, savings.id


def _run(book: Book, **kwargs: Any) -> forecast.ForecastResult:
    with book.uow() as s:
        return forecast.forecast(s, tenant_id=book.tenant_id, today=TODAY, **kwargs)


def test_hand_computed_forecast_with_a_breach(book: Book) -> None:
    checking, savings = _household(book)
    result = _run(book, days=20)
    assert (result.start, result.end) == (TODAY, date(2026, 5, 17))
    assert result.spending_account_id == checking
    by_id = {a.account.id: a for a in result.accounts}
    c = by_id[checking]
    assert c.opening_minor == 90000
    # 200.00 left of groceries over 28, 29 and 30 April: 66.67, 66.67, 66.66.
    budget_days = [(f.day, f.amount_minor) for f in c.flows if f.kind == "budget"]
    assert budget_days == [
        (date(2026, 4, 28), -6667),
        (date(2026, 4, 29), -6667),
        (date(2026, 4, 30), -6666),
    ]
    balances = {p.day: p.balance for p in c.points}
    assert balances[date(2026, 4, 28)] == 83333
    assert balances[date(2026, 4, 30)] == 70000
    assert balances[date(2026, 5, 1)] == -10000  # rent
    assert balances[date(2026, 5, 15)] == 140000  # salary
    assert c.closing_minor == 140000
    assert c.breach is not None
    assert (c.breach.day, c.breach.balance, c.breach.threshold) == (date(2026, 5, 1), -10000, 0)
    assert (c.lowest.day, c.lowest.balance) == (date(2026, 5, 1), -10000)
    s = by_id[savings]
    assert s.breach is None
    assert s.closing_minor == 500000
    assert s.flows == []
    assert len(c.points) == 20


def test_what_is_posted_today_is_in_the_opening_balance(book: Book) -> None:
    checking, _ = _household(book)
    # Paid today, before the forecast is asked for: the starting balance has it, and
    # no flow repeats it. The groceries budget has 150.00 left, over three days.
    with book.uow() as s:
        category = ledger.list_categories(s, tenant_id=book.tenant_id)
        gid = next(c.id for c in category if c.name == "Groceries")
    book.post(checking, "-50.00", posted_on=TODAY, category_id=gid)
    c = next(a for a in _run(book, days=3).accounts if a.account.id == checking)
    assert c.opening_minor == 85000
    assert [f.amount_minor for f in c.flows if f.kind == "budget"] == [-5000, -5000, -5000]
    assert [p.balance for p in c.points] == [80000, 75000, 70000]


def test_threshold_moves_the_warning_earlier(book: Book) -> None:
    checking, _ = _household(book)
    with book.uow() as s:
        forecast.set_threshold(s, **book.scope, account_id=checking, threshold=Decimal("750.00"))
    c = _run(book, days=20, account_id=checking).accounts[0]
    assert c.threshold_minor == 75000
    assert c.breach is not None
    assert c.breach.day == date(2026, 4, 30)
    with book.uow() as s:
        listed = {t.account.name: t for t in forecast.list_thresholds(s, tenant_id=book.tenant_id)}
    assert (listed["Checking"].threshold_minor, listed["Checking"].is_default) == (75000, False)
    assert (listed["Savings"].threshold_minor, listed["Savings"].is_default) == (0, True)
    with book.uow() as s:
        forecast.set_threshold(s, **book.scope, account_id=checking, threshold=Decimal("-50"))
        forecast.clear_threshold(s, **book.scope, account_id=checking)
        assert s.scalar(select(BalanceThreshold.id)) is None


def test_without_budgets_and_with_flows_from_elsewhere(
    book: Book, monkeypatch: pytest.MonkeyPatch
) -> None:
    checking = book.account("Checking", opening_balance=Decimal("100.00"))
    book.post(checking.id, "-20.00", posted_on=date(2026, 4, 1))

    @dataclass
    class FakeFlow:
        bill_id: uuid.UUID | None
        name: str
        account_id: uuid.UUID | None
        currency: str
        day: date
        amount_minor: int

    flows = [
        FakeFlow(None, "Phone", None, "USD", date(2026, 4, 29), -3000),  # no account: spending
        FakeFlow(None, "Gym", checking.id, "USD", date(2026, 5, 2), -6000),
        FakeFlow(None, "Later", checking.id, "USD", date(2026, 8, 1), -1),  # past the horizon
    ]

    def fake(session: Any, *, tenant_id: uuid.UUID, start: date, end: date) -> list[FakeFlow]:
        return [f for f in flows if start <= f.day <= end]

    monkeypatch.setattr(bills, "scheduled_flows", fake)
    c = _run(book, days=10).accounts[0]
    assert [(f.label, f.amount_minor) for f in c.flows] == [("Phone", -3000), ("Gym", -6000)]
    assert c.opening_minor == 8000
    assert c.breach is not None
    assert (c.breach.day, c.breach.balance) == (date(2026, 5, 2), -1000)


def test_bad_input(book: Book, database: Any) -> None:
    checking = book.account("Checking")
    for days in (0, 366):
        with pytest.raises(ValidationFailed), book.uow() as s:
            forecast.forecast(s, tenant_id=book.tenant_id, today=TODAY, days=days)
    with pytest.raises(ValidationFailed) as caught, book.uow() as s:
        forecast.set_threshold(s, **book.scope, account_id=checking.id, threshold=Decimal("1.001"))
    assert caught.value.errors
    assert caught.value.errors[0]["field"] == "threshold"
    stranger = make_book(database, "Mallory")
    theirs = stranger.account("Theirs")
    with pytest.raises(NotFound), book.uow() as s:
        forecast.set_threshold(s, **book.scope, account_id=theirs.id, threshold=Decimal("1"))
    with pytest.raises(NotFound), book.uow() as s:
        forecast.forecast(s, tenant_id=book.tenant_id, today=TODAY, account_id=theirs.id)
    with book.uow() as s:
        assert s.scalar(select(BalanceThreshold.id)) is None


def test_a_card_warns_past_its_credit_limit_only(
    book: Book, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = book.account(
        "Card",
        type=AccountType.credit_card,
        opening_balance=Decimal("-900.00"),
        credit_limit=Decimal("1000.00"),
    )
    loan = book.account("Loan", type=AccountType.loan, opening_balance=Decimal("-5000.00"))

    @dataclass
    class FakeFlow:
        bill_id: uuid.UUID | None
        name: str
        account_id: uuid.UUID | None
        currency: str
        day: date
        amount_minor: int

    def fake(session: Any, *, tenant_id: uuid.UUID, start: date, end: date) -> list[FakeFlow]:
        return [
            FakeFlow(None, "Streaming", card.id, "USD", date(2026, 5, 3), -15000),
            FakeFlow(None, "Loan fee", loan.id, "USD", date(2026, 5, 3), -100),
        ]

    monkeypatch.setattr(bills, "scheduled_flows", fake)
    result = {a.account.name: a for a in _run(book, days=10).accounts}
    # Neither account holds money, so each is in only for the bill charged to it.
    assert set(result) == {"Card", "Loan"}
    c = result["Card"]
    assert c.threshold_minor == -100000
    assert c.breach is not None
    assert (c.breach.day, c.breach.balance) == (date(2026, 5, 3), -105000)
    assert result["Loan"].threshold_minor is None
    assert result["Loan"].breach is None
    with book.uow() as s:
        listed = {t.account.name: t for t in forecast.list_thresholds(s, tenant_id=book.tenant_id)}
    assert (listed["Card"].threshold_minor, listed["Card"].is_default) == (-100000, True)


def test_the_spending_account_is_where_categorised_spending_came_from(book: Book) -> None:
    checking = book.account("Checking", opening_balance=Decimal("1000.00"))
    card = book.account("Card", type=AccountType.credit_card)
    with book.uow() as s:
        gid = ledger.create_category(s, **book.scope, name="Food", kind=CategoryKind.expense).id
    book.post(checking.id, "-100.00", posted_on=date(2026, 3, 10), category_id=gid)
    # More money out of the card, but none of it categorised: budgets are on
    # categories, so the checking account is where they are spent.
    book.post(card.id, "-500.00", posted_on=date(2026, 4, 2))
    with book.uow() as s:
        every = ledger.list_accounts(s, tenant_id=book.tenant_id)
        found = forecast.spending_account_id(
            s, tenant_id=book.tenant_id, today=TODAY, accounts=every
        )
        assert found == checking.id
        # With nothing categorised, the most money out decides.
        only_card = [a for a in every if a.id == card.id]
        assert (
            forecast.spending_account_id(
                s, tenant_id=book.tenant_id, today=TODAY, accounts=only_card
            )
            == card.id
        )
