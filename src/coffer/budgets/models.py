"""Tables of budgets, bills and subscriptions, detected recurring series, savings goals,
low-balance thresholds and in-app notifications.

Amounts are integers of the currency's minor unit (`*_minor`), as in the ledger.
Budgets, goals and thresholds are in the household's base currency; a bill is in its
own currency (usually its account's). Periods, recurrence rules, rollover and the
arithmetic behind every figure live in `coffer.core` (periods, recurrence, goals,
forecast, recurring); these tables hold only what the user decided and what happened.

A budget's amount can change over time without rewriting the past: each change is a
`budget_amount` row effective from the period containing `effective_from`, so a
rollover chain reads the amount that applied in each past period.

Notifications and their preferences belong to one person inside a household (a
restrictive row-level security policy keeps them to that person, as saved filters are).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from coffer.db.base import Base, IdMixin, TenantMixin, TimestampMixin
from coffer.db.types import UTCDateTime


class PeriodKind(StrEnum):
    month = "month"
    month_from_day = "month_from_day"
    weekly = "weekly"
    biweekly = "biweekly"


class Rollover(StrEnum):
    none = "none"
    surplus = "surplus"
    surplus_and_overspending = "surplus_and_overspending"


class BillKind(StrEnum):
    bill = "bill"
    subscription = "subscription"
    income = "income"


class BillStatus(StrEnum):
    active = "active"
    paused = "paused"
    cancelled = "cancelled"


class BillSource(StrEnum):
    manual = "manual"
    detected = "detected"


class OccurrenceStatus(StrEnum):
    paid = "paid"  # linked to the transaction that paid it
    review = "review"  # a doubtful automatic match, waiting for the user
    skipped = "skipped"  # the user says this one does not happen


class MatchedBy(StrEnum):
    user = "user"
    automatic = "automatic"


class CandidateStatus(StrEnum):
    proposed = "proposed"
    accepted = "accepted"
    dismissed = "dismissed"


class GoalStatus(StrEnum):
    active = "active"
    achieved = "achieved"
    archived = "archived"


class NotificationKind(StrEnum):
    budget_alert = "budget_alert"
    bill_upcoming = "bill_upcoming"
    bill_missed = "bill_missed"
    goal_milestone = "goal_milestone"
    forecast_warning = "forecast_warning"


def _values(enum: type[StrEnum]) -> str:
    return ", ".join(f"'{member.value}'" for member in enum)


def _where(condition: str) -> dict[str, Any]:
    return {"sqlite_where": text(condition), "postgresql_where": text(condition)}


class Budget(IdMixin, TimestampMixin, TenantMixin, Base):
    """A spending limit (or, on an income category, planned income) for one category
    per period. On a top-level category it covers the category and its children (a
    group budget). It counts the transactions of the accounts in `account_ids` (empty:
    every account of the household). With `user_id` it is one member's personal budget
    (usually over that member's own accounts), shown to everyone beside the household's
    shared budgets, which have no `user_id`."""

    __tablename__ = "budget"
    __table_args__ = (
        CheckConstraint(f"period_kind IN ({_values(PeriodKind)})", name="period_kind"),
        CheckConstraint(f"rollover IN ({_values(Rollover)})", name="rollover"),
        CheckConstraint(
            "(period_kind = 'month_from_day' AND start_day BETWEEN 1 AND 31) "
            "OR (period_kind <> 'month_from_day' AND start_day IS NULL)",
            name="start_day",
        ),
        CheckConstraint(
            "(period_kind IN ('weekly', 'biweekly') AND anchor IS NOT NULL) "
            "OR (period_kind NOT IN ('weekly', 'biweekly') AND anchor IS NULL)",
            name="anchor",
        ),
        Index(
            "uq_budget_household_category",
            "tenant_id",
            "category_id",
            unique=True,
            **_where("user_id IS NULL"),
        ),
        Index(
            "uq_budget_personal_category",
            "tenant_id",
            "user_id",
            "category_id",
            unique=True,
            **_where("user_id IS NOT NULL"),
        ),
    )

    category_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("category.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("user_account.id", ondelete="CASCADE"), nullable=True
    )
    account_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    currency: Mapped[str] = mapped_column(String(3))
    period_kind: Mapped[str] = mapped_column(String(16))
    start_day: Mapped[int | None] = mapped_column(Integer, nullable=True)
    anchor: Mapped[date | None] = mapped_column(Date, nullable=True)
    rollover: Mapped[str] = mapped_column(String(32), default=Rollover.none.value)
    # The first period counted (rollover starts here).
    starts_on: Mapped[date] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)


class BudgetAmount(IdMixin, TenantMixin, Base):
    """The budget's amount from the period containing `effective_from` onwards."""

    __tablename__ = "budget_amount"
    __table_args__ = (
        UniqueConstraint("tenant_id", "budget_id", "effective_from"),
        CheckConstraint("amount_minor >= 0", name="amount"),
    )

    budget_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("budget.id", ondelete="CASCADE"))
    effective_from: Mapped[date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(BigInteger)


class Bill(IdMixin, TimestampMixin, TenantMixin, Base):
    """A bill, a subscription or a recurring income, due on the dates of its RRULE.

    Amounts are positive; `kind` says the direction (income comes in, the others go
    out). A fixed amount has `amount_min_minor == amount_max_minor`; a range says what
    a matching payment may be."""

    __tablename__ = "bill"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_values(BillKind)})", name="kind"),
        CheckConstraint(f"status IN ({_values(BillStatus)})", name="status"),
        CheckConstraint(f"source IN ({_values(BillSource)})", name="source"),
        CheckConstraint(
            "amount_min_minor > 0 AND amount_max_minor >= amount_min_minor", name="amounts"
        ),
        CheckConstraint("reminder_days BETWEEN 0 AND 60", name="reminder_days"),
        CheckConstraint("match_window_days BETWEEN 0 AND 15", name="match_window_days"),
        UniqueConstraint("tenant_id", "name"),
    )

    name: Mapped[str] = mapped_column(String(200))
    payee: Mapped[str] = mapped_column(String(200))
    merchant_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("merchant.id", ondelete="SET NULL"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(16), default=BillKind.bill.value)
    amount_min_minor: Mapped[int] = mapped_column(BigInteger)
    amount_max_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("account.id", ondelete="SET NULL"), nullable=True
    )
    category_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("category.id", ondelete="SET NULL"), nullable=True
    )
    rrule: Mapped[str] = mapped_column(String(500))
    # DTSTART of the rule: the first due date.
    first_due: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    autopay: Mapped[bool] = mapped_column(Boolean, default=False)
    reminder_days: Mapped[int] = mapped_column(Integer, default=3)
    # A payment this many days either side of a due date can match it.
    match_window_days: Mapped[int] = mapped_column(Integer, default=5)
    status: Mapped[str] = mapped_column(String(16), default=BillStatus.active.value)
    source: Mapped[str] = mapped_column(String(16), default=BillSource.manual.value)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Transactions the user said do not pay this bill: never matched to it again.
    rejected_transaction_ids: Mapped[list[str]] = mapped_column(JSON, default=list)


