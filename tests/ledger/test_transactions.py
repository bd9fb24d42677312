"""Transactions through the service: posting, splits, edits, deletes, locks, audit."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from coffer.errors import NotFound, ValidationFailed
from coffer.ledger import service
from coffer.ledger.errors import AccountClosed, ReconciledLocked, UnbalancedSplit
from coffer.ledger.models import CategoryKind, TransactionStatus
from coffer.ledger.service import SplitLine
from tests.ledger.conftest import Book


def _balance(book: Book, account_id: uuid.UUID) -> int:
    with book.uow() as s:
        account = service.get_account(s, tenant_id=book.tenant_id, account_id=account_id)
        return service.balance(s, tenant_id=book.tenant_id, account=account)


def test_post_transaction_updates_balance_and_aggregate(book: Book) -> None:
    account = book.account(opening_balance=Decimal("100.00"))
    book.post(account.id, "-12.34", payee="SQ *BLUE BOTTLE COFFEE 0423")
    book.post(account.id, "2500", posted_on=date(2026, 4, 1))
    assert _balance(book, account.id) == 10000 - 1234 + 250000
    book.check_aggregates()


def test_post_derives_the_merchant_from_the_payee(book: Book) -> None:
    account = book.account()
    first = book.post(account.id, "-4.50", payee="SQ *BLUE BOTTLE COFFEE 0423")
    second = book.post(account.id, "-5.00", payee="Blue Bottle Coffee #12 Oakland")
    with book.uow() as s:
        a = service.get_transaction(s, tenant_id=book.tenant_id, transaction_id=first)
        b = service.get_transaction(s, tenant_id=book.tenant_id, transaction_id=second)
        assert a.merchant_id is not None
        assert a.merchant_id == b.merchant_id
        assert [m.name for m in service.list_merchants(s, tenant_id=book.tenant_id)] == [
            "Blue Bottle Coffee"
        ]


def test_amount_with_too_many_decimals_names_the_field(book: Book) -> None:
    account = book.account(currency="JPY")
    with pytest.raises(ValidationFailed) as caught:
        book.post(account.id, "10.5")
    assert caught.value.errors is not None
    assert [e["field"] for e in caught.value.errors] == ["amount"]
    book.post(account.id, "1050")
    assert _balance(book, account.id) == 1050


def test_split_lines_must_sum_to_the_total(book: Book) -> None:
    account = book.account()
    with book.uow() as s:
        food = service.create_category(s, **book.scope, name="Food", kind=CategoryKind.expense)
        home = service.create_category(s, **book.scope, name="Home", kind=CategoryKind.expense)
    with pytest.raises(UnbalancedSplit) as caught:
        book.post(
            account.id,
            "-100.00",
            splits=[
                SplitLine(Decimal("-60.00"), food.id),
                SplitLine(Decimal("-39.99"), home.id),
            ],
        )
    assert caught.value.errors
    assert caught.value.errors[0]["field"] == "splits"
    txn_id = book.post(
        account.id,
        "-100.00",
        splits=[SplitLine(Decimal("-60.00"), food.id), SplitLine(Decimal("-40.00"), home.id)],
    )
    with book.uow() as s:
        txn = service.get_transaction(s, tenant_id=book.tenant_id, transaction_id=txn_id)
        view = service.load_views(s, tenant_id=book.tenant_id, txns=[txn])[0]
        assert txn.is_split
        assert txn.category_id is None
        assert [line.amount_minor for line in view.splits] == [-6000, -4000]
    book.check_aggregates()


def test_changing_a_split_amount_needs_matching_lines(book: Book) -> None:
    account = book.account()
    with book.uow() as s:
        food = service.create_category(s, **book.scope, name="Food", kind=CategoryKind.expense)
    txn_id = book.post(
        account.id,
        "-10.00",
        splits=[SplitLine(Decimal("-6.00"), food.id), SplitLine(Decimal("-4.00"))],
    )
    with book.uow() as s, pytest.raises(UnbalancedSplit):
        service.update_transaction(
            s, **book.scope, transaction_id=txn_id, values={"amount": Decimal("-11.00")}
        )
    with book.uow() as s:
        service.update_transaction(
            s,
            **book.scope,
            transaction_id=txn_id,
            values={
                "amount": Decimal("-11.00"),
                "splits": [SplitLine(Decimal("-7.00"), food.id), SplitLine(Decimal("-4.00"))],
            },
        )
    with book.uow() as s:
        service.update_transaction(
            s,
            **book.scope,
            transaction_id=txn_id,
            values={"splits": None, "category_id": food.id},
        )
        txn = service.get_transaction(s, tenant_id=book.tenant_id, transaction_id=txn_id)
        assert not txn.is_split
        assert txn.category_id == food.id
    assert _balance(book, account.id) == -1100
    book.check_aggregates()


def test_edit_is_audited_with_old_and_new_values(book: Book) -> None:
    account = book.account()
    txn_id = book.post(account.id, "-12.30", memo="lunch")
    with book.uow() as s:
        service.update_transaction(
            s,
            **book.scope,
            transaction_id=txn_id,
            values={"amount": Decimal("-13.30"), "memo": "team lunch"},
        )
    events = book.events(txn_id)
    assert [e.action for e in events] == ["transaction.created", "transaction.updated"]
    assert events[0].new_values
    assert events[0].new_values["amount"] == "-12.30"
    assert events[1].old_values == {"amount": "-12.30", "memo": "lunch"}
    assert events[1].new_values == {"amount": "-13.30", "memo": "team lunch"}
    with book.uow() as s:
        service.delete_transaction(s, **book.scope, transaction_id=txn_id)
    deleted = book.events(txn_id)[-1]
    assert deleted.action == "transaction.deleted"
    assert deleted.old_values
    assert deleted.old_values["amount"] == "-13.30"
    assert _balance(book, account.id) == 0
    book.check_aggregates()


def test_another_households_ids_are_not_found(book: Book, other_book: Book) -> None:
    mine = book.account()
    theirs = other_book.account()
    their_txn = other_book.post(theirs.id, "-1.00")
    with book.uow() as s, pytest.raises(NotFound):
        service.get_transaction(s, tenant_id=book.tenant_id, transaction_id=their_txn)
    with book.uow() as s, pytest.raises(NotFound):
        service.post_transaction(
            s, **book.scope, account_id=theirs.id, posted_on=date(2026, 1, 1), amount=Decimal(1)
        )
    with other_book.uow() as s:
        their_category = service.create_category(
            s, **other_book.scope, name="Secret", kind=CategoryKind.expense
        ).id
    with pytest.raises(NotFound):
        book.post(mine.id, "-1.00", category_id=their_category)
    with book.uow() as s, pytest.raises(NotFound):
        service.delete_transaction(s, **book.scope, transaction_id=their_txn)
    other_book.check_aggregates()


def test_closed_account_takes_no_new_transactions(book: Book) -> None:
    account = book.account()
    with book.uow() as s:
        service.close_account(s, **book.scope, account_id=account.id)
    with pytest.raises(AccountClosed):
        book.post(account.id, "-1.00")
    with book.uow() as s:
        service.reopen_account(s, **book.scope, account_id=account.id)
    book.post(account.id, "-1.00")


def test_reconciled_transactions_are_locked_unless_unlocked(book: Book) -> None:
    account = book.account()
    txn_id = book.post(account.id, "-20.00", status=TransactionStatus.cleared)
    with book.uow() as s:
        summary = service.start_reconciliation(
            s,
            **book.scope,
            account_id=account.id,
            statement_on=date(2026, 3, 31),
            statement_balance=Decimal("-20.00"),
        )
        assert summary.difference_minor == 0
        service.finish_reconciliation(
            s, **book.scope, account_id=account.id, reconciliation_id=summary.reconciliation.id
        )
    with book.uow() as s, pytest.raises(ReconciledLocked):
        service.update_transaction(
            s, **book.scope, transaction_id=txn_id, values={"amount": Decimal("-21.00")}
        )
    with book.uow() as s, pytest.raises(ReconciledLocked):
        service.delete_transaction(s, **book.scope, transaction_id=txn_id)
    with book.uow() as s:
        service.update_transaction(s, **book.scope, transaction_id=txn_id, values={"memo": "ok"})
        service.update_transaction(
            s,
            **book.scope,
            transaction_id=txn_id,
            values={"amount": Decimal("-21.00")},
            unlock=True,
        )
    assert _balance(book, account.id) == -2100
    book.check_aggregates()
