"""Server-mode behaviour backed by Redis: readiness and the shared rate-limit counts.

These use COFFER_TEST_REDIS_URL (.ci/run sets it); without it they are skipped, except
in CI, where an unreachable Redis fails them.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from coffer.errors import RateLimited
from coffer.web.ratelimit import build_rate_limiter
from tests.web.conftest import make_settings


def test_ready_checks_redis_when_configured(make_client: Any, redis_url: str) -> None:
    response = make_client(redis_url=redis_url).get("/health/ready")
    assert response.status_code == 200, response.text
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}


def test_rate_limits_are_shared_through_redis(redis_url: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, "sqlite://", redis_url=redis_url)
    # Two limiters stand for two worker processes: the counts must add up across them.
    first, second = build_rate_limiter(settings), build_rate_limiter(settings)
    scope = f"test-{uuid.uuid4().hex}"  # other runs may share this Redis database
    first.hit(scope, "203.0.113.9", "3/minute")
    second.hit(scope, "203.0.113.9", "3/minute")
    first.hit(scope, "203.0.113.9", "3/minute")
    with pytest.raises(RateLimited):
        second.hit(scope, "203.0.113.9", "3/minute")
