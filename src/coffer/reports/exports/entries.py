"""The ledger as balanced journal entries, in date order, read a page at a time.

Both journal formats write the same entries; only the spelling differs. An entry is:

- an opening balance: the account against `Equity:Opening-Balances`, on its opening day;
- a carried-forward balance, when the export starts at `date_from`: what the account held
  the day before, against `Equity:Opening-Balances`, so that every account ends the
  export with the balance Coffer shows for `date_to`;
- a transaction: its account, and its category (by sign when it has none) for the
  negated amount; a split transaction has one category posting per line;
- a transfer: both legs in one entry. Across currencies the receiving leg carries the
  sending leg's amount as its total price (`@@`), which balances the entry exactly
  whatever the rate's decimals. A leg whose partner is missing balances against
  `Equity:Unmatched-Transfers`.

Transactions are read in keyset pages over (posted_on, id), ascending, so memory stays
flat however long the history. A transfer is written once, from the first of its legs
the selection covers (earlier by date, then id); its other legs are fetched with the
page and skipped when the stream reaches them. Selecting accounts keeps every entry
that touches one of them, whole: a transfer to an unselected account still balances.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from coffer.core.money import from_minor
from coffer.ledger import service
from coffer.ledger.common import scoped
from coffer.ledger.models import Account, LedgerTransaction, TransactionStatus
from coffer.reports.exports.names import OPENING_BALANCES, UNMATCHED_TRANSFERS, Chart

PAGE_ROWS = 500


@dataclass(frozen=True)
class Selection:
    """What to export: a date range and some accounts; empty means everything."""

    date_from: date | None = None
    date_to: date | None = None
    account_ids: tuple[uuid.UUID, ...] = ()

    def covers(self, txn: LedgerTransaction) -> bool:
        if self.account_ids and txn.account_id not in self.account_ids:
            return False
        if self.date_from is not None and txn.posted_on < self.date_from:
            return False
        return self.date_to is None or txn.posted_on <= self.date_to

    def covers_day(self, day: date) -> bool:
        if self.date_from is not None and day < self.date_from:
            return False
        return self.date_to is None or day <= self.date_to


@dataclass(frozen=True)
class Posting:
    account: str
    amount_minor: int
    currency: str
    # A total price: the amount in another currency this posting is worth.
    price_minor: int | None = None
    price_currency: str | None = None
    memo: str | None = None

    @property
    def amount(self) -> Decimal:
        return from_minor(self.amount_minor, self.currency)

    @property
    def price(self) -> Decimal | None:
        if self.price_minor is None or self.price_currency is None:
            return None
        return from_minor(self.price_minor, self.price_currency)


@dataclass(frozen=True)
class Entry:
    on: date
    cleared: bool
    payee: str | None
    narration: str | None
    postings: tuple[Posting, ...]
    tags: tuple[str, ...] = ()
    notes: str | None = None
    # The Coffer id behind the entry (a transaction, a transfer), for finding it again.
    ref: str | None = None


@dataclass(frozen=True)
class AccountSpan:
    """The days an export posts to an account: first and last."""

    first: date
    last: date


@dataclass
class Book:
    """Everything a journal needs before its first entry."""

    chart: Chart
    accounts: list[Account]
    selection: Selection
    spans: dict[uuid.UUID, AccountSpan] = field(default_factory=dict)

    @property
    def currencies(self) -> list[str]:
        return sorted({a.currency for a in self.accounts})

    @property
    def first_day(self) -> date:
        days = [span.first for span in self.spans.values()]
        return min(days) if days else date.today()


def load_book(session: Session, *, tenant_id: uuid.UUID, selection: Selection) -> Book:
    accounts = service.list_accounts(session, tenant_id=tenant_id)
    chart = Chart.build(
        accounts,
        service.list_categories(session, tenant_id=tenant_id),
        {t.id: t.name for t in service.list_tags(session, tenant_id=tenant_id)},
    )
    txn = LedgerTransaction
    used = session.execute(
        select(txn.account_id, func.min(txn.posted_on), func.max(txn.posted_on))
        .where(txn.tenant_id == tenant_id)
        .group_by(txn.account_id)
    )
    spans = {account_id: AccountSpan(first, last) for account_id, first, last in used}
    for account in accounts:
        days = [account.opening_on]
        if selection.date_from is not None:
            days.append(selection.date_from)
        if account.id in spans:
            days += [spans[account.id].first, spans[account.id].last]
        spans[account.id] = AccountSpan(min(days), max(days))
    return Book(chart=chart, accounts=accounts, selection=selection, spans=spans)


def _opening_entries(session: Session, tenant_id: uuid.UUID, book: Book) -> list[Entry]:
    selection = book.selection
    entries: list[Entry] = []
    for account in book.accounts:
        if selection.account_ids and account.id not in selection.account_ids:
            continue
        name = book.chart.accounts[account.id]
        opening = account.opening_balance_minor
        if selection.date_from is not None:
            before = selection.date_from - timedelta(days=1)
            carried = service.balance(session, tenant_id=tenant_id, account=account, on=before)
            if account.opening_on >= selection.date_from:
                carried -= opening
            if carried:
                entries.append(
                    _against_equity(
                        selection.date_from, name, carried, account, "Balance carried forward"
                    )
                )
        if opening and selection.covers_day(account.opening_on):
            entries.append(
                _against_equity(account.opening_on, name, opening, account, "Opening balance")
            )
    entries.sort(key=lambda e: e.on)
    return entries


def _against_equity(
    on: date, name: str, amount_minor: int, account: Account, narration: str
) -> Entry:
    code = account.currency
    return Entry(
        on=on,
        cleared=True,
        payee=None,
        narration=narration,
        postings=(
            Posting(name, amount_minor, code),
            Posting(OPENING_BALANCES, -amount_minor, code),
        ),
        ref=str(account.id),
    )


def _page(
    session: Session,
    tenant_id: uuid.UUID,
    selection: Selection,
    after: tuple[date, uuid.UUID] | None,
    limit: int,
) -> list[LedgerTransaction]:
    txn = LedgerTransaction
    query = scoped(LedgerTransaction, tenant_id)
    if selection.account_ids:
        query = query.where(txn.account_id.in_(selection.account_ids))
    if selection.date_from is not None:
        query = query.where(txn.posted_on >= selection.date_from)
    if selection.date_to is not None:
        query = query.where(txn.posted_on <= selection.date_to)
    if after is not None:
        day, last_id = after
        # posted_on >= day bounds the index range; the OR picks up where the page ended.
        query = query.where(
            txn.posted_on >= day,
            or_(txn.posted_on > day, and_(txn.posted_on == day, txn.id > last_id)),
        )
    return list(session.scalars(query.order_by(txn.posted_on, txn.id).limit(limit)))


def _transfer_legs(
    session: Session, tenant_id: uuid.UUID, groups: set[uuid.UUID]
) -> dict[uuid.UUID, list[service.TransactionView]]:
    if not groups:
        return {}
    txn = LedgerTransaction
    legs: list[LedgerTransaction] = []
    chunk = sorted(groups)
    for start in range(0, len(chunk), 500):
        legs += session.scalars(
            scoped(LedgerTransaction, tenant_id).where(
                txn.transfer_group_id.in_(chunk[start : start + 500])
            )
        )
    by_group: dict[uuid.UUID, list[service.TransactionView]] = defaultdict(list)
    for view in service.load_views(session, tenant_id=tenant_id, txns=legs):
        if view.txn.transfer_group_id is not None:
            by_group[view.txn.transfer_group_id].append(view)
    for members in by_group.values():
        members.sort(key=lambda v: (v.txn.amount_minor, v.txn.id))
    return by_group


def _first(values: Sequence[str | None]) -> str | None:
    return next((v for v in values if v), None)


def _tags(chart: Chart, views: Sequence[service.TransactionView]) -> tuple[str, ...]:
    names = {chart.tags[t] for v in views for t in v.tag_ids if t in chart.tags}
    return tuple(sorted(names))


def _transfer_entry(chart: Chart, legs: list[service.TransactionView], on: date) -> Entry:
    """Both legs (sent first); across currencies the received leg is priced at what was
    sent; anything left unbalanced goes to Equity:Unmatched-Transfers."""
    postings: list[Posting] = [
        Posting(chart.accounts[v.txn.account_id], v.txn.amount_minor, v.currency) for v in legs
    ]
    if len(legs) == 2 and legs[0].currency != legs[1].currency:
        sent, received = postings
        if sent.amount_minor != 0 and (sent.amount_minor < 0) != (received.amount_minor < 0):
            postings[1] = Posting(
                received.account,
                received.amount_minor,
                received.currency,
                price_minor=-sent.amount_minor,
                price_currency=sent.currency,
            )
    residue: dict[str, int] = defaultdict(int)
    for posting in postings:
        if posting.price_minor is not None and posting.price_currency is not None:
            sign = 1 if posting.amount_minor >= 0 else -1
            residue[posting.price_currency] += sign * abs(posting.price_minor)
        else:
            residue[posting.currency] += posting.amount_minor
    for code, left in sorted(residue.items()):
        if left:
            postings.append(Posting(UNMATCHED_TRANSFERS, -left, code))
    txns = [v.txn for v in legs]
    group_id = txns[0].transfer_group_id
    return Entry(
        on=on,
        cleared=all(t.status != TransactionStatus.pending.value for t in txns),
        payee=_first([t.payee for t in txns]),
        narration=_first([t.memo for t in txns]) or "Transfer",
        postings=tuple(postings),
        tags=_tags(chart, legs),
        notes=_first([t.notes for t in txns]),
        ref=str(group_id) if group_id else None,
    )


def _transaction_entry(chart: Chart, view: service.TransactionView) -> Entry:
    txn = view.txn
    code = view.currency
    postings = [Posting(chart.accounts[txn.account_id], txn.amount_minor, code)]
    if txn.is_split and view.splits:
        postings += [
            Posting(
                chart.category_account(line.category_id, line.amount_minor),
                -line.amount_minor,
                code,
                memo=line.memo,
            )
            for line in view.splits
        ]
        left = txn.amount_minor - sum(line.amount_minor for line in view.splits)
        if left:  # never when the split rule holds; the entry still balances
            postings.append(Posting(chart.category_account(None, left), -left, code))
    else:
        postings.append(
            Posting(
                chart.category_account(txn.category_id, txn.amount_minor), -txn.amount_minor, code
            )
        )
    return Entry(
        on=txn.posted_on,
        cleared=txn.status != TransactionStatus.pending.value,
        payee=txn.payee or view.merchant_name,
        narration=txn.memo,
        postings=tuple(postings),
        tags=_tags(chart, [view]),
        notes=txn.notes,
        ref=str(txn.id),
    )


def read_entries(
    session: Session, *, tenant_id: uuid.UUID, book: Book, page_rows: int = PAGE_ROWS
) -> Iterator[Entry]:
    """Every entry of the selection, by date (opening balances first on their day)."""
    selection = book.selection
    openings = _opening_entries(session, tenant_id, book)
    position = 0
    after: tuple[date, uuid.UUID] | None = None
    while True:
        rows = _page(session, tenant_id, selection, after, page_rows)
        if not rows:
            break
        after = (rows[-1].posted_on, rows[-1].id)
        views = service.load_views(session, tenant_id=tenant_id, txns=rows)
        groups = {v.txn.transfer_group_id for v in views if v.txn.transfer_group_id}
        legs = _transfer_legs(session, tenant_id, {g for g in groups if g is not None})
        for view in views:
            txn = view.txn
            while position < len(openings) and openings[position].on <= txn.posted_on:
                yield openings[position]
                position += 1
            if txn.transfer_group_id is None:
                yield _transaction_entry(book.chart, view)
                continue
            members = legs.get(txn.transfer_group_id, [view])
            covered = [v.txn for v in members if selection.covers(v.txn)]
            owner = min(covered, key=lambda t: (t.posted_on, t.id)) if covered else txn
            if owner.id == txn.id:
                yield _transfer_entry(book.chart, members, txn.posted_on)
        if len(rows) < page_rows:
            break
    yield from openings[position:]


def as_text(value: Any) -> str:
    """A Decimal as plain digits ("-1200", "12.50"), never in exponent form."""
    return format(value, "f")
