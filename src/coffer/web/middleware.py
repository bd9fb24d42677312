"""What every request goes through: the signed session cookie, a request id, the
client address, security headers, a duration histogram and one access-log line.

The request middleware is plain ASGI rather than BaseHTTPMiddleware: it adds a few
microseconds per request instead of a task and a stream copy, which matters at the
latency the benchmarks hold us to (docs/performance.md).

It also admits only as many requests at once as the database pool can serve. A
request holds its pooled connection from its first query until its session closes,
and in between it waits for thread-pool turns (every sync dependency and route runs
in FastAPI's thread pool). With more requests in flight than connections, all the
threads can end up waiting for a connection while every connection waits for a
thread: nothing moves until the pool's timeout. Queuing the surplus requests on the
event loop instead keeps the server answering under any load.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import time
import uuid
from collections.abc import Iterable
from typing import Any

import structlog
from fastapi import FastAPI
from prometheus_client import Histogram
from sqlalchemy.pool import Pool, QueuePool
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coffer.config import Settings
from coffer.context import RequestMeta, request_meta

access_log = structlog.get_logger("coffer.access")

SESSION_COOKIE = "coffer_session"
SESSION_MAX_AGE = 14 * 24 * 3600

# An incoming X-Request-ID is kept (so a proxy's id threads through our logs) only when
# it cannot smuggle anything into a log line or a header.
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'; object-src 'none'"
)
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    ("x-frame-options", "DENY"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    ("cross-origin-opener-policy", "same-origin"),
)
HSTS = ("strict-transport-security", "max-age=63072000; includeSubDomains")

REQUEST_DURATION = Histogram(
    "coffer_http_request_duration_seconds",
    "Time from the request's arrival to the end of its response.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
# Requests that matched no route share one label, so scanners cannot grow the metric.
UNMATCHED_ROUTE = "<unmatched>"
# Answered without the database, so never queued behind requests that need it.
_UNLIMITED_PATHS = ("/health", "/metrics")
_UNLIMITED_PREFIXES = ("/static/",)


def install_middleware(app: FastAPI, settings: Settings) -> None:
    """Install the session and request middleware. app.state.db must be set already:
    its pool decides how many requests may run at once."""
    database = getattr(app.state, "db", None)
    if database is None:
        raise RuntimeError("install_middleware needs app.state.db (the Database) set first")
    # Added first, so it runs inside the request middleware: the session is then
    # available to every route, and the request id to anything the session logs.
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.resolved_secret_key(),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=settings.https,
    )
    app.add_middleware(
        RequestContextMiddleware,
        https=settings.https,
        trusted_proxies=settings.trusted_proxies,
        max_concurrent=concurrency_limit(database.engine.pool),
    )


def concurrency_limit(pool: Pool) -> int | None:
    """How many requests may run at once: half the pool's connections, since a request
    may hold two (its own and a side unit of work, e.g. a failed sign-in's record).
    None when the pool has no fixed size."""
    if not isinstance(pool, QueuePool):
        return None
    max_overflow = int(getattr(pool, "_max_overflow", 0))
    if max_overflow < 0:  # unlimited overflow: connections are never the bottleneck
        return None
    return max(1, (pool.size() + max_overflow) // 2)


def parse_networks(
    entries: Iterable[str],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Trusted proxies as addresses or CIDR ranges ("10.0.0.0/8", "127.0.0.1")."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


class _ResponseState:
    __slots__ = ("started", "status")

    def __init__(self) -> None:
        self.started = False
        # Stays 500 when the app fails before it answers: that is what the client gets.
        self.status = 500


class _Admission:
    """At most `limit` requests at once; the rest wait their turn, first come first
    served. One semaphore per event loop (tests run one app on several loops)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots = asyncio.Semaphore(limit)

    def slots(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._slots = loop, asyncio.Semaphore(self.limit)
        return self._slots


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        https: bool,
        trusted_proxies: Iterable[str],
        max_concurrent: int | None = None,
    ) -> None:
        self.app = app
        self.trusted = parse_networks(trusted_proxies)
        headers = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS]
        if https:
            headers.append((HSTS[0].encode(), HSTS[1].encode()))
        self.headers = headers
        self.admission = _Admission(max_concurrent) if max_concurrent else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        root_path = scope.get("root_path", "")
        headers = _headers(scope)
        request_id = _request_id(headers.get(b"x-request-id"))
        meta = RequestMeta(
            request_id=request_id,
            ip=self.client_ip(scope, headers.get(b"x-forwarded-for")),
            user_agent=_text(headers.get(b"user-agent"))[:256] or None,
        )
        # errors.py reads request.state.request_id; Request.state lives in scope["state"].
        scope.setdefault("state", {})["request_id"] = request_id
        meta_token = request_meta.set(meta)
        log_tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        response = _ResponseState()
        extra_headers = [(b"x-request-id", request_id.encode()), *self.headers]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                response.started = True
                response.status = message["status"]
                message["headers"] = _merge_headers(message.get("headers", []), extra_headers)
            await send(message)

        try:
            if self.admission is None or _unlimited(scope.get("path", "")):
                await self._call_app(scope, receive, send_with_headers, response)
            else:
                async with self.admission.slots():
                    await self._call_app(scope, receive, send_with_headers, response)
        finally:
            self._finish(scope, response.status, started, meta, root_path)
            structlog.contextvars.reset_contextvars(**log_tokens)
            request_meta.reset(meta_token)

    async def _call_app(
        self, scope: Scope, receive: Receive, send: Send, response: _ResponseState
    ) -> None:
        """Run the app; an error nothing else handled is answered here, not further out.

        Starlette answers unhandled errors in its outermost ServerErrorMiddleware, which
        sends through the server's own `send`: its 500 would then lack the request id
        and the security headers. So the app's catch-all handler (web/errors.py) is
        called here, where the response still passes through `send_with_headers`.
        """
        try:
            await self.app(scope, receive, send)
        except Exception as exc:
            handler = _catch_all_handler(scope)
            if handler is None or response.started:
                raise
            answer: Response = await handler(Request(scope, receive), exc)
            await answer(scope, receive, send)

    def client_ip(self, scope: Scope, forwarded_for: bytes | None) -> str | None:
        client = scope.get("client")
        peer = client[0] if client else None
        if not forwarded_for or not self.trusted or not self._is_trusted(peer):
            return peer
        # Walk from the nearest hop outwards: the first address that is not one of our
        # proxies is the client. Anything further left was written by the client itself.
        hops = [hop.strip() for hop in _text(forwarded_for).split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self._is_trusted(hop):
                return hop[:64]
        return hops[0][:64] if hops else peer

    def _is_trusted(self, address: str | None) -> bool:
        if not address:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted)

    def _finish(
        self, scope: Scope, status: int, started: float, meta: RequestMeta, root_path: str
    ) -> None:
        elapsed = time.perf_counter() - started
        route = _route_template(scope, root_path)
        REQUEST_DURATION.labels(scope["method"], route, str(status)).observe(elapsed)
        # The path only: query strings may carry tokens (invitation links, ...).
        access_log.info(
            "request",
            method=scope["method"],
            path=_loggable_path(scope),
            route=route,
            status=status,
            duration_ms=round(elapsed * 1000, 2),
            ip=meta.ip,
        )


