"""Progress of running jobs, kept outside the database.

An import holds SQLite's single writer for its whole length, so its progress cannot be
written to the job row while it runs. It goes to a progress store instead: process
memory in embedded mode (the worker thread and the web requests share the process), or
Redis in server mode (workers and web processes are many). Both behind one interface.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

import redis

TTL_SECONDS = 24 * 3600


@dataclass(frozen=True, slots=True)
class Progress:
    done: int
    total: int | None


class ProgressStore(Protocol):
    def set(self, job_id: uuid.UUID, done: int, total: int | None) -> None: ...

    def get(self, job_id: uuid.UUID) -> Progress | None: ...

    def clear(self, job_id: uuid.UUID) -> None: ...


class MemoryProgress:
    """Progress in this process: enough when the job runs in a thread of the same one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[uuid.UUID, tuple[Progress, float]] = {}

    def set(self, job_id: uuid.UUID, done: int, total: int | None) -> None:
        now = time.monotonic()
        with self._lock:
            self._values[job_id] = (Progress(done, total), now)
            if len(self._values) > 1000:  # forget the ones nobody cleared
                cutoff = now - TTL_SECONDS
                for key in [k for k, (_, at) in self._values.items() if at < cutoff]:
                    del self._values[key]

    def get(self, job_id: uuid.UUID) -> Progress | None:
        with self._lock:
            found = self._values.get(job_id)
        return found[0] if found else None

    def clear(self, job_id: uuid.UUID) -> None:
        with self._lock:
            self._values.pop(job_id, None)


class RedisProgress:
    """Progress shared by every process through Redis (one small hash per job)."""

    def __init__(self, url: str, *, prefix: str = "coffer:job-progress:") -> None:
        self._client: Any = redis.Redis.from_url(url, socket_timeout=2)
        self._prefix = prefix

    def _key(self, job_id: uuid.UUID) -> str:
        return f"{self._prefix}{job_id}"

    def set(self, job_id: uuid.UUID, done: int, total: int | None) -> None:
        key = self._key(job_id)
        pipe = self._client.pipeline()
        pipe.hset(key, mapping={"done": done, "total": -1 if total is None else total})
        pipe.expire(key, TTL_SECONDS)
        with contextlib.suppress(redis.RedisError):  # a courtesy: the job goes on without it
            pipe.execute()

    def get(self, job_id: uuid.UUID) -> Progress | None:
        try:
            values = self._client.hgetall(self._key(job_id))
        except redis.RedisError:
            return None
        if not values:
            return None
        total = int(values[b"total"])
        return Progress(int(values[b"done"]), None if total < 0 else total)

    def clear(self, job_id: uuid.UUID) -> None:
        with contextlib.suppress(redis.RedisError):
            self._client.delete(self._key(job_id))


class Throttled:
    """Reports progress at most every `interval` seconds (and always the last value)."""

    def __init__(
        self, store: ProgressStore, job_id: uuid.UUID, total: int | None, interval: float = 0.25
    ) -> None:
        self._store = store
        self._job_id = job_id
        self.total = total
        self._interval = interval
        # None until the first report, which always goes through (monotonic time starts
        # at an arbitrary point, possibly less than `interval` ago).
        self._last: float | None = None
        store.set(job_id, 0, total)

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if self._last is None or now - self._last >= self._interval:
            self._last = now
            total = self.total
            if total is not None and done > total:
                total = self.total = done
            self._store.set(self._job_id, done, total)
