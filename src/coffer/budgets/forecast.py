"""The cash-flow forecast per account, and the low-balance thresholds it warns about.

What goes in (the arithmetic itself is core.forecast's):

- The accounts: every open checking, savings and cash account, plus any open account
  a bill is scheduled on (a card a subscription is charged to); or the one asked for.
- Opening: each account's balance today, with what is already posted today; a bill
  due today and not yet paid is still among the flows (paid due dates are not), so
  it lands on today.
- Scheduled bills and recurring income: `bills.scheduled_flows` from today to the
  horizon's end, on the bill's account, converted to the account's currency at
  today's rate when the bill is in another; a bill without an account is drawn from
  the spending account (below).
- Remaining budgets: each spending budget's `left` in the current period (when
  positive) spread evenly over the period's days from today to its end (largest
  remainder, so the days sum exactly to what is left), within the horizon. It is
  drawn from the budget's first account when it names accounts, otherwise from the
  *spending account*: the open account the most categorised spending came from over
  this month and the three before it (read from the monthly aggregate; transfers
  between the household's own accounts carry no category; ties by name), or, while
  nothing is categorised, the most money out over the last 90 days.
  Budgets are in the base currency and converted at today's rate.
- Thresholds: each account's `balance_threshold`, in its currency. Without a row it is
  0 for an account that holds money; for a card or other debt it is its credit limit
  (owing more than the limit), and with no limit known such an account has no
  threshold and never warns (a debt is below zero by nature).
  The forecast warns on the first day an end-of-day balance is below the threshold.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coffer.audit.service import record
from coffer.budgets import bills as bills_service
from coffer.budgets import budgets as budgets_service
from coffer.budgets.models import BalanceThreshold
from coffer.core import forecast as core
from coffer.core.allocation import split_evenly
from coffer.errors import NotFound, field_error
from coffer.ledger import service as ledger
from coffer.ledger.common import decimal_text, minor, month_of
from coffer.ledger.models import (
    LIABILITY_TYPES,
    Account,
    AccountMonth,
    AccountType,
    LedgerTransaction,
)
from coffer.reports.engine import add_months

DEFAULT_DAYS = 90
MAX_DAYS = 365
SPENDING_LOOKBACK_MONTHS = 3
SPENDING_LOOKBACK_DAYS = 90

BILL, INCOME, BUDGET = "bill", "income", "budget"
CASH_TYPES = frozenset({AccountType.checking, AccountType.savings, AccountType.cash})


@dataclass(frozen=True, slots=True)
class FlowItem:
    """One dated amount in an account's forecast, as the pages and the API show it."""

    day: date
    amount_minor: int
    label: str
    kind: str  # bill, income or budget
    bill_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class AccountForecast:
    account: Account
    opening_minor: int
    threshold_minor: int | None  # None: a debt with no known limit, never warned about
    points: list[core.DayPoint[uuid.UUID]]
    flows: list[FlowItem]
    breach: core.Breach | None
    lowest: core.LowPoint
    closing_minor: int

    @property
    def currency(self) -> str:
        return self.account.currency


@dataclass(frozen=True, slots=True)
class ForecastResult:
    start: date
    end: date
    spending_account_id: uuid.UUID | None
    accounts: list[AccountForecast]

    @property
    def breaches(self) -> list[AccountForecast]:
        return [a for a in self.accounts if a.breach is not None]


# --- thresholds ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Threshold:
    account: Account
    threshold_minor: int
    is_default: bool


def _account(session: Session, tenant_id: uuid.UUID, account_id: uuid.UUID) -> Account:
    found = session.scalar(
        select(Account).where(Account.tenant_id == tenant_id, Account.id == account_id)
    )
    if found is None:
        raise NotFound("No account with this id in this household.")
    return found


def _threshold_rows(session: Session, tenant_id: uuid.UUID) -> dict[uuid.UUID, BalanceThreshold]:
    rows = session.scalars(select(BalanceThreshold).where(BalanceThreshold.tenant_id == tenant_id))
    return {row.account_id: row for row in rows}


def list_thresholds(session: Session, *, tenant_id: uuid.UUID) -> list[Threshold]:
    """Every open account's threshold (the default where none was set), by name."""
    rows = _threshold_rows(session, tenant_id)
    accounts = ledger.list_accounts(session, tenant_id=tenant_id, include_closed=False)
    return [
        Threshold(
            a,
            rows[a.id].threshold_minor if a.id in rows else (default_threshold(a) or 0),
            a.id not in rows,
        )
        for a in accounts
    ]


