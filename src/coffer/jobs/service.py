"""Jobs as the rest of Coffer sees them: create one, read its status and progress."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coffer.errors import NotFound
from coffer.jobs.models import Job, JobStatus
from coffer.jobs.progress import ProgressStore


def create_job(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    kind: str,
    payload: dict[str, Any],
    total: int | None = None,
) -> Job:
    job = Job(
        tenant_id=tenant_id,
        created_by=actor_id,
        kind=kind,
        payload=payload,
        total=total,
        status=JobStatus.queued.value,
    )
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, *, tenant_id: uuid.UUID, job_id: uuid.UUID) -> Job:
    job = session.scalar(select(Job).where(Job.tenant_id == tenant_id, Job.id == job_id))
    if job is None:
        raise NotFound("No job with this id in this household.")
    return job


@dataclass(frozen=True)
class JobView:
    job: Job
    done: int
    total: int | None

    @property
    def status(self) -> str:
        return self.job.status

    @property
    def percent(self) -> int | None:
        if self.job.status == JobStatus.succeeded.value:
            return 100
        if not self.total:
            return None
        return max(0, min(99, self.done * 100 // self.total))


def view(job: Job, store: ProgressStore) -> JobView:
    """The job with its live progress while it runs, its recorded totals afterwards."""
    if job.status == JobStatus.running.value:
        live = store.get(job.id)
        if live is not None:
            return JobView(job, live.done, live.total if live.total is not None else job.total)
    return JobView(job, job.done, job.total)
