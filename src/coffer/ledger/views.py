"""Transactions with what belongs to them (currency, split lines, tags, merchant, the
other leg of a transfer), loaded for a whole page in a handful of queries; and the
audited snapshot of a transaction.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from coffer.ledger.common import decimal_text
from coffer.ledger.models import (
    Account,
    LedgerTransaction,
    Merchant,
    TransactionSplit,
    TransactionTag,
)


@dataclass
class TransactionView:
    txn: LedgerTransaction
    currency: str
    splits: list[TransactionSplit] = field(default_factory=list)
    tag_ids: list[uuid.UUID] = field(default_factory=list)
    merchant_name: str | None = None
    # For a transfer leg: the account of the other leg.
    transfer_account_id: uuid.UUID | None = None
    # In register pages: the balance just after this row.
    running_balance_minor: int | None = None


def _chunks(ids: Sequence[uuid.UUID], size: int = 500) -> Iterable[list[uuid.UUID]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def load_splits(
    session: Session, tenant_id: uuid.UUID, txn_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[TransactionSplit]]:
    found: dict[uuid.UUID, list[TransactionSplit]] = defaultdict(list)
    for chunk in _chunks(list(txn_ids)):
        query = (
            select(TransactionSplit)
            .where(
                TransactionSplit.tenant_id == tenant_id,
                TransactionSplit.transaction_id.in_(chunk),
            )
            .order_by(TransactionSplit.transaction_id, TransactionSplit.position)
        )
        for line in session.scalars(query):
            found[line.transaction_id].append(line)
    return found


def load_tags(
    session: Session, tenant_id: uuid.UUID, txn_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    found: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for chunk in _chunks(list(txn_ids)):
        query = select(TransactionTag.transaction_id, TransactionTag.tag_id).where(
            TransactionTag.tenant_id == tenant_id, TransactionTag.transaction_id.in_(chunk)
        )
        for txn_id, tag_id in session.execute(query):
            found[txn_id].append(tag_id)
    for tags in found.values():
        tags.sort()
    return found


def load_views(
    session: Session, *, tenant_id: uuid.UUID, txns: Sequence[LedgerTransaction]
) -> list[TransactionView]:
    if not txns:
        return []
    ids = [t.id for t in txns]
    split_ids = [t.id for t in txns if t.is_split]
    account_ids = {t.account_id for t in txns}
    currencies: dict[uuid.UUID, str] = {}
    # Accounts this unit of work has loaded already (a register's own account) need no
    # statement; the others are read together.
    for account_id in list(account_ids):
        known = session.identity_map.get(identity_key(Account, account_id))
        if isinstance(known, Account) and known.tenant_id == tenant_id:
            currencies[account_id] = known.currency
            account_ids.discard(account_id)
    if account_ids:
        for account_id, code in session.execute(
            select(Account.id, Account.currency).where(
                Account.tenant_id == tenant_id, Account.id.in_(account_ids)
            )
        ):
            currencies[account_id] = code
    splits = load_splits(session, tenant_id, split_ids) if split_ids else {}
    tags = load_tags(session, tenant_id, ids)
    merchant_ids = {t.merchant_id for t in txns if t.merchant_id is not None}
    merchants: dict[uuid.UUID, str] = {}
    if merchant_ids:
        for merchant_id, name in session.execute(
            select(Merchant.id, Merchant.name).where(
                Merchant.tenant_id == tenant_id, Merchant.id.in_(merchant_ids)
            )
        ):
            merchants[merchant_id] = name
    groups = {t.transfer_group_id for t in txns if t.transfer_group_id is not None}
    other_leg: dict[tuple[uuid.UUID, uuid.UUID], uuid.UUID] = {}
    if groups:
        legs = session.execute(
            select(
                LedgerTransaction.transfer_group_id,
                LedgerTransaction.id,
                LedgerTransaction.account_id,
            ).where(
                LedgerTransaction.tenant_id == tenant_id,
                LedgerTransaction.transfer_group_id.in_(groups),
            )
        ).all()
        by_group: dict[uuid.UUID, list[tuple[uuid.UUID, uuid.UUID]]] = defaultdict(list)
        for group_id, leg_id, account_id in legs:
            if group_id is not None:
                by_group[group_id].append((leg_id, account_id))
        for group_id, members in by_group.items():
            for leg_id, _ in members:
                others = [acct for other_id, acct in members if other_id != leg_id]
                if others:
                    other_leg[(group_id, leg_id)] = others[0]
    return [
        TransactionView(
            txn=t,
            currency=currencies[t.account_id],
            splits=splits.get(t.id, []),
            tag_ids=tags.get(t.id, []),
            merchant_name=merchants.get(t.merchant_id) if t.merchant_id else None,
            transfer_account_id=(
                other_leg.get((t.transfer_group_id, t.id)) if t.transfer_group_id else None
            ),
        )
        for t in txns
    ]


def load_view(session: Session, *, tenant_id: uuid.UUID, txn: LedgerTransaction) -> TransactionView:
    return load_views(session, tenant_id=tenant_id, txns=[txn])[0]


def snapshot(
    txn: LedgerTransaction,
    currency: str,
    *,
    tag_ids: Sequence[uuid.UUID] = (),
    splits: Sequence[TransactionSplit] = (),
) -> dict[str, Any]:
    """The audited view of a transaction: amounts as decimal strings with the currency."""
    return {
        "account_id": txn.account_id,
        "posted_on": txn.posted_on,
        "amount": decimal_text(txn.amount_minor, currency),
        "currency": currency,
        "payee": txn.payee,
        "merchant_id": txn.merchant_id,
        "memo": txn.memo,
        "notes": txn.notes,
        "category_id": txn.category_id,
        "status": txn.status,
        "tags": sorted(str(t) for t in tag_ids),
        "splits": [
            {
                "category_id": line.category_id,
                "amount": decimal_text(line.amount_minor, currency),
                "memo": line.memo,
            }
            for line in splits
        ],
        "transfer_group_id": txn.transfer_group_id,
        "fx_rate": txn.fx_rate,
    }


def view_snapshot(view: TransactionView) -> dict[str, Any]:
    return snapshot(view.txn, view.currency, tag_ids=view.tag_ids, splits=view.splits)
