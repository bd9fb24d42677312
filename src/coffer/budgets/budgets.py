"""Budgets: a limit (or, on an income category, a plan) per category and period, its
amount history, rollover, and the status of every budget on a given day.

Definitions:

- *Actual* is the reports' income statement (coffer.reports.engine) over the period's
  days and the budget's accounts: on an expense category the spending net of refunds,
  on an income category the income; split lines count under their own category,
  transfers between the household's own accounts never count, foreign amounts are
  converted at the transaction date's rate. A budget on a top-level category (a group
  budget) counts the category and its children. Whole calendar months are read from
  the monthly aggregate, other days line by line (engine.category_months and
  engine.line_sums), so a month's status needs no scan of the transactions.
- The amount of a period is the latest `BudgetAmount` effective on or before the
  period's end (each change is stored from the start of the period it was made in, so
  the past keeps the amounts it had); before the first row, the first row's amount.
- Rollover walks the periods from the one containing `starts_on` to the one asked
  about (core.periods.rollover_chain); income budgets never roll over.
- `percent` is actual / available, rounded half-up; the state is "over" from 100 %,
  "warning" from 80 %, else "ok". Nothing available and something spent is "over".

Every write is audited and refuses bad input with a field error, changing nothing.
"""

from __future__ import annotations

import bisect
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from coffer.audit.service import changes, record
from coffer.auth.models import User
from coffer.budgets.models import Budget, BudgetAmount
from coffer.budgets.models import PeriodKind as StoredKind
from coffer.budgets.models import Rollover as StoredRollover
from coffer.core.money import from_minor
from coffer.core.periods import (
    Period,
    PeriodError,
    PeriodKind,
    PeriodRule,
    RolloverMode,
    left_per_day,
    period_containing,
    projected_spending,
    rollover_chain,
)
from coffer.errors import NotFound, ValidationFailed, field_error
from coffer.ledger.common import (
    clean_text,
    decimal_text,
    get_many_or_404,
    minor,
    validation_errors,
)
from coffer.ledger.models import Account, Category
from coffer.reports.engine import (
    INCOME,
    LineSum,
    RateBook,
    ReportFilter,
    Scope,
    Totals,
    average,
    category_months,
    fold,
    line_sums,
    month_end,
    rate_book,
    resolve,
)
from coffer.tenancy.access import membership_of
from coffer.tenancy.models import Tenant
from coffer.web.templating import write_day, write_money

WARNING_PERCENT = 80
OVER_PERCENT = 100
THRESHOLDS = (WARNING_PERCENT, OVER_PERCENT)
# A rollover chain walks at most this many periods back (ten years of weeks).
MAX_CHAIN = 530
MAX_HISTORY = 36
MAX_ACCOUNTS = 100
# Far below what a 64-bit column holds, so sums of many periods cannot overflow it.
MAX_AMOUNT_MINOR = 10**15

State = Literal["ok", "warning", "over"]
Method = Literal["last_period", "average_3"]
METHODS: tuple[str, ...] = ("last_period", "average_3")


class BudgetNotFound(NotFound):
    pass


def _not_found(field_name: str | None = None) -> NotFound:
    detail = "No budget with this id in this household."
    if field_name is None:
        return BudgetNotFound(detail)
    return BudgetNotFound(
        f"{field_name}: {detail}", errors=[{"field": field_name, "message": detail}]
    )


# --- reading --------------------------------------------------------------------------


def base_currency(session: Session, tenant_id: uuid.UUID) -> str:
    found = session.scalar(select(Tenant.base_currency).where(Tenant.id == tenant_id))
    if found is None:
        raise NotFound("No such household.")
    return str(found)


def get_budget(session: Session, *, tenant_id: uuid.UUID, budget_id: uuid.UUID) -> Budget:
    found = session.scalar(
        select(Budget).where(Budget.tenant_id == tenant_id, Budget.id == budget_id)
    )
    if found is None:
        raise _not_found()
    return found


def list_budgets(
    session: Session, *, tenant_id: uuid.UUID, include_archived: bool = False
) -> list[Budget]:
    query = select(Budget).where(Budget.tenant_id == tenant_id)
    if not include_archived:
        query = query.where(Budget.archived.is_(False))
    return list(session.scalars(query.order_by(Budget.created_at, Budget.id)))


