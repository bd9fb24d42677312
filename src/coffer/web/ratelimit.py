"""Rate limits, kept in process memory (embedded mode) or in Redis (server mode, so every
worker and every process shares the same counts).

A moving window: a burst at the end of one minute and the start of the next cannot get
twice the limit through, as it could with fixed windows. Retry-After tells the client
when the oldest hit in the window leaves it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import lru_cache

import structlog
from fastapi import Request
from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from coffer.config import Settings
from coffer.context import request_meta
from coffer.errors import RateLimited

log = structlog.get_logger("coffer.ratelimit")

REDIS_KEY_PREFIX = "coffer-ratelimit"


@lru_cache(maxsize=64)
def _parse(limit: str) -> RateLimitItem:
    return parse(limit)


class RateLimiter:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._strategy = MovingWindowRateLimiter(storage)

    def hit(self, scope: str, key: str, limit: str) -> None:
        """Count one request of `key` in `scope`; raise RateLimited past `limit` ("20/minute")."""
        item = _parse(limit)
        try:
            if self._strategy.hit(item, scope, key):
                return
            reset_at = self._strategy.get_window_stats(item, scope, key).reset_time
        except StorageError as exc:
            # Failing open: with Redis down, sign-in keeps working and account lockout
            # still bounds password guessing; the outage is logged for the operator.
            log.warning("rate_limit_storage_unavailable", scope=scope, error=str(exc))
            return
        retry_after = max(1, math.ceil(reset_at - time.time()))
        raise RateLimited(
            f"Too many attempts. Please wait {_describe(retry_after)} and try again.",
            retry_after=retry_after,
        )

    def reset(self) -> None:
        """Forget every count (tests, and an operator clearing a false alarm)."""
        self.storage.reset()


def _describe(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def build_rate_limiter(settings: Settings) -> RateLimiter:
    if settings.redis_url:
        storage: Storage = RedisStorage(
            settings.redis_url, key_prefix=REDIS_KEY_PREFIX, wrap_exceptions=True
        )
    else:
        storage = MemoryStorage()
    # Fail at start-up, not on the first sign-in, if the limit setting is malformed.
    try:
        _parse(settings.auth_rate_limit)
    except ValueError as exc:
        raise ValueError(
            f"COFFER_AUTH_RATE_LIMIT={settings.auth_rate_limit!r} is not a rate limit such as "
            "'20/minute' or '100 per hour'."
        ) from exc
    return RateLimiter(storage)


def client_ip(request: Request) -> str:
    """The client address as the request middleware resolved it (trusted proxies applied)."""
    meta_ip = request_meta.get().ip
    if meta_ip:
        return meta_ip
    return request.client.host if request.client else "unknown"


def limit_auth(scope: str) -> Callable[[Request], None]:
    """A route dependency: `settings.auth_rate_limit` per client address in `scope`."""

    def dependency(request: Request) -> None:
        hit_auth_limit(request, scope, client_ip(request))

    return dependency


def hit_auth_limit(request: Request, scope: str, key: str) -> None:
    """Count a hit against `settings.auth_rate_limit` for any key (an email, say)."""
    limiter: RateLimiter = request.app.state.rate_limiter
    limiter.hit(scope, key, request.app.state.settings.auth_rate_limit)
