"""The reports: monthly summary, category trend, top merchants, cash flow, income
statement, net worth history and spending by tag, each for a `ReportFilter` in the
household's base currency, each figure with the drill-down listing its transactions.

Amounts are integers of the base currency's minor unit; coffer.reports.engine defines
lines, income, spending, uncategorised, transfers and conversion for all of them.
Every function takes the session first and keyword-only arguments after it, reads
only this household's rows and writes nothing.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coffer.errors import field_error
from coffer.ledger.common import get_or_404, month_of
from coffer.ledger.models import AccountMonth, Category, CategoryKind, Merchant, Tag
from coffer.reports.engine import (
    Drilldown,
    LineSum,
    ReportFilter,
    Scope,
    Totals,
    add_months,
    average,
    category_months,
    classify,
    data_months,
    fold,
    line_sums,
    missing_list,
    month_end,
    months_between,
    period,
    rate_book,
    resolve,
)

__all__ = [
    "CashFlow",
    "CategoryTrend",
    "Drilldown",
    "Figure",
    "IncomeStatement",
    "MonthlySummary",
    "NetWorthHistory",
    "ReportFilter",
    "SpendingByTag",
    "TopMerchants",
    "cash_flow",
    "category_trend",
    "income_statement",
    "monthly_summary",
    "net_worth_history",
    "spending_by_tag",
    "top_merchants",
]

MAX_MERCHANTS = 100


@dataclass(frozen=True, slots=True)
class Figure:
    """One number of a report and the search that lists its transactions: `search`,
    with `date_from`/`date_to` (when given) as its dates. The drill-down is assembled
    when asked for, so a report of thousands of figures builds quickly."""

    amount_minor: int
    search: Drilldown
    date_from: date | None = None
    date_to: date | None = None

    @property
    def drilldown(self) -> Drilldown:
        if self.date_from is None and self.date_to is None:
            return self.search
        return replace(self.search, date_from=self.date_from, date_to=self.date_to)

    def query_string(self) -> str:
        """The drill-down's query string (without building the drill-down)."""
        if self.date_from is None and self.date_to is None:
            return self.search.query_string()
        return self.search.query_string_between(self.date_from, self.date_to)


@dataclass
class Header:
    currency: str  # the base currency every amount is in
    date_from: date
    date_to: date
    filters: ReportFilter
    # (currency, day) pairs without a rate: their amounts are in no figure.
    missing_rates: list[tuple[str, date]]


def _clip(scope_start: date, scope_end: date, month: date) -> tuple[date, date]:
    return max(scope_start, month), min(scope_end, month_end(month))


def _header(scope: Scope, start: date, end: date, missing: Any) -> Header:
    return Header(scope.base, start, end, scope.filters, missing_list(missing))


# --- monthly summary and income statement ---------------------------------------------


@dataclass
class CategoryRow:
    """A category's figures; a top-level row includes its children's lines."""

    category_id: uuid.UUID
    name: str
    parent_id: uuid.UUID | None
    months: list[Figure]
    total: Figure
    average_minor: int
    children: list[CategoryRow] = field(default_factory=list)


@dataclass
class Section:
    """Income or spending: its category tree and its totals per month."""

    categories: list[CategoryRow]
    months: list[Figure]
    total: Figure
    average_minor: int


@dataclass
class Line:
    """A row of figures per month with its total and monthly average."""

    months: list[Figure]
    total: Figure
    average_minor: int


@dataclass
class MonthlySummary:
    header: Header
    months: list[date]
    income: Section
    spending: Section
    uncategorised: Line  # net of uncategorised lines (positive: money in)
    net: Line  # income - spending + uncategorised


def _ranges(start: date, end: date, months: list[date]) -> list[tuple[date, date]]:
    """Each month's days within the period."""
    return [_clip(start, end, month) for month in months]


def _row_figures(
    start: date,
    end: date,
    months: list[date],
    values: dict[date, int],
    search: Drilldown,
    ranges: list[tuple[date, date]] | None = None,
) -> tuple[list[Figure], Figure, int]:
    spans = ranges if ranges is not None else _ranges(start, end, months)
    amounts = [values.get(month, 0) for month in months]
    figures = [
        Figure(amount, search, low, high)
        for amount, (low, high) in zip(amounts, spans, strict=True)
    ]
    total = sum(amounts)
    return figures, Figure(total, search, start, end), average(total, len(months))


