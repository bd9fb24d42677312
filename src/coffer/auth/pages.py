"""Sign-up, sign-in, sign-out and profile pages: thin routes over coffer.auth.service.

Every POST is CSRF-checked by the router. A form with problems comes back with the
values typed (never a password), each problem beside its field, and status 422.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from coffer.auth import service
from coffer.auth.deps import (
    SESSION_STAMP,
    OptionalPageUser,
    PageUser,
    end_browser_session,
    safe_next,
    start_browser_session,
)
from coffer.auth.errors import AccountLocked, NotAuthenticated
from coffer.auth.models import User
from coffer.errors import CofferError, Conflict, ValidationFailed
from coffer.tenancy.deps import PageTenant
from coffer.web.csrf import verify_csrf
from coffer.web.deps import DatabaseDep, SessionDep, SettingsDep
from coffer.web.ratelimit import hit_auth_limit, limit_auth
from coffer.web.templating import flash, render

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)

T = TypeVar("T")
FORM_ERROR = "_form"
FormText = Annotated[str, Form()]
PASSWORDS_DIFFER = "The two passwords do not match."
NEW_PASSWORDS_DIFFER = "The two new passwords do not match."

# What each personal audit action means to the person reading their own history.
EVENT_LABELS = {
    "auth.register": "Account created",
    "auth.login": "Signed in",
    "auth.login_failed": "Unsuccessful sign-in attempt",
    "auth.locked": "Account locked after repeated unsuccessful attempts",
    "auth.logout": "Signed out",
    "auth.password_changed": "Password changed",
    "auth.profile_updated": "Profile updated",
    "auth.refresh_reuse": "A sign-in token was used twice; its sessions were signed out",
}


def _errors_by_field(exc: CofferError) -> dict[str, str]:
    if exc.errors:
        return {e["field"]: e["message"] for e in exc.errors}
    return {FORM_ERROR: exc.detail}


def _attempt(session: Session, call: Callable[[], T]) -> tuple[T | None, dict[str, str]]:
    """Run a service call in a savepoint: bad input undoes whatever it wrote and comes
    back as errors by field, while the request's unit of work stays usable for the page."""
    try:
        with session.begin_nested():
            return call(), {}
    except (ValidationFailed, Conflict) as exc:
        return None, _errors_by_field(exc)


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- sign-up ----------------------------------------------------------------------------


@router.get("/signup", response_class=HTMLResponse)
def signup_form(request: Request, user: OptionalPageUser, next: str = "/") -> Response:
    if user is not None:
        return _redirect(safe_next(next))
    return _render_signup(request, form={}, errors={}, next_url=safe_next(next))


def _render_signup(
    request: Request,
    *,
    form: dict[str, str],
    errors: dict[str, str],
    next_url: str,
    status_code: int = 200,
) -> HTMLResponse:
    context = {"form": form, "errors": errors, "next": next_url}
    return render(request, "auth/signup.html", context, status_code=status_code)


@router.post(
    "/signup", response_class=HTMLResponse, dependencies=[Depends(limit_auth("auth.register"))]
)
def signup(
    request: Request,
    session: SessionDep,
    email: FormText = "",
    name: FormText = "",
    password: FormText = "",
    password_confirm: FormText = "",
    next: FormText = "/",
) -> Response:
    form, next_url = {"email": email, "name": name}, safe_next(next)
    if password_confirm != password:
        # Nothing is created, but the other fields' problems are shown at the same time.
        problems = service.registration_problems(email=email, password=password, name=name)
        errors = {p["field"]: p["message"] for p in problems}
        errors["password_confirm"] = PASSWORDS_DIFFER
        return _render_signup(request, form=form, errors=errors, next_url=next_url, status_code=422)
    user, errors = _attempt(
        session,
        lambda: service.register_user(session, email=email, password=password, name=name),
    )
    if user is None:
        return _render_signup(request, form=form, errors=errors, next_url=next_url, status_code=422)
    start_browser_session(request, user)
    flash(request, "success", f"Welcome to Coffer, {user.name}. Your household is ready.")
    return _redirect(next_url)


