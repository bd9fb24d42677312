#!/usr/bin/env python3
"""Account register latency with a million transactions in one account.

Builds one household with one checking account holding --rows transactions spread
over ten years (about 270 a day, 20 categories plus uncategorised), written with
fast bulk inserts straight into ledger_transaction, then builds the monthly aggregate
with the ledger service (`rebuild_aggregates`). It then times the register service
call, `coffer.ledger.service.register_page` (the rows, their split lines, tags,
merchants and running balances: what GET /accounts/{id}/register serves), for:

- the first page (newest 50 rows);
- a deep page: the page after the row at --deep-offset (default: 900,000 rows down);
- a middle page (at half the rows);
- and, for the reports stage, ten years of monthly sums by category read from the
  monthly aggregate (account_month).

Each is called --repeat times after one warm-up call; median and p95 are reported in
milliseconds of server time (the service call inside an open unit of work, which on
PostgreSQL has its row-level security context set, as a request has).

SQLite: a fresh file in a temporary directory (WAL, as `coffer serve` uses it).
PostgreSQL: a throwaway database with an owner role (BYPASSRLS, runs migrations) and
an application role without BYPASSRLS that owns no table; the rows are inserted and
read as the application role, so row-level security checks every one of them. The
database is dropped afterwards (unless --keep).

    .venv/bin/python bench/register_latency.py                    # both databases
    .venv/bin/python bench/register_latency.py --backend sqlite --rows 200000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import create_engine, desc, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from uuid_utils.compat import uuid7

import coffer.models  # noqa: F401 - registers every table
from coffer.auth.models import User
from coffer.db.base import utcnow
from coffer.db.migrate import migrate
from coffer.db.session import Database, normalise_url, set_context
from coffer.db.types import configure_encryption
from coffer.ledger import service
from coffer.ledger.common import encode_cursor
from coffer.ledger.models import AccountMonth, AccountType, CategoryKind, LedgerTransaction
from coffer.tenancy import service as tenancy_service

BATCH = 20_000
START = date(2016, 1, 1)
YEARS = 10
PAYEES = ["Grocer", "Cafe", "Fuel station", "Online shop", "Pharmacy", "Employer", "Rent"]


@contextmanager
def sqlite_urls(keep: bool) -> Iterator[tuple[str, str]]:
    directory = Path(tempfile.mkdtemp(prefix="coffer-register-bench-"))
    url = f"sqlite:///{directory / 'coffer.db'}"
    try:
        yield url, url
    finally:
        if not keep:
            for path in directory.iterdir():
                path.unlink()
            directory.rmdir()
        else:
            print(f"kept {directory}")


@contextmanager
def postgres_urls(admin_url: str, keep: bool) -> Iterator[tuple[str, str]]:
    admin = create_engine(normalise_url(admin_url)).execution_options(isolation_level="AUTOCOMMIT")
    name = f"coffer_bench_ledger_{uuid.uuid4().hex[:8]}"
    password = uuid.uuid4().hex
    roles = {"owner": "coffer_bench_ledger_owner", "app": "coffer_bench_ledger_app"}
    with admin.connect() as conn:
        for key, attrs in (("owner", "BYPASSRLS"), ("app", "NOBYPASSRLS")):
            role = roles[key]
            exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
            verb = "ALTER" if exists.scalar() else "CREATE"
            conn.execute(text(f"{verb} ROLE {role} LOGIN {attrs} PASSWORD '{password}'"))
        conn.execute(text(f'CREATE DATABASE "{name}" OWNER {roles["owner"]}'))
    base = make_url(normalise_url(admin_url))
    owner, app = (
        base.set(username=roles[k], password=password, database=name).render_as_string(
            hide_password=False
        )
        for k in ("owner", "app")
    )
    try:
        yield owner, app
    finally:
        if keep:
            print(f"kept database {name}")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_household(db: Database) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID, list[uuid.UUID]]:
    """A user, their household, a checking account and 20 categories."""
    with db.unit_of_work() as session:
        user = User(
            email=f"bench-{uuid.uuid4().hex[:8]}@example.com",
            name="Bench",
            password_hash="not-a-real-hash",  # noqa: S106 - nobody signs in
            security_stamp=uuid.uuid4().hex,
        )
        session.add(user)
        session.flush()
        set_context(session, user_id=user.id)
        tenant = tenancy_service.create_tenant(session, creator=user, name="Bench household")
        user_id, tenant_id = user.id, tenant.id
    with db.unit_of_work(user_id=user_id, tenant_id=tenant_id) as session:
        account = service.create_account(
            session,
            tenant_id=tenant_id,
            actor_id=user_id,
            name="Checking",
            type=AccountType.checking,
            currency="USD",
            opening_balance=Decimal("1000.00"),
            opening_on=START,
        )
        categories = [
            service.create_category(
                session,
                tenant_id=tenant_id,
                actor_id=user_id,
                name=f"C{i}",
                kind=CategoryKind.expense,
            ).id
            for i in range(20)
        ]
        return user_id, tenant_id, account.id, categories


PG_INSERT = (
    "INSERT INTO ledger_transaction (id, tenant_id, account_id, posted_on, amount_minor, payee, "
    "category_id, is_split, status, created_at, updated_at) "
    "SELECT i, %(tenant)s, %(account)s, d, a, p, c, false, 'cleared', now(), now() "
    "FROM unnest(%(ids)s::uuid[], %(days)s::date[], %(amounts)s::bigint[], %(payees)s::text[], "
    "%(categories)s::uuid[]) AS x(i, d, a, p, c)"
)


def _rows(
    rng: random.Random, count: int, categories: list[uuid.UUID | None]
) -> list[tuple[Any, ...]]:
    span = (date(START.year + YEARS, 1, 1) - START).days
    return [
        (
            uuid7(),
            START + timedelta(days=rng.randrange(span)),
            rng.randint(-25_000, 20_000),
            rng.choice(PAYEES),
            rng.choice(categories),
        )
        for _ in range(count)
    ]


def _insert_postgres(
    session: Session, tenant_id: uuid.UUID, account_id: uuid.UUID, rows: list[tuple[Any, ...]]
) -> None:
    """One INSERT ... SELECT FROM unnest(arrays) per batch: few round trips, and still a
    plain INSERT, so row-level security checks every row (COPY would be refused)."""
    ids, days, amounts, payees, categories = (list(column) for column in zip(*rows, strict=True))
    raw = session.connection().connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor:
        cursor.execute(
            PG_INSERT,
            {
                "tenant": tenant_id,
                "account": account_id,
                "ids": ids,
                "days": days,
                "amounts": amounts,
                "payees": payees,
                "categories": categories,
            },
        )


def _insert_sqlite(
    session: Session, tenant_id: uuid.UUID, account_id: uuid.UUID, rows: list[tuple[Any, ...]]
) -> None:
    now = utcnow()
    session.execute(
        insert(LedgerTransaction),
        [
            {
                "id": txn_id,
                "tenant_id": tenant_id,
                "account_id": account_id,
                "posted_on": day,
                "amount_minor": amount,
                "payee": payee,
                "category_id": category,
                "is_split": False,
                "status": "cleared",
                "created_at": now,
                "updated_at": now,
            }
            for txn_id, day, amount, payee, category in rows
        ],
    )


def fill(
    db: Database,
    *,
    user_id: uuid.UUID,
    tenant_id: uuid.UUID,
    account_id: uuid.UUID,
    categories: list[uuid.UUID],
    rows: int,
) -> float:
    """Bulk-insert `rows` transactions, then build the aggregate; returns rows per second
    of the inserts alone."""
    rng = random.Random(20261122)
    write = _insert_postgres if db.dialect == "postgresql" else _insert_sqlite
    choices: list[uuid.UUID | None] = [*categories, None]
    spent = 0.0
    for offset in range(0, rows, BATCH):
        batch = _rows(rng, min(BATCH, rows - offset), choices)
        started = time.perf_counter()
        with db.unit_of_work(user_id=user_id, tenant_id=tenant_id) as session:
            write(session, tenant_id, account_id, batch)
        spent += time.perf_counter() - started
        print(f"  inserted {offset + len(batch):>9,} rows", end="\r", flush=True)
    print()
    started = time.perf_counter()
    with db.unit_of_work(user_id=user_id, tenant_id=tenant_id) as session:
        count = service.rebuild_aggregates(session, tenant_id=tenant_id)
    print(f"  account_month: {count:,} rows built in {time.perf_counter() - started:.1f} s")
    return rows / spent


def analyse(owner_url: str) -> None:
    """Fresh statistics, as autovacuum would leave them (VACUUM also sets PostgreSQL's
    visibility map, which index-only scans rely on)."""
    engine = create_engine(normalise_url(owner_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    engine.dispose()


def cursor_at(
    db: Database, user_id: uuid.UUID, tenant_id: uuid.UUID, account_id: uuid.UUID, offset: int
) -> str:
    txn = LedgerTransaction
    with db.unit_of_work(user_id=user_id, tenant_id=tenant_id) as session:
        row = session.execute(
            select(txn.posted_on, txn.id)
            .where(txn.tenant_id == tenant_id, txn.account_id == account_id)
            .order_by(desc(txn.posted_on), desc(txn.id))
            .offset(offset)
            .limit(1)
        ).one()
    return encode_cursor(row[0], row[1])


def timed(call: Callable[[], object], repeat: int) -> dict[str, float]:
    call()  # warm-up
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return {"median_ms": round(statistics.median(samples), 2), "p95_ms": round(p95, 2)}


def run(backend: str, owner_url: str, app_url: str, args: argparse.Namespace) -> dict[str, Any]:
    migrate(migration_url=owner_url, app_url=app_url)
    db = Database(app_url)
    try:
        user_id, tenant_id, account_id, categories = make_household(db)
        print(f"{backend}: inserting {args.rows:,} transactions")
        speed = fill(
            db,
            user_id=user_id,
            tenant_id=tenant_id,
            account_id=account_id,
            categories=categories,
            rows=args.rows,
        )
        analyse(owner_url)
        cursors = {
            "first page": None,
            "middle page": cursor_at(db, user_id, tenant_id, account_id, args.rows // 2),
            "deep page": cursor_at(
                db, user_id, tenant_id, account_id, min(args.deep_offset, args.rows - 1)
            ),
        }
        results: dict[str, Any] = {
            "backend": backend,
            "rows": args.rows,
            "insert_rows_per_s": round(speed),
        }
        for label, cursor in cursors.items():
            with db.unit_of_work(user_id=user_id, tenant_id=tenant_id) as session:

                def call(cursor: str | None = cursor) -> object:
                    page = service.register_page(
                        session,
                        tenant_id=tenant_id,
                        account_id=account_id,
                        limit=args.limit,
                        cursor=cursor,
                    )
                    assert len(page.items) == args.limit or page.next_cursor is None
                    return page

                results[label] = timed(call, args.repeat)
            print(f"  {label:<12} {results[label]}")
        with db.unit_of_work(user_id=user_id, tenant_id=tenant_id) as session:
            # What the reports stage will read: ten years of monthly sums by category.
            am = AccountMonth
            query = (
                select(am.month, am.category_id, func.sum(am.total_minor), func.sum(am.count))
                .where(am.tenant_id == tenant_id, am.month >= START)
                .group_by(am.month, am.category_id)
            )
            results["monthly sums"] = timed(lambda: session.execute(query).all(), args.repeat)
        print(f"  monthly sums {results['monthly sums']}")
        return results
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--limit", type=int, default=50, help="register page size")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--deep-offset", type=int, default=900_000)
    parser.add_argument(
        "--postgres-admin-url",
        default=os.environ.get(
            "COFFER_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    configure_encryption([Fernet.generate_key().decode()])
    results = []
    if args.backend in ("sqlite", "both"):
        with sqlite_urls(args.keep) as (owner, app):
            results.append(run("sqlite", owner, app, args))
    if args.backend in ("postgres", "both"):
        with postgres_urls(args.postgres_admin_url, args.keep) as (owner, app):
            results.append(run("postgres", owner, app, args))
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
