"""Import tables: uploaded files and the batches they become, saved CSV formats, category
rules, merchant aliases, the learned categoriser's state and the marks it leaves.

An `ImportBatch` is born when a file is uploaded (status "uploaded"), may wait for a
background job ("queued"), becomes "committed" when its transactions are written in one
database transaction, and "undone" when they are deleted again. Its counts describe the
whole file. The uploaded bytes live in the data directory under a path made from the
tenant and batch ids, never from the client's file name.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from coffer.db.base import Base, IdMixin, TenantMixin, TimestampMixin, utcnow
from coffer.db.types import UTCDateTime


class BatchStatus(StrEnum):
    uploaded = "uploaded"
    queued = "queued"
    committed = "committed"
    undoing = "undoing"
    undone = "undone"


class AliasMatch(StrEnum):
    exact = "exact"
    contains = "contains"
    regex = "regex"


def _values(enum: type[StrEnum]) -> str:
    return ", ".join(f"'{member.value}'" for member in enum)


class ImportBatch(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "import_batch"
    __table_args__ = (
        CheckConstraint(f"status IN ({_values(BatchStatus)})", name="status"),
        Index("ix_import_batch_tenant_created", "tenant_id", "created_at"),
        Index("ix_import_batch_account", "tenant_id", "account_id", "sha256"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("account.id", ondelete="CASCADE")
    )
    # The client's name for the file: shown to people, never used as a path.
    filename: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(16))
    preset: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # CsvMapping.to_dict() for CSV files; None for self-describing formats.
    mapping: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # "mdy" or "dmy" for QIF files whose dates are ambiguous.
    date_order: Mapped[str | None] = mapped_column(String(3), nullable=True)
    stored_path: Mapped[str] = mapped_column(String(500))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default=BatchStatus.uploaded.value)
    parsed_count: Mapped[int] = mapped_column(Integer, default=0)
    added_count: Mapped[int] = mapped_column(Integer, default=0)
    duplicate_count: Mapped[int] = mapped_column(Integer, default=0)
    fuzzy_count: Mapped[int] = mapped_column(Integer, default=0)
    skipped_count: Mapped[int] = mapped_column(Integer, default=0)
    suggested_count: Mapped[int] = mapped_column(Integer, default=0)
    # Details of the commit (fuzzy pairs, unmatched categories, statement facts).
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # The problem that refused the last commit, kept for the import page.
    last_error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    job_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("job.id", ondelete="SET NULL"), nullable=True
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ImportFormat(IdMixin, TimestampMixin, TenantMixin, Base):
    """A saved CSV column mapping, chosen by name on the next import of the same bank."""

    __tablename__ = "import_format"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON)


class Rule(IdMixin, TimestampMixin, TenantMixin, Base):
    """A category rule: when every condition matches, the actions apply (rules.py)."""

    __tablename__ = "rule"
    __table_args__ = (Index("ix_rule_position", "tenant_id", "position"),)

    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Later rules are not considered once a matching rule says stop.
    stop_processing: Mapped[bool] = mapped_column(Boolean, default=False)
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    actions: Mapped[dict[str, Any]] = mapped_column(JSON)


class MerchantAlias(IdMixin, TenantMixin, Base):
    """Payee text (exact, contained, or a regular expression) that means a merchant."""

    __tablename__ = "merchant_alias"
    __table_args__ = (
        CheckConstraint(f"match IN ({_values(AliasMatch)})", name="match"),
        UniqueConstraint("tenant_id", "match", "pattern"),
    )

    pattern: Mapped[str] = mapped_column(String(200))
    match: Mapped[str] = mapped_column(String(8))
    merchant_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("merchant.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CategoriserState(IdMixin, TenantMixin, Base):
    """The learned categoriser of one household (coffer.core.categorise), as JSON."""

    __tablename__ = "categoriser_state"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    model: Mapped[dict[str, Any]] = mapped_column(JSON)
    examples: Mapped[int] = mapped_column(Integer)
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CategorySuggestion(IdMixin, TenantMixin, Base):
    """Marks a transaction whose category the learned categoriser chose at import.

    The mark stays when a person later changes the category; the category it records
    then differs from the transaction's, which is how a page tells "suggested" from
    "confirmed by a person".
    """

    __tablename__ = "category_suggestion"
    __table_args__ = (
        UniqueConstraint("tenant_id", "transaction_id"),
        Index("ix_category_suggestion_batch", "tenant_id", "import_batch_id"),
        # Deleting a transaction looks its mark up by transaction_id alone (the foreign
        # key's cascade); without this index each delete would scan the whole table.
        Index("ix_category_suggestion_transaction", "transaction_id"),
    )

    transaction_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("ledger_transaction.id", ondelete="CASCADE")
    )
    import_batch_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("import_batch.id", ondelete="CASCADE")
    )
    category_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("category.id", ondelete="CASCADE")
    )
    # Confidence in basis points (0-10000): an exact integer, the same on both databases.
    confidence_bp: Mapped[int] = mapped_column(Integer)
