"""Finding transactions: filtered search, the account register with running balances,
and each person's saved filters. All lists are keyset pages ordered newest first by
(posted_on, id), so a deep page costs what the first one does.
"""

from __future__ import annotations

import json
import math
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from coffer.audit.service import changes, record
from coffer.core.money import currency
from coffer.errors import field_error
from coffer.ledger.accounts import balance_through, balances, get_account
from coffer.ledger.categories import with_children
from coffer.ledger.common import (
    decode_cursor,
    encode_cursor,
    not_found,
    page_limit,
    required_name,
    scoped,
)
from coffer.ledger.models import (
    Account,
    LedgerTransaction,
    Merchant,
    SavedFilter,
    TransactionSplit,
    TransactionStatus,
    TransactionTag,
)
from coffer.ledger.views import TransactionView, load_views

TEXT_MAX = 200
SAVED_NAME_MAX = 100
SAVED_QUERY_MAX = 10_000


@dataclass(frozen=True)
class TransactionFilter:
    date_from: date | None = None
    date_to: date | None = None
    account_ids: tuple[uuid.UUID, ...] = ()
    # A parent category matches its children too; split lines match by their categories.
    category_ids: tuple[uuid.UUID, ...] = ()
    uncategorised: bool = False
    tag_ids: tuple[uuid.UUID, ...] = ()
    merchant_ids: tuple[uuid.UUID, ...] = ()
    # In each account's own currency.
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    # Case-insensitive, in payee, memo, notes and merchant name.
    text: str | None = None
    statuses: tuple[TransactionStatus, ...] = ()
    transfers: bool | None = None  # True: only transfers; False: no transfers


@dataclass
class TransactionPage:
    items: list[TransactionView]
    next_cursor: str | None


@dataclass
class RegisterPage:
    account: Account
    balance_minor: int
    items: list[TransactionView] = field(default_factory=list)
    next_cursor: str | None = None


def _after(query: Select[Any], cursor: str | None) -> Select[Any]:
    after = decode_cursor(cursor)
    if after is None:
        return query
    day, last_id = after
    txn = LedgerTransaction
    # posted_on <= day bounds the index range; the OR picks up where the page ended.
    return query.where(
        txn.posted_on <= day, or_(txn.posted_on < day, and_(txn.posted_on == day, txn.id < last_id))
    )


def _page(
    session: Session, tenant_id: uuid.UUID, query: Select[Any], limit: int
) -> tuple[list[TransactionView], str | None]:
    txn = LedgerTransaction
    rows = list(
        session.scalars(query.order_by(txn.posted_on.desc(), txn.id.desc()).limit(limit + 1))
    )
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].posted_on, rows[-1].id) if more else None
    return load_views(session, tenant_id=tenant_id, txns=rows), next_cursor


def _amount_condition(
    session: Session, tenant_id: uuid.UUID, filters: TransactionFilter
) -> Any | None:
    """Amount bounds per currency scale: 10.5 is 1050 cents but 10 yen (rounded inward)."""
    low, high = filters.amount_min, filters.amount_max
    if low is None and high is None:
        return None
    if low is not None and high is not None and low > high:
        raise field_error("amount_min", "must not be more than amount_max")
    query = select(Account.id, Account.currency).where(Account.tenant_id == tenant_id)
    if filters.account_ids:
        query = query.where(Account.id.in_(filters.account_ids))
    by_scale: dict[int, list[uuid.UUID]] = defaultdict(list)
    for account_id, code in session.execute(query):
        by_scale[currency(code).minor_units].append(account_id)
    txn = LedgerTransaction
    parts = []
    for scale, account_ids in by_scale.items():
        bounds: list[ColumnElement[bool]] = [txn.account_id.in_(account_ids)]
        if low is not None:
            bounds.append(txn.amount_minor >= math.ceil(low.scaleb(scale)))
        if high is not None:
            bounds.append(txn.amount_minor <= math.floor(high.scaleb(scale)))
        parts.append(and_(*bounds))
    return or_(*parts) if parts else txn.id.is_(None)


