"""The `coffer` command, run in-process with click's CliRunner."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.fernet import Fernet
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, func, inspect, select
from sqlalchemy.orm import Session

from coffer import __version__, cli, demo_ledger
from coffer.audit.models import AuditEvent
from coffer.auth.models import User
from coffer.config import get_settings
from coffer.db.types import EncryptedString, configure_encryption
from coffer.demo import DEMO_EMAIL, DEMO_HOUSEHOLD, DEMO_PASSWORD
from coffer.imports import service as import_service
from coffer.tenancy.models import Invitation, Membership, Tenant

PASSWORD = "plum-orchard-lighthouse"


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    """Invoke `coffer ...` with settings read from this test's environment."""
    for name in ("COFFER_DATABASE_URL", "COFFER_MIGRATION_DATABASE_URL", "COFFER_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COFFER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COFFER_LOG_LEVEL", "WARNING")
    get_settings.cache_clear()

    def invoke(*args: str, input: str | None = None) -> Result:
        get_settings.cache_clear()
        return CliRunner().invoke(cli.main, list(args), input=input)

    yield invoke
    get_settings.cache_clear()


@pytest.fixture
def on_backend(run: Any, database_urls: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """`run`, against the migrated database of the test's backend (SQLite or PostgreSQL)."""
    monkeypatch.setenv("COFFER_DATABASE_URL", database_urls["app"])
    monkeypatch.setenv("COFFER_MIGRATION_DATABASE_URL", database_urls["owner"])
    return run


def _counts(owner_url: str) -> dict[str, int]:
    engine = create_engine(owner_url)  # the table owner sees every row
    try:
        with Session(engine) as session:
            return {
                model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
                for model in (User, Tenant, Membership, Invitation, AuditEvent)
            }
    finally:
        engine.dispose()


def test_version(run: Any) -> None:
    result = run("version")
    assert result.exit_code == 0
    assert result.output.strip() == f"coffer {__version__}"


def test_a_bad_setting_is_named_without_a_traceback(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COFFER_ACCESS_TOKEN_MINUTES", "soon")
    result = run("version")
    assert result.exit_code == 1
    assert "COFFER_ACCESS_TOKEN_MINUTES" in result.output
    assert "Traceback" not in result.output


def test_migrate_creates_a_fresh_sqlite_database(run: Any, tmp_path: Path) -> None:
    first = run("migrate")
    again = run("migrate")
    assert first.exit_code == 0, first.output
    assert again.exit_code == 0, again.output
    assert "up to date" in first.output
    engine = create_engine(f"sqlite:///{tmp_path / 'data' / 'coffer.db'}")
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"user_account", "tenant", "membership", "audit_event", "alembic_version"} <= tables


def test_migrate_hides_the_database_password(
    on_backend: Any, backend: str, database_urls: dict[str, str]
) -> None:
    result = on_backend("migrate")
    assert result.exit_code == 0, result.output
    if backend == "postgres":
        assert "coffer-test-only" not in result.output
        assert "***" in result.output


def test_user_create(on_backend: Any, database_urls: dict[str, str]) -> None:
    result = on_backend(
        "user",
        "create",
        "--email",
        "Robin@Example.com",
        "--name",
        "Robin Doe",
        "--password",
        PASSWORD,
    )
    assert result.exit_code == 0, result.output
    assert "robin@example.com" in result.output
    engine = create_engine(database_urls["owner"])
    with Session(engine) as session:
        user = session.scalars(select(User).where(User.email == "robin@example.com")).one()
        assert user.personal_tenant_id is not None
    engine.dispose()


def test_user_create_prompts_twice_for_a_hidden_password(run: Any) -> None:
    result = run(
        "user",
        "create",
        "--email",
        "sam@example.com",
        "--name",
        "Sam",
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden input is not echoed
    assert "Repeat for confirmation" in result.output


def test_user_create_errors_are_messages_not_tracebacks(run: Any) -> None:
    weak = run("user", "create", "--email", "a@example.com", "--name", "A", "--password", "short")
    assert weak.exit_code == 1
    assert "password:" in weak.output
    assert "Traceback" not in weak.output
    assert (
        run(
            "user", "create", "--email", "b@example.com", "--name", "B", "--password", PASSWORD
        ).exit_code
        == 0
    )
    taken = run("user", "create", "--email", "b@example.com", "--name", "B", "--password", PASSWORD)
    assert taken.exit_code == 1
    assert "already exists" in taken.output
    assert "Traceback" not in taken.output


def test_demo_is_loaded_once_and_loading_again_changes_nothing(
    on_backend: Any, database_urls: dict[str, str]
) -> None:
    first = on_backend("demo")
    assert first.exit_code == 0, first.output
    assert "Demo household loaded" in first.output
    assert DEMO_EMAIL in first.output
    assert DEMO_PASSWORD in first.output
    before = _counts(database_urls["owner"])
    second = on_backend("demo")
    assert second.exit_code == 0, second.output
    assert "nothing changed" in second.output
    assert _counts(database_urls["owner"]) == before


def test_demo_household_has_people_roles_and_a_pending_invitation(
    on_backend: Any, database_urls: dict[str, str]
) -> None:
    assert on_backend("demo").exit_code == 0
    engine = create_engine(database_urls["owner"])
    with Session(engine) as session:
        owner = session.scalars(select(User).where(User.email == DEMO_EMAIL)).one()
        household = session.get(Tenant, owner.personal_tenant_id)
        assert household is not None
        assert household.name == DEMO_HOUSEHOLD
        roles = sorted(
            session.scalars(select(Membership.role).where(Membership.tenant_id == household.id))
        )
        pending = session.scalars(
            select(Invitation).where(
                Invitation.tenant_id == household.id, Invitation.accepted_at.is_(None)
            )
        ).all()
        actions = set(
            session.scalars(select(AuditEvent.action).where(AuditEvent.tenant_id == household.id))
        )
    engine.dispose()
    assert roles == ["advisor", "member", "owner"]
    assert len(pending) == 1
    assert {"tenant.updated", "invitation.created", "membership.joined"} <= actions


def test_serve_migrates_loads_the_demo_once_and_prints_the_login(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(
        cli.uvicorn, "run", lambda app, **kwargs: calls.append({"app": app, **kwargs})
    )
    monkeypatch.setenv("COFFER_DEMO_ON_FIRST_RUN", "true")
    first = run("serve", "--port", "8123")
    assert first.exit_code == 0, first.output
    assert "http://127.0.0.1:8123" in first.output
    assert "loaded just now" in first.output
    assert DEMO_PASSWORD in first.output
    second = run("serve", "--port", "8123")
    assert "loaded just now" not in second.output
    assert DEMO_PASSWORD in second.output
    assert calls[0]["app"] == "coffer.main:create_app"
    assert calls[0]["factory"] is True
    assert calls[0]["proxy_headers"] is False
    assert calls[0]["access_log"] is False


def test_serve_finishes_a_demo_whose_first_load_was_interrupted(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli.uvicorn, "run", lambda *_app, **_kwargs: None)
    monkeypatch.setenv("COFFER_DEMO_ON_FIRST_RUN", "true")
    real_commit = import_service.request_commit

    def failing_commit(session: Session, **kwargs: Any) -> Any:
        batch = import_service.get_batch(
            session, tenant_id=kwargs["tenant_id"], batch_id=kwargs["batch_id"]
        )
        if batch.filename == demo_ledger.STATEMENT_FILE:
            raise RuntimeError("the power went out")
        return real_commit(session, **kwargs)

    monkeypatch.setattr(import_service, "request_commit", failing_commit)
    interrupted = run("serve", "--port", "8124")
    assert interrupted.exit_code != 0
    monkeypatch.setattr(import_service, "request_commit", real_commit)

    finished = run("serve", "--port", "8124")
    assert finished.exit_code == 0, finished.output
    assert "Demo (finished loading just now)" in finished.output
    again = run("serve", "--port", "8124")
    assert "Demo (available)" in again.output


def test_serve_without_demo_and_behind_a_trusted_proxy(
    run: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda *_app, **kwargs: calls.append(kwargs))
    monkeypatch.setenv("COFFER_TRUSTED_PROXIES", "10.0.0.1, 10.0.1.0/24")
    # Several workers make serve set PROMETHEUS_MULTIPROC_DIR. Set to "" (unset for
    # Coffer) through monkeypatch, it is restored after the test: a leaked directory
    # would send every later /metrics of this process to files that are gone.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "")
    every_interface = "0.0.0.0"  # noqa: S104 - uvicorn.run is replaced, nothing binds
    result = run("serve", "--no-demo", "--host", every_interface, "--workers", "2")
    assert result.exit_code == 0, result.output
    assert "Demo" not in result.output
    assert calls[0]["proxy_headers"] is True
    assert calls[0]["forwarded_allow_ips"] == "10.0.0.1,10.0.1.0/24"
    assert calls[0]["workers"] == 2
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(tmp_path / "data" / "prometheus")


def test_keys_generate_prints_a_usable_key(run: Any) -> None:
    result = run("keys", "generate")
    assert result.exit_code == 0
    Fernet(result.output.strip().encode())  # raises if it is not a Fernet key


def test_keys_rotate_reencrypts_under_the_first_key(
    run: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    assert run("migrate").exit_code == 0
    notes = Table(
        "secret_note",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("body", EncryptedString, nullable=True),
    )
    engine = create_engine(f"sqlite:///{tmp_path / 'data' / 'coffer.db'}")
    notes.create(engine)
    configure_encryption([old])
    with engine.begin() as conn:
        conn.execute(
            notes.insert(),
            [{"id": 1, "body": "DE89 3704 0044 0532 0130 00"}, {"id": 2, "body": None}],
        )
    monkeypatch.setattr(cli, "_encrypted_tables", lambda: [notes])
    monkeypatch.setenv("COFFER_ENCRYPTION_KEYS", f"{new},{old}")

    result = run("keys", "rotate")

    assert result.exit_code == 0, result.output
    assert "secret_note: 1 value(s) re-encrypted" in result.output
    configure_encryption([new])  # the old key is gone: only rotated values still open
    with engine.connect() as conn:
        assert conn.execute(select(notes.c.body).where(notes.c.id == 1)).scalar() == (
            "DE89 3704 0044 0532 0130 00"
        )
    engine.dispose()
