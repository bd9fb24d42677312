"""Search filters, keyset pages and the register's running balances."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from coffer.core.money import from_minor
from coffer.db.session import Database
from coffer.ledger import service
from coffer.ledger.models import CategoryKind, TransactionStatus
from coffer.ledger.service import SplitLine, TransactionFilter
from tests.ledger.conftest import PROPERTY_SETTINGS, Book, make_book


def _ids(book: Book, filters: TransactionFilter) -> set[object]:
    with book.uow() as s:
        page = service.search_transactions(s, tenant_id=book.tenant_id, filters=filters, limit=500)
        return {view.txn.id for view in page.items}


def test_filters(book: Book) -> None:
    checking, savings = book.account(), book.account("Savings")
    with book.uow() as s:
        food = service.create_category(s, **book.scope, name="Food", kind=CategoryKind.expense)
        groceries = service.create_category(
            s, **book.scope, name="Groceries", kind=CategoryKind.expense, parent_id=food.id
        )
        tag = service.create_tag(s, **book.scope, name="trip")
    in_child = book.post(checking.id, "-20", category_id=groceries.id, posted_on=date(2026, 1, 5))
    split = book.post(
        checking.id,
        "-30",
        splits=[SplitLine(Decimal("-10"), food.id), SplitLine(Decimal("-20"))],
        posted_on=date(2026, 2, 5),
    )
    loose = book.post(
        savings.id, "15.5", memo="Refund 100% ok_", tag_ids=[tag.id], posted_on=date(2026, 3, 5)
    )
    cleared = book.post(
        savings.id,
        "-1",
        status=TransactionStatus.cleared,
        payee="Kiosk",
        posted_on=date(2026, 3, 6),
    )
    with book.uow() as s:
        transfer = service.create_transfer(
            s,
            **book.scope,
            from_account_id=checking.id,
            to_account_id=savings.id,
            posted_on=date(2026, 3, 7),
            amount=Decimal("5"),
        )
    legs = {transfer.sent.id, transfer.received.id}
    assert _ids(book, TransactionFilter(category_ids=(food.id,))) == {in_child, split}
    assert _ids(book, TransactionFilter(category_ids=(groceries.id,))) == {in_child}
    # The split counts: one of its lines has no category.
    assert _ids(book, TransactionFilter(uncategorised=True)) == {split, loose, cleared}
    assert _ids(book, TransactionFilter(tag_ids=(tag.id,))) == {loose}
    assert _ids(book, TransactionFilter(account_ids=(savings.id,), transfers=False)) == {
        loose,
        cleared,
    }
    assert _ids(book, TransactionFilter(transfers=True)) == legs
    assert _ids(book, TransactionFilter(text="100%")) == {loose}
    assert _ids(book, TransactionFilter(text="OK_")) == {loose}
    assert _ids(book, TransactionFilter(text="kiosk")) == {cleared}
    assert _ids(book, TransactionFilter(amount_min=Decimal("-20"), amount_max=Decimal("-1"))) == {
        in_child,
        cleared,
        transfer.sent.id,
    }
    assert _ids(book, TransactionFilter(date_from=date(2026, 2, 1), date_to=date(2026, 3, 5))) == {
        split,
        loose,
    }
    assert _ids(book, TransactionFilter(statuses=(TransactionStatus.cleared,))) == {cleared}


@PROPERTY_SETTINGS
@given(
    amounts=st.lists(st.integers(-100_000, 100_000), min_size=0, max_size=25),
    spread=st.integers(0, 90),
    size=st.integers(1, 7),
    opening=st.integers(-50_000, 50_000),
)
def test_register_pages_cover_every_row_once_with_running_balances(
    database: Database, amounts: list[int], spread: int, size: int, opening: int
) -> None:
    book = make_book(database)
    account = book.account(opening_balance=from_minor(opening, "USD"))
    for i, amount in enumerate(amounts):
        day = date(2026, 1, 1) + timedelta(days=(i * 7919) % (spread + 1))
        book.post(account.id, str(from_minor(amount, "USD")), posted_on=day)
    rows = []
    cursor = None
    with book.uow() as s:
        while True:
            page = service.register_page(
                s, tenant_id=book.tenant_id, account_id=account.id, limit=size, cursor=cursor
            )
            rows.extend(page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
    assert len(rows) == len(amounts)
    keys = [(v.txn.posted_on, v.txn.id) for v in rows]
    assert keys == sorted(keys, reverse=True)
    running = opening
    for view in reversed(rows):
        running += view.txn.amount_minor
        assert view.running_balance_minor == running