def amounts_of(
    session: Session, *, tenant_id: uuid.UUID, budget_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[BudgetAmount]]:
    """Each budget's amount rows, oldest first."""
    wanted = list(set(budget_ids))
    found: dict[uuid.UUID, list[BudgetAmount]] = defaultdict(list)
    for start in range(0, len(wanted), 500):
        rows = session.scalars(
            select(BudgetAmount)
            .where(
                BudgetAmount.tenant_id == tenant_id,
                BudgetAmount.budget_id.in_(wanted[start : start + 500]),
            )
            .order_by(BudgetAmount.effective_from)
        )
        for row in rows:
            found[row.budget_id].append(row)
    return found


def rule_of(budget: Budget) -> PeriodRule:
    return PeriodRule(PeriodKind(budget.period_kind), budget.start_day, budget.anchor)


def amount_in(amounts: Sequence[BudgetAmount], period: Period) -> int:
    """The amount that applies in `period` (see the module docstring)."""
    if not amounts:
        return 0
    days = [a.effective_from for a in amounts]
    index = bisect.bisect_right(days, period.end) - 1
    return amounts[max(index, 0)].amount_minor


# --- writing --------------------------------------------------------------------------


def snapshot(budget: Budget) -> dict[str, Any]:
    return {
        "category_id": budget.category_id,
        "user_id": budget.user_id,
        "account_ids": list(budget.account_ids or []),
        "period_kind": budget.period_kind,
        "start_day": budget.start_day,
        "anchor": budget.anchor,
        "rollover": budget.rollover,
        "starts_on": budget.starts_on,
        "notes": budget.notes,
        "archived": budget.archived,
    }


@dataclass
class _Checked:
    category: Category
    user_id: uuid.UUID | None
    account_ids: list[str]
    period_kind: str
    start_day: int | None
    anchor: date | None
    rollover: str
    starts_on: date
    notes: str | None


def _category(session: Session, tenant_id: uuid.UUID, category_id: Any) -> Category:
    if not isinstance(category_id, uuid.UUID):
        raise field_error("category_id", "choose a category")
    found = session.scalar(
        select(Category).where(Category.tenant_id == tenant_id, Category.id == category_id)
    )
    if found is None:
        message = "No category with this id in this household."
        raise NotFound(
            f"category_id: {message}", errors=[{"field": "category_id", "message": message}]
        )
    return found


def _check(
    session: Session,
    tenant_id: uuid.UUID,
    values: dict[str, Any],
    *,
    today: date,
    exclude: uuid.UUID | None = None,
) -> _Checked:
    """Every field of a budget checked together: all problems at once, as field errors."""
    errors: list[dict[str, str]] = []

    def problem(name: str, message: str) -> None:
        errors.append({"field": name, "message": message})

    category = _category(session, tenant_id, values.get("category_id"))
    kind_text = str(values.get("period_kind") or StoredKind.month.value)
    start_day = values.get("start_day")
    anchor = values.get("anchor")
    try:
        kind = PeriodKind(kind_text)
    except ValueError:
        problem("period_kind", "choose month, month_from_day, weekly or biweekly")
        kind = PeriodKind.MONTH
    if kind is PeriodKind.MONTH_FROM_DAY:
        if start_day is None:
            problem("start_day", "choose the day of the month each period starts on (1 to 31)")
        elif isinstance(start_day, bool) or not isinstance(start_day, int):
            problem("start_day", "must be a whole number from 1 to 31")
        elif not 1 <= start_day <= 31:
            problem("start_day", "must be between 1 and 31")
    elif start_day is not None:
        problem("start_day", "is only used by a month starting on a chosen day (month_from_day)")
    starts_on = values.get("starts_on")
    if kind in (PeriodKind.WEEKLY, PeriodKind.BIWEEKLY):
        if anchor is None:
            anchor = starts_on or today
    elif anchor is not None:
        problem("anchor", "is only used by weekly and every-two-weeks budgets")
    rollover = str(values.get("rollover") or StoredRollover.none.value)
    if rollover not in {r.value for r in StoredRollover}:
        problem("rollover", "choose none, surplus or surplus_and_overspending")
    elif category.kind == INCOME and rollover != StoredRollover.none.value:
        problem("rollover", "an income plan does not roll over: choose none")
    if errors:
        raise validation_errors(errors)
    rule = PeriodRule(kind, start_day, anchor)
    if starts_on is None:
        starts_on = period_containing(rule, today).start
    try:
        period_containing(rule, starts_on)
    except PeriodError as exc:
        raise field_error("starts_on", str(exc)) from exc

    user_id = values.get("user_id")
    if user_id is not None and membership_of(session, tenant_id, user_id) is None:
        raise field_error("user_id", "is not a member of this household")
    raw_accounts = list(dict.fromkeys(values.get("account_ids") or []))
    if len(raw_accounts) > MAX_ACCOUNTS:
        raise field_error("account_ids", f"at most {MAX_ACCOUNTS} accounts")
    account_ids: list[uuid.UUID] = []
    for raw in raw_accounts:
        try:
            account_ids.append(raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw)))
        except ValueError as exc:
            raise field_error("account_ids", "must be account ids") from exc
    get_many_or_404(session, Account, tenant_id=tenant_id, ids=account_ids, field="account_ids")
    notes = clean_text(values.get("notes"), field="notes")

    same = select(Budget.id).where(Budget.tenant_id == tenant_id, Budget.category_id == category.id)
    same = same.where(Budget.user_id.is_(None) if user_id is None else Budget.user_id == user_id)
    if exclude is not None:
        same = same.where(Budget.id != exclude)
    if session.scalar(same) is not None:
        whose = "this household" if user_id is None else "this person"
        raise field_error("category_id", f"{category.name} already has a budget for {whose}")
    return _Checked(
        category=category,
        user_id=user_id,
        account_ids=sorted(str(a) for a in account_ids),
        period_kind=kind.value,
        start_day=start_day if kind is PeriodKind.MONTH_FROM_DAY else None,
        anchor=anchor if kind in (PeriodKind.WEEKLY, PeriodKind.BIWEEKLY) else None,
        rollover=rollover,
        starts_on=starts_on,
        notes=notes,
    )


