"""Reading a tenant's audit log, as its owners and admins do: newest first, in pages
with opaque cursors, each event told in a sentence a person reads ("Changed Sam's role
from viewer to member").

Cursors hold the (occurred_at, id) of the item at a page's edge and a direction, so
the page can step to older and to newer events without offsets that shift as the log
grows.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from coffer.audit.models import AuditEvent
from coffer.auth.models import User
from coffer.errors import field_error
from coffer.tenancy.access import scoped
from coffer.tenancy.models import Invitation

OLDER, NEWER = "older", "newer"

FIELD_LABELS = {
    "name": "name",
    "base_currency": "base currency",
    "locale": "language and region",
    "role": "role",
    "email": "email",
    "expires_at": "expires",
    "status": "status",
    "kind": "kind",
}


@dataclass(frozen=True, slots=True)
class Cursor:
    direction: str
    occurred_at: datetime
    id: uuid.UUID


@dataclass(frozen=True, slots=True)
class AuditEntry:
    event: AuditEvent
    actor_name: str | None
    summary: str


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: list[AuditEntry]
    older_cursor: str | None
    newer_cursor: str | None


# --- cursors --------------------------------------------------------------------------


def encode_cursor(direction: str, event: AuditEvent) -> str:
    raw = json.dumps([direction, event.occurred_at.isoformat(), str(event.id)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Cursor:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        direction, occurred_at, event_id = json.loads(raw)
        parsed = Cursor(direction, datetime.fromisoformat(occurred_at), uuid.UUID(event_id))
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
        raise field_error("cursor", "is not a cursor this log gave out") from exc
    if parsed.direction not in (OLDER, NEWER) or parsed.occurred_at.tzinfo is None:
        raise field_error("cursor", "is not a cursor this log gave out")
    return parsed


# --- the query ------------------------------------------------------------------------


def _events(tenant_id: uuid.UUID, action_prefix: str | None) -> Select[AuditEvent]:
    # audit_event may hold personal (tenant-less) events, so it is not a TenantMixin
    # table; the tenant filter still comes first.
    query = select(AuditEvent).where(AuditEvent.tenant_id == tenant_id)
    if action_prefix:
        query = query.where(AuditEvent.action.startswith(action_prefix, autoescape=True))
    return query


def _beyond(cursor: Cursor) -> Any:
    at, key = AuditEvent.occurred_at, AuditEvent.id
    if cursor.direction == OLDER:
        return or_(at < cursor.occurred_at, and_(at == cursor.occurred_at, key < cursor.id))
    return or_(at > cursor.occurred_at, and_(at == cursor.occurred_at, key > cursor.id))


def _fetch(
    session: Session, query: Select[AuditEvent], cursor: Cursor | None, limit: int
) -> tuple[list[AuditEvent], bool]:
    """Up to `limit` events beyond the cursor, newest first, and whether more lie beyond."""
    at, key = AuditEvent.occurred_at, AuditEvent.id
    if cursor is not None:
        query = query.where(_beyond(cursor))
    newer = cursor is not None and cursor.direction == NEWER
    order = (at.asc(), key.asc()) if newer else (at.desc(), key.desc())
    events = list(session.scalars(query.order_by(*order).limit(limit + 1)))
    more = len(events) > limit
    events = events[:limit]
    if newer:
        events.reverse()
    return events, more


def list_events(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    limit: int = 50,
    cursor: str | None = None,
    action_prefix: str | None = None,
) -> AuditPage:
    """One page of the tenant's log. The caller has checked the reader is a manager."""
    position = decode_cursor(cursor) if cursor else None
    events, more = _fetch(session, _events(tenant_id, action_prefix), position, limit)
    going_newer = position is not None and position.direction == NEWER
    # A cursor always comes from an item that exists, so the far side of it has events.
    has_older = more if not going_newer else True
    has_newer = position is not None if not going_newer else more
    entries = _describe_all(session, tenant_id, events)
    return AuditPage(
        entries=entries,
        older_cursor=encode_cursor(OLDER, events[-1]) if events and has_older else None,
        newer_cursor=encode_cursor(NEWER, events[0]) if events and has_newer else None,
    )


