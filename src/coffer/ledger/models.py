"""Ledger tables: accounts, categories, merchants, tags, transactions with their split
lines and tags, FX rates, reconciliations, saved filters and the monthly aggregate.

Amounts are integers of the account currency's ISO 4217 minor unit (`*_minor`), so
SUM is exact on both databases; rates are exact decimals stored as text. Every table
belongs to a tenant and every composite index starts with `tenant_id`.

Uniqueness that involves a nullable column (a top-level category has no parent, an
uncategorised aggregate has no category) is expressed as two partial unique indexes,
because NULLs never collide in a plain unique index on either database.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
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

from coffer.db.base import Base, IdMixin, TenantMixin, TimestampMixin, utcnow
from coffer.db.types import EncryptedString, ExactDecimal, UTCDateTime


class AccountType(StrEnum):
    checking = "checking"
    savings = "savings"
    credit_card = "credit_card"
    cash = "cash"
    loan = "loan"
    mortgage = "mortgage"
    investment = "investment"
    retirement = "retirement"
    property = "property"
    vehicle = "vehicle"
    other_asset = "other_asset"
    other_liability = "other_liability"


LIABILITY_TYPES = frozenset(
    {AccountType.credit_card, AccountType.loan, AccountType.mortgage, AccountType.other_liability}
)


class CategoryKind(StrEnum):
    income = "income"
    expense = "expense"


class TransactionStatus(StrEnum):
    pending = "pending"
    cleared = "cleared"
    reconciled = "reconciled"


class ReconciliationStatus(StrEnum):
    in_progress = "in_progress"
    completed = "completed"


def _values(enum: type[StrEnum]) -> str:
    return ", ".join(f"'{member.value}'" for member in enum)


def _where(condition: str) -> dict[str, Any]:
    """A partial index's predicate, the same on both databases."""
    return {"sqlite_where": text(condition), "postgresql_where": text(condition)}


class Account(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "account"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        CheckConstraint(f"type IN ({_values(AccountType)})", name="type"),
        CheckConstraint("length(currency) = 3", name="currency"),
    )

    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(24))
    currency: Mapped[str] = mapped_column(String(3))
    opening_balance_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    opening_on: Mapped[date] = mapped_column(Date)
    institution: Mapped[str | None] = mapped_column(String(200), nullable=True)
    last_four: Mapped[str | None] = mapped_column(String(4), nullable=True)
    # The full number, when given, is encrypted at rest and never sent back in full.
    account_number: Mapped[str | None] = mapped_column(EncryptedString, nullable=True)
    credit_limit_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # Annual percentage rate, e.g. 19.99 for 19.99 %.
    interest_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal, nullable=True)
    include_in_budget: Mapped[bool] = mapped_column(Boolean, default=True)
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)


class Category(IdMixin, TimestampMixin, TenantMixin, Base):
    """Income or expense, two levels at most: a top-level category and its children."""

    __tablename__ = "category"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_values(CategoryKind)})", name="kind"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        Index(
            "uq_category_child_name",
            "tenant_id",
            "parent_id",
            "name",
            unique=True,
            **_where("parent_id IS NOT NULL"),
        ),
        Index(
            "uq_category_top_name", "tenant_id", "name", unique=True, **_where("parent_id IS NULL")
        ),
    )

    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(8))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("category.id", ondelete="RESTRICT"), nullable=True
    )
    colour: Mapped[str | None] = mapped_column(String(7), nullable=True)


class Merchant(IdMixin, TenantMixin, Base):
    """A normalised merchant ("Amazon") that many imported payees map to."""

    __tablename__ = "merchant"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    name: Mapped[str] = mapped_column(String(200))
    # casefolded name: lookups and uniqueness ignore case.
    key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Tag(IdMixin, TenantMixin, Base):
    __tablename__ = "tag"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    name: Mapped[str] = mapped_column(String(60))
    key: Mapped[str] = mapped_column(String(60))
    colour: Mapped[str | None] = mapped_column(String(7), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerTransaction(IdMixin, TimestampMixin, TenantMixin, Base):
    """One signed amount in one account ("transaction" is a reserved word)."""

    __tablename__ = "ledger_transaction"
    __table_args__ = (
        CheckConstraint(f"status IN ({_values(TransactionStatus)})", name="status"),
        CheckConstraint("NOT (is_split AND category_id IS NOT NULL)", name="split_uncategorised"),
        # The register: keyset pages on (posted_on DESC, id DESC) within one account.
        # amount_minor rides along so running balances sum from the index alone.
        Index(
            "ix_ledger_transaction_register",
            "tenant_id",
            "account_id",
            "posted_on",
            "id",
            "amount_minor",
        ),
        Index("ix_ledger_transaction_posted", "tenant_id", "posted_on", "id"),
        Index("ix_ledger_transaction_category", "tenant_id", "category_id", "posted_on"),
        Index("ix_ledger_transaction_merchant", "tenant_id", "merchant_id"),
        Index(
            "ix_ledger_transaction_transfer",
            "tenant_id",
            "transfer_group_id",
            **_where("transfer_group_id IS NOT NULL"),
        ),
        # Uncleared rows are few: reconciliation sums them to find the cleared balance.
        Index(
            "ix_ledger_transaction_pending",
            "tenant_id",
            "account_id",
            "posted_on",
            **_where("status = 'pending'"),
        ),
        Index(
            "ix_ledger_transaction_import_batch",
            "tenant_id",
            "import_batch_id",
            **_where("import_batch_id IS NOT NULL"),
        ),
        Index(
            "uq_ledger_transaction_fingerprint",
            "tenant_id",
            "account_id",
            "fingerprint",
            unique=True,
            **_where("fingerprint IS NOT NULL"),
        ),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("account.id", ondelete="CASCADE")
    )
    posted_on: Mapped[date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    payee: Mapped[str | None] = mapped_column(String(500), nullable=True)
    merchant_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("merchant.id", ondelete="SET NULL"), nullable=True
    )
    memo: Mapped[str | None] = mapped_column(Text, nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    # NULL when uncategorised or split (the lines carry the categories).
    category_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("category.id", ondelete="SET NULL"), nullable=True
    )
    is_split: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12), default=TransactionStatus.pending.value)
    # Both legs of a transfer share this id.
    transfer_group_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    # Cross-currency transfer legs: 1 unit of the sending account's currency buys
    # `fx_rate` units of the receiving account's currency (the same on both legs).
    fx_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal, nullable=True)
    # The import batch that created the row; its foreign key comes with the imports.
    import_batch_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    external_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    fingerprint: Mapped[str | None] = mapped_column(String(128), nullable=True)


