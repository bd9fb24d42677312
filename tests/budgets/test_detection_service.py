"""Detection across runs, on SQLite and PostgreSQL: a proposal follows its series through
a price change (one proposal, updated, not a second one), a dismissed series stays
dismissed after its price changes, and a series that became a bill by hand is no
longer proposed."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from coffer.budgets import bills, detection
from tests.ledger.conftest import Book, _encryption, book

__all__ = ["_encryption", "book"]

TODAY = date(2026, 12, 3)


def _month(months_back: int, day: int) -> date:
    index = TODAY.year * 12 + TODAY.month - 1 - months_back
    return date(index // 12, index % 12 + 1, day)


def _detect(book: Book, today: date = TODAY) -> list[tuple[str, str, int]]:
    with book.uow() as s:
        run = detection.detect_for_household(s, tenant_id=book.tenant_id, today=today)
        return [(str(c.id), c.payee, c.amount_minor) for c in run.proposed]


def test_a_proposal_follows_its_series_and_dismissals_stick(book: Book) -> None:
    account = book.account("Checking", "USD")
    for back in range(9, 3, -1):
        book.post(account.id, "-10.00", payee="Tunely Music", posted_on=_month(back, 11))
        book.post(account.id, "-30.00", payee="Gym Max", posted_on=_month(back, 4))
    first = {payee: (id_, amount) for id_, payee, amount in _detect(book, _month(4, 20))}
    assert first["Tunely Music"][1] == 1000
    with book.uow() as s:
        detection.dismiss(s, **book.scope, candidate_id=uuid.UUID(first["Gym Max"][0]))

    for back in range(3, 0, -1):
        book.post(account.id, "-12.00", payee="Tunely Music", posted_on=_month(back, 11))
        book.post(account.id, "-34.00", payee="Gym Max", posted_on=_month(back, 4))
    second = _detect(book)
    assert [(payee, amount) for _, payee, amount in second] == [("Tunely Music", 1200)]
    assert second[0][0] == first["Tunely Music"][0]  # the same proposal, updated
    with book.uow() as s:
        assert len(detection.list_candidates(s, tenant_id=book.tenant_id)) == 1
        assert [
            c.payee
            for c in detection.list_candidates(s, tenant_id=book.tenant_id, status="dismissed")
        ] == ["Gym Max"]

    # Entered as a bill by hand: the proposal goes.
    with book.uow() as s:
        bills.create_bill(
            s,
            **book.scope,
            name="Music",
            payee="Tunely Music",
            amount_min=Decimal("12.00"),
            rrule="FREQ=MONTHLY;BYMONTHDAY=11",
            first_due=_month(2, 11),
            account_id=account.id,
            today=TODAY,
        )
    assert _detect(book) == []
    with book.uow() as s:
        assert detection.list_candidates(s, tenant_id=book.tenant_id) == []
