#!/usr/bin/env python3
"""Latency of an authenticated API call: GET /api/v1/auth/me under 50 concurrent
keep-alive connections on loopback.

The server is started the way the README starts it (`coffer serve`, here on a fresh
temporary data directory and a free port); the script registers a user, signs in,
and drives the endpoint with wrk (Debian package `wrk`, a C load generator on one
thread, so it takes as little CPU from the server as possible). A Lua hook makes wrk
print p50/p95/p99, which its own --latency output lacks.

    .venv/bin/python bench/me_latency.py                      # embedded: SQLite, 1 worker
    .venv/bin/python bench/me_latency.py --postgres --workers 2 --redis-url redis://127.0.0.1:6379/14

--postgres creates a throwaway database with two roles (an owner with BYPASSRLS that
runs migrations, and an application role without it), as docs/server-mode.md asks,
using the superuser URL given by --postgres-admin-url; it is dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

COFFER = Path(sys.executable).parent / "coffer"
PASSWORD = "bench-orchard-lighthouse-91"  # noqa: S105 - a throwaway benchmark account
WRK_SCRIPT = """
token = os.getenv("BENCH_TOKEN")
wrk.headers["Authorization"] = "Bearer " .. token
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "non_2xx": %d, "socket_errors": %d, '
    .. '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\\n',
    summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
