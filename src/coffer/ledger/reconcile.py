"""Reconciliation: check an account against a bank statement.

Start with the statement's date and closing balance; tick the transactions the
statement shows (pending -> cleared); the difference is the statement balance minus
the cleared balance (opening balance plus every cleared or reconciled transaction up
to the statement date). Finishing is allowed only at a difference of zero: the cleared
transactions become reconciled, which locks their amount, date, account and status.

The cleared balance is computed as the balance on the statement date (from the
monthly aggregate) minus the uncleared rows up to it, which a partial index keeps
cheap however long the account's history is.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from coffer.audit.service import record
from coffer.db.base import utcnow
from coffer.errors import Conflict, RuleViolation, field_error
from coffer.ledger.accounts import balance, get_account
from coffer.ledger.common import (
    MAX_BULK,
    decimal_text,
    get_or_404,
    minor,
    not_found,
    rowcount,
    scoped,
)
from coffer.ledger.errors import ReconciledLocked
from coffer.ledger.models import (
    Account,
    LedgerTransaction,
    Reconciliation,
    ReconciliationStatus,
    TransactionStatus,
)
from coffer.ledger.rules import audit
from coffer.ledger.transactions import transactions_by_ids

PENDING = TransactionStatus.pending.value
CLEARED = TransactionStatus.cleared.value
RECONCILED = TransactionStatus.reconciled.value
IN_PROGRESS = ReconciliationStatus.in_progress.value


@dataclass(frozen=True, slots=True)
class ReconciliationSummary:
    reconciliation: Reconciliation
    account: Account
    cleared_balance_minor: int
    uncleared_count: int

    @property
    def difference_minor(self) -> int:
        """What is still unexplained: statement balance minus cleared balance."""
        return self.reconciliation.statement_balance_minor - self.cleared_balance_minor


def _summary(
    session: Session, account: Account, reconciliation: Reconciliation
) -> ReconciliationSummary:
    txn = LedgerTransaction
    on = reconciliation.statement_on
    if reconciliation.status != IN_PROGRESS:
        return ReconciliationSummary(
            reconciliation, account, reconciliation.statement_balance_minor, 0
        )
    pending_total, pending_count = session.execute(
        select(func.coalesce(func.sum(txn.amount_minor), 0), func.count()).where(
            txn.tenant_id == account.tenant_id,
            txn.account_id == account.id,
            txn.status == PENDING,
            txn.posted_on <= on,
        )
    ).one()
    on_day = balance(session, tenant_id=account.tenant_id, account=account, on=on)
    return ReconciliationSummary(
        reconciliation, account, on_day - int(pending_total), int(pending_count)
    )


def _audit(
    session: Session,
    action: str,
    actor_id: uuid.UUID | None,
    reconciliation: Reconciliation,
    account: Account,
    **extra: object,
) -> None:
    record(
        session,
        action=action,
        actor_id=actor_id,
        tenant_id=reconciliation.tenant_id,
        entity_type="reconciliation",
        entity_id=reconciliation.id,
        new={
            "account_id": account.id,
            "statement_on": reconciliation.statement_on,
            "statement_balance": decimal_text(
                reconciliation.statement_balance_minor, account.currency
            ),
            "status": reconciliation.status,
            **extra,
        },
    )


def start_reconciliation(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    account_id: uuid.UUID,
    statement_on: date,
    statement_balance: Decimal,
) -> ReconciliationSummary:
    account = get_account(session, tenant_id=tenant_id, account_id=account_id)
    statement_minor = minor(statement_balance, account.currency, field="statement_balance")
    existing = session.scalar(
        scoped(Reconciliation, tenant_id).where(
            Reconciliation.account_id == account.id, Reconciliation.status == IN_PROGRESS
        )
    )
    if existing is not None:
        raise Conflict(
            "A reconciliation of this account is already in progress; finish or cancel it."
        )
    last = session.scalar(
        select(func.max(Reconciliation.statement_on)).where(
            Reconciliation.tenant_id == tenant_id,
            Reconciliation.account_id == account.id,
            Reconciliation.status == ReconciliationStatus.completed.value,
        )
    )
    if last is not None and statement_on <= last:
        raise field_error(
            "statement_on", f"must be after the last reconciled statement ({last.isoformat()})"
        )
    reconciliation = Reconciliation(
        tenant_id=tenant_id,
        account_id=account.id,
        statement_on=statement_on,
        statement_balance_minor=statement_minor,
        status=IN_PROGRESS,
    )
    session.add(reconciliation)
    session.flush()
    _audit(session, "reconciliation.started", actor_id, reconciliation, account)
    return _summary(session, account, reconciliation)


def _open(
    session: Session, tenant_id: uuid.UUID, account_id: uuid.UUID, reconciliation_id: uuid.UUID
) -> tuple[Account, Reconciliation]:
    account = get_account(session, tenant_id=tenant_id, account_id=account_id)
    reconciliation = get_or_404(session, Reconciliation, tenant_id=tenant_id, id=reconciliation_id)
    if reconciliation.account_id != account.id:
        raise not_found(Reconciliation)
    return account, reconciliation


def _in_progress(reconciliation: Reconciliation) -> None:
    if reconciliation.status != IN_PROGRESS:
        raise RuleViolation("This reconciliation is finished.")


def get_reconciliation(
    session: Session, *, tenant_id: uuid.UUID, account_id: uuid.UUID, reconciliation_id: uuid.UUID
) -> ReconciliationSummary:
    account, reconciliation = _open(session, tenant_id, account_id, reconciliation_id)
    return _summary(session, account, reconciliation)


def list_reconciliations(
    session: Session, *, tenant_id: uuid.UUID, account_id: uuid.UUID
) -> list[Reconciliation]:
    account = get_account(session, tenant_id=tenant_id, account_id=account_id)
    query = scoped(Reconciliation, tenant_id).where(Reconciliation.account_id == account.id)
    return list(session.scalars(query.order_by(Reconciliation.statement_on.desc())))


def set_cleared(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    account_id: uuid.UUID,
    reconciliation_id: uuid.UUID,
    transaction_ids: Sequence[uuid.UUID],
    cleared: bool,
) -> ReconciliationSummary:
    """Tick (cleared=True) or untick transactions of the account being reconciled."""
    account, reconciliation = _open(session, tenant_id, account_id, reconciliation_id)
    _in_progress(reconciliation)
    if len(transaction_ids) > MAX_BULK:
        raise field_error("transaction_ids", f"at most {MAX_BULK} at a time")
    txns = transactions_by_ids(session, tenant_id=tenant_id, ids=transaction_ids)
    if any(t.account_id != account.id for t in txns):
        raise field_error("transaction_ids", "must all be transactions of this account")
    if any(t.status == RECONCILED for t in txns):
        raise ReconciledLocked("Reconciled transactions stay cleared; they are locked.")
    target = CLEARED if cleared else PENDING
    for txn in txns:
        if txn.status != target:
            audit(
                session,
                action="transaction.updated",
                actor_id=actor_id,
                txn=txn,
                old={"status": txn.status},
                new={"status": target},
            )
            txn.status = target
    session.flush()
    return _summary(session, account, reconciliation)


def update_statement(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    account_id: uuid.UUID,
    reconciliation_id: uuid.UUID,
    statement_on: date | None = None,
    statement_balance: Decimal | None = None,
) -> ReconciliationSummary:
    account, reconciliation = _open(session, tenant_id, account_id, reconciliation_id)
    _in_progress(reconciliation)
    if statement_on is not None:
        reconciliation.statement_on = statement_on
    if statement_balance is not None:
        reconciliation.statement_balance_minor = minor(
            statement_balance, account.currency, field="statement_balance"
        )
    session.flush()
    _audit(session, "reconciliation.updated", actor_id, reconciliation, account)
    return _summary(session, account, reconciliation)


def finish_reconciliation(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    account_id: uuid.UUID,
    reconciliation_id: uuid.UUID,
) -> ReconciliationSummary:
    """Lock the cleared transactions as reconciled; only when nothing is unexplained."""
    account, reconciliation = _open(session, tenant_id, account_id, reconciliation_id)
    _in_progress(reconciliation)
    summary = _summary(session, account, reconciliation)
    if summary.difference_minor != 0:
        difference = decimal_text(summary.difference_minor, account.currency)
        raise RuleViolation(
            f"The statement and the cleared transactions differ by {difference} "
            f"{account.currency}; tick or correct transactions until the difference is 0."
        )
    txn = LedgerTransaction
    count = rowcount(
        session.execute(
            update(txn)
            .where(
                txn.tenant_id == tenant_id,
                txn.account_id == account.id,
                txn.status == CLEARED,
                txn.posted_on <= reconciliation.statement_on,
            )
            .values(status=RECONCILED)
            .execution_options(synchronize_session="fetch")
        )
    )
    reconciliation.status = ReconciliationStatus.completed.value
    reconciliation.completed_at = utcnow()
    reconciliation.reconciled_count = count
    session.flush()
    _audit(
        session,
        "reconciliation.completed",
        actor_id,
        reconciliation,
        account,
        reconciled_count=reconciliation.reconciled_count,
    )
    return _summary(session, account, reconciliation)


def cancel_reconciliation(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    account_id: uuid.UUID,
    reconciliation_id: uuid.UUID,
) -> None:
    """Abandon a reconciliation in progress; ticked transactions stay cleared."""
    account, reconciliation = _open(session, tenant_id, account_id, reconciliation_id)
    _in_progress(reconciliation)
    _audit(session, "reconciliation.cancelled", actor_id, reconciliation, account)
    session.delete(reconciliation)
    session.flush()
