"""The error hierarchy of coffer.errors, mapped to RFC 9457 problem+json for the API
and to an HTML page for browsers. No stack trace ever reaches a client: unexpected
errors are logged with the request id and answered with a generic 500 naming that id.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from coffer.errors import CofferError, SignInRequired, Unavailable, ValidationFailed

log = structlog.get_logger("coffer.errors")

PROBLEM_JSON = "application/problem+json"


def problem(
    request: Request,
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/health", "/metrics")):
        return False
    return "text/html" in request.headers.get("accept", "")


def _respond(
    request: Request,
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    # The app factory registers the page renderer on app.state, so this module imports
    # no template code.
    renderer = getattr(request.app.state, "html_error_renderer", None)
    if renderer is not None and _wants_html(request):
        response: Response = renderer(request, status=status, title=title, detail=detail)
        if headers:
            response.headers.update(headers)
        return response
    return problem(
        request,
        status=status,
        slug=slug,
        title=title,
        detail=detail,
        errors=errors,
        headers=headers,
    )


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(part) for part in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:] or parts
    return ".".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        # htmx would follow a redirect inside the XHR and swap the sign-in page into a
        # fragment; HX-Redirect makes it load the page as a whole instead.
        if request.headers.get("hx-request"):
            return Response(status_code=200, headers={"HX-Redirect": exc.location})
        return RedirectResponse(exc.location, status_code=303)

    @app.exception_handler(CofferError)
    async def _coffer(request: Request, exc: CofferError) -> Response:
        return _respond(
            request,
            status=exc.status,
            slug=exc.slug,
            title=exc.title,
            detail=exc.detail,
            errors=exc.errors,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": _location(tuple(err.get("loc", ()))), "message": str(err.get("msg", ""))}
            for err in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "Invalid request"
        return _respond(
            request,
            status=422,
            slug=ValidationFailed.slug,
            title=ValidationFailed.title,
            detail=detail,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {404: "Not found", 405: "Method not allowed", 401: "Sign-in required"}
        return _respond(
            request,
            status=exc.status_code,
            slug={404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http"),
            title=titles.get(exc.status_code, "Request failed"),
            detail=str(exc.detail),
            headers=dict(exc.headers or {}),
        )

    @app.exception_handler(OperationalError)
    async def _busy(request: Request, exc: OperationalError) -> Response:
        if "locked" in str(exc.orig).lower() or "busy" in str(exc.orig).lower():
            return _respond(
                request,
                status=503,
                slug=Unavailable.slug,
                title=Unavailable.title,
                detail="The database is busy; please retry.",
                headers={"Retry-After": "1"},
            )
        return await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.error("unhandled_error", error_type=type(exc).__name__, exc_info=exc)
        request_id = getattr(request.state, "request_id", "-")
        return _respond(
            request,
            status=500,
            slug="internal",
            title="Something went wrong",
            detail=f"An unexpected error occurred. Reference: {request_id}.",
        )