end
"""


@dataclass
class Result:
    requests_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    requests: int
    non_2xx: int
    socket_errors: int
    server_cpu_cores: float
    wrk_cpu_cores: float


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Roles of this script only: other benchmarks keep their own, so concurrent runs of
# different scripts never change each other's passwords.
PG_ROLES = {"owner": "coffer_bench_me_owner", "app": "coffer_bench_me_app"}
PG_PASSWORD = "coffer-bench-only"  # noqa: S105 - a throwaway local benchmark database


@contextmanager
def postgres_database(admin_url: str) -> Iterator[dict[str, str]]:
    """A fresh database owned by a BYPASSRLS owner role, used by a plain app role."""
    admin = create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = admin.execution_options(isolation_level="AUTOCOMMIT")
    name = f"coffer_bench_me_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        for key, attrs in (("owner", "BYPASSRLS"), ("app", "NOBYPASSRLS")):
            role = PG_ROLES[key]
            exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
            verb = "ALTER" if exists.scalar() else "CREATE"
            conn.execute(text(f"{verb} ROLE {role} LOGIN {attrs} PASSWORD '{PG_PASSWORD}'"))
        conn.execute(text(f'CREATE DATABASE "{name}" OWNER {PG_ROLES["owner"]}'))
    base = make_url(admin_url)
    urls = {
        key: base.set(username=role, password=PG_PASSWORD, database=name).render_as_string(
            hide_password=False
        )
        for key, role in PG_ROLES.items()
    }
    try:
        yield {"COFFER_DATABASE_URL": urls["app"], "COFFER_MIGRATION_DATABASE_URL": urls["owner"]}
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def coffer_server(env: dict[str, str], port: int, workers: int, log: Path) -> Iterator[int]:
    command = [str(COFFER), "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers)]
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_until_up(port, process)
            yield process.pid
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_until_up(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"coffer serve exited with {process.returncode}; see its log")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("coffer serve did not answer /health within 60 s")


def access_token(base: str) -> str:
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    with httpx.Client(base_url=base, timeout=10) as client:
        created = client.post(
            "/api/v1/auth/register",
            json={"email": email, "password": PASSWORD, "name": "Bench Mark"},
        )
        created.raise_for_status()
        tokens = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        tokens.raise_for_status()
        token = str(tokens.json()["access_token"])
        client.get(
            "/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}
        ).raise_for_status()
    return token


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and its children (uvicorn's workers), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        own_pid, parent = int(stat.parent.name), int(fields[1])
        if own_pid == pid or parent == pid:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def run_wrk(url: str, token: str, *, connections: int, threads: int, seconds: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    command += ["-s", script.name, url]
    try:
        completed = subprocess.run(
            command,
            env={**os.environ, "BENCH_TOKEN": token},
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(script.name)
    line = next(x for x in completed.stdout.splitlines() if x.startswith("BENCH_RESULT "))
    return dict(json.loads(line.removeprefix("BENCH_RESULT ")))


def measure(args: argparse.Namespace, port: int, server_pid: int, token: str) -> Result:
    url = f"http://127.0.0.1:{port}/api/v1/auth/me"
    run_wrk(url, token, connections=args.connections, threads=args.threads, seconds=args.warmup)
    children_before = os.times().children_user + os.times().children_system
    server_before = cpu_seconds(server_pid)
    raw = run_wrk(
        url, token, connections=args.connections, threads=args.threads, seconds=args.duration
    )
    server_cpu = cpu_seconds(server_pid) - server_before
    wrk_cpu = os.times().children_user + os.times().children_system - children_before
    elapsed = raw["duration_us"] / 1e6
    return Result(
        requests_per_second=raw["requests"] / elapsed,
        p50_ms=raw["p50_us"] / 1000,
        p95_ms=raw["p95_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        requests=raw["requests"],
        non_2xx=raw["non_2xx"],
        socket_errors=raw["socket_errors"],
        server_cpu_cores=server_cpu / elapsed,
        wrk_cpu_cores=wrk_cpu / elapsed,
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=30, help="seconds measured")
    parser.add_argument("--warmup", type=int, default=5, help="seconds driven before measuring")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--workers", type=int, default=1, help="coffer serve --workers")
    parser.add_argument("--postgres", action="store_true", help="server mode on PostgreSQL")
    parser.add_argument(
        "--postgres-admin-url",
        default=os.environ.get(
            "COFFER_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--database-url", help="use this database instead (app role URL)")
    parser.add_argument("--migration-url", help="with --database-url: the owner role URL")
    parser.add_argument("--redis-url", help="COFFER_REDIS_URL for the server")
    parser.add_argument("--log-level", default=None, help="COFFER_LOG_LEVEL for the server")
    parser.add_argument("--json", type=Path, help="also write the result to this file")
    parser.add_argument("--keep", action="store_true", help="keep the data directory and log")
    return parser.parse_args()


@contextmanager
def database_env(args: argparse.Namespace) -> Iterator[dict[str, str]]:
    if args.database_url:
        env = {"COFFER_DATABASE_URL": args.database_url}
        if args.migration_url:
            env["COFFER_MIGRATION_DATABASE_URL"] = args.migration_url
        yield env
    elif args.postgres:
        with postgres_database(args.postgres_admin_url) as env:
            yield env
    else:
        yield {}


def main() -> None:
    args = parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt install wrk)")
    data_dir = Path(tempfile.mkdtemp(prefix="coffer-bench-"))
    port = free_port()
    with database_env(args) as db_env:
        env = {k: v for k, v in os.environ.items() if not k.startswith("COFFER_")}
        env.update(db_env, COFFER_DATA_DIR=str(data_dir / "data"))
        if args.redis_url:
            env["COFFER_REDIS_URL"] = args.redis_url
        if args.log_level:
            env["COFFER_LOG_LEVEL"] = args.log_level
        log = data_dir / "server.log"
        with coffer_server(env, port, args.workers, log) as pid:
            token = access_token(f"http://127.0.0.1:{port}")
            result = measure(args, port, pid, token)
    mode = "PostgreSQL" if (args.postgres or args.database_url) else "SQLite"
    print(
        f"GET /api/v1/auth/me, {args.connections} connections, {args.duration} s, "
        f"{mode}, {args.workers} worker(s){', Redis' if args.redis_url else ''}"
    )
    print(
        f"  requests/s   {result.requests_per_second:9.0f}   ({result.requests} requests, "
        f"{result.non_2xx} non-2xx, {result.socket_errors} socket errors)"
    )
    print(
        f"  latency ms   p50 {result.p50_ms:.2f}   p95 {result.p95_ms:.2f}   "
        f"p99 {result.p99_ms:.2f}   max {result.max_ms:.2f}"
    )
    print(f"  CPU cores    server {result.server_cpu_cores:.2f}   wrk {result.wrk_cpu_cores:.2f}")
    if args.keep:
        print(f"  server log   {log}")
    if args.json:
        args.json.write_text(json.dumps(result.__dict__, indent=2) + "\n")
    if not args.keep:
        shutil.rmtree(data_dir, ignore_errors=True)
    if result.non_2xx or result.socket_errors:
        raise SystemExit("some requests failed; the figures above are not valid")


if __name__ == "__main__":
    main()
