"""Helpers for the tenancy service tests: people and households made through the
services themselves, each step in its own unit of work as a request would run it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from coffer.audit.models import AuditEvent
from coffer.auth.models import User
from coffer.db.session import Database, set_context
from coffer.tenancy import service
from coffer.tenancy.models import Role

MakePerson = Callable[[str], User]


def make_person(database: Database, name: str) -> User:
    """A user with their personal household, as sign-up leaves them."""
    with database.unit_of_work() as session:
        user = User(
            email=f"{name.lower()}@example.com",
            name=name,
            password_hash="not-a-real-hash",
            security_stamp=uuid.uuid4().hex,
        )
        session.add(user)
        session.flush()
        set_context(session, user_id=user.id)
        service.create_tenant(session, creator=user, name=f"{name}'s household")
    return user


def invite_and_join(
    database: Database, *, owner: User, tenant_id: uuid.UUID, user: User, role: Role
) -> None:
    with database.unit_of_work(user_id=owner.id) as session:
        token = service.create_invitation(
            session, actor_id=owner.id, tenant_id=tenant_id, role=role
        ).token
    with database.unit_of_work(user_id=user.id) as session:
        service.accept_invitation(session, user=user, token=token)


def new_token(
    database: Database,
    owner: User,
    tenant_id: uuid.UUID,
    *,
    role: Role = Role.member,
    email: str | None = None,
    valid_for: timedelta | None = None,
) -> str:
    with database.unit_of_work(user_id=owner.id) as session:
        return service.create_invitation(
            session,
            actor_id=owner.id,
            tenant_id=tenant_id,
            role=role,
            email=email,
            valid_for=valid_for,
        ).token


def audit_events(database: Database, reader: User, tenant_id: uuid.UUID) -> list[AuditEvent]:
    """The tenant's log as an owner or admin reads it, oldest first."""
    with database.unit_of_work(user_id=reader.id, tenant_id=tenant_id) as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.tenant_id == tenant_id)
                .order_by(AuditEvent.occurred_at, AuditEvent.id)
            )
        )


@pytest.fixture
def person(database: Database) -> MakePerson:
    return lambda name: make_person(database, name)