def _amount(value: Any, code: str) -> int:
    if not isinstance(value, Decimal):
        raise field_error("amount", "must be a decimal amount, like 400.00")
    amount = minor(value, code, field="amount")
    if amount < 0:
        raise field_error("amount", "must be zero or more")
    if amount > MAX_AMOUNT_MINOR:
        raise field_error("amount", "is larger than any budget Coffer can keep")
    return amount


def _set_amount(
    session: Session, budget: Budget, amount_minor: int, effective_from: date
) -> tuple[int | None, int]:
    """Store the amount from `effective_from` (a period start); (old, new) amounts."""
    rows = amounts_of(session, tenant_id=budget.tenant_id, budget_ids=[budget.id])[budget.id]
    rule = rule_of(budget)
    old = amount_in(rows, period_containing(rule, effective_from)) if rows else None
    same_day = next((r for r in rows if r.effective_from == effective_from), None)
    if same_day is not None:
        same_day.amount_minor = amount_minor
    else:
        session.add(
            BudgetAmount(
                tenant_id=budget.tenant_id,
                budget_id=budget.id,
                effective_from=effective_from,
                amount_minor=amount_minor,
            )
        )
    session.flush()
    return old, amount_minor


def _effective_from(budget: Budget, today: date) -> date:
    """Where an amount change starts: the current period, or the first one when the
    budget has not started yet."""
    rule = rule_of(budget)
    current = period_containing(rule, today)
    first = period_containing(rule, budget.starts_on)
    return max(current.start, first.start)


def create_budget(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    category_id: uuid.UUID,
    amount: Decimal,
    period_kind: str = StoredKind.month.value,
    start_day: int | None = None,
    anchor: date | None = None,
    rollover: str = StoredRollover.none.value,
    starts_on: date | None = None,
    user_id: uuid.UUID | None = None,
    account_ids: Sequence[uuid.UUID | str] = (),
    notes: str | None = None,
    today: date | None = None,
) -> Budget:
    today = today or date.today()
    code = base_currency(session, tenant_id)
    errors: list[dict[str, str]] = []
    amount_minor = 0
    try:
        amount_minor = _amount(amount, code)
    except ValidationFailed as exc:
        errors.extend(exc.errors or [])
    values = {
        "category_id": category_id,
        "period_kind": period_kind,
        "start_day": start_day,
        "anchor": anchor,
        "rollover": rollover,
        "starts_on": starts_on,
        "user_id": user_id,
        "account_ids": list(account_ids),
        "notes": notes,
    }
    try:
        checked = _check(session, tenant_id, values, today=today)
    except ValidationFailed as exc:
        raise validation_errors([*errors, *(exc.errors or [])]) from None
    if errors:
        raise validation_errors(errors)
    budget = Budget(
        tenant_id=tenant_id,
        category_id=checked.category.id,
        user_id=checked.user_id,
        account_ids=checked.account_ids,
        currency=code,
        period_kind=checked.period_kind,
        start_day=checked.start_day,
        anchor=checked.anchor,
        rollover=checked.rollover,
        starts_on=checked.starts_on,
        notes=checked.notes,
        archived=False,
    )
    session.add(budget)
    session.flush()
    first = period_containing(rule_of(budget), checked.starts_on).start
    _set_amount(session, budget, amount_minor, first)
    record(
        session,
        action="budget.created",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="budget",
        entity_id=budget.id,
        new={**snapshot(budget), "amount": decimal_text(amount_minor, code)},
    )
    return budget


