"""Row-level security on PostgreSQL, proven with raw SQL as the application role.

The service layer filters by tenant too; these tests bypass it entirely, so what they
show is what the database itself allows. Each check runs in its own transaction that
is rolled back.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, pool, text
from sqlalchemy.exc import DBAPIError

from coffer.auth.models import User
from coffer.db.base import tenant_tables
from coffer.db.migrate import MigrationSetupError, check_app_role
from coffer.db.session import Database
from coffer.tenancy import service
from coffer.tenancy.models import Role
from tests.conftest import PostgresDB
from tests.tenancy.conftest import invite_and_join, make_person, new_token

pytestmark = pytest.mark.postgres_only

TENANT_COLUMN = {"tenant": "id", "membership": "tenant_id", "invitation": "tenant_id"}


@dataclass
class World:
    alice: User
    bob: User
    carol: User  # a viewer in alice's household
    dave: User  # an admin in alice's household
    token_a: str  # a pending invitation to alice's household, role member

    @property
    def a(self) -> uuid.UUID:
        assert self.alice.personal_tenant_id
        return self.alice.personal_tenant_id

    @property
    def b(self) -> uuid.UUID:
        assert self.bob.personal_tenant_id
        return self.bob.personal_tenant_id


@pytest.fixture
def world(backend: str, database: Database) -> World:
    if backend != "postgres":
        pytest.skip("row-level security exists only on PostgreSQL")
    alice, bob, carol, dave = (make_person(database, n) for n in ("Alice", "Bob", "Carol", "Dave"))
    assert alice.personal_tenant_id
    a = alice.personal_tenant_id
    invite_and_join(database, owner=alice, tenant_id=a, user=carol, role=Role.viewer)
    invite_and_join(database, owner=alice, tenant_id=a, user=dave, role=Role.admin)
    token = new_token(database, alice, a, email="pending-a@example.com")
    new_token(database, bob, bob.personal_tenant_id, email="pending-b@example.com")  # type: ignore[arg-type]
    return World(alice, bob, carol, dave, token)


@pytest.fixture
def app_engine(postgres_db: PostgresDB) -> Iterator[Engine]:
    # One pooled connection: every transaction below reuses the same server session.
    engine = create_engine(
        postgres_db.app_url, poolclass=pool.QueuePool, pool_size=1, max_overflow=0
    )
    yield engine
    engine.dispose()


def _as(conn: Connection, user: User | None) -> None:
    if user is not None:
        conn.execute(text("SELECT set_config('app.user_id', :u, true)"), {"u": str(user.id)})


def _holding(conn: Connection, token: str | None) -> None:
    """Present an invitation token, as the service does when someone opens a link."""
    if token is not None:
        conn.execute(
            text("SELECT set_config('app.invitation_token', :h, true)"),
            {"h": service.hash_token(token)},
        )


def _changed(
    engine: Engine, user: User, sql: str, params: dict[str, Any], *, token: str | None = None
) -> int:
    """How many rows a write touched (rolled back); 0 when the policies hide every row."""
    with engine.connect() as conn, conn.begin() as tx:
        _as(conn, user)
        _holding(conn, token)
        count = conn.execute(text(sql), params).rowcount
        tx.rollback()
    return count


def _rows(engine: Engine, user: User | None, sql: str) -> list[Any]:
    with engine.connect() as conn, conn.begin() as tx:
        _as(conn, user)
        rows = list(conn.execute(text(sql)))
        tx.rollback()
    return rows


def _refused(
    engine: Engine, user: User, sql: str, params: dict[str, Any], *, token: str | None = None
) -> str:
    """Run a write that the database must refuse; the error's text."""
    with engine.connect() as conn, conn.begin():
        _as(conn, user)
        _holding(conn, token)
        with pytest.raises(DBAPIError) as caught:
            conn.execute(text(sql), params)
    return str(caught.value.orig)


# --- reading --------------------------------------------------------------------------


