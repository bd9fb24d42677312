"""Transfers: two linked transactions written together, one leaving an account and one
arriving in another. Between currencies both legs carry the rate, and the amount
received is round_half_up(amount sent × rate) in the receiving currency.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from coffer.db.base import new_id
from coffer.errors import field_error
from coffer.ledger import fx
from coffer.ledger.accounts import open_account
from coffer.ledger.common import clean_text, minor, not_found, scoped
from coffer.ledger.models import LedgerTransaction, TransactionStatus
from coffer.ledger.rules import audit, check_rate, check_status, convert_minor
from coffer.ledger.transactions import delete_many, insert_transaction
from coffer.ledger.views import load_views, view_snapshot


@dataclass(frozen=True, slots=True)
class Transfer:
    id: uuid.UUID  # the transfer_group_id both legs share
    sent: LedgerTransaction
    received: LedgerTransaction

    @property
    def fx_rate(self) -> Decimal | None:
        return self.sent.fx_rate


def create_transfer(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    from_account_id: uuid.UUID,
    to_account_id: uuid.UUID,
    posted_on: date,
    amount: Decimal,
    fx_rate: Decimal | None = None,
    memo: str | None = None,
    notes: str | None = None,
    status: TransactionStatus | str = TransactionStatus.pending,
) -> Transfer:
    """Move `amount` (in the sending account's currency) from one account to another.

    Between currencies, `fx_rate` defaults to the household's rate for the day.
    """
    if from_account_id == to_account_id:
        raise field_error("to_account_id", "must be a different account")
    source = open_account(
        session, tenant_id=tenant_id, account_id=from_account_id, field="from_account_id"
    )
    target = open_account(
        session, tenant_id=tenant_id, account_id=to_account_id, field="to_account_id"
    )
    sent_minor = minor(amount, source.currency, field="amount")
    if sent_minor <= 0:
        raise field_error("amount", "must be more than zero")
    rate: Decimal | None = None
    if source.currency == target.currency:
        if fx_rate is not None and fx_rate != 1:
            raise field_error("fx_rate", "both accounts are in the same currency")
        received_minor = sent_minor
    else:
        if fx_rate is None:
            found = fx.find_rate(
                session,
                tenant_id=tenant_id,
                from_ccy=source.currency,
                to_ccy=target.currency,
                on=posted_on,
            )
            if found is None:
                raise field_error(
                    "fx_rate",
                    f"no {source.currency}/{target.currency} rate on or before "
                    f"{posted_on.isoformat()} is known; give the rate",
                )
            fx_rate = found.rate
        rate = check_rate(fx_rate)
        received_minor = convert_minor(sent_minor, source.currency, target.currency, rate)
        if received_minor == 0:
            raise field_error(
                "amount", f"is too small to arrive as any {target.currency} at this rate"
            )
    checked_status = check_status(status)
    group_id = new_id()
    clean_memo = clean_text(memo, field="memo")
    clean_notes = clean_text(notes, field="notes")
    legs = [
        insert_transaction(
            session,
            tenant_id=tenant_id,
            account=account,
            posted_on=posted_on,
            amount_minor=amount_minor,
            memo=clean_memo,
            notes=clean_notes,
            status=checked_status,
            transfer_group_id=group_id,
            fx_rate=rate,
        )
        for account, amount_minor in ((source, -sent_minor), (target, received_minor))
    ]
    for view in load_views(session, tenant_id=tenant_id, txns=legs):
        audit(
            session,
            action="transaction.created",
            actor_id=actor_id,
            txn=view.txn,
            new=view_snapshot(view),
        )
    return Transfer(id=group_id, sent=legs[0], received=legs[1])


def _legs(
    session: Session, tenant_id: uuid.UUID, transfer_id: uuid.UUID
) -> list[LedgerTransaction]:
    legs = list(
        session.scalars(
            scoped(LedgerTransaction, tenant_id).where(
                LedgerTransaction.transfer_group_id == transfer_id
            )
        )
    )
    if not legs:
        raise not_found(Transfer)
    return legs


def get_transfer(session: Session, *, tenant_id: uuid.UUID, transfer_id: uuid.UUID) -> Transfer:
    legs = sorted(_legs(session, tenant_id, transfer_id), key=lambda t: t.amount_minor)
    return Transfer(id=transfer_id, sent=legs[0], received=legs[-1])


def delete_transfer(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    transfer_id: uuid.UUID,
    unlock: bool = False,
) -> list[uuid.UUID]:
    legs = _legs(session, tenant_id, transfer_id)
    return delete_many(session, tenant_id=tenant_id, actor_id=actor_id, txns=legs, unlock=unlock)
