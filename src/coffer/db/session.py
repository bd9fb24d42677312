"""Engines and the one-transaction-per-unit-of-work rule.

Services never commit. Whoever opens a unit of work (a request, a CLI command, a job)
gets a session inside a transaction that commits when the block ends well and rolls
back otherwise. On PostgreSQL the tenancy context is set with set_config(..., true),
the parameterised form of SET LOCAL, so it dies with the transaction and can never
leak to the next user of a pooled connection.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker


def normalise_url(url: str) -> str:
    """Accept plain postgresql:// URLs and use the psycopg 3 driver for them."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.removeprefix("postgres://")
    return url


# Connections kept open, and as many more allowed for a moment. The request middleware
# admits (kept + extra) / 2 requests at once (a request may hold two connections), so
# with kept == extra every admitted request finds a kept connection: none is opened and
# closed per request, which on SQLite also means its PRAGMAs (web/middleware.py).
SQLITE_POOL = {"pool_size": 8, "max_overflow": 8}
POSTGRES_POOL = {"pool_size": 15, "max_overflow": 15}


def _in_memory(url: str) -> bool:
    return url.startswith("sqlite") and (
        ":memory:" in url
        or url.rstrip("/") in ("sqlite:", "sqlite+pysqlite:")
        or "mode=memory" in url
    )


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        if "poolclass" not in kwargs and not _in_memory(url):
            kwargs = {**SQLITE_POOL, **kwargs}
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _configure_sqlite(engine)
        return engine
    if "poolclass" not in kwargs:
        kwargs = {**POSTGRES_POOL, **kwargs}
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide where transactions begin, so a unit of
        # work's reads and writes share one transaction.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


def set_context(
    session: Session,
    *,
    user_id: uuid.UUID | None = None,
    tenant_id: uuid.UUID | None = None,
    invitation_token_hash: str | None = None,
) -> None:
    """Record who is acting; on PostgreSQL the row-level security policies read it.

    Only the values given are changed. The context is local to the current transaction.
    """
    values: dict[str, str] = {}
    if user_id is not None:
        values["app.user_id"] = str(user_id)
        session.info["user_id"] = user_id
    if tenant_id is not None:
        values["app.tenant_id"] = str(tenant_id)
        session.info["tenant_id"] = tenant_id
    if invitation_token_hash is not None:
        values["app.invitation_token"] = invitation_token_hash
    if not values or session.get_bind().dialect.name != "postgresql":
        return
    calls = ", ".join(f"set_config(:n{i}, :v{i}, true)" for i in range(len(values)))
    params: dict[str, str] = {}
    for i, (name, value) in enumerate(values.items()):
        params[f"n{i}"], params[f"v{i}"] = name, value
    session.execute(text(f"SELECT {calls}"), params)


class Database:
    """One engine and its session factory; held on the app (app.state.db) or by the CLI."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def unit_of_work(
        self, *, user_id: uuid.UUID | None = None, tenant_id: uuid.UUID | None = None
    ) -> Iterator[Session]:
        """A session in a transaction: commit at the end of the block, roll back on error."""
        with self.sessions() as session, session.begin():
            set_context(session, user_id=user_id, tenant_id=tenant_id)
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
