"""The ledger's dashboard cards: net worth and its trend, this month's cash flow,
spending by category, the accounts, and the latest transactions.

Each is a function registered with `coffer.reports.dashboard.dashboard_card`; it
returns the card's figures as Decimals in the household's base currency (the
templates format them) with the `/transactions` or `/accounts` address behind each
one, or None when the household has nothing to show yet.

Definitions, so the figures agree with the pages they link to:

- A balance is the account's opening balance plus everything posted to it; net worth
  sums the open accounts' balances in the base currency (what is owed is negative),
  converted at today's rate, exactly as the accounts page does. A trend point is the
  same sum at a month's end (today for this month), each balance converted at that
  day's rate, over the accounts open at the time.
- This month's cash flow is the cash-flow report (coffer.reports.service.cash_flow)
  from the first of the month to today: transfers between the household's own
  accounts left out, money in the positive lines, spending the negative ones, kept the
  difference, each converted at its own day's rate.
- Spending by category is the income statement of the same days: each expense
  category net of its refunds, rolled up to the top-level category (its links are the
  report's drill-downs), and the money out on lines without a category as the cash-flow
  report counts it (money coming in uncategorised does not hide it).
"""

from __future__ import annotations

import calendar
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TypeVar
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from coffer.core.allocation import allocate
from coffer.core.money import currency as money_currency
from coffer.core.money import from_minor
from coffer.ledger import service
from coffer.ledger.common import month_of
from coffer.ledger.models import (
    Account,
)
from coffer.ledger.pages_accounts import GROUPS, type_label
from coffer.ledger.trends import month_end_balances, month_starts
from coffer.reports import service as reports
from coffer.reports.dashboard import CardContext, dashboard_card
from coffer.reports.engine import ReportFilter

TREND_MONTHS = 12
TOP_CATEGORIES = 6
RECENT_ROWS = 8
TRANSACTIONS = "/transactions"


