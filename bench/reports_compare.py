#!/usr/bin/env python3
"""Reports side by side: Coffer, a raw GROUP BY, DuckDB and hledger on the same data.

One run builds the household of register_latency.py (one checking account in the base
currency holding --rows transactions over ten years, 20 flat expense categories plus
uncategorised, bulk-inserted and aggregated with `rebuild_aggregates`) on each backend
asked for, and measures on that same data:

Coffer (server time; each case called --repeat times after one warm-up call):
- the monthly summary for all ten years: the service call
  `coffer.reports.service.monthly_summary` inside an open unit of work, and the whole
  request GET /api/v1/reports/monthly-summary (JSON included);
- the dashboard: the request GET / (what a signed-in browser gets: the cards, the
  getting-started check, the templates) and the cards' service time (`load_cards`)
  alone. The cards read "this month" and the last twelve months, so the dashboard is
  taken as of the last day of the data (--as-of, default 2025-12-31) rather than the
  machine's clock, which may lie past the generated history: the request goes through
  the real route, with `dashboard_page` called with that `today`;
- the register of one month (--month, default June of the last year) of the account,
  first page (50 rows, as the pages show it): the transaction search filtered to the
  account and the month (service call and GET /transactions?account_ids=..&date_from=..
  &date_to=..), and the account register opened at the end of that month, with running
  balances (service call and GET /accounts/{id}?cursor=..).

Requests run in-process through the ASGI app (`create_app` with a `Database` for the
benchmark's URL, a browser session signed in through the sign-in form, a bearer token
for the API); server time is taken by a thin ASGI wrapper around the app, from the
request's arrival to the end of its response, so the test client is not counted.
PostgreSQL runs as the application role without BYPASSRLS, as in production. The
access log is written (level INFO, as `coffer serve` does) to a file in a temporary
directory.

The raw scan: `GROUP BY month, category` (sum and count) over the household's rows in
the same database, through the same kind of unit of work (on PostgreSQL under
row-level security); and, like for like, the same sums read from the monthly aggregate
`account_month` that the summary reads (checked equal to the raw scan's).

DuckDB (once, from the first backend: the rows are the same): the rows' date, category
and amount are read from the database once and loaded through a CSV file into an
in-memory DuckDB table (not timed); then the same GROUP BY is timed. Its result is
checked against the raw scan's.

hledger (once, from the first backend; --skip-hledger leaves it out): the household
exported as an hledger journal with Coffer's own exporter (the text of GET
/api/v1/exports/hledger.journal; the export is timed), then
`hledger -f FILE bal expenses -M --depth 2` and the register of the account for the
month, `hledger -f FILE reg -p YYYY-MM assets:checking`, each run --hledger-runs times
(default once: it is slow) under `/usr/bin/time -f '%e %M'` (wall time, peak memory);
without /usr/bin/time, a Python wrapper reads the child's peak memory from
`getrusage(RUSAGE_CHILDREN)`.

Every figure carries the load average (`os.getloadavg()`) taken right after it. A
fixed pure-Python loop (ten million additions) is timed at the start, before each
backend's timings and at the end, because a busy host under a virtual machine slows
everything down without showing in the load average.

    .venv/bin/python bench/reports_compare.py --rows 20000 --repeat 5        # a quick run
    .venv/bin/python bench/reports_compare.py --json /tmp/reports_compare.json
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import func, literal_column, select, update
from starlette.types import ASGIApp, Receive, Scope, Send

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

import coffer.tenancy.pages as home_pages
from coffer.auth.models import User
from coffer.auth.passwords import hash_password
from coffer.config import Settings
from coffer.db.migrate import migrate
from coffer.db.session import Database
from coffer.db.types import configure_encryption
from coffer.ledger import service as ledger
from coffer.ledger.common import encode_cursor
from coffer.ledger.models import AccountMonth, LedgerTransaction
from coffer.ledger.pages_transactions import PAGE_SIZE
from coffer.main import create_app
from coffer.reports import service as reports
from coffer.reports.dashboard import CardContext, CardResult, load_cards
from coffer.reports.exports import journal
from coffer.reports.exports.entries import Selection
from coffer.reports.pages import dashboard_page
from coffer.tenancy.models import Role, Tenant
from coffer.web.logging import configure_logging

END = date(START.year + YEARS - 1, 12, 31)
PASSWORD = "bench-ledger-lantern-4417"  # noqa: S105 - a throwaway benchmark account
HTML = {"Accept": "text/html"}
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
TIME = shutil.which("time") or "/usr/bin/time"
HLEDGER = shutil.which("hledger") or "/usr/bin/hledger"
# Runs a command and prints its wall time in seconds and peak memory in KiB, the way
# `/usr/bin/time -f '%e %M'` does, for machines without GNU time.
RUSAGE_WRAPPER = """
import resource, subprocess, sys, time
started = time.perf_counter()
with open(sys.argv[1], "w") as out:
    code = subprocess.run(sys.argv[2:], stdout=out).returncode
