"""Apply migrations, and on PostgreSQL grant the application role its privileges."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import pool, text
from sqlalchemy.engine import make_url

from coffer.db import rls
from coffer.db.session import make_engine, normalise_url

PACKAGE_DIR = Path(__file__).resolve().parent.parent


class MigrationSetupError(RuntimeError):
    """The database roles are set up in a way row-level security cannot protect."""


def alembic_config(url: str) -> Config:
    config = Config(str(PACKAGE_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(PACKAGE_DIR / "db" / "migrations"))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def migrate(*, migration_url: str, app_url: str) -> None:
    """Upgrade to the newest revision.

    On PostgreSQL the migration role owns the tables and the application role must be a
    different role, which then receives data privileges (never ownership).
    """
    engine = make_engine(migration_url, poolclass=pool.NullPool)
    try:
        with engine.begin() as connection:
            config = alembic_config(migration_url)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            if engine.dialect.name == "postgresql":
                owner = make_url(normalise_url(migration_url)).username
                app_role = make_url(normalise_url(app_url)).username
                if not app_role or app_role == owner:
                    raise MigrationSetupError(
                        "On PostgreSQL, COFFER_DATABASE_URL must name a role other than the "
                        "one in COFFER_MIGRATION_DATABASE_URL: the application role must own "
                        "no table, or row-level security would not apply to it."
                    )
                for statement in rls.grant_sql(app_role):
                    connection.execute(text(statement))
    finally:
        engine.dispose()


def check_app_role(url: str) -> None:
    """Refuse to serve as a PostgreSQL role that row-level security would not restrict."""
    engine = make_engine(url, poolclass=pool.NullPool)
    try:
        if engine.dialect.name != "postgresql":
            return
        with engine.connect() as connection:
            row = connection.execute(
                text(
                    "SELECT r.rolsuper, r.rolbypassrls, "
                    "EXISTS (SELECT 1 FROM pg_tables t WHERE t.schemaname = 'public' "
                    "        AND t.tableowner = current_user) "
                    "FROM pg_roles r WHERE r.rolname = current_user"
                )
            ).one()
    finally:
        engine.dispose()
    superuser, bypass, owns = row
    if superuser or bypass or owns:
        raise MigrationSetupError(
            "COFFER_DATABASE_URL connects as a PostgreSQL role that is a superuser, has "
            "BYPASSRLS or owns tables; row-level security would not apply to it. Connect "
            "as a plain role and run migrations with COFFER_MIGRATION_DATABASE_URL."
        )
