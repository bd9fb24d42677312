"""API shapes of savings goals, the cash-flow forecast and notifications.

Amounts travel as decimal strings beside their currency code; a JSON float is refused.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from coffer.budgets.models import GoalStatus, NotificationKind
from coffer.ledger.schemas import Amount, Money

_FORBID_EXTRA = ConfigDict(extra="forbid")


# --- goals -----------------------------------------------------------------------------


class GoalCreate(BaseModel):
    model_config = _FORBID_EXTRA

    name: str = Field(min_length=1, max_length=200)
    target: Amount = Field(description="In the household's base currency, more than zero.")
    target_date: date | None = Field(default=None, description="Open-ended when absent.")
    account_id: uuid.UUID | None = Field(
        default=None,
        description="Progress is this account's balance; without it, the contributions.",
    )
    priority: int = Field(default=3, ge=1, le=5, description="1 first, 5 last.")
    status: GoalStatus = GoalStatus.active
    notes: str | None = Field(default=None, max_length=2000)


class GoalUpdate(BaseModel):
    model_config = _FORBID_EXTRA

    name: str | None = Field(default=None, min_length=1, max_length=200)
    target: Amount | None = None
    target_date: date | None = None
    account_id: uuid.UUID | None = None
    priority: int | None = Field(default=None, ge=1, le=5)
    status: GoalStatus | None = None
    notes: str | None = Field(default=None, max_length=2000)


class MilestoneRead(BaseModel):
    percent: int
    amount: Money
    reached: bool
    reached_on: date | None = Field(description="Known from contributions; null otherwise.")


class GoalRead(BaseModel):
    id: uuid.UUID
    name: str
    target: Money
    currency: str
    target_date: date | None
    account_id: uuid.UUID | None
    priority: int
    status: GoalStatus
    notes: str | None
    source: str = Field(description="account or contributions")
    saved: Money
    left: Money
    percent: int
    monthly_needed: Money | None = Field(
        description="Per month to arrive by the target date; null without a date."
    )
    pace: Money = Field(description="Average saved per month over the last three whole months.")
    projected_completion: date | None = Field(description="At the current pace; null if none.")
    on_track: bool | None
    milestones: list[MilestoneRead]
    unconverted: bool = Field(
        description="The linked account's currency has no rate to the base currency yet."
    )
    created_at: datetime
    updated_at: datetime


class ContributionCreate(BaseModel):
    model_config = _FORBID_EXTRA

    amount: Amount | None = Field(
        default=None,
        description="Negative takes money back. Defaults to the linked transaction's size.",
    )
    day: date | None = Field(default=None, description="Defaults to the transaction's or today.")
    transaction_id: uuid.UUID | None = None
    note: str | None = Field(default=None, max_length=500)


class ContributionUpdate(BaseModel):
    model_config = _FORBID_EXTRA

    amount: Amount | None = None
    day: date | None = None
    transaction_id: uuid.UUID | None = None
    note: str | None = Field(default=None, max_length=500)


class ContributionRead(BaseModel):
    id: uuid.UUID
    goal_id: uuid.UUID
    day: date
    amount: Money
    currency: str
    transaction_id: uuid.UUID | None
    note: str | None
    created_at: datetime


# --- forecast --------------------------------------------------------------------------


class ThresholdSet(BaseModel):
    model_config = _FORBID_EXTRA

    threshold: Amount = Field(description="In the account's currency; may be negative.")


class ThresholdRead(BaseModel):
    account_id: uuid.UUID
    account: str
    currency: str
    threshold: Money
    is_default: bool = Field(
        description="True when none was set: zero applies (a debt's credit limit, if known)."
    )


class ForecastFlowRead(BaseModel):
    day: date
    amount: Money
    label: str
    kind: str = Field(description="bill, income or budget")
    bill_id: uuid.UUID | None


class ForecastDayRead(BaseModel):
    day: date
    balance: Money


class ForecastBreachRead(BaseModel):
    day: date
    balance: Money
    threshold: Money


class AccountForecastRead(BaseModel):
    account_id: uuid.UUID
    account: str
    currency: str
    opening: Money
    threshold: Money | None = Field(
        description="Warned below; null for a debt with no known credit limit."
    )
    lowest: Money
    lowest_on: date
    closing: Money
    first_breach: ForecastBreachRead | None
    flows: list[ForecastFlowRead]
    days: list[ForecastDayRead]


class ForecastRead(BaseModel):
    start: date
    end: date
    budget_account_id: uuid.UUID | None = Field(
        description="The account the remaining budgets are drawn from (the one the "
        "household spends most from)."
    )
    accounts: list[AccountForecastRead]


# --- notifications ---------------------------------------------------------------------


class NotificationRead(BaseModel):
    id: uuid.UUID
    kind: NotificationKind
    title: str
    body: str
    link: str | None
    created_at: datetime
    read_at: datetime | None


class NotificationPage(BaseModel):
    items: list[NotificationRead]
    unread: int


class UnreadCount(BaseModel):
    unread: int


class MarkRead(BaseModel):
    model_config = _FORBID_EXTRA

    ids: list[uuid.UUID] = Field(min_length=1, max_length=500)


class MarkedRead(BaseModel):
    marked: int
    unread: int


class PreferenceRead(BaseModel):
    kind: NotificationKind
    label: str
    in_app: bool


class PreferenceSet(BaseModel):
    model_config = _FORBID_EXTRA

    kind: NotificationKind
    in_app: bool


class PreferencesUpdate(BaseModel):
    model_config = _FORBID_EXTRA

    preferences: list[PreferenceSet] = Field(min_length=1, max_length=20)


class RefreshRead(BaseModel):
    created: int
    unread: int
