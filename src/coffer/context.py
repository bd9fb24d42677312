"""Facts about the current request that services may record (audit) without importing
the web layer. The web middleware sets them; CLI commands and jobs leave the defaults.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RequestMeta:
    request_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None


NO_REQUEST = RequestMeta()
request_meta: ContextVar[RequestMeta] = ContextVar("request_meta", default=NO_REQUEST)