EDITABLE = frozenset(
    {
        "category_id",
        "amount",
        "period_kind",
        "start_day",
        "anchor",
        "rollover",
        "starts_on",
        "user_id",
        "account_ids",
        "notes",
        "archived",
    }
)


def update_budget(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    budget_id: uuid.UUID,
    values: dict[str, Any],
    today: date | None = None,
) -> Budget:
    """Change the fields in `values`. An amount applies from the current period on;
    changing the period kind clears a start day or anchor the new kind does not use."""
    today = today or date.today()
    unknown = set(values) - EDITABLE
    if unknown:
        raise field_error(sorted(unknown)[0], "cannot be changed")
    budget = get_budget(session, tenant_id=tenant_id, budget_id=budget_id)
    before = snapshot(budget)
    merged = {**before, **{k: v for k, v in values.items() if k not in ("amount", "archived")}}
    if "period_kind" in values and values["period_kind"] != before["period_kind"]:
        for name in ("start_day", "anchor"):
            if name not in values:
                merged[name] = None
    if "starts_on" not in values:
        merged["starts_on"] = budget.starts_on
    errors: list[dict[str, str]] = []
    code = budget.currency
    amount_minor: int | None = None
    if "amount" in values:
        try:
            amount_minor = _amount(values["amount"], code)
        except ValidationFailed as exc:
            errors.extend(exc.errors or [])
    try:
        checked = _check(session, tenant_id, merged, today=today, exclude=budget.id)
    except ValidationFailed as exc:
        raise validation_errors([*errors, *(exc.errors or [])]) from None
    if errors:
        raise validation_errors(errors)
    budget.category_id = checked.category.id
    budget.user_id = checked.user_id
    budget.account_ids = checked.account_ids
    budget.period_kind = checked.period_kind
    budget.start_day = checked.start_day
    budget.anchor = checked.anchor
    budget.rollover = checked.rollover
    budget.starts_on = checked.starts_on
    budget.notes = checked.notes
    if "archived" in values:
        budget.archived = bool(values["archived"])
    session.flush()
    old, new = changes(before, snapshot(budget))
    if amount_minor is not None:
        was, now = _set_amount(session, budget, amount_minor, _effective_from(budget, today))
        if was != now:
            old["amount_minor"], new["amount_minor"] = was, now
    if new:
        record(
            session,
            action="budget.updated",
            actor_id=actor_id,
            tenant_id=tenant_id,
            entity_type="budget",
            entity_id=budget.id,
            old=old,
            new=new,
        )
    return budget


def delete_budget(
    session: Session, *, tenant_id: uuid.UUID, actor_id: uuid.UUID | None, budget_id: uuid.UUID
) -> None:
    budget = get_budget(session, tenant_id=tenant_id, budget_id=budget_id)
    before = snapshot(budget)
    session.delete(budget)
    session.flush()
    record(
        session,
        action="budget.deleted",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="budget",
        entity_id=budget_id,
        old=before,
    )


# --- actuals --------------------------------------------------------------------------


def _is_month(period: Period) -> bool:
    return period.start.day == 1 and period.end == month_end(period.start)


