"""Running jobs: `run_job` is the one function every backend calls.

Backends:
- "thread" (embedded default): a small executor started with the app and stopped at
  shutdown; jobs run one at a time (SQLite has one writer anyway).
- "celery" (server mode): `run_job` inside a Celery task (celery_app.py), started by
  `coffer worker`; the web process only sends the task.

A job is submitted only after the transaction that created it commits, so a worker
never looks for a row that is not there yet (or never will be).

run_job: mark the job running (a short transaction), then run its kind in one unit of
work as the user who asked for it, with the job's tenant as context (row-level security
applies to the worker as to the request), recording the result in that same
transaction; on failure the work rolls back and a new transaction records the error.
"""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from coffer.config import Settings
from coffer.db.base import utcnow
from coffer.db.session import Database
from coffer.errors import CofferError, Forbidden
from coffer.jobs.celery_app import TASK_NAME, make_celery
from coffer.jobs.models import Job, JobStatus
from coffer.jobs.progress import MemoryProgress, ProgressStore, RedisProgress, Throttled
from coffer.jobs.registry import KINDS, JobContext
from coffer.tenancy import service as tenancy_service

log = structlog.get_logger("coffer.jobs")


@dataclass(frozen=True, slots=True)
class JobRef:
    job_id: uuid.UUID
    tenant_id: uuid.UUID
    user_id: uuid.UUID

    def as_kwargs(self) -> dict[str, str]:
        return {
            "job_id": str(self.job_id),
            "tenant_id": str(self.tenant_id),
            "user_id": str(self.user_id),
        }

    @classmethod
    def of(cls, job: Job) -> JobRef:
        if job.created_by is None:
            raise ValueError("a job needs the user who asked for it")
        return cls(job.id, job.tenant_id, job.created_by)


def problem_of(exc: BaseException) -> dict[str, Any]:
    """What a person may see of a failure: a CofferError's own words, else a generic one."""
    if isinstance(exc, CofferError):
        problem: dict[str, Any] = {
            "type": f"/problems/{exc.slug}",
            "title": exc.title,
            "status": exc.status,
            "detail": exc.detail,
        }
        if exc.errors:
            problem["errors"] = exc.errors
        return problem
    return {
        "type": "/problems/internal",
        "title": "Something went wrong",
        "status": 500,
        "detail": "The job failed unexpectedly; nothing it was doing was kept.",
    }


def _load(session: Session, ref: JobRef) -> Job | None:
    return session.scalar(select(Job).where(Job.tenant_id == ref.tenant_id, Job.id == ref.job_id))


def run_job(database: Database, settings: Settings, store: ProgressStore, ref: JobRef) -> None:
    with database.unit_of_work(user_id=ref.user_id, tenant_id=ref.tenant_id) as session:
        job = _load(session, ref)
        if job is None or job.status != JobStatus.queued.value:
            return  # already run (a redelivered task), or gone
        job.status, job.started_at = JobStatus.running.value, utcnow()
        kind_name = job.kind
    kind = KINDS.get(kind_name)
    progress = Throttled(store, ref.job_id, None)
    try:
        with database.unit_of_work(user_id=ref.user_id, tenant_id=ref.tenant_id) as session:
            job = _load(session, ref)
            assert job is not None
            if kind is None:
                raise CofferError(f"Unknown kind of job: {kind_name}.")
            if kind.writes:
                _, role = tenancy_service.get_member_tenant(
                    session, user_id=ref.user_id, tenant_id=ref.tenant_id
                )
                if not role.can_write:
                    raise Forbidden("Your role no longer allows this change.")

            def set_total(total: int | None) -> None:
                progress.total = total
                store.set(ref.job_id, 0, total)

            context = JobContext(
                session=session,
                job=job,
                settings=settings,
                user_id=ref.user_id,
                tenant_id=ref.tenant_id,
                progress=progress,
                set_total=set_total,
            )
            result = kind.run(context)
            job.status, job.finished_at, job.result = JobStatus.succeeded.value, utcnow(), result
            job.total = progress.total if progress.total is not None else job.total
            job.done = int(result.get("done", job.total or 0))
    except Exception as exc:
        if not isinstance(exc, CofferError):
            log.error("job_failed", job_id=str(ref.job_id), kind=kind_name, exc_info=exc)
        _record_failure(database, ref, kind_name, problem_of(exc))
    finally:
        store.clear(ref.job_id)


