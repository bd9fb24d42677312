"""REST routes of tenants, members and invitations: parse, call the service, shape.

Routes under /tenants/{tenant_id} act in the tenant of the path (404 unless the caller
belongs to it), never in the X-Tenant-Id header's.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import APIRouter, Depends, Request, Response, status

from coffer.auth.deps import CurrentUser, get_current_user
from coffer.auth.models import User
from coffer.tenancy import service
from coffer.tenancy.deps import ManagedPathTenant, PathTenant
from coffer.tenancy.models import Invitation, Role, Tenant, TenantKind
from coffer.tenancy.schemas import (
    InvitationCreate,
    InvitationCreated,
    InvitationPreviewRead,
    InvitationRead,
    MemberRead,
    RoleUpdate,
    TenantCreate,
    TenantRead,
    TenantUpdate,
)
from coffer.web.deps import SessionDep, SettingsDep

router = APIRouter(tags=["tenants"])


def _tenant_read(tenant: Tenant, role: Role, user: User) -> TenantRead:
    return TenantRead(
        id=tenant.id,
        name=tenant.name,
        kind=TenantKind(tenant.kind),
        base_currency=tenant.base_currency,
        locale=tenant.locale,
        role=role,
        is_personal=tenant.id == user.personal_tenant_id,
        created_at=tenant.created_at,
    )


def _member_read(member: service.Member) -> MemberRead:
    return MemberRead(
        user_id=member.user_id,
        name=member.name,
        email=member.email,
        role=member.role,
        joined_at=member.joined_at,
    )


def _invitation_read(
    invitation: Invitation, status_: service.InvitationStatus, inviter_name: str
) -> dict[str, object]:
    return {
        "id": invitation.id,
        "role": invitation.role,
        "email": invitation.email,
        "status": status_,
        "invited_by": invitation.invited_by,
        "invited_by_name": inviter_name,
        "created_at": invitation.created_at,
        "expires_at": invitation.expires_at,
        "accepted_at": invitation.accepted_at,
        "revoked_at": invitation.revoked_at,
    }


# --- tenants --------------------------------------------------------------------------


@router.get("/tenants", response_model=list[TenantRead], summary="The caller's tenants")
def list_tenants(user: CurrentUser, session: SessionDep) -> list[TenantRead]:
    pairs = service.list_user_tenants(session, user_id=user.id)
    return [_tenant_read(tenant, role, user) for tenant, role in pairs]


@router.post(
    "/tenants",
    response_model=TenantRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create a household (the caller becomes its owner)",
)
def create_tenant(body: TenantCreate, user: CurrentUser, session: SessionDep) -> TenantRead:
    tenant = service.create_tenant(
        session,
        creator=user,
        name=body.name,
        kind=body.kind,
        base_currency=body.base_currency,
        locale=body.locale,
        default_categories=body.default_categories,
    )
    return _tenant_read(tenant, Role.owner, user)


@router.get(
    "/tenants/{tenant_id}", response_model=TenantRead, summary="One of the caller's tenants"
)
def get_tenant(context: PathTenant) -> TenantRead:
    return _tenant_read(context.tenant, context.role, context.user)


@router.patch(
    "/tenants/{tenant_id}", response_model=TenantRead, summary="Change name, currency, locale"
)
def update_tenant(
    body: TenantUpdate, context: ManagedPathTenant, session: SessionDep
) -> TenantRead:
    tenant = service.update_tenant(
        session,
        actor_id=context.user.id,
        tenant_id=context.tenant_id,
        **body.model_dump(exclude_none=True),
    )
    return _tenant_read(tenant, context.role, context.user)


# --- members --------------------------------------------------------------------------


@router.get(
    "/tenants/{tenant_id}/members", response_model=list[MemberRead], summary="Members and roles"
)
def list_members(context: PathTenant, session: SessionDep) -> list[MemberRead]:
    return [_member_read(m) for m in service.list_members(session, tenant_id=context.tenant_id)]


@router.patch(
    "/tenants/{tenant_id}/members/{user_id}",
    response_model=MemberRead,
    summary="Change a member's role",
)
def change_role(
    user_id: uuid.UUID, body: RoleUpdate, context: ManagedPathTenant, session: SessionDep
) -> MemberRead:
    member = service.change_role(
        session,
        actor_id=context.user.id,
        tenant_id=context.tenant_id,
        user_id=user_id,
        role=body.role,
    )
    return _member_read(member)


@router.delete(
    "/tenants/{tenant_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    response_model=None,
    summary="Remove a member; your own id means leaving",
)
def remove_member(user_id: uuid.UUID, context: PathTenant, session: SessionDep) -> Response:
    # Any member may leave; removing someone else is checked by the service (managers).
    service.remove_member(
        session, actor_id=context.user.id, tenant_id=context.tenant_id, user_id=user_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- invitations ----------------------------------------------------------------------


@router.get(
    "/tenants/{tenant_id}/invitations",
    response_model=list[InvitationRead],
    tags=["invitations"],
    summary="Invitations of the tenant, newest first",
)
def list_invitations(context: ManagedPathTenant, session: SessionDep) -> list[InvitationRead]:
    views = service.list_invitations(session, actor_id=context.user.id, tenant_id=context.tenant_id)
    return [
        InvitationRead.model_validate(_invitation_read(v.invitation, v.status, v.inviter_name))
        for v in views
    ]


@router.post(
    "/tenants/{tenant_id}/invitations",
    response_model=InvitationCreated,
    status_code=status.HTTP_201_CREATED,
    tags=["invitations"],
    summary="Invite by link; the answer holds the link once",
)
def create_invitation(
    body: InvitationCreate,
    context: ManagedPathTenant,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
) -> InvitationCreated:
    made = service.create_invitation(
        session,
        actor_id=context.user.id,
        tenant_id=context.tenant_id,
        role=body.role,
        email=body.email,
        valid_for=timedelta(days=settings.invitation_days),
    )
    fields = _invitation_read(made.invitation, service.InvitationStatus.pending, context.user.name)
    url = str(request.base_url).rstrip("/") + made.path
    return InvitationCreated.model_validate({**fields, "url": url})


@router.delete(
    "/tenants/{tenant_id}/invitations/{invitation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    response_model=None,
    tags=["invitations"],
    summary="Withdraw an invitation",
)
def revoke_invitation(
    invitation_id: uuid.UUID, context: ManagedPathTenant, session: SessionDep
) -> Response:
    service.revoke_invitation(
        session, actor_id=context.user.id, tenant_id=context.tenant_id, invitation_id=invitation_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/invitations/{token}",
    response_model=InvitationPreviewRead,
    tags=["invitations"],
    summary="Who invites you to what (signed-in users)",
    dependencies=[Depends(get_current_user)],
)
def preview_invitation(token: str, session: SessionDep) -> InvitationPreviewRead:
    preview = service.preview_invitation(session, token=token)
    return InvitationPreviewRead(
        tenant_name=preview.tenant.name,
        tenant_kind=TenantKind(preview.tenant.kind),
        role=Role(preview.invitation.role),
        inviter_name=preview.inviter_name,
        email=preview.invitation.email,
        expires_at=preview.invitation.expires_at,
    )


@router.post(
    "/invitations/{token}/accept",
    response_model=TenantRead,
    tags=["invitations"],
    summary="Join the tenant of an invitation",
)
def accept_invitation(token: str, user: CurrentUser, session: SessionDep) -> TenantRead:
    tenant, role = service.accept_invitation(session, user=user, token=token)
    return _tenant_read(tenant, role, user)
