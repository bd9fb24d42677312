"""Which tenant a request acts in, and may it write there.

API: `CurrentTenant` is the tenant named by the X-Tenant-Id header, else the user's
personal household; `WritableTenant` refuses viewers and advisors; `ManagedTenant`
admits only owners and admins. Routes with {tenant_id} in their path use the
`PathTenant` family instead: there the path decides, never the header.

Pages: `PageTenant` is the tenant kept in the browser session (the switcher), falling
back to the personal household when the user no longer belongs to it.

Every dependency puts the tenant into the database context (SET LOCAL on PostgreSQL).
A tenant the user does not belong to answers 404, never 403: its existence stays secret.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from coffer.auth.deps import SESSION_TENANT, CurrentUser, PageIdentity, PageUser
from coffer.auth.models import User
from coffer.db.session import set_context
from coffer.errors import Forbidden, NotFound, field_error
from coffer.tenancy import service
from coffer.tenancy.models import Role, Tenant
from coffer.web.deps import SessionDep
from coffer.web.templating import add_page_context

TENANT_HEADER = "X-Tenant-Id"


@dataclass(frozen=True, slots=True)
class TenantContext:
    tenant: Tenant
    role: Role
    user: User

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.tenant.id


@dataclass(frozen=True, slots=True)
class TenantChoice:
    """What the layout's switcher shows of one of the user's tenants."""

    id: uuid.UUID
    name: str
    role: Role
    kind: str
    is_personal: bool


def add_tenant_page_context(
    request: Request, user: User, tenants: list[tuple[Tenant, Role]], active: uuid.UUID | None
) -> None:
    """The layout's switcher (tenants, active_tenant), the signed-in identity, and the
    active household's locale and base currency (`tenant_locale`, `base_currency`)."""
    choices = tenant_choices(user, tenants)
    tenant = next((t for t, _ in tenants if t.id == active), None)
    add_page_context(
        request,
        current_user=PageIdentity(user.id, user.name, user.email),
        tenants=choices,
        active_tenant=next((c for c in choices if c.id == active), None),
        # How the money and date filters of the templates write for this household.
        tenant_locale=tenant.locale if tenant else None,
        base_currency=tenant.base_currency if tenant else None,
    )


def _enter(session: Session, user: User, tenant: Tenant, role: Role) -> TenantContext:
    set_context(session, user_id=user.id, tenant_id=tenant.id)
    return TenantContext(tenant=tenant, role=role, user=user)


def _require_writer(context: TenantContext) -> TenantContext:
    if not context.role.can_write:
        raise Forbidden(
            f"Your role in {context.tenant.name} is {context.role.value}: you can look, "
            "but not change anything."
        )
    return context


def _require_manager(context: TenantContext) -> TenantContext:
    if not context.role.can_manage:
        raise Forbidden(f"Only owners and admins of {context.tenant.name} can do this.")
    return context


def _fallback_tenant(session: Session, user: User) -> tuple[Tenant, Role]:
    """The personal household, or (should it be gone) the first tenant the user has."""
    tenants = service.list_user_tenants(session, user_id=user.id)
    if not tenants:
        raise NotFound("You do not belong to any household yet.")
    return tenants[0]


# --- API ------------------------------------------------------------------------------


def get_current_tenant(
    user: CurrentUser,
    session: SessionDep,
    x_tenant_id: Annotated[
        str | None,
        Header(
            alias=TENANT_HEADER,
            description="The tenant to act in; the personal household when absent.",
        ),
    ] = None,
) -> TenantContext:
    if x_tenant_id is None or not x_tenant_id.strip():
        tenant, role = _fallback_tenant(session, user)
        return _enter(session, user, tenant, role)
    try:
        tenant_id = uuid.UUID(x_tenant_id.strip())
    except ValueError as exc:
        raise field_error(TENANT_HEADER, "must be a tenant id (a UUID)") from exc
    tenant, role = service.get_member_tenant(session, user_id=user.id, tenant_id=tenant_id)
    return _enter(session, user, tenant, role)


CurrentTenant = Annotated[TenantContext, Depends(get_current_tenant)]


def get_writable_tenant(context: CurrentTenant) -> TenantContext:
    return _require_writer(context)


def get_managed_tenant(context: CurrentTenant) -> TenantContext:
    return _require_manager(context)


WritableTenant = Annotated[TenantContext, Depends(get_writable_tenant)]
ManagedTenant = Annotated[TenantContext, Depends(get_managed_tenant)]


def get_path_tenant(tenant_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> TenantContext:
    tenant, role = service.get_member_tenant(session, user_id=user.id, tenant_id=tenant_id)
    return _enter(session, user, tenant, role)


PathTenant = Annotated[TenantContext, Depends(get_path_tenant)]


def get_writable_path_tenant(context: PathTenant) -> TenantContext:
    return _require_writer(context)


def get_managed_path_tenant(context: PathTenant) -> TenantContext:
    return _require_manager(context)


WritablePathTenant = Annotated[TenantContext, Depends(get_writable_path_tenant)]
ManagedPathTenant = Annotated[TenantContext, Depends(get_managed_path_tenant)]


# --- pages ----------------------------------------------------------------------------


def _session_tenant_id(request: Request) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(request.session.get(SESSION_TENANT)))
    except ValueError:
        return None


def tenant_choices(user: User, tenants: list[tuple[Tenant, Role]]) -> list[TenantChoice]:
    return [
        TenantChoice(t.id, t.name, role, t.kind, t.id == user.personal_tenant_id)
        for t, role in tenants
    ]


def get_page_tenant(request: Request, user: PageUser, session: SessionDep) -> TenantContext:
    tenants = service.list_user_tenants(session, user_id=user.id)
    if not tenants:
        raise NotFound("You do not belong to any household yet.")
    wanted = _session_tenant_id(request)
    # Removed from the household kept in the session (or never chosen): back home.
    tenant, role = next(((t, r) for t, r in tenants if t.id == wanted), tenants[0])
    if tenant.id != wanted:
        request.session[SESSION_TENANT] = str(tenant.id)
    add_tenant_page_context(request, user, tenants, tenant.id)
    context = _enter(session, user, tenant, role)
    for hook in PAGE_HOOKS:
        hook(request, session, context)
    return context


PageHook = Callable[[Request, Session, TenantContext], None]
# Run for every page once the household is entered, in registration order: how a
# capability adds something every page shows (the notification bell's count) without
# this module knowing it. A hook adds to the page context with `add_page_context`;
# one that may fail must catch its own errors (in a savepoint) so pages still render.
PAGE_HOOKS: list[PageHook] = []


def page_hook(func: PageHook) -> PageHook:
    PAGE_HOOKS.append(func)
    return func


PageTenant = Annotated[TenantContext, Depends(get_page_tenant)]


def get_writable_page_tenant(context: PageTenant) -> TenantContext:
    return _require_writer(context)


def get_managed_page_tenant(context: PageTenant) -> TenantContext:
    return _require_manager(context)


WritablePageTenant = Annotated[TenantContext, Depends(get_writable_page_tenant)]
ManagedPageTenant = Annotated[TenantContext, Depends(get_managed_page_tenant)]