def _loggable_path(scope: Scope) -> str:
    """The request path with secret path parameters (invitation tokens) masked."""
    path = str(scope.get("path", ""))
    for name, value in (scope.get("path_params") or {}).items():
        if "token" in name and isinstance(value, str) and value:
            path = path.replace(value, "[redacted]")
    return path


def _unlimited(path: str) -> bool:
    return path in _UNLIMITED_PATHS or path.startswith(_UNLIMITED_PREFIXES)


def _headers(scope: Scope) -> dict[bytes, bytes]:
    """The few request headers the middleware reads (names are lower-case in ASGI)."""
    wanted = {b"x-request-id", b"x-forwarded-for", b"user-agent"}
    return {name: value for name, value in scope.get("headers", ()) if name in wanted}


def _text(value: bytes | None) -> str:
    return value.decode("latin-1") if value else ""


def _request_id(incoming: bytes | None) -> str:
    if incoming:
        candidate = _text(incoming)
        if _SAFE_REQUEST_ID.fullmatch(candidate):
            return candidate
    return uuid.uuid4().hex


def _merge_headers(
    existing: Iterable[tuple[bytes, bytes]], extra: list[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    """Add our headers unless the route set its own value (it knows better)."""
    merged = list(existing)
    present = {name.lower() for name, _ in merged}
    merged.extend(item for item in extra if item[0] not in present)
    return merged


def _route_template(scope: Scope, root_path: str) -> str:
    """The matched route's template ("/api/v1/accounts/{account_id}"), never the raw
    path, so the number of metric series stays bounded."""
    # A route of a router included with a prefix knows only its own part ("/auth/me");
    # FastAPI records the whole template in its effective route context.
    fastapi_scope = scope.get("fastapi")
    effective = fastapi_scope.get("effective_route_context") if fastapi_scope else None
    full = getattr(effective, "path_format", None)
    if isinstance(full, str) and full:
        return full
    route: Any = scope.get("route")
    if route is not None:
        template = getattr(route, "path_format", None) or getattr(route, "path", None)
        if template:
            return str(template)
    # A mounted app (/static) records no route; the router extends root_path instead.
    mounted_at = str(scope.get("root_path", ""))
    if mounted_at != root_path and mounted_at.startswith(root_path):
        return mounted_at[len(root_path) :]
    return UNMATCHED_ROUTE


def _catch_all_handler(scope: Scope) -> Any:
    app = scope.get("app")
    handlers: dict[Any, Any] = getattr(app, "exception_handlers", {}) or {}
    return handlers.get(500) or handlers.get(Exception)
