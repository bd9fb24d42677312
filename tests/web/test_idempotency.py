"""Idempotency-Key on a money POST: a retry replays, a reused key with another body is
refused, records expire after 24 hours, and keys are private to one user.

The money route is a throwaway router mounted on the real app; it writes an audit
event as its "money", so the tests can count how many writes really happened. It
takes the acting user and tenant from test headers, which keeps these tests about the
idempotency mechanism rather than about sign-in.
"""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, FastAPI, Header
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import create_engine, func, select, update
from sqlalchemy.orm import Session

from coffer.audit.models import AuditEvent
from coffer.audit.service import record
from coffer.auth.models import User
from coffer.auth.service import register_user
from coffer.db.base import utcnow
from coffer.db.session import Database, set_context
from coffer.errors import Conflict
from coffer.web.deps import SessionDep
from coffer.web.idempotency import (
    IdempotencyKey,
    IdempotencyKeyDep,
    remember,
    replay,
    request_hash,
)
from coffer.web.models import IdempotencyRecord

PAYMENTS = "/api/v1/test/payments"
ACTION = "test.payment"


class PaymentCreate(BaseModel):
    amount: str
    currency: str


class PaymentRead(BaseModel):
    id: str
    amount: str
    currency: str


def _money_router() -> APIRouter:
    router = APIRouter()

    @router.post(PAYMENTS, status_code=201, response_model=PaymentRead)
    def create_payment(
        body: PaymentCreate,
        session: SessionDep,
        idempotency: IdempotencyKeyDep,
        x_test_user: Annotated[uuid.UUID, Header()],
        x_test_tenant: Annotated[uuid.UUID, Header()],
    ) -> Any:
        scope = {"user_id": x_test_user, "tenant_id": x_test_tenant}
        set_context(session, **scope)
        if idempotency and (stored := replay(session, idempotency, **scope)):
            return stored
        event = record(
            session,
            action=ACTION,
            actor_id=x_test_user,
            tenant_id=x_test_tenant,
            new=body.model_dump(),
        )
        session.flush()  # assigns the id
        result = PaymentRead(id=str(event.id), amount=body.amount, currency=body.currency)
        if idempotency:
            remember(
                session, idempotency, **scope, status_code=201, body=result.model_dump(mode="json")
            )
        return result

    return router


@pytest.fixture
def money_client(app: FastAPI) -> Any:
    app.include_router(_money_router())
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _person(database: Database, email: str) -> User:
    with database.unit_of_work() as session:
        return register_user(
            session, email=email, password="correct horse battery staple", name="Pat Example"
        )


@pytest.fixture
def pat(database: Database) -> User:
    return _person(database, "pat@example.com")


@pytest.fixture
def kim(database: Database) -> User:
    return _person(database, "kim@example.com")


def _as(user: User, key: str | None = None) -> dict[str, str]:
    headers = {"X-Test-User": str(user.id), "X-Test-Tenant": str(user.personal_tenant_id)}
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


def _payments_written(database: Database, user: User) -> int:
    with database.unit_of_work(user_id=user.id) as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == ACTION, AuditEvent.actor_id == user.id)
            )
            or 0
        )


BODY = {"amount": "125.40", "currency": "EUR"}


def test_retry_with_same_key_and_body_replays_without_writing_again(
    money_client: TestClient, database: Database, pat: User
) -> None:
    first = money_client.post(PAYMENTS, json=BODY, headers=_as(pat, "pay-2026-001"))
    retry = money_client.post(PAYMENTS, json=BODY, headers=_as(pat, "pay-2026-001"))
    assert first.status_code == 201, first.text
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert _payments_written(database, pat) == 1


def test_without_a_key_every_post_writes(
    money_client: TestClient, database: Database, pat: User
) -> None:
    for _ in range(2):
        assert money_client.post(PAYMENTS, json=BODY, headers=_as(pat)).status_code == 201
    assert _payments_written(database, pat) == 2


def test_same_key_with_a_different_body_is_refused(
    money_client: TestClient, database: Database, pat: User
) -> None:
    money_client.post(PAYMENTS, json=BODY, headers=_as(pat, "k-1"))
    other = money_client.post(PAYMENTS, json={**BODY, "amount": "999.00"}, headers=_as(pat, "k-1"))
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["detail"] == "Idempotency-Key was already used with a different request"
    assert _payments_written(database, pat) == 1


