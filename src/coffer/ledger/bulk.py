"""Bulk actions on a selection of transactions: recategorise, tag, untag, mark cleared
or uncleared, delete.

Every id must belong to the household, or nothing changes (NotFound). Transactions an
action leaves as they were are reported as skipped (already so, or not applicable: a
split transaction keeps its lines' categories; a reconciled one stays cleared). Each
changed transaction gets its own audit event with old and new values.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import delete
from sqlalchemy.orm import Session

from coffer.errors import field_error
from coffer.ledger import aggregates
from coffer.ledger.common import MAX_BULK, get_or_404
from coffer.ledger.errors import ReconciledLocked
from coffer.ledger.models import Category, LedgerTransaction, Tag, TransactionStatus, TransactionTag
from coffer.ledger.rules import audit
from coffer.ledger.transactions import delete_many, transactions_by_ids
from coffer.ledger.views import load_tags


class BulkAction(StrEnum):
    recategorise = "recategorise"
    tag = "tag"
    untag = "untag"
    mark_cleared = "mark_cleared"
    mark_uncleared = "mark_uncleared"
    delete = "delete"


@dataclass
class BulkResult:
    action: BulkAction
    changed: list[uuid.UUID] = field(default_factory=list)
    skipped: list[uuid.UUID] = field(default_factory=list)


def bulk_update(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    action: BulkAction,
    ids: Sequence[uuid.UUID],
    category_id: uuid.UUID | None = None,
    tag_id: uuid.UUID | None = None,
    unlock: bool = False,
) -> BulkResult:
    action = BulkAction(action)
    if not ids:
        raise field_error("ids", "select at least one transaction")
    if len(ids) > MAX_BULK:
        raise field_error("ids", f"at most {MAX_BULK} transactions at a time")
    txns = transactions_by_ids(session, tenant_id=tenant_id, ids=ids)
    result = BulkResult(action=action)
    if action is BulkAction.delete:
        result.changed = delete_many(
            session, tenant_id=tenant_id, actor_id=actor_id, txns=txns, unlock=unlock
        )
    elif action is BulkAction.recategorise:
        if category_id is not None:
            get_or_404(session, Category, tenant_id=tenant_id, id=category_id, field="category_id")
        _recategorise(session, tenant_id, actor_id, txns, category_id, result)
    elif action in (BulkAction.tag, BulkAction.untag):
        if tag_id is None:
            raise field_error("tag_id", "choose the tag")
        get_or_404(session, Tag, tenant_id=tenant_id, id=tag_id, field="tag_id")
        _tag(session, tenant_id, actor_id, txns, tag_id, action is BulkAction.tag, result)
    else:
        _mark(session, actor_id, txns, action is BulkAction.mark_cleared, unlock, result)
    session.flush()
    return result


def _recategorise(
    session: Session,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    txns: Sequence[LedgerTransaction],
    category_id: uuid.UUID | None,
    result: BulkResult,
) -> None:
    deltas = aggregates.Deltas()
    for txn in txns:
        if txn.is_split:
            result.skipped.append(txn.id)
            continue
        if txn.category_id == category_id:
            result.skipped.append(txn.id)
            continue
        deltas.add_transaction(txn, sign=-1)
        old = txn.category_id
        txn.category_id = category_id
        deltas.add_transaction(txn)
        audit(
            session,
            action="transaction.updated",
            actor_id=actor_id,
            txn=txn,
            old={"category_id": old},
            new={"category_id": category_id},
        )
        result.changed.append(txn.id)
    session.flush()
    aggregates.apply(session, tenant_id=tenant_id, deltas=deltas)


def _tag(
    session: Session,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    txns: Sequence[LedgerTransaction],
    tag_id: uuid.UUID,
    add: bool,
    result: BulkResult,
) -> None:
    current = load_tags(session, tenant_id, [t.id for t in txns])
    changing = [t for t in txns if (tag_id in current.get(t.id, [])) != add]
    if add:
        session.add_all(
            TransactionTag(tenant_id=tenant_id, transaction_id=t.id, tag_id=tag_id)
            for t in changing
        )
    else:
        changed_ids = [t.id for t in changing]
        for start in range(0, len(changed_ids), 500):
            session.execute(
                delete(TransactionTag).where(
                    TransactionTag.tenant_id == tenant_id,
                    TransactionTag.tag_id == tag_id,
                    TransactionTag.transaction_id.in_(changed_ids[start : start + 500]),
                )
            )
    for txn in changing:
        before = sorted(current.get(txn.id, []))
        after = sorted([*before, tag_id]) if add else [t for t in before if t != tag_id]
        audit(
            session,
            action="transaction.updated",
            actor_id=actor_id,
            txn=txn,
            old={"tags": [str(t) for t in before]},
            new={"tags": [str(t) for t in after]},
        )
        result.changed.append(txn.id)
    for txn in txns:
        if txn.id not in result.changed:
            result.skipped.append(txn.id)


def _mark(
    session: Session,
    actor_id: uuid.UUID | None,
    txns: Sequence[LedgerTransaction],
    cleared: bool,
    unlock: bool,
    result: BulkResult,
) -> None:
    pending, done, reconciled = (s.value for s in TransactionStatus)
    if not cleared and not unlock and any(t.status == reconciled for t in txns):
        raise ReconciledLocked(
            "Some of these transactions are reconciled, so they stay cleared. Unlock them first."
        )
    target = done if cleared else pending
    for txn in txns:
        if txn.status == target or (cleared and txn.status == reconciled):
            result.skipped.append(txn.id)
            continue
        old = txn.status
        txn.status = target
        audit(
            session,
            action="transaction.updated",
            actor_id=actor_id,
            txn=txn,
            old={"status": old},
            new={"status": target},
        )
        result.changed.append(txn.id)
