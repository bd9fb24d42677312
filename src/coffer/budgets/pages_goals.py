"""Savings goal pages: the goals as cards with progress bars, the form to add or change
one, and a goal's page with its milestones and contributions (add one by hand, or link
a transaction).

Forms post and redirect (303); bad input shows the form again with its errors (422)
and changes nothing (each write runs in a savepoint). Viewers and advisors read only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from coffer.budgets import goals as service
from coffer.budgets.models import GoalStatus, SavingsGoal
from coffer.core.money import from_minor
from coffer.errors import CofferError
from coffer.ledger import page_forms
from coffer.ledger import service as ledger
from coffer.tenancy.deps import PageTenant, TenantContext, WritablePageTenant
from coffer.web.csrf import verify_csrf
from coffer.web.deps import SessionDep
from coffer.web.forms import FormText, errors_by_field, redirect
from coffer.web.templating import flash, render

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)

PATH = "/goals"
PRIORITY_OPTIONS = [
    ("1", "1 — first"),
    ("2", "2"),
    ("3", "3 — normal"),
    ("4", "4"),
    ("5", "5 — last"),
]
STATUS_OPTIONS = [
    (GoalStatus.active.value, "Active"),
    (GoalStatus.achieved.value, "Achieved"),
    (GoalStatus.archived.value, "Archived (kept, not shown with the others)"),
]


@dataclass(frozen=True, slots=True)
class GoalView:
    """A goal's figures as Decimals in its currency, for the templates."""

    p: service.GoalProgress
    saved: Decimal
    target: Decimal
    left: Decimal
    monthly_needed: Decimal | None
    pace: Decimal
    milestone_amounts: list[Decimal]

    @property
    def goal(self) -> SavingsGoal:
        return self.p.goal

    @property
    def code(self) -> str:
        return self.p.goal.currency


def view(p: service.GoalProgress) -> GoalView:
    code = p.goal.currency
    return GoalView(
        p=p,
        saved=from_minor(p.saved_minor, code),
        target=from_minor(p.goal.target_minor, code),
        left=from_minor(p.left_minor, code),
        monthly_needed=(
            None if p.monthly_needed_minor is None else from_minor(p.monthly_needed_minor, code)
        ),
        pace=from_minor(p.pace_minor, code),
        milestone_amounts=[from_minor(m.amount_minor, code) for m in p.milestones],
    )


def _views(session: Session, ctx: TenantContext, goals: list[SavingsGoal]) -> list[GoalView]:
    rows = service.progress_many(session, tenant_id=ctx.tenant_id, goals=goals, today=date.today())
    return [view(p) for p in rows]


@router.get(PATH, response_class=HTMLResponse)
def goals_page(request: Request, ctx: PageTenant, session: SessionDep) -> HTMLResponse:
    views = _views(session, ctx, service.list_goals(session, tenant_id=ctx.tenant_id))
    accounts = {a.id: a.name for a in ledger.list_accounts(session, tenant_id=ctx.tenant_id)}
    return render(
        request,
        "budgets/goals/list.html",
        {
            "active_nav": "goals",
            "can_write": ctx.role.can_write,
            "active": [v for v in views if v.goal.status == GoalStatus.active.value],
            "achieved": [v for v in views if v.goal.status == GoalStatus.achieved.value],
            "archived": [v for v in views if v.goal.status == GoalStatus.archived.value],
            "accounts": accounts,
        },
    )


# --- the goal form ---------------------------------------------------------------------


def _goal_form(
    name: FormText = "",
    target: FormText = "",
    target_date: FormText = "",
    account_id: FormText = "",
    priority: FormText = "3",
    status: FormText = "active",
    notes: FormText = "",
) -> dict[str, str]:
    return {
        "name": name,
        "target": target,
        "target_date": target_date,
        "account_id": account_id,
        "priority": priority,
        "status": status,
        "notes": notes,
    }


GoalForm = Annotated[dict[str, str], Depends(_goal_form)]


def _account_options(session: Session, ctx: TenantContext) -> list[tuple[str, str]]:
    options = [("", "None: I record what I put aside")]
    for account in ledger.list_accounts(session, tenant_id=ctx.tenant_id, include_closed=False):
        options.append((str(account.id), f"{account.name} ({account.currency})"))
    return options


def _form_page(
    request: Request,
    session: Session,
    ctx: TenantContext,
    *,
    form: dict[str, str],
    goal: SavingsGoal | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "budgets/goals/form.html",
        {
            "active_nav": "goals",
            "goal": goal,
            "form": form,
            "errors": errors or {},
            "account_options": _account_options(session, ctx),
            "priority_options": PRIORITY_OPTIONS,
            "status_options": STATUS_OPTIONS,
            "action": f"{PATH}/{goal.id}/edit" if goal else f"{PATH}/new",
        },
        status_code=status_code,
    )