class TransactionSplit(IdMixin, TenantMixin, Base):
    """A line of a split transaction; the lines sum exactly to the transaction."""

    __tablename__ = "transaction_split"
    __table_args__ = (
        Index("ix_transaction_split_transaction", "transaction_id"),
        Index("ix_transaction_split_category", "tenant_id", "category_id"),
    )

    transaction_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("ledger_transaction.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    category_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("category.id", ondelete="SET NULL"), nullable=True
    )
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    memo: Mapped[str | None] = mapped_column(String(500), nullable=True)


class TransactionTag(IdMixin, TenantMixin, Base):
    __tablename__ = "transaction_tag"
    __table_args__ = (
        UniqueConstraint("tenant_id", "transaction_id", "tag_id"),
        Index("ix_transaction_tag_tag", "tenant_id", "tag_id", "transaction_id"),
        Index("ix_transaction_tag_transaction", "transaction_id"),
    )

    transaction_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("ledger_transaction.id", ondelete="CASCADE")
    )
    tag_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("tag.id", ondelete="CASCADE"))


class FxRate(IdMixin, TimestampMixin, TenantMixin, Base):
    """On `rate_on`, 1 unit of `base` was worth `rate` units of `quote`."""

    __tablename__ = "fx_rate"
    __table_args__ = (
        UniqueConstraint("tenant_id", "base", "quote", "rate_on"),
        CheckConstraint("base <> quote", name="distinct_currencies"),
    )

    rate_on: Mapped[date] = mapped_column(Date)
    base: Mapped[str] = mapped_column(String(3))
    quote: Mapped[str] = mapped_column(String(3))
    rate: Mapped[Decimal] = mapped_column(ExactDecimal)


class Reconciliation(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "reconciliation"
    __table_args__ = (
        CheckConstraint(f"status IN ({_values(ReconciliationStatus)})", name="status"),
        Index("ix_reconciliation_account", "tenant_id", "account_id", "statement_on"),
        # At most one reconciliation in progress per account.
        Index(
            "uq_reconciliation_open",
            "tenant_id",
            "account_id",
            unique=True,
            **_where("status = 'in_progress'"),
        ),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("account.id", ondelete="CASCADE")
    )
    statement_on: Mapped[date] = mapped_column(Date)
    statement_balance_minor: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12), default=ReconciliationStatus.in_progress.value)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reconciled_count: Mapped[int] = mapped_column(Integer, default=0)


class SavedFilter(IdMixin, TimestampMixin, TenantMixin, Base):
    """A person's named transaction search; private to that person."""

    __tablename__ = "saved_filter"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id", "name"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("user_account.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[dict[str, Any]] = mapped_column(JSON)


class AccountMonth(IdMixin, TenantMixin, Base):
    """Sum and count of one account's amounts in one month and category.

    Maintained by the ledger service in the same database transaction as every change
    (split lines count under their own categories), so balances and monthly reports
    read a few hundred rows instead of millions; `aggregates.check` proves it equals
    the raw sums.
    """

    __tablename__ = "account_month"
    __table_args__ = (
        Index(
            "uq_account_month_category",
            "tenant_id",
            "account_id",
            "month",
            "category_id",
            unique=True,
            **_where("category_id IS NOT NULL"),
        ),
        Index(
            "uq_account_month_uncategorised",
            "tenant_id",
            "account_id",
            "month",
            unique=True,
            **_where("category_id IS NULL"),
        ),
        Index("ix_account_month_month", "tenant_id", "month", "category_id"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("account.id", ondelete="CASCADE")
    )
    month: Mapped[date] = mapped_column(Date)
    category_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("category.id"), nullable=True
    )
    total_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    count: Mapped[int] = mapped_column(Integer, default=0)