def set_threshold(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    account_id: uuid.UUID,
    threshold: Decimal,
) -> Threshold:
    """Warn when the account would go below `threshold` (its currency; may be negative,
    for an overdraft the household is comfortable with)."""
    account = _account(session, tenant_id, account_id)
    amount = minor(threshold, account.currency, field="threshold")
    row = _threshold_rows(session, tenant_id).get(account.id)
    old = None if row is None else decimal_text(row.threshold_minor, account.currency)
    if row is None:
        row = BalanceThreshold(tenant_id=tenant_id, account_id=account.id, threshold_minor=amount)
        session.add(row)
    else:
        row.threshold_minor = amount
    session.flush()
    record(
        session,
        action="forecast.threshold_set",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="balance_threshold",
        entity_id=row.id,
        old=None if old is None else {"account_id": account.id, "threshold": old},
        new={"account_id": account.id, "threshold": decimal_text(amount, account.currency)},
    )
    return Threshold(account, amount, False)


def clear_threshold(
    session: Session, *, tenant_id: uuid.UUID, actor_id: uuid.UUID | None, account_id: uuid.UUID
) -> Threshold:
    """Back to the default (zero; a debt's credit limit)."""
    account = _account(session, tenant_id, account_id)
    row = _threshold_rows(session, tenant_id).get(account.id)
    if row is not None:
        record(
            session,
            action="forecast.threshold_cleared",
            actor_id=actor_id,
            tenant_id=tenant_id,
            entity_type="balance_threshold",
            entity_id=row.id,
            old={
                "account_id": account.id,
                "threshold": decimal_text(row.threshold_minor, account.currency),
            },
        )
        session.delete(row)
        session.flush()
    return Threshold(account, default_threshold(account) or 0, True)


# --- the forecast ----------------------------------------------------------------------


def spending_account_id(
    session: Session, *, tenant_id: uuid.UUID, today: date, accounts: Sequence[Account]
) -> uuid.UUID | None:
    """The open account the most categorised spending came from over this month and the
    SPENDING_LOOKBACK_MONTHS before it: where budgets (which are on categories) are
    spent. Read from the monthly aggregate (the categories whose month nets to money
    out), so it costs a few rows whatever the size of the history; transfers carry no
    category and do not count."""
    ids = [a.id for a in accounts if a.closed_on is None]
    if not ids:
        return None
    am = AccountMonth
    query = (
        select(am.account_id, func.sum(am.total_minor))
        .where(
            am.tenant_id == tenant_id,
            am.account_id.in_(ids),
            am.month >= add_months(month_of(today), -SPENDING_LOOKBACK_MONTHS),
            am.month <= today,
            am.category_id.is_not(None),
            am.total_minor < 0,
        )
        .group_by(am.account_id)
    )
    spent = {account_id: -int(total) for account_id, total in session.execute(query)}
    if not spent:
        # Nothing categorised yet (a fresh import): the most money out over the last
        # SPENDING_LOOKBACK_DAYS days, transfers left out, from the rows themselves.
        spent = _money_out_by_account(session, tenant_id, today, ids)
    if not spent:
        return None
    names = {a.id: a.name for a in accounts}
    return min(spent, key=lambda a: (-spent[a], names.get(a, "")))


def _money_out_by_account(
    session: Session, tenant_id: uuid.UUID, today: date, ids: list[uuid.UUID]
) -> dict[uuid.UUID, int]:
    txn = LedgerTransaction
    query = (
        select(txn.account_id, func.sum(txn.amount_minor))
        .where(
            txn.tenant_id == tenant_id,
            txn.account_id.in_(ids),
            txn.posted_on > today - timedelta(days=SPENDING_LOOKBACK_DAYS),
            txn.posted_on <= today,
            txn.amount_minor < 0,
            txn.transfer_group_id.is_(None),
        )
        .group_by(txn.account_id)
    )
    return {account_id: -int(total) for account_id, total in session.execute(query)}


def _budget_flows(
    session: Session,
    tenant_id: uuid.UUID,
    today: date,
    end: date,
    default_account: uuid.UUID | None,
    known: set[uuid.UUID],
) -> list[tuple[uuid.UUID, FlowItem, str]]:
    """(account, flow, currency of the amount) of each spending budget's remaining days."""
    report = budgets_service.status(session, tenant_id=tenant_id, on=today)
    found: list[tuple[uuid.UUID, FlowItem, str]] = []
    for row in report.spending:
        if row.left <= 0 or row.period.end < today:
            continue
        named = [uuid.UUID(str(a)) for a in row.budget.account_ids or []]
        account = next((a for a in named if a in known), None) or default_account
        if account is None or account not in known:
            continue
        last = row.period.end
        days = (last - today).days + 1
        for offset, part in enumerate(split_evenly(row.left, days)):
            day = today + timedelta(days=offset)
            if day > end or part == 0:
                continue
            label = f"Budget: {row.category_name}"
            found.append((account, FlowItem(day, -part, label, BUDGET), report.currency))
    return found


