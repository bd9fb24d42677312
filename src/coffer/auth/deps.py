"""Who is asking: `CurrentUser` for the API (bearer access token), `PageUser` and
`OptionalPageUser` for pages (the signed session cookie).

Each dependency also records the user in the database context, so on PostgreSQL the
row-level security policies of the request's transaction see who is acting.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from coffer.auth import service
from coffer.auth.errors import NotAuthenticated
from coffer.auth.models import User
from coffer.auth.tokens import AccessClaims, decode_access_token
from coffer.db.session import set_context
from coffer.errors import SignInRequired
from coffer.web.deps import SessionDep, SettingsDep
from coffer.web.templating import add_page_context

# Keys of the browser session (Starlette's signed cookie) set at sign-in.
SESSION_USER = "uid"
SESSION_STAMP = "stamp"
SESSION_TENANT = "tenant_id"
LOGIN_PATH = "/login"

_bearer = HTTPBearer(auto_error=False, description="An access token from /api/v1/auth/login.")


@dataclass(frozen=True, slots=True)
class Access:
    """The user behind a request's bearer token, with the token's claims."""

    user: User
    claims: AccessClaims


@dataclass(frozen=True, slots=True)
class PageIdentity:
    """What the layout shows of the signed-in user, copied out of the ORM object: an
    error page renders after the request's transaction rolled back, when the User row
    is expired and can no longer be read."""

    id: uuid.UUID
    name: str
    email: str


def _act_as(request: Request, session: Session, user: User) -> None:
    set_context(session, user_id=user.id)
    request.state.user = user


def get_access(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Access:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotAuthenticated("Sign in and send the access token as 'Authorization: Bearer'.")
    claims = decode_access_token(settings, credentials.credentials)
    user = service.user_for_access_token(session, claims)
    _act_as(request, session, user)
    return Access(user=user, claims=claims)


AccessDep = Annotated[Access, Depends(get_access)]


async def get_current_user(access: AccessDep) -> User:
    return access.user


CurrentUser = Annotated[User, Depends(get_current_user)]


# --- pages ------------------------------------------------------------------------------


def _session_user_id(request: Request) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(request.session.get(SESSION_USER)))
    except ValueError:
        return None


def _browser_user(request: Request, session: Session) -> User | None:
    user_id, stamp = _session_user_id(request), request.session.get(SESSION_STAMP)
    if user_id is None or not stamp:
        return None
    user = service.user_for_browser_session(session, user_id=user_id, stamp=str(stamp))
    if user is None:
        # A stale session (password changed, account gone): forget it in the cookie too.
        end_browser_session(request)
    return user


def get_optional_page_user(request: Request, session: SessionDep) -> User | None:
    user = _browser_user(request, session)
    if user is not None:
        _act_as(request, session, user)
        add_page_context(request, current_user=PageIdentity(user.id, user.name, user.email))
    return user


def get_page_user(
    request: Request, user: Annotated[User | None, Depends(get_optional_page_user)]
) -> User:
    if user is None:
        raise SignInRequired("Please sign in to continue.", location=login_url(request))
    return user


OptionalPageUser = Annotated[User | None, Depends(get_optional_page_user)]
PageUser = Annotated[User, Depends(get_page_user)]


def login_url(request: Request) -> str:
    """The sign-in page, returning here afterwards (for GET; a form post cannot be replayed)."""
    target = request.url.path
    if request.method == "GET" and request.url.query:
        target += "?" + request.url.query
    if target in ("/", LOGIN_PATH):
        return LOGIN_PATH
    return f"{LOGIN_PATH}?next={quote(target, safe='/')}"


def safe_next(value: str | None, default: str = "/") -> str:
    """A same-site path to continue to; anything else (other hosts, schemes) is ignored."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(ch in value for ch in "\r\n\t\\"):
        return default
    return value


def start_browser_session(request: Request, user: User) -> None:
    """Sign this browser in. The old session content is dropped first, so nothing set
    before sign-in (by anyone who planted a cookie) carries over into it."""
    request.session.clear()
    request.session[SESSION_USER] = str(user.id)
    request.session[SESSION_STAMP] = service.browser_stamp(user)
    if user.personal_tenant_id is not None:
        request.session[SESSION_TENANT] = str(user.personal_tenant_id)


def end_browser_session(request: Request) -> None:
    request.session.clear()