def transactions_href(**params: str | Sequence[str]) -> str:
    """The transaction search with these filters (SearchForm's query parameters)."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        if isinstance(value, str):
            if value:
                pairs.append((key, value))
        else:
            pairs.extend((key, v) for v in value)
    return TRANSACTIONS + (f"?{urlencode(pairs)}" if pairs else "")


def _month_end(month: date, today: date) -> date:
    last = date(month.year, month.month, calendar.monthrange(month.year, month.month)[1])
    return min(last, today)


def _open_on(account: Account, day: date) -> bool:
    return account.closed_on is None or account.closed_on > day


# --- net worth --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrendPoint:
    month: date
    on: date  # the day the balances are taken and converted
    net_worth: Decimal | None  # None: an account's rate on that day is unknown
    owed: Decimal | None


@dataclass(frozen=True, slots=True)
class NetWorth:
    currency: str
    total: Decimal
    assets: Decimal
    owed: Decimal  # what is owed, as a positive amount
    points: list[TrendPoint]
    change: Decimal | None  # since `since`; None with fewer than two points
    since: date | None
    debt_paid: Decimal  # how much less is owed than at `since` (0 when not less)
    unconverted: list[str]  # accounts left out: no rate to the base currency
    href: str = "/accounts"

    @property
    def chart_values(self) -> list[str | None]:
        """The points as decimal strings for the chart (drawing is all a chart does)."""
        return [None if p.net_worth is None else str(p.net_worth) for p in self.points]


def _sign_split(amounts: Iterable[int]) -> tuple[int, int]:
    """(assets, owed) of converted balances: positive ones, and negative ones negated."""
    values = list(amounts)
    return sum(v for v in values if v > 0), -sum(v for v in values if v < 0)


@dashboard_card(
    key="net_worth", title="Net worth", order=10, width="wide", href="/reports/net-worth"
)
def net_worth(session: Session, ctx: CardContext) -> NetWorth | None:
    accounts = service.list_accounts(session, tenant_id=ctx.tenant_id)
    if not accounts:
        return None
    base, today = ctx.base_currency, ctx.today
    convert = service.Converter(session, tenant_id=ctx.tenant_id, to_ccy=base)

    current = [a for a in accounts if _open_on(a, today)]
    balances = service.balances(session, tenant_id=ctx.tenant_id, accounts=current)
    converted: list[int] = []
    unconverted: list[str] = []
    for account in current:
        value = convert(balances[account.id], account.currency, today)
        if value is None:
            unconverted.append(account.name)
        else:
            converted.append(value)
    assets, owed = _sign_split(converted)

    window = month_starts(today, TREND_MONTHS)
    trends = month_end_balances(
        session, tenant_id=ctx.tenant_id, accounts=accounts, months=TREND_MONTHS, today=today
    )
    by_month: dict[date, list[tuple[Account, int]]] = defaultdict(list)
    for account in accounts:
        for point in trends[account.id]:
            by_month[point.month].append((account, point.balance_minor))
    points: list[TrendPoint] = []
    for month in window:
        day = _month_end(month, today)
        members = [(a, b) for a, b in by_month.get(month, []) if _open_on(a, day)]
        if not members and not points:
            continue  # before the first account was opened
        values = [convert(b, a.currency, day) for a, b in members]
        if any(v is None for v in values):
            points.append(TrendPoint(month, day, None, None))
            continue
        month_assets, month_owed = _sign_split(v for v in values if v is not None)
        points.append(
            TrendPoint(
                month,
                day,
                from_minor(month_assets - month_owed, base),
                from_minor(month_owed, base),
            )
        )
    # This month's point is the headline figure itself (the same accounts and rates).
    known = [p for p in points if p.net_worth is not None]
    first = known[0] if len(known) >= 2 else None
    total = from_minor(assets - owed, base)
    owed_now = from_minor(owed, base)
    return NetWorth(
        currency=base,
        total=total,
        assets=from_minor(assets, base),
        owed=owed_now,
        points=points,
        change=None if first is None or first.net_worth is None else total - first.net_worth,
        since=None if first is None else first.on,
        debt_paid=(
            max(first.owed - owed_now, Decimal(0))
            if first is not None and first.owed is not None
            else Decimal(0)
        ),
        unconverted=unconverted,
    )


# --- this month: cash flow and spending by category -----------------------------------


@dataclass(frozen=True, slots=True)
class MonthWindow:
    """The days the month's cards count, and the filters that find them again."""

    start: date
    end: date
    # The smallest amount any account of the household can hold: "more than zero"
    # as an amount filter the search understands, for every currency in use.
    quantum: Decimal

    def href(self, **params: str | Sequence[str]) -> str:
        return transactions_href(
            date_from=self.start.isoformat(), date_to=self.end.isoformat(), **params
        )

    @property
    def income_href(self) -> str:
        return self.href(transfers="false", amount_min=str(self.quantum))

    @property
    def spending_href(self) -> str:
        return self.href(transfers="false", amount_max=str(-self.quantum))

    @property
    def all_href(self) -> str:
        return self.href(transfers="false")

    @property
    def report_filter(self) -> ReportFilter:
        return ReportFilter(date_from=self.start, date_to=self.end)


def _month_window(accounts: Sequence[Account], today: date) -> MonthWindow:
    quanta = [money_currency(a.currency).quantum for a in accounts] or [Decimal("0.01")]
    return MonthWindow(start=month_of(today), end=today, quantum=min(quanta))


@dataclass(frozen=True, slots=True)
class CashFlow:
    currency: str
    window: MonthWindow
    income: Decimal
    spending: Decimal  # as a positive amount
    saved: Decimal  # income - spending
    saved_share: int | None  # saved as a whole percent of income, when both are positive
    unconverted: int  # (currency, day) pairs left out: no rate to the base currency


R = TypeVar("R")


def _month_report(
    report: Callable[..., R], session: Session, ctx: CardContext, window: MonthWindow
) -> R:
    """A report of coffer.reports.service over the month so far, made once for all the
    cards that read it."""
    return ctx.shared(
        ("month report", report, window.start, window.end),
        lambda: report(
            session,
            tenant_id=ctx.tenant_id,
            base_currency=ctx.base_currency,
            filters=window.report_filter,
            today=ctx.today,
        ),
    )