def filtered(session: Session, *, tenant_id: uuid.UUID, filters: TransactionFilter) -> Select[Any]:
    """The query of this household's transactions matching `filters` (unordered)."""
    txn = LedgerTransaction
    query = scoped(LedgerTransaction, tenant_id)
    if filters.date_from is not None:
        query = query.where(txn.posted_on >= filters.date_from)
    if filters.date_to is not None:
        query = query.where(txn.posted_on <= filters.date_to)
    if filters.account_ids:
        query = query.where(txn.account_id.in_(filters.account_ids))
    if filters.category_ids or filters.uncategorised:
        options: list[ColumnElement[bool]] = []
        if filters.category_ids:
            ids = with_children(session, tenant_id=tenant_id, category_ids=filters.category_ids)
            line = TransactionSplit
            options.append(txn.category_id.in_(ids))
            options.append(
                and_(
                    txn.is_split.is_(True),
                    exists().where(
                        line.tenant_id == tenant_id,
                        line.transaction_id == txn.id,
                        line.category_id.in_(ids),
                    ),
                )
            )
        if filters.uncategorised:
            # Unsplit transactions without a category, and split ones with a line
            # without one (the line the reports count as uncategorised).
            options.append(
                and_(
                    txn.category_id.is_(None),
                    txn.is_split.is_(False),
                    txn.transfer_group_id.is_(None),
                )
            )
            options.append(
                and_(
                    txn.is_split.is_(True),
                    txn.transfer_group_id.is_(None),
                    exists().where(
                        TransactionSplit.tenant_id == tenant_id,
                        TransactionSplit.transaction_id == txn.id,
                        TransactionSplit.category_id.is_(None),
                    ),
                )
            )
        query = query.where(or_(*options))
    if filters.tag_ids:
        query = query.where(
            exists().where(
                TransactionTag.tenant_id == tenant_id,
                TransactionTag.transaction_id == txn.id,
                TransactionTag.tag_id.in_(filters.tag_ids),
            )
        )
    if filters.merchant_ids:
        query = query.where(txn.merchant_id.in_(filters.merchant_ids))
    if filters.statuses:
        query = query.where(txn.status.in_([TransactionStatus(s).value for s in filters.statuses]))
    if filters.transfers is not None:
        query = query.where(
            txn.transfer_group_id.is_not(None)
            if filters.transfers
            else txn.transfer_group_id.is_(None)
        )
    amount = _amount_condition(session, tenant_id, filters)
    if amount is not None:
        query = query.where(amount)
    if filters.text:
        needle = filters.text.strip()
        if len(needle) > TEXT_MAX:
            raise field_error("text", f"at most {TEXT_MAX} characters")
        lowered = needle.lower()
        merchants = select(Merchant.id).where(
            Merchant.tenant_id == tenant_id,
            Merchant.key.contains(needle.casefold(), autoescape=True),
        )
        query = query.where(
            or_(
                func.lower(txn.payee).contains(lowered, autoescape=True),
                func.lower(txn.memo).contains(lowered, autoescape=True),
                func.lower(txn.notes).contains(lowered, autoescape=True),
                txn.merchant_id.in_(merchants),
            )
        )
    return query


def search_transactions(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    filters: TransactionFilter,
    limit: int | None = None,
    cursor: str | None = None,
) -> TransactionPage:
    size = page_limit(limit)
    query = _after(filtered(session, tenant_id=tenant_id, filters=filters), cursor)
    items, next_cursor = _page(session, tenant_id, query, size)
    return TransactionPage(items=items, next_cursor=next_cursor)


