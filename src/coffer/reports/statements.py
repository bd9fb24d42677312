"""Printable statements: everything a household's month or year comes to, gathered for
coffer.reports.exports.pdf to lay out.

A statement covers one calendar month or one calendar year, for every account or for
the accounts chosen, and holds:

- its header: the household, the period, the base currency, when it was generated and
  which accounts it covers;
- a summary in the base currency: net worth at the start (the end of the day before)
  and at the end (service.net_worth_history), income, spending, the uncategorised net
  and the net result (service.income_statement);
- income and spending by category (the income statement's rows: parents with their
  children);
- per account open during the period, in the account's own currency: the balance at the
  start and at the end (coffer.ledger balances) and the money in and out between them
  (every amount posted, transfers included, so opening + in - out = closing);
- a monthly statement lists each account's transactions with a running balance
  (coffer.ledger transaction search), transfers shown as transfers; an annual one
  has a month-by-month table instead (service.monthly_summary and the net worth at each
  month's end) and no listing, which could run to thousands of rows;
- the (currency, day) pairs without an exchange rate, whose amounts no base-currency
  figure includes.

The figures are the report service's and the ledger's own: nothing here sums
transactions again except the money in and out of each account, which no report
gives (the reports leave transfers out; a statement of an account cannot).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from coffer.errors import field_error
from coffer.ledger import service as ledger
from coffer.ledger.common import get_many_or_404
from coffer.ledger.models import Account, Category, LedgerTransaction
from coffer.reports import service
from coffer.reports.engine import MAX_IDS, ReportFilter, add_months, month_end
from coffer.tenancy.models import Tenant

__all__ = [
    "MAX_LINES",
    "AccountStatement",
    "MonthRow",
    "Statement",
    "StatementLine",
    "annual_statement",
    "last_complete_month",
    "last_complete_year",
    "monthly_statement",
    "parse_month",
    "parse_year",
]

# The most transactions a monthly statement lists per account (the latest ones): a
# statement stays printable, and says when it left some out.
MAX_LINES = 2000
PAGE = 500
MIN_YEAR = 1900
MAX_YEAR = 2999

Kind = Literal["monthly", "annual"]

_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
_YEAR = re.compile(r"^\s*(\d{4})\s*$")


# --- the period -----------------------------------------------------------------------


def parse_month(value: str | None, *, field: str = "month") -> date:
    """The first day of the month written as YYYY-MM; a field error otherwise."""
    match = _MONTH.match(value or "")
    if match is None:
        raise field_error(field, "must be a month written YYYY-MM, like 2026-03")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise field_error(field, "must be a month written YYYY-MM, like 2026-03")
    _check_year(year, field)
    return date(year, month, 1)


def parse_year(value: str | int | None, *, field: str = "year") -> int:
    """The year written as four digits; a field error otherwise."""
    match = _YEAR.match(str(value) if value is not None else "")
    if match is None:
        raise field_error(field, "must be a year written with four digits, like 2025")
    year = int(match.group(1))
    _check_year(year, field)
    return year


def _check_year(year: int, field: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise field_error(field, f"must be a year from {MIN_YEAR} to {MAX_YEAR}")


def last_complete_month(today: date | None = None) -> date:
    """The first day of the month before this one: the latest month that is over."""
    return add_months((today or date.today()).replace(day=1), -1)


def last_complete_year(today: date | None = None) -> int:
    return (today or date.today()).year - 1


# --- what a statement holds -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One transaction of an account's listing, in the account's currency."""

    posted_on: date
    description: str  # the merchant, else the payee, else the memo
    category: str  # the category, the split's categories, or where a transfer went
    amount_minor: int
    balance_minor: int  # the account's balance just after this transaction
    transfer: bool
    memo: str | None = None


@dataclass
class AccountStatement:
    """One account over the period, in its own currency."""

    account_id: uuid.UUID
    name: str
    type: str
    currency: str
    opening_minor: int  # the balance at the start (the opening balance if opened later)
    money_in_minor: int  # every positive amount posted in the period, transfers included
    money_out_minor: int  # every negative amount, as a positive number
    closing_minor: int
    count: int  # transactions posted in the period
    opened_on: date | None = None  # when the account was opened within the period
    closed_on: date | None = None  # when it was closed within the period
    # Monthly statements: the transactions, oldest first (None in an annual one).
    lines: list[StatementLine] | None = None

    @property
    def listed_all(self) -> bool:
        return self.lines is None or len(self.lines) >= self.count


@dataclass(frozen=True, slots=True)
class MonthRow:
    """A month of an annual statement, in the base currency."""

    month: date
    income_minor: int
    spending_minor: int
    uncategorised_minor: int
    net_minor: int
    net_worth_minor: int  # at the month's end