@dashboard_card(key="cash_flow", title="This month so far", order=20, href="/reports/cash-flow")
def cash_flow(session: Session, ctx: CardContext) -> CashFlow | None:
    accounts = service.list_accounts(session, tenant_id=ctx.tenant_id)
    if not accounts:
        return None
    window = _month_window(accounts, ctx.today)
    report = _month_report(reports.cash_flow, session, ctx, window)
    income, spending = report.money_in.amount_minor, report.money_out.amount_minor
    missing = len(report.header.missing_rates)
    if income == 0 and spending == 0 and not missing:
        return None
    base = ctx.base_currency
    saved = income - spending
    share = round(saved * 100 / income) if income > 0 and saved > 0 else None
    return CashFlow(
        currency=base,
        window=window,
        income=from_minor(income, base),
        spending=from_minor(spending, base),
        saved=from_minor(saved, base),
        saved_share=share,
        unconverted=missing,
    )


@dataclass(frozen=True, slots=True)
class CategorySlice:
    category_id: uuid.UUID | None  # None: uncategorised, or the rest grouped together
    name: str
    colour: str | None
    amount: Decimal
    share: int  # whole percent of the card's total
    href: str


@dataclass(frozen=True, slots=True)
class CategorySpending:
    currency: str
    window: MonthWindow
    total: Decimal
    slices: list[CategorySlice]
    category_count: int  # categories with spending, before the top few were picked

    @property
    def chart_values(self) -> list[str]:
        return [str(s.amount) for s in self.slices]


def _href(figure: reports.Figure) -> str:
    query = figure.query_string()
    return f"{TRANSACTIONS}?{query}" if query else TRANSACTIONS


@dashboard_card(
    key="spending",
    title="Spending by category",
    order=30,
    width="full",
    href="/reports/income-statement",
)
def spending_by_category(session: Session, ctx: CardContext) -> CategorySpending | None:
    accounts = service.list_accounts(session, tenant_id=ctx.tenant_id)
    if not accounts:
        return None
    window = _month_window(accounts, ctx.today)
    statement = _month_report(reports.income_statement, session, ctx, window)
    colours = {c.id: c.colour for c in service.list_categories(session, tenant_id=ctx.tenant_id)}
    # (category, name, colour, amount, drill-down): the income statement's top-level
    # spending rows, and the cash-flow report's money out on lines without a category.
    found: list[tuple[uuid.UUID | None, str, str | None, int, str]] = [
        (r.category_id, r.name, colours.get(r.category_id), r.amount.amount_minor, _href(r.amount))
        for r in statement.spending
        if r.amount.amount_minor > 0
    ]
    flow = _month_report(reports.cash_flow, session, ctx, window)
    if flow.uncategorised_out.amount_minor > 0:
        found.append(
            (
                None,
                "Not categorised yet",
                None,
                flow.uncategorised_out.amount_minor,
                window.href(
                    uncategorised="true", transfers="false", amount_max=str(-window.quantum)
                ),
            )
        )
    ranked = sorted(found, key=lambda item: (-item[3], str(item[0])))
    if not ranked:
        return None
    base = ctx.base_currency
    shown = ranked if len(ranked) <= TOP_CATEGORIES else ranked[: TOP_CATEGORIES - 1]
    rest = ranked[len(shown) :]
    slices = [(key, name, colour, amount, href) for key, name, colour, amount, href in shown]
    if rest:
        ids = [str(item[0]) for item in rest if item[0] is not None]
        href = (
            window.href(transfers="false", category_ids=ids)
            if len(ids) == len(rest)
            else window.all_href
        )
        slices.append((None, f"{len(rest)} more categories", None, sum(i[3] for i in rest), href))
    # Whole percents that add up to 100 (largest remainder), as the list shows them.
    shares = allocate(100, [item[3] for item in slices])
    return CategorySpending(
        currency=base,
        window=window,
        total=from_minor(sum(item[3] for item in ranked), base),
        slices=[
            CategorySlice(key, name, colour, from_minor(amount, base), shares[i], href)
            for i, (key, name, colour, amount, href) in enumerate(slices)
        ],
        category_count=len(ranked),
    )


