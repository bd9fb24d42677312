"""Liveness, readiness and Prometheus metrics, for load balancers and monitoring.

/health answers as long as the process serves requests; /health/ready also proves
the database (and Redis, when configured) answer, so a balancer stops sending traffic
to an instance that cannot work. Neither needs authentication and neither reveals more
than which dependency failed: error messages can name hosts and users.
"""

from __future__ import annotations

import os
from typing import Any

import redis
import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from pydantic import BaseModel
from sqlalchemy import text

from coffer import __version__
from coffer.config import Settings
from coffer.db.session import Database
from coffer.web.errors import PROBLEM_JSON

log = structlog.get_logger("coffer.health")

router = APIRouter(tags=["health"])

CHECK_TIMEOUT_SECONDS = 2.0


class Liveness(BaseModel):
    status: str
    version: str


class Readiness(BaseModel):
    status: str
    checks: dict[str, str]


@router.get("/health", response_model=Liveness)
async def health() -> Liveness:
    return Liveness(status="ok", version=__version__)


# A plain def: the checks block, so FastAPI runs them in its thread pool.
@router.get(
    "/health/ready",
    response_model=Readiness,
    responses={503: {"description": "A dependency is unreachable", "model": None}},
)
def ready(request: Request) -> Any:
    settings: Settings = request.app.state.settings
    checks = {"database": _check_database(request.app.state.db)}
    if settings.redis_url:
        checks["redis"] = _check_redis(request, settings.redis_url)
    failing = [name for name, result in checks.items() if result != "ok"]
    if not failing:
        return Readiness(status="ready", checks=checks)
    body = {
        "type": "/problems/unavailable",
        "title": "Not ready",
        "status": 503,
        "detail": f"Unavailable: {', '.join(failing)}.",
        "instance": request.url.path,
        "checks": checks,
    }
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    return JSONResponse(body, status_code=503, media_type=PROBLEM_JSON)


@router.get("/metrics", include_in_schema=False)
def metrics() -> Response:
    return Response(generate_latest(_registry()), media_type=CONTENT_TYPE_LATEST)


def _registry() -> Any:
    """With several worker processes each keeps its own numbers; when
    PROMETHEUS_MULTIPROC_DIR is set (`coffer serve --workers N` sets it) they are
    written there and summed across processes at scrape time.
    """
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def _check_database(db: Database) -> str:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        log.warning("readiness_failed", check="database", error_type=type(exc).__name__)
        return f"error: {type(exc).__name__}"
    return "ok"


def _check_redis(request: Request, url: str) -> str:
    client: redis.Redis | None = getattr(request.app.state, "health_redis", None)
    if client is None:
        client = redis.Redis.from_url(
            url,
            socket_timeout=CHECK_TIMEOUT_SECONDS,
            socket_connect_timeout=CHECK_TIMEOUT_SECONDS,
        )
        request.app.state.health_redis = client
    try:
        client.ping()
    except Exception as exc:
        log.warning("readiness_failed", check="redis", error_type=type(exc).__name__)
        return f"error: {type(exc).__name__}"
    return "ok"