@pytest.mark.parametrize("table", ["tenant", "membership", "invitation"])
def test_raw_select_returns_only_the_users_tenants(
    world: World, app_engine: Engine, table: str
) -> None:
    column = TENANT_COLUMN[table]
    seen = {row[0] for row in _rows(app_engine, world.alice, f"SELECT {column} FROM {table}")}
    assert seen == {world.a}
    everything = {row[0] for row in _rows(app_engine, world.bob, f"SELECT {column} FROM {table}")}
    assert world.a not in everything


def test_raw_select_star_on_membership_shows_only_shared_households(
    world: World, app_engine: Engine
) -> None:
    rows = _rows(app_engine, world.alice, "SELECT * FROM membership")
    assert {(r.user_id, r.tenant_id) for r in rows} == {
        (world.alice.id, world.a),
        (world.carol.id, world.a),
        (world.dave.id, world.a),
    }


def test_raw_select_on_audit_event_shows_managed_tenants_and_own_events(
    world: World, app_engine: Engine
) -> None:
    rows = _rows(app_engine, world.alice, "SELECT * FROM audit_event")
    assert rows
    assert {r.tenant_id for r in rows} == {world.a}
    viewer = _rows(app_engine, world.carol, "SELECT * FROM audit_event")
    # Carol owns her own household and reads its log, but as a viewer not alice's.
    assert {r.tenant_id for r in viewer} == {world.carol.personal_tenant_id}


def test_invitations_are_for_managers_only(world: World, app_engine: Engine) -> None:
    assert _rows(app_engine, world.carol, "SELECT * FROM invitation") == []


def test_no_context_means_no_rows(world: World, app_engine: Engine) -> None:
    for table in ("tenant", "membership", "invitation", "audit_event", *tenant_tables()):
        assert _rows(app_engine, None, f"SELECT * FROM {table}") == [], table


def test_after_commit_the_setting_is_empty_and_still_no_rows(
    world: World, app_engine: Engine
) -> None:
    with app_engine.connect() as conn:
        with conn.begin():
            _as(conn, world.alice)
            assert conn.execute(text("SELECT count(*) FROM membership")).scalar() == 3
        with conn.begin():
            setting = conn.execute(text("SELECT current_setting('app.user_id', true)")).scalar()
            assert setting == ""
            assert conn.execute(text("SELECT count(*) FROM membership")).scalar() == 0


def test_the_context_does_not_leak_to_the_next_user_of_a_pooled_connection(
    world: World, app_engine: Engine
) -> None:
    with app_engine.connect() as conn, conn.begin():
        _as(conn, world.alice)
        first_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        assert conn.execute(text("SELECT count(*) FROM tenant")).scalar() == 1
    with app_engine.connect() as conn, conn.begin():
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() == first_pid
        assert conn.execute(text("SELECT count(*) FROM tenant")).scalar() == 0


# --- writing --------------------------------------------------------------------------


def test_insert_of_a_membership_into_another_tenant_is_refused(
    world: World, app_engine: Engine
) -> None:
    message = _refused(
        app_engine,
        world.alice,
        "INSERT INTO membership (id, tenant_id, user_id, role, created_at, updated_at) "
        "VALUES (:id, :t, :u, 'owner', now(), now())",
        {"id": uuid.uuid4(), "t": world.b, "u": world.alice.id},
    )
    assert "row-level security" in message


def test_insert_of_an_invitation_into_another_tenant_is_refused(
    world: World, app_engine: Engine
) -> None:
    message = _refused(
        app_engine,
        world.alice,
        "INSERT INTO invitation (id, tenant_id, role, token_hash, invited_by, expires_at, "
        "created_at, updated_at) VALUES (:id, :t, 'owner', :h, :u, now() + interval '1 day', "
        "now(), now())",
        {"id": uuid.uuid4(), "t": world.b, "h": "f" * 64, "u": world.alice.id},
    )
    assert "row-level security" in message


def test_update_cannot_move_a_row_into_another_tenant(world: World, app_engine: Engine) -> None:
    message = _refused(
        app_engine,
        world.alice,
        "UPDATE invitation SET tenant_id = :b WHERE tenant_id = :a",
        {"a": world.a, "b": world.b},
    )
    assert "row-level security" in message
    message = _refused(
        app_engine,
        world.alice,
        "UPDATE membership SET tenant_id = :b WHERE user_id = :c",
        {"b": world.b, "c": world.carol.id},
    )
    assert "row-level security" in message


