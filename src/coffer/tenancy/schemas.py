"""API shapes of tenants, members and invitations."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from coffer.tenancy.invitations import InvitationStatus
from coffer.tenancy.models import Role, TenantKind

_FORBID_EXTRA = ConfigDict(extra="forbid")


class TenantRead(BaseModel):
    id: uuid.UUID
    name: str
    kind: TenantKind
    base_currency: str = Field(description="ISO 4217 code, e.g. EUR.")
    locale: str = Field(description="Babel locale identifier, e.g. en_US.")
    role: Role = Field(description="The caller's role in this tenant.")
    is_personal: bool = Field(description="The caller's own household, made at sign-up.")
    created_at: datetime


class TenantCreate(BaseModel):
    model_config = _FORBID_EXTRA

    name: str = Field(min_length=1, max_length=200)
    kind: TenantKind = TenantKind.household
    base_currency: str = Field(default="USD", min_length=3, max_length=3)
    locale: str = Field(default="en_US", min_length=2, max_length=20)
    default_categories: bool = Field(
        default=True,
        description="Start a household with Coffer's default income and expense categories.",
    )


class TenantUpdate(BaseModel):
    model_config = _FORBID_EXTRA

    name: str | None = Field(default=None, min_length=1, max_length=200)
    base_currency: str | None = Field(default=None, min_length=3, max_length=3)
    locale: str | None = Field(default=None, min_length=2, max_length=20)


class MemberRead(BaseModel):
    user_id: uuid.UUID
    name: str
    email: str
    role: Role
    joined_at: datetime


class RoleUpdate(BaseModel):
    model_config = _FORBID_EXTRA

    role: Role


class InvitationCreate(BaseModel):
    model_config = _FORBID_EXTRA

    role: Role = Role.member
    email: str | None = Field(
        default=None,
        max_length=320,
        description="If given, only the account with this address can accept.",
    )


class InvitationRead(BaseModel):
    id: uuid.UUID
    role: Role
    email: str | None
    status: InvitationStatus
    invited_by: uuid.UUID
    invited_by_name: str
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None


class InvitationCreated(InvitationRead):
    url: str = Field(
        description="The link to give the person invited. Shown only in this answer: "
        "Coffer keeps no copy of it."
    )


class InvitationPreviewRead(BaseModel):
    tenant_name: str
    tenant_kind: TenantKind
    role: Role
    inviter_name: str
    email: str | None
    expires_at: datetime
