"""API shapes of jobs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class JobRead(BaseModel):
    id: uuid.UUID
    kind: str
    status: str = Field(description="queued, running, succeeded or failed")
    done: int
    total: int | None
    percent: int | None = Field(description="0-100 while running when the total is known")
    result: dict[str, Any] | None
    error: dict[str, Any] | None = Field(description="A problem document when it failed")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
