"""The import's background jobs: committing and undoing a large batch.

Both run the same service functions as the inline path, inside the job's one unit of
work (coffer.jobs.runner.run_job). When one fails, the batch goes back to where it was
("uploaded" or "committed") with the problem kept for the import page.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from coffer.imports import service
from coffer.imports.models import BatchStatus, ImportBatch
from coffer.imports.reading import count_lines
from coffer.imports.storage import UploadStore
from coffer.jobs.models import Job
from coffer.jobs.registry import JobContext, job_kind


def batch_summary(batch: ImportBatch) -> dict[str, Any]:
    return {
        "import_batch_id": str(batch.id),
        "status": batch.status,
        "parsed": batch.parsed_count,
        "added": batch.added_count,
        "duplicates": batch.duplicate_count,
        "fuzzy": batch.fuzzy_count,
        "skipped": batch.skipped_count,
        "suggested": batch.suggested_count,
    }


def _batch_id(job: Job) -> uuid.UUID:
    return uuid.UUID(str(job.payload["import_batch_id"]))


def _commit_failed(session: Session, job: Job, problem: dict[str, Any]) -> None:
    _restore(session, job, BatchStatus.queued, BatchStatus.uploaded, problem)


def _undo_failed(session: Session, job: Job, problem: dict[str, Any]) -> None:
    _restore(session, job, BatchStatus.undoing, BatchStatus.committed, problem)


def _restore(
    session: Session,
    job: Job,
    current: BatchStatus,
    back: BatchStatus,
    problem: dict[str, Any],
) -> None:
    # A plain UPDATE: when the job failed because its user may no longer write, row-level
    # security leaves the batch as it is (service.effective_status then reads it as back).
    session.execute(
        update(ImportBatch)
        .where(
            ImportBatch.tenant_id == job.tenant_id,
            ImportBatch.id == _batch_id(job),
            ImportBatch.status == current.value,
        )
        .values(status=back.value, last_error=problem)
        .execution_options(synchronize_session=False)
    )


@job_kind("import.commit", on_failure=_commit_failed)
def commit_job(context: JobContext) -> dict[str, Any]:
    payload = context.job.payload
    store = UploadStore(context.settings.data_dir)
    batch = service.get_batch(
        context.session, tenant_id=context.tenant_id, batch_id=_batch_id(context.job)
    )
    context.set_total(count_lines(batch, store) if batch.format == "csv" else None)
    batch = service.commit_batch(
        context.session,
        tenant_id=context.tenant_id,
        actor_id=context.user_id,
        batch_id=batch.id,
        store=store,
        skip_lines=frozenset(int(line) for line in payload.get("skip_lines", [])),
        apply_suggestions=bool(payload.get("apply_suggestions", True)),
        progress=context.progress,
        queued=True,
    )
    context.set_total(batch.parsed_count)
    return {**batch_summary(batch), "done": batch.parsed_count}


@job_kind("import.undo", on_failure=_undo_failed)
def undo_job(context: JobContext) -> dict[str, Any]:
    batch = service.undo_batch(
        context.session,
        tenant_id=context.tenant_id,
        actor_id=context.user_id,
        batch_id=_batch_id(context.job),
        queued=True,
    )
    context.set_total(batch.added_count)
    return {**batch_summary(batch), "done": batch.added_count}
