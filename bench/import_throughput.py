"""Import throughput: a generated 1,000,000-row CSV, deduplication and 50 rules, end to end.

    .venv/bin/python -m bench.import_throughput                       # both databases
    .venv/bin/python -m bench.import_throughput --backend sqlite --rows 200000
    .venv/bin/python -m bench.import_throughput --backend sqlite --profile   # pyinstrument

What it does, per database (SQLite: the embedded default, a file in a fresh data
directory; PostgreSQL: a fresh database, migrated by an owner role with BYPASSRLS and
imported into by an application role under row-level security, as in production):

1. makes a household, an account, 20 categories, 4 tags and 50 realistic rules through
   the service layer;
2. in a fresh process, runs the same service functions the API runs — upload_file
   (copies the file into the data directory, sniffs it) in one unit of work, then
   commit_batch (parse -> fingerprint -> exact duplicates -> rules, aliases, merchants
   -> insert -> account_month) in another — and reports rows/s over both and the
   process's peak resident memory (ru_maxrss, which counts SQLite's page cache and
   everything else, unlike tracemalloc);
3. imports the same file again in another fresh process and checks it adds 0 rows.

The CSV comes from bench/generate.py (streamed to bench/data/, reused when present).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from bench.generate import generate, write
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from coffer.auth.models import User
from coffer.db.migrate import migrate
from coffer.db.session import Database, set_context
from coffer.db.types import configure_encryption
from coffer.imports import rules as rules_service
from coffer.imports import service
from coffer.imports.limits import ImportLimits
from coffer.imports.storage import UploadStore
from coffer.imports.writer import WriteQueue
from coffer.ledger import service as ledger
from coffer.ledger.models import AccountType, CategoryKind
from coffer.tenancy import service as tenancy_service

ROOT = Path(__file__).resolve().parent
PG_SUPER = os.environ.get(
    "COFFER_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
PG_OWNER, PG_APP, PG_PASSWORD = "coffer_bench_owner", "coffer_bench_app", "coffer-bench-only"
MAPPING = {
    "date_column": "date",
    "amount_column": "amount",
    "payee_column": "payee",
    "memo_columns": ["memo"],
    "date_format": "%Y-%m-%d",
}
CATEGORIES = [
    "Groceries",
    "Coffee",
    "Dining",
    "Takeaway",
    "Transport",
    "Fuel",
    "Shopping",
    "Bills",
    "Subscriptions",
    "Housing",
    "Health",
    "Entertainment",
    "Travel",
    "Kids",
    "Pets",
    "Gifts",
    "Charity",
    "Salary",
    "Interest",
    "Transfers",
]
TAGS = ["bills", "online", "weekend-treat", "work"]
# (name, conditions, category, extra actions): what a household of the generator writes.
RULES: list[tuple[str, list[dict[str, Any]], str, dict[str, Any]]] = [
    *[
        (
            f"{word} groceries",
            [{"field": "payee", "op": "contains", "value": word}],
            "Groceries",
            {},
        )
        for word in (
            "tesco",
            "sainsbury",
            "asda",
            "lidl",
            "aldi",
            "waitrose",
            "morrisons",
            "co-op",
            "whole foods",
            "wholefds",
            "trader joe",
            "safeway",
            "kroger",
            "costco",
            "publix",
        )
    ],
    *[
        (f"{word} coffee", [{"field": "payee", "op": "contains", "value": word}], "Coffee", {})
        for word in ("starbucks", "costa coffee", "pret a manger", "caffe nero", "dunkin", "peets")
    ],
    (
        "Chains",
        [
            {
                "field": "payee",
                "op": "regex",
                "value": r"nandos|pizza express|wagamama|five guys|chipotle|shake shack",
            }
        ],
        "Dining",
        {},
    ),
    (
        "Takeaway",
        [
            {
                "field": "payee",
                "op": "regex",
                "value": r"deliveroo|just eat|uber \*eats|doordash|grubhub",
            }
        ],
        "Takeaway",
        {"tag_ids": ["online"]},
    ),
    (
        "Trains",
        [{"field": "payee", "op": "regex", "value": r"^(tfl|trainline|gwr|amtrak|mta)"}],
        "Transport",
        {},
    ),
    ("Taxis", [{"field": "payee", "op": "contains", "value": "uber *trip"}], "Transport", {}),
    ("Lyft", [{"field": "payee", "op": "contains", "value": "lyft"}], "Transport", {}),
    (
        "Fuel",
        [{"field": "payee", "op": "regex", "value": r"\b(shell|esso|texaco|chevron|exxon)"}],
        "Fuel",
        {},
    ),
    (
        "Amazon small",
        [
            {"field": "payee", "op": "regex", "value": r"amazon|amzn"},
            {"field": "amount", "op": "between", "min": "-30.00", "max": "0"},
        ],
        "Shopping",
        {"tag_ids": ["online"], "merchant": "Amazon"},
    ),
    (
        "Amazon",
        [{"field": "payee", "op": "regex", "value": r"amazon|amzn"}],
        "Shopping",
        {"tag_ids": ["online"], "merchant": "Amazon"},
    ),
    (
        "Direct debits",
        [{"field": "memo", "op": "equals", "value": "direct debit"}],
        "Bills",
        {"tag_ids": ["bills"]},
    ),
    (
        "Standing orders",
        [{"field": "memo", "op": "equals", "value": "standing order"}],
        "Housing",
        {},
    ),
    ("Netflix", [{"field": "payee", "op": "contains", "value": "netflix"}], "Subscriptions", {}),
    ("Spotify", [{"field": "payee", "op": "contains", "value": "spotify"}], "Subscriptions", {}),
    ("Disney", [{"field": "payee", "op": "contains", "value": "disney plus"}], "Subscriptions", {}),
    (
        "Gyms",
        [{"field": "payee", "op": "regex", "value": r"puregym|gym group|planet fitness"}],
        "Health",
        {},
    ),
    (
        "Pharmacy",
        [{"field": "payee", "op": "regex", "value": r"boots|superdrug|cvs|walgreens"}],
        "Health",
        {},
    ),
    (
        "Cinema",
        [{"field": "payee", "op": "regex", "value": r"odeon|vue|amc theatres|cinema"}],
        "Entertainment",
        {},
    ),
    (
        "Flights",
        [{"field": "payee", "op": "regex", "value": r"british airways|easyjet|ryanair|delta air"}],
        "Travel",
        {},
    ),
    (
        "Hotels",
        [{"field": "payee", "op": "regex", "value": r"booking\.com|airbnb|premier inn|marriott"}],
        "Travel",
        {},
    ),
    (
        "Toys",
        [{"field": "payee", "op": "regex", "value": r"smyths|lego store|the entertainer"}],
        "Kids",
        {},
    ),
    (
        "Pets",
        [{"field": "payee", "op": "regex", "value": r"pets at home|petsmart|petco|chewy"}],
        "Pets",
        {},
    ),
    (
        "Charity",
        [{"field": "payee", "op": "regex", "value": r"oxfam|red cross|unicef|justgiving"}],
        "Charity",
        {},
    ),
    (
        "Salary",
        [
            {"field": "payee", "op": "regex", "value": r"salary|payroll|direct dep"},
            {"field": "amount", "op": "between", "min": "500.00"},
        ],
        "Salary",
        {"tag_ids": ["work"]},
    ),
    ("Interest", [{"field": "payee", "op": "equals", "value": "interest paid"}], "Interest", {}),
    (
        "Parking",
        [{"field": "payee", "op": "regex", "value": r"ncp|ringgo|paybyphone|parkmobile"}],
        "Transport",
        {},
    ),
    (
        "Energy",
        [{"field": "payee", "op": "regex", "value": r"british gas|octopus|edf|ovo|con ed"}],
        "Bills",
        {"tag_ids": ["bills"]},
    ),
    (
        "Phone",
        [{"field": "payee", "op": "regex", "value": r"vodafone|ee limited|bt group|verizon"}],
        "Bills",
        {"tag_ids": ["bills"]},
    ),
    (
        "Card payments",
        [{"field": "payee", "op": "contains", "value": "payment received"}],
        "Transfers",
        {},
    ),
    ("Savings", [{"field": "payee", "op": "starts_with", "value": "transfer "}], "Transfers", {}),
    (
        "Weekend treats",
        [
            {"field": "payee", "op": "ends_with", "value": "bakery"},
            {"field": "amount", "op": "between", "max": "-2.00"},
        ],
        "Dining",
        {"tag_ids": ["weekend-treat"]},
    ),
]


def ensure_csv(rows: int, seed: int, path: Path) -> Path:
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    with open(partial, "w", encoding="utf-8", newline="") as out:
        write(generate(rows, years=5, seed=seed), out, "csv")
    partial.rename(path)
    return path


def setup_household(url: str) -> dict[str, str]:
    """A household with an account, categories, tags and the 50 rules."""
    db = Database(url)
    try:
        with db.unit_of_work() as session:
            user = User(
                email=f"bench-{uuid.uuid4().hex[:8]}@example.com",
                name="Bench",
                password_hash="-",  # noqa: S106 - never signs in
                security_stamp=uuid.uuid4().hex,
            )
            session.add(user)
            session.flush()
            set_context(session, user_id=user.id)
            tenant = tenancy_service.create_tenant(
                session, creator=user, name="Bench household", default_categories=False
            )
            ids = {"user": user.id, "tenant": tenant.id}
        with db.unit_of_work(user_id=ids["user"], tenant_id=ids["tenant"]) as session:
            scope = {"tenant_id": ids["tenant"], "actor_id": ids["user"]}
            account = ledger.create_account(
                session,
                **scope,
                name="Current",
                type=AccountType.checking,
                currency="GBP",
                opening_on=date(2020, 1, 1),
            )
            categories = {
                name: ledger.create_category(
                    session,
                    **scope,
                    name=name,
                    kind=CategoryKind.income
                    if name in ("Salary", "Interest")
                    else CategoryKind.expense,
                ).id
                for name in CATEGORIES
            }
            tags = {name: ledger.create_tag(session, **scope, name=name).id for name in TAGS}
            for name, conditions, category, extra in RULES:
                actions: dict[str, Any] = {"category_id": str(categories[category])}
                if "tag_ids" in extra:
                    actions["tag_ids"] = [str(tags[t]) for t in extra["tag_ids"]]
                if "merchant" in extra:
                    actions["merchant"] = extra["merchant"]
                rules_service.create_rule(
                    session, **scope, name=name, conditions=conditions, actions=actions
                )
            count = len(rules_service.list_rules(session, tenant_id=ids["tenant"]))
        return {
            "user": str(ids["user"]),
            "tenant": str(ids["tenant"]),
            "account": str(account.id),
            "rules": str(count),
        }
    finally:
        db.dispose()


_WRITER_CPU: list[float] = []


def _measure_writer_thread() -> None:
    """Record the CPU seconds of the import's writer thread (writer.WriteQueue)."""
    original = WriteQueue._run

    def run(self: WriteQueue) -> None:
        started = time.thread_time()
        try:
            original(self)
        finally:
            _WRITER_CPU.append(time.thread_time() - started)

    WriteQueue._run = run  # type: ignore[method-assign]


