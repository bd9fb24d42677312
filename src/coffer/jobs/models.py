"""The job table: one row per piece of background work, with its final result.

Progress while a job runs is not written here (an import holds SQLite's one writer for
its whole length); it lives in a progress store (coffer.jobs.progress). The row records
what a person needs afterwards: status, totals, the result or the error.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from coffer.db.base import Base, IdMixin, TenantMixin, utcnow
from coffer.db.types import UTCDateTime


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.succeeded, JobStatus.failed)


STATUS_VALUES = ", ".join(f"'{s.value}'" for s in JobStatus)


class Job(IdMixin, TenantMixin, Base):
    __tablename__ = "job"
    __table_args__ = (
        CheckConstraint(f"status IN ({STATUS_VALUES})", name="status"),
        Index("ix_job_tenant_created", "tenant_id", "created_at"),
    )

    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default=JobStatus.queued.value)
    # What the task needs to run (ids, options); never secrets.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    total: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    done: Mapped[int] = mapped_column(BigInteger, default=0)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # A problem document ({"title", "detail", "errors"}) safe to show to the user.
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
