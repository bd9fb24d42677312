"""Import test helpers: a signed-in household driving the API, and fixture files.

Every test using these runs on SQLite and PostgreSQL (the `backend` fixture behind
`client`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete

from coffer.config import Settings
from coffer.db.session import Database
from coffer.ledger.models import Category
from coffer.main import create_app
from tests.conftest import ApiUser

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass
class Household:
    """One signed-in person and their household, through the API."""

    client: TestClient
    user: ApiUser

    @property
    def headers(self) -> dict[str, str]:
        return self.user.headers

    def ok(self, response: Any, status: int | None = None) -> Any:
        expected = (status,) if status else (200, 201, 202, 204)
        assert response.status_code in expected, response.text
        return response.json() if response.content else None

    def account(self, name: str = "Checking", currency: str = "USD", **extra: Any) -> str:
        body = {"name": name, "type": "checking", "currency": currency, **extra}
        return str(
            self.ok(self.client.post("/api/v1/accounts", headers=self.headers, json=body))["id"]
        )

    def category(self, name: str, kind: str = "expense", parent_id: str | None = None) -> str:
        body: dict[str, Any] = {"name": name, "kind": kind}
        if parent_id:
            body["parent_id"] = parent_id
        return str(
            self.ok(self.client.post("/api/v1/categories", headers=self.headers, json=body))["id"]
        )

    def tag(self, name: str) -> str:
        return str(
            self.ok(self.client.post("/api/v1/tags", headers=self.headers, json={"name": name}))[
                "id"
            ]
        )

    def upload_raw(self, data: bytes, filename: str, account_id: str, **form: Any) -> Any:
        fields = {"account_id": account_id, **{k: str(v) for k, v in form.items() if v is not None}}
        return self.client.post(
            "/api/v1/imports",
            headers=self.headers,
            files={"file": (filename, data, "application/octet-stream")},
            data=fields,
        )

    def upload(self, data: bytes, filename: str, account_id: str, **form: Any) -> dict[str, Any]:
        return dict(self.ok(self.upload_raw(data, filename, account_id, **form), 201))

    def preview(self, batch_id: str, **params: Any) -> dict[str, Any]:
        return dict(
            self.ok(
                self.client.get(
                    f"/api/v1/imports/{batch_id}/preview", headers=self.headers, params=params
                ),
                200,
            )
        )

    def commit_raw(self, batch_id: str, body: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.client.post(
            f"/api/v1/imports/{batch_id}/commit",
            headers={**self.headers, **headers},
            json=body or {},
        )

    def commit(self, batch_id: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return dict(self.ok(self.commit_raw(batch_id, body), 200))

    def undo_raw(self, batch_id: str, **headers: str) -> Any:
        return self.client.post(
            f"/api/v1/import-batches/{batch_id}/undo", headers={**self.headers, **headers}
        )

    def import_file(
        self, data: bytes, filename: str, account_id: str, **form: Any
    ) -> dict[str, Any]:
        """Upload and commit; the committed import."""
        batch = self.upload(data, filename, account_id, **form)["import_batch"]
        return dict(self.commit(batch["id"])["import_batch"])

    def transactions(self, account_id: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"account_ids": [account_id], "limit": 500}
            if cursor:
                params["cursor"] = cursor
            page = self.ok(
                self.client.get("/api/v1/transactions", headers=self.headers, params=params), 200
            )
            items.extend(page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                return items

    def balance(self, account_id: str) -> str:
        found = self.ok(
            self.client.get(f"/api/v1/accounts/{account_id}/balance", headers=self.headers), 200
        )
        return str(found["balance"])


@pytest.fixture
def home(client: TestClient, alice: ApiUser, database: Database) -> Household:
    """Alice's household without the default categories: each test names its own."""
    clear_categories(database, alice)
    return Household(client, alice)


def clear_categories(database: Database, user: ApiUser) -> None:
    tenant_id, user_id = uuid.UUID(user.personal_tenant_id), uuid.UUID(user.id)
    with database.unit_of_work(user_id=user_id, tenant_id=tenant_id) as session:
        for children_first in (Category.parent_id.is_not(None), Category.parent_id.is_(None)):
            session.execute(delete(Category).where(Category.tenant_id == tenant_id, children_first))


def csv_bytes(rows: list[tuple[str, str, str]], header: str = "Date,Description,Amount") -> bytes:
    lines = [header, *(",".join(_cell(c) for c in row) for row in rows)]
    return ("\n".join(lines) + "\n").encode()


def _cell(value: str) -> str:
    if any(ch in value for ch in ',"\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


SIMPLE_MAPPING = {
    "date_column": "Date",
    "amount_column": "Amount",
    "payee_column": "Description",
    "date_format": "%Y-%m-%d",
}


@pytest.fixture
def client_with(settings: Settings, database: Database) -> Iterator[Callable[..., TestClient]]:
    """A second app on the same database whose import limits the test chooses."""
    opened: list[TestClient] = []

    def make(**limits: Any) -> TestClient:
        custom = settings.model_copy(update=limits)
        test_client = TestClient(create_app(custom, database), raise_server_exceptions=False)
        test_client.__enter__()
        opened.append(test_client)
        return test_client

    yield make
    for test_client in opened:
        test_client.__exit__(None, None, None)


def new_id() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def no_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COFFER_REDIS_URL", raising=False)
