"""Undoing a committed batch: its transactions go, and with them exactly what they added
to account_month, in the caller's one database transaction.

Refused when any of them has been reconciled since (the statement it was checked
against would no longer add up) or has been made a leg of a transfer (the other leg
would be left alone).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from coffer.imports.errors import UndoRefused
from coffer.imports.models import CategorySuggestion, ImportBatch
from coffer.ledger import aggregates
from coffer.ledger.models import (
    LedgerTransaction,
    TransactionSplit,
    TransactionStatus,
    TransactionTag,
)


def _batch_rows(batch: ImportBatch) -> list[object]:
    txn = LedgerTransaction
    return [txn.tenant_id == batch.tenant_id, txn.import_batch_id == batch.id]


def undo_blockers(
    session: Session, *, tenant_id: uuid.UUID, batch_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """Why each of these batches cannot be undone now; batches that can are left out."""
    if not batch_ids:
        return {}
    txn = LedgerTransaction
    rows = session.execute(
        select(
            txn.import_batch_id,
            func.count().filter(txn.status == TransactionStatus.reconciled.value),
            func.count().filter(txn.transfer_group_id.is_not(None)),
        )
        .where(txn.tenant_id == tenant_id, txn.import_batch_id.in_(list(batch_ids)))
        .where(
            (txn.status == TransactionStatus.reconciled.value) | txn.transfer_group_id.is_not(None)
        )
        .group_by(txn.import_batch_id)
    ).all()
    reasons: dict[uuid.UUID, str] = {}
    for batch_id, reconciled, transfers in rows:
        if batch_id is None:  # not selected by the filter; keeps the type exact
            continue
        if reconciled:
            reasons[batch_id] = (
                f"{reconciled} {'transaction' if reconciled == 1 else 'transactions'} of this "
                f"import {'has' if reconciled == 1 else 'have'} been reconciled since; "
                "unlock them before undoing the import."
            )
        elif transfers:
            reasons[batch_id] = (
                f"{transfers} {'transaction' if transfers == 1 else 'transactions'} of this "
                f"import {'is' if transfers == 1 else 'are'} now part of transfers; "
                "remove those transfers before undoing the import."
            )
    return reasons


def check_undoable(session: Session, batch: ImportBatch) -> None:
    reason = undo_blockers(session, tenant_id=batch.tenant_id, batch_ids=[batch.id]).get(batch.id)
    if reason is not None:
        raise UndoRefused(reason)


def delete_batch_rows(session: Session, batch: ImportBatch) -> int:
    """Delete every transaction of the batch; returns how many."""
    check_undoable(session, batch)
    session.flush()
    txn, line = LedgerTransaction, TransactionSplit
    where = _batch_rows(batch)
    month = aggregates.month_expr(session, txn.posted_on)
    deltas = aggregates.Deltas()
    whole = (
        select(month, txn.category_id, func.sum(txn.amount_minor), func.count())
        .where(*where, txn.is_split.is_(False))  # type: ignore[arg-type]
        .group_by(month, txn.category_id)
    )
    parts = (
        select(month, line.category_id, func.sum(line.amount_minor), func.count())
        .join(txn, txn.id == line.transaction_id)
        .where(line.tenant_id == batch.tenant_id, *where)  # type: ignore[arg-type]
        .group_by(month, line.category_id)
    )
    for query in (whole, parts):
        for month_on, category_id, total, count in session.execute(query):
            deltas.add((batch.account_id, month_on, category_id), -int(total), -int(count))
    ids = select(txn.id).where(*where)  # type: ignore[arg-type]
    for model in (TransactionTag, TransactionSplit):
        session.execute(
            delete(model)
            .where(model.tenant_id == batch.tenant_id, model.transaction_id.in_(ids))
            .execution_options(synchronize_session=False)
        )
    session.execute(
        delete(CategorySuggestion)
        .where(
            CategorySuggestion.tenant_id == batch.tenant_id,
            CategorySuggestion.import_batch_id == batch.id,
        )
        .execution_options(synchronize_session=False)
    )
    result = session.execute(
        delete(txn).where(*where).execution_options(synchronize_session=False)  # type: ignore[arg-type]
    )
    removed = int(getattr(result, "rowcount", 0) or 0)
    aggregates.apply(session, tenant_id=batch.tenant_id, deltas=deltas)
    return removed
