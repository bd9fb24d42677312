"""HTML pages of households: home (the dashboard, or getting started while there is
nothing to show), switching between households, a new household, and an invitation as
the person invited sees it. The settings pages live in coffer.tenancy.settings_pages;
this router includes them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from coffer.auth.deps import SESSION_TENANT, OptionalPageUser, PageUser, safe_next
from coffer.auth.models import User
from coffer.errors import CofferError, Conflict, NotFound, ValidationFailed
from coffer.imports import service as imports
from coffer.ledger import service as ledger
from coffer.reports.pages import GettingStarted, dashboard_page
from coffer.tenancy import service, settings_pages
from coffer.tenancy.deps import PageTenant, TenantContext, add_tenant_page_context
from coffer.tenancy.locales import currency_choices, currency_label, locale_choices, locale_label
from coffer.tenancy.models import Role
from coffer.tenancy.settings_pages import HOUSEHOLD_PATH, ROLE_HELP, switch_to
from coffer.web.csrf import verify_csrf
from coffer.web.deps import SessionDep
from coffer.web.forms import FormText, errors_by_field, redirect
from coffer.web.templating import flash, render

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)
router.include_router(settings_pages.router)

GETTING_STARTED_PATH = "/getting-started"

# --- home: the dashboard, or getting started ------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    title: str
    text: str
    href: str
    action: str
    done: bool


def _steps(
    ctx: TenantContext, others: int, pending: int, *, has_accounts: bool, has_imports: bool
) -> list[Step]:
    manages = ctx.role.can_manage
    writes = ctx.role.can_write
    return [
        Step(
            "Create your account",
            f"You are signed in as {ctx.user.email}.",
            "/profile",
            "See your profile",
            True,
        ),
        Step(
            "Choose a strong password",
            "Coffer checked its strength when you chose it. You can change it at any "
            "time from your profile.",
            "/profile",
            "Change your password",
            True,
        ),
        Step(
            "Check your household's details",
            "Its name, the currency totals are shown in, and how dates and numbers are "
            "written." + ("" if manages else " An owner or admin of the household sets these."),
            HOUSEHOLD_PATH,
            "Review the details" if manages else "See the details",
            ctx.tenant.details_reviewed_at is not None,
        ),
        Step(
            "Invite the people you share money with",
            "A partner, a family member, or an advisor who may only look. They get a "
            "link; nothing is sent by email."
            + ("" if manages else " Ask an owner or admin to invite someone."),
            HOUSEHOLD_PATH + "#invite",
            "Invite someone" if manages else "See who is here",
            others > 0 or pending > 0,
        ),
        Step(
            "Add your accounts",
            "Current and savings accounts, cards, cash, loans, and what you own, each "
            "with its balance on the day you start."
            + ("" if writes else " A member, admin or owner of the household adds them."),
            "/accounts/new" if writes else "/accounts",
            "Add an account" if writes else "See the accounts",
            has_accounts,
        ),
        Step(
            "Bring in your bank's history",
            "Download a file from your bank's website (CSV, OFX, QFX, QIF or CAMT.053) "
            "and import it: Coffer skips what it already has and sorts what it can.",
            "/imports",
            "Import a bank file" if writes else "See the imports",
            has_imports,
        ),
    ]


def _getting_started(
    ctx: TenantContext, session: Session, *, has_accounts: bool
) -> tuple[list[Step], list[service.Member]]:
    members = service.list_members(session, tenant_id=ctx.tenant_id)
    pending = 0
    if ctx.role.can_manage:
        views = service.list_invitations(session, actor_id=ctx.user.id, tenant_id=ctx.tenant_id)
        pending = sum(v.status is service.InvitationStatus.pending for v in views)
    has_imports = bool(imports.list_batches(session, tenant_id=ctx.tenant_id, limit=1).items)
    steps = _steps(
        ctx, len(members) - 1, pending, has_accounts=has_accounts, has_imports=has_imports
    )
    return steps, members


def _steps_page(
    request: Request, ctx: TenantContext, session: Session, *, has_accounts: bool
) -> HTMLResponse:
    steps, members = _getting_started(ctx, session, has_accounts=has_accounts)
    return render(
        request,
        "tenancy/home.html",
        {
            "active_nav": "home",
            "tenant": ctx.tenant,
            "role": ctx.role,
            "role_help": ROLE_HELP[ctx.role],
            "members": members,
            "steps": steps,
            "done_count": sum(step.done for step in steps),
            "currency": currency_label(ctx.tenant.base_currency),
            "locale": locale_label(ctx.tenant.locale),
            "has_accounts": has_accounts,
        },
    )


@router.get("/", response_class=HTMLResponse)
def home(request: Request, ctx: PageTenant, session: SessionDep) -> HTMLResponse:
    """A household with accounts sees how it is doing (the dashboard); one without
    sees how to start, rather than a page of zeros."""
    has_accounts = bool(ledger.list_accounts(session, tenant_id=ctx.tenant_id))
    if not has_accounts:
        return _steps_page(request, ctx, session, has_accounts=False)
    steps, _ = _getting_started(ctx, session, has_accounts=True)
    undone = [step for step in steps if not step.done]
    progress = None
    if undone:
        progress = GettingStarted(
            done=len(steps) - len(undone),
            total=len(steps),
            next_title=undone[0].title,
            next_href=undone[0].href,
            next_action=undone[0].action,
        )
    return dashboard_page(request, session, ctx, getting_started=progress)


@router.get(GETTING_STARTED_PATH, response_class=HTMLResponse)
def getting_started(request: Request, ctx: PageTenant, session: SessionDep) -> HTMLResponse:
    """The steps in full, also once the home page has become the dashboard."""
    has_accounts = bool(ledger.list_accounts(session, tenant_id=ctx.tenant_id))
    return _steps_page(request, ctx, session, has_accounts=has_accounts)


# --- switching and new households -----------------------------------------------------


def _back(request: Request) -> str:
    """Where the switcher was used, if that is a page of this site; else home."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc and referer.netloc != request.url.netloc:
        return "/"
    path = referer.path + (f"?{referer.query}" if referer.query else "")
    return safe_next(path or None)


