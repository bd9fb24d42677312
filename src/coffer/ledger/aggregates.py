"""The monthly aggregate (account_month): maintained with every change, checkable
against the raw rows at any time.

A transaction contributes (account, month, category, amount, 1) — or, when split, one
such contribution per line under the line's category. Every write of the ledger
computes the contributions it removes and adds, nets them into `Deltas` and applies
them with one upsert per key, in the caller's database transaction. Rows whose count
falls to zero are deleted, so the table always equals the GROUP BY of the raw rows.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from sqlalchemy import ColumnElement, Date, Table, and_, delete, func, select, type_coerce
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from coffer.db.base import new_id
from coffer.ledger.common import month_of
from coffer.ledger.models import AccountMonth, LedgerTransaction, TransactionSplit

Key = tuple[uuid.UUID, date, uuid.UUID | None]  # account, month, category
_TABLE = cast(Table, AccountMonth.__table__)


@dataclass
class Deltas:
    """Net changes to the aggregate, by (account, month, category)."""

    values: dict[Key, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))

    def add(self, key: Key, total: int, count: int) -> None:
        entry = self.values[key]
        entry[0] += total
        entry[1] += count

    def add_transaction(
        self,
        txn: LedgerTransaction,
        lines: Sequence[tuple[uuid.UUID | None, int]] = (),
        *,
        sign: int = 1,
    ) -> None:
        """Add (sign=1) or remove (sign=-1) a transaction; `lines` are its split lines."""
        self.add_parts(
            txn.account_id, txn.posted_on, txn.category_id, txn.amount_minor, lines, sign
        )

    def add_parts(
        self,
        account_id: uuid.UUID,
        posted_on: date,
        category_id: uuid.UUID | None,
        amount_minor: int,
        lines: Sequence[tuple[uuid.UUID | None, int]] = (),
        sign: int = 1,
    ) -> None:
        month = month_of(posted_on)
        if lines:
            for line_category, line_amount in lines:
                self.add((account_id, month, line_category), sign * line_amount, sign)
        else:
            self.add((account_id, month, category_id), sign * amount_minor, sign)

    def nonzero(self) -> list[tuple[Key, int, int]]:
        return [(key, t, c) for key, (t, c) in self.values.items() if t or c]


def _insert(session: Session) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def apply(session: Session, *, tenant_id: uuid.UUID, deltas: Deltas) -> None:
    """Add `deltas` to the aggregate (upserts), then drop rows that became empty."""
    rows = deltas.nonzero()
    if not rows:
        return
    table = _TABLE
    insert = _insert(session)
    for categorised in (True, False):
        params = [
            {
                "id": new_id(),
                "tenant_id": tenant_id,
                "account_id": account_id,
                "month": month,
                "category_id": category_id,
                "total_minor": total,
                "count": count,
            }
            for (account_id, month, category_id), total, count in rows
            if (category_id is not None) == categorised
        ]
        if not params:
            continue
        columns = [table.c.tenant_id, table.c.account_id, table.c.month]
        if categorised:
            columns.append(table.c.category_id)
            where: ColumnElement[bool] = table.c.category_id.is_not(None)
        else:
            where = table.c.category_id.is_(None)
        stmt = insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=columns,
            index_where=where,
            set_={
                "total_minor": table.c.total_minor + stmt.excluded.total_minor,
                "count": table.c.count + stmt.excluded.count,
            },
        )
        session.execute(stmt, params)
    accounts = {key[0] for key, _, _ in rows}
    months = {key[1] for key, _, _ in rows}
    session.execute(
        delete(table).where(
            table.c.tenant_id == tenant_id,
            table.c.account_id.in_(accounts),
            table.c.month.in_(months),
            table.c.count == 0,
        )
    )


def month_expr(session: Session, column: Any) -> Any:
    """The first day of `column`'s month, as a date, on either database."""
    if session.get_bind().dialect.name == "postgresql":
        return type_coerce(func.date_trunc("month", column).cast(Date), Date)
    return type_coerce(func.strftime("%Y-%m-01", column), Date)


def raw_sums(
    session: Session, *, tenant_id: uuid.UUID, account_ids: Iterable[uuid.UUID] | None = None
) -> dict[Key, tuple[int, int]]:
    """The aggregate computed from the raw rows (GROUP BY), for checks and rebuilds."""
    session.flush()
    txn, line = LedgerTransaction, TransactionSplit
    month = month_expr(session, txn.posted_on)
    whole = (
        select(txn.account_id, month, txn.category_id, func.sum(txn.amount_minor), func.count())
        .where(txn.tenant_id == tenant_id, txn.is_split.is_(False))
        .group_by(txn.account_id, month, txn.category_id)
    )
    parts = (
        select(txn.account_id, month, line.category_id, func.sum(line.amount_minor), func.count())
        .join(txn, and_(txn.id == line.transaction_id, txn.tenant_id == tenant_id))
        .where(line.tenant_id == tenant_id)
        .group_by(txn.account_id, month, line.category_id)
    )
    if account_ids is not None:
        wanted = list(account_ids)
        whole = whole.where(txn.account_id.in_(wanted))
        parts = parts.where(txn.account_id.in_(wanted))
    sums: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    for query in (whole, parts):
        for account_id, month_on, category_id, total, count in session.execute(query):
            entry = sums[(account_id, month_on, category_id)]
            entry[0] += int(total)
            entry[1] += int(count)
    return {key: (t, c) for key, (t, c) in sums.items()}


def stored_sums(
    session: Session, *, tenant_id: uuid.UUID, account_ids: Iterable[uuid.UUID] | None = None
) -> dict[Key, tuple[int, int]]:
    session.flush()
    am = AccountMonth
    query = select(am.account_id, am.month, am.category_id, am.total_minor, am.count).where(
        am.tenant_id == tenant_id
    )
    if account_ids is not None:
        query = query.where(am.account_id.in_(list(account_ids)))
    return {(a, m, c): (int(t), int(n)) for a, m, c, t, n in session.execute(query)}


def reconcile_aggregates(
    session: Session, *, tenant_id: uuid.UUID, account_ids: Iterable[uuid.UUID] | None = None
) -> list[str]:
    """Every difference between account_month and the raw sums; empty when they agree."""
    wanted = list(account_ids) if account_ids is not None else None
    raw = raw_sums(session, tenant_id=tenant_id, account_ids=wanted)
    stored = stored_sums(session, tenant_id=tenant_id, account_ids=wanted)
    problems = []
    for key in sorted(raw.keys() | stored.keys(), key=str):
        if raw.get(key) != stored.get(key):
            problems.append(f"{key}: stored {stored.get(key)} but the rows sum to {raw.get(key)}")
    return problems


def rebuild(
    session: Session, *, tenant_id: uuid.UUID, account_ids: Iterable[uuid.UUID] | None = None
) -> int:
    """Recompute the aggregate from the raw rows (after a bulk load, or to repair it)."""
    wanted = list(account_ids) if account_ids is not None else None
    table = _TABLE
    clear = delete(table).where(table.c.tenant_id == tenant_id)
    if wanted is not None:
        clear = clear.where(table.c.account_id.in_(wanted))
    raw = raw_sums(session, tenant_id=tenant_id, account_ids=wanted)
    session.execute(clear)
    params = [
        {
            "id": new_id(),
            "tenant_id": tenant_id,
            "account_id": account_id,
            "month": month,
            "category_id": category_id,
            "total_minor": total,
            "count": count,
        }
        for (account_id, month, category_id), (total, count) in raw.items()
    ]
    if params:
        session.execute(table.insert(), params)
    return len(params)
