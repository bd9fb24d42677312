"""Idempotency-Key: a retried POST that writes money must not write it twice.

A client sends `Idempotency-Key: <unique string>` with a POST. The first time, the
route does its work and stores its answer with `remember`; a retry with the same key
and the same request within 24 hours gets that stored answer from `replay` (marked
`Idempotent-Replayed: true`) and nothing is written again. The same key with a
different request is a client bug and gets a 422.

How a money route uses it, inside the request's one transaction:

    @router.post("/transactions", status_code=201, response_model=TransactionRead)
    def post(body: TransactionCreate, session: SessionDep, context: WritableTenant,
             idempotency: IdempotencyKeyDep) -> Any:
        scope = {"user_id": context.user.id, "tenant_id": context.tenant_id}
        if idempotency and (stored := replay(session, idempotency, **scope)):
            return stored
        result = TransactionRead.model_validate(service.post_transaction(session, ...))
        if idempotency:
            remember(session, idempotency, **scope, status_code=201,
                     body=result.model_dump(mode="json"))
        return result

The record commits or rolls back with the money it describes. Keys are private to
one user in one tenant (a unique key on both; on PostgreSQL also row-level security).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coffer.db.base import utcnow
from coffer.errors import Conflict, RuleViolation, field_error
from coffer.web.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
RETENTION = timedelta(hours=24)
MAX_KEY_LENGTH = 255


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    value: str
    method: str
    path: str
    # sha256 of method, path and raw body: a retry must be byte-for-byte the same request.
    request_hash: str


def _valid_key(value: str) -> bool:
    # Visible ASCII only: the key is echoed in logs and compared byte for byte.
    return 1 <= len(value) <= MAX_KEY_LENGTH and all(33 <= ord(ch) <= 126 for ch in value)


def request_hash(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode()):
        digest.update(part)
        digest.update(b"\n")  # a separator, so ("POST", "/a" + "b") != ("POST/a", "b")
    digest.update(body)
    return digest.hexdigest()


async def idempotency_key(
    request: Request,
    key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            description="A unique string (1-255 visible ASCII characters) that makes a "
            "retry of this request safe for 24 hours.",
        ),
    ] = None,
) -> IdempotencyKey | None:
    """The request's Idempotency-Key, or None when the client sent none."""
    if key is None:
        return None
    if not _valid_key(key):
        raise field_error(HEADER, "must be 1 to 255 visible ASCII characters")
    body = await request.body()  # cached by Starlette; the route still reads it
    path = request.url.path
    return IdempotencyKey(
        value=key,
        method=request.method,
        path=path,
        request_hash=request_hash(request.method, path, body),
    )


IdempotencyKeyDep = Annotated[IdempotencyKey | None, Depends(idempotency_key)]


def _find(
    session: Session, key: IdempotencyKey, *, user_id: uuid.UUID, tenant_id: uuid.UUID
) -> IdempotencyRecord | None:
    return session.scalars(
        select(IdempotencyRecord).where(
            IdempotencyRecord.tenant_id == tenant_id,
            IdempotencyRecord.user_id == user_id,
            IdempotencyRecord.key == key.value,
        )
    ).one_or_none()


def replay(
    session: Session,
    key: IdempotencyKey,
    *,
    user_id: uuid.UUID,
    tenant_id: uuid.UUID,
    now: datetime | None = None,
) -> JSONResponse | None:
    """The stored answer to an earlier identical request, or None if there is none.

    Raises RuleViolation when the key was used for a different request. A record past
    its 24 hours is deleted, and the request is then treated as new.
    """
    record = _find(session, key, user_id=user_id, tenant_id=tenant_id)
    if record is None:
        return None
    if record.created_at <= (now or utcnow()) - RETENTION:
        session.delete(record)
        session.flush()
        return None
    if record.request_hash != key.request_hash:
        raise RuleViolation("Idempotency-Key was already used with a different request")
    return JSONResponse(
        record.response_body,
        status_code=record.status_code,
        headers={REPLAYED_HEADER: "true"},
    )


def remember(
    session: Session,
    key: IdempotencyKey,
    *,
    user_id: uuid.UUID,
    tenant_id: uuid.UUID,
    status_code: int,
    body: Any,
) -> IdempotencyRecord:
    """Store the answer with the caller's unit of work (so it commits with the write).

    `body` must be JSON-ready (e.g. `model.model_dump(mode="json")`). When a concurrent
    request with the same key got there first, the unique key refuses this one: that is
    a 409, and the caller's transaction (with its money write) rolls back.
    """
    record = IdempotencyRecord(
        tenant_id=tenant_id,
        user_id=user_id,
        key=key.value,
        method=key.method,
        path=key.path[:500],
        request_hash=key.request_hash,
        status_code=status_code,
        response_body=body,
    )
    session.flush()  # the caller's own pending writes fail with their own errors
    try:
        with session.begin_nested():
            session.add(record)
    except IntegrityError as exc:
        raise Conflict("a request with this Idempotency-Key is in progress") from exc
    return record
