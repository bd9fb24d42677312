"""Dashboard cards of budgets (registered when coffer.budgets.cards is imported).

"Budget status": what is left this period across the household's budgets, and the
three spending budgets closest to (or past) their limit, each linked to the
transactions behind it; None when the household has no spending budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from coffer.budgets import budgets as service
from coffer.core.money import from_minor
from coffer.reports.dashboard import CardContext, dashboard_card

CLOSEST = 3


@dataclass(frozen=True, slots=True)
class CardBudget:
    name: str
    actual: Decimal
    available: Decimal
    left: Decimal
    percent: int | None
    state: str
    bar: str  # the filled share of the bar, 0 to 100
    href: str


@dataclass(frozen=True, slots=True)
class BudgetCard:
    currency: str
    left: Decimal
    actual: Decimal
    available: Decimal
    count: int
    over: int
    period_end: date | None  # when all budgets share one period
    closest: list[CardBudget]
    href: str = "/budgets"


def _pressure(s: service.BudgetStatus) -> tuple[int, int]:
    """Closest to the limit first: over before warning before ok, then by share."""
    rank = {"over": 0, "warning": 1, "ok": 2}[s.state]
    share = s.actual * 10_000 // s.available if s.available > 0 else 10**9
    return rank, -share


def _bar(s: service.BudgetStatus) -> str:
    if s.available <= 0:
        return "100.00" if s.actual > 0 else "0.00"
    return f"{max(0, min(s.actual, s.available)) * 100 / s.available:.2f}"


@dashboard_card(key="budget_status", title="Budgets this period", order=25, href="/budgets")
def budget_status(session: Session, ctx: CardContext) -> BudgetCard | None:
    report = ctx.shared(
        ("budgets.status", ctx.today),
        lambda: service.status(session, tenant_id=ctx.tenant_id, on=ctx.today),
    )
    spending = report.spending
    if not spending:
        return None
    code = report.currency
    # The same total as the budgets page's "left to spend": the household's budgets
    # (members' own budgets only when there are no others).
    totals = report.totals(report.household or spending)
    ends = {s.period.end for s in spending}
    closest = sorted(spending, key=_pressure)[:CLOSEST]
    return BudgetCard(
        currency=code,
        left=from_minor(totals["left"], code),
        actual=from_minor(totals["actual"], code),
        available=from_minor(totals["available"], code),
        count=len(spending),
        over=sum(1 for s in spending if s.state == "over"),
        period_end=next(iter(ends)) if len(ends) == 1 else None,
        closest=[
            CardBudget(
                name=s.category_name,
                actual=from_minor(s.actual, code),
                available=from_minor(s.available, code),
                left=from_minor(s.left, code),
                percent=s.percent,
                state=s.state,
                bar=_bar(s),
                href="/transactions?" + s.transactions_query(),
            )
            for s in closest
        ],
    )