class BillOccurrence(IdMixin, TimestampMixin, TenantMixin, Base):
    """What happened on one due date of a bill: paid by a transaction, a match waiting
    for review, or skipped. A due date with no row is upcoming, or missed once its
    match window has passed."""

    __tablename__ = "bill_occurrence"
    __table_args__ = (
        UniqueConstraint("tenant_id", "bill_id", "due_on"),
        CheckConstraint(f"status IN ({_values(OccurrenceStatus)})", name="status"),
        CheckConstraint(f"matched_by IN ({_values(MatchedBy)})", name="matched_by"),
        CheckConstraint(
            "status = 'skipped' OR transaction_id IS NOT NULL", name="transaction_needed"
        ),
        Index(
            "uq_bill_occurrence_transaction",
            "tenant_id",
            "transaction_id",
            unique=True,
            **_where("transaction_id IS NOT NULL"),
        ),
    )

    bill_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("bill.id", ondelete="CASCADE"))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    # Deleting the paying transaction deletes the row: the due date is open again.
    transaction_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("ledger_transaction.id", ondelete="CASCADE"), nullable=True
    )
    matched_by: Mapped[str] = mapped_column(String(16), default=MatchedBy.user.value)
    # For automatic matches: how sure the matcher was (0 to 1).
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)


