"""Ledger test helpers: a household made through the services, and a unit of work in
it as a request would open one (on PostgreSQL with the row-level security context).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import select
from sqlalchemy.orm import Session

from coffer.audit.models import AuditEvent
from coffer.auth.models import User
from coffer.db.session import Database, set_context
from coffer.db.types import configure_encryption
from coffer.ledger import service
from coffer.ledger.models import Account, AccountType
from coffer.tenancy import service as tenancy_service
from tests.conftest import ENCRYPTION_KEY

# Database examples are slow: few of them, no deadline, and nothing written to disk.
PROPERTY_SETTINGS = settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass
class Book:
    """One person's household, with shortcuts for the ledger services."""

    database: Database
    user: User
    tenant_id: uuid.UUID

    @contextmanager
    def uow(self) -> Iterator[Session]:
        with self.database.unit_of_work(user_id=self.user.id, tenant_id=self.tenant_id) as s:
            yield s

    @property
    def scope(self) -> dict[str, Any]:
        return {"tenant_id": self.tenant_id, "actor_id": self.user.id}

    def account(self, name: str = "Checking", currency: str = "USD", **kwargs: Any) -> Account:
        kwargs.setdefault("type", AccountType.checking)
        kwargs.setdefault("opening_on", date(2026, 1, 1))
        with self.uow() as s:
            return service.create_account(s, **self.scope, name=name, currency=currency, **kwargs)

    def post(self, account_id: uuid.UUID, amount: str, **kwargs: Any) -> uuid.UUID:
        kwargs.setdefault("posted_on", date(2026, 3, 15))
        with self.uow() as s:
            txn = service.post_transaction(
                s, **self.scope, account_id=account_id, amount=Decimal(amount), **kwargs
            )
            return txn.id

    def events(self, entity_id: uuid.UUID | None = None) -> list[AuditEvent]:
        with self.uow() as s:
            query = select(AuditEvent).where(AuditEvent.tenant_id == self.tenant_id)
            if entity_id is not None:
                query = query.where(AuditEvent.entity_id == str(entity_id))
            return list(s.scalars(query.order_by(AuditEvent.occurred_at, AuditEvent.id)))

    def check_aggregates(self) -> None:
        with self.uow() as s:
            assert service.reconcile_aggregates(s, tenant_id=self.tenant_id) == []


def make_book(database: Database, name: str | None = None) -> Book:
    name = name or f"p{uuid.uuid4().hex[:10]}"
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
        tenant = tenancy_service.create_tenant(
            session, creator=user, name=f"{name}'s household", default_categories=False
        )
        tenant_id = tenant.id
    return Book(database=database, user=user, tenant_id=tenant_id)


@pytest.fixture(autouse=True)
def _encryption() -> None:
    configure_encryption([ENCRYPTION_KEY])


@pytest.fixture
def book(database: Database) -> Book:
    return make_book(database, "Alice")


@pytest.fixture
def other_book(database: Database) -> Book:
    return make_book(database, "Mallory")


@pytest.fixture
def new_book(database: Database) -> Callable[[], Book]:
    return lambda: make_book(database)
