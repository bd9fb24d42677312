"""Transactions: post, change and delete one, keeping split lines, tags, transfer legs,
the monthly aggregate and the audit log consistent in the caller's unit of work.

Rules:
- A split transaction's lines add up exactly to its amount; its own category is empty.
- A reconciled transaction's amount, date, account and status are locked, and it
  cannot be deleted, unless the caller explicitly unlocks (`unlock=True`). Its
  category, tags, payee, merchant, memo and notes stay editable.
- Changing a transfer leg's date or amount changes the other leg in the same way
  (across currencies, the receiving amount follows from the sent amount and the rate).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypedDict

from sqlalchemy import delete
from sqlalchemy.orm import Session

from coffer.audit.service import changes
from coffer.errors import field_error
from coffer.ledger import aggregates
from coffer.ledger.accounts import open_account
from coffer.ledger.common import (
    clean_text,
    get_many_or_404,
    get_or_404,
    minor,
    scoped,
)
from coffer.ledger.errors import ReconciledLocked
from coffer.ledger.labels import find_or_create_merchant, normalise_merchant
from coffer.ledger.models import (
    Account,
    LedgerTransaction,
    Merchant,
    TransactionSplit,
    TransactionStatus,
    TransactionTag,
)
from coffer.ledger.rules import (
    Line,
    SplitLine,
    audit,
    check_balanced,
    check_category,
    check_lines,
    check_rate,
    check_status,
    check_tags,
    convert_minor,
    write_lines,
    write_tags,
)
from coffer.ledger.views import load_views, view_snapshot

PAYEE_MAX = 500
LOCKED = "is reconciled: its amount, date, account and status are locked. Unlock it to change them."


class TransactionPatch(TypedDict, total=False):
    account_id: uuid.UUID
    posted_on: date
    amount: Decimal
    payee: str | None
    merchant_id: uuid.UUID | None
    merchant: str | None
    memo: str | None
    notes: str | None
    category_id: uuid.UUID | None
    status: TransactionStatus
    tag_ids: list[uuid.UUID]
    splits: list[SplitLine] | None
    fx_rate: Decimal


def _merchant_id(
    session: Session,
    tenant_id: uuid.UUID,
    *,
    merchant_id: uuid.UUID | None,
    merchant: str | None,
    actor_id: uuid.UUID | None,
) -> uuid.UUID | None:
    if merchant_id is not None:
        get_or_404(session, Merchant, tenant_id=tenant_id, id=merchant_id, field="merchant_id")
        return merchant_id
    if merchant is not None and merchant.strip():
        return find_or_create_merchant(
            session, tenant_id=tenant_id, name=merchant, actor_id=actor_id
        ).id
    return None


# --- create ---------------------------------------------------------------------------


def insert_transaction(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    account: Account,
    posted_on: date,
    amount_minor: int,
    payee: str | None = None,
    merchant_id: uuid.UUID | None = None,
    memo: str | None = None,
    notes: str | None = None,
    category_id: uuid.UUID | None = None,
    status: str = TransactionStatus.pending.value,
    lines: Sequence[Line] = (),
    tag_ids: Sequence[uuid.UUID] = (),
    transfer_group_id: uuid.UUID | None = None,
    fx_rate: Decimal | None = None,
    external_id: str | None = None,
    fingerprint: str | None = None,
    import_batch_id: uuid.UUID | None = None,
) -> LedgerTransaction:
    """Write one checked transaction with its lines, tags and aggregate (no audit)."""
    txn = LedgerTransaction(
        tenant_id=tenant_id,
        account_id=account.id,
        posted_on=posted_on,
        amount_minor=amount_minor,
        payee=payee,
        merchant_id=merchant_id,
        memo=memo,
        notes=notes,
        category_id=None if lines else category_id,
        is_split=bool(lines),
        status=status,
        transfer_group_id=transfer_group_id,
        fx_rate=fx_rate,
        external_id=external_id,
        fingerprint=fingerprint,
        import_batch_id=import_batch_id,
    )
    session.add(txn)
    session.flush()
    if lines:
        write_lines(session, tenant_id, txn.id, lines)
    if tag_ids:
        write_tags(session, tenant_id, txn.id, tag_ids)
    deltas = aggregates.Deltas()
    deltas.add_transaction(txn, [(c, a) for c, a, _ in lines])
    aggregates.apply(session, tenant_id=tenant_id, deltas=deltas)
    session.flush()
    return txn


def post_transaction(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    account_id: uuid.UUID,
    posted_on: date,
    amount: Decimal,
    payee: str | None = None,
    merchant_id: uuid.UUID | None = None,
    merchant: str | None = None,
    memo: str | None = None,
    notes: str | None = None,
    category_id: uuid.UUID | None = None,
    status: TransactionStatus | str = TransactionStatus.pending,
    tag_ids: Sequence[uuid.UUID] = (),
    splits: Sequence[SplitLine] | None = None,
    external_id: str | None = None,
) -> LedgerTransaction:
    """Record one transaction. Without a merchant, one is derived from the payee."""
    account = open_account(session, tenant_id=tenant_id, account_id=account_id)
    code = account.currency
    amount_minor = minor(amount, code, field="amount")
    checked_status = check_status(status)
    lines: list[Line] = []
    if splits:
        if category_id is not None:
            raise field_error("category_id", "a split transaction's categories are on its lines")
        lines = check_lines(session, tenant_id, splits, amount_minor, code)
    category = check_category(session, tenant_id, category_id, "category_id")
    tags = check_tags(session, tenant_id, tag_ids)
    clean_payee = clean_text(payee, field="payee", max_length=PAYEE_MAX)
    if merchant_id is None and merchant is None:
        merchant = normalise_merchant(clean_payee)
    txn = insert_transaction(
        session,
        tenant_id=tenant_id,
        account=account,
        posted_on=posted_on,
        amount_minor=amount_minor,
        payee=clean_payee,
        merchant_id=_merchant_id(
            session, tenant_id, merchant_id=merchant_id, merchant=merchant, actor_id=actor_id
        ),
        memo=clean_text(memo, field="memo"),
        notes=clean_text(notes, field="notes"),
        category_id=category,
        status=checked_status,
        lines=lines,
        tag_ids=tags,
        external_id=clean_text(external_id, field="external_id", max_length=255),
    )
    view = load_views(session, tenant_id=tenant_id, txns=[txn])[0]
    audit(
        session, action="transaction.created", actor_id=actor_id, txn=txn, new=view_snapshot(view)
    )
    return txn


def get_transaction(
    session: Session, *, tenant_id: uuid.UUID, transaction_id: uuid.UUID
) -> LedgerTransaction:
    return get_or_404(session, LedgerTransaction, tenant_id=tenant_id, id=transaction_id)


def other_leg(session: Session, txn: LedgerTransaction) -> LedgerTransaction | None:
    if txn.transfer_group_id is None:
        return None
    return session.scalar(
        scoped(LedgerTransaction, txn.tenant_id).where(
            LedgerTransaction.transfer_group_id == txn.transfer_group_id,
            LedgerTransaction.id != txn.id,
        )
    )


# --- change ---------------------------------------------------------------------------


@dataclass
class _Plan:
    """The new state of the edited transaction (and of the other leg of a transfer)."""

    account: Account
    posted_on: date
    amount_minor: int
    status: str
    lines: list[Line] | None  # None: not split
    category_id: uuid.UUID | None
    fx_rate: Decimal | None
    other_amount_minor: int | None = None


def _plan_transfer(
    session: Session,
    txn: LedgerTransaction,
    other: LedgerTransaction,
    plan: _Plan,
    values: TransactionPatch,
) -> None:
    if plan.amount_minor != txn.amount_minor and (
        plan.amount_minor == 0 or (plan.amount_minor > 0) != (txn.amount_minor > 0)
    ):
        raise field_error(
            "amount",
            "a transfer leg keeps its direction; delete the transfer and create it the other way",
        )
    if "fx_rate" in values:
        if txn.fx_rate is None:
            raise field_error("fx_rate", "only transfers between currencies have a rate")
        plan.fx_rate = check_rate(values["fx_rate"])
    if plan.fx_rate is None:
        plan.other_amount_minor = -plan.amount_minor
        return
    sending_is_txn = txn.amount_minor < 0
    if not sending_is_txn and plan.amount_minor != txn.amount_minor:
        raise field_error(
            "amount",
            "the receiving leg of a transfer between currencies follows from the amount sent "
            "and the rate; change those instead",
        )
    other_account = session.get(Account, other.account_id)
    assert other_account is not None
    if sending_is_txn:
        plan.other_amount_minor = convert_minor(
            -plan.amount_minor, plan.account.currency, other_account.currency, plan.fx_rate
        )
    else:
        plan.amount_minor = convert_minor(
            -other.amount_minor, other_account.currency, plan.account.currency, plan.fx_rate
        )
        plan.other_amount_minor = other.amount_minor
    if 0 in (plan.amount_minor, plan.other_amount_minor):
        raise field_error("amount", "is too small to arrive as anything at this rate")


def _plan(
    session: Session,
    txn: LedgerTransaction,
    account: Account,
    old_lines: list[Line],
    values: TransactionPatch,
) -> _Plan:
    tenant_id = txn.tenant_id
    target = account
    if "account_id" in values and values["account_id"] != txn.account_id:
        if txn.transfer_group_id is not None:
            raise field_error("account_id", "a transfer leg stays in its account")
        target = open_account(session, tenant_id=tenant_id, account_id=values["account_id"])
        if target.currency != account.currency:
            raise field_error("account_id", f"must be an account in {account.currency}")
    code = target.currency
    plan = _Plan(
        account=target,
        posted_on=values.get("posted_on", txn.posted_on),
        amount_minor=minor(values["amount"], code, field="amount")
        if "amount" in values
        else txn.amount_minor,
        status=check_status(values["status"], current=txn.status)
        if "status" in values
        else txn.status,
        lines=old_lines if txn.is_split else None,
        category_id=txn.category_id,
        fx_rate=txn.fx_rate,
    )
    if "fx_rate" in values and txn.transfer_group_id is None:
        raise field_error("fx_rate", "only transfers between currencies have a rate")
    if "splits" in values:
        new_splits = values["splits"]
        if new_splits and txn.transfer_group_id is not None:
            raise field_error("splits", "a transfer cannot be split")
        plan.lines = (
            check_lines(session, tenant_id, new_splits, plan.amount_minor, code)
            if new_splits
            else None
        )
        if plan.lines is None and txn.is_split:
            plan.category_id = None
    elif plan.lines is not None:
        check_balanced([a for _, a, _ in plan.lines], plan.amount_minor, code)
    if "category_id" in values:
        if plan.lines is not None and values["category_id"] is not None:
            raise field_error(
                "category_id",
                "this transaction is split: its categories are on its lines (send splits: null "
                "to unsplit it)",
            )
        plan.category_id = check_category(session, tenant_id, values["category_id"], "category_id")
    if plan.lines is not None:
        plan.category_id = None
    return plan


def _locked_change(
    txn: LedgerTransaction, account_id: uuid.UUID, posted_on: date, amount: int, status: str
) -> bool:
    return (txn.account_id, txn.posted_on, txn.amount_minor, txn.status) != (
        account_id,
        posted_on,
        amount,
        status,
    )


def _follow_payee(
    session: Session,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    txn: LedgerTransaction,
    old_payee: str | None,
) -> None:
    """A new payee brings its own merchant, unless the merchant was chosen rather than
    derived: one that is not what the old payee's text gives (set by hand, by a rule or
    an alias) stays."""
    if txn.payee == old_payee:
        return
    current = session.get(Merchant, txn.merchant_id) if txn.merchant_id is not None else None
    derived_before = normalise_merchant(old_payee)
    if current is not None and (derived_before is None or current.key != derived_before.casefold()):
        return
    name = normalise_merchant(txn.payee)
    txn.merchant_id = (
        None
        if name is None
        else find_or_create_merchant(session, tenant_id=tenant_id, name=name, actor_id=actor_id).id
    )


def update_transaction(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    transaction_id: uuid.UUID,
    values: TransactionPatch,
    unlock: bool = False,
) -> LedgerTransaction:
    txn = get_transaction(session, tenant_id=tenant_id, transaction_id=transaction_id)
    account = get_or_404(session, Account, tenant_id=tenant_id, id=txn.account_id)
    view = load_views(session, tenant_id=tenant_id, txns=[txn])[0]
    before = view_snapshot(view)
    old_lines: list[Line] = [(s.category_id, s.amount_minor, s.memo) for s in view.splits]
    plan = _plan(session, txn, account, old_lines, values)
    other = other_leg(session, txn)
    if other is not None:
        _plan_transfer(session, txn, other, plan, values)
    reconciled = TransactionStatus.reconciled.value
    if (
        txn.status == reconciled
        and not unlock
        and _locked_change(txn, plan.account.id, plan.posted_on, plan.amount_minor, plan.status)
    ):
        raise ReconciledLocked(f"This transaction {LOCKED}")
    other_before: dict[str, Any] | None = None
    if other is not None:
        assert plan.other_amount_minor is not None
        if (
            other.status == reconciled
            and not unlock
            and _locked_change(
                other, other.account_id, plan.posted_on, plan.other_amount_minor, other.status
            )
        ):
            raise ReconciledLocked(f"The other leg of this transfer {LOCKED}")
        other_before = view_snapshot(load_views(session, tenant_id=tenant_id, txns=[other])[0])

    deltas = aggregates.Deltas()
    deltas.add_transaction(txn, [(c, a) for c, a, _ in old_lines], sign=-1)
    txn.account_id, txn.posted_on, txn.amount_minor = (
        plan.account.id,
        plan.posted_on,
        plan.amount_minor,
    )
    txn.status, txn.category_id, txn.fx_rate = plan.status, plan.category_id, plan.fx_rate
    txn.is_split = plan.lines is not None
    if "memo" in values:
        txn.memo = clean_text(values["memo"], field="memo")
    if "notes" in values:
        txn.notes = clean_text(values["notes"], field="notes")
    if "payee" in values:
        old_payee = txn.payee
        txn.payee = clean_text(values["payee"], field="payee", max_length=PAYEE_MAX)
        if "merchant_id" not in values and "merchant" not in values:
            _follow_payee(session, tenant_id, actor_id, txn, old_payee)
    if "merchant_id" in values or "merchant" in values:
        txn.merchant_id = _merchant_id(
            session,
            tenant_id,
            merchant_id=values.get("merchant_id"),
            merchant=values.get("merchant"),
            actor_id=actor_id,
        )
    if "splits" in values:
        write_lines(session, tenant_id, txn.id, plan.lines or [])
    if "tag_ids" in values:
        write_tags(session, tenant_id, txn.id, check_tags(session, tenant_id, values["tag_ids"]))
    deltas.add_transaction(txn, [(c, a) for c, a, _ in plan.lines or []])
    if other is not None and other_before is not None:
        deltas.add_transaction(other, sign=-1)
        other.posted_on, other.fx_rate = plan.posted_on, plan.fx_rate
        other.amount_minor = plan.other_amount_minor  # type: ignore[assignment]
        deltas.add_transaction(other)
    session.flush()
    aggregates.apply(session, tenant_id=tenant_id, deltas=deltas)
    _audit_update(session, actor_id, txn, before)
    if other is not None and other_before is not None:
        _audit_update(session, actor_id, other, other_before)
    return txn


def _audit_update(
    session: Session, actor_id: uuid.UUID | None, txn: LedgerTransaction, before: dict[str, Any]
) -> None:
    after = view_snapshot(load_views(session, tenant_id=txn.tenant_id, txns=[txn])[0])
    old, new = changes(before, after)
    if new:
        audit(session, action="transaction.updated", actor_id=actor_id, txn=txn, old=old, new=new)


# --- delete ---------------------------------------------------------------------------


def with_other_legs(session: Session, txns: Sequence[LedgerTransaction]) -> list[LedgerTransaction]:
    """The transactions plus the other legs of any transfers among them."""
    found = {t.id: t for t in txns}
    groups = {t.transfer_group_id for t in txns if t.transfer_group_id is not None}
    if groups:
        tenant_id = txns[0].tenant_id
        legs = session.scalars(
            scoped(LedgerTransaction, tenant_id).where(
                LedgerTransaction.transfer_group_id.in_(groups)
            )
        )
        for leg in legs:
            found.setdefault(leg.id, leg)
    return list(found.values())


def delete_many(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    txns: Sequence[LedgerTransaction],
    unlock: bool = False,
) -> list[uuid.UUID]:
    """Delete the transactions (and their transfer partners); all or nothing."""
    if not txns:
        return []
    every = with_other_legs(session, txns)
    if not unlock and any(t.status == TransactionStatus.reconciled.value for t in every):
        raise ReconciledLocked(
            "Reconciled transactions are locked and cannot be deleted. Unlock them first."
        )
    views = load_views(session, tenant_id=tenant_id, txns=every)
    deltas = aggregates.Deltas()
    for view in views:
        deltas.add_transaction(
            view.txn, [(s.category_id, s.amount_minor) for s in view.splits], sign=-1
        )
        audit(
            session,
            action="transaction.deleted",
            actor_id=actor_id,
            txn=view.txn,
            old=view_snapshot(view),
        )
    ids = [t.id for t in every]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for model in (TransactionSplit, TransactionTag):
            session.execute(
                delete(model).where(model.tenant_id == tenant_id, model.transaction_id.in_(chunk))
            )
    for txn in every:
        session.delete(txn)
    session.flush()
    aggregates.apply(session, tenant_id=tenant_id, deltas=deltas)
    return ids


def delete_transaction(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    transaction_id: uuid.UUID,
    unlock: bool = False,
) -> list[uuid.UUID]:
    """Delete a transaction (both legs, for a transfer); returns the ids deleted."""
    txn = get_transaction(session, tenant_id=tenant_id, transaction_id=transaction_id)
    return delete_many(session, tenant_id=tenant_id, actor_id=actor_id, txns=[txn], unlock=unlock)


def transactions_by_ids(
    session: Session, *, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[LedgerTransaction]:
    """Every one of `ids`, in the order given, or NotFound naming `ids`."""
    found = get_many_or_404(session, LedgerTransaction, tenant_id=tenant_id, ids=ids, field="ids")
    return [found[i] for i in dict.fromkeys(ids)]
