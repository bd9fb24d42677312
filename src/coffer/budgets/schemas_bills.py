"""API shapes of bills, subscriptions, recurring income and detected series.

Amounts travel as positive decimal strings beside their currency (`kind` says the
direction: income comes in, bills and subscriptions go out); an amount sent as a JSON
float is refused. A fixed amount is `amount_min` alone (or both equal); a range says
what a matching payment may be.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from coffer.budgets.models import BillKind, BillSource, BillStatus
from coffer.ledger.schemas import Amount, Currency, Money

_FORBID_EXTRA = ConfigDict(extra="forbid")

RRULE_DOC = (
    "An RFC 5545 RRULE without DTSTART, e.g. FREQ=MONTHLY;BYMONTHDAY=15, "
    "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1 (last business day) or "
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR. The start date is `first_due`."
)


class BillCreate(BaseModel):
    model_config = _FORBID_EXTRA

    name: str = Field(min_length=1, max_length=200)
    payee: str = Field(min_length=1, max_length=200)
    merchant_id: uuid.UUID | None = None
    kind: BillKind = BillKind.bill
    amount_min: Amount = Field(description="The amount, or the smallest of a range (positive).")
    amount_max: Amount | None = Field(
        default=None, description="The top of a range; omit when fixed."
    )
    currency: Currency | None = Field(
        default=None, description="Defaults to the account's, else the household's base currency."
    )
    account_id: uuid.UUID | None = None
    category_id: uuid.UUID | None = None
    rrule: str = Field(max_length=500, description=RRULE_DOC)
    first_due: date
    ends_on: date | None = None
    autopay: bool = False
    reminder_days: int = Field(default=3, description="0 to 60.")
    match_window_days: int = Field(default=5, description="0 to 15.")
    notes: str | None = Field(default=None, max_length=2000)


class BillUpdate(BaseModel):
    model_config = _FORBID_EXTRA

    name: str | None = Field(default=None, min_length=1, max_length=200)
    payee: str | None = Field(default=None, min_length=1, max_length=200)
    merchant_id: uuid.UUID | None = None
    kind: BillKind | None = None
    amount_min: Amount | None = None
    amount_max: Amount | None = None
    currency: Currency | None = None
    account_id: uuid.UUID | None = None
    category_id: uuid.UUID | None = None
    rrule: str | None = Field(default=None, max_length=500, description=RRULE_DOC)
    first_due: date | None = None
    ends_on: date | None = None
    autopay: bool | None = None
    reminder_days: int | None = None
    match_window_days: int | None = None
    notes: str | None = Field(default=None, max_length=2000)
    status: BillStatus | None = Field(default=None, description="Pause, resume or cancel.")


class BillRead(BaseModel):
    id: uuid.UUID
    name: str
    payee: str
    merchant_id: uuid.UUID | None
    kind: BillKind
    amount_min: Money
    amount_max: Money
    currency: str
    account_id: uuid.UUID | None
    category_id: uuid.UUID | None
    rrule: str
    schedule: str = Field(description='The rule in words, e.g. "Monthly on day 15".')
    first_due: date
    ends_on: date | None
    next_due: date | None
    autopay: bool
    reminder_days: int
    match_window_days: int
    status: BillStatus
    source: BillSource
    notes: str | None
    created_at: datetime
    updated_at: datetime


class OccurrenceRead(BaseModel):
    bill_id: uuid.UUID
    bill_name: str
    kind: BillKind
    due_on: date
    status: str = Field(description="paid, review, skipped, upcoming, due, late or missed.")
    expected_min: Money
    expected_max: Money
    currency: str
    transaction_id: uuid.UUID | None
    paid_amount: Money | None
    paid_on: date | None
    matched_by: str | None
    confidence: float | None


class CalendarDay(BaseModel):
    day: date
    occurrences: list[OccurrenceRead]


class CalendarRead(BaseModel):
    month: str
    days: list[CalendarDay]


class OccurrenceAction(BaseModel):
    model_config = _FORBID_EXTRA

    action: str = Field(
        description="link (with transaction_id), unlink, skip, confirm or reject (a review)."
    )
    transaction_id: uuid.UUID | None = None


class MatchRequest(BaseModel):
    model_config = _FORBID_EXTRA

    transaction_ids: list[uuid.UUID] | None = Field(
        default=None, max_length=5000, description="Default: the last 45 days' transactions."
    )


class MatchRead(BaseModel):
    paid: int
    review: int


class SuggestionRead(BaseModel):
    transaction_id: uuid.UUID
    posted_on: date
    amount: Money
    currency: str
    payee: str | None
    confidence: float


class PriceChangeRead(BaseModel):
    day: date
    old_amount: Money
    new_amount: Money


class CandidateRead(BaseModel):
    id: uuid.UUID
    payee: str
    kind: BillKind
    cadence: str
    rrule: str
    schedule: str
    currency: str
    amount: Money
    amount_min: Money
    amount_max: Money
    monthly_cost: Money
    last_seen: date
    next_expected: date | None
    confidence: float
    occurrences: int
    account_id: uuid.UUID | None
    category_id: uuid.UUID | None
    status: str
    bill_id: uuid.UUID | None
    price_changes: list[PriceChangeRead]


class DetectRead(BaseModel):
    found: int
    proposed: int
    candidates: list[CandidateRead]


class CandidateAccept(BaseModel):
    model_config = _FORBID_EXTRA

    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: BillKind | None = None
    amount_min: Amount | None = None
    amount_max: Amount | None = None
    category_id: uuid.UUID | None = None
    rrule: str | None = Field(default=None, max_length=500, description=RRULE_DOC)
    first_due: date | None = None
    autopay: bool | None = None


class SubscriptionRead(BaseModel):
    bill_id: uuid.UUID
    name: str
    payee: str
    schedule: str
    currency: str
    amount: Money
    monthly_cost: Money | None = Field(description="In the base currency; null without a rate.")
    yearly_cost: Money | None
    next_due: date | None


class PriceIncreaseRead(BaseModel):
    name: str
    bill_id: uuid.UUID | None
    day: date
    currency: str
    old_amount: Money
    new_amount: Money


class SubscriptionsRead(BaseModel):
    base_currency: str
    monthly_total: Money
    yearly_total: Money
    subscriptions: list[SubscriptionRead]
    price_increases: list[PriceIncreaseRead]