elapsed = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"{elapsed:.2f} {peak}", file=sys.stderr)
sys.exit(code)
"""


@dataclass(frozen=True)
class Household:
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    account_id: uuid.UUID
    email: str


def require(condition: bool, problem: str) -> None:
    """A check that holds with `python -O` too: a wrong answer makes the figures void."""
    if not condition:
        raise RuntimeError(problem)


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def with_load(figures: dict[str, Any]) -> dict[str, Any]:
    return {**figures, "load": load_average()}


def summarise(samples: list[float]) -> dict[str, float]:
    """Median and p95 in milliseconds, as register_latency.timed reports them."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median_ms": round(statistics.median(ordered), 2), "p95_ms": round(p95, 2)}


def month_bounds(month: date) -> tuple[date, date, date]:
    """The month's first and last day, and the first day of the month after."""
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return month, following - timedelta(days=1), following


# --- requests through the ASGI app --------------------------------------------------------


class ServerTimer:
    """An ASGI wrapper that records how long the app took over the last request: from
    its arrival to the end of its response, as a server's own timer sees it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.last_ms = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.last_ms = (time.perf_counter() - started) * 1000


@dataclass
class Web:
    client: TestClient
    timer: ServerTimer
    api_headers: dict[str, str]

    def timed_get(
        self,
        path: str,
        repeat: int,
        *,
        headers: dict[str, str],
        check: Callable[[str], bool],
    ) -> dict[str, float]:
        """GET `path` once to warm up, then `repeat` times; server time of each."""
        samples = []
        for attempt in range(repeat + 1):
            response = self.client.get(path, headers=headers, follow_redirects=False)
            if response.status_code != 200 or not check(response.text):
                raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:500]}")
            if attempt:
                samples.append(self.timer.last_ms)
        return summarise(samples)


@contextmanager
def web_app(
    db: Database, owner_url: str, app_url: str, household: Household, key: str, as_of: date
) -> Iterator[Web]:
    """The app for this database with a signed-in browser and an API token."""
    directory = Path(tempfile.mkdtemp(prefix="coffer-compare-web-"))
    settings = Settings(
        _env_file=None,
        data_dir=directory,
        database_url=app_url,
        migration_database_url=owner_url,
        secret_key="bench-secret-key-" + "x" * 32,
        encryption_keys=[key],
        redis_url=None,
        demo_on_first_run=False,
    )
    app = create_app(settings, db)
    log_file = (directory / "coffer.log").open("w")
    configure_logging(settings, stream=log_file)  # the access log, as served, to a file
    timer = ServerTimer(app)
    # The home route's own code, with the dashboard's "today" set to the data's last day.
    home_pages.dashboard_page = functools.partial(dashboard_page, today=as_of)
    try:
        with TestClient(timer, raise_server_exceptions=True) as client:
            login_page = client.get("/login")
            found = CSRF_META.search(login_page.text)
            if found is None:
                raise RuntimeError(f"no CSRF token on the sign-in page: {login_page.text[:500]}")
            signed_in = client.post(
                "/login",
                data={"email": household.email, "password": PASSWORD, "csrf_token": found[1]},
                follow_redirects=False,
            )
            if signed_in.status_code != 303:
                raise RuntimeError(f"sign-in failed: {signed_in.status_code} {signed_in.text}")
            tokens = client.post(
                "/api/v1/auth/login", json={"email": household.email, "password": PASSWORD}
            )
            tokens.raise_for_status()
            api_headers = {
                "Authorization": f"Bearer {tokens.json()['access_token']}",
                "X-Tenant-Id": str(household.tenant_id),
            }
            yield Web(client, timer, api_headers)
    finally:
        home_pages.dashboard_page = dashboard_page
        # Back to stderr (warnings only) before the file closes: logging outlives the app.
        configure_logging(settings.model_copy(update={"log_level": "WARNING"}))
        log_file.close()
        shutil.rmtree(directory, ignore_errors=True)


def set_password(db: Database, user_id: uuid.UUID) -> str:
    """make_household's user cannot sign in; give them a password. Returns the email."""
    with db.unit_of_work(user_id=user_id) as session:
        session.execute(
            update(User).where(User.id == user_id).values(password_hash=hash_password(PASSWORD))
        )
        return str(session.scalar(select(User.email).where(User.id == user_id)))