@pytest.mark.parametrize("bad_key", ["", "x" * 256, "has space", "clé"])
def test_malformed_key_is_a_422_naming_the_header(
    money_client: TestClient, pat: User, bad_key: str
) -> None:
    headers = {**_as(pat), "Idempotency-Key": bad_key.encode("utf-8")}  # type: ignore[dict-item]
    response = money_client.post(PAYMENTS, json=BODY, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"


def test_a_record_older_than_24_hours_no_longer_replays(
    money_client: TestClient, database: Database, database_urls: dict[str, str], pat: User
) -> None:
    first = money_client.post(PAYMENTS, json=BODY, headers=_as(pat, "old-key"))
    owner = create_engine(database_urls["owner"])  # the table owner: no row-level security
    with Session(owner) as session, session.begin():
        session.execute(
            update(IdempotencyRecord).values(created_at=utcnow() - timedelta(hours=24, minutes=1))
        )
    owner.dispose()
    again = money_client.post(PAYMENTS, json=BODY, headers=_as(pat, "old-key"))
    assert again.status_code == 201
    assert "idempotent-replayed" not in again.headers
    assert again.json()["id"] != first.json()["id"]
    assert _payments_written(database, pat) == 2
    # The expired record was replaced, so the key now replays the new answer.
    third = money_client.post(PAYMENTS, json=BODY, headers=_as(pat, "old-key"))
    assert third.json() == again.json()
    assert third.headers["idempotent-replayed"] == "true"


def test_keys_are_private_to_each_user(
    money_client: TestClient, database: Database, pat: User, kim: User
) -> None:
    for_pat = money_client.post(PAYMENTS, json=BODY, headers=_as(pat, "shared-key"))
    for_kim = money_client.post(PAYMENTS, json=BODY, headers=_as(kim, "shared-key"))
    assert for_kim.status_code == 201
    assert "idempotent-replayed" not in for_kim.headers
    assert for_kim.json()["id"] != for_pat.json()["id"]
    assert _payments_written(database, pat) == 1
    assert _payments_written(database, kim) == 1


def _key(value: str = "concurrent", body: bytes = b"{}") -> IdempotencyKey:
    return IdempotencyKey(value, "POST", PAYMENTS, request_hash("POST", PAYMENTS, body))


def _remember_with_payment(session: Session, user: User, key: IdempotencyKey) -> None:
    tenant_id = user.personal_tenant_id
    assert tenant_id is not None
    set_context(session, user_id=user.id, tenant_id=tenant_id)
    record(session, action=ACTION, actor_id=user.id, tenant_id=tenant_id)
    remember(session, key, user_id=user.id, tenant_id=tenant_id, status_code=201, body={})


def test_losing_a_race_on_the_key_is_a_409_and_rolls_the_write_back(
    database: Database, pat: User
) -> None:
    """The second request passed `replay` before the first committed; the unique key
    then refuses its record, and its payment must not commit either."""
    with database.unit_of_work() as session:
        _remember_with_payment(session, pat, _key())
    with pytest.raises(Conflict, match="in progress"), database.unit_of_work() as session:
        _remember_with_payment(session, pat, _key())
    assert _payments_written(database, pat) == 1


def test_truly_concurrent_requests_with_one_key_write_once(
    backend: str, database: Database, pat: User
) -> None:
    if backend != "postgres":
        pytest.skip("SQLite serialises writers; the loser sees a busy database (503) instead")
    first_flushed, outcome = threading.Event(), {}

    def second() -> None:
        first_flushed.wait()
        try:
            with database.unit_of_work() as session:
                _remember_with_payment(session, pat, _key())  # blocks until the first commits
            outcome["second"] = "committed"
        except Conflict:
            outcome["second"] = "conflict"

    thread = threading.Thread(target=second)
    thread.start()
    with database.unit_of_work() as session:
        _remember_with_payment(session, pat, _key())
        first_flushed.set()
        thread.join(timeout=0.5)  # the second is now waiting on our uncommitted key
    thread.join(timeout=10)
    assert outcome == {"second": "conflict"}
    assert _payments_written(database, pat) == 1


def test_replay_treats_expired_records_as_absent(database: Database, pat: User) -> None:
    tenant_id = pat.personal_tenant_id
    assert tenant_id is not None
    key = _key("expiring")
    with database.unit_of_work(user_id=pat.id, tenant_id=tenant_id) as session:
        remember(session, key, user_id=pat.id, tenant_id=tenant_id, status_code=201, body={"a": 1})
    later = utcnow() + timedelta(hours=24)
    with database.unit_of_work(user_id=pat.id, tenant_id=tenant_id) as session:
        assert replay(session, key, user_id=pat.id, tenant_id=tenant_id) is not None
        assert replay(session, key, user_id=pat.id, tenant_id=tenant_id, now=later) is None
    with database.unit_of_work(user_id=pat.id, tenant_id=tenant_id) as session:
        assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0
