"""Properties that must hold after any sequence of ledger operations.

Each example builds a fresh household, runs a random sequence of posts, splits,
transfers (same and cross currency), edits, bulk recategorisations, deletes and
category merges — each in its own unit of work, as requests would — and then checks:

- account_month equals the GROUP BY of the raw rows (split lines by their categories);
- every account's balance is its opening balance plus the sum of its transactions;
- every split's lines sum exactly to its transaction;
- every transfer has two legs that agree (opposite amounts, or the converted amount).

Example counts stay small: each example is a few dozen database transactions.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coffer.core.money import from_minor
from coffer.db.session import Database
from coffer.errors import CofferError, ValidationFailed
from coffer.ledger import service
from coffer.ledger.errors import UnbalancedSplit
from coffer.ledger.models import (
    Account,
    AccountType,
    CategoryKind,
    LedgerTransaction,
    TransactionSplit,
)
from coffer.ledger.rules import convert_minor
from coffer.ledger.service import BulkAction, SplitLine
from tests.ledger.conftest import PROPERTY_SETTINGS, Book, make_book

# Shrinking a sequence of database operations can take minutes; the failing sequence
# is printed unshrunk instead, which keeps a red CI run short.
SEQUENCE_SETTINGS = settings(
    PROPERTY_SETTINGS,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)

START = date(2025, 11, 1)
cents = st.integers(min_value=-500_000, max_value=500_000)
nonzero_cents = cents.filter(lambda c: c != 0)
days = st.integers(min_value=0, max_value=120)
rates = st.sampled_from(
    [Decimal("0.9137"), Decimal("1.0837"), Decimal("157.25"), Decimal("0.00633")]
)


class World:
    """The household under test and the ids the operations pick from."""

    def __init__(self, book: Book) -> None:
        self.book = book
        self.accounts: list[Account] = [
            book.account("Checking", "USD", opening_balance=Decimal("1000.00")),
            book.account("Savings", "USD", type=AccountType.savings),
            book.account("Euro", "EUR", opening_balance=Decimal("-12.50")),
            book.account("Yen", "JPY", type=AccountType.cash),
        ]
        with book.uow() as s:
            food = service.create_category(s, **book.scope, name="Food", kind=CategoryKind.expense)
            self.categories: list[uuid.UUID | None] = [
                None,
                food.id,
                service.create_category(
                    s, **book.scope, name="Groceries", kind=CategoryKind.expense, parent_id=food.id
                ).id,
                service.create_category(s, **book.scope, name="Home", kind=CategoryKind.expense).id,
                service.create_category(s, **book.scope, name="Pay", kind=CategoryKind.income).id,
            ]
        self.txns: list[uuid.UUID] = []

    def currency(self, index: int) -> str:
        return self.accounts[index].currency

    def amount(self, index: int, value: int) -> Decimal:
        # JPY has no minor unit: keep the same integer, read as whole yen.
        return from_minor(value, self.currency(index))

    def live_txns(self) -> list[uuid.UUID]:
        with self.book.uow() as s:
            return list(
                s.scalars(
                    select(LedgerTransaction.id)
                    .where(LedgerTransaction.tenant_id == self.book.tenant_id)
                    .order_by(LedgerTransaction.id)
                )
            )


@contextmanager
def _tiny_conversions_refused() -> Iterator[None]:
    """A transfer whose converted amount rounds to zero is refused (and rolled back)."""
    refused: list[ValidationFailed] = []
    try:
        yield
    except ValidationFailed as exc:
        refused.append(exc)
    for problem in refused:
        assert problem.errors is not None
        assert [e["field"] for e in problem.errors] == ["amount"]
        assert "too small" in problem.errors[0]["message"]


def _op_post(world: World, data: st.DataObject) -> None:
    account = data.draw(st.integers(0, len(world.accounts) - 1))
    world.book.post(
        world.accounts[account].id,
        str(world.amount(account, data.draw(cents))),
        posted_on=START + timedelta(days=data.draw(days)),
        category_id=data.draw(st.sampled_from(world.categories)),
        status=data.draw(st.sampled_from(["pending", "cleared"])),
    )


def _op_split(world: World, data: st.DataObject) -> None:
    account = data.draw(st.integers(0, len(world.accounts) - 1))
    parts = data.draw(
        st.lists(st.tuples(cents, st.sampled_from(world.categories)), min_size=2, max_size=4)
    )
    total = sum(p for p, _ in parts)
    lines = [SplitLine(world.amount(account, p), c) for p, c in parts]
    if data.draw(st.booleans()):
        # An unbalanced split is refused and changes nothing.
        before = world.live_txns()
        with pytest.raises(UnbalancedSplit):
            world.book.post(
                world.accounts[account].id, str(world.amount(account, total + 1)), splits=lines
            )
        assert world.live_txns() == before
        return
    world.book.post(
        world.accounts[account].id,
        str(world.amount(account, total)),
        posted_on=START + timedelta(days=data.draw(days)),
        splits=lines,
    )


def _op_transfer(world: World, data: st.DataObject) -> None:
    source, target = data.draw(
        st.tuples(st.integers(0, 3), st.integers(0, 3)).filter(lambda pair: pair[0] != pair[1])
    )
    rate = None if world.currency(source) == world.currency(target) else data.draw(rates)
    amount = data.draw(st.integers(1, 300_000))
    with _tiny_conversions_refused(), world.book.uow() as s:
        service.create_transfer(
            s,
            **world.book.scope,
            from_account_id=world.accounts[source].id,
            to_account_id=world.accounts[target].id,
            posted_on=START + timedelta(days=data.draw(days)),
            amount=world.amount(source, amount),
            fx_rate=rate,
        )


def _op_edit(world: World, data: st.DataObject) -> None:
    live = world.live_txns()
    if not live:
        return
    txn_id = data.draw(st.sampled_from(live))
    with world.book.uow() as s:
        txn = service.get_transaction(s, tenant_id=world.book.tenant_id, transaction_id=txn_id)
        account_index = next(i for i, a in enumerate(world.accounts) if a.id == txn.account_id)
        values: dict[str, Any] = {}
        if data.draw(st.booleans()):
            values["posted_on"] = START + timedelta(days=data.draw(days))
        new_amount = data.draw(cents)
        if txn.transfer_group_id is not None:
            if txn.amount_minor < 0 and data.draw(st.booleans()):
                values["amount"] = world.amount(account_index, -abs(new_amount) or -1)
        elif txn.is_split:
            a, b = data.draw(cents), data.draw(cents)
            values["amount"] = world.amount(account_index, a + b)
            values["splits"] = [
                SplitLine(
                    world.amount(account_index, a), data.draw(st.sampled_from(world.categories))
                ),
                SplitLine(
                    world.amount(account_index, b), data.draw(st.sampled_from(world.categories))
                ),
            ]
        else:
            values["amount"] = world.amount(account_index, new_amount)
            values["category_id"] = data.draw(st.sampled_from(world.categories))
    with _tiny_conversions_refused(), world.book.uow() as s:
        service.update_transaction(s, **world.book.scope, transaction_id=txn_id, values=values)  # type: ignore[arg-type]


def _op_delete(world: World, data: st.DataObject) -> None:
    live = world.live_txns()
    if live:
        with world.book.uow() as s:
            service.delete_transaction(
                s, **world.book.scope, transaction_id=data.draw(st.sampled_from(live))
            )


def _op_bulk(world: World, data: st.DataObject) -> None:
    live = world.live_txns()
    if live:
        ids = data.draw(st.lists(st.sampled_from(live), min_size=1, max_size=5, unique=True))
        with world.book.uow() as s:
            service.bulk_update(
                s,
                **world.book.scope,
                action=BulkAction.recategorise,
                ids=ids,
                category_id=data.draw(st.sampled_from(world.categories)),
            )


def _op_merge(world: World, data: st.DataObject) -> None:
    # Groceries (a child of Food) folds into Home, once.
    source, target = world.categories[2], world.categories[3]
    if source is None or target is None or source == target:
        return
    with world.book.uow() as s:
        service.merge_categories(s, **world.book.scope, source_id=source, target_id=target)
    world.categories[2] = world.categories[3]


OPERATIONS = [
    _op_post,
    _op_post,
    _op_split,
    _op_transfer,
    _op_edit,
    _op_delete,
    _op_bulk,
    _op_merge,
]


def _check_invariants(world: World) -> None:
    book = world.book
    tenant_id = book.tenant_id
    with book.uow() as s:
        assert service.reconcile_aggregates(s, tenant_id=tenant_id) == []
        accounts = service.list_accounts(s, tenant_id=tenant_id)
        balances = service.balances(s, tenant_id=tenant_id, accounts=accounts)
        for account in accounts:
            raw = s.scalar(
                select(func.coalesce(func.sum(LedgerTransaction.amount_minor), 0)).where(
                    LedgerTransaction.tenant_id == tenant_id,
                    LedgerTransaction.account_id == account.id,
                )
            )
            assert balances[account.id] == account.opening_balance_minor + int(raw or 0)
            assert service.balance(s, tenant_id=tenant_id, account=account) == balances[account.id]
            # The cleared balance leaves out exactly the pending rows, now and on any day.
            for on in (None, START + timedelta(days=3)):
                settled = select(func.coalesce(func.sum(LedgerTransaction.amount_minor), 0)).where(
                    LedgerTransaction.tenant_id == tenant_id,
                    LedgerTransaction.account_id == account.id,
                    LedgerTransaction.status != "pending",
                )
                if on is not None:
                    settled = settled.where(LedgerTransaction.posted_on <= on)
                assert service.cleared_balance(
                    s, tenant_id=tenant_id, account=account, on=on
                ) == account.opening_balance_minor + int(s.scalar(settled) or 0)
        txns = list(
            s.scalars(select(LedgerTransaction).where(LedgerTransaction.tenant_id == tenant_id))
        )
        lines: dict[uuid.UUID, int] = {}
        for line in s.scalars(
            select(TransactionSplit).where(TransactionSplit.tenant_id == tenant_id)
        ):
            lines[line.transaction_id] = lines.get(line.transaction_id, 0) + line.amount_minor
        currency = {a.id: a.currency for a in accounts}
        groups: dict[uuid.UUID, list[LedgerTransaction]] = {}
        for txn in txns:
            assert txn.is_split == (txn.id in lines)
            if txn.is_split:
                assert lines[txn.id] == txn.amount_minor
                assert txn.category_id is None
            if txn.transfer_group_id is not None:
                groups.setdefault(txn.transfer_group_id, []).append(txn)
        for legs in groups.values():
            assert len(legs) == 2
            sent, received = sorted(legs, key=lambda t: t.amount_minor)
            assert (
                sent.amount_minor < 0 < received.amount_minor
                or sent.amount_minor == -received.amount_minor
            )
            assert sent.posted_on == received.posted_on
            if sent.fx_rate is None:
                assert sent.amount_minor == -received.amount_minor
            else:
                assert received.fx_rate == sent.fx_rate
                assert received.amount_minor == convert_minor(
                    -sent.amount_minor,
                    currency[sent.account_id],
                    currency[received.account_id],
                    sent.fx_rate,
                )


@SEQUENCE_SETTINGS
@given(data=st.data())
def test_aggregates_balances_splits_and_transfers_hold_after_any_operations(
    database: Database, data: st.DataObject
) -> None:
    world = World(make_book(database))
    steps = data.draw(st.lists(st.sampled_from(OPERATIONS), min_size=3, max_size=12))
    for step in steps:
        step(world, data)
    _check_invariants(world)


@PROPERTY_SETTINGS
@given(parts=st.lists(nonzero_cents, min_size=2, max_size=6), offset=st.integers(-3, 3))
def test_a_split_is_accepted_exactly_when_its_lines_sum_to_the_total(
    database: Database, parts: list[int], offset: int
) -> None:
    book = make_book(database)
    account = book.account()
    total = sum(parts) + offset
    lines = [SplitLine(from_minor(p, "USD")) for p in parts]
    if offset == 0:
        txn_id = book.post(account.id, str(from_minor(total, "USD")), splits=lines)
        with book.uow() as s:
            txn = service.get_transaction(s, tenant_id=book.tenant_id, transaction_id=txn_id)
            view = service.load_views(s, tenant_id=book.tenant_id, txns=[txn])[0]
            assert sum(line.amount_minor for line in view.splits) == txn.amount_minor == total
    else:
        with pytest.raises(UnbalancedSplit):
            book.post(account.id, str(from_minor(total, "USD")), splits=lines)
        with book.uow() as s:
            assert (
                service.search_transactions(
                    s, tenant_id=book.tenant_id, filters=service.TransactionFilter()
                ).items
                == []
            )
    book.check_aggregates()


@PROPERTY_SETTINGS
@given(call=st.integers(0, 11))
def test_another_households_ids_are_always_not_found(database: Database, call: int) -> None:
    victim, attacker = make_book(database), make_book(database)
    account, second = victim.account(), victim.account("Second")
    txn_id = victim.post(account.id, "-5.00")
    with victim.uow() as s:
        category = service.create_category(
            s, **victim.scope, name="Mine", kind=CategoryKind.expense
        )
        tag = service.create_tag(s, **victim.scope, name="secret")
        rate = service.add_rate(
            s, **victim.scope, rate_on=START, base="USD", quote="EUR", rate=Decimal("0.9")
        )
        transfer = service.create_transfer(
            s,
            **victim.scope,
            from_account_id=account.id,
            to_account_id=second.id,
            posted_on=START,
            amount=Decimal("1.00"),
        )
    own = attacker.account()
    scope = attacker.scope
    calls: list[Callable[[Session], object]] = [
        lambda s: service.get_account(s, tenant_id=attacker.tenant_id, account_id=account.id),
        lambda s: service.update_account(s, **scope, account_id=account.id, values={"name": "x"}),
        lambda s: service.delete_account(s, **scope, account_id=account.id),
        lambda s: service.get_transaction(s, tenant_id=attacker.tenant_id, transaction_id=txn_id),
        lambda s: service.update_transaction(
            s, **scope, transaction_id=txn_id, values={"memo": "x"}
        ),
        lambda s: service.delete_transaction(s, **scope, transaction_id=txn_id),
        lambda s: service.bulk_update(s, **scope, action=BulkAction.delete, ids=[txn_id]),
        lambda s: service.post_transaction(
            s,
            **scope,
            account_id=own.id,
            posted_on=START,
            amount=Decimal(1),
            category_id=category.id,
        ),
        lambda s: service.post_transaction(
            s, **scope, account_id=own.id, posted_on=START, amount=Decimal(1), tag_ids=[tag.id]
        ),
        lambda s: service.delete_rate(s, **scope, fx_rate_id=rate.id),
        lambda s: service.delete_transfer(s, **scope, transfer_id=transfer.id),
        lambda s: service.merge_categories(
            s, **scope, source_id=category.id, target_id=category.id
        ),
    ]
    with attacker.uow() as s, pytest.raises(CofferError) as caught:
        calls[call](s)
    assert caught.value.status == 404
    victim.check_aggregates()
