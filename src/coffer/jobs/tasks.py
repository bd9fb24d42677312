"""The Celery task a worker runs: the same run_job as the embedded thread."""

from __future__ import annotations

import uuid
from functools import cache

from celery import shared_task
from sqlalchemy import pool

from coffer.config import get_settings
from coffer.db.session import Database
from coffer.db.types import configure_encryption
from coffer.jobs.celery_app import TASK_NAME
from coffer.jobs.progress import ProgressStore
from coffer.jobs.runner import JobRef, progress_store_for, run_job


@cache
def _worker_state() -> tuple[Database, ProgressStore]:
    settings = get_settings()
    configure_encryption(settings.resolved_encryption_keys())
    return Database(settings.resolved_database_url, poolclass=pool.NullPool), progress_store_for(
        settings
    )


@shared_task(name=TASK_NAME)  # type: ignore[untyped-decorator]
def run(job_id: str, tenant_id: str, user_id: str) -> None:
    database, store = _worker_state()
    ref = JobRef(uuid.UUID(job_id), uuid.UUID(tenant_id), uuid.UUID(user_id))
    run_job(database, get_settings(), store, ref)
