"""The Celery application of server mode: Redis as broker, one task that runs a job.

The web process only sends tasks (runner.CeleryDispatcher); `coffer worker` runs them.
The task carries ids only; the job row holds the rest, so a message on the broker
reveals nothing of a household's money.
"""

from __future__ import annotations

from celery import Celery

from coffer.config import Settings

TASK_NAME = "coffer.jobs.run"
# Modules whose import registers job kinds (coffer.jobs.registry); the worker loads them.
KIND_MODULES = ["coffer.imports.tasks"]


def make_celery(settings: Settings) -> Celery:
    if not settings.redis_url:
        raise RuntimeError("Celery needs COFFER_REDIS_URL (its broker)")
    app = Celery("coffer", broker=settings.redis_url, include=["coffer.jobs.tasks", *KIND_MODULES])
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        # A job is acknowledged when it ends: a worker killed mid-import leaves it on the
        # broker for another, and run_job ignores jobs that are no longer queued.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    return app
