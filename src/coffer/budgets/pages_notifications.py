"""The notification centre: the person's own notifications (unread or all), marking
them read, and which kinds they want. Opening it runs the scanner (at most every few
minutes; see coffer.budgets.notifications), so what is due shows up without a job.
Every member has a centre of their own, viewers and advisors included.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

import structlog
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from coffer.budgets import notifications as service
from coffer.budgets.models import NotificationKind
from coffer.tenancy.deps import PageTenant, TenantContext, page_hook
from coffer.web.csrf import verify_csrf
from coffer.web.deps import SessionDep
from coffer.web.forms import FormText, redirect
from coffer.web.templating import add_page_context, flash, render

log = structlog.get_logger("coffer.notifications")


@page_hook
def _bell(request: Request, session: Session, ctx: TenantContext) -> None:
    """Every page: find what to tell this person (at most every few minutes, see
    `notifications.refresh`), then the header bell's unread count (one COUNT)."""
    try:
        with session.begin_nested():
            service.refresh(
                session, tenant_id=ctx.tenant_id, user_id=ctx.user.id, today=date.today()
            )
    except Exception:
        log.exception("notification refresh failed", tenant_id=str(ctx.tenant_id))
    count = service.unread_count(session, tenant_id=ctx.tenant_id, user_id=ctx.user.id)
    add_page_context(request, unread_notifications=count)


router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)

PATH = "/notifications"
KIND_NAMES = {
    NotificationKind.budget_alert.value: "Budget",
    NotificationKind.bill_upcoming.value: "Bill coming up",
    NotificationKind.bill_missed.value: "Bill unpaid",
    NotificationKind.goal_milestone.value: "Goal",
    NotificationKind.forecast_warning.value: "Low balance ahead",
}


@router.get(PATH, response_class=HTMLResponse)
def centre(
    request: Request,
    ctx: PageTenant,
    session: SessionDep,
    show: Annotated[Literal["unread", "all"], Query()] = "all",
) -> HTMLResponse:
    scope = {"tenant_id": ctx.tenant_id, "user_id": ctx.user.id}
    with session.begin_nested():
        service.refresh(session, tenant_id=ctx.tenant_id, user_id=ctx.user.id, today=date.today())
    rows = service.list_notifications(session, **scope, unread_only=show == "unread", limit=100)
    unread = service.unread_count(session, **scope)
    add_page_context(request, unread_notifications=unread)
    return render(
        request,
        "budgets/notifications/index.html",
        {
            "active_nav": "notifications",
            "rows": rows,
            "unread": unread,
            "show": show,
            "kind_names": KIND_NAMES,
            "preferences": service.preferences(session, **scope),
        },
    )


@router.post(PATH + "/{notification_id:uuid}/read", response_class=HTMLResponse)
def mark_read(notification_id: uuid.UUID, ctx: PageTenant, session: SessionDep) -> Response:
    service.mark_read(session, tenant_id=ctx.tenant_id, user_id=ctx.user.id, ids=[notification_id])
    return redirect(PATH)


@router.post(PATH + "/read-all", response_class=HTMLResponse)
def mark_all_read(request: Request, ctx: PageTenant, session: SessionDep) -> Response:
    count = service.mark_all_read(session, tenant_id=ctx.tenant_id, user_id=ctx.user.id)
    flash(request, "success", f"{count} marked read." if count else "Nothing was unread.")
    return redirect(PATH)


@router.post(PATH + "/preferences", response_class=HTMLResponse)
def save_preferences(
    request: Request,
    ctx: PageTenant,
    session: SessionDep,
    kind_budget_alert: FormText = "",
    kind_bill_upcoming: FormText = "",
    kind_bill_missed: FormText = "",
    kind_goal_milestone: FormText = "",
    kind_forecast_warning: FormText = "",
) -> Response:
    """A checkbox per kind: ticked is on; unticked (absent from the form) is off."""
    ticked = {
        NotificationKind.budget_alert: kind_budget_alert,
        NotificationKind.bill_upcoming: kind_bill_upcoming,
        NotificationKind.bill_missed: kind_bill_missed,
        NotificationKind.goal_milestone: kind_goal_milestone,
        NotificationKind.forecast_warning: kind_forecast_warning,
    }
    choices = {kind: bool(value) for kind, value in ticked.items()}
    service.set_preferences(session, tenant_id=ctx.tenant_id, user_id=ctx.user.id, choices=choices)
    flash(request, "success", "Your notification choices are saved.")
    return redirect(PATH + "#preferences")