# --- accounts ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountLine:
    id: uuid.UUID
    name: str
    type_label: str
    currency: str
    balance: Decimal
    base_balance: Decimal | None  # None: no rate to the base currency

    @property
    def href(self) -> str:
        return f"/accounts/{self.id}"


@dataclass
class AccountGroup:
    key: str
    title: str
    accounts: list[AccountLine] = field(default_factory=list)
    total: Decimal | None = None  # in the base currency; None when a rate is missing


@dataclass(frozen=True, slots=True)
class AccountsSummary:
    currency: str
    groups: list[AccountGroup]
    count: int


@dashboard_card(key="accounts", title="Accounts", order=50)
def accounts_summary(session: Session, ctx: CardContext) -> AccountsSummary | None:
    accounts = service.list_accounts(session, tenant_id=ctx.tenant_id, include_closed=False)
    if not accounts:
        return None
    base, today = ctx.base_currency, ctx.today
    balances = service.balances(session, tenant_id=ctx.tenant_id, accounts=accounts)
    convert = service.Converter(session, tenant_id=ctx.tenant_id, to_ccy=base)
    groups: list[AccountGroup] = []
    for key, title, types in GROUPS:
        group = AccountGroup(key, title)
        known: list[int] = []
        for account in accounts:
            if account.type not in types:
                continue
            amount = balances[account.id]
            converted = convert(amount, account.currency, today)
            if converted is not None:
                known.append(converted)
            group.accounts.append(
                AccountLine(
                    id=account.id,
                    name=account.name,
                    type_label=type_label(account.type),
                    currency=account.currency,
                    balance=from_minor(amount, account.currency),
                    base_balance=None if converted is None else from_minor(converted, base),
                )
            )
        if group.accounts:
            if len(known) == len(group.accounts):
                group.total = from_minor(sum(known), base)
            groups.append(group)
    return AccountsSummary(currency=base, groups=groups, count=len(accounts))


# --- recent transactions ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecentRow:
    id: uuid.UUID
    posted_on: date
    title: str
    account_id: uuid.UUID
    account_name: str
    category: str | None
    currency: str
    amount: Decimal
    href: str


@dataclass(frozen=True, slots=True)
class RecentTransactions:
    rows: list[RecentRow]
    href: str = TRANSACTIONS


def _title(view: service.TransactionView, names: dict[uuid.UUID, str]) -> str:
    txn = view.txn
    if txn.transfer_group_id is not None:
        other = names.get(view.transfer_account_id) if view.transfer_account_id else None
        word = "to" if txn.amount_minor < 0 else "from"
        return f"Transfer {word} {other or 'another account'}"
    return txn.payee or view.merchant_name or "No payee"


@dashboard_card(key="recent", title="Latest transactions", order=40, width="wide")
def recent_transactions(session: Session, ctx: CardContext) -> RecentTransactions | None:
    page = service.search_transactions(
        session, tenant_id=ctx.tenant_id, filters=service.TransactionFilter(), limit=RECENT_ROWS
    )
    if not page.items:
        return None
    names = {a.id: a.name for a in service.list_accounts(session, tenant_id=ctx.tenant_id)}
    categories = {c.id: c for c in service.list_categories(session, tenant_id=ctx.tenant_id)}
    rows = []
    for view in page.items:
        txn = view.txn
        category = categories.get(txn.category_id) if txn.category_id else None
        label = category.name if category else ("Split" if txn.is_split else None)
        href = (
            f"/transfers/{txn.transfer_group_id}/edit"
            if txn.transfer_group_id is not None
            else f"/transactions/{txn.id}/edit"
        )
        rows.append(
            RecentRow(
                id=txn.id,
                posted_on=txn.posted_on,
                title=_title(view, names),
                account_id=txn.account_id,
                account_name=names.get(txn.account_id, "another account"),
                category=label,
                currency=view.currency,
                amount=from_minor(txn.amount_minor, view.currency),
                href=href,
            )
        )
    return RecentTransactions(rows=rows)