# --- Coffer ---------------------------------------------------------------------------------


def time_coffer(
    db: Database, web: Web, household: Household, args: argparse.Namespace
) -> dict[str, Any]:
    user_id, tenant_id, account_id = household.user_id, household.tenant_id, household.account_id
    repeat = args.repeat
    figures: dict[str, Any] = {}

    def note(label: str, result: dict[str, Any]) -> None:
        figures[label] = with_load(result)
        print(f"  {label:<40} {figures[label]}", flush=True)

    # Monthly summary, ten years.
    filters = reports.ReportFilter(date_from=START, date_to=END)
    with db.unit_of_work(user_id=user_id, tenant_id=tenant_id) as session:

        def summary() -> object:
            report = reports.monthly_summary(
                session, tenant_id=tenant_id, base_currency="USD", filters=filters
            )
            require(bool(report.spending.categories), "the summary found no spending")
            return report

        note("summary: service", timed(summary, repeat))
    note(
        "summary: GET /api/v1/reports/monthly-summary",
        web.timed_get(
            f"/api/v1/reports/monthly-summary?date_from={START}&date_to={END}",
            repeat,
            headers=web.api_headers,
            check=lambda body: '"spending"' in body,
        ),
    )

    # The dashboard.
    with db.unit_of_work(user_id=user_id, tenant_id=tenant_id) as session:
        tenant, user = session.get(Tenant, tenant_id), session.get(User, user_id)
        if tenant is None or user is None:
            raise RuntimeError("the household is missing")

        def cards() -> list[CardResult]:
            # A context per call, as per request: it carries what the cards share.
            ctx = CardContext(tenant=tenant, user=user, role=Role.owner, today=args.as_of)
            results: list[CardResult] = load_cards(session, ctx)
            require(not any(r.failed for r in results), "a dashboard card failed")
            return results

        shown = [r.spec.key for r in cards()]
        note("dashboard: load_cards", {**timed(cards, repeat), "cards": shown})
    note(
        "dashboard: GET /",
        web.timed_get(
            "/",
            repeat,
            headers=HTML,
            check=lambda body: (
                all(f'id="card-{k.replace("_", "-")}"' in body for k in shown)
                and "could not be loaded" not in body
            ),
        ),
    )

    # The register of one month: the first page, newest first.
    first, last, following = month_bounds(args.month)
    month_filter = ledger.TransactionFilter(
        date_from=first, date_to=last, account_ids=(account_id,)
    )
    txn = LedgerTransaction
    with db.unit_of_work(user_id=user_id, tenant_id=tenant_id) as session:
        # The cursor a reader paging down the register holds on reaching the month: the
        # oldest row of the month after.
        above = session.execute(
            select(txn.posted_on, txn.id)
            .where(txn.tenant_id == tenant_id, txn.account_id == account_id)
            .where(txn.posted_on >= following)
            .order_by(txn.posted_on, txn.id)
            .limit(1)
        ).one_or_none()
        cursor = encode_cursor(above[0], above[1]) if above else None
        in_month = session.scalar(
            select(func.count()).where(
                txn.tenant_id == tenant_id,
                txn.account_id == account_id,
                txn.posted_on >= first,
                txn.posted_on <= last,
            )
        )
        figures["month"] = {"month": first.isoformat()[:7], "rows": in_month}

        def search() -> object:
            page = ledger.search_transactions(
                session, tenant_id=tenant_id, filters=month_filter, limit=PAGE_SIZE
            )
            require(
                bool(page.items) and all(first <= v.txn.posted_on <= last for v in page.items),
                "the month's search found no rows, or rows outside the month",
            )
            return page

        def register() -> object:
            page = ledger.register_page(
                session, tenant_id=tenant_id, account_id=account_id, limit=PAGE_SIZE, cursor=cursor
            )
            require(
                bool(page.items) and page.items[0].txn.posted_on <= last,
                "the register did not open at the month's end",
            )
            return page

        note("month register: search service", timed(search, repeat))
        note("month register: register_page service", timed(register, repeat))
    note(
        "month register: GET /transactions",
        web.timed_get(
            f"/transactions?account_ids={account_id}&date_from={first}&date_to={last}",
            repeat,
            headers=HTML,
            check=lambda body: "cursor=" in body,
        ),
    )
    note(
        "month register: GET /accounts/{id}?cursor",
        web.timed_get(
            f"/accounts/{account_id}?cursor={cursor}",
            repeat,
            headers=HTML,
            check=lambda body: "cursor=" in body,
        ),
    )
    return figures