def _parse_goal(form: dict[str, str], locale: str | None) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"name": form["name"], "notes": form["notes"]}
    if not form["name"].strip():
        errors["name"] = "Give the goal a name."
    values["target"] = page_forms.number(
        form["target"], "target", errors, locale=locale, required=True, label="the amount to save"
    )
    values["target_date"] = page_forms.day(form["target_date"], "target_date", errors)
    try:
        values["account_id"] = uuid.UUID(form["account_id"]) if form["account_id"] else None
    except ValueError:
        errors["account_id"] = "Choose an account from the list."
    try:
        values["priority"] = int(form["priority"])
    except ValueError:
        errors["priority"] = "Choose a priority from the list."
    try:
        values["status"] = GoalStatus(form["status"] or GoalStatus.active.value)
    except ValueError:
        errors["status"] = "Choose a status from the list."
    return values, errors


@router.get(PATH + "/new", response_class=HTMLResponse)
def new_goal(request: Request, ctx: WritablePageTenant, session: SessionDep) -> HTMLResponse:
    return _form_page(request, session, ctx, form=_goal_form())


@router.post(PATH + "/new", response_class=HTMLResponse)
def create_goal(
    request: Request, ctx: WritablePageTenant, session: SessionDep, form: GoalForm
) -> Response:
    values, errors = _parse_goal(form, ctx.tenant.locale)
    if not errors:
        try:
            with session.begin_nested():
                goal = service.create_goal(
                    session, tenant_id=ctx.tenant_id, actor_id=ctx.user.id, **values
                )
        except CofferError as exc:
            errors = errors_by_field(exc)
    if errors:
        return _form_page(
            request,
            session,
            ctx,
            form=form,
            errors=page_forms.sentences(errors),
            status_code=422,
        )
    flash(request, "success", f"{goal.name} is set. Every bit put aside counts.")
    return redirect(f"{PATH}/{goal.id}")


def _form_from_goal(goal: SavingsGoal, locale: str | None) -> dict[str, str]:
    return {
        "name": goal.name,
        "target": page_forms.plain_number(from_minor(goal.target_minor, goal.currency), locale),
        "target_date": goal.target_date.isoformat() if goal.target_date else "",
        "account_id": str(goal.account_id) if goal.account_id else "",
        "priority": str(goal.priority),
        "status": goal.status,
        "notes": goal.notes or "",
    }


@router.get(PATH + "/{goal_id:uuid}/edit", response_class=HTMLResponse)
def edit_goal(
    request: Request, goal_id: uuid.UUID, ctx: WritablePageTenant, session: SessionDep
) -> HTMLResponse:
    goal = service.get_goal(session, tenant_id=ctx.tenant_id, goal_id=goal_id)
    form = _form_from_goal(goal, ctx.tenant.locale)
    return _form_page(request, session, ctx, form=form, goal=goal)


@router.post(PATH + "/{goal_id:uuid}/edit", response_class=HTMLResponse)
def save_goal(
    request: Request,
    goal_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    form: GoalForm,
) -> Response:
    goal = service.get_goal(session, tenant_id=ctx.tenant_id, goal_id=goal_id)
    values, errors = _parse_goal(form, ctx.tenant.locale)
    if not errors:
        try:
            with session.begin_nested():
                service.update_goal(
                    session,
                    tenant_id=ctx.tenant_id,
                    actor_id=ctx.user.id,
                    goal_id=goal_id,
                    values=values,  # type: ignore[arg-type]
                )
        except CofferError as exc:
            errors = errors_by_field(exc)
    if errors:
        session.refresh(goal)
        return _form_page(
            request,
            session,
            ctx,
            form=form,
            goal=goal,
            errors=page_forms.sentences(errors),
            status_code=422,
        )
    flash(request, "success", f"{goal.name} is saved.")
    return redirect(f"{PATH}/{goal.id}")


@router.post(PATH + "/{goal_id:uuid}/delete", response_class=HTMLResponse)
def delete_goal(
    request: Request, goal_id: uuid.UUID, ctx: WritablePageTenant, session: SessionDep
) -> Response:
    goal = service.get_goal(session, tenant_id=ctx.tenant_id, goal_id=goal_id)
    name = goal.name
    service.delete_goal(session, tenant_id=ctx.tenant_id, actor_id=ctx.user.id, goal_id=goal_id)
    flash(request, "success", f"{name} is deleted. Its linked transactions stay in the ledger.")
    return redirect(PATH)


# --- one goal --------------------------------------------------------------------------


