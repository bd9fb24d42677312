"""API shapes of the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class ActorRead(BaseModel):
    id: uuid.UUID
    name: str | None = Field(description="None when the account no longer exists.")


class AuditEventRead(BaseModel):
    id: uuid.UUID
    occurred_at: datetime
    actor: ActorRead | None = Field(description="None for changes Coffer made by itself.")
    action: str = Field(description="Dotted action name, e.g. membership.role_changed.")
    summary: str = Field(description="The event in one sentence, for people.")
    entity_type: str | None
    entity_id: str | None
    old_values: dict[str, Any] | None = Field(description="Changed fields before the change.")
    new_values: dict[str, Any] | None = Field(description="Changed fields after the change.")
    ip: str | None


class AuditEventPage(BaseModel):
    items: list[AuditEventRead]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for older events; None at the end."
    )
