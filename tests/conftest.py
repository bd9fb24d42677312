"""Test fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL tests connect as an application role without BYPASSRLS that owns no table,
exactly as production does, so row-level security is exercised by the whole suite.
When PostgreSQL cannot be reached the PostgreSQL half is skipped with a clear reason,
unless COFFER_REQUIRE_POSTGRES=1 (CI sets it): then every such test fails.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import coffer.models  # noqa: F401 - registers every table on Base.metadata
from coffer.config import Settings
from coffer.db.base import Base
from coffer.db.migrate import migrate
from coffer.db.session import Database

SUPER_URL = os.environ.get("COFFER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("COFFER_REQUIRE_POSTGRES") == "1"
OWNER_ROLE = "coffer_test_owner"
APP_ROLE = "coffer_test_app"
ROLE_PASSWORD = "coffer-test-only"
TEST_PASSWORD = "correct horse battery staple"
ENCRYPTION_KEY = Fernet.generate_key().decode()


def pytest_report_header(config: pytest.Config) -> str:
    return (
        f"coffer: PostgreSQL tests {'required' if REQUIRE_POSTGRES else 'optional'} ({SUPER_URL})"
    )


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


# --- SQLite ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    url = f"sqlite:///{path}"
    migrate(migration_url=url, app_url=url)
    return path


# --- PostgreSQL -----------------------------------------------------------------------


@dataclass
class PostgresDB:
    owner_url: str
    app_url: str
    tables: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def postgres_db() -> Iterator[PostgresDB]:
    try:
        admin = create_engine(
            SUPER_URL.replace("postgresql://", "postgresql+psycopg://"),
            isolation_level="AUTOCOMMIT",
        )
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        message = f"PostgreSQL unreachable at {SUPER_URL}: {type(exc).__name__}"
        if REQUIRE_POSTGRES:
            pytest.fail(message + " (COFFER_REQUIRE_POSTGRES=1)", pytrace=False)
        pytest.skip(message + "; PostgreSQL tests skipped")
    name = f"coffer_test_{_worker()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        for role, attrs in ((OWNER_ROLE, "BYPASSRLS"), (APP_ROLE, "NOBYPASSRLS")):
            exists = conn.execute(
                text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}
            ).scalar()
            if not exists:
                conn.execute(text(f"CREATE ROLE {role} LOGIN {attrs} PASSWORD '{ROLE_PASSWORD}'"))
        conn.execute(text(f'CREATE DATABASE "{name}" OWNER {OWNER_ROLE}'))
    base = make_url(SUPER_URL.replace("postgresql://", "postgresql+psycopg://"))
    owner_url = base.set(username=OWNER_ROLE, password=ROLE_PASSWORD, database=name)
    app_url = base.set(username=APP_ROLE, password=ROLE_PASSWORD, database=name)
    owner = owner_url.render_as_string(hide_password=False)
    app = app_url.render_as_string(hide_password=False)
    migrate(migration_url=owner, app_url=app)
    db = PostgresDB(
        owner_url=owner, app_url=app, tables=[t.name for t in Base.metadata.sorted_tables]
    )
    yield db
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_owner(postgres_db: PostgresDB) -> Iterator[Any]:
    engine = create_engine(postgres_db.owner_url)
    yield engine
    engine.dispose()


# --- the backend every database test runs on ------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_urls(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """The app URL and the owner URL of a freshly emptied, migrated database."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "coffer.db"
        shutil.copyfile(template, path)
        url = f"sqlite:///{path}"
        return {"app": url, "owner": url}
    pg: PostgresDB = request.getfixturevalue("postgres_db")
    owner = request.getfixturevalue("postgres_owner")
    with owner.begin() as conn:
        tables = ", ".join(t for t in pg.tables)
        conn.execute(text(f"TRUNCATE {tables} CASCADE"))
    return {"app": pg.app_url, "owner": pg.owner_url}


@pytest.fixture
def database(database_urls: dict[str, str]) -> Iterator[Database]:
    db = Database(database_urls["app"])
    yield db
    db.dispose()


@pytest.fixture
def settings(database_urls: dict[str, str], tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        database_url=database_urls["app"],
        migration_database_url=database_urls["owner"],
        secret_key="test-secret-key-" + "x" * 32,
        encryption_keys=[ENCRYPTION_KEY],
        redis_url=None,
        demo_on_first_run=False,
        auth_rate_limit="1000/minute",
    )


@pytest.fixture
def app(settings: Settings, database: Database) -> Any:
    from coffer.main import create_app

    return create_app(settings, database)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


# --- helpers --------------------------------------------------------------------------


@dataclass
class ApiUser:
    """A registered, signed-in user as the API sees them."""

    id: str
    email: str
    password: str
    access_token: str
    refresh_token: str
    personal_tenant_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    def in_tenant(self, tenant_id: str) -> dict[str, str]:
        return {**self.headers, "X-Tenant-Id": str(tenant_id)}


def register(
    client: TestClient, email: str, *, name: str = "Test Person", password: str = TEST_PASSWORD
) -> ApiUser:
    response = client.post(
        "/api/v1/auth/register", json={"email": email, "password": password, "name": name}
    )
    assert response.status_code == 201, response.text
    tokens = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200, me.text
    return ApiUser(
        id=me.json()["id"],
        email=email,
        password=password,
        access_token=body["access_token"],
        refresh_token=body["refresh_token"],
        personal_tenant_id=me.json()["personal_tenant_id"],
    )


@pytest.fixture
def alice(client: TestClient) -> ApiUser:
    return register(client, "alice@example.com", name="Alice Example")


@pytest.fixture
def bob(client: TestClient) -> ApiUser:
    return register(client, "bob@example.com", name="Bob Example")
