"""Every table of Coffer, imported in one place for Alembic and the isolation tests."""

from coffer.audit.models import AuditEvent
from coffer.auth.models import RefreshToken, User
from coffer.budgets.models import *  # noqa: F403 - budgets, bills, goals, notifications
from coffer.db.base import Base
from coffer.imports.models import *  # noqa: F403 - the import's tables
from coffer.jobs.models import Job
from coffer.ledger.models import *  # noqa: F403 - the ledger's tables
from coffer.tenancy.models import Invitation, Membership, Tenant
from coffer.web.models import IdempotencyRecord

__all__ = [
    "AuditEvent",
    "Base",
    "IdempotencyRecord",
    "Invitation",
    "Job",
    "Membership",
    "RefreshToken",
    "Tenant",
    "User",
]
