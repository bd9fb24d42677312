"""Properties of the automatic matcher on generated payments, on SQLite and PostgreSQL:
whatever arrives, a link is inside the bill's window, the right way and near its
amount; it is "paid" exactly when the payee and the amount are clear; no transaction
pays two due dates; and running the matcher again changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from coffer.budgets import bills
from coffer.budgets.models import BillOccurrence
from coffer.ledger.models import LedgerTransaction
from tests.ledger.conftest import PROPERTY_SETTINGS, Book, _encryption, new_book

__all__ = ["_encryption", "new_book"]

START = date(2026, 1, 1)
TODAY = date(2026, 7, 1)
PAYEES = ["Evergreen Power", "EVERGREEN POWER 0042", "Evergreen", "Corner Bakery", "Power Gym"]

payment = st.tuples(
    st.integers(min_value=0, max_value=180),  # days after START
    st.integers(min_value=-16000, max_value=16000).filter(lambda c: c != 0),
    st.sampled_from(PAYEES),
)


@PROPERTY_SETTINGS
@given(
    payments=st.lists(payment, min_size=1, max_size=14),
    window=st.integers(min_value=0, max_value=6),
    low=st.integers(min_value=6000, max_value=9000),
    spread=st.integers(min_value=0, max_value=3000),
)
def test_matching_invariants(
    new_book: Callable[[], Book],
    payments: list[tuple[int, int, str]],
    window: int,
    low: int,
    spread: int,
) -> None:
    book = new_book()
    account = book.account("Checking", "USD")
    with book.uow() as s:
        bills.create_bill(
            s,
            **book.scope,
            name="Power",
            payee="Evergreen Power",
            amount_min=Decimal(low) / 100,
            amount_max=Decimal(low + spread) / 100,
            rrule="FREQ=MONTHLY;BYMONTHDAY=10",
            first_due=START,
            account_id=account.id,
            match_window_days=window,
            today=START - timedelta(days=1),
        )
    ids = [
        book.post(
            account.id,
            str(Decimal(cents) / 100),
            payee=payee,
            posted_on=START + timedelta(days=offset),
        )
        for offset, cents, payee in payments
    ]
    with book.uow() as s:
        first = bills.match_transactions(
            s, tenant_id=book.tenant_id, transaction_ids=ids, today=TODAY
        )
    with book.uow() as s:
        again = bills.match_transactions(
            s, tenant_id=book.tenant_id, transaction_ids=ids, today=TODAY
        )
        rows = list(
            s.scalars(select(BillOccurrence).where(BillOccurrence.tenant_id == book.tenant_id))
        )
        txns = {
            t.id: t
            for t in s.scalars(
                select(LedgerTransaction).where(LedgerTransaction.tenant_id == book.tenant_id)
            )
        }
    assert (again.paid, again.review) == (0, 0)
    assert len(rows) == first.paid + first.review
    assert len({r.transaction_id for r in rows}) == len(rows)
    slack = int(Decimal(low + spread) * bills.AMOUNT_TOLERANCE)
    for row in rows:
        txn = txns[row.transaction_id]
        assert row.due_on.day == 10
        assert abs((txn.posted_on - row.due_on).days) <= window
        assert txn.amount_minor < 0  # a bill is paid by money going out
        paid = -txn.amount_minor
        assert low - slack <= paid <= low + spread + slack
        assert txn.payee != "Corner Bakery"
        clear = low <= paid <= low + spread and txn.payee != "Power Gym"
        assert row.status == ("paid" if clear else "review"), (row.status, paid, txn.payee)
