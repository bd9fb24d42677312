"""The app's JobRuntime: made at startup (the router's lifespan), stopped at shutdown."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request

from coffer.jobs.runner import JobRuntime


def runtime_of(app: Any) -> JobRuntime:
    runtime: JobRuntime | None = getattr(app.state, "jobs", None)
    if runtime is None:  # an app used without its lifespan (some tests)
        runtime = app.state.jobs = JobRuntime(app.state.db, app.state.settings)
    return runtime


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    runtime = runtime_of(app)
    runtime.resume_queued()
    try:
        yield
    finally:
        runtime.shutdown()
        app.state.jobs = None


def get_jobs(request: Request) -> JobRuntime:
    return runtime_of(request.app)


JobsDep = Annotated[JobRuntime, Depends(get_jobs)]