# --- sign-in and sign-out ---------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, user: OptionalPageUser, next: str = "/") -> Response:
    if user is not None:
        return _redirect(safe_next(next))
    return _render_login(request, email="", errors={}, next_url=safe_next(next))


def _render_login(
    request: Request,
    *,
    email: str,
    errors: dict[str, str],
    next_url: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    context = {"form": {"email": email}, "errors": errors, "next": next_url}
    response = render(request, "auth/login.html", context, status_code=status_code)
    response.headers.update(headers or {})
    return response


@router.post(
    "/login", response_class=HTMLResponse, dependencies=[Depends(limit_auth("auth.login"))]
)
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    database: DatabaseDep,
    email: FormText = "",
    password: FormText = "",
    next: FormText = "/",
) -> Response:
    next_url = safe_next(next)
    hit_auth_limit(request, "auth.login.email", service.normalise_email(email))
    try:
        user = service.authenticate(
            session, database=database, settings=settings, email=email, password=password
        )
    except AccountLocked as exc:
        return _render_login(
            request,
            email=email,
            errors={FORM_ERROR: exc.detail},
            next_url=next_url,
            status_code=exc.status,
            headers=exc.headers,
        )
    except NotAuthenticated as exc:
        return _render_login(
            request,
            email=email,
            errors={FORM_ERROR: exc.detail},
            next_url=next_url,
            status_code=422,
        )
    start_browser_session(request, user)
    flash(request, "success", f"Welcome back, {user.name}.")
    return _redirect(next_url)


@router.post("/logout")
def logout(request: Request, session: SessionDep, user: OptionalPageUser) -> Response:
    if user is not None:
        service.record_browser_logout(session, user=user)
    end_browser_session(request)
    flash(request, "info", "You have signed out.")
    return _redirect("/login")


# --- profile ----------------------------------------------------------------------------


def _render_profile(
    request: Request,
    session: Session,
    user: User,
    *,
    name_form: dict[str, str] | None = None,
    name_errors: dict[str, str] | None = None,
    password_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    events = service.recent_security_events(session, user=user)
    context: dict[str, Any] = {
        "active_nav": "profile",
        "user": user,
        "name_form": name_form or {"name": user.name},
        "name_errors": name_errors or {},
        "password_errors": password_errors or {},
        "events": [(event, EVENT_LABELS.get(event.action, event.action)) for event in events],
    }
    return render(request, "auth/profile.html", context, status_code=status_code)


@router.get("/profile", response_class=HTMLResponse)
def profile(request: Request, session: SessionDep, user: PageUser, _tenant: PageTenant) -> Response:
    return _render_profile(request, session, user)


@router.post("/profile", response_class=HTMLResponse)
def update_profile(
    request: Request,
    session: SessionDep,
    user: PageUser,
    _tenant: PageTenant,
    name: FormText = "",
) -> Response:
    _, errors = _attempt(session, lambda: service.update_profile(session, user=user, name=name))
    if errors:
        return _render_profile(
            request, session, user, name_form={"name": name}, name_errors=errors, status_code=422
        )
    flash(request, "success", "Your profile has been saved.")
    return _redirect("/profile")


@router.post(
    "/profile/password",
    response_class=HTMLResponse,
    dependencies=[Depends(limit_auth("auth.password"))],
)
def change_password(
    request: Request,
    session: SessionDep,
    user: PageUser,
    _tenant: PageTenant,
    current_password: FormText = "",
    new_password: FormText = "",
    new_password_confirm: FormText = "",
) -> Response:
    errors: dict[str, str] = {}
    if new_password_confirm != new_password:
        errors["new_password_confirm"] = NEW_PASSWORDS_DIFFER
    else:
        _, errors = _attempt(
            session,
            lambda: service.change_password(
                session, user=user, current_password=current_password, new_password=new_password
            ),
        )
    if errors:
        return _render_profile(request, session, user, password_errors=errors, status_code=422)
    # The new stamp signs out every other browser; this one stays signed in.
    request.session[SESSION_STAMP] = service.browser_stamp(user)
    flash(request, "success", "Your password has been changed. Other devices have been signed out.")
    return _redirect("/profile")
