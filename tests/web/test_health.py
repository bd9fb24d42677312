"""Liveness, readiness (database and Redis) and the Prometheus endpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from coffer import __version__


def test_liveness(plain_client: TestClient) -> None:
    response = plain_client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__}


def test_ready_when_the_database_answers(client: TestClient, backend: str) -> None:
    response = client.get("/health/ready")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "checks": {"database": "ok"}}


def test_not_ready_when_the_database_is_unreachable(make_client: Any, tmp_path: Path) -> None:
    # A SQLite file inside a directory that does not exist cannot be opened. (The app's
    # startup needs the database, so the check is made on an app that skipped it, as a
    # process whose database went away after it started.)
    client = make_client(database_url=f"sqlite:///{tmp_path}/missing/dir/coffer.db", lifespan=False)
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 503
    assert body["type"] == "/problems/unavailable"
    assert body["checks"]["database"].startswith("error")
    assert "database" in body["detail"]
    assert "missing/dir" not in response.text  # no connection details leak


def test_not_ready_when_postgresql_is_unreachable(make_client: Any) -> None:
    client = make_client(database_url="postgresql://nobody:secret@127.0.0.1:1/none", lifespan=False)
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "error: OperationalError"}
    assert "secret" not in response.text


def test_not_ready_when_redis_is_unreachable(make_client: Any) -> None:
    client = make_client(redis_url="redis://127.0.0.1:1/0")
    response = client.get("/health/ready")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == "ok"
    assert checks["redis"].startswith("error")
    assert "redis" in response.json()["detail"]


def test_metrics_expose_the_request_histogram(plain_client: TestClient) -> None:
    plain_client.get("/health")
    response = plain_client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert any(
        line.startswith("coffer_http_request_duration_seconds_bucket")
        and 'route="/health"' in line
        and 'method="GET"' in line
        and 'status="200"' in line
        for line in lines
    )


def test_metrics_label_routes_by_their_whole_template(plain_client: TestClient) -> None:
    plain_client.get("/api/v1/auth/me")  # 401 without a token; labelled all the same
    text = plain_client.get("/metrics").text
    assert 'route="/api/v1/auth/me",status="401"' in text


def test_metrics_route_label_is_the_template_not_the_path(plain_client: TestClient) -> None:
    plain_client.get("/static/vendor/htmx.min.js")
    text = plain_client.get("/metrics").text
    assert 'route="/static"' in text
    assert "htmx.min.js" not in text
