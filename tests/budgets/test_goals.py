"""Savings goals through the service, on SQLite and PostgreSQL: hand-computed progress,
monthly amount needed, pace, projection and milestones; contributions linked to
transactions; a property that progress is the sum of the contributions."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from coffer.audit.models import AuditEvent
from coffer.budgets import goals
from coffer.budgets.models import GoalContribution, GoalStatus
from coffer.db.types import configure_encryption
from coffer.errors import Conflict, NotFound, ValidationFailed
from coffer.ledger.models import AccountType
from tests.conftest import ENCRYPTION_KEY
from tests.ledger.conftest import PROPERTY_SETTINGS, Book, make_book

TODAY = date(2026, 4, 15)


@pytest.fixture(autouse=True)
def _encryption() -> None:
    configure_encryption([ENCRYPTION_KEY])


@pytest.fixture
def book(database: object) -> Book:
    return make_book(database, "Alice")  # type: ignore[arg-type]


def _goal(book: Book, **kwargs: object) -> object:
    kwargs.setdefault("name", "Holiday")
    kwargs.setdefault("target", Decimal("1200.00"))
    with book.uow() as s:
        return goals.create_goal(s, **book.scope, **kwargs)  # type: ignore[arg-type]


def _add(book: Book, goal_id: object, amount: str, day: date, **kwargs: object) -> None:
    with book.uow() as s:
        goals.add_contribution(
            s,
            **book.scope,
            goal_id=goal_id,  # type: ignore[arg-type]
            amount=Decimal(amount),
            day=day,
            **kwargs,  # type: ignore[arg-type]
        )


def _progress(book: Book, goal_id: object, today: date = TODAY) -> goals.GoalProgress:
    with book.uow() as s:
        goal = goals.get_goal(s, tenant_id=book.tenant_id, goal_id=goal_id)  # type: ignore[arg-type]
        return goals.progress(s, tenant_id=book.tenant_id, goal=goal, today=today)


def test_contribution_goal_hand_computed(book: Book) -> None:
    goal = _goal(book, target_date=date(2026, 9, 30))
    gid = goal.id  # type: ignore[attr-defined]
    for amount, day in (
        ("100.00", date(2026, 1, 10)),
        ("200.00", date(2026, 2, 10)),
        ("300.00", date(2026, 3, 10)),
        ("-50.00", date(2026, 3, 20)),
        ("100.00", date(2026, 4, 5)),
        ("999.00", date(2026, 5, 1)),  # after today: not counted yet
    ):
        _add(book, gid, amount, day)
    p = _progress(book, gid)
    assert p.goal.currency == "USD"
    assert p.source is goals.GoalSource.contributions
    assert p.saved_minor == 65000
    assert p.left_minor == 55000
    assert p.percent == 54
    # April to September: six months; 550.00 / 6 = 91.666… rounded up.
    assert p.monthly_needed_minor == 9167
    # January to March (April is not over): 550.00 / 3 = 183.33.
    assert p.pace_minor == 18333
    # 550.00 at 183.33 a month needs 4 months counting this one: July.
    assert p.projected_on == date(2026, 7, 1)
    assert p.on_track is True
    marks = {m.percent: m for m in p.milestones}
    assert (marks[25].amount_minor, marks[25].reached, marks[25].reached_on) == (
        30000,
        True,
        date(2026, 2, 10),
    )
    assert (marks[50].reached, marks[50].reached_on) == (True, date(2026, 3, 10))
    assert not marks[75].reached
    assert marks[75].reached_on is None
    assert not marks[100].reached


def test_goal_without_date_and_overdue_goal(book: Book) -> None:
    open_ended = _goal(book, name="Someday")
    _add(book, open_ended.id, "300.00", date(2026, 3, 1))  # type: ignore[attr-defined]
    p = _progress(book, open_ended.id)  # type: ignore[attr-defined]
    assert p.monthly_needed_minor is None
    assert p.on_track is None
    assert p.pace_minor == 10000  # 300 over three months
    overdue = _goal(book, name="Late", target_date=date(2026, 3, 31))
    _add(book, overdue.id, "200.00", date(2026, 3, 1))  # type: ignore[attr-defined]
    p = _progress(book, overdue.id)  # type: ignore[attr-defined]
    assert p.monthly_needed_minor == 100000  # the whole remainder, now
    assert p.on_track is False


def test_account_linked_goal_reads_the_balance(book: Book) -> None:
    savings = book.account("Savings", type=AccountType.savings, opening_balance=Decimal("1000.00"))
    book.post(savings.id, "300.00", posted_on=date(2026, 1, 15))
    book.post(savings.id, "300.00", posted_on=date(2026, 3, 15))
    book.post(savings.id, "100.00", posted_on=date(2026, 4, 2))
    goal = _goal(book, name="Rainy day", target=Decimal("2000.00"), account_id=savings.id)
    p = _progress(book, goal.id)  # type: ignore[attr-defined]
    assert p.source is goals.GoalSource.account
    assert p.saved_minor == 170000
    assert p.left_minor == 30000
    assert p.percent == 85
    # Balance 31 Dec (the opening, 1000) to 31 Mar (1600): 600 over three months.
    assert p.pace_minor == 20000
    assert p.projected_on == date(2026, 5, 1)
    reached = [(m.percent, m.reached, m.reached_on) for m in p.milestones]
    assert reached == [(25, True, None), (50, True, None), (75, True, None), (100, False, None)]


def test_linked_transaction_contribution(book: Book, database: object) -> None:
    checking = book.account("Checking")
    txn_id = book.post(checking.id, "-250.00", posted_on=date(2026, 2, 3))
    goal = _goal(book)
    with book.uow() as s:
        row = goals.add_contribution(
            s,
            **book.scope,
            goal_id=goal.id,
            transaction_id=txn_id,  # type: ignore[attr-defined]
        )
        assert (row.amount_minor, row.day) == (25000, date(2026, 2, 3))
    with pytest.raises(Conflict), book.uow() as s:
        goals.add_contribution(
            s,
            **book.scope,
            goal_id=goal.id,
            transaction_id=txn_id,  # type: ignore[attr-defined]
        )
    stranger = make_book(database, "Mallory")  # type: ignore[arg-type]
    their = stranger.account("Theirs")
    their_txn = stranger.post(their.id, "-5.00")
    with pytest.raises(ValidationFailed) as caught, book.uow() as s:
        goals.add_contribution(
            s,
            **book.scope,
            goal_id=goal.id,
            transaction_id=their_txn,  # type: ignore[attr-defined]
        )
    assert caught.value.errors == [
        {"field": "transaction_id", "message": "no transaction with this id in this household"}
    ]
    assert _progress(book, goal.id).saved_minor == 25000  # type: ignore[attr-defined]


def test_bad_input_changes_nothing(book: Book, database: object) -> None:
    goal = _goal(book)
    gid = goal.id  # type: ignore[attr-defined]
    cases = [
        ({"target": Decimal("0")}, "target"),
        ({"target": Decimal("1.001")}, "target"),
        ({"name": "  "}, "name"),
        ({"priority": 9}, "priority"),
    ]
    for values, field in cases:
        with pytest.raises(ValidationFailed) as caught, book.uow() as s:
            goals.update_goal(s, **book.scope, goal_id=gid, values=values)  # type: ignore[arg-type]
        assert caught.value.errors
        assert caught.value.errors[0]["field"] == field
    with pytest.raises(ValidationFailed), book.uow() as s:
        goals.create_goal(s, **book.scope, name="holiday", target=Decimal("5"))
    with pytest.raises(ValidationFailed), book.uow() as s:
        goals.add_contribution(s, **book.scope, goal_id=gid, amount=Decimal("0"))
    with pytest.raises(ValidationFailed), book.uow() as s:
        goals.add_contribution(s, **book.scope, goal_id=gid)
    stranger = make_book(database, "Mallory")  # type: ignore[arg-type]
    their_account = stranger.account("Theirs")
    with pytest.raises(ValidationFailed), book.uow() as s:
        goals.update_goal(s, **book.scope, goal_id=gid, values={"account_id": their_account.id})
    with pytest.raises(NotFound), stranger.uow() as s:
        goals.get_goal(s, tenant_id=stranger.tenant_id, goal_id=gid)
    with book.uow() as s:
        again = goals.get_goal(s, tenant_id=book.tenant_id, goal_id=gid)
        assert (again.name, again.target_minor, again.priority, again.account_id) == (
            "Holiday",
            120000,
            3,
            None,
        )
        assert s.scalar(select(GoalContribution.id)) is None


def test_writes_are_audited_and_delete_removes_contributions(book: Book) -> None:
    goal = _goal(book)
    gid = goal.id  # type: ignore[attr-defined]
    _add(book, gid, "10.00", date(2026, 1, 1))
    with book.uow() as s:
        goals.update_goal(
            s, **book.scope, goal_id=gid, values={"status": GoalStatus.achieved, "priority": 1}
        )
        goals.delete_goal(s, **book.scope, goal_id=gid)
    with book.uow() as s:
        actions = list(
            s.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.tenant_id == book.tenant_id, AuditEvent.action.like("goal.%"))
                .order_by(AuditEvent.occurred_at)
            )
        )
        assert s.scalar(select(GoalContribution.id)) is None
    assert actions == [
        "goal.created",
        "goal.contribution_added",
        "goal.updated",
        "goal.deleted",
    ]


def test_list_orders_by_priority_then_date(book: Book) -> None:
    _goal(book, name="C", priority=2)
    _goal(book, name="B", priority=1)
    _goal(book, name="A", priority=2, target_date=date(2027, 1, 1))
    with book.uow() as s:
        names = [g.name for g in goals.list_goals(s, tenant_id=book.tenant_id)]
    assert names == ["B", "A", "C"]


amounts = st.lists(
    st.integers(min_value=-50_000, max_value=200_000).filter(lambda v: v != 0),
    min_size=1,
    max_size=8,
)


@PROPERTY_SETTINGS
@given(values=amounts, offsets=st.lists(st.integers(0, 200), min_size=8, max_size=8))
def test_progress_is_the_sum_of_contributions(
    database: object, values: list[int], offsets: list[int]
) -> None:
    book = make_book(database)  # type: ignore[arg-type]
    goal = _goal(book, target=Decimal("1000.00"))
    gid = goal.id  # type: ignore[attr-defined]
    for value, offset in zip(values, offsets, strict=False):
        _add(book, gid, str(Decimal(value).scaleb(-2)), TODAY - timedelta(days=offset))
    p = _progress(book, gid)
    total = sum(values)
    assert p.saved_minor == total
    assert p.left_minor == max(100000 - total, 0)
    for mark in p.milestones:
        assert mark.reached == (total >= mark.amount_minor)
        if mark.reached:
            assert mark.reached_on is not None
