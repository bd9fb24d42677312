"""Authentication API under /api/v1/auth: thin routes over coffer.auth.service."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from coffer.auth import service
from coffer.auth.deps import AccessDep, CurrentUser
from coffer.auth.models import User
from coffer.auth.schemas import (
    LoginRequest,
    LogoutRequest,
    PasswordChange,
    ProfileUpdate,
    RefreshRequest,
    RegisterRequest,
    TokenPair,
    UserRead,
)
from coffer.web.deps import DatabaseDep, SessionDep, SettingsDep
from coffer.web.ratelimit import hit_auth_limit, limit_auth

router = APIRouter(prefix="/auth", tags=["auth"])


def _token_pair(issued: service.IssuedTokens, response: Response) -> TokenPair:
    # RFC 6749 §5.1: responses carrying tokens must not be stored by any cache.
    response.headers["Cache-Control"] = "no-store"
    return TokenPair(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_in=issued.expires_in,
    )


@router.post(
    "/register",
    status_code=201,
    response_model=UserRead,
    dependencies=[Depends(limit_auth("auth.register"))],
)
def register(body: RegisterRequest, session: SessionDep) -> User:
    return service.register_user(session, email=body.email, password=body.password, name=body.name)


@router.post("/login", response_model=TokenPair, dependencies=[Depends(limit_auth("auth.login"))])
def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    database: DatabaseDep,
) -> TokenPair:
    # Per account as well as per address: guessing one person's password from many
    # addresses is slowed down too.
    hit_auth_limit(request, "auth.login.email", service.normalise_email(body.email))
    user = service.authenticate(
        session, database=database, settings=settings, email=body.email, password=body.password
    )
    return _token_pair(service.issue_token_pair(session, user=user, settings=settings), response)


@router.post(
    "/refresh", response_model=TokenPair, dependencies=[Depends(limit_auth("auth.refresh"))]
)
def refresh(
    body: RefreshRequest,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    database: DatabaseDep,
) -> TokenPair:
    issued = service.refresh(
        session, database=database, settings=settings, refresh_token=body.refresh_token
    )
    return _token_pair(issued, response)


@router.post("/logout", status_code=204, response_model=None)
def logout(access: AccessDep, session: SessionDep, body: LogoutRequest | None = None) -> Response:
    service.logout(
        session,
        user=access.user,
        family_id=access.claims.family_id,
        refresh_token=body.refresh_token if body else None,
    )
    return Response(status_code=204)


@router.get("/me", response_model=UserRead)
async def read_me(user: CurrentUser) -> User:
    return user


@router.patch("/me", response_model=UserRead)
def update_me(body: ProfileUpdate, user: CurrentUser, session: SessionDep) -> User:
    return service.update_profile(session, user=user, name=body.name)


@router.post(
    "/password", response_model=TokenPair, dependencies=[Depends(limit_auth("auth.password"))]
)
def change_password(
    body: PasswordChange,
    response: Response,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> TokenPair:
    """Change the password; every other session is signed out, this client gets new tokens."""
    service.change_password(
        session, user=user, current_password=body.current_password, new_password=body.new_password
    )
    return _token_pair(service.issue_token_pair(session, user=user, settings=settings), response)