def _detail_page(
    request: Request,
    session: Session,
    ctx: TenantContext,
    goal: SavingsGoal,
    *,
    add_form: dict[str, str] | None = None,
    link_form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    gv = view(service.progress(session, tenant_id=ctx.tenant_id, goal=goal, today=date.today()))
    rows = service.list_contributions(session, tenant_id=ctx.tenant_id, goal_id=goal.id)
    account = (
        ledger.get_account(session, tenant_id=ctx.tenant_id, account_id=goal.account_id)
        if goal.account_id
        else None
    )
    linkable = (
        service.linkable_transactions(session, tenant_id=ctx.tenant_id, goal_id=goal.id)
        if ctx.role.can_write and account is None
        else []
    )
    return render(
        request,
        "budgets/goals/detail.html",
        {
            "active_nav": "goals",
            "can_write": ctx.role.can_write,
            "g": gv,
            "account": account,
            "contributions": [(r, from_minor(r.amount_minor, goal.currency)) for r in rows],
            "linkable": [(t, from_minor(t.amount_minor, t.currency)) for t in linkable],
            "add_form": add_form or {"amount": "", "day": date.today().isoformat(), "note": ""},
            "link_form": link_form or {"transaction_id": "", "amount": ""},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get(PATH + "/{goal_id:uuid}", response_class=HTMLResponse)
def goal_page(
    request: Request, goal_id: uuid.UUID, ctx: PageTenant, session: SessionDep
) -> HTMLResponse:
    goal = service.get_goal(session, tenant_id=ctx.tenant_id, goal_id=goal_id)
    return _detail_page(request, session, ctx, goal)


def _add(
    session: Session, ctx: TenantContext, goal: SavingsGoal, values: dict[str, Any]
) -> dict[str, str]:
    try:
        with session.begin_nested():
            service.add_contribution(
                session, tenant_id=ctx.tenant_id, actor_id=ctx.user.id, goal_id=goal.id, **values
            )
    except CofferError as exc:
        return errors_by_field(exc)
    return {}


@router.post(PATH + "/{goal_id:uuid}/contributions", response_class=HTMLResponse)
def add_contribution(
    request: Request,
    goal_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    amount: FormText = "",
    day: FormText = "",
    note: FormText = "",
) -> Response:
    goal = service.get_goal(session, tenant_id=ctx.tenant_id, goal_id=goal_id)
    form = {"amount": amount, "day": day, "note": note}
    errors: dict[str, str] = {}
    value = page_forms.number(
        amount, "amount", errors, locale=ctx.tenant.locale, required=True, label="an amount"
    )
    when = page_forms.day(day, "day", errors, required=True)
    if not errors:
        errors = _add(session, ctx, goal, {"amount": value, "day": when, "note": note})
    if errors:
        return _detail_page(
            request,
            session,
            ctx,
            goal,
            add_form=form,
            errors=page_forms.sentences(errors),
            status_code=422,
        )
    flash(request, "success", f"Added to {goal.name}.")
    return redirect(f"{PATH}/{goal.id}")


@router.post(PATH + "/{goal_id:uuid}/link", response_class=HTMLResponse)
def link_transaction(
    request: Request,
    goal_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    transaction_id: FormText = "",
    link_amount: FormText = "",
) -> Response:
    goal = service.get_goal(session, tenant_id=ctx.tenant_id, goal_id=goal_id)
    form = {"transaction_id": transaction_id, "amount": link_amount}
    errors: dict[str, str] = {}
    txn_id: uuid.UUID | None = None
    try:
        txn_id = uuid.UUID(transaction_id)
    except ValueError:
        errors["transaction_id"] = "Choose a transaction from the list."
    value = page_forms.number(
        link_amount, "link_amount", errors, locale=ctx.tenant.locale, label="an amount"
    )
    if not errors:
        errors = _add(session, ctx, goal, {"transaction_id": txn_id, "amount": value})
        if "amount" in errors:
            errors["link_amount"] = errors.pop("amount")
    if errors:
        return _detail_page(
            request,
            session,
            ctx,
            goal,
            link_form=form,
            errors=page_forms.sentences(errors),
            status_code=422,
        )
    flash(request, "success", f"The transaction now counts towards {goal.name}.")
    return redirect(f"{PATH}/{goal.id}")


@router.post(
    PATH + "/{goal_id:uuid}/contributions/{contribution_id:uuid}/delete",
    response_class=HTMLResponse,
)
def delete_contribution(
    request: Request,
    goal_id: uuid.UUID,
    contribution_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
) -> Response:
    service.delete_contribution(
        session,
        tenant_id=ctx.tenant_id,
        actor_id=ctx.user.id,
        goal_id=goal_id,
        contribution_id=contribution_id,
    )
    flash(request, "success", "The contribution is removed.")
    return redirect(f"{PATH}/{goal_id}")
