"""The audit helper every write of money, membership or credentials calls.

`record` adds an event to the caller's unit of work, so the event commits or rolls
back together with the change it describes. Who and from where come from the request
context (coffer.context), so services need not pass the request around.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy.orm import Session

from coffer.audit.models import AuditEvent
from coffer.context import request_meta


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)  # exact: amounts are never floats, here neither
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def record(
    session: Session,
    *,
    action: str,
    actor_id: uuid.UUID | None,
    tenant_id: uuid.UUID | None = None,
    entity_type: str | None = None,
    entity_id: uuid.UUID | str | None = None,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. `old`/`new` hold only the fields that changed (or were set).

    Never pass secrets (passwords, tokens, key material) in `old` or `new`.
    """
    meta = request_meta.get()
    event = AuditEvent(
        tenant_id=tenant_id,
        actor_id=actor_id,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id) if entity_id is not None else None,
        old_values=_jsonable(old) if old is not None else None,
        new_values=_jsonable(new) if new is not None else None,
        ip=meta.ip,
        request_id=meta.request_id,
    )
    session.add(event)
    return event


def changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (old, new) pair of only the keys whose values differ."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}