@router.post("/tenants/switch")
def switch_tenant(
    request: Request, user: PageUser, session: SessionDep, tenant_id: FormText = ""
) -> Response:
    # A switcher on a page left open after its user was removed from a household posts
    # an id they no longer belong to: say so on the home page, which always works.
    try:
        tenant, _ = service.get_member_tenant(
            session, user_id=user.id, tenant_id=uuid.UUID(tenant_id)
        )
    except (ValueError, NotFound):
        flash(request, "error", "That household is not one of yours (any longer).")
        return redirect("/")
    switch_to(request, tenant.id)
    flash(request, "info", f"You are now in {tenant.name}.")
    return redirect(_back(request))


def _new_household_page(
    request: Request,
    form: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "tenancy/new_household.html",
        {
            "active_nav": "household",
            "form": form,
            "errors": errors or {},
            "currency_options": currency_choices(form.get("base_currency")),
            "locale_options": locale_choices(form.get("locale")),
        },
        status_code=status_code,
    )


@router.get("/households/new", response_class=HTMLResponse)
def new_household(request: Request, ctx: PageTenant) -> HTMLResponse:
    # Start from the current household's currency and locale: usually the same.
    form = {
        "name": "",
        "base_currency": ctx.tenant.base_currency,
        "locale": ctx.tenant.locale,
        "default_categories": "on",
    }
    return _new_household_page(request, form)


@router.post("/households/new", response_class=HTMLResponse)
def create_household(
    request: Request,
    ctx: PageTenant,
    session: SessionDep,
    name: FormText = "",
    base_currency: FormText = "",
    locale: FormText = "",
    default_categories: FormText = "",
) -> Response:
    form = {
        "name": name,
        "base_currency": base_currency,
        "locale": locale,
        "default_categories": default_categories,
    }
    try:
        tenant = service.create_tenant(
            session,
            creator=ctx.user,
            name=name,
            base_currency=base_currency,
            locale=locale,
            default_categories=bool(default_categories),
        )
    except ValidationFailed as exc:
        return _new_household_page(request, form, errors_by_field(exc), status_code=422)
    switch_to(request, tenant.id)
    flash(request, "success", f"{tenant.name} is ready, and you are its owner.")
    return redirect("/")


# --- invitations, for the person invited ----------------------------------------------


def _add_tenants(request: Request, session: Session, user: User) -> None:
    """The switcher in the layout, on pages that do not act in a tenant."""
    tenants = service.list_user_tenants(session, user_id=user.id)
    wanted = str(request.session.get(SESSION_TENANT))
    active = next((t.id for t, _ in tenants if str(t.id) == wanted), None)
    if active is None and tenants:
        active = tenants[0][0].id
    add_tenant_page_context(request, user, tenants, active)


def _invitation_page(
    request: Request,
    session: Session,
    user: User | None,
    token: str,
    *,
    problem: CofferError | None = None,
) -> HTMLResponse:
    preview, already_member = None, False
    if problem is None:
        try:
            preview = service.preview_invitation(session, token=token)
        except CofferError as exc:
            problem = exc
    if user is not None:
        _add_tenants(request, session, user)
        if preview is not None:
            memberships = service.list_user_tenants(session, user_id=user.id)
            already_member = any(t.id == preview.tenant.id for t, _ in memberships)
    here = quote(service.invitation_path(token), safe="/")
    return render(
        request,
        "tenancy/invitation.html",
        {
            "preview": preview,
            "problem": problem,
            "already_member": already_member,
            "token": token,
            "role_help": ROLE_HELP[Role(preview.invitation.role)] if preview else "",
            "login_url": f"/login?next={here}",
            "signup_url": f"/signup?next={here}",
        },
        status_code=problem.status if problem else 200,
    )


@router.get("/invitations/{token}", response_class=HTMLResponse)
def invitation(
    request: Request, token: str, user: OptionalPageUser, session: SessionDep
) -> HTMLResponse:
    return _invitation_page(request, session, user, token)


@router.post("/invitations/{token}/accept", response_class=HTMLResponse)
def accept(request: Request, token: str, user: PageUser, session: SessionDep) -> Response:
    try:
        tenant, role = service.accept_invitation(session, user=user, token=token)
    except Conflict:
        # Already in: take them there rather than show an error about a wish granted.
        tenant = service.preview_invitation(session, token=token).tenant
        switch_to(request, tenant.id)
        flash(request, "info", f"You are already a member of {tenant.name}.")
        return redirect("/")
    except CofferError as exc:
        return _invitation_page(request, session, user, token, problem=exc)
    switch_to(request, tenant.id)
    flash(request, "success", f"Welcome to {tenant.name}. You joined as {role.value}.")
    return redirect("/")
