"""Job kinds: what a job of each kind runs, and what to tidy when it fails.

A capability registers its kinds at import time (`@job_kind("import.commit")`); the web
process imports them with their API, a Celery worker through celery_app's `imports`.
A kind's `run` gets a JobContext inside one unit of work: what it writes commits
together with the job's result, or not at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from coffer.config import Settings
from coffer.jobs.models import Job


@dataclass
class JobContext:
    session: Session
    job: Job
    settings: Settings
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    # Report rows done so far; `set_total` when the total becomes known.
    progress: Callable[[int], None]
    set_total: Callable[[int | None], None]


Run = Callable[[JobContext], dict[str, Any]]
OnFailure = Callable[[Session, Job, dict[str, Any]], None]


@dataclass(frozen=True)
class JobKind:
    name: str
    run: Run
    on_failure: OnFailure | None = None
    # Kinds that change money need the user to still be allowed to write when they run.
    writes: bool = True


KINDS: dict[str, JobKind] = {}


def job_kind(
    name: str, *, on_failure: OnFailure | None = None, writes: bool = True
) -> Callable[[Run], Run]:
    def register(run: Run) -> Run:
        KINDS[name] = JobKind(name, run, on_failure, writes)
        return run

    return register