class _Actuals:
    """Sums by (period, category) of one set of accounts, for many periods at once:
    whole calendar months from one aggregate read, other periods line by line over
    the fewest spans that cover them."""

    def __init__(self, session: Session, scope: Scope, rates: RateBook) -> None:
        self.session, self.scope, self.rates = session, scope, rates
        self.values: dict[Period, dict[uuid.UUID | None, int]] = {}
        self.missing: set[tuple[str, date]] = set()

    def load(self, wanted: dict[Period, set[uuid.UUID]]) -> None:
        """Read the sums of each period for (at least) the categories it is given."""
        months: dict[frozenset[uuid.UUID], list[Period]] = defaultdict(list)
        for period, categories in wanted.items():
            if _is_month(period):
                months[frozenset(categories)].append(period)
        # Months wanted for the same categories (usually: this month for every budget,
        # earlier months for the few budgets that roll over) are read together.
        for group, periods in months.items():
            self._months(periods, group)
        others = sorted((p for p in wanted if not _is_month(p)), key=lambda p: (p.start, p.end))
        union: set[uuid.UUID] = set()
        for p in others:
            union |= wanted[p]
        for span in _spans(others):
            self._span(
                span, [p for p in others if span.start <= p.start and p.end <= span.end], union
            )

    def _narrow(self, categories: Iterable[uuid.UUID]) -> Scope:
        """The scope read for only these categories (all of them when they are most)."""
        chosen = frozenset(categories)
        if len(chosen) * 2 >= len(self.scope.categories):
            return self.scope
        return replace(self.scope, category_ids=chosen)

    def _months(self, periods: list[Period], categories: frozenset[uuid.UUID]) -> None:
        totals = category_months(
            self.session,
            self._narrow(categories),
            self.rates,
            min(p.start for p in periods),
            max(p.end for p in periods),
        )
        self.missing |= totals.missing
        by_month: dict[date, dict[uuid.UUID | None, int]] = defaultdict(dict)
        for (month, category_id), amount in totals.values.items():
            bucket = by_month[month]
            bucket[category_id] = bucket.get(category_id, 0) + amount
        for p in periods:
            found = by_month.get(p.start, {})
            bucket = self.values.setdefault(p, {})
            for category_id in categories:
                bucket[category_id] = found.get(category_id, 0)

    def _span(self, span: Period, inside: list[Period], categories: set[uuid.UUID]) -> None:
        """Periods that are not whole months, read line by line over one run of days."""
        rows = line_sums(self.session, self._narrow(categories), start=span.start, end=span.end)
        starts = [p.start for p in inside]
        longest = _max_len(inside)

        def targets(row: LineSum) -> list[tuple[Any, int]]:
            # Periods of several rules may overlap: every one containing the day.
            out: list[tuple[Any, int]] = []
            index = bisect.bisect_right(starts, row.day) - 1
            while index >= 0 and (row.day - inside[index].start).days < longest:
                if inside[index].contains(row.day):
                    out.append(((inside[index], row.category_id), row.total))
                index -= 1
            return out

        totals = fold(self.scope, self.rates, rows, targets, Totals())
        self.missing |= totals.missing
        for p in inside:
            self.values.setdefault(p, {})
        for (p, category_id), amount in totals.values.items():
            bucket = self.values[p]
            bucket[category_id] = bucket.get(category_id, 0) + amount

    def of(self, period: Period, categories: Iterable[uuid.UUID], income: bool) -> int:
        bucket = self.values.get(period, {})
        total = sum(bucket.get(c, 0) for c in categories)
        return total if income else -total


def _max_len(periods: Sequence[Period]) -> int:
    return max((p.days for p in periods), default=0)


def _spans(periods: Sequence[Period]) -> list[Period]:
    """The fewest runs of days covering `periods` (overlapping or touching ones merge)."""
    spans: list[Period] = []
    for p in sorted(periods, key=lambda p: p.start):
        if spans and p.start <= spans[-1].end + timedelta(days=1):
            if p.end > spans[-1].end:
                spans[-1] = Period(spans[-1].start, p.end)
        else:
            spans.append(p)
    return spans


# --- status ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChildActual:
    category_id: uuid.UUID
    name: str
    actual_minor: int


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    period: Period
    budgeted: int
    carried_in: int
    available: int
    actual: int
    left: int
    carried_out: int


@dataclass
class BudgetStatus:
    budget: Budget
    category_name: str
    parent_id: uuid.UUID | None
    parent_name: str | None
    is_income: bool
    is_group: bool
    user_name: str | None
    on: date
    period: Period
    budgeted: int
    carried_in: int
    available: int
    actual: int
    left: int
    percent: int | None  # actual / available, half-up; None when nothing is available
    left_per_day: int
    days_left: int
    projected: int
    will_exceed: bool
    state: State
    category_ids: tuple[uuid.UUID, ...]  # the categories counted (with children)
    children: list[ChildActual] = field(default_factory=list)
    history: list[PeriodFigures] = field(default_factory=list)

    @property
    def account_ids(self) -> list[str]:
        return list(self.budget.account_ids or [])

    @property
    def name(self) -> str:
        return self.category_name

    def transactions_query(self, period: Period | None = None) -> str:
        """The /transactions filter listing what the actual counts."""
        p = period or self.period
        parts = [f"date_from={p.start.isoformat()}", f"date_to={p.end.isoformat()}"]
        parts.append(f"category_ids={self.budget.category_id}")
        parts.extend(f"account_ids={a}" for a in self.account_ids)
        parts.append("transfers=false")
        return "&".join(parts)


