"""Request ids, client addresses, security headers, the session cookie and /api/docs."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.testclient import TestClient

from coffer.context import request_meta
from coffer.web.middleware import CONTENT_SECURITY_POLICY, SESSION_COOKIE

EXPECTED_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}


def _echo_router() -> APIRouter:
    """Answers with what the request context saw, to test the middleware from inside."""
    router = APIRouter()

    @router.get("/test/meta")
    def meta(request: Request) -> dict[str, Any]:
        current = request_meta.get()
        return {
            "request_id": current.request_id,
            "ip": current.ip,
            "user_agent": current.user_agent,
            "state_request_id": request.state.request_id,
        }

    @router.get("/test/session")
    def touch_session(request: Request) -> dict[str, str]:
        request.session["seen"] = "yes"
        return {"ok": "yes"}

    return router


def _with_echo(app: FastAPI) -> None:
    app.include_router(_echo_router())


def test_request_id_is_generated_and_returned(plain_client: TestClient) -> None:
    first = plain_client.get("/health")
    second = plain_client.get("/health")
    assert re.fullmatch(r"[0-9a-f]{32}", first.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


def test_safe_incoming_request_id_is_kept_and_reaches_the_context(make_client: Any) -> None:
    client = make_client(_with_echo)
    response = client.get("/test/meta", headers={"X-Request-ID": "proxy-abc.123"})
    assert response.headers["x-request-id"] == "proxy-abc.123"
    assert response.json()["request_id"] == "proxy-abc.123"
    assert response.json()["state_request_id"] == "proxy-abc.123"


@pytest.mark.parametrize(
    "incoming", ["x" * 65, "has space", "semi;colon", "new\tline", "<script>", "é-accent"]
)
def test_unsafe_incoming_request_id_is_replaced(plain_client: TestClient, incoming: str) -> None:
    response = plain_client.get("/health", headers={"X-Request-ID": incoming.encode("utf-8")})
    assert response.headers["x-request-id"] != incoming
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


def test_security_headers_on_json_responses(plain_client: TestClient) -> None:
    response = plain_client.get("/health")
    for name, value in EXPECTED_HEADERS.items():
        assert response.headers[name] == value
    assert "permissions-policy" in response.headers
    assert "strict-transport-security" not in response.headers


def test_security_headers_on_html_and_error_responses(plain_client: TestClient) -> None:
    page = plain_client.get("/api/docs")
    missing = plain_client.get("/no/such/page", headers={"Accept": "text/html"})
    static = plain_client.get("/static/vendor/htmx.min.js")
    assert page.headers["content-type"].startswith("text/html")
    for response in (page, missing, static):
        for name, value in EXPECTED_HEADERS.items():
            assert response.headers[name] == value, (response.url, name)
        assert response.headers["x-request-id"]


def test_hsts_only_when_served_over_https(make_client: Any) -> None:
    client = make_client(https=True)
    response = client.get("/health")
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_session_cookie_is_httponly_lax_and_secure_behind_tls(make_client: Any) -> None:
    plain = make_client(_with_echo).get("/test/session").headers["set-cookie"]
    secure = make_client(_with_echo, https=True).get("/test/session").headers["set-cookie"]
    assert plain.startswith(f"{SESSION_COOKIE}=")
    assert "httponly" in plain.lower()
    assert "samesite=lax" in plain.lower()
    assert "secure" not in plain.lower()
    assert "secure" in secure.lower()


def test_forwarded_for_ignored_from_untrusted_peer(make_client: Any) -> None:
    client = make_client(_with_echo)  # TestClient's peer is "testclient", trusted by no one
    response = client.get("/test/meta", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.json()["ip"] == "testclient"


def test_forwarded_for_believed_from_trusted_proxy(make_client: Any) -> None:
    client = make_client(_with_echo, trusted_proxies=["10.0.0.0/8"])
    client_with_proxy_peer = TestClient(
        client.app, client=("10.1.2.3", 50000), raise_server_exceptions=False
    )
    # The leftmost entry was written by the client itself; the nearest untrusted hop wins.
    response = client_with_proxy_peer.get(
        "/test/meta",
        headers={"X-Forwarded-For": "198.51.100.7, 203.0.113.9, 10.0.0.5", "User-Agent": "ua/1"},
    )
    assert response.json()["ip"] == "203.0.113.9"
    assert response.json()["user_agent"] == "ua/1"


def test_docs_page_loads_only_local_scripts_and_styles(plain_client: TestClient) -> None:
    page = plain_client.get("/api/docs")
    assert page.status_code == 200
    html = page.text
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts, "the docs page should load Swagger UI"
    for tag in scripts:
        src = re.search(r'src="([^"]+)"', tag)
        assert src is not None, f"inline script would break script-src 'self': {tag}"
        assert src.group(1).startswith("/"), src.group(1)
    assert re.search(r"<script\b[^>]*>\s*[^<\s]", html) is None  # no inline code at all
    for href in re.findall(r'href="([^"]+)"', html):
        assert href.startswith("/"), href
    assert "style=" not in html
    assert "<style" not in html
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert plain_client.get(url).status_code == 200, url
    spec = plain_client.get(re.search(r'data-openapi-url="([^"]+)"', html).group(1))  # type: ignore[union-attr]
    assert spec.json()["info"]["title"] == "Coffer"


def test_unmatched_paths_share_one_metrics_label(plain_client: TestClient) -> None:
    for n in range(3):
        plain_client.get(f"/scan/{n}")
    metrics = plain_client.get("/metrics").text
    assert 'route="<unmatched>"' in metrics
    assert "/scan/1" not in metrics
