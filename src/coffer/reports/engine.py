"""What every report shares: the common filter, its resolution into a scope of this
household's accounts and categories, exchange rates loaded once per report, the sums
of transaction lines in the base currency, and drill-down filters.

Definitions every report follows:

- A *line* is what a transaction contributes under one category: an unsplit
  transaction is one line (its amount, its category); a split transaction is one line
  per split line, each under its own category.
- Transfers (both legs, whatever category a leg carries) are never income or spending:
  every sum here leaves them out.
- Lines in income categories are *income* (their signed sum: a negative income line,
  such as a clawed-back salary, reduces income). Lines in expense categories are
  *spending*, counted as minus their signed sum: money out is positive spending and a
  refund (a positive amount in an expense category) reduces its category's spending.
- Uncategorised lines are neither: each report shows their net sum separately
  (positive: net money in), so nothing is dropped and nothing is guessed.
- Amounts are converted to the household's base currency at the transaction date.
  Accounts in the base currency need no conversion and are read from the monthly
  aggregate (account_month) whenever the question allows it. Amounts of a foreign
  currency are summed per (currency, day, figure) and each such sum is converted once,
  at that day's rate (the most recent on or before it, as coffer.ledger.fx finds it),
  rounded half-up to the base currency's minor unit. A (currency, day) without any
  rate is left out of the figures and listed in the result's `missing_rates`.
"""

from __future__ import annotations

import bisect
import functools
import uuid
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from sqlalchemy import ColumnElement, String, and_, case, exists, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from coffer.core.money import from_minor, round_half_up, to_minor
from coffer.errors import field_error
from coffer.ledger.categories import with_children
from coffer.ledger.common import get_many_or_404, month_of, scoped
from coffer.ledger.fx import FoundRate
from coffer.ledger.models import (
    Account,
    AccountMonth,
    Category,
    CategoryKind,
    FxRate,
    LedgerTransaction,
    Tag,
    TransactionSplit,
    TransactionTag,
)
from coffer.ledger.search import TransactionFilter

# A report spans at most this many months: bounded work and answer size per request.
MAX_MONTHS = 600
MAX_IDS = 100


# --- months ---------------------------------------------------------------------------


def month_end(month: date) -> date:
    return next_month(month) - timedelta(days=1)