def _section(
    scope: Scope,
    kind: str,
    start: date,
    end: date,
    months: list[date],
    by_category: dict[uuid.UUID, dict[date, int]],
) -> Section:
    rolled: dict[uuid.UUID, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    spans = _ranges(start, end, months)
    for category_id, values in by_category.items():
        target = rolled[scope.top(category_id)]
        for month, amount in values.items():
            target[month] += amount
    tops = sorted(
        rolled,
        key=lambda c: (-sum(rolled[c].values()), scope.categories[c].name.lower(), str(c)),
    )

    def make(category_id: uuid.UUID, values: dict[date, int]) -> CategoryRow:
        category = scope.categories[category_id]
        search = scope.drill(None, None, category_ids=[category_id])
        figures, total, avg = _row_figures(start, end, months, values, search, spans)
        return CategoryRow(category.id, category.name, category.parent_id, figures, total, avg)

    rows = []
    for top in tops:
        row = make(top, rolled[top])
        children = [c for c in by_category if c != top and scope.categories[c].parent_id == top]
        children.sort(key=lambda c: (-sum(by_category[c].values()), scope.categories[c].name))
        row.children = [make(c, by_category[c]) for c in children]
        rows.append(row)
    totals: dict[date, int] = defaultdict(int)
    for values in rolled.values():
        for month, amount in values.items():
            totals[month] += amount
    search = scope.drill(None, None, category_ids=scope.kind_categories(kind))
    figures, total, avg = _row_figures(start, end, months, totals, search, spans)
    return Section(rows, figures, total, avg)


def _split_kinds(
    scope: Scope, sums: Totals
) -> tuple[dict[str, dict[uuid.UUID, dict[date, int]]], dict[date, int]]:
    """Category-month sums as {income|spending: {category: {month: amount}}} and the
    uncategorised net per month."""
    kinds: dict[str, dict[uuid.UUID, dict[date, int]]] = {"income": {}, "spending": {}}
    uncategorised: dict[date, int] = defaultdict(int)
    for (month, category_id), total in sums.values.items():
        if not total and not sums.counts.get((month, category_id)):
            continue
        kind, amount = classify(scope, category_id, total)
        if kind == "uncategorised" or category_id is None:
            uncategorised[month] += amount
        else:
            kinds[kind].setdefault(category_id, defaultdict(int))[month] += amount
    return kinds, uncategorised


def monthly_summary(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    base_currency: str,
    filters: ReportFilter,
    today: date | None = None,
) -> MonthlySummary:
    """Income and spending by category per month (top-level categories include their
    children), per-month totals, totals over the period, and averages per month over
    every month of the period (partial months at either end count as months)."""
    scope = resolve(session, tenant_id=tenant_id, base=base_currency, filters=filters)
    start, end = period(session, scope, today)
    rates = rate_book(session, scope, end)
    sums = category_months(session, scope, rates, start, end)
    months = months_between(start, end)
    kinds, uncategorised = _split_kinds(scope, sums)
    income = _section(scope, "income", start, end, months, kinds["income"])
    spending = _section(scope, "expense", start, end, months, kinds["spending"])

    un_figures, un_total, un_avg = _row_figures(
        start, end, months, uncategorised, scope.drill(None, None, uncategorised=True)
    )
    net_values = {
        m: income.months[i].amount_minor - spending.months[i].amount_minor + uncategorised.get(m, 0)
        for i, m in enumerate(months)
    }

    net_figures, net_total, net_avg = _row_figures(
        start, end, months, net_values, scope.drill(None, None)
    )
    return MonthlySummary(
        header=_header(scope, start, end, sums.missing),
        months=months,
        income=income,
        spending=spending,
        uncategorised=Line(un_figures, un_total, un_avg),
        net=Line(net_figures, net_total, net_avg),
    )


@dataclass
class StatementRow:
    category_id: uuid.UUID
    name: str
    parent_id: uuid.UUID | None
    amount: Figure
    children: list[StatementRow] = field(default_factory=list)


@dataclass
class IncomeStatement:
    header: Header
    income: list[StatementRow]
    income_total: Figure
    spending: list[StatementRow]
    spending_total: Figure
    uncategorised: Figure
    net: Figure  # income - spending + uncategorised


def _statement_rows(
    scope: Scope, start: date, end: date, by_category: dict[uuid.UUID, dict[date, int]]
) -> list[StatementRow]:
    own = {c: sum(values.values()) for c, values in by_category.items()}
    rolled: dict[uuid.UUID, int] = defaultdict(int)
    for category_id, amount in own.items():
        rolled[scope.top(category_id)] += amount

    def row(category_id: uuid.UUID, amount: int) -> StatementRow:
        category = scope.categories[category_id]
        drill = scope.drill(start, end, category_ids=[category_id])
        return StatementRow(category.id, category.name, category.parent_id, Figure(amount, drill))

    rows = []
    for top in sorted(rolled, key=lambda c: (-rolled[c], scope.categories[c].name.lower())):
        parent = row(top, rolled[top])
        children = [c for c in own if c != top and scope.categories[c].parent_id == top]
        children.sort(key=lambda c: (-own[c], scope.categories[c].name.lower()))
        parent.children = [row(c, own[c]) for c in children]
        rows.append(parent)
    return rows


def income_statement(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    base_currency: str,
    filters: ReportFilter,
    today: date | None = None,
) -> IncomeStatement:
    """Income and spending by category tree over the whole period, and the net result."""
    scope = resolve(session, tenant_id=tenant_id, base=base_currency, filters=filters)
    start, end = period(session, scope, today)
    rates = rate_book(session, scope, end)
    sums = category_months(session, scope, rates, start, end)
    kinds, uncategorised = _split_kinds(scope, sums)
    income = _statement_rows(scope, start, end, kinds["income"])
    spending = _statement_rows(scope, start, end, kinds["spending"])
    income_total = sum(r.amount.amount_minor for r in income)
    spending_total = sum(r.amount.amount_minor for r in spending)
    un_total = sum(uncategorised.values())
    return IncomeStatement(
        header=_header(scope, start, end, sums.missing),
        income=income,
        income_total=Figure(
            income_total, scope.drill(start, end, category_ids=scope.kind_categories("income"))
        ),
        spending=spending,
        spending_total=Figure(
            spending_total, scope.drill(start, end, category_ids=scope.kind_categories("expense"))
        ),
        uncategorised=Figure(un_total, scope.drill(start, end, uncategorised=True)),
        net=Figure(income_total - spending_total + un_total, scope.drill(start, end)),
    )


# --- category trend -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    amount_minor: int
    percent: Decimal | None  # None when the earlier value is zero


@dataclass
class TrendPoint:
    month: date
    amount: Figure
    month_over_month: Change | None  # None when there is no earlier month to compare
    year_over_year: Change | None


@dataclass
class CategoryTrend:
    header: Header
    category_id: uuid.UUID
    name: str
    kind: str  # income: amounts are income; expense: amounts are spending
    points: list[TrendPoint]
    total: Figure
    average_minor: int


def _change(now: int, before: int | None) -> Change | None:
    if before is None:
        return None
    percent = None
    if before != 0:
        percent = (Decimal(now - before) * 100 / abs(Decimal(before))).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )
    return Change(now - before, percent)


