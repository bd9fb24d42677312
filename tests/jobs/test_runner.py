"""The job machinery on its own: progress stores, run_job's bookkeeping, the dispatchers
and the Celery task (which runs the very same run_job)."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from coffer.auth.models import User
from coffer.config import Settings
from coffer.db.session import Database, set_context
from coffer.errors import RuleViolation
from coffer.jobs import runner, service, tasks
from coffer.jobs.celery_app import TASK_NAME, make_celery
from coffer.jobs.models import Job, JobStatus
from coffer.jobs.progress import MemoryProgress, Progress, RedisProgress, Throttled
from coffer.jobs.registry import KINDS, JobContext, job_kind
from coffer.tenancy import service as tenancy_service
from coffer.tenancy.models import Membership


@job_kind("test.count")
def _count(context: JobContext) -> dict[str, Any]:
    context.set_total(int(context.job.payload["n"]))
    for done in range(1, int(context.job.payload["n"]) + 1):
        context.progress(done)
    return {"done": int(context.job.payload["n"]), "echo": context.job.payload.get("echo")}


@job_kind("test.fail")
def _fail(context: JobContext) -> dict[str, Any]:
    raise RuleViolation("this job always says no", errors=[{"field": "x", "message": "no"}])


@job_kind("test.crash")
def _crash(context: JobContext) -> dict[str, Any]:
    raise ZeroDivisionError("a bug, not a reason")


def _household(database: Database) -> tuple[uuid.UUID, uuid.UUID]:
    with database.unit_of_work() as session:
        user = User(
            email=f"jobs-{uuid.uuid4().hex[:8]}@example.com",
            name="Jobs",
            password_hash="-",
            security_stamp=uuid.uuid4().hex,
        )
        session.add(user)
        session.flush()
        set_context(session, user_id=user.id)
        tenant = tenancy_service.create_tenant(session, creator=user, name="Jobs household")
        return user.id, tenant.id


def _job(database: Database, kind: str, **payload: Any) -> runner.JobRef:
    user_id, tenant_id = _household(database)
    with database.unit_of_work(user_id=user_id, tenant_id=tenant_id) as session:
        job = service.create_job(
            session, tenant_id=tenant_id, actor_id=user_id, kind=kind, payload=payload
        )
        return runner.JobRef.of(job)


def _load(database: Database, ref: runner.JobRef) -> Job:
    with database.unit_of_work(user_id=ref.user_id, tenant_id=ref.tenant_id) as session:
        return service.get_job(session, tenant_id=ref.tenant_id, job_id=ref.job_id)


def test_run_job_records_result_and_totals(database: Database, settings: Settings) -> None:
    ref = _job(database, "test.count", n=7, echo="hi")
    store = MemoryProgress()
    runner.run_job(database, settings, store, ref)
    job = _load(database, ref)
    assert job.status == JobStatus.succeeded.value
    assert (job.done, job.total) == (7, 7)
    assert job.result == {"done": 7, "echo": "hi"}
    assert job.started_at is not None
    assert job.finished_at is not None
    assert service.view(job, store).percent == 100
    assert store.get(ref.job_id) is None  # cleared once the row has the totals
    runner.run_job(database, settings, store, ref)  # a redelivered task does nothing
    assert _load(database, ref).finished_at == job.finished_at


def test_failures_keep_a_reason_fit_to_show(database: Database, settings: Settings) -> None:
    refused = _job(database, "test.fail")
    runner.run_job(database, settings, MemoryProgress(), refused)
    job = _load(database, refused)
    assert job.status == JobStatus.failed.value
    assert job.error == {
        "type": "/problems/rule-violation",
        "title": "The request breaks a rule",
        "status": 422,
        "detail": "this job always says no",
        "errors": [{"field": "x", "message": "no"}],
    }
    crashed = _job(database, "test.crash")
    runner.run_job(database, settings, MemoryProgress(), crashed)
    error = _load(database, crashed).error
    assert error is not None
    assert error["status"] == 500
    assert "ZeroDivision" not in str(error)
    unknown = _job(database, "test.nothing-like-this")
    runner.run_job(database, settings, MemoryProgress(), unknown)
    assert _load(database, unknown).status == JobStatus.failed.value


def test_a_job_of_someone_no_longer_allowed_to_write_fails(
    database: Database, settings: Settings
) -> None:
    ref = _job(database, "test.count", n=1)
    with database.unit_of_work(user_id=ref.user_id, tenant_id=ref.tenant_id) as session:
        membership = session.scalar(
            select(Membership).where(
                Membership.tenant_id == ref.tenant_id, Membership.user_id == ref.user_id
            )
        )
        assert membership is not None
        membership.role = "viewer"
    runner.run_job(database, settings, MemoryProgress(), ref)
    job = _load(database, ref)
    assert job.status == JobStatus.failed.value
    assert job.error is not None
    assert job.error["status"] == 403


def test_the_thread_dispatcher_runs_jobs_after_commit(
    database: Database, settings: Settings
) -> None:
    jobs = runner.JobRuntime(database, settings)
    assert jobs.backend == "thread"
    user_id, tenant_id = _household(database)
    with database.unit_of_work(user_id=user_id, tenant_id=tenant_id) as session:
        job = service.create_job(
            session, tenant_id=tenant_id, actor_id=user_id, kind="test.count", payload={"n": 3}
        )
        jobs.submit_after_commit(session, job)
        ref = runner.JobRef.of(job)
    jobs.shutdown()  # waits for the running job
    assert _load(database, ref).status == JobStatus.succeeded.value
    with database.unit_of_work(user_id=user_id, tenant_id=tenant_id) as session:
        rolled_back = service.create_job(
            session, tenant_id=tenant_id, actor_id=user_id, kind="test.count", payload={"n": 1}
        )
        jobs.submit_after_commit(session, rolled_back)
        session.rollback()
    assert "test.count" in KINDS


def test_memory_progress_and_throttling() -> None:
    store = MemoryProgress()
    job_id = uuid.uuid4()
    throttled = Throttled(store, job_id, total=10, interval=3600)
    assert store.get(job_id) == Progress(0, 10)
    throttled(1)  # the first report always goes through
    throttled(5)  # too soon: kept back
    found = store.get(job_id)
    assert found is not None
    assert (found.done, found.total) == (1, 10)
    eager = Throttled(store, job_id, total=3, interval=0)
    eager(9)  # past the guess: the total grows with it
    found = store.get(job_id)
    assert found is not None
    assert (found.done, found.total) == (9, 9)
    store.clear(job_id)
    assert store.get(job_id) is None


def test_memory_progress_is_safe_across_threads() -> None:
    store = MemoryProgress()
    ids = [uuid.uuid4() for _ in range(8)]

    def work(job_id: uuid.UUID) -> None:
        for done in range(200):
            store.set(job_id, done, 200)

    threads = [threading.Thread(target=work, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(store.get(i) is not None for i in ids)


def test_redis_progress_is_shared_between_processes(redis_url: str) -> None:
    job_id = uuid.uuid4()
    writer, reader = RedisProgress(redis_url), RedisProgress(redis_url)
    writer.set(job_id, 40, 100)
    found = reader.get(job_id)
    assert found is not None
    assert (found.done, found.total) == (40, 100)
    writer.set(job_id, 41, None)
    found = reader.get(job_id)
    assert found is not None
    assert found.total is None
    writer.clear(job_id)
    assert reader.get(job_id) is None


def test_unreachable_redis_costs_progress_not_the_job() -> None:
    store = RedisProgress("redis://127.0.0.1:1/0")
    store.set(uuid.uuid4(), 1, 2)
    assert store.get(uuid.uuid4()) is None


def test_backend_choice(settings: Settings) -> None:
    assert runner.backend_of(settings) == "thread"
    server = settings.model_copy(
        update={"redis_url": "redis://127.0.0.1:6379/15", "database_url": "postgresql://x/y"}
    )
    assert runner.backend_of(server) == "celery"


def test_celery_sends_ids_only_and_the_task_runs_run_job(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    celery_settings = settings.model_copy(update={"redis_url": "redis://127.0.0.1:6379/15"})
    app = make_celery(celery_settings)
    assert app.conf.task_acks_late is True
    dispatcher = runner.CeleryDispatcher(celery_settings)
    sent: list[tuple[str, dict[str, str]]] = []
    monkeypatch.setattr(
        dispatcher._app, "send_task", lambda name, kwargs: sent.append((name, kwargs))
    )
    ref = _job(database, "test.count", n=2)
    dispatcher.submit(ref)
    assert sent == [(TASK_NAME, ref.as_kwargs())]
    monkeypatch.setattr(tasks, "get_settings", lambda: settings)
    monkeypatch.setattr(tasks, "_worker_state", lambda: (database, MemoryProgress()))
    tasks.run(**sent[0][1])  # what a worker does with the message
    assert _load(database, ref).status == JobStatus.succeeded.value
    with pytest.raises(RuntimeError):
        make_celery(settings)


def test_a_job_is_sent_only_when_the_outermost_transaction_commits(
    database: Database, settings: Settings
) -> None:
    jobs = runner.JobRuntime(database, settings)
    jobs.dispatcher.shutdown()
    sent: list[runner.JobRef] = []

    class Recorder:
        def submit(self, ref: runner.JobRef) -> None:
            sent.append(ref)

        def shutdown(self) -> None:
            return None

    jobs.dispatcher = Recorder()
    user_id, tenant_id = _household(database)
    with database.unit_of_work(user_id=user_id, tenant_id=tenant_id) as session:
        job = service.create_job(
            session, tenant_id=tenant_id, actor_id=user_id, kind="test.count", payload={"n": 1}
        )
        jobs.submit_after_commit(session, job)
        with session.begin_nested():  # e.g. the Idempotency-Key record
            session.flush()
        assert sent == []
    assert [ref.job_id for ref in sent] == [job.id]