def next_month(month: date) -> date:
    return date(month.year + 1, 1, 1) if month.month == 12 else date(month.year, month.month + 1, 1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    """Month starts from the month of `first` to the month of `last`, both included."""
    months, current, end = [], month_of(first), month_of(last)
    while current <= end:
        months.append(current)
        current = next_month(current)
    return months


def average(total_minor: int, count: int) -> int:
    """`total_minor` / `count`, rounded half-up to the minor unit."""
    if count <= 0:
        return 0
    return int((Decimal(total_minor) / count).quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- filter, scope and drill-downs ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportFilter:
    """The filter every report takes. Empty id lists mean "all"; a parent category means
    its children too; a tag filter keeps transactions carrying any of the tags."""

    date_from: date | None = None
    date_to: date | None = None
    account_ids: tuple[uuid.UUID, ...] = ()
    category_ids: tuple[uuid.UUID, ...] = ()
    tag_ids: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True, slots=True)
class Drilldown:
    """The transaction search that lists the transactions behind a figure.

    Its query string is accepted as is by GET /api/v1/transactions and by the
    /transactions page (merchant_ids by the API only). A split transaction is listed
    whole when one of its lines counts; only the matching lines make up the figure.
    """

    date_from: date | None = None
    date_to: date | None = None
    account_ids: tuple[uuid.UUID, ...] = ()
    category_ids: tuple[uuid.UUID, ...] = ()
    tag_ids: tuple[uuid.UUID, ...] = ()
    merchant_ids: tuple[uuid.UUID, ...] = ()
    uncategorised: bool = False
    transfers: bool | None = False

    def pairs(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.date_from is not None:
            out.append(("date_from", self.date_from.isoformat()))
        if self.date_to is not None:
            out.append(("date_to", self.date_to.isoformat()))
        for name in ("account_ids", "category_ids", "tag_ids", "merchant_ids"):
            out.extend((name, str(value)) for value in getattr(self, name))
        if self.uncategorised:
            out.append(("uncategorised", "true"))
        if self.transfers is not None:
            out.append(("transfers", "true" if self.transfers else "false"))
        return out

    def query_string(self) -> str:
        return self.query_string_between(self.date_from, self.date_to)

    def query_string_between(self, date_from: date | None, date_to: date | None) -> str:
        """The query string with these dates instead of its own (the same text as
        urlencode of `pairs`: every value is an ISO date, a UUID, "true" or "false",
        which a URL carries as they are). A report asks for thousands of these over a
        few dozen searches, so the part after the dates is made once per search."""
        parts = []
        if date_from is not None:
            parts.append(f"date_from={date_from.isoformat()}")
        if date_to is not None:
            parts.append(f"date_to={date_to.isoformat()}")
        tail = _query_tail(self)
        if tail:
            parts.append(tail)
        return "&".join(parts)

    def to_filter(self) -> TransactionFilter:
        return TransactionFilter(
            date_from=self.date_from,
            date_to=self.date_to,
            account_ids=self.account_ids,
            category_ids=self.category_ids,
            uncategorised=self.uncategorised,
            tag_ids=self.tag_ids,
            merchant_ids=self.merchant_ids,
            transfers=self.transfers,
        )


@functools.lru_cache(maxsize=4096)
def _query_tail(search: Drilldown) -> str:
    """The query string of `search` after its dates."""
    return "&".join(f"{k}={v}" for k, v in search.pairs() if k not in ("date_from", "date_to"))


INCOME = CategoryKind.income.value
EXPENSE = CategoryKind.expense.value


@dataclass(frozen=True, slots=True)
class CategoryInfo:
    id: uuid.UUID
    name: str
    kind: str
    parent_id: uuid.UUID | None


@dataclass
class Scope:
    """A filter resolved against one household: its accounts, categories and tags."""

    tenant_id: uuid.UUID
    base: str
    filters: ReportFilter
    accounts: dict[uuid.UUID, Account]  # the accounts in scope
    categories: dict[uuid.UUID, CategoryInfo]  # every category of the household
    tags: dict[uuid.UUID, Tag]  # the tags filtered on (empty: no tag filter)
    category_ids: frozenset[uuid.UUID] | None  # the filter with children; None: all

    @property
    def base_accounts(self) -> list[uuid.UUID]:
        return [a.id for a in self.accounts.values() if a.currency == self.base]

    @property
    def foreign_accounts(self) -> list[uuid.UUID]:
        return [a.id for a in self.accounts.values() if a.currency != self.base]

    def kind(self, category_id: uuid.UUID | None) -> str | None:
        """income, expense, or None for uncategorised."""
        if category_id is None:
            return None
        found = self.categories.get(category_id)
        return found.kind if found is not None else None

    def top(self, category_id: uuid.UUID) -> uuid.UUID:
        """The top-level category of a category (itself when it has no parent)."""
        found = self.categories[category_id]
        return found.parent_id if found.parent_id is not None else found.id

    def drill(
        self,
        date_from: date | None,
        date_to: date | None,
        *,
        category_ids: Iterable[uuid.UUID] = (),
        tag_ids: Iterable[uuid.UUID] | None = None,
        merchant_ids: Iterable[uuid.UUID] = (),
        uncategorised: bool = False,
    ) -> Drilldown:
        """A drill-down within this scope: its accounts and tags, plus the figure's own
        dates and categories (or, with none given, the filter's categories)."""
        chosen = tuple(category_ids)
        if not chosen and not uncategorised and self.filters.category_ids:
            chosen = self.filters.category_ids
        return Drilldown(
            date_from=date_from,
            date_to=date_to,
            account_ids=self.filters.account_ids,
            category_ids=chosen,
            tag_ids=tuple(tag_ids) if tag_ids is not None else self.filters.tag_ids,
            merchant_ids=tuple(merchant_ids),
            uncategorised=uncategorised,
        )

    def kind_categories(self, kind: str) -> tuple[uuid.UUID, ...]:
        """The fewest categories whose search covers every `kind` category in scope:
        top-level ones (a parent matches its children) unless the filter narrows."""
        if self.category_ids is not None:
            wanted = [c for c in self.category_ids if self.kind(c) == kind]
            parents = {c for c in wanted if self.categories[c].parent_id is None}
            chosen = [c for c in wanted if self.categories[c].parent_id not in parents]
        else:
            chosen = [
                c.id for c in self.categories.values() if c.kind == kind and c.parent_id is None
            ]
        return tuple(sorted(chosen, key=lambda c: (self.categories[c].name.lower(), str(c))))


def resolve(session: Session, *, tenant_id: uuid.UUID, base: str, filters: ReportFilter) -> Scope:
    """Check the filter (dates in order, every id of this household: another household's
    id answers 404 naming the field) and load what the reports need."""
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise field_error("date_from", "must not be after date_to")
    if (
        filters.date_from
        and filters.date_to
        and len(months_between(filters.date_from, filters.date_to)) > MAX_MONTHS
    ):
        raise field_error("date_from", f"a report spans at most {MAX_MONTHS // 12} years")
    for name in ("account_ids", "category_ids", "tag_ids"):
        if len(set(getattr(filters, name))) > MAX_IDS:
            raise field_error(name, f"at most {MAX_IDS} ids")
    if filters.account_ids:
        accounts = get_many_or_404(
            session, Account, tenant_id=tenant_id, ids=filters.account_ids, field="account_ids"
        )
    else:
        accounts = {a.id: a for a in session.scalars(scoped(Account, tenant_id))}
    categories = {
        row[0]: CategoryInfo(*row)
        for row in session.execute(
            select(Category.id, Category.name, Category.kind, Category.parent_id).where(
                Category.tenant_id == tenant_id
            )
        )
    }
    category_ids: frozenset[uuid.UUID] | None = None
    if filters.category_ids:
        unknown = set(filters.category_ids) - categories.keys()
        if unknown:
            get_many_or_404(
                session, Category, tenant_id=tenant_id, ids=unknown, field="category_ids"
            )
        category_ids = frozenset(
            with_children(session, tenant_id=tenant_id, category_ids=filters.category_ids)
        )
    tags = get_many_or_404(session, Tag, tenant_id=tenant_id, ids=filters.tag_ids, field="tag_ids")
    return Scope(
        tenant_id=tenant_id,
        base=base,
        filters=filters,
        accounts=accounts,
        categories=categories,
        tags=tags,
        category_ids=category_ids,
    )


def data_months(session: Session, scope: Scope) -> tuple[date, date] | None:
    """The first and last month with any transaction in the scope's accounts."""
    if not scope.accounts:
        return None
    am = AccountMonth
    first, last = session.execute(
        select(func.min(am.month), func.max(am.month)).where(
            am.tenant_id == scope.tenant_id, am.account_id.in_(list(scope.accounts))
        )
    ).one()
    if first is None or last is None:
        return None
    return first, last


def period(
    session: Session, scope: Scope, today: date | None = None, *, whole_months: bool = False
) -> tuple[date, date]:
    """The filter's dates, each missing one taken from the data: from the first day of
    the first month with transactions to the last day of the last one (the current
    month when there are none)."""
    start, end = scope.filters.date_from, scope.filters.date_to
    if start is None or end is None:
        extent = data_months(session, scope)
        this_month = month_of(today or date.today())
        first, last = extent if extent is not None else (this_month, this_month)
        if start is None:
            start = first if end is None else min(first, month_of(end))
        if end is None:
            end = month_end(max(last, month_of(start)))
    if whole_months:
        start, end = month_of(start), month_end(month_of(end))
    if len(months_between(start, end)) > MAX_MONTHS:
        raise field_error("date_from", f"a report spans at most {MAX_MONTHS // 12} years")
    return start, end


# --- exchange rates -------------------------------------------------------------------


class RateBook:
    """Every rate between the base currency and the given currencies up to a day,
    loaded in one query, answering as coffer.ledger.fx.find_rate would (the direct pair
    when one is known on or before the day, else the inverse of the reverse pair)."""

    def __init__(
        self,
        session: Session,
        *,
        tenant_id: uuid.UUID,
        to_ccy: str,
        currencies: Iterable[str],
        until: date,
    ) -> None:
        self.to_ccy = to_ccy
        wanted = sorted(set(currencies) - {to_ccy})
        self._days: dict[tuple[str, bool], list[date]] = {}
        self._rates: dict[tuple[str, bool], list[Decimal]] = {}
        self.missing: set[tuple[str, date]] = set()
        if not wanted:
            return
        rows = session.execute(
            select(FxRate.base, FxRate.quote, FxRate.rate_on, FxRate.rate)
            .where(
                FxRate.tenant_id == tenant_id,
                FxRate.rate_on <= until,
                or_(
                    and_(FxRate.base.in_(wanted), FxRate.quote == to_ccy),
                    and_(FxRate.base == to_ccy, FxRate.quote.in_(wanted)),
                ),
            )
            .order_by(FxRate.rate_on)
        )
        for base, quote, rate_on, rate in rows:
            key = (base, False) if quote == to_ccy else (quote, True)
            self._days.setdefault(key, []).append(rate_on)
            self._rates.setdefault(key, []).append(rate)

    def find(self, code: str, on: date) -> FoundRate | None:
        for inverse in (False, True):
            days = self._days.get((code, inverse))
            if days:
                index = bisect.bisect_right(days, on) - 1
                if index >= 0:
                    return FoundRate(
                        stored=self._rates[(code, inverse)][index],
                        rate_on=days[index],
                        inverse=inverse,
                    )
        return None

    def convert(self, amount_minor: int, code: str, on: date) -> int | None:
        """The amount in the base currency's minor units; None (and noted in `missing`)
        when no rate is known."""
        if code == self.to_ccy or amount_minor == 0:
            return amount_minor if code == self.to_ccy else 0
        found = self.find(code, on)
        if found is None:
            self.missing.add((code, on))
            return None
        amount = found.apply(from_minor(amount_minor, code))
        return to_minor(round_half_up(amount, self.to_ccy), self.to_ccy)


def rate_book(session: Session, scope: Scope, until: date) -> RateBook:
    return RateBook(
        session,
        tenant_id=scope.tenant_id,
        to_ccy=scope.base,
        currencies={a.currency for a in scope.accounts.values()},
        until=until,
    )


# --- sums of lines --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineSum:
    """The lines of one account, day, category (and merchant or tag) in the account's
    currency: the sum of the positive ones, of the negative ones, and their count."""

    account_id: uuid.UUID
    day: date
    category_id: uuid.UUID | None
    key: uuid.UUID | None  # the merchant or tag, when grouped by one
    positive: int
    negative: int
    count: int

    @property
    def total(self) -> int:
        return self.positive + self.negative


By = Literal["merchant", "tag"] | None


def line_sums(
    session: Session,
    scope: Scope,
    *,
    start: date,
    end: date,
    account_ids: Sequence[uuid.UUID] | None = None,
    by: By = None,
) -> list[LineSum]:
    """The scope's non-transfer lines dated `start`..`end`, summed per account, day and
    category (and merchant or tag). Grouped by tag, a line counts once under each of
    its transaction's tags (only the filter's tags, when it names some)."""
    wanted = list(scope.accounts) if account_ids is None else list(account_ids)
    if not wanted or start > end:
        return []
    tenant_id = scope.tenant_id
    txn, line, link = LedgerTransaction, TransactionSplit, TransactionTag
    found: list[LineSum] = []
    for split in (False, True):
        amount = line.amount_minor if split else txn.amount_minor
        category = line.category_id if split else txn.category_id
        key: Any = txn.merchant_id if by == "merchant" else link.tag_id if by == "tag" else None
        columns: list[Any] = [txn.account_id, txn.posted_on, category]
        if key is not None:
            columns.append(key)
        query = select(
            *columns,
            func.sum(case((amount > 0, amount), else_=0)),
            func.sum(case((amount < 0, amount), else_=0)),
            func.count(),
        )
        if split:
            query = query.select_from(line).join(
                txn, and_(txn.id == line.transaction_id, txn.tenant_id == tenant_id)
            )
            query = query.where(line.tenant_id == tenant_id)
        else:
            query = query.select_from(txn).where(
                txn.tenant_id == tenant_id, txn.is_split.is_(False)
            )
        conditions: list[ColumnElement[bool]] = [
            txn.posted_on >= start,
            txn.posted_on <= end,
            txn.account_id.in_(wanted),
            txn.transfer_group_id.is_(None),
        ]
        if scope.category_ids is not None:
            conditions.append(category.in_(list(scope.category_ids)))
        if by == "tag":
            query = query.join(
                link, and_(link.transaction_id == txn.id, link.tenant_id == tenant_id)
            )
            if scope.tags:
                conditions.append(link.tag_id.in_(list(scope.tags)))
        elif scope.tags:
            conditions.append(
                exists().where(
                    link.tenant_id == tenant_id,
                    link.transaction_id == txn.id,
                    link.tag_id.in_(list(scope.tags)),
                )
            )
        if by == "merchant":
            conditions.append(txn.merchant_id.is_not(None))
        query = query.where(*conditions).group_by(*columns)
        for row in session.execute(query):
            values = tuple(row)
            group = values[3] if key is not None else None
            positive, negative, count = values[-3:]
            found.append(
                LineSum(
                    values[0], values[1], values[2], group, int(positive), int(negative), int(count)
                )
            )
    return found


Key = Hashable


@dataclass
class Totals:
    """Sums in the base currency's minor units by a report's keys, with the
    (currency, day) pairs no rate could convert."""

    values: dict[Any, int] = field(default_factory=lambda: defaultdict(int))
    counts: dict[Any, int] = field(default_factory=lambda: defaultdict(int))
    missing: set[tuple[str, date]] = field(default_factory=set)


def fold(
    scope: Scope,
    rates: RateBook,
    rows: Iterable[LineSum],
    key: Callable[[LineSum], Iterable[tuple[Any, int]]],
    into: Totals | None = None,
) -> Totals:
    """Add `rows` into sums by the keys `key` gives each row (with the amount to add
    under each): base-currency amounts as they are, foreign amounts summed per
    (currency, day, key) and converted once."""
    result = into if into is not None else Totals()
    foreign: dict[tuple[str, date, Any], int] = defaultdict(int)
    for row in rows:
        code = scope.accounts[row.account_id].currency
        for target, amount in key(row):
            result.counts[target] += row.count
            if code == scope.base:
                result.values[target] += amount
            else:
                foreign[(code, row.day, target)] += amount
    for (code, day, target), amount in foreign.items():
        converted = rates.convert(amount, code, day)
        if converted is None:
            result.missing.add((code, day))
        else:
            result.values[target] += converted
    return result


def category_months(
    session: Session, scope: Scope, rates: RateBook, start: date, end: date
) -> Totals:
    """Non-transfer sums by (month, category) for `start`..`end`, in the base currency.

    Without a tag filter, base-currency accounts are read from the monthly aggregate for
    every whole month in the range, less their transfer legs there (read through the
    transfer index; transfers are never split, so a leg's own category is its only
    one); the partial months at either end, foreign-currency accounts and any tag
    filter are read line by line.
    """
    result = Totals()

    def by_month(row: LineSum) -> list[tuple[Any, int]]:
        return [((month_of(row.day), row.category_id), row.total)]

    if scope.tags:
        return fold(scope, rates, line_sums(session, scope, start=start, end=end), by_month, result)
    first_whole = start if start.day == 1 else next_month(start)
    last_whole = month_of(end) if end == month_end(month_of(end)) else add_months(month_of(end), -1)
    base_ids = scope.base_accounts
    row_ranges: list[tuple[date, date]] = []
    if base_ids and first_whole <= last_whole:
        _add_aggregate(session, scope, base_ids, first_whole, last_whole, result)
        if start < first_whole:
            row_ranges.append((start, first_whole - timedelta(days=1)))
        if end > month_end(last_whole):
            row_ranges.append((month_end(last_whole) + timedelta(days=1), end))
    else:
        row_ranges.append((start, end))
    for low, high in row_ranges:
        rows = line_sums(session, scope, start=low, end=high, account_ids=base_ids)
        fold(scope, rates, rows, by_month, result)
    foreign = scope.foreign_accounts
    if foreign:
        rows = line_sums(session, scope, start=start, end=end, account_ids=foreign)
        fold(scope, rates, rows, by_month, result)
    return result


def _add_aggregate(
    session: Session,
    scope: Scope,
    account_ids: list[uuid.UUID],
    first: date,
    last: date,
    into: Totals,
) -> None:
    am, txn = AccountMonth, LedgerTransaction
    query = select(am.month, am.category_id, func.sum(am.total_minor), func.sum(am.count)).where(
        am.tenant_id == scope.tenant_id,
        am.month >= first,
        am.month <= last,
    )
    if len(account_ids) != len(scope.accounts) or scope.filters.account_ids:
        query = query.where(am.account_id.in_(account_ids))
    if scope.category_ids is not None:
        query = query.where(am.category_id.in_(list(scope.category_ids)))
    # Thousands of plain rows: Core execution without ORM result processing, and the
    # category read as stored and mapped to the ids already loaded.
    connection = session.connection()
    known: dict[Any, uuid.UUID] = {}
    for cid in scope.categories:
        known[cid] = known[cid.hex] = known[str(cid)] = cid
    values, counts = into.values, into.counts
    stored = type_coerce(am.category_id, String)
    grouped = query.with_only_columns(
        am.month, stored, func.sum(am.total_minor), func.sum(am.count)
    ).group_by(am.month, stored)
    for month, raw_category, total, count in connection.execute(grouped).all():
        key = (month, None if raw_category is None else known.get(raw_category, raw_category))
        values[key] += int(total)
        counts[key] += int(count)
    legs = select(txn.posted_on, txn.category_id, txn.amount_minor).where(
        txn.tenant_id == scope.tenant_id,
        txn.transfer_group_id.is_not(None),
        txn.account_id.in_(account_ids),
        txn.posted_on >= first,
        txn.posted_on <= month_end(last),
    )
    if scope.category_ids is not None:
        legs = legs.where(txn.category_id.in_(list(scope.category_ids)))
    for day, category_id, amount in connection.execute(legs):
        into.values[(month_of(day), category_id)] -= int(amount)
        into.counts[(month_of(day), category_id)] -= 1


def classify(scope: Scope, category_id: uuid.UUID | None, total: int) -> tuple[str, int]:
    """("income", amount) | ("spending", amount) | ("uncategorised", net) of a line sum."""
    kind = scope.kind(category_id)
    if kind == INCOME:
        return "income", total
    if kind == EXPENSE:
        return "spending", -total
    return "uncategorised", total


def missing_list(missing: Iterable[tuple[str, date]]) -> list[tuple[str, date]]:
    return sorted(set(missing))