# --- sentences ------------------------------------------------------------------------


def _names(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.name).where(User.id.in_(ids)))
    return {row.id: row.name for row in rows}


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _invitations(
    session: Session, tenant_id: uuid.UUID, ids: set[uuid.UUID]
) -> dict[str, Invitation]:
    if not ids:
        return {}
    rows = session.scalars(scoped(Invitation, tenant_id).where(Invitation.id.in_(ids)))
    return {str(invitation.id): invitation for invitation in rows}


def _describe_all(
    session: Session, tenant_id: uuid.UUID, events: list[AuditEvent]
) -> list[AuditEntry]:
    def entity_ids(entity_type: str) -> set[uuid.UUID]:
        found = (_uuid(e.entity_id) for e in events if e.entity_type == entity_type)
        return {i for i in found if i is not None}

    actors = {e.actor_id for e in events if e.actor_id is not None}
    names = _names(session, actors | entity_ids("membership"))
    invitations = _invitations(session, tenant_id, entity_ids("invitation"))
    entries = []
    for event in events:
        actor_name = names.get(event.actor_id) if event.actor_id else None
        facts = _Facts(event, actor_name, names, invitations)
        entries.append(AuditEntry(event, actor_name, describe(facts)))
    return entries


@dataclass(frozen=True, slots=True)
class _Facts:
    event: AuditEvent
    actor_name: str | None
    names: Mapping[uuid.UUID, str]
    invitations: Mapping[str, Invitation]

    @property
    def old(self) -> dict[str, Any]:
        return self.event.old_values or {}

    @property
    def new(self) -> dict[str, Any]:
        return self.event.new_values or {}

    def target(self) -> str:
        target = _uuid(self.event.entity_id)
        return (self.names.get(target) if target else None) or "someone"

    def target_possessive(self) -> str:
        if self.event.actor_id is not None and _uuid(self.event.entity_id) == self.event.actor_id:
            return "their own"
        return f"{self.target()}'s"

    def invitee(self) -> str:
        invitation = self.invitations.get(self.event.entity_id or "")
        email = self.new.get("email") or (invitation.email if invitation else None)
        role = self.new.get("role") or (invitation.role if invitation else None)
        who = email or "someone"
        return f"{who} as {with_article(role)}" if role else who


def with_article(role: str | None) -> str:
    if not role:
        return "a member"
    return f"{'an' if role[0] in 'aeiou' else 'a'} {role}"


def _fields(values: dict[str, Any]) -> str:
    labels = [FIELD_LABELS.get(key, key.replace("_", " ")) for key in values]
    if len(labels) <= 1:
        return "".join(labels) or "details"
    return ", ".join(labels[:-1]) + " and " + labels[-1]


_SENTENCES: dict[str, Callable[[_Facts], str]] = {
    "tenant.created": lambda f: f"Created the household “{f.new.get('name', '')}”",
    "tenant.updated": lambda f: f"Changed the household's {_fields(f.new)}",
    "membership.role_changed": lambda f: (
        f"Changed {f.target_possessive()} role from {f.old.get('role')} to {f.new.get('role')}"
    ),
    "membership.removed": lambda f: f"Removed {f.target()} (was {with_article(f.old.get('role'))})",
    "membership.left": lambda f: f"Left the household (was {with_article(f.old.get('role'))})",
    "membership.joined": lambda f: (
        f"Joined as {with_article(f.new.get('role'))} through an invitation"
    ),
    "invitation.created": lambda f: f"Invited {f.invitee()}",
    "invitation.revoked": lambda f: f"Withdrew the invitation for {f.invitee()}",
    "category.defaults_created": lambda f: (
        f"Added the {f.new.get('count', 'default')} default categories"
    ),
}


def describe(facts: _Facts) -> str:
    sentence = _SENTENCES.get(facts.event.action)
    if sentence is not None:
        return sentence(facts)
    # Actions other domains add read acceptably until they get a sentence of their own.
    area, _, verb = facts.event.action.partition(".")
    return f"{area.capitalize()}: {verb.replace('_', ' ')}" if verb else area.capitalize()
