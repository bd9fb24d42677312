"""What the ledger's routes share: shaping domain objects into API schemas (amounts as
decimal strings, plus the base-currency view), and the Idempotency-Key handshake.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from coffer.ledger import service
from coffer.ledger.common import decimal_text
from coffer.ledger.models import Account, AccountType, FxRate, LedgerTransaction, TransactionStatus
from coffer.ledger.schemas import (
    AccountRead,
    FxRateRead,
    RegisterRow,
    SplitLineRead,
    TransactionRead,
)
from coffer.tenancy.deps import TenantContext
from coffer.web.idempotency import IdempotencyKey, remember, replay


def idempotent(
    session: Session,
    key: IdempotencyKey | None,
    context: TenantContext,
    *,
    status_code: int,
    produce: Callable[[], BaseModel],
) -> Any:
    """Answer a retried request from its stored answer, or do the work and store it."""
    user_id, tenant_id = context.user.id, context.tenant_id
    if key is not None:
        stored = replay(session, key, user_id=user_id, tenant_id=tenant_id)
        if stored is not None:
            return stored
    result = produce()
    if key is not None:
        remember(
            session,
            key,
            user_id=user_id,
            tenant_id=tenant_id,
            status_code=status_code,
            body=result.model_dump(mode="json"),
        )
    return result


def converter(session: Session, context: TenantContext) -> service.Converter:
    return service.Converter(
        session, tenant_id=context.tenant_id, to_ccy=context.tenant.base_currency
    )


def money(amount_minor: int | None, code: str) -> str | None:
    return None if amount_minor is None else decimal_text(amount_minor, code)


def account_read(
    account: Account, balance_minor: int, convert: service.Converter, today: date | None = None
) -> AccountRead:
    code = account.currency
    return AccountRead(
        id=account.id,
        name=account.name,
        type=AccountType(account.type),
        currency=code,
        opening_balance=decimal_text(account.opening_balance_minor, code),
        opening_on=account.opening_on,
        institution=account.institution,
        last_four=account.last_four,
        has_account_number=account.account_number is not None,
        credit_limit=money(account.credit_limit_minor, code),
        interest_rate=str(account.interest_rate) if account.interest_rate is not None else None,
        include_in_budget=account.include_in_budget,
        closed_on=account.closed_on,
        notes=account.notes,
        balance=decimal_text(balance_minor, code),
        base_currency=convert.to_ccy,
        balance_base=money(convert(balance_minor, code, today or date.today()), convert.to_ccy),
        created_at=account.created_at,
        updated_at=account.updated_at,
    )


def _transaction_fields(
    view: service.TransactionView, convert: service.Converter
) -> dict[str, Any]:
    txn, code = view.txn, view.currency
    return {
        "id": txn.id,
        "account_id": txn.account_id,
        "posted_on": txn.posted_on,
        "amount": decimal_text(txn.amount_minor, code),
        "currency": code,
        "base_currency": convert.to_ccy,
        "amount_base": money(convert(txn.amount_minor, code, txn.posted_on), convert.to_ccy),
        "payee": txn.payee,
        "merchant_id": txn.merchant_id,
        "merchant": view.merchant_name,
        "memo": txn.memo,
        "notes": txn.notes,
        "category_id": txn.category_id,
        "status": TransactionStatus(txn.status),
        "tag_ids": view.tag_ids,
        "is_split": txn.is_split,
        "splits": [
            SplitLineRead(
                category_id=line.category_id,
                amount=decimal_text(line.amount_minor, code),
                memo=line.memo,
            )
            for line in view.splits
        ],
        "transfer_id": txn.transfer_group_id,
        "transfer_account_id": view.transfer_account_id,
        "fx_rate": str(txn.fx_rate) if txn.fx_rate is not None else None,
        "import_batch_id": txn.import_batch_id,
        "external_id": txn.external_id,
        "created_at": txn.created_at,
        "updated_at": txn.updated_at,
    }


def transaction_reads(
    views: Sequence[service.TransactionView], convert: service.Converter
) -> list[TransactionRead]:
    return [TransactionRead(**_transaction_fields(view, convert)) for view in views]


def register_rows(
    views: Sequence[service.TransactionView], convert: service.Converter
) -> list[RegisterRow]:
    return [
        RegisterRow(
            **_transaction_fields(view, convert),
            running_balance=decimal_text(view.running_balance_minor or 0, view.currency),
        )
        for view in views
    ]


def transaction_read(
    session: Session, context: TenantContext, txn: LedgerTransaction
) -> TransactionRead:
    views = service.load_views(session, tenant_id=context.tenant_id, txns=[txn])
    return transaction_reads(views, converter(session, context))[0]


def fx_rate_read(row: FxRate) -> FxRateRead:
    return FxRateRead(
        id=row.id, rate_on=row.rate_on, base=row.base, quote=row.quote, rate=str(row.rate)
    )


def patch_values(body: BaseModel, *, nullable: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The fields a PATCH sent; an explicit null counts only where null means "clear"."""
    values = body.model_dump(exclude_unset=True)
    return {k: v for k, v in values.items() if v is not None or k in nullable}