# --- the raw scan and DuckDB --------------------------------------------------------------


def _key(month: Any, category: Any) -> tuple[str, str | None]:
    text = month if isinstance(month, str) else month.isoformat()
    return text[:7], None if category is None else str(category)


def raw_group_by(
    db: Database, household: Household, repeat: int
) -> tuple[dict[str, Any], dict[tuple[str, str | None], tuple[int, int]]]:
    """GROUP BY month, category over the raw rows, in the application's database."""
    txn = LedgerTransaction
    if db.dialect == "postgresql":
        month = func.date_trunc(literal_column("'month'"), txn.posted_on)
    else:  # dates are ISO text in SQLite
        month = func.substr(txn.posted_on, literal_column("1"), literal_column("7"))
    query = (
        select(month, txn.category_id, func.sum(txn.amount_minor), func.count())
        .where(txn.tenant_id == household.tenant_id)
        .group_by(month, txn.category_id)
    )
    with db.unit_of_work(user_id=household.user_id, tenant_id=household.tenant_id) as session:
        figures = timed(lambda: session.execute(query).all(), repeat)
        rows = session.execute(query).all()
    groups = {_key(m, c): (int(s), int(n)) for m, c, s, n in rows}
    return with_load({**figures, "groups": len(groups)}), groups


def aggregate_group_by(
    db: Database, household: Household, repeat: int
) -> tuple[dict[str, Any], dict[tuple[str, str | None], tuple[int, int]]]:
    """The same sums read from the monthly aggregate `account_month`, as the summary
    reads them: the like-for-like counterpart of the raw scan and of DuckDB."""
    am = AccountMonth
    query = (
        select(am.month, am.category_id, func.sum(am.total_minor), func.sum(am.count))
        .where(am.tenant_id == household.tenant_id, am.month >= START, am.month <= END)
        .group_by(am.month, am.category_id)
    )
    with db.unit_of_work(user_id=household.user_id, tenant_id=household.tenant_id) as session:
        figures = timed(lambda: session.execute(query).all(), repeat)
        rows = session.execute(query).all()
    groups = {_key(m, c): (int(s), int(n)) for m, c, s, n in rows}
    return with_load({**figures, "groups": len(groups)}), groups


