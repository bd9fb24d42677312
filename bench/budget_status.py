#!/usr/bin/env python3
"""Budget status latency: 200 budgets over 200 categories with a million transactions.

Builds one household with one checking account holding --rows transactions over ten
years (2016-2025), written with register_latency.py's bulk inserts and aggregated with
`rebuild_aggregates`, over --categories categories: top-level ones with four children
each (a fifth of them top-level), every one with a budget, so the top-level ones are
group budgets covering their children. Then times the service call
`coffer.budgets.budgets.status` (every budget's period, amount, rollover chain, actual
from the monthly aggregate or the rows, left per day, projection; what GET
/api/v1/budgets/status and the /budgets page serve) on --as-of (default 2025-12-15),
inside an open unit of work (on PostgreSQL as the application role, under row-level
security), for two sets of budgets on the same data:

- "monthly": every budget a calendar month without rollover;
- "mixed": a tenth carry surplus and overspending from a year earlier (twelve months of
  chain), a tenth run from payday (the 25th) to payday, a tenth weekly, the rest
  calendar months.

Each is called --repeat times after one warm-up call; median and p95 in milliseconds.
Before timing, the garbage collector is tuned as a serving process tunes it at startup
(coffer.web.runtime.tune_garbage_collector): without that, a full collection walking
the long-lived objects lands in about one call in twenty and adds some 80 ms to it.

    .venv/bin/python bench/budget_status.py --rows 20000 --repeat 5      # a quick run
    .venv/bin/python bench/budget_status.py --json /tmp/budget_status.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import delete

sys.path.insert(0, str(Path(__file__).resolve().parent))

from register_latency import (
    START,
    analyse,
    fill,
    postgres_urls,
    sqlite_urls,
    timed,
)

import coffer.models  # noqa: F401 - registers every table
from coffer.auth.models import User
from coffer.budgets import budgets as service
from coffer.budgets.models import Budget
from coffer.db.migrate import migrate
from coffer.db.session import Database, set_context
from coffer.db.types import configure_encryption
from coffer.ledger import service as ledger
from coffer.ledger.models import AccountType, CategoryKind
from coffer.tenancy import service as tenancy_service
from coffer.web.runtime import tune_garbage_collector

CHILDREN = 4


def make_household(
    db: Database, count: int
) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID, list[uuid.UUID]]:
    """A user, their household (without the default categories), a checking account and
    `count` expense categories: parents with CHILDREN children each."""
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
        tenant = tenancy_service.create_tenant(
            session, creator=user, name="Bench household", default_categories=False
        )
        user_id, tenant_id = user.id, tenant.id
    with db.unit_of_work(user_id=user_id, tenant_id=tenant_id) as session:
        account = ledger.create_account(
            session,
            tenant_id=tenant_id,
            actor_id=user_id,
            name="Checking",
            type=AccountType.checking,
            currency="USD",
            opening_balance=Decimal("1000.00"),
            opening_on=START,
        )
        categories: list[uuid.UUID] = []
        parent: uuid.UUID | None = None
        for i in range(count):
            is_parent = i % (CHILDREN + 1) == 0
            made = ledger.create_category(
                session,
                tenant_id=tenant_id,
                actor_id=user_id,
                name=f"C{i}",
                kind=CategoryKind.expense,
                parent_id=None if is_parent else parent,
            )
            if is_parent:
                parent = made.id
            categories.append(made.id)
        return user_id, tenant_id, account.id, categories


def make_budgets(
    db: Database,
    user_id: uuid.UUID,
    tenant_id: uuid.UUID,
    categories: list[uuid.UUID],
    as_of: date,
    mixed: bool,
) -> None:
    year_before = date(as_of.year - 1, as_of.month, 1)
    with db.unit_of_work(user_id=user_id, tenant_id=tenant_id) as session:
        session.execute(delete(Budget).where(Budget.tenant_id == tenant_id))
        for i, category_id in enumerate(categories):
            options: dict[str, Any] = {}
            if mixed and i % 10 == 1:
                options = {"rollover": "surplus_and_overspending", "starts_on": year_before}
            elif mixed and i % 10 == 2:
                options = {"period_kind": "month_from_day", "start_day": 25}
            elif mixed and i % 10 == 3:
                options = {"period_kind": "weekly", "anchor": date(2025, 1, 3)}
            service.create_budget(
                session,
                tenant_id=tenant_id,
                actor_id=user_id,
                category_id=category_id,
                amount=Decimal(500 + i),
                today=as_of,
                **options,
            )


def run(backend: str, owner_url: str, app_url: str, args: argparse.Namespace) -> dict[str, Any]:
    migrate(migration_url=owner_url, app_url=app_url)
    db = Database(app_url)
    try:
        user_id, tenant_id, account_id, categories = make_household(db, args.categories)
        print(f"{backend}: inserting {args.rows:,} transactions", flush=True)
        started = time.perf_counter()
        fill(
            db,
            user_id=user_id,
            tenant_id=tenant_id,
            account_id=account_id,
            categories=categories,
            rows=args.rows,
        )
        analyse(owner_url)
        results: dict[str, Any] = {
            "backend": backend,
            "rows": args.rows,
            "categories": len(categories),
            "budgets": len(categories),
            "as_of": args.as_of.isoformat(),
            "build_s": round(time.perf_counter() - started, 1),
        }
        for label, mixed in (("monthly", False), ("mixed", True)):
            make_budgets(db, user_id, tenant_id, categories, args.as_of, mixed)
            tune_garbage_collector()
            with db.unit_of_work(user_id=user_id, tenant_id=tenant_id) as session:

                def call() -> object:
                    report = service.status(session, tenant_id=tenant_id, on=args.as_of)
                    assert len(report.budgets) == len(categories)
                    return report

                results[label] = timed(call, args.repeat)
            print(f"  {label:<8} {results[label]}", flush=True)
        return results
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--categories", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2025, 12, 15))
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