def category_trend(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    base_currency: str,
    category_id: uuid.UUID,
    filters: ReportFilter,
    today: date | None = None,
) -> CategoryTrend:
    """One category (a parent with its children) per whole month of the period, with
    the change from the month before and from the same month a year before (those
    earlier months are read even when they precede the period; a change is absent only
    before the household's first transaction)."""
    if filters.category_ids:
        raise field_error("category_ids", "the trend follows one category: use category_id")
    trend_filters = ReportFilter(
        date_from=filters.date_from,
        date_to=filters.date_to,
        account_ids=filters.account_ids,
        category_ids=(category_id,),
        tag_ids=filters.tag_ids,
    )
    get_or_404(session, Category, tenant_id=tenant_id, id=category_id, field="category_id")
    scope = resolve(session, tenant_id=tenant_id, base=base_currency, filters=trend_filters)
    category = scope.categories[category_id]
    start, end = period(session, scope, today, whole_months=True)
    months = months_between(start, end)
    first_data = data_months(session, scope)
    earliest = add_months(months[0], -12)
    if first_data is not None:
        earliest = max(earliest, min(first_data[0], months[0]))
    rates = rate_book(session, scope, end)
    sums = category_months(session, scope, rates, earliest, end)
    sign = 1 if category.kind == CategoryKind.income.value else -1
    values: dict[date, int] = defaultdict(int)
    for (month, _), total in sums.values.items():
        values[month] += sign * total

    def known(month: date) -> int | None:
        if first_data is None or month < earliest or month < first_data[0]:
            return None
        return values.get(month, 0)

    points = []
    for month in months:
        low, high = _clip(start, end, month)
        points.append(
            TrendPoint(
                month=month,
                amount=Figure(
                    values.get(month, 0), scope.drill(low, high, category_ids=[category_id])
                ),
                month_over_month=_change(values.get(month, 0), known(add_months(month, -1))),
                year_over_year=_change(values.get(month, 0), known(add_months(month, -12))),
            )
        )
    total = sum(values.get(m, 0) for m in months)
    return CategoryTrend(
        header=_header(scope, start, end, sums.missing),
        category_id=category.id,
        name=category.name,
        kind=category.kind,
        points=points,
        total=Figure(total, scope.drill(start, end, category_ids=[category_id])),
        average_minor=average(total, len(months)),
    )


