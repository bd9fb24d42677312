"""The auth service on a real database (SQLite and PostgreSQL), without HTTP."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from coffer.audit.models import AuditEvent
from coffer.auth import service, tokens
from coffer.auth.errors import AccountLocked, InvalidCredentials, InvalidToken
from coffer.auth.models import RefreshToken, User
from coffer.config import Settings
from coffer.db.base import utcnow
from coffer.db.session import Database
from coffer.errors import Conflict, ValidationFailed
from coffer.tenancy.models import Membership, Tenant

PASSWORD = "correct horse battery staple"


def _register(database: Database, email: str = "dana@example.com", name: str = "Dana") -> uuid.UUID:
    with database.unit_of_work() as session:
        return service.register_user(session, email=email, password=PASSWORD, name=name).id


def _user(database: Database, user_id: uuid.UUID) -> User:
    with database.unit_of_work(user_id=user_id) as session:
        user = session.get(User, user_id)
        assert user is not None
        return user


def _actions(database: Database, user_id: uuid.UUID) -> list[str]:
    with database.unit_of_work(user_id=user_id) as session:
        rows = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.actor_id == user_id)
            .order_by(AuditEvent.occurred_at, AuditEvent.id)
        )
        return list(rows)


def _login(database: Database, settings: Settings, password: str = PASSWORD, **kw: Any) -> User:
    with database.unit_of_work() as session:
        return service.authenticate(
            session,
            database=database,
            settings=settings,
            email=kw.pop("email", "dana@example.com"),
            password=password,
            **kw,
        )


def test_register_creates_user_and_personal_household(database: Database) -> None:
    user_id = _register(database, email="  Dana@Example.COM ", name="  Dana   Scully ")
    with database.unit_of_work(user_id=user_id) as session:
        user = session.get(User, user_id)
        assert user is not None
        assert user.email == "dana@example.com"
        assert user.name == "Dana Scully"
        assert user.password_hash.startswith("$argon2id$")
        assert user.personal_tenant_id is not None
        tenant = session.get(Tenant, user.personal_tenant_id)
        assert tenant is not None
        assert tenant.name == "Dana Scully's household"
        role = session.scalar(
            select(Membership.role).where(
                Membership.tenant_id == tenant.id, Membership.user_id == user_id
            )
        )
        assert role == "owner"
    assert "auth.register" in _actions(database, user_id)


def test_register_reports_every_bad_field_and_writes_nothing(database: Database) -> None:
    with pytest.raises(ValidationFailed) as caught, database.unit_of_work() as session:
        service.register_user(session, email="not-an-email", password="short", name="   ")
    assert {e["field"] for e in caught.value.errors or []} == {"email", "password", "name"}
    with database.unit_of_work() as session:
        assert session.scalar(select(User)) is None


def test_register_refuses_a_taken_email_whatever_its_case(database: Database) -> None:
    _register(database)
    with pytest.raises(Conflict), database.unit_of_work() as session:
        service.register_user(session, email="DANA@example.com", password=PASSWORD, name="Other")


def test_long_names_still_fit_the_household_name(database: Database) -> None:
    user_id = _register(database, name="N" * 200)
    user = _user(database, user_id)
    with database.unit_of_work(user_id=user_id) as session:
        tenant = session.get(Tenant, user.personal_tenant_id)
        assert tenant is not None
        assert len(tenant.name) == 200
        assert tenant.name.endswith("'s household")


def test_authenticate_resets_the_counter_and_notes_the_time(
    database: Database, settings: Settings
) -> None:
    user_id = _register(database)
    with pytest.raises(InvalidCredentials):
        _login(database, settings, password="wrong password here")
    assert _user(database, user_id).failed_login_count == 1
    user = _login(database, settings, email="DANA@example.com")
    assert user.id == user_id
    stored = _user(database, user_id)
    assert stored.failed_login_count == 0
    assert stored.last_login_at is not None
    assert _actions(database, user_id)[-2:] == ["auth.login_failed", "auth.login"]


def test_failed_attempts_are_counted_although_the_error_rolls_back(
    database: Database, settings: Settings
) -> None:
    user_id = _register(database)
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            _login(database, settings, password="not the password")
    assert _user(database, user_id).failed_login_count == 3
    assert _actions(database, user_id).count("auth.login_failed") == 3


def test_lockout_after_the_threshold_even_for_the_right_password(
    database: Database, settings: Settings
) -> None:
    user_id = _register(database)
    now = utcnow()
    for _ in range(settings.lockout_threshold - 1):
        with pytest.raises(InvalidCredentials):
            _login(database, settings, password="not the password", now=now)
    with pytest.raises(AccountLocked) as locked:
        _login(database, settings, password="not the password", now=now)
    assert locked.value.status == 429
    assert int(locked.value.headers["Retry-After"]) == settings.lockout_minutes * 60
    assert "15 minutes" in locked.value.detail

    with pytest.raises(AccountLocked):
        _login(database, settings, now=now + timedelta(minutes=14))
    assert _login(database, settings, now=now + timedelta(minutes=15, seconds=1)).id == user_id
    actions = _actions(database, user_id)
    assert "auth.locked" in actions
    assert actions[-1] == "auth.login"


def test_unknown_email_is_indistinguishable_and_audited_anonymously(
    database: Database, owner_db: Database, settings: Settings
) -> None:
    with pytest.raises(InvalidCredentials) as caught:
        _login(database, settings, email="nobody@example.com")
    assert caught.value.detail == InvalidCredentials().detail
    with owner_db.unit_of_work() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.login_failed"))
        assert event is not None
        assert event.actor_id is None
        assert "nobody" not in str(event.new_values)


def test_outdated_hashes_are_upgraded_at_sign_in(database: Database, settings: Settings) -> None:
    from argon2 import PasswordHasher

    user_id = _register(database)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with database.unit_of_work(user_id=user_id) as session:
        user = session.get(User, user_id)
        assert user is not None
        user.password_hash = weak
    _login(database, settings)
    assert _user(database, user_id).password_hash.startswith("$argon2id$v=19$m=47104,t=1,p=1$")


def _pair(database: Database, settings: Settings, user_id: uuid.UUID) -> service.IssuedTokens:
    with database.unit_of_work(user_id=user_id) as session:
        user = session.get(User, user_id)
        assert user is not None
        return service.issue_token_pair(session, user=user, settings=settings)


def _refresh(database: Database, settings: Settings, token: str) -> service.IssuedTokens:
    with database.unit_of_work() as session:
        return service.refresh(session, database=database, settings=settings, refresh_token=token)


def test_refresh_rotates_within_the_family(database: Database, settings: Settings) -> None:
    user_id = _register(database)
    first = _pair(database, settings, user_id)
    second = _refresh(database, settings, first.refresh_token)
    assert second.family_id == first.family_id
    assert second.refresh_token != first.refresh_token
    third = _refresh(database, settings, second.refresh_token)
    assert third.family_id == first.family_id
    with database.unit_of_work() as session:
        rows = session.scalars(
            select(RefreshToken).where(RefreshToken.family_id == first.family_id)
        ).all()
        assert len(rows) == 3
        assert sum(row.used_at is None for row in rows) == 1
        assert all(len(row.token_hash) == 64 for row in rows)
        assert {first.refresh_token, second.refresh_token} & {r.token_hash for r in rows} == set()


def test_reuse_of_a_spent_token_revokes_the_whole_family(
    database: Database, settings: Settings
) -> None:
    user_id = _register(database)
    first = _pair(database, settings, user_id)
    other_device = _pair(database, settings, user_id)
    second = _refresh(database, settings, first.refresh_token)
    with pytest.raises(InvalidToken, match="already used"):
        _refresh(database, settings, first.refresh_token)
    # The thief's (or the owner's) newest token of that family is dead too ...
    with pytest.raises(InvalidToken):
        _refresh(database, settings, second.refresh_token)
    # ... but another device's family is untouched.
    assert _refresh(database, settings, other_device.refresh_token).family_id == (
        other_device.family_id
    )
    assert "auth.refresh_reuse" in _actions(database, user_id)


def test_expired_and_unknown_refresh_tokens_are_refused(
    database: Database, settings: Settings
) -> None:
    user_id = _register(database)
    pair = _pair(database, settings, user_id)
    with pytest.raises(InvalidToken, match="not valid"):
        _refresh(database, settings, "made-up-token")
    with pytest.raises(InvalidToken, match="expired"), database.unit_of_work() as session:
        service.refresh(
            session,
            database=database,
            settings=settings,
            refresh_token=pair.refresh_token,
            now=utcnow() + timedelta(days=settings.refresh_token_days, seconds=1),
        )


def _change_password(database: Database, user_id: uuid.UUID, current: str, new: str) -> None:
    with database.unit_of_work(user_id=user_id) as session:
        user = session.get(User, user_id)
        assert user is not None
        service.change_password(session, user=user, current_password=current, new_password=new)


def _rename(database: Database, user_id: uuid.UUID, name: str) -> None:
    with database.unit_of_work(user_id=user_id) as session:
        user = session.get(User, user_id)
        assert user is not None
        service.update_profile(session, user=user, name=name)


def test_change_password_revokes_everything(database: Database, settings: Settings) -> None:
    user_id = _register(database)
    pair = _pair(database, settings, user_id)
    old_stamp = _user(database, user_id).security_stamp
    _change_password(database, user_id, PASSWORD, "a brand new passphrase")
    assert _user(database, user_id).security_stamp != old_stamp
    with pytest.raises(InvalidToken):
        _refresh(database, settings, pair.refresh_token)
    claims = tokens.decode_access_token(settings, pair.access_token)
    with database.unit_of_work() as session, pytest.raises(InvalidToken):
        service.user_for_access_token(session, claims)
    with pytest.raises(InvalidCredentials):
        _login(database, settings)
    assert _login(database, settings, password="a brand new passphrase").id == user_id


def test_change_password_names_each_bad_field(database: Database) -> None:
    user_id = _register(database)
    with pytest.raises(ValidationFailed) as caught:
        _change_password(database, user_id, "not it at all", "password123")
    assert {e["field"] for e in caught.value.errors or []} == {"current_password", "new_password"}
    with pytest.raises(ValidationFailed, match="different"):
        _change_password(database, user_id, PASSWORD, PASSWORD)


def test_update_profile_audits_the_change(database: Database) -> None:
    user_id = _register(database)
    _rename(database, user_id, " Dana  K. ")
    assert _user(database, user_id).name == "Dana K."
    with database.unit_of_work(user_id=user_id) as session:
        event = session.scalar(
            select(AuditEvent).where(AuditEvent.action == "auth.profile_updated")
        )
        assert event is not None
        assert event.old_values == {"name": "Dana"}
        assert event.new_values == {"name": "Dana K."}
        assert event.tenant_id is None
    with pytest.raises(ValidationFailed):
        _rename(database, user_id, "x" * 201)


def test_recent_security_events_are_the_users_own(database: Database, settings: Settings) -> None:
    dana = _register(database)
    _register(database, email="eve@example.com", name="Eve")
    _login(database, settings)
    with database.unit_of_work(user_id=dana) as session:
        user = session.get(User, dana)
        assert user is not None
        events = service.recent_security_events(session, user=user)
    assert [e.action for e in events][:2] == ["auth.login", "auth.register"]
    assert all(e.actor_id == dana and e.tenant_id is None for e in events)