class RecurringCandidate(IdMixin, TimestampMixin, TenantMixin, Base):
    """A series the detector found in the history, proposed as a bill, a subscription
    or a recurring income until the user accepts (it becomes a bill) or dismisses it.
    `fingerprint` identifies the series across detection runs, so a dismissed one is
    not proposed again."""

    __tablename__ = "recurring_candidate"
    __table_args__ = (
        UniqueConstraint("tenant_id", "fingerprint"),
        CheckConstraint(f"status IN ({_values(CandidateStatus)})", name="status"),
        CheckConstraint(f"kind IN ({_values(BillKind)})", name="kind"),
    )

    fingerprint: Mapped[str] = mapped_column(String(200))
    payee: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("account.id", ondelete="CASCADE"), nullable=True
    )
    category_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("category.id", ondelete="SET NULL"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    cadence: Mapped[str] = mapped_column(String(16))
    rrule: Mapped[str] = mapped_column(String(500))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)  # positive, the typical amount
    amount_min_minor: Mapped[int] = mapped_column(BigInteger)
    amount_max_minor: Mapped[int] = mapped_column(BigInteger)
    monthly_cost_minor: Mapped[int] = mapped_column(BigInteger)
    last_seen: Mapped[date] = mapped_column(Date)
    next_expected: Mapped[date | None] = mapped_column(Date, nullable=True)
    confidence: Mapped[float] = mapped_column(Float)
    occurrences: Mapped[int] = mapped_column(Integer)
    transaction_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    # [{"day": "2026-03-04", "old_minor": 1599, "new_minor": 1799}, ...]
    price_changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default=CandidateStatus.proposed.value)
    bill_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("bill.id", ondelete="SET NULL"), nullable=True
    )


class SavingsGoal(IdMixin, TimestampMixin, TenantMixin, Base):
    """Saving towards a target amount, by a date or open-ended. Progress is the linked
    account's balance when there is one, otherwise the sum of recorded contributions."""

    __tablename__ = "savings_goal"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        CheckConstraint(f"status IN ({_values(GoalStatus)})", name="status"),
        CheckConstraint("target_minor > 0", name="target"),
    )

    name: Mapped[str] = mapped_column(String(200))
    target_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    target_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("account.id", ondelete="SET NULL"), nullable=True
    )
    priority: Mapped[int] = mapped_column(Integer, default=3)
    status: Mapped[str] = mapped_column(String(16), default=GoalStatus.active.value)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)


class GoalContribution(IdMixin, TimestampMixin, TenantMixin, Base):
    """Money put towards a goal (negative: taken back), by hand or a linked transaction."""

    __tablename__ = "goal_contribution"
    __table_args__ = (
        CheckConstraint("amount_minor <> 0", name="amount"),
        Index("ix_goal_contribution_goal", "tenant_id", "goal_id", "day"),
    )

    goal_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("savings_goal.id", ondelete="CASCADE")
    )
    day: Mapped[date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    transaction_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("ledger_transaction.id", ondelete="SET NULL"), nullable=True
    )
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)


class BalanceThreshold(IdMixin, TimestampMixin, TenantMixin, Base):
    """The forecast warns when this account's balance would go below this amount
    (in the account's currency); without a row the threshold is zero."""

    __tablename__ = "balance_threshold"
    __table_args__ = (UniqueConstraint("tenant_id", "account_id"),)

    account_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("account.id", ondelete="CASCADE")
    )
    threshold_minor: Mapped[int] = mapped_column(BigInteger)


class Notification(IdMixin, TenantMixin, Base):
    """One in-app notification for one person. `dedupe_key` names the event (a
    budget's period and threshold, a bill's due date, a goal's milestone), so the same
    event never notifies twice."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("tenant_id", "user_id", "dedupe_key"),
        CheckConstraint(f"kind IN ({_values(NotificationKind)})", name="kind"),
        Index("ix_notification_inbox", "tenant_id", "user_id", "read_at", "created_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("user_account.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(24))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class NotificationPreference(IdMixin, TimestampMixin, TenantMixin, Base):
    """Whether one person wants one kind of notification (no row: yes)."""

    __tablename__ = "notification_preference"
    __table_args__ = (
        UniqueConstraint("tenant_id", "user_id", "kind"),
        CheckConstraint(f"kind IN ({_values(NotificationKind)})", name="kind"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("user_account.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(24))
    in_app: Mapped[bool] = mapped_column(Boolean, default=True)


__all__ = [
    "BalanceThreshold",
    "Bill",
    "BillKind",
    "BillOccurrence",
    "BillSource",
    "BillStatus",
    "Budget",
    "BudgetAmount",
    "CandidateStatus",
    "GoalContribution",
    "GoalStatus",
    "MatchedBy",
    "Notification",
    "NotificationKind",
    "NotificationPreference",
    "OccurrenceStatus",
    "PeriodKind",
    "RecurringCandidate",
    "Rollover",
    "SavingsGoal",
]
