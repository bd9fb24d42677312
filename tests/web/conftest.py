"""Fixtures for the web plumbing tests.

Most middleware behaviour does not touch the database, so `plain_client` runs the real
app on a copy of the migrated SQLite template only; tests that read or write data use
the root conftest's `client`, which runs on both backends.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient

from coffer.config import Settings
from coffer.db.session import Database
from coffer.main import create_app
from tests.conftest import ENCRYPTION_KEY

REDIS_URL = os.environ.get("COFFER_TEST_REDIS_URL")


def make_settings(tmp_path: Path, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "database_url": database_url,
        "secret_key": "test-secret-key-" + "x" * 32,
        "encryption_keys": [ENCRYPTION_KEY],
        "redis_url": None,
        "demo_on_first_run": False,
        "auth_rate_limit": "1000/minute",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "coffer.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def make_client(sqlite_url: str, tmp_path: Path) -> Iterator[Any]:
    """Build the real app on SQLite with some settings changed, and a client for it."""
    opened: list[tuple[TestClient, Database, bool]] = []

    def build(app_hook: Any = None, *, lifespan: bool = True, **overrides: Any) -> TestClient:
        """lifespan=False skips the app's startup, which needs a working database."""
        settings = make_settings(tmp_path, overrides.pop("database_url", sqlite_url), **overrides)
        database = Database(settings.resolved_database_url)
        app: FastAPI = create_app(settings, database)
        if app_hook is not None:
            app_hook(app)
        client = TestClient(app, raise_server_exceptions=False)
        if lifespan:
            client.__enter__()
        opened.append((client, database, lifespan))
        return client

    yield build
    for client, database, started in opened:
        if started:
            client.__exit__(None, None, None)
        database.dispose()


@pytest.fixture
def plain_client(make_client: Any) -> TestClient:
    client: TestClient = make_client()
    return client


@pytest.fixture
def redis_url() -> str:
    """COFFER_TEST_REDIS_URL, reachable: skipped without it, failing in CI without it."""
    if not REDIS_URL:
        message = "COFFER_TEST_REDIS_URL is not set; Redis tests skipped"
        if os.environ.get("CI"):
            pytest.fail(message.replace("skipped", "required in CI"), pytrace=False)
        pytest.skip(message)
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        message = f"Redis unreachable at {REDIS_URL}: {type(exc).__name__}"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message + "; Redis tests skipped")
    return REDIS_URL
