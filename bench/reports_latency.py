#!/usr/bin/env python3
"""Monthly summary latency with a million transactions over ten years.

Builds the household of register_latency.py (one checking account in the base
currency holding --rows transactions over ten years, 20 expense categories plus
uncategorised, bulk-inserted and aggregated with `rebuild_aggregates`), then times the
reports service call `coffer.reports.service.monthly_summary` over all ten years:
income and spending by category per month with parent roll-ups, totals, averages and
a drill-down per figure (what GET /api/v1/reports/monthly-summary serves, less the
JSON encoding). A second timing adds a partial first and last month (read line by
line at the edges), a third covers a single month.

Each is called --repeat times after one warm-up call; median and p95 are reported in
milliseconds of server time (the service call inside an open unit of work, which on
PostgreSQL has its row-level security context set, as a request has). PostgreSQL runs
as the application role without BYPASSRLS, as in production.

    .venv/bin/python bench/reports_latency.py                    # both databases
    .venv/bin/python bench/reports_latency.py --backend sqlite --rows 200000
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

sys.path.insert(0, str(Path(__file__).resolve().parent))

from register_latency import (
    START,
    YEARS,
    analyse,
    fill,
    make_household,
    postgres_urls,
    sqlite_urls,
    timed,
)

from coffer.db.migrate import migrate
from coffer.db.session import Database
from coffer.db.types import configure_encryption
from coffer.reports import service

END = date(START.year + YEARS - 1, 12, 31)


def run(backend: str, owner_url: str, app_url: str, args: argparse.Namespace) -> dict[str, Any]:
    migrate(migration_url=owner_url, app_url=app_url)
    db = Database(app_url)
    try:
        user_id, tenant_id, account_id, categories = make_household(db)
        print(f"{backend}: inserting {args.rows:,} transactions")
        fill(
            db,
            user_id=user_id,
            tenant_id=tenant_id,
            account_id=account_id,
            categories=categories,
            rows=args.rows,
        )
        analyse(owner_url)
        results: dict[str, Any] = {"backend": backend, "rows": args.rows}
        cases = {
            "ten years": service.ReportFilter(date_from=START, date_to=END),
            "ten years, partial edge months": service.ReportFilter(
                date_from=date(START.year, 1, 15), date_to=date(END.year, 12, 15)
            ),
            "one month": service.ReportFilter(
                date_from=date(END.year, 6, 1), date_to=date(END.year, 6, 30)
            ),
        }
        for label, filters in cases.items():
            with db.unit_of_work(user_id=user_id, tenant_id=tenant_id) as session:

                def call(filters: service.ReportFilter = filters) -> object:
                    report = service.monthly_summary(
                        session, tenant_id=tenant_id, base_currency="USD", filters=filters
                    )
                    assert report.spending.categories, "the summary found no spending"
                    return report

                results[label] = timed(call, args.repeat)
            print(f"  {label:<32} {results[label]}")
        with db.unit_of_work(user_id=user_id, tenant_id=tenant_id) as session:
            results["categories"] = len(categories)
            report = service.monthly_summary(
                session,
                tenant_id=tenant_id,
                base_currency="USD",
                filters=cases["ten years"],
            )
            results["figures"] = sum(
                len(row.months) for row in report.spending.categories + report.income.categories
            )
        return results
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
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
    runs: list[tuple[str, Callable[..., Any]]] = []
    if args.backend in ("sqlite", "both"):
        runs.append(("sqlite", lambda: sqlite_urls(args.keep)))
    if args.backend in ("postgres", "both"):
        runs.append(("postgres", lambda: postgres_urls(args.postgres_admin_url, args.keep)))
    for backend, urls in runs:
        with urls() as (owner, app):
            results.append(run(backend, owner, app, args))
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