def percent_of(actual: int, available: int) -> int | None:
    if available <= 0:
        return None
    return average(actual * 100, available)


def state_of(actual: int, available: int, *, income: bool = False) -> State:
    if income:
        return "ok"
    if available <= 0:
        return "over" if actual > 0 or available < 0 else "ok"
    if actual * 100 >= OVER_PERCENT * available:
        return "over"
    if actual * 100 >= WARNING_PERCENT * available:
        return "warning"
    return "ok"


@dataclass
class StatusReport:
    on: date
    currency: str
    budgets: list[BudgetStatus]
    missing_rates: list[tuple[str, date]]

    @property
    def spending(self) -> list[BudgetStatus]:
        return [s for s in self.budgets if not s.is_income]

    @property
    def income(self) -> list[BudgetStatus]:
        return [s for s in self.budgets if s.is_income]

    @property
    def household(self) -> list[BudgetStatus]:
        return [s for s in self.spending if s.budget.user_id is None]

    @property
    def personal(self) -> list[BudgetStatus]:
        return [s for s in self.spending if s.budget.user_id is not None]

    def totals(self, rows: Sequence[BudgetStatus] | None = None) -> dict[str, int]:
        """Sums over spending budgets, counting a budget nested in a group budget once
        (inside its group) so the household's money is not counted twice."""
        chosen = self.household if rows is None else list(rows)
        groups = {(s.budget.user_id, s.budget.category_id) for s in chosen if s.is_group}
        counted = [s for s in chosen if (s.budget.user_id, s.parent_id) not in groups]
        return {
            "budgeted": sum(s.budgeted for s in counted),
            "available": sum(s.available for s in counted),
            "actual": sum(s.actual for s in counted),
            "left": sum(s.left for s in counted),
        }


def _periods_for(budget: Budget, on: date, history: int) -> tuple[list[Period], Period, int]:
    """The periods whose actuals the status of `budget` on `on` needs (oldest first),
    the one containing `on`, and the index of the first period its rollover chain
    counts (the one containing `starts_on`, or the current one when that is later)."""
    rule = rule_of(budget)
    current = period_containing(rule, on)
    first = period_containing(rule, budget.starts_on)
    chained = budget.rollover != StoredRollover.none.value
    periods = [current]
    while len(periods) <= history or (
        chained and periods[-1].start > first.start and len(periods) < MAX_CHAIN
    ):
        # The period before (previous_period, without checking again that each
        # period is one of the rule's: they all come from period_containing).
        periods.append(period_containing(rule, periods[-1].start - timedelta(days=1)))
    periods.reverse()
    start = 0
    if chained:
        start = next((i for i, p in enumerate(periods) if p.start >= first.start), len(periods) - 1)
    return periods, current, start


