"""Budget statuses on hand-computed cases, on SQLite and PostgreSQL: calendar months,
a month starting on the 25th across February (leap and common years), weekly and
every-two-weeks periods across a year end, group budgets, rollover with amount
changes, account filters, transfers and splits, income plans, alerts, and the amount
set from history."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from coffer.budgets import budgets as service
from coffer.core.periods import Period
from coffer.errors import NotFound, ValidationFailed
from coffer.ledger import service as ledger
from coffer.ledger.models import CategoryKind
from coffer.ledger.service import SplitLine
from tests.ledger.conftest import Book, _encryption, book

__all__ = ["_encryption", "book"]  # the ledger's fixtures, used here


class Home:
    """A household with a checking and a card account and a few categories."""

    def __init__(self, book: Book) -> None:
        self.book = book
        self.checking = book.account("Checking", opening_on=date(2023, 1, 1)).id
        self.card = book.account("Card", opening_on=date(2023, 1, 1)).id
        with book.uow() as s:

            def cat(name: str, kind: str = "expense", parent: Any = None) -> uuid.UUID:
                return ledger.create_category(
                    s, **book.scope, name=name, kind=CategoryKind(kind), parent_id=parent
                ).id

            self.food = cat("Food")
            self.groceries = cat("Groceries", parent=self.food)
            self.dining = cat("Restaurants", parent=self.food)
            self.fuel = cat("Fuel")
            self.salary = cat("Salary", "income")

    def spend(self, day: date, amount: str, category: uuid.UUID, account: Any = None) -> None:
        self.book.post(account or self.checking, amount, posted_on=day, category_id=category)

    def budget(self, **kwargs: Any) -> uuid.UUID:
        kwargs.setdefault("today", date(2024, 2, 10))
        amount = Decimal(kwargs.pop("amount"))
        with self.book.uow() as s:
            return service.create_budget(s, **self.book.scope, amount=amount, **kwargs).id

    def status(self, on: date, today: date | None = None, **kwargs: Any) -> service.StatusReport:
        with self.book.uow() as s:
            report = service.status(s, tenant_id=self.book.tenant_id, on=on, today=today, **kwargs)
            for row in report.budgets:  # read what the tests need while the session lives
                _ = row.budget.category_id, row.budget.user_id, row.budget.account_ids
            return report

    def one(self, budget_id: uuid.UUID, on: date, **kwargs: Any) -> service.BudgetStatus:
        report = self.status(on, **kwargs)
        return next(s for s in report.budgets if s.budget.id == budget_id)


@pytest.fixture
def home(book: Book) -> Home:
    return Home(book)


def test_calendar_month_group_budget(home: Home) -> None:
    budget = home.budget(category_id=home.food, amount="500.00")
    home.spend(date(2024, 2, 1), "-100.00", home.groceries)
    home.spend(date(2024, 2, 10), "-50.00", home.dining)
    home.spend(date(2024, 2, 12), "20.00", home.groceries)  # a refund
    home.spend(date(2024, 2, 29), "-30.00", home.food, home.card)
    home.spend(date(2024, 3, 1), "-999.00", home.groceries)  # next month
    home.spend(date(2024, 1, 31), "-999.00", home.groceries)  # last month
    home.spend(date(2024, 2, 5), "-77.00", home.fuel)  # another category
    s = home.one(budget, date(2024, 2, 10))
    assert s.period == Period(date(2024, 2, 1), date(2024, 2, 29))
    assert (s.budgeted, s.carried_in, s.available, s.actual) == (50000, 0, 50000, 16000)
    assert s.left == 34000
    assert s.percent == 32
    assert s.state == "ok"
    assert s.is_group
    assert not s.is_income
    # 20 days from the 10th to the 29th inclusive.
    assert s.days_left == 20
    assert s.left_per_day == 34000 // 20
    # 160 spent over the 10 days so far, 29 days in the period: 464.00.
    assert s.projected == 46400
    assert not s.will_exceed
    assert {c.name: c.actual_minor for c in s.children} == {"Groceries": 8000, "Restaurants": 5000}


def test_month_from_the_25th_across_february(home: Home) -> None:
    budget = home.budget(
        category_id=home.groceries, amount="300.00", period_kind="month_from_day", start_day=25
    )
    home.spend(date(2024, 1, 24), "-1.00", home.groceries)
    home.spend(date(2024, 1, 25), "-10.00", home.groceries)
    home.spend(date(2024, 2, 24), "-20.00", home.groceries)
    home.spend(date(2024, 2, 25), "-40.00", home.groceries)
    home.spend(date(2024, 2, 29), "-80.00", home.groceries)
    home.spend(date(2024, 3, 24), "-160.00", home.groceries)
    home.spend(date(2024, 3, 25), "-5.00", home.groceries)
    s = home.one(budget, date(2024, 2, 10))
    assert s.period == Period(date(2024, 1, 25), date(2024, 2, 24))
    assert s.actual == 3000
    leap = home.one(budget, date(2024, 3, 1))
    assert leap.period == Period(date(2024, 2, 25), date(2024, 3, 24))  # 29 days in 2024
    assert leap.period.days == 29
    assert leap.actual == 28000
    assert leap.percent == 93
    assert leap.state == "warning"


def test_month_from_the_25th_in_a_common_year(home: Home) -> None:
    budget = home.budget(
        category_id=home.groceries,
        amount="100.00",
        period_kind="month_from_day",
        start_day=25,
        today=date(2023, 2, 1),
    )
    home.spend(date(2023, 2, 25), "-50.00", home.groceries)
    home.spend(date(2023, 3, 24), "-60.00", home.groceries)
    s = home.one(budget, date(2023, 3, 10), today=date(2023, 3, 10))
    assert s.period == Period(date(2023, 2, 25), date(2023, 3, 24))
    assert s.period.days == 28
    assert (s.actual, s.left, s.state, s.percent) == (11000, -1000, "over", 110)
    assert s.left_per_day == 0
    # 110 over 14 days of 28: 220 at this pace.
    assert s.projected == 22000
    assert s.will_exceed


def test_weekly_and_biweekly_across_the_year_end(home: Home) -> None:
    weekly = home.budget(
        category_id=home.fuel,
        amount="70.00",
        period_kind="weekly",
        anchor=date(2023, 12, 29),  # a Friday
        today=date(2023, 12, 30),
    )
    biweekly = home.budget(
        category_id=home.dining,
        amount="100.00",
        period_kind="biweekly",
        anchor=date(2023, 12, 22),
        today=date(2023, 12, 30),
    )
    home.spend(date(2023, 12, 28), "-9.00", home.fuel)
    home.spend(date(2023, 12, 29), "-10.00", home.fuel)
    home.spend(date(2024, 1, 4), "-20.00", home.fuel)
    home.spend(date(2024, 1, 5), "-40.00", home.fuel)
    home.spend(date(2023, 12, 21), "-1.00", home.dining)
    home.spend(date(2023, 12, 22), "-2.00", home.dining)
    home.spend(date(2024, 1, 4), "-4.00", home.dining)
    home.spend(date(2024, 1, 5), "-8.00", home.dining)
    s = home.one(weekly, date(2024, 1, 1))
    assert s.period == Period(date(2023, 12, 29), date(2024, 1, 4))
    assert s.actual == 3000
    b = home.one(biweekly, date(2024, 1, 1))
    assert b.period == Period(date(2023, 12, 22), date(2024, 1, 4))
    assert b.actual == 600
    later = home.one(biweekly, date(2024, 1, 5))
    assert later.period == Period(date(2024, 1, 5), date(2024, 1, 18))
    assert later.actual == 800


def test_rollover_with_an_amount_change(home: Home) -> None:
    surplus = home.budget(
        category_id=home.fuel,
        amount="100.00",
        rollover="surplus",
        starts_on=date(2024, 1, 1),
        today=date(2024, 1, 5),
    )
    both = home.budget(
        category_id=home.groceries,
        amount="100.00",
        rollover="surplus_and_overspending",
        starts_on=date(2024, 1, 1),
        today=date(2024, 1, 5),
    )
    home.spend(date(2023, 12, 15), "-500.00", home.fuel)  # before the budget starts
    home.spend(date(2024, 1, 10), "-60.00", home.fuel)  # Jan: 40 left, carried
    home.spend(date(2024, 2, 10), "-200.00", home.fuel)  # Feb: 140 available, -60 forgiven
    home.spend(date(2024, 1, 10), "-130.00", home.groceries)  # Jan: -30 carried
    home.spend(date(2024, 2, 10), "-50.00", home.groceries)
    with home.book.uow() as s:  # from March on the budgets are 150
        for budget_id in (surplus, both):
            service.update_budget(
                s,
                **home.book.scope,
                budget_id=budget_id,
                values={"amount": Decimal("150.00")},
                today=date(2024, 3, 3),
            )
    march = home.status(date(2024, 3, 3))
    fuel = next(x for x in march.budgets if x.budget.id == surplus)
    assert (fuel.budgeted, fuel.carried_in, fuel.available) == (15000, 0, 15000)
    groceries = next(x for x in march.budgets if x.budget.id == both)
    # Jan: 100 - 130 = -30; Feb: 100 - 30 - 50 = 20; March: 150 + 20.
    assert (groceries.budgeted, groceries.carried_in, groceries.available) == (15000, 2000, 17000)
    february = home.one(surplus, date(2024, 2, 1))
    assert (february.budgeted, february.carried_in, february.actual) == (10000, 4000, 20000)
    assert february.left == -6000
    # The past keeps its amounts: January is still 100.
    january = home.one(both, date(2024, 1, 20))
    assert (january.budgeted, january.carried_in, january.left) == (10000, 0, -3000)


def test_transfers_are_left_out_and_split_lines_count_under_their_category(home: Home) -> None:
    budget = home.budget(category_id=home.food, amount="100.00")
    fuel = home.budget(category_id=home.fuel, amount="100.00")
    with home.book.uow() as s:
        ledger.create_transfer(
            s,
            **home.book.scope,
            from_account_id=home.checking,
            to_account_id=home.card,
            posted_on=date(2024, 2, 3),
            amount=Decimal("300.00"),
        )
    home.book.post(
        home.checking,
        "-50.00",
        posted_on=date(2024, 2, 4),
        splits=[
            SplitLine(Decimal("-30.00"), home.groceries),
            SplitLine(Decimal("-20.00"), home.fuel),
        ],
    )
    report = home.status(date(2024, 2, 10))
    by_id = {s.budget.id: s for s in report.budgets}
    assert by_id[budget].actual == 3000
    assert by_id[fuel].actual == 2000


def test_account_filter_personal_budget_and_income_plan(home: Home) -> None:
    card_only = home.budget(
        category_id=home.dining,
        amount="80.00",
        account_ids=[home.card],
        user_id=home.book.user.id,
    )
    plan = home.budget(category_id=home.salary, amount="3000.00")
    home.spend(date(2024, 2, 2), "-10.00", home.dining)
    home.spend(date(2024, 2, 3), "-70.00", home.dining, home.card)
    home.spend(date(2024, 2, 1), "2500.00", home.salary)
    report = home.status(date(2024, 2, 10))
    personal = next(s for s in report.budgets if s.budget.id == card_only)
    assert personal.actual == 7000
    assert personal.state == "warning"
    assert personal in report.personal
    assert personal not in report.household
    income = next(s for s in report.budgets if s.budget.id == plan)
    assert income.is_income
    assert income.actual == 250000
    assert income.state == "ok"
    assert report.income == [income]


def test_alerts_at_80_and_100_percent(home: Home) -> None:
    warn = home.budget(category_id=home.fuel, amount="100.00")
    over = home.budget(category_id=home.groceries, amount="100.00")
    home.budget(category_id=home.dining, amount="100.00")
    home.spend(date(2024, 2, 2), "-80.00", home.fuel)
    home.spend(date(2024, 2, 2), "-120.00", home.groceries)
    home.spend(date(2024, 2, 2), "-79.99", home.dining)
    with home.book.uow() as s:
        found = service.alerts(s, tenant_id=home.book.tenant_id, today=date(2024, 2, 10))
    keys = sorted(a.dedupe_key for a in found)
    assert keys == sorted(
        [
            f"budget:{warn}:2024-02-01:80",
            f"budget:{over}:2024-02-01:80",
            f"budget:{over}:2024-02-01:100",
        ]
    )
    used_up = next(a for a in found if a.threshold == 100)
    assert used_up.title == "Groceries: budget used up"
    assert "$20.00 over" in used_up.body
    assert used_up.link == "/budgets"
    assert used_up.user_id is None


def test_set_from_last_period_and_average_of_three(home: Home) -> None:
    a = home.budget(category_id=home.fuel, amount="1.00")
    b = home.budget(category_id=home.groceries, amount="1.00")
    home.spend(date(2023, 11, 5), "-100.00", home.fuel)
    home.spend(date(2023, 12, 5), "-100.00", home.fuel)
    home.spend(date(2024, 1, 5), "-100.01", home.fuel)
    home.spend(date(2024, 1, 5), "-10.00", home.groceries)
    home.spend(date(2024, 2, 5), "-999.00", home.fuel)  # the current period does not count
    with home.book.uow() as s:
        service.set_from_history(
            s,
            **home.book.scope,
            budget_ids=[a, b],
            method="average_3",
            today=date(2024, 2, 10),
        )
    report = home.status(date(2024, 2, 10))
    by_id = {s.budget.id: s for s in report.budgets}
    assert by_id[a].budgeted == 10000  # 300.01 / 3 = 100.0033 -> 100.00
    assert by_id[b].budgeted == 333  # 10.00 / 3 = 3.333 -> 3.33
    with home.book.uow() as s:
        service.set_from_history(
            s, **home.book.scope, budget_ids=[a], method="last_period", today=date(2024, 2, 10)
        )
    assert home.one(a, date(2024, 2, 10)).budgeted == 10001


def test_bad_input_is_refused_and_changes_nothing(home: Home) -> None:
    with pytest.raises(ValidationFailed) as caught:
        home.budget(
            category_id=home.fuel,
            amount="-1",
            period_kind="month_from_day",
            rollover="sometimes",
        )
    fields = {e["field"] for e in caught.value.errors or []}
    assert fields == {"amount", "start_day", "rollover"}
    with pytest.raises(ValidationFailed):
        home.budget(category_id=home.fuel, amount="1.001")
    with pytest.raises(ValidationFailed):
        home.budget(category_id=home.salary, amount="1", rollover="surplus")
    with pytest.raises(ValidationFailed):
        home.budget(category_id=home.fuel, amount="1", user_id=uuid.uuid4())
    with pytest.raises(NotFound):
        home.budget(category_id=uuid.uuid4(), amount="1")
    with pytest.raises(NotFound):
        home.budget(category_id=home.fuel, amount="1", account_ids=[uuid.uuid4()])
    assert home.status(date(2024, 2, 10)).budgets == []
    home.budget(category_id=home.fuel, amount="1")
    with pytest.raises(ValidationFailed) as duplicate:
        home.budget(category_id=home.fuel, amount="2")
    assert duplicate.value.errors == [
        {"field": "category_id", "message": "Fuel already has a budget for this household"}
    ]
    assert len(home.status(date(2024, 2, 10)).budgets) == 1


def test_writes_are_audited(home: Home) -> None:
    budget = home.budget(category_id=home.fuel, amount="10.00")
    with home.book.uow() as s:
        service.update_budget(
            s,
            **home.book.scope,
            budget_id=budget,
            values={"amount": Decimal("20.00"), "notes": "more driving"},
            today=date(2024, 2, 10),
        )
        service.delete_budget(s, **home.book.scope, budget_id=budget)
    actions = [e.action for e in home.book.events(budget)]
    assert actions == ["budget.created", "budget.updated", "budget.deleted"]