# --- top merchants --------------------------------------------------------------------


@dataclass
class MerchantRow:
    merchant_id: uuid.UUID
    name: str
    spending: Figure
    count: int  # lines counted


@dataclass
class TopMerchants:
    header: Header
    merchants: list[MerchantRow]
    others: int  # spending at every merchant below the top N
    total: int  # spending at every merchant


def top_merchants(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    base_currency: str,
    filters: ReportFilter,
    limit: int = 10,
    today: date | None = None,
) -> TopMerchants:
    """Spending per merchant, largest first: minus the sum of the merchant's lines that
    are not income (expense-category lines and uncategorised ones, since bank imports
    leave many a purchase uncategorised; refunds reduce it). Transactions without a
    merchant are left out."""
    if not 1 <= limit <= MAX_MERCHANTS:
        raise field_error("limit", f"must be between 1 and {MAX_MERCHANTS}")
    scope = resolve(session, tenant_id=tenant_id, base=base_currency, filters=filters)
    start, end = period(session, scope, today)
    rates = rate_book(session, scope, end)
    rows = line_sums(session, scope, start=start, end=end, by="merchant")

    def spending(row: LineSum) -> list[tuple[Any, int]]:
        if scope.kind(row.category_id) == CategoryKind.income.value:
            return []
        return [(row.key, -row.total)]

    sums = fold(scope, rates, rows, spending)
    names = (
        dict(
            session.execute(
                select(Merchant.id, Merchant.name).where(
                    Merchant.tenant_id == tenant_id, Merchant.id.in_(list(sums.counts))
                )
            ).all()
        )
        if sums.counts
        else {}
    )
    ranked = sorted(
        sums.counts,
        key=lambda m: (-sums.values.get(m, 0), str(names.get(m, "")).lower(), str(m)),
    )
    chosen = ranked[:limit]
    merchants = [
        MerchantRow(
            merchant_id=m,
            name=str(names.get(m, "")),
            spending=Figure(sums.values.get(m, 0), scope.drill(start, end, merchant_ids=[m])),
            count=sums.counts[m],
        )
        for m in chosen
    ]
    total = sum(sums.values.values())
    return TopMerchants(
        header=_header(scope, start, end, sums.missing),
        merchants=merchants,
        others=total - sum(r.spending.amount_minor for r in merchants),
        total=total,
    )


# --- cash flow ------------------------------------------------------------------------


@dataclass
class CashFlowMonth:
    month: date
    money_in: Figure
    money_out: Figure  # positive: what left the accounts
    net: Figure


@dataclass
class CashFlow:
    header: Header
    months: list[CashFlowMonth]
    money_in: Figure
    money_out: Figure
    net: Figure
    # The part of money out on lines without a category (positive), over the period.
    uncategorised_out: Figure


