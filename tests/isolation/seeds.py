"""What the isolation probe plants in the victim's household before attacking it.

Each capability registers a seeder that creates its objects through the API as the
victim. The probe then finds every id of the victim's rows in the database itself, so a
new table or route is covered without editing the probe; a seeder only makes sure the
new table has rows to find.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient


@dataclass
class SeedContext:
    client: TestClient
    headers: dict[str, str]
    tenant_id: str
    # Strings that must never appear in a response to another user.
    secrets: set[str] = field(default_factory=set)


Seeder = Callable[[SeedContext], None]
SEEDERS: list[Seeder] = []


def seeder(func: Seeder) -> Seeder:
    SEEDERS.append(func)
    return func


def _ok(response: Any) -> Any:
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


@seeder
def seed_tenancy(ctx: SeedContext) -> None:
    c, h, t = ctx.client, ctx.headers, ctx.tenant_id
    _ok(c.patch(f"/api/v1/tenants/{t}", headers=h, json={"name": "Victim household"}))
    ctx.secrets.add("Victim household")
    invitation = _ok(
        c.post(
            f"/api/v1/tenants/{t}/invitations",
            headers=h,
            json={"role": "member", "email": "victim-invitee@example.com"},
        )
    )
    ctx.secrets.add("victim-invitee@example.com")
    ctx.secrets.add(invitation["url"].rsplit("/", 1)[-1])
    second = _ok(c.post("/api/v1/tenants", headers=h, json={"name": "Victim second home"}))
    ctx.secrets.add("Victim second home")
    ctx.secrets.add(second["id"])
