"""Alembic environment: one history for SQLite and PostgreSQL.

The URL comes from the Alembic config (set by coffer.db.migrate) or from settings.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from coffer.config import get_settings
from coffer.db.session import make_engine, normalise_url
from coffer.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url") or get_settings().resolved_migration_url
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(normalise_url(url), poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
