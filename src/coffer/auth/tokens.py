"""Access and refresh tokens.

Access tokens are short-lived JWTs the API checks without a database round trip for the
signature; each names its refresh family (`fam`) and a prefix of the user's security
stamp (`stp`), so signing out revokes a family's access tokens and a password change
revokes them all.

Refresh tokens are opaque random strings; only their SHA-256 is stored. Each use spends
the token and issues the next one of the same family. A spent token presented again
means two parties hold the family (one of them a thief), so the whole family dies.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import ScalarSelect

from coffer.auth.errors import InvalidToken
from coffer.auth.models import RefreshToken, User
from coffer.config import Settings
from coffer.db.base import new_id

ALGORITHM = "HS256"
ACCESS_TYPE = "access"
STAMP_PREFIX_LENGTH = 16
REQUIRED_CLAIMS = ["sub", "iat", "exp", "typ", "fam", "stp"]


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: uuid.UUID
    family_id: uuid.UUID
    stamp: str
    expires_at: datetime


def new_security_stamp() -> str:
    return secrets.token_hex(32)


def stamp_prefix(security_stamp: str) -> str:
    """Enough of the stamp to notice it changed, without handing the whole of it out."""
    return security_stamp[:STAMP_PREFIX_LENGTH]


def create_access_token(
    settings: Settings, *, user: User, family_id: uuid.UUID, now: datetime
) -> tuple[str, int]:
    """The signed token and its lifetime in seconds."""
    lifetime = timedelta(minutes=settings.access_token_minutes)
    claims: dict[str, Any] = {
        "sub": str(user.id),
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "typ": ACCESS_TYPE,
        "fam": str(family_id),
        "stp": stamp_prefix(user.security_stamp),
    }
    token = jwt.encode(claims, settings.resolved_secret_key(), algorithm=ALGORITHM)
    return token, int(lifetime.total_seconds())


def decode_access_token(settings: Settings, token: str) -> AccessClaims:
    """Check signature, expiry and shape; raise InvalidToken for anything wrong."""
    try:
        claims = jwt.decode(
            token,
            settings.resolved_secret_key(),
            algorithms=[ALGORITHM],
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("The access token has expired; refresh it or sign in again.") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken("The access token is not valid.") from exc
    if claims.get("typ") != ACCESS_TYPE:
        raise InvalidToken("The access token is not valid.")
    try:
        return AccessClaims(
            user_id=uuid.UUID(str(claims["sub"])),
            family_id=uuid.UUID(str(claims["fam"])),
            stamp=str(claims["stp"]),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=UTC),
        )
    except (ValueError, TypeError) as exc:
        raise InvalidToken("The access token is not valid.") from exc


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_refresh_token(
    session: Session, *, settings: Settings, user_id: uuid.UUID, family_id: uuid.UUID, now: datetime
) -> str:
    """Store a new token of the family and return its plain value (shown to the client once)."""
    token = secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            id=new_id(),
            user_id=user_id,
            family_id=family_id,
            token_hash=hash_refresh_token(token),
            created_at=now,
            expires_at=now + timedelta(days=settings.refresh_token_days),
        )
    )
    return token


def find_refresh_token(session: Session, token: str) -> RefreshToken | None:
    return session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == hash_refresh_token(token))
    )


def spend_refresh_token(session: Session, *, token_id: uuid.UUID, now: datetime) -> bool:
    """Mark a token used; False when it was already used or revoked.

    A conditional UPDATE rather than read-then-write: of two requests racing with the
    same token, exactly one wins, and the other is treated as reuse.
    """
    result = session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.id == token_id,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def revoke_family(session: Session, *, family_id: uuid.UUID, now: datetime) -> None:
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )


def revoke_all_families(session: Session, *, user_id: uuid.UUID, now: datetime) -> None:
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )


def family_state(
    *, user_id: uuid.UUID, family_id: uuid.UUID
) -> tuple[ScalarSelect[int], ScalarSelect[int]]:
    """Two scalar subqueries: how many tokens the family has, and how many are revoked;
    to select beside the user, so one query checks both (see `family_is_active`)."""
    mine = (RefreshToken.family_id == family_id, RefreshToken.user_id == user_id)
    total = select(func.count()).where(*mine).scalar_subquery()
    revoked = select(func.count(RefreshToken.revoked_at)).where(*mine).scalar_subquery()
    return total, revoked


def family_is_active(session: Session, *, user_id: uuid.UUID, family_id: uuid.UUID) -> bool:
    """A family lives while it has tokens of this user and none of them is revoked.

    Revocation marks every token of a family, so one revoked row means the family is dead.
    """
    total, revoked = session.execute(
        select(func.count(), func.count(RefreshToken.revoked_at)).where(
            RefreshToken.family_id == family_id, RefreshToken.user_id == user_id
        )
    ).one()
    return bool(total) and not revoked


def purge_expired_refresh_tokens(session: Session, *, now: datetime) -> int:
    """Delete tokens past their expiry (for a periodic job); returns how many.

    Safe for live access tokens: a family's newest refresh token always outlives the
    access token issued beside it by days.
    """
    result = session.execute(
        delete(RefreshToken)
        .where(RefreshToken.expires_at < now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