@dataclass
class Statement:
    kind: Kind
    household: str
    locale: str
    currency: str  # the base currency of every summary and category figure
    date_from: date
    date_to: date
    generated_at: datetime
    # The accounts chosen, by name; empty: the whole household.
    account_names: list[str]
    net_worth_start_minor: int  # at the end of the day before date_from
    net_worth_end_minor: int
    income_minor: int
    spending_minor: int
    uncategorised_minor: int
    net_minor: int
    income: list[service.StatementRow]
    spending: list[service.StatementRow]
    accounts: list[AccountStatement]
    months: list[MonthRow] = field(default_factory=list)  # annual statements
    missing_rates: list[tuple[str, date]] = field(default_factory=list)

    @property
    def includes_transactions(self) -> bool:
        return self.kind == "monthly"

    @property
    def net_worth_change_minor(self) -> int:
        return self.net_worth_end_minor - self.net_worth_start_minor


# --- gathering ------------------------------------------------------------------------


def monthly_statement(
    session: Session,
    *,
    tenant: Tenant,
    month: date,
    account_ids: Sequence[uuid.UUID] = (),
    generated_at: datetime | None = None,
) -> Statement:
    """The statement of one calendar month (any day of it names the month)."""
    start = month.replace(day=1)
    return _statement(
        session,
        tenant=tenant,
        kind="monthly",
        start=start,
        end=month_end(start),
        account_ids=account_ids,
        generated_at=generated_at,
    )


def annual_statement(
    session: Session,
    *,
    tenant: Tenant,
    year: int,
    account_ids: Sequence[uuid.UUID] = (),
    generated_at: datetime | None = None,
) -> Statement:
    """The statement of one calendar year."""
    _check_year(year, "year")
    return _statement(
        session,
        tenant=tenant,
        kind="annual",
        start=date(year, 1, 1),
        end=date(year, 12, 31),
        account_ids=account_ids,
        generated_at=generated_at,
    )


def _statement(
    session: Session,
    *,
    tenant: Tenant,
    kind: Kind,
    start: date,
    end: date,
    account_ids: Sequence[uuid.UUID],
    generated_at: datetime | None,
) -> Statement:
    tenant_id, base = tenant.id, tenant.base_currency
    chosen = tuple(dict.fromkeys(account_ids))
    if len(chosen) > MAX_IDS:
        raise field_error("account_ids", f"at most {MAX_IDS} ids")
    # Another household's account answers 404 naming the field, as the reports do.
    picked = get_many_or_404(session, Account, tenant_id=tenant_id, ids=chosen, field="account_ids")
    filters = ReportFilter(date_from=start, date_to=end, account_ids=chosen)
    statement = service.income_statement(
        session, tenant_id=tenant_id, base_currency=base, filters=filters
    )
    # Net worth from the end of the month before (the start) to the period's end.
    worth = service.net_worth_history(
        session,
        tenant_id=tenant_id,
        base_currency=base,
        filters=ReportFilter(date_from=add_months(start, -1), date_to=end, account_ids=chosen),
    )
    points = {p.month: p.net_worth.amount_minor for p in worth.points}
    missing = set(statement.header.missing_rates) | set(worth.header.missing_rates)
    months: list[MonthRow] = []
    if kind == "annual":
        summary = service.monthly_summary(
            session, tenant_id=tenant_id, base_currency=base, filters=filters
        )
        missing |= set(summary.header.missing_rates)
        months = [
            MonthRow(
                month=month,
                income_minor=summary.income.months[i].amount_minor,
                spending_minor=summary.spending.months[i].amount_minor,
                uncategorised_minor=summary.uncategorised.months[i].amount_minor,
                net_minor=summary.net.months[i].amount_minor,
                net_worth_minor=points.get(month, 0),
            )
            for i, month in enumerate(summary.months)
        ]
    accounts = _accounts(
        session,
        tenant_id=tenant_id,
        chosen=picked,
        start=start,
        end=end,
        with_lines=kind == "monthly",
    )
    return Statement(
        kind=kind,
        household=tenant.name,
        locale=tenant.locale or "en_US",
        currency=base,
        date_from=start,
        date_to=end,
        generated_at=generated_at or datetime.now(UTC),
        account_names=sorted((a.name for a in picked.values()), key=str.casefold),
        net_worth_start_minor=points.get(add_months(start, -1), 0),
        net_worth_end_minor=points.get(end.replace(day=1), 0),
        income_minor=statement.income_total.amount_minor,
        spending_minor=statement.spending_total.amount_minor,
        uncategorised_minor=statement.uncategorised.amount_minor,
        net_minor=statement.net.amount_minor,
        income=statement.income,
        spending=statement.spending,
        accounts=accounts,
        months=months,
        missing_rates=sorted(missing),
    )


