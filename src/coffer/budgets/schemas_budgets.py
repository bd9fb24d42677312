"""API shapes of budgets. Amounts are decimal strings in the household's base currency
(an amount sent as a JSON float is refused); dates are ISO 8601."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from coffer.budgets.models import PeriodKind, Rollover
from coffer.ledger.schemas import Amount, Money

_FORBID_EXTRA = ConfigDict(extra="forbid")

StateName = Literal["ok", "warning", "over"]


class BudgetCreate(BaseModel):
    model_config = _FORBID_EXTRA

    category_id: uuid.UUID = Field(
        description="A top-level category makes a group budget covering its children."
    )
    amount: Amount = Field(description="Per period, zero or more, in the base currency.")
    period_kind: PeriodKind = PeriodKind.month
    start_day: int | None = Field(
        default=None, description="month_from_day only: the day (1-31) each period starts."
    )
    anchor: date | None = Field(
        default=None,
        description="weekly/biweekly only: a date that starts a period (defaults to "
        "starts_on, else today).",
    )
    rollover: Rollover = Rollover.none
    starts_on: date | None = Field(
        default=None,
        description="The first period counted (rollover starts there); defaults to the "
        "current period.",
    )
    user_id: uuid.UUID | None = Field(
        default=None, description="A member of the household: that person's own budget."
    )
    account_ids: list[uuid.UUID] = Field(
        default_factory=list, description="The accounts counted; empty: every account."
    )
    notes: str | None = Field(default=None, max_length=2000)


class BudgetUpdate(BaseModel):
    """Only the fields sent change. A new amount applies from the current period on."""

    model_config = _FORBID_EXTRA

    category_id: uuid.UUID | None = None
    amount: Amount | None = None
    period_kind: PeriodKind | None = None
    start_day: int | None = None
    anchor: date | None = None
    rollover: Rollover | None = None
    starts_on: date | None = None
    user_id: uuid.UUID | None = None
    account_ids: list[uuid.UUID] | None = None
    notes: str | None = Field(default=None, max_length=2000)
    archived: bool | None = None


class SetFromHistory(BaseModel):
    model_config = _FORBID_EXTRA

    method: Literal["last_period", "average_3"] = Field(
        description="last_period: the previous period's actual; average_3: the average "
        "of the last three periods (half-up)."
    )


class SetManyFromHistory(SetFromHistory):
    budget_ids: list[uuid.UUID] = Field(
        default_factory=list, description="Empty: every budget that is not archived."
    )


class ChildRead(BaseModel):
    category_id: uuid.UUID
    name: str
    actual: Money


class PeriodRead(BaseModel):
    period_start: date
    period_end: date
    budgeted: Money
    carried_in: Money
    available: Money
    actual: Money
    left: Money
    carried_out: Money


class StatusRead(BaseModel):
    period_start: date
    period_end: date
    budgeted: Money
    carried_in: Money
    available: Money
    actual: Money = Field(description="Spending net of refunds (income for an income plan).")
    left: Money
    percent: int | None = Field(description="actual / available; null when nothing is available.")
    left_per_day: Money
    days_left: int
    projected: Money = Field(description="Spending by the period's end at the pace so far.")
    will_exceed: bool
    state: StateName
    transactions: str = Field(description="The /transactions query listing what counts.")
    children: list[ChildRead]


class BudgetRead(BaseModel):
    id: uuid.UUID
    category_id: uuid.UUID
    category_name: str
    kind: Literal["expense", "income"]
    is_group: bool
    user_id: uuid.UUID | None
    user_name: str | None
    account_ids: list[uuid.UUID]
    currency: str
    period_kind: PeriodKind
    start_day: int | None
    anchor: date | None
    rollover: Rollover
    starts_on: date
    notes: str | None
    archived: bool
    amount: Money = Field(description="The amount of the period shown in `status`.")
    created_at: datetime
    status: StatusRead


class AmountChangeRead(BaseModel):
    effective_from: date
    amount: Money


class BudgetDetail(BudgetRead):
    history: list[PeriodRead] = Field(description="Earlier periods, oldest first.")
    amounts: list[AmountChangeRead]


class TotalsRead(BaseModel):
    budgeted: Money
    available: Money
    actual: Money
    left: Money


class BudgetsStatusRead(BaseModel):
    on: date
    currency: str
    household: TotalsRead = Field(description="Shared spending budgets (nested ones once).")
    income_planned: Money
    income_actual: Money
    budgets: list[BudgetRead]
    missing_rates: list[tuple[str, date]]


class AlertRead(BaseModel):
    budget_id: uuid.UUID
    category_name: str
    period_start: date
    period_end: date
    threshold: int
    percent: int | None
    title: str
    body: str
    link: str
    dedupe_key: str
    user_id: uuid.UUID | None
