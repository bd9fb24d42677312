"""Dashboard cards of goals and the forecast (registered when coffer.budgets.cards is
imported):

- "goals": the first active goals by priority, each with its percent saved and what to
  put aside each month to arrive on time (goals.progress_many's figures);
- "forecast_warning": only when an account would go below its threshold within the
  next 30 days (forecast.forecast's first breach); otherwise the card is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import structlog
from sqlalchemy.orm import Session

from coffer.budgets import forecast, goals
from coffer.budgets.models import GoalStatus
from coffer.budgets.pages_goals import GoalView, view
from coffer.core.money import from_minor
from coffer.reports.dashboard import CardContext, dashboard_card

log = structlog.get_logger("coffer.budgets.cards")

TOP_GOALS = 3
WARNING_DAYS = 30


@dataclass(frozen=True, slots=True)
class GoalsCard:
    goals: list[GoalView]
    more: int  # active goals not shown


@dashboard_card(key="goals", title="Savings goals", order=45, href="/goals")
def goals_card(session: Session, ctx: CardContext) -> GoalsCard | None:
    active = goals.list_goals(session, tenant_id=ctx.tenant_id, status=GoalStatus.active)
    if not active:
        return None
    shown = goals.progress_many(
        session, tenant_id=ctx.tenant_id, goals=active[:TOP_GOALS], today=ctx.today
    )
    return GoalsCard([view(p) for p in shown], max(len(active) - TOP_GOALS, 0))


@dataclass(frozen=True, slots=True)
class Warning:
    account_id: str
    account: str
    currency: str
    day: date
    balance: Decimal
    threshold: Decimal


@dashboard_card(key="forecast_warning", title="Low balance ahead", order=27, href="/forecast")
def forecast_warning(session: Session, ctx: CardContext) -> list[Warning] | None:
    result = forecast.forecast(session, tenant_id=ctx.tenant_id, today=ctx.today, days=WARNING_DAYS)
    found = [
        Warning(
            str(a.account.id),
            a.account.name,
            a.currency,
            a.breach.day,
            from_minor(a.breach.balance, a.currency),
            from_minor(a.breach.threshold, a.currency),
        )
        for a in result.breaches
        if a.breach is not None
    ]
    return sorted(found, key=lambda w: w.day) or None