def forecast(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    today: date,
    days: int = DEFAULT_DAYS,
    account_id: uuid.UUID | None = None,
    include_budgets: bool = True,
) -> ForecastResult:
    """Each account's balance over the next `days` days, today included (module doc)."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise field_error("days", f"must be a whole number from 1 to {MAX_DAYS}")
    end = today + timedelta(days=days - 1)
    every = ledger.list_accounts(session, tenant_id=tenant_id, include_closed=False)
    by_id = {a.id: a for a in every}
    scheduled = bills_service.scheduled_flows(session, tenant_id=tenant_id, start=today, end=end)
    spending = spending_account_id(session, tenant_id=tenant_id, today=today, accounts=every)
    if account_id is not None:
        if account_id not in by_id:
            _account(session, tenant_id, account_id)  # NotFound for strangers' ids
            raise field_error("account_id", "this account is closed")
        chosen = [by_id[account_id]]
    else:
        billed = {f.account_id for f in scheduled if f.account_id is not None}
        chosen = [a for a in every if AccountType(a.type) in CASH_TYPES or a.id in billed]
    known = {a.id for a in chosen}
    converters = {
        code: ledger.Converter(session, tenant_id=tenant_id, to_ccy=code)
        for code in {a.currency for a in chosen}
    }

    items: dict[uuid.UUID, list[FlowItem]] = {a.id: [] for a in chosen}

    def place(account: uuid.UUID, item: FlowItem, code: str) -> None:
        target = by_id[account]
        amount = item.amount_minor
        if code != target.currency:
            converted = converters[target.currency](amount, code, today)
            if converted is None:
                return  # no rate: left out, as the budgets page leaves it out
            amount = converted
        items[account].append(FlowItem(item.day, amount, item.label, item.kind, item.bill_id))

    for flow in scheduled:
        account = flow.account_id if flow.account_id in known else None
        if flow.account_id is None:
            account = spending if spending in known else None
        if account is None:
            continue
        kind = INCOME if flow.amount_minor > 0 else BILL
        place(
            account,
            FlowItem(flow.day, flow.amount_minor, flow.name, kind, flow.bill_id),
            flow.currency,
        )
    if include_budgets:
        for account, item, code in _budget_flows(session, tenant_id, today, end, spending, known):
            place(account, item, code)

    # Today's balance, with what is already posted today; a bill due today that has
    # not been paid yet is still among the flows (paid due dates are not).
    opening = {
        a.id: ledger.balance(session, tenant_id=tenant_id, account=a, on=today) for a in chosen
    }
    thresholds = _thresholds(session, tenant_id, chosen)
    flows = [
        core.Flow(i.day, account, i.amount_minor, i.label, i.kind)
        for account, listed in items.items()
        for i in listed
    ]
    result = core.forecast(
        today, days, opening, flows, {k: v for k, v in thresholds.items() if v is not None}
    )
    accounts = [
        AccountForecast(
            account=a,
            opening_minor=opening[a.id],
            threshold_minor=thresholds[a.id],
            points=list(result.points(a.id)),
            flows=sorted(items[a.id], key=lambda i: (i.day, i.kind != INCOME, i.label)),
            breach=None if thresholds[a.id] is None else result.first_breach(a.id),
            lowest=result.lowest(a.id),
            closing_minor=result.closing(a.id),
        )
        for a in chosen
    ]
    # Accounts heading below their threshold first, then the spending account, by name.
    accounts.sort(
        key=lambda f: (f.breach is None, f.account.id != spending, f.account.name.lower())
    )
    return ForecastResult(today, end, spending, accounts)


def default_threshold(account: Account) -> int | None:
    """Without a threshold row: 0, or for a debt its credit limit (None: no limit known)."""
    if AccountType(account.type) in LIABILITY_TYPES:
        limit = account.credit_limit_minor
        return None if limit is None else -limit
    return 0


def _thresholds(
    session: Session, tenant_id: uuid.UUID, accounts: Sequence[Account]
) -> dict[uuid.UUID, int | None]:
    rows = _threshold_rows(session, tenant_id)
    return {
        a.id: rows[a.id].threshold_minor if a.id in rows else default_threshold(a) for a in accounts
    }