def status(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    on: date | None = None,
    today: date | None = None,
    budget_ids: Sequence[uuid.UUID] | None = None,
    history: int = 0,
    include_archived: bool = False,
) -> StatusReport:
    """The status of every budget (or of `budget_ids`) in the period containing `on`.
    `today` (defaults to `on`) is where "left per day" and the projection stand;
    `history` > 0 adds that many earlier periods' figures to each budget."""
    on = on or date.today()
    today = today or on
    history = max(0, min(history, MAX_HISTORY))
    code = base_currency(session, tenant_id)
    if budget_ids is not None:
        wanted = set(budget_ids)
        budgets = [
            b
            for b in list_budgets(session, tenant_id=tenant_id, include_archived=True)
            if b.id in wanted
        ]
        if len(budgets) != len(wanted):
            raise _not_found("budget_ids")
    else:
        budgets = list_budgets(session, tenant_id=tenant_id, include_archived=include_archived)
    if not budgets:
        return StatusReport(on, code, [], [])
    scope = resolve(session, tenant_id=tenant_id, base=code, filters=ReportFilter())
    amounts = amounts_of(session, tenant_id=tenant_id, budget_ids=[b.id for b in budgets])
    children: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for category in scope.categories.values():
        if category.parent_id is not None:
            children[category.parent_id].append(category.id)
    users = _user_names(session, {b.user_id for b in budgets if b.user_id is not None})

    plans: list[tuple[Budget, list[Period], Period, int]] = []
    by_accounts: dict[tuple[str, ...], dict[Period, set[uuid.UUID]]] = defaultdict(
        lambda: defaultdict(set)
    )
    for budget in budgets:
        try:
            periods, current, chain_from = _periods_for(budget, on, history)
        except (PeriodError, OverflowError) as exc:
            raise field_error("on", "is too close to the ends of the calendar") from exc
        plans.append((budget, periods, current, chain_from))
        counted = {budget.category_id, *children.get(budget.category_id, ())}
        needs = by_accounts[tuple(budget.account_ids or ())]
        for p in periods:
            needs[p] |= counted
    last_day = max(p.end for plan in plans for p in plan[1])
    rates = rate_book(session, scope, last_day)
    actuals: dict[tuple[str, ...], _Actuals] = {}
    for key, needed in by_accounts.items():
        actuals[key] = reader = _Actuals(session, _narrowed(scope, key), rates)
        reader.load(needed)

    found: list[BudgetStatus] = []
    for budget, periods, current, chain_from in plans:
        info = scope.categories.get(budget.category_id)
        if info is None:
            continue
        income = info.kind == INCOME
        family = (budget.category_id, *sorted(children.get(budget.category_id, ()), key=str))
        reader = actuals[tuple(budget.account_ids or ())]
        rows = amounts.get(budget.id, [])
        spent = [reader.of(p, family, income) for p in periods]
        mode = RolloverMode(budget.rollover) if not income else RolloverMode.NONE
        budgeted = [amount_in(rows, p) for p in periods]
        # Periods before the chain's first one (read only for their history) carry nothing.
        chain = rollover_chain(RolloverMode.NONE, budgeted[:chain_from], spent[:chain_from])
        chain += rollover_chain(mode, budgeted[chain_from:], spent[chain_from:])
        now = chain[-1]
        left = now.left
        parent_info = scope.categories.get(info.parent_id) if info.parent_id else None
        names = {c: scope.categories[c].name for c in family[1:]}
        kids = sorted(
            (ChildActual(c, names[c], reader.of(current, (c,), income)) for c in family[1:]),
            key=lambda k: (-k.actual_minor, k.name.lower()),
        )
        projected = projected_spending(now.spent, current, today)
        found.append(
            BudgetStatus(
                budget=budget,
                category_name=info.name,
                parent_id=info.parent_id,
                parent_name=parent_info.name if parent_info else None,
                is_income=income,
                is_group=len(family) > 1,
                user_name=users.get(budget.user_id) if budget.user_id else None,
                on=on,
                period=current,
                budgeted=now.budgeted,
                carried_in=now.carried_in,
                available=now.available,
                actual=now.spent,
                left=left,
                percent=percent_of(now.spent, now.available),
                left_per_day=left_per_day(left, current, today) if not income else 0,
                days_left=max(0, (current.end - max(today, current.start)).days + 1)
                if today <= current.end
                else 0,
                projected=projected,
                will_exceed=(not income) and projected > now.available,
                state=state_of(now.spent, now.available, income=income),
                category_ids=family,
                children=[k for k in kids if k.actual_minor != 0],
                history=[
                    PeriodFigures(
                        p, r.budgeted, r.carried_in, r.available, r.spent, r.left, r.carried_out
                    )
                    for p, r in list(zip(periods, chain, strict=True))[-(history + 1) : -1]
                ]
                if history
                else [],
            )
        )
    found.sort(key=lambda s: (s.is_income, s.category_name.lower(), str(s.budget.id)))
    missing: set[tuple[str, date]] = set()
    for reader in actuals.values():
        missing |= reader.missing
    return StatusReport(on, code, found, sorted(missing))


def _narrowed(scope: Scope, account_ids: tuple[str, ...]) -> Scope:
    """The scope of a budget's accounts (all of them when it names none); accounts
    deleted since are simply no longer counted."""
    if not account_ids:
        return scope
    wanted = {uuid.UUID(a) for a in account_ids}
    accounts = {k: v for k, v in scope.accounts.items() if k in wanted}
    return replace(
        scope, accounts=accounts, filters=replace(scope.filters, account_ids=tuple(accounts))
    )


def _user_names(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.name, User.email).where(User.id.in_(ids)))
    return {uid: (name or email) for uid, name, email in rows}


def budget_status(
    session: Session, *, tenant_id: uuid.UUID, budget_id: uuid.UUID, on: date, history: int
) -> BudgetStatus:
    get_budget(session, tenant_id=tenant_id, budget_id=budget_id)
    report = status(session, tenant_id=tenant_id, on=on, budget_ids=[budget_id], history=history)
    return report.budgets[0]


# --- amounts from history -------------------------------------------------------------