def test_a_viewer_cannot_write_at_the_database_level(world: World, app_engine: Engine) -> None:
    with app_engine.connect() as conn, conn.begin() as tx:
        _as(conn, world.carol)
        renamed = conn.execute(
            text("UPDATE tenant SET name = 'Carol rules' WHERE id = :a"), {"a": world.a}
        )
        promoted = conn.execute(
            text("UPDATE membership SET role = 'owner' WHERE user_id = :c AND tenant_id = :a"),
            {"c": world.carol.id, "a": world.a},
        )
        removed = conn.execute(
            text("DELETE FROM membership WHERE user_id = :u"), {"u": world.alice.id}
        )
        # USING filters the rows a viewer may change down to none: nothing happens.
        assert (renamed.rowcount, promoted.rowcount, removed.rowcount) == (0, 0, 0)
        tx.rollback()
    message = _refused(
        app_engine,
        world.carol,
        "INSERT INTO invitation (id, tenant_id, role, token_hash, invited_by, expires_at, "
        "created_at, updated_at) VALUES (:id, :t, 'viewer', :h, :u, now() + interval '1 day', "
        "now(), now())",
        {"id": uuid.uuid4(), "t": world.a, "h": "e" * 64, "u": world.carol.id},
    )
    assert "row-level security" in message


@pytest.mark.parametrize(
    "sql", ["UPDATE audit_event SET action = 'forged'", "DELETE FROM audit_event"]
)
def test_the_audit_log_is_append_only_for_the_application(
    world: World, app_engine: Engine, sql: str
) -> None:
    message = _refused(app_engine, world.alice, sql, {})
    assert "permission denied" in message


@pytest.mark.parametrize("own_tenant", [True, False])
def test_nobody_can_append_an_audit_event_in_another_users_name(
    world: World, app_engine: Engine, own_tenant: bool
) -> None:
    insert = (
        "INSERT INTO audit_event (id, tenant_id, actor_id, occurred_at, action) "
        "VALUES (:id, :t, :actor, now(), 'forged')"
    )
    tenant = world.a if own_tenant else None
    message = _refused(
        app_engine, world.dave, insert, {"id": uuid.uuid4(), "t": tenant, "actor": world.alice.id}
    )
    assert "row-level security" in message
    # As themself the same row is accepted.
    assert (
        _changed(
            app_engine,
            world.dave,
            insert,
            {"id": uuid.uuid4(), "t": tenant, "actor": world.dave.id},
        )
        == 1
    )


# --- roles ----------------------------------------------------------------------------


def test_the_application_role_is_plain_and_owns_nothing(
    world: World, app_engine: Engine, postgres_owner: Engine
) -> None:
    with app_engine.connect() as conn:
        superuser, bypass, name = conn.execute(
            text(
                "SELECT rolsuper, rolbypassrls, rolname FROM pg_roles WHERE rolname = current_user"
            )
        ).one()
        owned = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE tableowner = current_user")
        ).all()
    assert (superuser, bypass, owned) == (False, False, [])
    with postgres_owner.connect() as conn:
        protected = {
            row.relname: row.forced
            for row in conn.execute(
                text(
                    "SELECT relname, relrowsecurity AND relforcerowsecurity AS forced "
                    "FROM pg_class WHERE relname = ANY(:names)"
                ),
                {"names": ["tenant", "membership", "invitation", "audit_event", *tenant_tables()]},
            )
        }
    assert protected
    assert all(protected.values()), protected
    assert name != "postgres"


def test_check_app_role_refuses_the_owner(world: World, postgres_db: PostgresDB) -> None:
    with pytest.raises(MigrationSetupError):
        check_app_role(postgres_db.owner_url)
    check_app_role(postgres_db.app_url)


# --- owners, admins and invitation holders --------------------------------------------


