"""The checks and writes every change of a transaction shares: statuses, categories,
tags, rates, split lines that must add up, and the audit event.

Split into its own module so transactions, transfers, bulk actions, reconciliation
and FX all use one definition of each rule.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from coffer.audit.service import record
from coffer.core.money import from_minor, round_half_up, to_minor
from coffer.errors import field_error
from coffer.ledger.common import clean_text, decimal_text, get_many_or_404, get_or_404, minor
from coffer.ledger.errors import UnbalancedSplit
from coffer.ledger.models import (
    Category,
    LedgerTransaction,
    Tag,
    TransactionSplit,
    TransactionStatus,
    TransactionTag,
)

MAX_LINES = 100
MAX_TAGS = 50
LINE_MEMO_MAX = 500
MAX_RATE_DIGITS = 20


@dataclass(frozen=True, slots=True)
class SplitLine:
    amount: Decimal
    category_id: uuid.UUID | None = None
    memo: str | None = None


Line = tuple[uuid.UUID | None, int, str | None]  # category, amount_minor, memo


# --- checks ---------------------------------------------------------------------------


def check_status(value: TransactionStatus | str, *, current: str | None = None) -> str:
    try:
        status = TransactionStatus(value)
    except ValueError as exc:
        raise field_error("status", "must be pending or cleared") from exc
    if status is TransactionStatus.reconciled and current != status.value:
        raise field_error("status", "transactions become reconciled by finishing a reconciliation")
    return status.value


def check_category(
    session: Session, tenant_id: uuid.UUID, category_id: uuid.UUID | None, field: str
) -> uuid.UUID | None:
    if category_id is not None:
        get_or_404(session, Category, tenant_id=tenant_id, id=category_id, field=field)
    return category_id


def check_tags(
    session: Session, tenant_id: uuid.UUID, tag_ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    unique = sorted(set(tag_ids))
    if len(unique) > MAX_TAGS:
        raise field_error("tag_ids", f"at most {MAX_TAGS} tags")
    get_many_or_404(session, Tag, tenant_id=tenant_id, ids=unique, field="tag_ids")
    return unique


def check_rate(rate: Decimal, *, field: str = "fx_rate") -> Decimal:
    if not isinstance(rate, Decimal) or not rate.is_finite() or rate <= 0:
        raise field_error(field, "must be a positive decimal")
    if len(rate.normalize().as_tuple().digits) > MAX_RATE_DIGITS:
        raise field_error(field, f"at most {MAX_RATE_DIGITS} significant digits")
    return rate.normalize()


def convert_minor(amount_minor: int, from_code: str, to_code: str, rate: Decimal) -> int:
    """amount × rate, rounded half-up to the target currency's minor unit."""
    converted = round_half_up(from_minor(amount_minor, from_code) * rate, to_code)
    return to_minor(converted, to_code)


def check_lines(
    session: Session,
    tenant_id: uuid.UUID,
    lines: Sequence[SplitLine],
    total_minor: int,
    currency: str,
) -> list[Line]:
    """Split lines in minor units, or an error: too few, bad amounts, or not summing."""
    if not 2 <= len(lines) <= MAX_LINES:
        raise field_error("splits", f"a split has 2 to {MAX_LINES} lines")
    checked: list[Line] = []
    for index, line in enumerate(lines):
        amount = minor(line.amount, currency, field=f"splits.{index}.amount")
        category_id = check_category(
            session, tenant_id, line.category_id, f"splits.{index}.category_id"
        )
        memo = clean_text(line.memo, field=f"splits.{index}.memo", max_length=LINE_MEMO_MAX)
        checked.append((category_id, amount, memo))
    check_balanced([amount for _, amount, _ in checked], total_minor, currency)
    return checked


def check_balanced(amounts: Sequence[int], total_minor: int, currency: str) -> None:
    lines_total = sum(amounts)
    if lines_total != total_minor:
        message = (
            f"the lines add up to {decimal_text(lines_total, currency)} {currency} but the "
            f"transaction is {decimal_text(total_minor, currency)} {currency}"
        )
        raise UnbalancedSplit(
            f"splits: {message}", errors=[{"field": "splits", "message": message}]
        )


def write_lines(
    session: Session, tenant_id: uuid.UUID, txn_id: uuid.UUID, lines: Sequence[Line]
) -> None:
    session.execute(
        delete(TransactionSplit).where(
            TransactionSplit.tenant_id == tenant_id, TransactionSplit.transaction_id == txn_id
        )
    )
    session.add_all(
        TransactionSplit(
            tenant_id=tenant_id,
            transaction_id=txn_id,
            position=position,
            category_id=category_id,
            amount_minor=amount,
            memo=memo,
        )
        for position, (category_id, amount, memo) in enumerate(lines)
    )


def write_tags(
    session: Session, tenant_id: uuid.UUID, txn_id: uuid.UUID, tag_ids: Sequence[uuid.UUID]
) -> None:
    session.execute(
        delete(TransactionTag).where(
            TransactionTag.tenant_id == tenant_id, TransactionTag.transaction_id == txn_id
        )
    )
    session.add_all(
        TransactionTag(tenant_id=tenant_id, transaction_id=txn_id, tag_id=tag_id)
        for tag_id in tag_ids
    )


def audit(
    session: Session,
    *,
    action: str,
    actor_id: uuid.UUID | None,
    txn: LedgerTransaction,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
) -> None:
    record(
        session,
        action=action,
        actor_id=actor_id,
        tenant_id=txn.tenant_id,
        entity_type="transaction",
        entity_id=txn.id,
        old=old,
        new=new,
    )