def _suggestion(status: BudgetStatus, method: str) -> int:
    actuals = [p.actual for p in status.history]
    if method == "last_period":
        return max(actuals[-1] if actuals else 0, 0)
    return max(average(sum(actuals[-3:]), 3), 0)


def suggested_amounts(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    budget_ids: Sequence[uuid.UUID],
    method: str,
    today: date,
) -> dict[uuid.UUID, int]:
    """Each budget's previous period's actual, or the half-up average of its last three
    periods (never below zero: net refunds suggest 0), all read in one status."""
    if method not in METHODS:
        raise field_error("method", "choose last_period or average_3")
    count = 1 if method == "last_period" else 3
    report = status(session, tenant_id=tenant_id, on=today, budget_ids=budget_ids, history=count)
    return {s.budget.id: _suggestion(s, method) for s in report.budgets}


def set_from_history(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    budget_ids: Sequence[uuid.UUID],
    method: str,
    today: date | None = None,
) -> list[Budget]:
    """Set each budget's amount, from its current period on, to its last period's
    actual or the average of its last three (see `suggested_amounts`)."""
    today = today or date.today()
    if method not in METHODS:
        raise field_error("method", "choose last_period or average_3")
    if not budget_ids:
        raise field_error("budget_ids", "choose at least one budget")
    wanted = list(dict.fromkeys(budget_ids))
    budgets = [get_budget(session, tenant_id=tenant_id, budget_id=b) for b in wanted]
    amounts = suggested_amounts(
        session, tenant_id=tenant_id, budget_ids=wanted, method=method, today=today
    )
    for budget in budgets:
        amount_minor = amounts.get(budget.id, 0)
        was, now = _set_amount(session, budget, amount_minor, _effective_from(budget, today))
        record(
            session,
            action="budget.amount_from_history",
            actor_id=actor_id,
            tenant_id=tenant_id,
            entity_type="budget",
            entity_id=budget.id,
            old={"amount_minor": was},
            new={"amount_minor": now, "method": method},
        )
    return budgets


def current_amount(session: Session, budget: Budget, today: date) -> int:
    rows = amounts_of(session, tenant_id=budget.tenant_id, budget_ids=[budget.id])[budget.id]
    return amount_in(rows, period_containing(rule_of(budget), today))


# --- alerts ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BudgetAlert:
    budget_id: uuid.UUID
    category_name: str
    period_start: date
    period_end: date
    threshold: int  # 80 or 100
    percent: int | None
    title: str
    body: str
    link: str
    dedupe_key: str
    user_id: uuid.UUID | None  # the person of a personal budget; None: the household's


def alerts(session: Session, *, tenant_id: uuid.UUID, today: date) -> list[BudgetAlert]:
    """An alert for each spending budget at or past 80 % and 100 % of what it has
    available this period (both when past 100 %), for the notification scanner."""
    report = status(session, tenant_id=tenant_id, on=today)
    found: list[BudgetAlert] = []
    code = report.currency
    locale = _tenant_locale(session, tenant_id)

    def _plain(amount_minor: int, code: str) -> str:
        return write_money(from_minor(amount_minor, code), code, locale)

    for s in report.spending:
        if s.state == "ok":
            continue
        reached = [t for t in THRESHOLDS if s.actual * 100 >= t * s.available]
        if s.available <= 0 and s.state == "over":
            reached = [OVER_PERCENT]
        for threshold in reached:
            spent = _plain(s.actual, code)
            of = _plain(s.available, code)
            if threshold >= OVER_PERCENT:
                title = f"{s.category_name}: budget used up"
                over = _plain(-s.left, code) if s.left < 0 else None
                body = f"{spent} spent of {of} this period" + (f", {over} over." if over else ".")
            else:
                title = f"{s.category_name}: {s.percent}% of the budget spent"
                left = _plain(s.left, code)
                until = write_day(s.period.end, locale)
                body = f"{spent} spent of {of}; {left} left until {until}."
            found.append(
                BudgetAlert(
                    budget_id=s.budget.id,
                    category_name=s.category_name,
                    period_start=s.period.start,
                    period_end=s.period.end,
                    threshold=threshold,
                    percent=s.percent,
                    title=title,
                    body=body,
                    link="/budgets",
                    dedupe_key=f"budget:{s.budget.id}:{s.period.start.isoformat()}:{threshold}",
                    user_id=s.budget.user_id,
                )
            )
    return found


def _tenant_locale(session: Session, tenant_id: uuid.UUID) -> str | None:
    return session.scalar(select(Tenant.locale).where(Tenant.id == tenant_id))