def test_an_admin_cannot_touch_an_owner_at_the_database_level(
    world: World, app_engine: Engine
) -> None:
    owner = {"u": world.alice.id, "a": world.a}
    demote = "UPDATE membership SET role = 'member' WHERE user_id = :u AND tenant_id = :a"
    remove = "DELETE FROM membership WHERE user_id = :u AND tenant_id = :a"
    assert _changed(app_engine, world.dave, demote, owner) == 0
    assert _changed(app_engine, world.dave, remove, owner) == 0
    promote = "UPDATE membership SET role = 'owner' WHERE user_id = :u AND tenant_id = :a"
    message = _refused(app_engine, world.dave, promote, {"u": world.carol.id, "a": world.a})
    assert "row-level security" in message
    # What admins may do: move a viewer to member.
    member = "UPDATE membership SET role = 'member' WHERE user_id = :u AND tenant_id = :a"
    assert _changed(app_engine, world.dave, member, {"u": world.carol.id, "a": world.a}) == 1


def test_an_admin_cannot_make_an_owner_invitation(world: World, app_engine: Engine) -> None:
    message = _refused(
        app_engine,
        world.dave,
        "INSERT INTO invitation (id, tenant_id, role, token_hash, invited_by, expires_at, "
        "created_at, updated_at) VALUES (:id, :t, 'owner', :h, :u, now() + interval '1 day', "
        "now(), now())",
        {"id": uuid.uuid4(), "t": world.a, "h": "d" * 64, "u": world.dave.id},
    )
    assert "row-level security" in message
    message = _refused(
        app_engine,
        world.dave,
        "UPDATE invitation SET role = 'owner' WHERE tenant_id = :a",
        {"a": world.a},
    )
    assert "row-level security" in message


def test_an_invitation_holder_may_only_accept_it(world: World, app_engine: Engine) -> None:
    by_token = {"h": service.hash_token(world.token_a)}
    message = _refused(
        app_engine,
        world.bob,
        "UPDATE invitation SET role = 'owner', expires_at = now() + interval '10 years' "
        "WHERE token_hash = :h",
        by_token,
        token=world.token_a,
    )
    assert "row-level security" in message
    accept = "UPDATE invitation SET accepted_at = now(), accepted_by = :me WHERE token_hash = :h"
    assert (
        _changed(
            app_engine, world.bob, accept, {**by_token, "me": world.bob.id}, token=world.token_a
        )
        == 1
    )
    # Accepting in someone else's name is refused.
    message = _refused(
        app_engine,
        world.bob,
        accept,
        {**by_token, "me": world.carol.id},
        token=world.token_a,
    )
    assert "row-level security" in message


def test_a_used_or_revoked_invitation_cannot_be_revived_by_its_holder(
    world: World, app_engine: Engine, database: Database
) -> None:
    with database.unit_of_work(user_id=world.alice.id) as session:
        [view] = [
            v
            for v in service.list_invitations(session, actor_id=world.alice.id, tenant_id=world.a)
            if v.status is service.InvitationStatus.pending
        ]
        service.revoke_invitation(
            session, actor_id=world.alice.id, tenant_id=world.a, invitation_id=view.invitation.id
        )
    revive = "UPDATE invitation SET revoked_at = NULL WHERE token_hash = :h"
    by_token = {"h": service.hash_token(world.token_a)}
    assert _changed(app_engine, world.bob, revive, by_token, token=world.token_a) == 0


def test_a_creator_removed_from_their_tenant_no_longer_sees_it(
    world: World, app_engine: Engine, database: Database
) -> None:
    with database.unit_of_work(user_id=world.bob.id) as session:
        bob = session.get(User, world.bob.id)
        assert bob is not None
        flat = service.create_tenant(session, creator=bob, name="Shared flat").id
    invite_and_join(database, owner=world.bob, tenant_id=flat, user=world.alice, role=Role.owner)
    with database.unit_of_work(user_id=world.alice.id) as session:
        service.remove_member(session, actor_id=world.alice.id, tenant_id=flat, user_id=bob.id)
    assert _rows(app_engine, world.bob, f"SELECT * FROM tenant WHERE id = '{flat}'") == []