def extract_rows(db: Database, household: Household, path: Path) -> int:
    """The rows' date, category and amount as CSV, for DuckDB to load."""
    txn = LedgerTransaction
    query = select(txn.posted_on, txn.category_id, txn.amount_minor).where(
        txn.tenant_id == household.tenant_id
    )
    count = 0
    with (
        db.unit_of_work(user_id=household.user_id, tenant_id=household.tenant_id) as session,
        path.open("w", newline="") as out,
    ):
        writer = csv.writer(out)
        writer.writerow(["posted_on", "category_id", "amount_minor"])
        for partition in session.execute(query.execution_options(yield_per=50_000)).partitions():
            writer.writerows((d.isoformat(), c or "", a) for d, c, a in partition)
            count += len(partition)
    return count


DUCKDB_QUERY = (
    "SELECT date_trunc('month', posted_on) AS month, category_id, sum(amount_minor), count(*) "
    "FROM txn GROUP BY month, category_id"
)


def duckdb_group_by(
    path: Path, repeat: int, expected: dict[tuple[str, str | None], tuple[int, int]]
) -> dict[str, Any]:
    with duckdb.connect() as con:
        started = time.perf_counter()
        con.execute(
            "CREATE TABLE txn AS SELECT * FROM read_csv(?, header = true, columns = "
            "{'posted_on': 'DATE', 'category_id': 'UUID', 'amount_minor': 'BIGINT'})",
            [str(path)],
        )
        loaded = time.perf_counter() - started
        figures = timed(lambda: con.execute(DUCKDB_QUERY).fetchall(), repeat)
        rows = con.execute(DUCKDB_QUERY).fetchall()
        threads = con.execute("SELECT current_setting('threads')").fetchone()
    groups = {_key(m, c): (int(s), int(n)) for m, c, s, n in rows}
    if groups != expected:
        raise RuntimeError("DuckDB's GROUP BY differs from the database's")
    return with_load(
        {
            **figures,
            "groups": len(groups),
            "load_s": round(loaded, 2),
            "threads": threads[0] if threads else None,
            "version": duckdb.__version__,
        }
    )


# --- hledger --------------------------------------------------------------------------------


def export_journal(db: Database, household: Household, path: Path) -> dict[str, Any]:
    """The whole book with Coffer's exporter, as GET /api/v1/exports/hledger.journal."""
    started = time.perf_counter()
    with (
        db.unit_of_work(user_id=household.user_id, tenant_id=household.tenant_id) as session,
        path.open("w", encoding="utf-8") as out,
    ):
        tenant = session.get(Tenant, household.tenant_id)
        if tenant is None:
            raise RuntimeError("the household is missing")
        for text in journal.journal_chunks(
            session, tenant_id=household.tenant_id, selection=Selection(), title=tenant.name
        ):
            out.write(text)
    elapsed = time.perf_counter() - started
    size = path.stat().st_size
    return with_load({"wall_s": round(elapsed, 1), "mb": round(size / 2**20, 1)})


def measure(command: list[str], output: Path) -> dict[str, Any]:
    """Wall time and peak memory of one command, its output written to `output`."""
    if Path(TIME).exists():
        stats = output.with_suffix(".time")
        with output.open("w") as out:
            done = subprocess.run(
                [TIME, "-f", "%e %M", "-o", str(stats), *command],
                stdout=out,
                stderr=subprocess.PIPE,
                text=True,
                check=False,
            )
        report, how = stats.read_text(), "/usr/bin/time"
    else:
        done = subprocess.run(
            [sys.executable, "-c", RUSAGE_WRAPPER, str(output), *command],
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
        report, how = done.stderr, "getrusage"
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr[-2000:]}")
    wall, peak_kib = report.split()[-2:]
    with output.open() as produced:
        lines = sum(1 for _ in produced)
    return with_load(
        {
            "wall_s": float(wall),
            "peak_mb": round(int(peak_kib) / 1024),
            "output_lines": lines,
            "measured_with": how,
        }
    )