def cash_flow(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    base_currency: str,
    filters: ReportFilter,
    today: date | None = None,
) -> CashFlow:
    """Money in and money out per month: the positive and the negative lines (transfers
    excluded, so moving money between one's own accounts is no flow), whatever their
    category. Net equals the monthly summary's net. Foreign amounts are converted per
    (currency, day, direction)."""
    scope = resolve(session, tenant_id=tenant_id, base=base_currency, filters=filters)
    start, end = period(session, scope, today)
    rates = rate_book(session, scope, end)
    rows = line_sums(session, scope, start=start, end=end)

    def directions(row: LineSum) -> list[tuple[Any, int]]:
        month = month_of(row.day)
        found: list[tuple[Any, int]] = [
            ((month, "in"), row.positive),
            ((month, "out"), -row.negative),
        ]
        if row.category_id is None and row.negative:
            found.append(("uncategorised out", -row.negative))
        return found

    sums = fold(scope, rates, rows, directions)
    months = []
    for month in months_between(start, end):
        low, high = _clip(start, end, month)
        money_in = sums.values.get((month, "in"), 0)
        money_out = sums.values.get((month, "out"), 0)
        months.append(
            CashFlowMonth(
                month=month,
                money_in=Figure(money_in, scope.drill(low, high)),
                money_out=Figure(money_out, scope.drill(low, high)),
                net=Figure(money_in - money_out, scope.drill(low, high)),
            )
        )
    total_in = sum(m.money_in.amount_minor for m in months)
    total_out = sum(m.money_out.amount_minor for m in months)
    return CashFlow(
        header=_header(scope, start, end, sums.missing),
        months=months,
        money_in=Figure(total_in, scope.drill(start, end)),
        money_out=Figure(total_out, scope.drill(start, end)),
        net=Figure(total_in - total_out, scope.drill(start, end)),
        uncategorised_out=Figure(
            sums.values.get("uncategorised out", 0), scope.drill(start, end, uncategorised=True)
        ),
    )


# --- spending by tag ------------------------------------------------------------------


@dataclass
class TagRow:
    tag_id: uuid.UUID
    name: str
    spending: Figure
    income: Figure
    uncategorised: Figure  # net (positive: money in)


@dataclass
class SpendingByTag:
    header: Header
    tags: list[TagRow]


def spending_by_tag(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    base_currency: str,
    filters: ReportFilter,
    today: date | None = None,
) -> SpendingByTag:
    """Spending, income and the uncategorised net per tag (the filter's tags, or every
    tag in use), largest spending first. A transaction with several tags counts under
    each of them, so the rows may add up to more than the household spent."""
    scope = resolve(session, tenant_id=tenant_id, base=base_currency, filters=filters)
    start, end = period(session, scope, today)
    rates = rate_book(session, scope, end)
    rows = line_sums(session, scope, start=start, end=end, by="tag")

    def kinds(row: LineSum) -> list[tuple[Any, int]]:
        kind, amount = classify(scope, row.category_id, row.total)
        return [((row.key, kind), amount)]

    sums = fold(scope, rates, rows, kinds)
    tag_ids = {tag_id for tag_id, _ in sums.counts}
    names = (
        dict(
            session.execute(
                select(Tag.id, Tag.name).where(
                    Tag.tenant_id == tenant_id, Tag.id.in_(list(tag_ids))
                )
            ).all()
        )
        if tag_ids
        else {}
    )
    tags = []
    for tag_id in tag_ids:
        tags.append(
            TagRow(
                tag_id=tag_id,
                name=str(names.get(tag_id, "")),
                spending=Figure(
                    sums.values.get((tag_id, "spending"), 0),
                    scope.drill(
                        start,
                        end,
                        category_ids=scope.kind_categories("expense"),
                        tag_ids=[tag_id],
                    ),
                ),
                income=Figure(
                    sums.values.get((tag_id, "income"), 0),
                    scope.drill(
                        start, end, category_ids=scope.kind_categories("income"), tag_ids=[tag_id]
                    ),
                ),
                uncategorised=Figure(
                    sums.values.get((tag_id, "uncategorised"), 0),
                    scope.drill(start, end, uncategorised=True, tag_ids=[tag_id]),
                ),
            )
        )
    tags.sort(key=lambda t: (-t.spending.amount_minor, t.name.lower(), str(t.tag_id)))
    return SpendingByTag(header=_header(scope, start, end, sums.missing), tags=tags)


