"""Duplicates: exact ones by fingerprint, likely ones ("fuzzy") for a person to review.

Exact: the fingerprints of a chunk of rows are looked up in the ledger's unique index on
(tenant_id, account_id, fingerprint); a row whose fingerprint is there is already in the
account and is not written again.

Fuzzy: a row that is new by fingerprint but looks like a transaction already in the
account — same amount, a date within FUZZY_DAYS, a similar payee — where that
transaction came from somewhere a fingerprint cannot see: entered by hand (no
fingerprint), or imported from a file of another kind (a bank id where this file has
none, or the other way round). Two rows of the same kind of file with different dates
are two transactions (a bank does not move its own dates), so they are not flagged.
The preview shows each candidate; the person keeps it (the default) or skips it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from difflib import SequenceMatcher
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from coffer.core.categorise import normalise_payee
from coffer.imports.enrich import Existing, Row
from coffer.imports.fingerprint import is_external
from coffer.imports.writer import raw_cursor
from coffer.ledger.models import LedgerTransaction

FUZZY_DAYS = 3
LOOKUP_CHUNK = 900
CACHE_LIMIT = 50_000


def exact_matches(
    session: Session, *, tenant_id: uuid.UUID, account_id: uuid.UUID, fingerprints: Sequence[str]
) -> dict[str, uuid.UUID]:
    """Fingerprint to transaction id, for those of `fingerprints` already in the account.

    Plain DBAPI: this runs once per chunk of a million-row import, where SQLAlchemy's
    per-parameter processing of a 900-item IN list would cost more than the lookup.
    """
    found: dict[str, uuid.UUID] = {}
    if not fingerprints:
        return found
    cursor = raw_cursor(session)
    try:
        if session.get_bind().dialect.name == "postgresql":
            # The range lets the planner use the fingerprint index even before the
            # table has statistics (right after a large import, until autovacuum has
            # analysed it); without it, it may scan the account and filter.
            cursor.execute(
                "SELECT fingerprint, id FROM ledger_transaction WHERE tenant_id = %s "
                "AND account_id = %s AND fingerprint = ANY(%s::text[]) "
                "AND fingerprint BETWEEN %s AND %s",
                (tenant_id, account_id, list(fingerprints), min(fingerprints), max(fingerprints)),
                prepare=False,
            )
            found.update(cursor.fetchall())
            return found
        tenant, account = tenant_id.hex, account_id.hex
        for start in range(0, len(fingerprints), LOOKUP_CHUNK):
            part = list(fingerprints[start : start + LOOKUP_CHUNK])
            marks = ",".join("?" * len(part))
            cursor.execute(
                "SELECT fingerprint, id FROM ledger_transaction WHERE tenant_id = ? "  # noqa: S608 - only placeholders are added
                f"AND account_id = ? AND fingerprint IN ({marks})",
                (tenant, account, *part),
            )
            for fingerprint, txn_id in cursor.fetchall():
                found[fingerprint] = uuid.UUID(hex=txn_id)
    finally:
        cursor.close()
    return found


def has_fingerprints(session: Session, *, tenant_id: uuid.UUID, account_id: uuid.UUID) -> bool:
    """Whether the account holds any imported (fingerprinted) transaction yet. When it does
    not, no row of this import can be an exact duplicate (imports into one account take
    turns), so the per-chunk lookups are skipped: the first import of a history."""
    txn = LedgerTransaction
    return (
        session.scalar(
            select(txn.id)
            .where(
                txn.tenant_id == tenant_id,
                txn.account_id == account_id,
                txn.fingerprint.is_not(None),
            )
            .limit(1)
        )
        is not None
    )


class FuzzyFinder:
    """Likely duplicates among transactions already in the account, not from this batch."""

    def __init__(
        self, session: Session, *, tenant_id: uuid.UUID, account_id: uuid.UUID, batch_id: uuid.UUID
    ) -> None:
        self._session = session
        self._tenant_id = tenant_id
        self._account_id = account_id
        self._batch_id = batch_id
        txn = LedgerTransaction
        self._foreign = and_(
            txn.tenant_id == tenant_id,
            txn.account_id == account_id,
            or_(txn.import_batch_id.is_(None), txn.import_batch_id != batch_id),
        )
        low, high = session.execute(
            select(func.min(txn.posted_on), func.max(txn.posted_on)).where(self._foreign)
        ).one()
        self._range: tuple[date, date] | None = (low, high) if low is not None else None
        self._names: dict[str, str] = {}

    def find(self, rows: Sequence[Row]) -> int:
        """Mark rows (row.fuzzy) that look like an existing transaction; returns how many."""
        if self._range is None or not rows:
            return 0
        low = max(min(r.posted_on for r in rows) - timedelta(days=FUZZY_DAYS), self._range[0])
        high = min(max(r.posted_on for r in rows) + timedelta(days=FUZZY_DAYS), self._range[1])
        if low > high:
            return 0
        txn = LedgerTransaction
        amounts = {r.amount_minor for r in rows}
        by_amount: dict[int, list[tuple[Existing, str | None]]] = defaultdict(list)
        query = select(txn.id, txn.posted_on, txn.amount_minor, txn.payee, txn.fingerprint).where(
            self._foreign, txn.posted_on >= low, txn.posted_on <= high
        )
        for txn_id, posted_on, amount, payee, fingerprint in self._session.execute(query):
            if amount in amounts:
                by_amount[amount].append((Existing(txn_id, posted_on, amount, payee), fingerprint))
        found = 0
        for row in rows:
            best = self._best(row, by_amount.get(row.amount_minor, ()))
            if best is not None:
                row.fuzzy = best
                found += 1
        return found

    def _best(self, row: Row, candidates: Any) -> Existing | None:
        best: Existing | None = None
        row_external = is_external(row.fingerprint)
        for existing, fingerprint in candidates:
            gap = abs((existing.posted_on - row.posted_on).days)
            if gap > FUZZY_DAYS:
                continue
            same_kind = fingerprint is not None and is_external(fingerprint) == row_external
            # From the same kind of file only the same day, with the payee reworded, counts.
            if same_kind and (gap or self._name(existing.payee or "") == self._name(row.payee)):
                continue
            if not self.similar(row.payee, existing.payee or ""):
                continue
            if best is None or gap < abs((best.posted_on - row.posted_on).days):
                best = existing
        return best

    def _name(self, payee: str) -> str:
        name = self._names.get(payee)
        if name is None:
            if len(self._names) >= CACHE_LIMIT:
                self._names.clear()
            name = self._names[payee] = normalise_payee(payee) or " ".join(payee.casefold().split())
        return name

    def similar(self, a: str, b: str) -> bool:
        left, right = self._name(a), self._name(b)
        if not left or not right:
            return False
        if left == right or left in right or right in left:
            return True
        first_left, first_right = left.split()[0], right.split()[0]
        if first_left == first_right and len(first_left) >= 4:
            return True
        return SequenceMatcher(None, left, right).ratio() >= 0.6
