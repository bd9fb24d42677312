"""Job test helpers: Redis when CI provides it, and polling a job to its end."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from tests.imports.conftest import client_with, home  # noqa: F401 - fixtures shared

REDIS_URL = os.environ.get("COFFER_TEST_REDIS_URL")


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


def wait_for_job(
    client: TestClient, job_id: str, headers: dict[str, str], timeout: float = 60.0
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The finished job, and every state seen while polling."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(f"/api/v1/jobs/{job_id}", headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        seen.append(body)
        if body["status"] in ("succeeded", "failed"):
            return body, seen
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not finish: {seen[-1]}")
