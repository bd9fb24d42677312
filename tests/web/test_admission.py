"""More requests than the database pool has connections queue up instead of jamming.

Each request holds its pooled connection from its first query until its session
closes, and between the two waits for thread-pool turns. Unbounded, a burst ends with
every thread waiting for a connection and every connection waiting for a thread.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated

import anyio.to_thread
import httpx
from fastapi import APIRouter, Depends
from sqlalchemy import pool, text

from coffer.db.session import Database, make_engine
from coffer.main import create_app
from coffer.web.deps import SessionDep
from coffer.web.middleware import concurrency_limit
from tests.web.conftest import make_settings


def _query(session: SessionDep) -> None:
    session.execute(text("SELECT 1"))  # checks out the connection, in a worker thread


def _database_route() -> APIRouter:
    router = APIRouter()

    @router.get("/api/v1/test/db")
    def read(session: SessionDep, _: Annotated[None, Depends(_query)]) -> dict[str, str]:
        time.sleep(0.005)  # the connection stays checked out across this thread turn
        return {"ok": "yes"}

    return router


def test_a_burst_larger_than_the_pool_and_the_thread_pool_completes(
    sqlite_url: str, tmp_path: Path
) -> None:
    database = Database(sqlite_url, pool_size=1, max_overflow=1, pool_timeout=2)
    app = create_app(make_settings(tmp_path, sqlite_url), database)
    app.include_router(_database_route())

    async def burst() -> list[int]:
        # Fewer threads than requests, more than connections: the jam needs both.
        anyio.to_thread.current_default_thread_limiter().total_tokens = 4
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answers = await asyncio.gather(*(client.get("/api/v1/test/db") for _ in range(12)))
        return [answer.status_code for answer in answers]

    # In a thread of its own: a browser test's Playwright may hold this thread's loop.
    try:
        with ThreadPoolExecutor(max_workers=1) as runner:
            assert runner.submit(asyncio.run, burst()).result() == [200] * 12
    finally:
        database.dispose()


def test_limit_is_half_the_pool_and_none_without_a_fixed_size(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    sized = make_engine(url, pool_size=5, max_overflow=10)
    unbounded = make_engine(url, pool_size=5, max_overflow=-1)
    without_pool = make_engine(url, poolclass=pool.NullPool)
    try:
        assert concurrency_limit(sized.pool) == 7
        assert concurrency_limit(unbounded.pool) is None
        assert concurrency_limit(without_pool.pool) is None
    finally:
        for engine in (sized, unbounded, without_pool):
            engine.dispose()
