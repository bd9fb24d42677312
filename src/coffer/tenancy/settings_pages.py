"""Household settings: details, members and their roles, invitations.

Forms post and redirect (303) to a page that shows the result; a form with bad input
is shown again with its errors (422). Button-sized actions (change a role, remove
someone) report a refusal as a message on the page they return to. coffer.tenancy.pages
mounts this router and shares its helpers.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from coffer.auth.deps import SESSION_TENANT
from coffer.errors import CofferError, Conflict, ValidationFailed, field_error
from coffer.tenancy import service
from coffer.tenancy.access import ADMIN_ASSIGNABLE
from coffer.tenancy.deps import ManagedPageTenant, PageTenant, TenantContext
from coffer.tenancy.locales import currency_choices, currency_label, locale_choices, locale_label
from coffer.tenancy.models import Role
from coffer.web.csrf import verify_csrf
from coffer.web.deps import SessionDep, SettingsDep
from coffer.web.forms import FormText, errors_by_field, redirect
from coffer.web.templating import flash, render

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)

HOUSEHOLD_PATH = "/settings/household"
NEW_INVITATION_KEY = "new_invitation"


ROLE_HELP = {
    Role.owner: "Everything, including choosing other owners.",
    Role.admin: "Manages members, invitations and household settings.",
    Role.member: "Adds and changes the household's money matters.",
    Role.viewer: "Sees everything, changes nothing.",
    Role.advisor: "Sees everything and can leave recommendations; changes nothing.",
}


def switch_to(request: Request, tenant_id: uuid.UUID) -> None:
    request.session[SESSION_TENANT] = str(tenant_id)


def parse_role(value: str) -> Role | None:
    try:
        return Role(value)
    except ValueError:
        return None


def _role_options(roles: list[Role]) -> list[tuple[str, str]]:
    return [(role.value, role.value.capitalize()) for role in roles]


# --- household settings ---------------------------------------------------------------


def _member_rows(ctx: TenantContext, members: list[service.Member]) -> list[dict[str, Any]]:
    owners = sum(m.role is Role.owner for m in members)
    rows = []
    for member in members:
        is_me = member.user_id == ctx.user.id
        manageable = ctx.role is Role.owner or (
            ctx.role is Role.admin and member.role in ADMIN_ASSIGNABLE
        )
        last_owner = member.role is Role.owner and owners == 1
        rows.append(
            {
                "member": member,
                "is_me": is_me,
                "can_change_role": manageable and not last_owner,
                "can_remove": manageable and not is_me and not member.home_here,
                "can_leave": is_me and not member.home_here and not last_owner,
            }
        )
    return rows


def _household_page(
    request: Request,
    session: Session,
    ctx: TenantContext,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    invite_form: dict[str, str] | None = None,
    invite_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    tenant = ctx.tenant
    form = form or {
        "name": tenant.name,
        "base_currency": tenant.base_currency,
        "locale": tenant.locale,
    }
    members = service.list_members(session, tenant_id=ctx.tenant_id)
    invitations: list[service.InvitationView] = []
    if ctx.role.can_manage:
        views = service.list_invitations(session, actor_id=ctx.user.id, tenant_id=ctx.tenant_id)
        invitations = [v for v in views if v.status is service.InvitationStatus.pending]
    roles = service.assignable_roles(ctx.role)
    return render(
        request,
        "tenancy/household.html",
        {
            "active_nav": "household",
            "tenant": tenant,
            "role": ctx.role,
            "can_manage": ctx.role.can_manage,
            "form": form,
            "errors": errors or {},
            "currency_options": currency_choices(form.get("base_currency")),
            "locale_options": locale_choices(form.get("locale")),
            "currency": currency_label(tenant.base_currency),
            "locale": locale_label(tenant.locale),
            "rows": _member_rows(ctx, members),
            "role_options": _role_options(roles),
            "role_help": [(role.value.capitalize(), ROLE_HELP[role]) for role in Role],
            "invitations": invitations,
            "invite_form": invite_form or {"role": Role.member.value, "email": ""},
            "invite_errors": invite_errors or {},
            "new_invitation": request.session.pop(NEW_INVITATION_KEY, None),
        },
        status_code=status_code,
    )


@router.get(HOUSEHOLD_PATH, response_class=HTMLResponse)
def household(request: Request, ctx: PageTenant, session: SessionDep) -> HTMLResponse:
    return _household_page(request, session, ctx)


@router.post(HOUSEHOLD_PATH, response_class=HTMLResponse)
def save_household(
    request: Request,
    ctx: ManagedPageTenant,
    session: SessionDep,
    name: FormText = "",
    base_currency: FormText = "",
    locale: FormText = "",
) -> Response:
    form = {"name": name, "base_currency": base_currency, "locale": locale}
    try:
        service.update_tenant(session, actor_id=ctx.user.id, tenant_id=ctx.tenant_id, **form)
    except ValidationFailed as exc:
        return _household_page(
            request, session, ctx, form=form, errors=errors_by_field(exc), status_code=422
        )
    flash(request, "success", "The household's details are saved.")
    return redirect(HOUSEHOLD_PATH)


@router.post(HOUSEHOLD_PATH + "/members/{user_id}/role")
def change_member_role(
    request: Request,
    user_id: uuid.UUID,
    ctx: ManagedPageTenant,
    session: SessionDep,
    role: FormText = "",
) -> Response:
    new_role = parse_role(role)
    if new_role is None:
        flash(request, "error", "Choose one of the roles in the list.")
        return redirect(HOUSEHOLD_PATH + "#members")
    try:
        member = service.change_role(
            session, actor_id=ctx.user.id, tenant_id=ctx.tenant_id, user_id=user_id, role=new_role
        )
    except CofferError as exc:
        flash(request, "error", exc.detail)
    else:
        flash(request, "success", f"{member.name} is now {member.role.value}.")
    return redirect(HOUSEHOLD_PATH + "#members")


@router.post(HOUSEHOLD_PATH + "/members/{user_id}/remove")
def remove_member(
    request: Request, user_id: uuid.UUID, ctx: ManagedPageTenant, session: SessionDep
) -> Response:
    try:
        member = service.get_member(session, tenant_id=ctx.tenant_id, user_id=user_id)
        service.remove_member(
            session, actor_id=ctx.user.id, tenant_id=ctx.tenant_id, user_id=user_id
        )
    except CofferError as exc:
        flash(request, "error", exc.detail)
    else:
        flash(request, "success", f"{member.name} no longer has access to {ctx.tenant.name}.")
    return redirect(HOUSEHOLD_PATH + "#members")


@router.post(HOUSEHOLD_PATH + "/leave")
def leave_household(request: Request, ctx: PageTenant, session: SessionDep) -> Response:
    try:
        service.leave_tenant(session, user_id=ctx.user.id, tenant_id=ctx.tenant_id)
    except CofferError as exc:
        flash(request, "error", exc.detail)
        return redirect(HOUSEHOLD_PATH + "#members")
    request.session.pop(SESSION_TENANT, None)  # the next page falls back to home
    flash(request, "success", f"You have left {ctx.tenant.name}.")
    return redirect("/")


@router.post(HOUSEHOLD_PATH + "/invitations", response_class=HTMLResponse)
def invite(
    request: Request,
    ctx: ManagedPageTenant,
    session: SessionDep,
    settings: SettingsDep,
    role: FormText = Role.member.value,
    email: FormText = "",
) -> Response:
    invite_form = {"role": role, "email": email}
    new_role = parse_role(role)
    try:
        if new_role is None:
            raise field_error("role", "Choose one of the roles in the list.")
        made = service.create_invitation(
            session,
            actor_id=ctx.user.id,
            tenant_id=ctx.tenant_id,
            role=new_role,
            email=email,
            valid_for=timedelta(days=settings.invitation_days),
        )
    except (ValidationFailed, Conflict) as exc:
        errors = errors_by_field(exc)
        if "" in errors:  # a conflict is about the address
            errors = {"email": errors[""]}
    else:
        # Shown once on the next page and then forgotten: Coffer keeps only its hash.
        request.session[NEW_INVITATION_KEY] = {
            "url": str(request.base_url).rstrip("/") + made.path,
            "role": role,
            "email": made.invitation.email or "",
            "expires_at": made.invitation.expires_at.strftime("%Y-%m-%d"),
        }
        return redirect(HOUSEHOLD_PATH + "#new-invitation")
    return _household_page(
        request, session, ctx, invite_form=invite_form, invite_errors=errors, status_code=422
    )


@router.post(HOUSEHOLD_PATH + "/invitations/{invitation_id}/revoke")
def revoke(
    request: Request, invitation_id: uuid.UUID, ctx: ManagedPageTenant, session: SessionDep
) -> Response:
    try:
        service.revoke_invitation(
            session, actor_id=ctx.user.id, tenant_id=ctx.tenant_id, invitation_id=invitation_id
        )
    except CofferError as exc:
        flash(request, "error", exc.detail)
    else:
        flash(request, "success", "The invitation is withdrawn; its link no longer works.")
    return redirect(HOUSEHOLD_PATH + "#invitations")
