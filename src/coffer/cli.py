"""The `coffer` command: serve, migrate, user create, demo, version.

Each command opens its own unit of work (coffer.db.session). Expected failures (a
CofferError from a service, a database that cannot be reached, PostgreSQL roles that
row-level security could not restrict) print one clear message and exit with status
1; a traceback is for bugs only.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import click
import uvicorn
from cryptography.fernet import Fernet
from pydantic import ValidationError
from sqlalchemy import Table, Text, exists, pool, select, type_coerce, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

import coffer.models  # noqa: F401 - registers every table, for `keys rotate`
from coffer import __version__
from coffer.auth.models import User
from coffer.auth.passwords import verify_password
from coffer.auth.service import get_user_by_email, register_user
from coffer.config import Settings, get_settings
from coffer.db.base import Base
from coffer.db.migrate import MigrationSetupError, check_app_role, migrate
from coffer.db.session import Database, normalise_url
from coffer.db.types import EncryptedString, configure_encryption, rotate_ciphertext
from coffer.demo import DEMO_EMAIL, DEMO_PASSWORD, DemoResult, load_demo
from coffer.errors import CofferError
from coffer.jobs.cli import worker
from coffer.web.logging import configure_logging

METRICS_DIR_NAME = "prometheus"


class CofferGroup(click.Group):
    """Turns the errors a person can fix into a message instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CofferError as exc:
            raise click.ClickException(_describe(exc)) from exc
        except MigrationSetupError as exc:
            raise click.ClickException(str(exc)) from exc
        except OperationalError as exc:
            first_line = str(exc.orig or exc).strip().splitlines()[0]
            raise click.ClickException(f"The database cannot be used: {first_line}") from exc
        except ValidationError as exc:  # a COFFER_* setting that does not parse
            raise click.ClickException(_describe_settings_error(exc)) from exc


def _describe(exc: CofferError) -> str:
    if exc.errors:
        return "\n".join(f"{e['field']}: {e['message']}" for e in exc.errors)
    return exc.detail


def _describe_settings_error(exc: ValidationError) -> str:
    lines = [
        f"COFFER_{'_'.join(str(part) for part in error['loc']).upper()}: {error['msg']}"
        for error in exc.errors()
    ]
    return "Invalid configuration:\n  " + "\n  ".join(lines)


def safe_url(url: str) -> str:
    """A database URL fit to print: the password hidden."""
    return make_url(normalise_url(url)).render_as_string(hide_password=True)


def prepare_database(settings: Settings) -> None:
    """Create the data directory, migrate to the newest revision and, on PostgreSQL,
    refuse an application role that row-level security would not restrict."""
    settings.ensure_data_dir()
    migrate(
        migration_url=settings.resolved_migration_url,
        app_url=settings.resolved_database_url,
    )
    if settings.server_mode:
        check_app_role(settings.resolved_database_url)


def _database(settings: Settings) -> Database:
    # One command, a few statements: no pool to keep.
    return Database(settings.resolved_database_url, poolclass=pool.NullPool)


@click.group(cls=CofferGroup)
@click.version_option(__version__, prog_name="coffer")
def main() -> None:
    """Coffer: self-hosted household finance."""
    configure_logging(get_settings())


# Commands of capabilities, defined beside them (<capability>/cli.py).
main.add_command(worker)


@main.command()
def version() -> None:
    """Print Coffer's version."""
    click.echo(f"coffer {__version__}")


@main.command("migrate")
def migrate_command() -> None:
    """Create or upgrade the database schema."""
    settings = get_settings()
    prepare_database(settings)
    click.echo(f"Database {safe_url(settings.resolved_database_url)} is up to date.")


@main.group()
def user() -> None:
    """Manage user accounts."""


@user.command("create")
@click.option("--email", required=True, help="The sign-in email address.")
@click.option("--name", required=True, help="The person's name, as shown to others.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Asked for (hidden, twice) when not given; on the command line it would be "
    "visible to other users of this machine.",
)
def user_create(email: str, name: str, password: str) -> None:
    """Create an account with its personal household."""
    settings = get_settings()
    prepare_database(settings)
    db = _database(settings)
    try:
        with db.unit_of_work() as session:
            created = register_user(session, email=email, password=password, name=name)
            summary = f"Created {created.name} <{created.email}> with a personal household."
    finally:
        db.dispose()
    click.echo(summary)


@main.command()
def demo() -> None:
    """Load the demo household (does nothing if it is already there)."""
    settings = get_settings()
    prepare_database(settings)
    db = _database(settings)
    try:
        result = load_demo(db)
    finally:
        db.dispose()
    if result.created:
        click.echo("Demo household loaded.")
    elif result.finished:
        click.echo(
            "The demo household was only partly loaded; finished: "
            + ", ".join(result.finished)
            + "."
        )
    else:
        click.echo("The demo household is already loaded; nothing changed.")
    click.echo(f"Demo login: {result.email}  password: {result.password}")


@main.group()
def keys() -> None:
    """Manage the keys that encrypt sensitive fields at rest."""