def _flows(
    session: Session, tenant_id: uuid.UUID, account_ids: list[uuid.UUID], start: date, end: date
) -> dict[uuid.UUID, tuple[int, int, int]]:
    """(money in, money out as a positive number, count) per account over the period:
    every amount posted, transfers included."""
    if not account_ids:
        return {}
    txn = LedgerTransaction
    amount = txn.amount_minor
    query = (
        select(
            txn.account_id,
            func.coalesce(func.sum(case((amount > 0, amount), else_=0)), 0),
            func.coalesce(func.sum(case((amount < 0, -amount), else_=0)), 0),
            func.count(),
        )
        .where(
            txn.tenant_id == tenant_id,
            txn.account_id.in_(account_ids),
            txn.posted_on >= start,
            txn.posted_on <= end,
        )
        .group_by(txn.account_id)
    )
    return {
        account_id: (int(money_in), int(money_out), int(count))
        for account_id, money_in, money_out, count in session.execute(query)
    }


def _accounts(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    chosen: dict[uuid.UUID, Account],
    start: date,
    end: date,
    with_lines: bool,
) -> list[AccountStatement]:
    """The accounts open at some point of the period (or with transactions in it)."""
    every = ledger.list_accounts(session, tenant_id=tenant_id)
    candidates = [a for a in every if not chosen or a.id in chosen]
    flows = _flows(session, tenant_id, [a.id for a in candidates], start, end)
    day_before = start - timedelta(days=1)
    names = {a.id: a.name for a in every}
    categories = _category_names(ledger.list_categories(session, tenant_id=tenant_id))
    found = []
    for account in candidates:
        money_in, money_out, count = flows.get(account.id, (0, 0, 0))
        open_then = account.opening_on <= end and (
            account.closed_on is None or account.closed_on >= start
        )
        if not open_then and not count:
            continue
        opening = ledger.balance(session, tenant_id=tenant_id, account=account, on=day_before)
        closing = ledger.balance(session, tenant_id=tenant_id, account=account, on=end)
        row = AccountStatement(
            account_id=account.id,
            name=account.name,
            type=account.type,
            currency=account.currency,
            opening_minor=opening,
            money_in_minor=money_in,
            money_out_minor=money_out,
            closing_minor=closing,
            count=count,
            opened_on=account.opening_on if start <= account.opening_on <= end else None,
            closed_on=(
                account.closed_on
                if account.closed_on is not None and start <= account.closed_on <= end
                else None
            ),
        )
        if with_lines:
            row.lines = _lines(session, tenant_id, account, start, end, closing, names, categories)
        found.append(row)
    return found


def _category_names(categories: Iterable[Category]) -> dict[uuid.UUID, str]:
    rows = list(categories)
    by_id = {c.id: c for c in rows}
    names = {}
    for c in rows:
        parent = by_id.get(c.parent_id) if c.parent_id else None
        names[c.id] = f"{parent.name} › {c.name}" if parent is not None else c.name
    return names


def _lines(
    session: Session,
    tenant_id: uuid.UUID,
    account: Account,
    start: date,
    end: date,
    closing: int,
    account_names: dict[uuid.UUID, str],
    categories: dict[uuid.UUID, str],
) -> list[StatementLine]:
    """The account's transactions of the period, oldest first, with the balance after
    each: counted back from the closing balance, in the register's order (day, then
    id), so a listing cut at MAX_LINES still ends on the right balance."""
    filters = ledger.TransactionFilter(date_from=start, date_to=end, account_ids=(account.id,))
    views: list[ledger.TransactionView] = []
    cursor: str | None = None
    while len(views) < MAX_LINES:
        page = ledger.search_transactions(
            session,
            tenant_id=tenant_id,
            filters=filters,
            limit=min(PAGE, MAX_LINES - len(views)),
            cursor=cursor,
        )
        views.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    lines: list[StatementLine] = []
    running = closing
    for view in views:  # newest first
        txn = view.txn
        transfer = txn.transfer_group_id is not None
        lines.append(
            StatementLine(
                posted_on=txn.posted_on,
                description=_description(view),
                category=_category_text(view, account_names, categories),
                amount_minor=txn.amount_minor,
                balance_minor=running,
                transfer=transfer,
                memo=txn.memo,
            )
        )
        running -= txn.amount_minor
    lines.reverse()
    return lines


def _description(view: ledger.TransactionView) -> str:
    txn = view.txn
    for text in (view.merchant_name, txn.payee, txn.memo):
        if text and text.strip():
            return " ".join(text.split())
    return "Transfer" if txn.transfer_group_id is not None else "—"


def _category_text(
    view: ledger.TransactionView,
    account_names: dict[uuid.UUID, str],
    categories: dict[uuid.UUID, str],
) -> str:
    txn = view.txn
    if txn.transfer_group_id is not None:
        other = account_names.get(view.transfer_account_id) if view.transfer_account_id else None
        direction = "from" if txn.amount_minor > 0 else "to"
        return f"Transfer {direction} {other}" if other else "Transfer"
    if txn.is_split:
        parts = dict.fromkeys(
            categories.get(line.category_id, "Uncategorised")
            if line.category_id is not None
            else "Uncategorised"
            for line in view.splits
        )
        return "Split: " + ", ".join(parts)
    if txn.category_id is None:
        return "Uncategorised"
    return categories.get(txn.category_id, "Uncategorised")
