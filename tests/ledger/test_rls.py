"""Row-level security of the ledger tables, proven with raw SQL as the application role
(PostgreSQL only; the service filters are bypassed entirely)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, pool, text
from sqlalchemy.exc import DBAPIError

from coffer.db.session import Database
from coffer.ledger import service
from coffer.tenancy import service as tenancy_service
from coffer.tenancy.models import Role
from tests.conftest import PostgresDB
from tests.ledger.conftest import Book, make_book

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def app_engine(backend: str, postgres_db: PostgresDB) -> Iterator[Engine]:
    if backend != "postgres":
        pytest.skip("row-level security exists only on PostgreSQL")
    engine = create_engine(postgres_db.app_url, poolclass=pool.NullPool)
    yield engine
    engine.dispose()


def _join(database: Database, owner: Book, member: Book, role: Role) -> None:
    with owner.uow() as s:
        token = tenancy_service.create_invitation(
            s, actor_id=owner.user.id, tenant_id=owner.tenant_id, role=role
        ).token
    with database.unit_of_work(user_id=member.user.id) as s:
        tenancy_service.accept_invitation(s, user=member.user, token=token)


def _run(engine: Engine, book: Book, sql: str, params: dict[str, Any] | None = None) -> Any:
    """Run as `book`'s user in a transaction that is rolled back; rows or rowcount."""
    with engine.connect() as conn, conn.begin() as tx:
        conn.execute(text("SELECT set_config('app.user_id', :u, true)"), {"u": str(book.user.id)})
        result = conn.execute(text(sql), params or {})
        out = result.all() if result.returns_rows else result.rowcount
        tx.rollback()
        return out


def test_strangers_see_no_ledger_rows_and_viewers_cannot_write(
    database: Database, app_engine: Engine
) -> None:
    alice, mallory, viola = make_book(database), make_book(database), make_book(database)
    account = alice.account()
    alice.post(account.id, "-5.00")
    _join(database, alice, viola, Role.viewer)
    for table in ("account", "ledger_transaction", "account_month", "audit_event"):
        assert (
            _run(
                app_engine,
                mallory,
                f"SELECT * FROM {table} WHERE tenant_id = :t",
                {"t": alice.tenant_id},
            )
            == []
        )
    assert len(_run(app_engine, viola, "SELECT * FROM ledger_transaction")) == 1
    insert = (
        "INSERT INTO ledger_transaction (id, tenant_id, account_id, posted_on, amount_minor, "
        "is_split, status, created_at, updated_at) VALUES "
        "(:id, :t, :a, '2026-01-01', 100, false, 'pending', now(), now())"
    )
    params = {"id": uuid.uuid4(), "t": alice.tenant_id, "a": account.id}
    for intruder in (viola, mallory):
        with pytest.raises(DBAPIError, match="row-level security"):
            _run(app_engine, intruder, insert, params)
    assert _run(app_engine, viola, "UPDATE ledger_transaction SET amount_minor = 1") == 0
    assert _run(app_engine, viola, "DELETE FROM account_month") == 0
    # A writer cannot move a row into a household they do not write to.
    with pytest.raises(DBAPIError, match="row-level security"):
        _run(
            app_engine,
            alice,
            "UPDATE ledger_transaction SET tenant_id = :m",
            {"m": mallory.tenant_id},
        )


def test_saved_filters_are_private_to_their_owner(database: Database, app_engine: Engine) -> None:
    alice, bob, mallory = make_book(database), make_book(database), make_book(database)
    _join(database, alice, bob, Role.viewer)
    with alice.uow() as s:
        service.create_saved_filter(
            s, tenant_id=alice.tenant_id, user_id=alice.user.id, name="Mine", query={"text": "x"}
        )
    assert len(_run(app_engine, alice, "SELECT * FROM saved_filter")) == 1
    assert _run(app_engine, bob, "SELECT * FROM saved_filter") == []
    assert _run(app_engine, bob, "DELETE FROM saved_filter") == 0
    with pytest.raises(DBAPIError, match="row-level security"):
        _run(
            app_engine,
            bob,
            "INSERT INTO saved_filter (id, tenant_id, user_id, name, query, created_at, "
            "updated_at) VALUES (:id, :t, :u, 'Forged', '{}', now(), now())",
            {"id": uuid.uuid4(), "t": alice.tenant_id, "u": alice.user.id},
        )
    # A viewer keeps filters of their own in the household; a stranger cannot.
    own = (
        "INSERT INTO saved_filter (id, tenant_id, user_id, name, query, created_at, "
        "updated_at) VALUES (:id, :t, :u, 'Own', '{}', now(), now())"
    )
    assert _run(app_engine, bob, own, {"id": uuid.uuid4(), "t": alice.tenant_id, "u": bob.user.id})
    with pytest.raises(DBAPIError, match="row-level security"):
        _run(
            app_engine,
            mallory,
            own,
            {"id": uuid.uuid4(), "t": alice.tenant_id, "u": mallory.user.id},
        )


def test_names_are_unique_per_household_only(database: Database) -> None:
    # A unique key without tenant_id would tell one household another's names.
    alice, bob = make_book(database), make_book(database)
    alice.account("Joint")
    bob.account("Joint")
    with alice.uow() as s:
        service.ensure_default_categories(s, tenant_id=alice.tenant_id)
        service.create_tag(s, **alice.scope, name="holiday")
        service.find_or_create_merchant(s, tenant_id=alice.tenant_id, name="Acme")
    with bob.uow() as s:
        assert service.ensure_default_categories(s, tenant_id=bob.tenant_id)
        service.create_tag(s, **bob.scope, name="holiday")
        service.find_or_create_merchant(s, tenant_id=bob.tenant_id, name="Acme")
