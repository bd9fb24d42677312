"""Due dates and their status on hand-computed cases, on SQLite and PostgreSQL: the last
business day of the month, every two weeks across a year end, a bill on the 31st; paid,
skipped, due, late (inside the match window), missed (after it) and upcoming; what the
reminders and the forecast are given; and presets filling the RRULE."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from coffer.budgets import bills
from coffer.budgets.models import BillKind, BillStatus
from coffer.errors import ValidationFailed
from tests.ledger.conftest import Book, _encryption, book, other_book

__all__ = ["_encryption", "book", "other_book"]


def _bill(book: Book, **fields: Any) -> Any:
    account = fields.pop("account", None) or book.account("Checking", "USD")
    values: dict[str, Any] = {
        "name": "Rent",
        "payee": "Harbor Lettings",
        "amount_min": Decimal("1200.00"),
        "rrule": "FREQ=MONTHLY;BYMONTHDAY=1",
        "first_due": date(2026, 10, 1),
        "account_id": account.id,
        "today": date(2026, 9, 1),
    }
    values.update(fields)
    with book.uow() as s:
        return bills.create_bill(s, **book.scope, **values)


def _statuses(
    book: Book, bill_id: Any, start: date, end: date, today: date
) -> list[tuple[date, str]]:
    with book.uow() as s:
        bill = bills.get_bill(s, tenant_id=book.tenant_id, bill_id=bill_id)
        found = bills.occurrences(
            s, tenant_id=book.tenant_id, start=start, end=end, today=today, bills=[bill]
        )
        return [(o.due_on, o.status) for o in found]


def test_last_business_day(book: Book) -> None:
    rule = bills.preset_rule("last_business_day", date(2026, 10, 1))
    bill = _bill(book, name="Payroll", kind=BillKind.income, rrule=rule)
    assert _statuses(book, bill.id, date(2026, 10, 1), date(2027, 3, 31), date(2027, 1, 29)) == [
        (date(2026, 10, 30), "missed"),  # 31 October 2026 is a Saturday
        (date(2026, 11, 30), "missed"),
        (date(2026, 12, 31), "missed"),
        (date(2027, 1, 29), "due"),  # 30 and 31 January 2027 are a weekend
        (date(2027, 2, 26), "upcoming"),  # 27 and 28 February too
        (date(2027, 3, 31), "upcoming"),
    ]
    with book.uow() as s:
        assert bills.describe(bills.get_bill(s, tenant_id=book.tenant_id, bill_id=bill.id)) == (
            "Monthly on the last business day"
        )


def test_every_two_weeks_across_the_year_end(book: Book) -> None:
    account = book.account("Checking", "USD")
    first = date(2026, 12, 18)  # a Friday
    rule = bills.preset_rule("every_2_weeks", first)
    assert rule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR"
    bill = _bill(
        book, account=account, name="Childcare", rrule=rule, first_due=first, match_window_days=5
    )
    paying = book.post(account.id, "-1200.00", payee="Harbor Lettings", posted_on=date(2027, 1, 2))
    with book.uow() as s:
        result = bills.match_transactions(
            s, tenant_id=book.tenant_id, transaction_ids=[paying], today=date(2027, 1, 20)
        )
        assert (result.paid, result.review) == (1, 0)
    window = (date(2026, 12, 1), date(2027, 2, 1))
    assert _statuses(book, bill.id, *window, today=date(2027, 1, 20)) == [
        (date(2026, 12, 18), "missed"),
        (date(2027, 1, 1), "paid"),
        (date(2027, 1, 15), "late"),  # 5 days past due, the window is 5 days
        (date(2027, 1, 29), "upcoming"),
    ]
    assert _statuses(book, bill.id, *window, today=date(2027, 1, 21))[2] == (
        date(2027, 1, 15),
        "missed",
    )
    with book.uow() as s:
        bills.skip(s, **book.scope, bill_id=bill.id, due_on=date(2026, 12, 18))
    assert _statuses(book, bill.id, *window, today=date(2027, 1, 29))[::3] == [
        (date(2026, 12, 18), "skipped"),
        (date(2027, 1, 29), "due"),
    ]


def test_a_bill_on_the_31st_falls_on_the_last_day_of_shorter_months(book: Book) -> None:
    first = date(2027, 1, 31)
    bill = _bill(book, rrule=bills.preset_rule("monthly", first), first_due=first)
    found = _statuses(book, bill.id, date(2027, 1, 1), date(2027, 5, 1), date(2026, 12, 1))
    assert found == [
        (date(2027, 1, 31), "upcoming"),
        (date(2027, 2, 28), "upcoming"),
        (date(2027, 3, 31), "upcoming"),
        (date(2027, 4, 30), "upcoming"),
    ]
    leap = _statuses(book, bill.id, date(2028, 2, 1), date(2028, 3, 1), date(2026, 12, 1))
    assert leap == [(date(2028, 2, 29), "upcoming")]


def test_paused_bills_have_no_open_dates_and_ends_on_stops_them(book: Book) -> None:
    bill = _bill(book, ends_on=date(2026, 12, 15))
    dates = _statuses(book, bill.id, date(2026, 9, 1), date(2027, 3, 1), date(2026, 9, 1))
    assert [d for d, _ in dates] == [date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)]
    with book.uow() as s:
        bills.set_status(s, **book.scope, bill_id=bill.id, status=BillStatus.paused)
    assert _statuses(book, bill.id, date(2026, 9, 1), date(2027, 3, 1), date(2026, 9, 1)) == []


def test_reminders_and_scheduled_flows(book: Book) -> None:
    account = book.account("Checking", "USD")
    rent = _bill(book, account=account, reminder_days=3, first_due=date(2026, 10, 1))
    salary = _bill(
        book,
        account=account,
        name="Salary",
        payee="Northwind Health",
        kind=BillKind.income,
        amount_min=Decimal("3000.00"),
        amount_max=Decimal("3200.00"),
        rrule="FREQ=MONTHLY;BYMONTHDAY=28",
        first_due=date(2026, 10, 28),
        reminder_days=0,
    )
    with book.uow() as s:
        found = bills.reminders(s, tenant_id=book.tenant_id, today=date(2026, 10, 29))
    # Rent of 1 October is past its 5-day window; the salary of the 28th is only late.
    assert [(r.name, r.due_on, r.kind) for r in found] == [
        ("Rent", date(2026, 10, 1), "missed"),
        ("Rent", date(2026, 11, 1), "upcoming"),
    ]
    upcoming = next(r for r in found if r.kind == "upcoming")
    assert upcoming.dedupe_key == f"bill:{rent.id}:2026-11-01:upcoming"
    assert upcoming.link == f"/bills/{rent.id}"
    assert upcoming.amount == Decimal("1200.00")
    assert "Harbor Lettings" in upcoming.body
    # Written as the household's locale writes amounts and dates (en_US here).
    assert upcoming.body.startswith("$1,200.00 to Harbor Lettings")
    assert upcoming.title == "Rent is due on Nov 1, 2026"
    with book.uow() as s:
        late = bills.reminders(s, tenant_id=book.tenant_id, today=date(2026, 11, 10))
    assert ("Salary", date(2026, 10, 28), "missed") in [(r.name, r.due_on, r.kind) for r in late]
    assert ("Rent", date(2026, 11, 1), "missed") in [(r.name, r.due_on, r.kind) for r in late]

    with book.uow() as s:
        flows = bills.scheduled_flows(
            s, tenant_id=book.tenant_id, start=date(2026, 11, 1), end=date(2026, 11, 30)
        )
    assert [(f.name, f.day, f.amount_minor, f.account_id) for f in flows] == [
        ("Rent", date(2026, 11, 1), -120_000, account.id),
        ("Salary", date(2026, 11, 28), 320_000, account.id),
    ]
    assert salary.kind == "income"


def test_presets_and_rule_errors() -> None:
    first = date(2026, 3, 14)
    assert bills.preset_rule("monthly", first) == "FREQ=MONTHLY;BYMONTHDAY=14"
    assert bills.preset_rule("weekly", first) == "FREQ=WEEKLY;BYDAY=SA"
    assert bills.preset_rule("yearly", first) == "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=14"
    with pytest.raises(ValidationFailed) as refused:
        bills.check_rule("FREQ=MONTHLY;BYHOUR=9", first)
    assert refused.value.errors is not None
    assert refused.value.errors[0]["field"] == "rrule"
    assert "time of day" in refused.value.errors[0]["message"]
    assert bills.check_rule("rrule:freq=monthly", first) == "FREQ=MONTHLY"


def test_describe_words() -> None:
    from coffer.budgets.models import Bill

    twice = Bill(rrule="FREQ=YEARLY;BYMONTH=12,4;BYMONTHDAY=10", first_due=date(2026, 1, 1))
    assert bills.describe(twice) == "Yearly on 10 April and 10 December"
    odd = Bill(rrule="FREQ=MONTHLY;BYDAY=MO,WE", first_due=date(2026, 1, 1))
    assert bills.describe(odd) == "FREQ=MONTHLY;BYDAY=MO,WE"
    fortnightly = Bill(
        rrule=bills.preset_rule("every_2_weeks", date(2026, 1, 2)), first_due=date(2026, 1, 2)
    )
    assert bills.describe(fortnightly) == "Every 2 weeks on Friday"


def test_a_matching_run_that_loses_a_race_leaves_its_matches_to_the_next(
    book: Book, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = book.account("Checking", "USD")
    bill = _bill(book, account=account)
    paying = book.post(account.id, "-1200.00", payee="Harbor Lettings", posted_on=date(2026, 11, 1))
    with book.uow() as s:
        first = bills.match_transactions(
            s, tenant_id=book.tenant_id, transaction_ids=[paying], today=date(2026, 11, 2)
        )
        assert first.paid == 1
    # A second run that read the due dates before the first one committed: it finds
    # the same match, the unique index refuses it, and the run gives up quietly
    # instead of failing the import or request it belongs to.
    monkeypatch.setattr(bills, "_rows", lambda *_args, **_kwargs: {})
    with book.uow() as s:
        second = bills.match_transactions(
            s, tenant_id=book.tenant_id, transaction_ids=[paying], today=date(2026, 11, 2)
        )
        assert (second.paid, second.review, second.proposals) == (0, 0, [])
        # The session is still usable in the same unit of work.
        assert bills.get_bill(s, tenant_id=book.tenant_id, bill_id=bill.id).name == "Rent"
    monkeypatch.undo()
    assert (date(2026, 11, 1), "paid") in _statuses(
        book, bill.id, date(2026, 10, 1), date(2026, 12, 31), today=date(2026, 11, 2)
    )
