"""GET /audit-events: the current tenant's audit log, for its owners and admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from coffer.audit.schemas import ActorRead, AuditEventPage, AuditEventRead
from coffer.tenancy import audit_log
from coffer.tenancy.deps import ManagedTenant
from coffer.web.deps import SessionDep

router = APIRouter(tags=["audit"])


def _read(entry: audit_log.AuditEntry) -> AuditEventRead:
    event = entry.event
    actor = ActorRead(id=event.actor_id, name=entry.actor_name) if event.actor_id else None
    return AuditEventRead(
        id=event.id,
        occurred_at=event.occurred_at,
        actor=actor,
        action=event.action,
        summary=entry.summary,
        entity_type=event.entity_type,
        entity_id=event.entity_id,
        old_values=event.old_values,
        new_values=event.new_values,
        ip=event.ip,
    )


@router.get(
    "/audit-events",
    response_model=AuditEventPage,
    summary="The current tenant's audit log, newest first (owners and admins)",
)
def list_audit_events(
    context: ManagedTenant,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500, description="From next_cursor.")] = None,
    action: Annotated[
        str | None,
        Query(max_length=64, description="Only actions starting with this, e.g. membership."),
    ] = None,
) -> AuditEventPage:
    page = audit_log.list_events(
        session, tenant_id=context.tenant_id, limit=limit, cursor=cursor, action_prefix=action
    )
    return AuditEventPage(
        items=[_read(entry) for entry in page.entries], next_cursor=page.older_cursor
    )