def run_hledger(
    db: Database, household: Household, month: date, runs: int, directory: Path
) -> dict[str, Any]:
    path = directory / "coffer.journal"
    print("hledger: exporting the journal with Coffer's exporter", flush=True)
    results: dict[str, Any] = {"export": export_journal(db, household, path)}
    print(f"  export {results['export']}", flush=True)
    version = subprocess.run([HLEDGER, "--version"], capture_output=True, text=True, check=True)
    results["version"] = version.stdout.strip()
    commands = {
        "balance": [HLEDGER, "-f", str(path), "bal", "expenses", "-M", "--depth", "2"],
        "register": [HLEDGER, "-f", str(path), "reg", "-p", f"{month:%Y-%m}", "assets:checking"],
    }
    for label, command in commands.items():
        attempts = []
        for attempt in range(runs):
            print(f"hledger: {' '.join(command[1:])} (run {attempt + 1})", flush=True)
            attempts.append(measure(command, directory / f"{label}.txt"))
            print(f"  {attempts[-1]}", flush=True)
        results[label] = {"command": " ".join(["hledger", *command[1:]]), "runs": attempts}
    return results


def server_version(db: Database) -> str:
    query = "SHOW server_version" if db.dialect == "postgresql" else "SELECT sqlite_version()"
    with db.engine.connect() as conn:
        return str(conn.exec_driver_sql(query).scalar())


# --- one backend ----------------------------------------------------------------------------


def run(
    backend: str, owner_url: str, app_url: str, args: argparse.Namespace, shared: dict[str, Any]
) -> dict[str, Any]:
    migrate(migration_url=owner_url, app_url=app_url)
    db = Database(app_url)
    try:
        user_id, tenant_id, account_id, categories = make_household(db)
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
        household = Household(user_id, tenant_id, account_id, set_password(db, user_id))
        results: dict[str, Any] = {
            "backend": backend,
            "calibration_s": calibration(),
            "rows": args.rows,
            "categories": len(categories),
            "build_s": round(time.perf_counter() - started, 1),
            "server_version": server_version(db),
        }
        with web_app(db, owner_url, app_url, household, args.key, args.as_of) as web:
            results["coffer"] = time_coffer(db, web, household, args)
        results["aggregate_group_by"], summed = aggregate_group_by(db, household, args.repeat)
        print(f"  account_month GROUP BY month, category {results['aggregate_group_by']}")
        print(f"  raw GROUP BY month, category ({backend})", flush=True)
        results["raw_group_by"], groups = raw_group_by(db, household, args.repeat)
        print(f"  {results['raw_group_by']}", flush=True)
        require(summed == groups, "account_month differs from the raw rows' sums")
        if "duckdb" not in shared:
            with tempfile.TemporaryDirectory(prefix="coffer-compare-duckdb-") as directory:
                path = Path(directory) / "rows.csv"
                count = extract_rows(db, household, path)
                print(f"duckdb: {count:,} rows extracted from {backend}", flush=True)
                shared["duckdb"] = {"source": backend, **duckdb_group_by(path, args.repeat, groups)}
            print(f"  {shared['duckdb']}", flush=True)
        if not args.skip_hledger and "hledger" not in shared:
            with tempfile.TemporaryDirectory(prefix="coffer-compare-hledger-") as directory:
                shared["hledger"] = {
                    "source": backend,
                    **run_hledger(db, household, args.month, args.hledger_runs, Path(directory)),
                }
        return results
    finally:
        db.dispose()


# --- output ---------------------------------------------------------------------------------


