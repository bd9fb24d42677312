"""Every table of Coffer, imported in one place for Alembic and the isolation tests."""

from coffer.audit.models import AuditEvent
from coffer.auth.models import RefreshToken, User
from coffer.db.base import Base
from coffer.tenancy.models import Invitation, Membership, Tenant
from coffer.web.models import IdempotencyRecord

__all__ = [
    "AuditEvent",
    "Base",
    "IdempotencyRecord",
    "Invitation",
    "Membership",
    "RefreshToken",
    "Tenant",
    "User",
]
