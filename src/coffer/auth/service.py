"""Accounts and credentials: registration, sign-in with lockout, tokens, password and
profile changes.

Functions take the caller's session and never commit (coffer.db.session). Two kinds of
write must survive an error that rolls the caller's unit of work back: a failed sign-in
(its counter and audit event) and a detected refresh-token reuse (the revocation). Those
are written through `database.unit_of_work()` before the error is raised.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coffer.audit.models import AuditEvent
from coffer.audit.service import changes, record
from coffer.auth import failures, tokens
from coffer.auth.errors import AccountLocked, InvalidCredentials, InvalidToken, NotAuthenticated
from coffer.auth.models import User
from coffer.auth.passwords import (
    hash_password,
    needs_rehash,
    password_problem,
    spend_verification_time,
    verify_password,
)
from coffer.config import Settings
from coffer.db.base import new_id, utcnow
from coffer.db.session import Database, set_context
from coffer.errors import Conflict, ValidationFailed, field_error
from coffer.tenancy import service as tenancy_service

NAME_MAX = 200
EMAIL_MAX = 320
HOUSEHOLD_SUFFIX = "'s household"


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    family_id: uuid.UUID


# --- lookups ----------------------------------------------------------------------------


def normalise_email(email: str) -> str:
    """Lower-cased and trimmed: one person, one account, however they type it."""
    return email.strip().lower()


def get_user(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


# --- registration and profile -----------------------------------------------------------


def _email_problem(email: str) -> str | None:
    if not email:
        return "Enter your email address."
    if len(email) > EMAIL_MAX:
        return f"Use at most {EMAIL_MAX} characters."
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc)
    return None


def _name_problem(name: str) -> str | None:
    if not name:
        return "Enter your name."
    if len(name) > NAME_MAX:
        return f"Use at most {NAME_MAX} characters."
    return None


def _clean_name(name: str) -> str:
    return " ".join(name.split())


def registration_problems(*, email: str, password: str, name: str) -> list[dict[str, str]]:
    """Every problem of a sign-up form, one {"field", "message"} each (an email already
    taken is found only by register_user)."""
    email, name = normalise_email(email), _clean_name(name)
    problems = {  # in the order a sign-up form asks for them
        "name": _name_problem(name),
        "email": _email_problem(email),
        "password": password_problem(password, email=email, name=name),
    }
    return [{"field": f, "message": m} for f, m in problems.items() if m]


def register_user(session: Session, *, email: str, password: str, name: str) -> User:
    """Create an account with its personal household; the user becomes its owner.

    Every field problem is reported at once, so a form shows them all together.
    """
    email, name = normalise_email(email), _clean_name(name)
    errors = registration_problems(email=email, password=password, name=name)
    if errors:
        raise ValidationFailed(
            "; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors
        )
    if get_user_by_email(session, email) is not None:
        raise _email_taken()
    user = User(
        id=new_id(),
        email=email,
        name=name,
        password_hash=hash_password(password),
        security_stamp=tokens.new_security_stamp(),
        is_active=True,
        failed_login_count=0,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:  # registered concurrently between the check and here
        raise _email_taken() from exc
    set_context(session, user_id=user.id)
    tenant = tenancy_service.create_tenant(session, creator=user, name=_household_name(name))
    user.personal_tenant_id = tenant.id
    record(
        session,
        action="auth.register",
        actor_id=user.id,
        entity_type="user",
        entity_id=user.id,
        new={"email": email, "name": name, "personal_tenant_id": tenant.id},
    )
    return user


def _email_taken() -> Conflict:
    return Conflict(
        "An account with this email address already exists. Sign in instead.",
        errors=[
            {"field": "email", "message": "An account with this email address already exists."}
        ],
    )


def _household_name(name: str) -> str:
    return name[: NAME_MAX - len(HOUSEHOLD_SUFFIX)] + HOUSEHOLD_SUFFIX


def update_profile(session: Session, *, user: User, name: str) -> User:
    name = _clean_name(name)
    problem = _name_problem(name)
    if problem:
        raise field_error("name", problem)
    old, new = changes({"name": user.name}, {"name": name})
    if new:
        user.name = name
        record(
            session,
            action="auth.profile_updated",
            actor_id=user.id,
            entity_type="user",
            entity_id=user.id,
            old=old,
            new=new,
        )
    return user


def change_password(
    session: Session,
    *,
    user: User,
    current_password: str,
    new_password: str,
    now: datetime | None = None,
) -> None:
    """Replace the password, sign out every other session and token.

    The new security stamp invalidates access tokens and browser sessions; every refresh
    family is revoked. The caller issues fresh credentials for the current client.
    """
    now = now or utcnow()
    errors: list[dict[str, str]] = []
    if not verify_password(user.password_hash, current_password):
        errors.append(
            {"field": "current_password", "message": "This is not your current password."}
        )
    problem = password_problem(new_password, email=user.email, name=user.name)
    if problem is None and new_password == current_password:
        problem = "Choose a password different from the current one."
    if problem:
        errors.append({"field": "new_password", "message": problem})
    if errors:
        raise ValidationFailed(
            "; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors
        )
    user.password_hash = hash_password(new_password)
    user.security_stamp = tokens.new_security_stamp()
    tokens.revoke_all_families(session, user_id=user.id, now=now)
    record(
        session,
        action="auth.password_changed",
        actor_id=user.id,
        entity_type="user",
        entity_id=user.id,
    )


# --- sign-in and lockout ----------------------------------------------------------------


def authenticate(
    session: Session,
    *,
    database: Database,
    settings: Settings,
    email: str,
    password: str,
    now: datetime | None = None,
) -> User:
    """The user these credentials belong to, or an error.

    A locked account is refused even with the right password, and without checking it.
    Failures are counted and audited in their own unit of work (`database`), because the
    error raised here rolls the caller's unit of work back.
    """
    now = now or utcnow()
    user = get_user_by_email(session, email)
    if user is None:
        spend_verification_time(password)
        failures.record_failure(database, user_id=None, reason="unknown_email")
        raise InvalidCredentials()
    if user.locked_until is not None and user.locked_until > now:
        failures.record_failure(database, user_id=user.id, reason="locked")
        raise AccountLocked(seconds=(user.locked_until - now).total_seconds())
    if not verify_password(user.password_hash, password):
        locked_until = failures.count_failure(database, settings=settings, user_id=user.id, now=now)
        if locked_until is not None:
            raise AccountLocked(seconds=(locked_until - now).total_seconds())
        raise InvalidCredentials()
    if not user.is_active:
        raise NotAuthenticated("This account has been deactivated.")
    _sign_in(session, user=user, password=password, now=now)
    return user


def _sign_in(session: Session, *, user: User, password: str, now: datetime) -> None:
    set_context(session, user_id=user.id)
    user.failed_login_count = 0
    user.locked_until = None
    user.last_login_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    record(session, action="auth.login", actor_id=user.id, entity_type="user", entity_id=user.id)


# --- tokens -----------------------------------------------------------------------------


def issue_token_pair(
    session: Session,
    *,
    user: User,
    settings: Settings,
    family_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> IssuedTokens:
    """An access token and a refresh token; a new family unless one is given."""
    now = now or utcnow()
    family_id = family_id or new_id()
    refresh_token = tokens.add_refresh_token(
        session, settings=settings, user_id=user.id, family_id=family_id, now=now
    )
    access_token, expires_in = tokens.create_access_token(
        settings, user=user, family_id=family_id, now=now
    )
    return IssuedTokens(access_token, refresh_token, expires_in, family_id)


def refresh(
    session: Session,
    *,
    database: Database,
    settings: Settings,
    refresh_token: str,
    now: datetime | None = None,
) -> IssuedTokens:
    """Spend a refresh token for the next pair of its family.

    A token already spent or revoked revokes its whole family (written through
    `database`, since the error raised here rolls the caller's unit of work back).
    """
    now = now or utcnow()
    row = tokens.find_refresh_token(session, refresh_token)
    if row is None:
        raise InvalidToken("The refresh token is not valid.")
    if row.used_at is not None or row.revoked_at is not None:
        failures.revoke_reused_family(database, token=row, now=now)
    if row.expires_at <= now:
        raise InvalidToken("The refresh token has expired; sign in again.")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise InvalidToken("The refresh token is not valid.")
    # On PostgreSQL a concurrent refresh with the same token waits for the winner and then
    # matches no row; on SQLite the loser's write fails as busy (answered 503) instead.
    if not tokens.spend_refresh_token(session, token_id=row.id, now=now):
        failures.revoke_reused_family(database, token=row, now=now)
    set_context(session, user_id=user.id)
    return issue_token_pair(session, user=user, settings=settings, family_id=row.family_id, now=now)


def logout(
    session: Session,
    *,
    user: User,
    family_id: uuid.UUID | None = None,
    refresh_token: str | None = None,
    now: datetime | None = None,
) -> None:
    """Revoke the family of the access token in use and, if given, of a refresh token."""
    now = now or utcnow()
    families = {family_id} if family_id is not None else set()
    if refresh_token:
        row = tokens.find_refresh_token(session, refresh_token)
        if row is not None and row.user_id == user.id:
            families.add(row.family_id)
    for family in families:
        tokens.revoke_family(session, family_id=family, now=now)
    record(session, action="auth.logout", actor_id=user.id, entity_type="user", entity_id=user.id)


def user_for_access_token(session: Session, claims: tokens.AccessClaims) -> User:
    """The active user an access token still speaks for; InvalidToken otherwise."""
    # One round trip: the user with the state of the token's refresh family.
    found = session.execute(
        select(
            User, *tokens.family_state(user_id=claims.user_id, family_id=claims.family_id)
        ).where(User.id == claims.user_id)
    ).one_or_none()
    if found is None or not found[0].is_active:
        raise InvalidToken("The access token is not valid.")
    user, tokens_in_family, revoked_in_family = found
    if tokens.stamp_prefix(user.security_stamp) != claims.stamp:
        raise InvalidToken("The password changed since this token was issued; sign in again.")
    if not tokens_in_family or revoked_in_family:
        raise InvalidToken("This session has been signed out; sign in again.")
    return user


def user_for_browser_session(session: Session, *, user_id: uuid.UUID, stamp: str) -> User | None:
    """The user of a browser session, or None when the session is no longer valid."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    if tokens.stamp_prefix(user.security_stamp) != stamp:
        return None
    return user


def browser_stamp(user: User) -> str:
    """What a browser session keeps to notice a later password change."""
    return tokens.stamp_prefix(user.security_stamp)


def record_browser_logout(session: Session, *, user: User) -> None:
    record(session, action="auth.logout", actor_id=user.id, entity_type="user", entity_id=user.id)


def recent_security_events(session: Session, *, user: User, limit: int = 20) -> list[AuditEvent]:
    """The person's own sign-ins, failures and credential changes, newest first."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.tenant_id.is_(None), AuditEvent.actor_id == user.id)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