# --- net worth ------------------------------------------------------------------------


@dataclass
class AccountBalances:
    account_id: uuid.UUID
    name: str
    currency: str
    balances_minor: list[int | None]  # in the base currency; None: no rate that month


@dataclass
class NetWorthPoint:
    month: date
    assets: int  # the month-end balances above zero
    liabilities: int  # those below zero (a negative number)
    net_worth: Figure  # assets + liabilities


@dataclass
class NetWorthHistory:
    header: Header
    points: list[NetWorthPoint]
    accounts: list[AccountBalances]


def net_worth_history(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    base_currency: str,
    filters: ReportFilter,
    today: date | None = None,
) -> NetWorthHistory:
    """Each month's end: every account's balance (opening balance, once opened, plus
    every amount posted up to the month's last day; transfers included, as they move
    money between accounts), converted at the month-end rate. Accounts above zero are
    assets and below zero liabilities (negative), as on the accounts page; net worth is
    their sum. Category and tag filters do not apply to balances."""
    if filters.category_ids:
        raise field_error("category_ids", "net worth covers whole balances, not categories")
    if filters.tag_ids:
        raise field_error("tag_ids", "net worth covers whole balances, not tags")
    scope = resolve(session, tenant_id=tenant_id, base=base_currency, filters=filters)
    this_month = month_of(today or date.today())
    first = scope.filters.date_from
    if first is None:
        opened = [month_of(a.opening_on) for a in scope.accounts.values()]
        extent = data_months(session, scope)
        candidates = opened + ([extent[0]] if extent else [])
        first = min(candidates) if candidates else this_month
    last = scope.filters.date_to
    if last is None:
        extent = data_months(session, scope)
        last = month_end(max(this_month, extent[1] if extent else this_month, month_of(first)))
    start, end = month_of(first), month_end(month_of(last))
    scoped_filters = ReportFilter(date_from=start, date_to=end, account_ids=filters.account_ids)
    scope.filters = scoped_filters
    period(session, scope, today)  # checks the span
    months = months_between(start, end)
    rates = rate_book(session, scope, end)
    ids = list(scope.accounts)
    am = AccountMonth
    before: dict[uuid.UUID, int] = defaultdict(int)
    within: dict[tuple[uuid.UUID, date], int] = defaultdict(int)
    if ids:
        for account_id, month, total in session.execute(
            select(am.account_id, am.month, func.sum(am.total_minor))
            .where(am.tenant_id == tenant_id, am.account_id.in_(ids), am.month <= months[-1])
            .group_by(am.account_id, am.month)
        ):
            if month < start:
                before[account_id] += int(total)
            else:
                within[(account_id, month)] += int(total)
    accounts = sorted(scope.accounts.values(), key=lambda a: (a.name.lower(), str(a.id)))
    rows = []
    assets: dict[date, int] = defaultdict(int)
    liabilities: dict[date, int] = defaultdict(int)
    for account in accounts:
        running = before[account.id]
        balances: list[int | None] = []
        for month in months:
            running += within.get((account.id, month), 0)
            last_day = month_end(month)
            native = running + (
                account.opening_balance_minor if account.opening_on <= last_day else 0
            )
            converted = rates.convert(native, account.currency, last_day)
            balances.append(converted)
            if converted is not None:
                if converted > 0:
                    assets[month] += converted
                else:
                    liabilities[month] += converted
        rows.append(AccountBalances(account.id, account.name, account.currency, balances))
    points = [
        NetWorthPoint(
            month=month,
            assets=assets[month],
            liabilities=liabilities[month],
            net_worth=Figure(
                assets[month] + liabilities[month],
                Drilldown(
                    date_to=month_end(month), account_ids=filters.account_ids, transfers=None
                ),
            ),
        )
        for month in months
    ]
    return NetWorthHistory(
        header=_header(scope, start, end, rates.missing), points=points, accounts=rows
    )
