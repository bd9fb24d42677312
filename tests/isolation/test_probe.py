"""The tenant-isolation probe.

It reads the OpenAPI schema, so every route a capability adds is attacked without
editing this file: a victim fills a household through the seeders, then an attacker
with a household of their own calls every route and method — with the victim's ids in
the path, with the victim's tenant in X-Tenant-Id, with bodies naming the victim's
ids — and the probe fails if any answer is a success on the victim's objects, if any
answer contains the victim's data, or if any of the victim's rows changed.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Uuid, create_engine, select

from coffer.db.base import Base
from coffer.db.session import normalise_url
from tests.conftest import ApiUser, register
from tests.isolation.seeds import SEEDERS, SeedContext

MAX_CANDIDATES = 4
PATH_PARAM = re.compile(r"{([^}]+)}")
# Capability tokens (an invitation link) grant access by design; they are probed with
# tokens that do not exist.
TOKEN_PARAMS = frozenset({"token"})
# Routes that end the attacker's own session are called last.
SELF_ENDING = ("/api/v1/auth/logout", "/api/v1/auth/password")


class VictimData:
    """The victim's rows, read with the owner's connection (row-level security aside)."""

    def __init__(self, owner_url: str, victim: ApiUser) -> None:
        self.engine = create_engine(normalise_url(owner_url))
        self.victim = victim
        with self.engine.connect() as conn:
            member = Base.metadata.tables["membership"]
            self.tenant_ids = [
                str(t)
                for t in conn.execute(
                    select(member.c.tenant_id).where(member.c.user_id == uuid.UUID(victim.id))
                ).scalars()
            ]

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        tenants = [uuid.UUID(t) for t in self.tenant_ids]
        user = uuid.UUID(self.victim.id)
        rows: dict[str, list[tuple[Any, ...]]] = {}
        with self.engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                if table.name == "tenant":
                    query = select(table).where(table.c.id.in_(tenants))
                elif "tenant_id" in table.c:
                    query = select(table).where(table.c.tenant_id.in_(tenants))
                elif table.name == "user_account":
                    query = select(table).where(table.c.id == user)
                elif "user_id" in table.c:
                    query = select(table).where(table.c.user_id == user)
                else:
                    continue
                rows[table.name] = sorted(
                    (tuple(str(v) for v in row) for row in conn.execute(query)), key=str
                )
        return rows

    def ids_by_table(self) -> dict[str, list[str]]:
        """Every UUID in the victim's rows, by the table whose primary key it is."""
        found: dict[str, list[str]] = {}
        tenants = [uuid.UUID(t) for t in self.tenant_ids]
        with self.engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                if "tenant_id" in table.c:
                    query = select(table.c.id).where(table.c.tenant_id.in_(tenants))
                elif table.name == "tenant":
                    query = select(table.c.id).where(table.c.id.in_(tenants))
                else:
                    continue
                if isinstance(table.c.id.type, Uuid):
                    found[table.name] = [str(v) for v in conn.execute(query).scalars()]
        found["user_account"] = [self.victim.id]
        found["user"] = [self.victim.id]
        return found


def _candidates(param: str, ids: dict[str, list[str]]) -> list[str]:
    if param in TOKEN_PARAMS:
        return ["probe-" + uuid.uuid4().hex]
    if param.endswith("_id"):
        table = param.removesuffix("_id")
        if table in ids:
            return ids[table][:MAX_CANDIDATES]
    if param == "id" or param.endswith("_id"):
        every = [i for values in ids.values() for i in values]
        return every[:MAX_CANDIDATES]
    return ["probe"]


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def _example(
    schema: dict[str, Any], spec: dict[str, Any], name: str, ids: dict[str, list[str]]
) -> Any:
    schema = _resolve(schema, spec)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if _resolve(s, spec).get("type") != "null"]
            return _example(options[0], spec, name, ids) if options else None
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    fmt = schema.get("format", "")
    if kind == "object" or "properties" in schema:
        return {
            prop: _example(sub, spec, prop, ids)
            for prop, sub in schema.get("properties", {}).items()
        }
    if kind == "array":
        return []
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    if fmt == "uuid" or name.endswith("_id"):
        return _candidates(name, ids)[0]
    if fmt == "email" or "email" in name:
        return "probe@example.com"
    if fmt == "date":
        return "2026-01-31"
    if fmt == "date-time":
        return "2026-01-31T12:00:00Z"
    if name in ("password", "current_password", "new_password"):
        return "probe password that is long"
    return "probe"


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    ops = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                ops.append((path, method, op))
    # The attacker's own sign-out and password change come last, so the rest of the
    # probe runs signed in.
    return sorted(ops, key=lambda o: o[0].startswith(SELF_ENDING))


def _body(op: dict[str, Any], spec: dict[str, Any], ids: dict[str, list[str]]) -> Any:
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        return _example(content["application/json"]["schema"], spec, "", ids)
    return None


def test_no_route_reaches_another_tenants_data(
    client: TestClient, database_urls: dict[str, str]
) -> None:
    victim = register(client, "victim@example.com", name="Victoria Victim")
    context = SeedContext(
        client=client, headers=victim.headers, tenant_id=victim.personal_tenant_id
    )
    for seed in SEEDERS:
        seed(context)
    attacker = register(client, "attacker@example.com", name="Mallory Attacker")

    data = VictimData(database_urls["owner"], victim)
    ids = data.ids_by_table()
    before = data.snapshot()
    spec = client.get("/api/openapi.json").json()
    secrets = set(context.secrets) | {victim.email, "Victoria Victim"}
    secrets |= {i for values in ids.values() for i in values}

    failures: list[str] = []
    calls = 0
    for path, method, op in _operations(spec):
        params = PATH_PARAM.findall(path)
        combos: list[dict[str, str]] = [{}]
        for param in params:
            combos = [{**c, param: v} for c in combos for v in _candidates(param, ids)]
        body = _body(op, spec, ids)
        targets_victim = any(p not in TOKEN_PARAMS for p in params)
        for combo in combos[: MAX_CANDIDATES * 2]:
            url = path.format(**combo)
            header_sets = [attacker.headers]
            for tenant in data.tenant_ids:
                header_sets.append(attacker.in_tenant(tenant))
            for headers in header_sets:
                calls += 1
                response = client.request(
                    method.upper(),
                    url,
                    headers=headers,
                    content=json.dumps(body) if body is not None else None,
                )
                where = f"{method.upper()} {url} (X-Tenant-Id={headers.get('X-Tenant-Id')})"
                if response.status_code >= 500:
                    failures.append(f"{where}: server error {response.status_code}")
                if targets_victim and 200 <= response.status_code < 300:
                    failures.append(f"{where}: succeeded on the victim's object")
                text = response.text
                # Echoes of what the attacker sent (the path in problem+json's `instance`)
                # reveal nothing they did not already hold.
                leaked = sorted(s for s in secrets if s and s in text and s not in url)
                if leaked:
                    failures.append(f"{where}: response contains the victim's {leaked}")

    assert calls > 20, "the probe found almost no routes; is the OpenAPI schema served?"
    after = data.snapshot()
    for table, rows in before.items():
        if rows != after[table]:
            failures.append(f"the victim's rows in {table} changed")
    data.engine.dispose()
    assert not failures, "\n".join(failures)
