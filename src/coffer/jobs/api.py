"""GET /jobs/{job_id}: a background job's status and progress, for pages to poll."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from coffer.jobs import service
from coffer.jobs.deps import JobsDep, lifespan
from coffer.jobs.schemas import JobRead
from coffer.tenancy.deps import CurrentTenant
from coffer.web.deps import SessionDep

router = APIRouter(tags=["jobs"], lifespan=lifespan)


def job_read(view: service.JobView) -> JobRead:
    job = view.job
    return JobRead(
        id=job.id,
        kind=job.kind,
        status=job.status,
        done=view.done,
        total=view.total,
        percent=view.percent,
        result=job.result,
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


@router.get("/jobs/{job_id}", response_model=JobRead, summary="A background job's progress")
def get_job(
    job_id: uuid.UUID, context: CurrentTenant, session: SessionDep, jobs: JobsDep
) -> JobRead:
    job = service.get_job(session, tenant_id=context.tenant_id, job_id=job_id)
    return job_read(service.view(job, jobs.progress))
