"""The rate limiter itself, in memory and in Redis (no database)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import redis

from coffer.config import Settings
from coffer.errors import RateLimited
from coffer.web.ratelimit import build_rate_limiter

REDIS_URL = os.environ.get("COFFER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _settings(
    tmp_path: Path, *, auth_rate_limit: str = "3/minute", redis_url: str | None = None
) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=tmp_path,
        auth_rate_limit=auth_rate_limit,
        redis_url=redis_url,
    )


def test_memory_limit_counts_per_scope_and_key(tmp_path: Path) -> None:
    limiter = build_rate_limiter(_settings(tmp_path))
    for _ in range(3):
        limiter.hit("auth.login", "198.51.100.1", "3/minute")
    with pytest.raises(RateLimited) as caught:
        limiter.hit("auth.login", "198.51.100.1", "3/minute")
    assert 1 <= caught.value.retry_after <= 60
    assert caught.value.headers["Retry-After"] == str(caught.value.retry_after)
    assert "wait" in caught.value.detail
    # Another address, or another scope, has its own count.
    limiter.hit("auth.login", "198.51.100.2", "3/minute")
    limiter.hit("auth.register", "198.51.100.1", "3/minute")


def test_retry_after_follows_the_window(tmp_path: Path) -> None:
    limiter = build_rate_limiter(_settings(tmp_path))
    limiter.hit("s", "k", "1/hour")
    with pytest.raises(RateLimited) as caught:
        limiter.hit("s", "k", "1/hour")
    assert 3590 <= caught.value.retry_after <= 3600
    assert "60 minutes" in caught.value.detail


def test_a_malformed_limit_fails_at_start_up(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="COFFER_AUTH_RATE_LIMIT"):
        build_rate_limiter(_settings(tmp_path, auth_rate_limit="lots"))


def test_redis_outage_fails_open(tmp_path: Path) -> None:
    limiter = build_rate_limiter(_settings(tmp_path, redis_url="redis://127.0.0.1:1/0"))
    for _ in range(5):
        limiter.hit("auth.login", "198.51.100.1", "1/minute")


def test_redis_counts_are_shared(tmp_path: Path) -> None:
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError:
        pytest.skip(f"Redis unreachable at {REDIS_URL}")
    settings = _settings(tmp_path, redis_url=REDIS_URL)
    one, two = build_rate_limiter(settings), build_rate_limiter(settings)
    key = uuid.uuid4().hex
    one.hit("auth.login", key, "2/minute")
    two.hit("auth.login", key, "2/minute")
    with pytest.raises(RateLimited) as caught:
        one.hit("auth.login", key, "2/minute")
    assert 1 <= caught.value.retry_after <= 60
