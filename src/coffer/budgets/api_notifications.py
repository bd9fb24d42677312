"""REST routes of the notification centre (/api/v1/notifications): every route reads
and writes only the signed-in person's own notifications and preferences."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from coffer.budgets import notifications as service
from coffer.budgets.models import Notification, NotificationKind
from coffer.budgets.schemas_goals import (
    MarkedRead,
    MarkRead,
    NotificationPage,
    NotificationRead,
    PreferenceRead,
    PreferencesUpdate,
    RefreshRead,
    UnreadCount,
)
from coffer.errors import field_error
from coffer.tenancy.deps import CurrentTenant
from coffer.web.deps import SessionDep

router = APIRouter(prefix="/notifications", tags=["notifications"])


def _read(row: Notification) -> NotificationRead:
    return NotificationRead(
        id=row.id,
        kind=NotificationKind(row.kind),
        title=row.title,
        body=row.body,
        link=row.link,
        created_at=row.created_at,
        read_at=row.read_at,
    )


def _unread(session: SessionDep, context: CurrentTenant) -> int:
    return service.unread_count(session, tenant_id=context.tenant_id, user_id=context.user.id)


@router.get("", response_model=NotificationPage, summary="Your notifications, unread first")
def list_notifications(
    session: SessionDep,
    context: CurrentTenant,
    unread: Annotated[bool, Query(description="Only the unread ones.")] = False,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIST)] = 50,
) -> NotificationPage:
    rows = service.list_notifications(
        session,
        tenant_id=context.tenant_id,
        user_id=context.user.id,
        unread_only=unread,
        limit=limit,
    )
    return NotificationPage(items=[_read(r) for r in rows], unread=_unread(session, context))


@router.get("/unread-count", response_model=UnreadCount, summary="How many are unread")
def unread_count(session: SessionDep, context: CurrentTenant) -> UnreadCount:
    return UnreadCount(unread=_unread(session, context))


@router.post("/read", response_model=MarkedRead, summary="Mark some of yours read")
def mark_read(body: MarkRead, session: SessionDep, context: CurrentTenant) -> MarkedRead:
    marked = service.mark_read(
        session, tenant_id=context.tenant_id, user_id=context.user.id, ids=body.ids
    )
    return MarkedRead(marked=marked, unread=_unread(session, context))


@router.post("/{notification_id}/read", response_model=MarkedRead, summary="Mark one of yours read")
def mark_one_read(
    notification_id: uuid.UUID, session: SessionDep, context: CurrentTenant
) -> MarkedRead:
    marked = service.mark_read(
        session, tenant_id=context.tenant_id, user_id=context.user.id, ids=[notification_id]
    )
    return MarkedRead(marked=marked, unread=_unread(session, context))


@router.post("/read-all", response_model=MarkedRead, summary="Mark all of yours read")
def mark_all_read(session: SessionDep, context: CurrentTenant) -> MarkedRead:
    marked = service.mark_all_read(session, tenant_id=context.tenant_id, user_id=context.user.id)
    return MarkedRead(marked=marked, unread=0)


@router.get("/preferences", response_model=list[PreferenceRead], summary="Which kinds you want")
def get_preferences(session: SessionDep, context: CurrentTenant) -> list[PreferenceRead]:
    rows = service.preferences(session, tenant_id=context.tenant_id, user_id=context.user.id)
    return [PreferenceRead(kind=p.kind, label=p.label, in_app=p.in_app) for p in rows]


@router.put("/preferences", response_model=list[PreferenceRead], summary="Turn kinds on or off")
def set_preferences(
    body: PreferencesUpdate, session: SessionDep, context: CurrentTenant
) -> list[PreferenceRead]:
    kinds = [p.kind for p in body.preferences]
    if len(set(kinds)) != len(kinds):
        raise field_error("preferences", "name each kind once")
    rows = service.set_preferences(
        session,
        tenant_id=context.tenant_id,
        user_id=context.user.id,
        choices={p.kind: p.in_app for p in body.preferences},
    )
    return [PreferenceRead(kind=p.kind, label=p.label, in_app=p.in_app) for p in rows]


@router.post(
    "/refresh",
    response_model=RefreshRead,
    summary="Look for budget alerts, bills, goal milestones and low balances now",
)
def refresh(session: SessionDep, context: CurrentTenant) -> RefreshRead:
    created = service.refresh(
        session,
        tenant_id=context.tenant_id,
        user_id=context.user.id,
        today=date.today(),
        force=True,
    )
    return RefreshRead(created=created, unread=_unread(session, context))