def register_page(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    account_id: uuid.UUID,
    limit: int | None = None,
    cursor: str | None = None,
) -> RegisterPage:
    """One page of an account's register, newest first, each row with its running
    balance (the balance just after it).

    The first row's balance comes from the aggregate (the account's current balance)
    or, on a later page, from the aggregate of earlier months plus one bounded query
    of the row's own month; each further row subtracts the amount of the row above.
    """
    size = page_limit(limit)
    account = get_account(session, tenant_id=tenant_id, account_id=account_id)
    current = balances(session, tenant_id=tenant_id, accounts=[account])[account.id]
    query = _after(
        scoped(LedgerTransaction, tenant_id).where(LedgerTransaction.account_id == account.id),
        cursor,
    )
    items, next_cursor = _page(session, tenant_id, query, size)
    page = RegisterPage(
        account=account, balance_minor=current, items=items, next_cursor=next_cursor
    )
    if not items:
        return page
    if cursor:
        first = items[0].txn
        running = balance_through(
            session, tenant_id=tenant_id, account=account, posted_on=first.posted_on, id=first.id
        )
    else:
        running = current
    for view in items:
        view.running_balance_minor = running
        running -= view.txn.amount_minor
    return page


# --- saved filters --------------------------------------------------------------------


def _check_query(query: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(query, dict):
        raise field_error("query", "must be an object of filters")
    if len(json.dumps(query, default=str)) > SAVED_QUERY_MAX:
        raise field_error("query", "is too large")
    return query


def _own(
    session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID, saved_filter_id: uuid.UUID
) -> SavedFilter:
    # Another member's filter is private: for this user it does not exist.
    found = session.scalar(
        scoped(SavedFilter, tenant_id).where(
            SavedFilter.id == saved_filter_id, SavedFilter.user_id == user_id
        )
    )
    if found is None:
        raise not_found(SavedFilter)
    return found


def _check_saved_name(
    session: Session,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    name: str,
    exclude: uuid.UUID | None = None,
) -> str:
    cleaned = required_name(name, max_length=SAVED_NAME_MAX)
    query = scoped(SavedFilter, tenant_id).where(
        SavedFilter.user_id == user_id, func.lower(SavedFilter.name) == cleaned.lower()
    )
    if exclude is not None:
        query = query.where(SavedFilter.id != exclude)
    if session.scalar(query) is not None:
        raise field_error("name", "you already have a saved filter with this name")
    return cleaned


def _audit_filter(
    session: Session,
    action: str,
    row: SavedFilter,
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
) -> None:
    record(
        session,
        action=action,
        actor_id=row.user_id,
        tenant_id=row.tenant_id,
        entity_type="saved_filter",
        entity_id=row.id,
        old=old,
        new=new,
    )


def create_saved_filter(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    name: str,
    query: dict[str, Any],
) -> SavedFilter:
    row = SavedFilter(
        tenant_id=tenant_id,
        user_id=user_id,
        name=_check_saved_name(session, tenant_id, user_id, name),
        query=_check_query(query),
    )
    session.add(row)
    session.flush()
    _audit_filter(
        session, "saved_filter.created", row, None, {"name": row.name, "query": row.query}
    )
    return row


def list_saved_filters(
    session: Session, *, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> list[SavedFilter]:
    query = scoped(SavedFilter, tenant_id).where(SavedFilter.user_id == user_id)
    return list(session.scalars(query.order_by(SavedFilter.name)))


def get_saved_filter(
    session: Session, *, tenant_id: uuid.UUID, user_id: uuid.UUID, saved_filter_id: uuid.UUID
) -> SavedFilter:
    return _own(session, tenant_id, user_id, saved_filter_id)


def update_saved_filter(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    saved_filter_id: uuid.UUID,
    name: str | None = None,
    query: dict[str, Any] | None = None,
) -> SavedFilter:
    row = _own(session, tenant_id, user_id, saved_filter_id)
    before = {"name": row.name, "query": row.query}
    if name is not None:
        row.name = _check_saved_name(session, tenant_id, user_id, name, exclude=row.id)
    if query is not None:
        row.query = _check_query(query)
    session.flush()
    old, new = changes(before, {"name": row.name, "query": row.query})
    if new:
        _audit_filter(session, "saved_filter.updated", row, old, new)
    return row


def delete_saved_filter(
    session: Session, *, tenant_id: uuid.UUID, user_id: uuid.UUID, saved_filter_id: uuid.UUID
) -> None:
    row = _own(session, tenant_id, user_id, saved_filter_id)
    _audit_filter(
        session, "saved_filter.deleted", row, {"name": row.name, "query": row.query}, None
    )
    session.delete(row)
    session.flush()
