"""Every failure answers RFC 9457 problem+json, and none shows a stack trace."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

PROBLEM_FIELDS = {"type", "title", "status", "detail"}


class Payment(BaseModel):
    amount: str = Field(pattern=r"^-?\d+(\.\d+)?$")
    currency: str = Field(min_length=3, max_length=3)


def _failing_routes(app: FastAPI) -> None:
    router = APIRouter()

    @router.get("/api/v1/test/boom")
    def boom() -> None:
        raise RuntimeError("secret internals: /srv/coffer/db password=hunter2")

    @router.post("/api/v1/test/payments")
    def pay(payment: Payment) -> Payment:
        return payment

    app.include_router(router)


def test_unknown_route_is_a_problem_404(plain_client: TestClient) -> None:
    response = plain_client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body.keys() >= PROBLEM_FIELDS
    assert body["status"] == 404
    assert body["type"] == "/problems/not-found"
    assert body["request_id"] == response.headers["x-request-id"]


def test_wrong_method_is_a_problem_405(plain_client: TestClient) -> None:
    response = plain_client.delete("/health")
    assert response.status_code == 405
    assert response.json()["type"] == "/problems/method-not-allowed"


def test_validation_errors_name_each_field(make_client: Any) -> None:
    client = make_client(_failing_routes)
    response = client.post("/api/v1/test/payments", json={"amount": "12,50", "currency": "EURO"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body.keys() >= PROBLEM_FIELDS
    assert {error["field"] for error in body["errors"]} == {"amount", "currency"}
    assert all(error["message"] for error in body["errors"])


def test_missing_body_field_is_named(make_client: Any) -> None:
    client = make_client(_failing_routes)
    response = client.post("/api/v1/test/payments", json={"currency": "EUR"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["amount"]


def test_unexpected_error_is_a_500_without_internals(make_client: Any) -> None:
    client = make_client(_failing_routes)
    response = client.get("/api/v1/test/boom", headers={"X-Request-ID": "trace-me-42"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body.keys() >= PROBLEM_FIELDS
    assert body["request_id"] == "trace-me-42"
    assert "trace-me-42" in body["detail"]
    for leak in ("Traceback", "RuntimeError", "hunter2", "/srv/coffer", 'File "'):
        assert leak not in response.text
    # The middleware still marks the answer, so the id can be found in the logs.
    assert response.headers["x-request-id"] == "trace-me-42"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_unexpected_error_on_a_page_hides_internals_too(make_client: Any) -> None:
    def page_route(app: FastAPI) -> None:
        @app.get("/test/page-boom")
        def page_boom() -> None:
            raise RuntimeError("hidden detail")

    client = make_client(page_route)
    response = client.get("/test/page-boom", headers={"Accept": "text/html"})
    assert response.status_code == 500
    assert "hidden detail" not in response.text
    assert "Traceback" not in response.text
    assert response.headers["x-request-id"] in response.text
