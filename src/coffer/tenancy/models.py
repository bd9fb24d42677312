"""Tenants (households and expense groups), memberships with roles, invitations."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from coffer.db.base import Base, IdMixin, TenantMixin, TimestampMixin
from coffer.db.types import UTCDateTime


class TenantKind(StrEnum):
    household = "household"
    group = "group"


class Role(StrEnum):
    owner = "owner"
    admin = "admin"
    member = "member"
    viewer = "viewer"
    advisor = "advisor"

    @property
    def can_write(self) -> bool:
        return self in (Role.owner, Role.admin, Role.member)

    @property
    def can_manage(self) -> bool:
        """Manage members, invitations and household settings."""
        return self in (Role.owner, Role.admin)


ROLE_VALUES = ", ".join(f"'{role.value}'" for role in Role)


class Tenant(IdMixin, TimestampMixin, Base):
    __tablename__ = "tenant"
    __table_args__ = (
        CheckConstraint("kind IN ('household', 'group')", name="kind"),
        CheckConstraint("length(base_currency) = 3", name="base_currency"),
    )

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default=TenantKind.household.value)
    base_currency: Mapped[str] = mapped_column(String(3), default="USD")
    locale: Mapped[str] = mapped_column(String(20), default="en_US")
    created_by: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("user_account.id", ondelete="RESTRICT")
    )
    # Set when a manager saves the household settings: the getting-started page counts
    # the defaults chosen at sign-up as unchecked until then.
    details_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Membership(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("tenant_id", "user_id"),
        CheckConstraint(f"role IN ({ROLE_VALUES})", name="role"),
        Index("ix_membership_user_id", "user_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("user_account.id", ondelete="CASCADE")
    )
    role: Mapped[str] = mapped_column(String(16))


class Invitation(IdMixin, TimestampMixin, TenantMixin, Base):
    """An invitation link; only the SHA-256 of its token is stored."""

    __tablename__ = "invitation"
    __table_args__ = (
        UniqueConstraint("tenant_id", "token_hash"),
        CheckConstraint(f"role IN ({ROLE_VALUES})", name="role"),
        Index("ix_invitation_token_hash", "token_hash"),
    )

    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64))
    invited_by: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("user_account.id", ondelete="CASCADE")
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    accepted_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