def child(args: argparse.Namespace) -> None:
    """One import in this (fresh) process; prints its figures as JSON."""
    _measure_writer_thread()
    configure_encryption([Fernet.generate_key().decode()])
    db = Database(args.url)
    store = UploadStore(Path(args.data_dir))
    user, tenant, account = (uuid.UUID(v) for v in (args.user, args.tenant, args.account))
    profiler = None
    if args.profile:
        from pyinstrument import Profiler  # only when asked: a dev tool, not a dependency

        profiler = Profiler(interval=0.005)
        profiler.start()
    started, cpu_started = time.perf_counter(), _cpu()
    with db.unit_of_work(user_id=user, tenant_id=tenant) as session, open(args.csv, "rb") as f:
        upload = service.upload_file(
            session,
            tenant_id=tenant,
            actor_id=user,
            account_id=account,
            filename="bench.csv",
            stream=f,
            store=store,
            limits=ImportLimits(max_bytes=2**40),
            mapping=MAPPING,
        )
        batch_id = upload.batch.id
    uploaded = time.perf_counter()
    with db.unit_of_work(user_id=user, tenant_id=tenant) as session:
        server = _server_pid(session)
        server_started = _server_cpu(server)
        batch = service.commit_batch(
            session, tenant_id=tenant, actor_id=user, batch_id=batch_id, store=store
        )
        committing = time.perf_counter()
        counts = {
            "parsed": batch.parsed_count,
            "added": batch.added_count,
            "duplicates": batch.duplicate_count,
            "categorised": (batch.result or {}).get("categorised"),
        }
    finished = time.perf_counter()
    server_cpu = _server_cpu(server)
    if profiler is not None:
        profiler.stop()
        out = Path(args.data_dir) / f"profile-{args.label}.txt"
        out.write_text(profiler.output_text(unicode=False, color=False, show_all=False))
        counts["profile"] = str(out)
    rows = counts["parsed"]
    print(
        json.dumps(
            {
                **counts,
                "upload_s": round(uploaded - started, 2),
                "commit_s": round(finished - uploaded, 2),
                "total_s": round(finished - started, 2),
                # Of commit_s: the database's COMMIT (on SQLite the WAL checkpoint), after the work.
                "commit_end_s": round(finished - committing, 2),
                # CPU seconds of this process: on a busy machine closer to the unloaded wall time.
                "cpu_s": round(_cpu() - cpu_started, 2),
                # Of which the writer thread (the database's half, overlapping the rest).
                "writer_cpu_s": round(sum(_WRITER_CPU), 2),
                # PostgreSQL on this host: CPU seconds of the server process that wrote.
                "server_cpu_s": None
                if server_cpu is None or server_started is None
                else round(server_cpu - server_started, 2),
                "rows_per_s": round(rows / (finished - started)),
                # ru_maxrss is in KiB on Linux.
                "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            }
        )
    )
    db.dispose()


def _server_pid(session: Any) -> int | None:
    if session.get_bind().dialect.name != "postgresql":
        return None
    return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _server_cpu(pid: int | None) -> float | None:
    """CPU seconds of a PostgreSQL server process, when it runs on this machine."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_child(
    label: str, url: str, ids: dict[str, str], data_dir: Path, csv: Path, profile: bool
) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "bench.import_throughput",
        "--child",
        "--url",
        url,
        "--user",
        ids["user"],
        "--tenant",
        ids["tenant"],
        "--account",
        ids["account"],
        "--data-dir",
        str(data_dir),
        "--csv",
        str(csv),
        "--label",
        label,
    ]
    if profile:
        command.append("--profile")
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT.parent, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{label} failed:\n{done.stderr[-4000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def prepare_postgres() -> tuple[str, str, Any]:
    admin = create_engine(
        PG_SUPER.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    name = f"coffer_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        for role, attrs in ((PG_OWNER, "BYPASSRLS"), (PG_APP, "NOBYPASSRLS")):
            if not conn.execute(
                text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}
            ).scalar():
                conn.execute(text(f"CREATE ROLE {role} LOGIN {attrs} PASSWORD '{PG_PASSWORD}'"))
        conn.execute(text(f'CREATE DATABASE "{name}" OWNER {PG_OWNER}'))
    base = make_url(PG_SUPER.replace("postgresql://", "postgresql+psycopg://"))
    owner = base.set(username=PG_OWNER, password=PG_PASSWORD, database=name)
    app = base.set(username=PG_APP, password=PG_PASSWORD, database=name)
    return (
        owner.render_as_string(hide_password=False),
        app.render_as_string(hide_password=False),
        (admin, name),
    )


def bench(backend: str, csv: Path, profile: bool, keep: bool) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"coffer-bench-{backend}-"))
    cleanup = None
    if backend == "sqlite":
        url = owner = f"sqlite:///{data_dir / 'coffer.db'}"
    else:
        owner, url, cleanup = prepare_postgres()
    try:
        migrate(migration_url=owner, app_url=url)
        ids = setup_household(url)
        first = run_child(f"{backend}-first", url, ids, data_dir, csv, profile)
        if backend == "postgres":
            # What autovacuum does within a minute of a change this large: without
            # statistics the planner may read the account instead of probing the
            # fingerprint index (docs/performance.md, "Import throughput").
            analyse = create_engine(owner.replace("postgresql://", "postgresql+psycopg://"))
            with analyse.begin() as conn:
                conn.execute(text("ANALYZE ledger_transaction"))
            analyse.dispose()
        second = run_child(f"{backend}-second", url, ids, data_dir, csv, profile)
        if second["added"] != 0:
            raise SystemExit(f"the second import added {second['added']} rows; expected 0")
        return {
            "backend": backend,
            "rules": int(ids["rules"]),
            "first": first,
            "second": second,
            "data_dir": str(data_dir) if keep else None,
        }
    finally:
        if cleanup is not None and not keep:
            admin, name = cleanup
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        if not keep:  # the data directory holds the uploaded copies on both databases
            for path in sorted(data_dir.rglob("*"), reverse=True):
                path.unlink() if path.is_file() else path.rmdir()
            data_dir.rmdir()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--profile", action="store_true", help="write pyinstrument profiles")
    parser.add_argument("--keep", action="store_true", help="keep the data directory/database")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    for name in ("url", "user", "tenant", "account", "data-dir", "csv", "label"):
        parser.add_argument(f"--{name}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return 0
    csv = ensure_csv(args.rows, args.seed, ROOT / "data" / f"import-{args.rows}-s{args.seed}.csv")
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for backend in backends:
        result = bench(backend, csv, args.profile, args.keep)
        print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