def _ms(figures: dict[str, Any] | None) -> str:
    if not figures:
        return "-"
    return f"{figures['median_ms']:.1f} / {figures['p95_ms']:.1f} ms (load {figures['load'][0]})"


def print_table(report: dict[str, Any]) -> None:
    backends = report["backends"]
    names = [b["backend"] for b in backends]
    lines = [f"{'median / p95, server time':<50} " + " | ".join(f"{n:<34}" for n in names)]
    labels = [k for k, v in backends[0]["coffer"].items() if "median_ms" in v]
    for label in labels:
        lines.append(
            f"{'Coffer ' + label:<50} "
            + " | ".join(f"{_ms(b['coffer'].get(label)):<34}" for b in backends)
        )
    lines.append(
        f"{'Coffer account_month GROUP BY month, category':<50} "
        + " | ".join(f"{_ms(b['aggregate_group_by']):<34}" for b in backends)
    )
    lines.append(
        f"{'raw GROUP BY month, category':<50} "
        + " | ".join(f"{_ms(b['raw_group_by']):<34}" for b in backends)
    )
    lines.append(f"{'DuckDB GROUP BY month, category':<50} {_ms(report.get('duckdb'))}")
    hledger = report.get("hledger")
    if hledger:
        export = hledger["export"]
        lines.append(
            f"{'Coffer journal export':<50} {export['wall_s']} s, {export['mb']} MB "
            f"(load {export['load'][0]})"
        )
        for label in ("balance", "register"):
            for attempt in hledger[label]["runs"]:
                lines.append(
                    f"{'hledger ' + label:<50} {attempt['wall_s']} s, peak {attempt['peak_mb']} MB "
                    f"(load {attempt['load'][0]})"
                )
    print("\n".join(lines))


def source_tree() -> dict[str, Any]:
    """The commit measured, and the files under src/ that differed from it (read only)."""
    root = Path(__file__).resolve().parent.parent

    def git(*words: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(root), *words], capture_output=True, text=True, check=False
        )
        return done.stdout.strip()

    changed = git("status", "--porcelain", "--", "src").splitlines()
    return {"commit": git("rev-parse", "--short", "HEAD"), "changed_in_src": changed}


def calibration() -> float:
    """Seconds for a fixed pure-Python loop: how fast this machine ran at the time, next
    to the load average (which does not show a busy host under a virtual machine)."""
    started = time.perf_counter()
    total = 0
    for number in range(10_000_000):
        total += number
    return round(time.perf_counter() - started, 2)


def machine() -> dict[str, Any]:
    return {
        "source": source_tree(),
        "cpus": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "duckdb": duckdb.__version__,
        "load_at_start": load_average(),
        "calibration_s_at_start": calibration(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument(
        "--month",
        type=date.fromisoformat,
        default=date(END.year, 6, 1),
        help="a day of the month whose register is timed (default June of the last year)",
    )
    parser.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=END,
        help="the dashboard's today (default the last day of the data)",
    )
    parser.add_argument("--skip-hledger", action="store_true")
    parser.add_argument("--hledger-runs", type=int, default=1)
    parser.add_argument(
        "--postgres-admin-url",
        default=os.environ.get(
            "COFFER_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    args.month = args.month.replace(day=1)
    args.key = Fernet.generate_key().decode()
    configure_encryption([args.key])
    report: dict[str, Any] = {"command": " ".join(sys.argv), "machine": machine()}
    shared: dict[str, Any] = {}
    backends = []
    if args.backend in ("sqlite", "both"):
        with sqlite_urls(args.keep) as (owner, app):
            backends.append(run("sqlite", owner, app, args, shared))
    if args.backend in ("postgres", "both"):
        with postgres_urls(args.postgres_admin_url, args.keep) as (owner, app):
            backends.append(run("postgres", owner, app, args, shared))
    report.update(
        {
            "backends": backends,
            **shared,
            "load_at_end": load_average(),
            "calibration_s_at_end": calibration(),
        }
    )
    print(json.dumps(report, indent=2))
    print_table(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