def _record_failure(
    database: Database, ref: JobRef, kind_name: str, problem: dict[str, Any]
) -> None:
    with database.unit_of_work(user_id=ref.user_id, tenant_id=ref.tenant_id) as session:
        job = _load(session, ref)
        if job is None:
            return
        job.status, job.finished_at, job.error = JobStatus.failed.value, utcnow(), problem
        kind = KINDS.get(kind_name)
        if kind is not None and kind.on_failure is not None:
            kind.on_failure(session, job, problem)


# --- dispatchers ----------------------------------------------------------------------


class Dispatcher(Protocol):
    def submit(self, ref: JobRef) -> None: ...

    def shutdown(self) -> None: ...


class ThreadDispatcher:
    """Runs jobs in this process, one at a time, in a worker thread."""

    def __init__(self, database: Database, settings: Settings, store: ProgressStore) -> None:
        self._database = database
        self._settings = settings
        self._store = store
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="coffer-job")

    def submit(self, ref: JobRef) -> None:
        self._executor.submit(self._run, ref)

    def _run(self, ref: JobRef) -> None:
        try:
            run_job(self._database, self._settings, self._store, ref)
        except Exception as exc:  # the thread must survive whatever a job does
            logging.getLogger("coffer.jobs").exception("job runner failed: %s", exc)

    def shutdown(self) -> None:
        # Finish the running job (its transaction should end cleanly); queued ones stay
        # "queued" in the database and are picked up at the next start.
        self._executor.shutdown(wait=True, cancel_futures=True)


class CeleryDispatcher:
    """Sends jobs to Celery workers (`coffer worker`)."""

    def __init__(self, settings: Settings) -> None:
        self._app = make_celery(settings)
        self._task = TASK_NAME

    def submit(self, ref: JobRef) -> None:
        self._app.send_task(self._task, kwargs=ref.as_kwargs())

    def shutdown(self) -> None:
        return None


def backend_of(settings: Settings) -> str:
    """ "celery" or "thread": the setting when given, else Celery when Redis is set up in
    server mode (COFFER_REDIS_URL and PostgreSQL), else the in-process thread."""
    chosen = str(getattr(settings, "jobs_backend", "auto") or "auto")
    if chosen in ("thread", "celery"):
        return chosen
    return "celery" if settings.redis_url and settings.server_mode else "thread"


def progress_store_for(settings: Settings) -> ProgressStore:
    return RedisProgress(settings.redis_url) if settings.redis_url else MemoryProgress()


class JobRuntime:
    """The app's job machinery: where progress is kept and how jobs are sent."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings
        self.progress: ProgressStore = progress_store_for(settings)
        self.backend = backend_of(settings)
        self.dispatcher: Dispatcher = (
            CeleryDispatcher(settings)
            if self.backend == "celery"
            else ThreadDispatcher(database, settings, self.progress)
        )

    def submit_after_commit(self, session: Session, job: Job) -> None:
        """Send the job once (and only if) the session's transaction commits."""
        ref = JobRef.of(job)
        sent = False

        # after_commit fires for SAVEPOINTs too (an Idempotency-Key record is stored in
        # one): only the outermost commit makes the job visible to a worker.
        @event.listens_for(session, "after_commit")
        def _submit(committed: Session) -> None:
            nonlocal sent
            if sent or committed.in_nested_transaction():
                return
            sent = True
            try:
                self.dispatcher.submit(ref)
            except Exception as exc:  # the broker is down: the job stays queued
                log.error("job_submit_failed", job_id=str(ref.job_id), exc_info=exc)

    def resume_queued(self) -> int:
        """Embedded mode: jobs left queued by a stop are sent again; ones caught running
        are marked failed (their transaction rolled back with the process)."""
        if self.backend != "thread" or self.database.dialect != "sqlite":
            return 0
        refs: list[JobRef] = []
        with self.database.unit_of_work() as session:
            for job in session.scalars(
                select(Job).where(Job.status.in_([JobStatus.queued.value, JobStatus.running.value]))
            ):
                if job.status == JobStatus.running.value or job.created_by is None:
                    job.status, job.finished_at = JobStatus.failed.value, utcnow()
                    job.error = {
                        "type": "/problems/interrupted",
                        "title": "Interrupted",
                        "status": 503,
                        "detail": "Coffer stopped while this job ran; nothing it did was kept. "
                        "Please start it again.",
                    }
                    kind = KINDS.get(job.kind)
                    if kind is not None and kind.on_failure is not None:
                        kind.on_failure(session, job, job.error)
                else:
                    refs.append(JobRef.of(job))
        for ref in refs:
            self.dispatcher.submit(ref)
        return len(refs)

    def shutdown(self) -> None:
        self.dispatcher.shutdown()
