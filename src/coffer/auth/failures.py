"""Writes that must outlive the error that follows them.

A failed sign-in raises, and the error rolls the caller's unit of work back; yet the
failure must still be counted (or lockout would never trigger) and audited. The same
holds for revoking a refresh family whose spent token came back. These functions write
through their own unit of work, committed before the caller raises.

They open a second connection while the caller's transaction is open, so the caller
must not have written anything yet: on SQLite the second writer would wait for it.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import NoReturn

from sqlalchemy import select, update

from coffer.audit.service import record
from coffer.auth import tokens
from coffer.auth.errors import InvalidToken
from coffer.auth.models import RefreshToken, User
from coffer.config import Settings
from coffer.db.session import Database


def record_failure(database: Database, *, user_id: uuid.UUID | None, reason: str) -> None:
    """Audit a refused sign-in that does not count towards lockout (unknown email, or an
    account already locked)."""
    with database.unit_of_work(user_id=user_id) as side:
        record(
            side,
            action="auth.login_failed",
            actor_id=user_id,
            entity_type="user" if user_id else None,
            entity_id=user_id,
            new={"reason": reason},
        )


def count_failure(
    database: Database, *, settings: Settings, user_id: uuid.UUID, now: datetime
) -> datetime | None:
    """Count one failed attempt; lock the account at the threshold. Returns the lock's end.

    The increment is a single UPDATE so concurrent failures are all counted. Locking
    resets the counter: after the lock ends the person gets the full number of tries.
    """
    with database.unit_of_work(user_id=user_id) as side:
        side.execute(
            update(User)
            .where(User.id == user_id)
            .values(failed_login_count=User.failed_login_count + 1)
            .execution_options(synchronize_session=False)
        )
        count = side.scalar(select(User.failed_login_count).where(User.id == user_id)) or 0
        locked_until = None
        if count >= settings.lockout_threshold:
            locked_until = now + timedelta(minutes=settings.lockout_minutes)
            side.execute(
                update(User)
                .where(User.id == user_id)
                .values(failed_login_count=0, locked_until=locked_until)
                .execution_options(synchronize_session=False)
            )
        record(
            side,
            action="auth.login_failed",
            actor_id=user_id,
            entity_type="user",
            entity_id=user_id,
            new={"reason": "wrong_password", "failed_attempts": count},
        )
        if locked_until is not None:
            record(
                side,
                action="auth.locked",
                actor_id=user_id,
                entity_type="user",
                entity_id=user_id,
                new={"locked_until": locked_until, "failed_attempts": count},
            )
    return locked_until


def revoke_reused_family(database: Database, *, token: RefreshToken, now: datetime) -> NoReturn:
    """Revoke the family of a token presented after it was spent or revoked, then refuse."""
    user_id, family_id = token.user_id, token.family_id
    with database.unit_of_work(user_id=user_id) as side:
        tokens.revoke_family(side, family_id=family_id, now=now)
        record(
            side,
            action="auth.refresh_reuse",
            actor_id=user_id,
            entity_type="refresh_family",
            entity_id=family_id,
        )
    raise InvalidToken(
        "This refresh token was already used. For safety every session it belongs to has "
        "been signed out; sign in again."
    )