@keys.command("generate")
def keys_generate() -> None:
    """Print a new encryption key (put it first in COFFER_ENCRYPTION_KEYS)."""
    click.echo(Fernet.generate_key().decode())


@keys.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every encrypted field with the first key of COFFER_ENCRYPTION_KEYS.

    Afterwards the older keys can be removed from the setting.
    """
    settings = get_settings()
    prepare_database(settings)
    configure_encryption(settings.resolved_encryption_keys())
    # Every tenant's rows: the migration role (BYPASSRLS on PostgreSQL) does this.
    db = Database(settings.resolved_migration_url, poolclass=pool.NullPool)
    try:
        with db.unit_of_work() as session:
            counts = {table.name: _rotate_table(session, table) for table in _encrypted_tables()}
    finally:
        db.dispose()
    for name, count in counts.items():
        click.echo(f"{name}: {count} value(s) re-encrypted")
    click.echo("Done. Keys other than the first can now be removed from COFFER_ENCRYPTION_KEYS.")


def _encrypted_tables() -> list[Table]:
    return [
        table
        for table in Base.metadata.sorted_tables
        if any(isinstance(column.type, EncryptedString) for column in table.columns)
    ]


def _rotate_table(session: Session, table: Table) -> int:
    """Rewrite the table's ciphertexts under the newest key, reading and writing them as
    plain text so the column type neither decrypts nor encrypts a second time."""
    columns = [c for c in table.columns if isinstance(c.type, EncryptedString)]
    keys = list(table.primary_key.columns)
    raw = [type_coerce(c, Text).label(c.name) for c in columns]
    count = 0
    for row in session.execute(select(*keys, *raw)).mappings():
        values = {
            c.name: type_coerce(rotate_ciphertext(row[c.name]), Text)
            for c in columns
            if row[c.name] is not None
        }
        if values:
            where = [key == row[key.name] for key in keys]
            session.execute(update(table).where(*where).values(values))
            count += len(values)
    return count


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--no-demo", is_flag=True, help="Do not load the demo household on first run.")
def serve(host: str, port: int, workers: int, no_demo: bool) -> None:
    """Migrate the database, then serve Coffer over HTTP."""
    settings = get_settings()
    prepare_database(settings)
    demo_login = _first_run_demo(settings, load=settings.demo_on_first_run and not no_demo)
    if workers > 1:
        _prepare_metrics_dir(settings.data_dir)
    _announce(host, port, workers, demo_login)
    trusted = settings.trusted_proxies
    uvicorn.run(
        "coffer.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # X-Forwarded-* are believed only from the proxies the operator named.
        proxy_headers=bool(trusted),
        forwarded_allow_ips=",".join(trusted) if trusted else None,
        access_log=False,  # the request middleware writes one line per request
        log_config=None,  # keep Coffer's structured logging (configure_logging)
        server_header=False,
    )


def _first_run_demo(settings: Settings, *, load: bool) -> DemoResult | None:
    """Load the demo into a database without any user, or finish a demo whose first
    load was interrupted (its follow-ups check first whether their work is done).
    Returns the demo login to print, and only while its documented password still
    opens the demo account."""
    db = _database(settings)
    finished: tuple[str, ...] = ()
    try:
        with db.unit_of_work() as session:
            has_users = bool(session.scalar(select(exists().where(User.id.is_not(None)))))
            has_demo = get_user_by_email(session, DEMO_EMAIL) is not None
        if load and not has_users:
            return load_demo(db)
        if load and has_demo:
            finished = load_demo(db).finished
        with db.unit_of_work() as session:
            demo_user = get_user_by_email(session, DEMO_EMAIL)
            password_hash = demo_user.password_hash if demo_user else None
    finally:
        db.dispose()
    if password_hash and verify_password(password_hash, DEMO_PASSWORD):
        return DemoResult(
            created=False, email=DEMO_EMAIL, password=DEMO_PASSWORD, finished=finished
        )
    return None


def _prepare_metrics_dir(data_dir: Path) -> None:
    """Several worker processes: prometheus-client keeps their numbers in files that
    /metrics sums. A directory we own is emptied at start (stale numbers of dead
    processes would be summed too); one the operator set is left to them."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    directory = data_dir / METRICS_DIR_NAME
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)


def _announce(host: str, port: int, workers: int, demo_login: DemoResult | None) -> None:
    shown_host = f"[{host}]" if ":" in host else host
    if host in ("0.0.0.0", "::"):  # noqa: S104 - describing the bind address, not binding
        shown_host = "127.0.0.1"
    click.echo("")
    click.secho(f"  Coffer {__version__} is starting", bold=True)
    click.echo(f"  Open:        http://{shown_host}:{port}")
    if host in ("0.0.0.0", "::"):  # noqa: S104
        click.echo("  Listening on every network interface.")
    if workers > 1:
        click.echo(f"  Workers:     {workers}")
    if demo_login is not None:
        state = (
            "loaded just now"
            if demo_login.created
            else "finished loading just now"
            if demo_login.finished
            else "available"
        )
        click.echo(f"  Demo ({state}): {demo_login.email}  password: {demo_login.password}")
    click.echo("  Stop with Ctrl+C.")
    click.echo("")
