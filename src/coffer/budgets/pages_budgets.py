"""Budget pages: the period's budgets as progress bars (household, personal, income
plan), period navigation, the new and edit forms, and the amounts set from history.

Forms post and redirect (303); bad input shows the form again with its errors (422)
and changes nothing (each write runs in a savepoint).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from babel.dates import format_date
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from coffer.budgets import budgets as service
from coffer.budgets.models import Budget, PeriodKind, Rollover
from coffer.core.money import from_minor
from coffer.errors import CofferError, NotFound, ValidationFailed
from coffer.ledger import service as ledger
from coffer.ledger.page_forms import day as parse_day
from coffer.ledger.page_forms import number, plain_number, sentences
from coffer.tenancy import service as tenancy
from coffer.tenancy.deps import PageTenant, TenantContext, WritablePageTenant
from coffer.web.csrf import verify_csrf
from coffer.web.deps import SessionDep
from coffer.web.forms import FormText, errors_by_field, redirect
from coffer.web.templating import flash, render

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)

PATH = "/budgets"
T = TypeVar("T")

PERIOD_OPTIONS = [
    (PeriodKind.month.value, "Calendar month"),
    (PeriodKind.month_from_day.value, "Month starting on a chosen day (payday)"),
    (PeriodKind.weekly.value, "Every week"),
    (PeriodKind.biweekly.value, "Every two weeks"),
]
ROLLOVER_OPTIONS = [
    (Rollover.none.value, "None: every period starts afresh"),
    (Rollover.surplus.value, "Carry what is left over into the next period"),
    (
        Rollover.surplus_and_overspending.value,
        "Carry what is left over, and take overspending off the next period",
    ),
]
METHOD_TEXT = {
    "last_period": "last period's spending",
    "average_3": "the average of the last three periods",
}
LABELS = {
    "category_id": "Category",
    "amount": "Amount",
    "period_kind": "Period",
    "start_day": "Start day",
    "anchor": "First day of a period",
    "rollover": "Rollover",
    "starts_on": "Counting from",
    "user_id": "Whose budget",
    "account_ids": "Accounts",
    "notes": "Notes",
    "method": "Method",
}


def _attempt(session: Session, write: Callable[[], T]) -> T:
    with session.begin_nested():
        return write()


def _labelled(exc: CofferError) -> dict[str, str]:
    found = sentences(errors_by_field(exc))
    return {k: (f"{LABELS[k]}: {v}" if k in LABELS else v) for k, v in found.items()}


# --- the budgets page -------------------------------------------------------------------


@dataclass
class Row:
    """One budget as the page shows it: amounts as Decimals, bar widths in percent."""

    status: service.BudgetStatus
    code: str
    href: str  # the transactions behind the actual
    child_hrefs: dict[uuid.UUID, str]

    def _d(self, value: int) -> Decimal:
        return from_minor(value, self.code)

    @property
    def id(self) -> uuid.UUID:
        return self.status.budget.id

    @property
    def name(self) -> str:
        return self.status.category_name

    @property
    def budgeted(self) -> Decimal:
        return self._d(self.status.budgeted)

    @property
    def carried_in(self) -> Decimal:
        return self._d(self.status.carried_in)

    @property
    def available(self) -> Decimal:
        return self._d(self.status.available)

    @property
    def actual(self) -> Decimal:
        return self._d(self.status.actual)

    @property
    def left(self) -> Decimal:
        return self._d(self.status.left)

    @property
    def over_by(self) -> Decimal:
        return self._d(-self.status.left)

    @property
    def per_day(self) -> Decimal:
        return self._d(self.status.left_per_day)

    @property
    def projected(self) -> Decimal:
        return self._d(self.status.projected)

    @property
    def projected_over(self) -> Decimal:
        return self._d(self.status.projected - self.status.available)

    @property
    def show_projection(self) -> bool:
        """A pace needs some days behind it: a quarter of the period (three days at
        least), so one early bill does not project a fortune."""
        s, today = self.status, date.today()
        if s.actual <= 0 or not s.period.start <= today <= s.period.end:
            return False
        elapsed = (today - s.period.start).days + 1
        return elapsed >= max(3, -(-s.period.days // 4))

    @property
    def bar(self) -> str:
        """The filled share of the bar, 0 to 100, as an SVG width."""
        s = self.status
        if s.available <= 0:
            return "100.00" if s.actual > 0 else "0.00"
        share = max(0, min(s.actual, s.available)) * 100 / s.available
        return f"{share:.2f}"

    @property
    def children(self) -> list[tuple[str, Decimal, str]]:
        return [
            (c.name, self._d(c.actual_minor), self.child_hrefs[c.category_id])
            for c in self.status.children
        ]


def _rows(statuses: list[service.BudgetStatus], code: str) -> list[Row]:
    rows = []
    for s in statuses:
        base = s.transactions_query()
        own = f"category_ids={s.budget.category_id}"
        hrefs = {
            c.category_id: "/transactions?" + base.replace(own, f"category_ids={c.category_id}")
            for c in s.children
        }
        rows.append(Row(s, code, "/transactions?" + base, hrefs))
    return rows


def _navigation(report: service.StatusReport) -> tuple[date, date]:
    """The day before the nearest period start and the day after the nearest period
    end among the budgets shown: previous and next steps of the smallest period."""
    starts = [s.period.start for s in report.budgets]
    ends = [s.period.end for s in report.budgets]
    return max(starts) - timedelta(days=1), min(ends) + timedelta(days=1)


@router.get(PATH, response_class=HTMLResponse)
def budgets_page(
    request: Request,
    ctx: PageTenant,
    session: SessionDep,
    on: Annotated[str, Query()] = "",
) -> HTMLResponse:
    today = date.today()
    errors: dict[str, str] = {}
    chosen = parse_day(on, "on", errors) if on else None
    day = chosen or today
    try:
        report = service.status(session, tenant_id=ctx.tenant_id, on=day, today=today)
    except ValidationFailed:
        errors["on"] = "That day is too close to the ends of the calendar."
        day = today
        report = service.status(session, tenant_id=ctx.tenant_id, on=day, today=today)
    code = report.currency
    household = _rows(report.household, code)
    personal: dict[str, list[Row]] = {}
    for row in _rows(report.personal, code):
        personal.setdefault(row.status.user_name or "A member", []).append(row)
    income = _rows(report.income, code)
    totals = {k: from_minor(v, code) for k, v in report.totals().items()}
    previous_on, next_on = _navigation(report) if report.budgets else (None, None)
    periods = sorted({(s.period.start, s.period.end) for s in report.budgets})
    return render(
        request,
        "budgets/budgets/index.html",
        {
            "active_nav": "budgets",
            "can_write": ctx.role.can_write,
            "code": code,
            "on": day,
            "today": today,
            "is_today": day == today,
            "errors": errors,
            "household": household,
            "personal": personal,
            "income": income,
            "income_planned": sum((r.available for r in income), Decimal(0)),
            "income_actual": sum((r.actual for r in income), Decimal(0)),
            "totals": totals,
            "periods": periods,
            "previous_on": previous_on,
            "next_on": next_on,
            "missing_rates": report.missing_rates,
            "archived_count": len(
                [
                    b
                    for b in service.list_budgets(
                        session, tenant_id=ctx.tenant_id, include_archived=True
                    )
                    if b.archived
                ]
            ),
        },
    )


# --- forms -------------------------------------------------------------------------------


def _category_options(session: Session, tenant_id: uuid.UUID) -> list[tuple[str, str]]:
    categories = ledger.list_categories(session, tenant_id=tenant_id)
    by_id = {c.id: c for c in categories}
    options: list[tuple[str, str]] = [("", "Choose a category")]
    for kind, title in (("expense", "Spending"), ("income", "Income plan")):
        for c in categories:
            if c.kind != kind:
                continue
            parent = by_id.get(c.parent_id) if c.parent_id else None
            if parent is not None:
                label = f"{title}: {parent.name} › {c.name}"
            elif any(x.parent_id == c.id for x in categories):
                label = f"{title}: {c.name} (with its subcategories)"
            else:
                label = f"{title}: {c.name}"
            options.append((str(c.id), label))
    return options


def _form_context(
    session: Session, ctx: TenantContext, form: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    members = tenancy.list_members(session, tenant_id=ctx.tenant_id)
    accounts = ledger.list_accounts(session, tenant_id=ctx.tenant_id)
    return {
        "active_nav": "budgets",
        "form": form,
        "errors": errors,
        "category_options": _category_options(session, ctx.tenant_id),
        "period_options": PERIOD_OPTIONS,
        "rollover_options": ROLLOVER_OPTIONS,
        "owner_options": [("", "The household (shared)")]
        + [(str(m.user_id), f"{m.name}'s own budget") for m in members],
        "accounts": [(str(a.id), a.name, a.closed_on is not None) for a in accounts],
        "base_code": service.base_currency(session, ctx.tenant_id),
    }


def _blank_form() -> dict[str, Any]:
    return {
        "category_id": "",
        "amount": "",
        "period_kind": PeriodKind.month.value,
        "start_day": "",
        "anchor": "",
        "rollover": Rollover.none.value,
        "starts_on": "",
        "user_id": "",
        "account_ids": [],
        "notes": "",
    }


def _budget_form(session: Session, budget: Budget, locale: str | None) -> dict[str, Any]:
    amount = service.current_amount(session, budget, date.today())
    return {
        "category_id": str(budget.category_id),
        "amount": plain_number(from_minor(amount, budget.currency), locale),
        "period_kind": budget.period_kind,
        "start_day": str(budget.start_day or ""),
        "anchor": budget.anchor.isoformat() if budget.anchor else "",
        "rollover": budget.rollover,
        "starts_on": budget.starts_on.isoformat(),
        "user_id": str(budget.user_id or ""),
        "account_ids": list(budget.account_ids or []),
        "notes": budget.notes or "",
    }


def _parse(form: dict[str, Any], locale: str | None) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's fields as the service takes them, and the problems found reading it."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    try:
        values["category_id"] = uuid.UUID(form["category_id"].strip())
    except ValueError:
        errors["category_id"] = "Choose a category from the list."
    amount = number(form["amount"], "amount", errors, locale=locale, required=True)
    if amount is not None:
        values["amount"] = amount
    values["period_kind"] = form["period_kind"]
    values["rollover"] = form["rollover"]
    start_day = form["start_day"].strip()
    values["start_day"] = None
    if form["period_kind"] == PeriodKind.month_from_day.value:
        if not start_day.isdigit():
            errors["start_day"] = "Enter the day of the month each period starts on, 1 to 31."
        else:
            values["start_day"] = int(start_day)
    values["anchor"] = None
    if form["period_kind"] in (PeriodKind.weekly.value, PeriodKind.biweekly.value):
        values["anchor"] = parse_day(form["anchor"], "anchor", errors)
    values["starts_on"] = parse_day(form["starts_on"], "starts_on", errors)
    owner = form["user_id"].strip()
    try:
        values["user_id"] = uuid.UUID(owner) if owner else None
    except ValueError:
        errors["user_id"] = "Choose the household or a member."
    ids = []
    for raw in form["account_ids"]:
        try:
            ids.append(uuid.UUID(raw))
        except ValueError:
            errors["account_ids"] = "Choose accounts from the list."
    values["account_ids"] = ids
    values["notes"] = form["notes"]
    return values, {k: f"{LABELS[k]}: {v}" for k, v in errors.items()}


def _form(
    category_id: str,
    amount: str,
    period_kind: str,
    start_day: str,
    anchor: str,
    rollover: str,
    starts_on: str,
    user_id: str,
    account_ids: list[str],
    notes: str,
) -> dict[str, Any]:
    return {
        "category_id": category_id,
        "amount": amount,
        "period_kind": period_kind,
        "start_day": start_day,
        "anchor": anchor,
        "rollover": rollover,
        "starts_on": starts_on,
        "user_id": user_id,
        "account_ids": account_ids,
        "notes": notes,
    }


def _locale(ctx: TenantContext) -> str | None:
    return ctx.tenant.locale


@router.get(PATH + "/new", response_class=HTMLResponse)
def new_budget_page(
    request: Request,
    ctx: WritablePageTenant,
    session: SessionDep,
    category_id: Annotated[str, Query()] = "",
) -> HTMLResponse:
    form = _blank_form()
    form["category_id"] = category_id
    return render(
        request,
        "budgets/budgets/form.html",
        {**_form_context(session, ctx, form, {}), "budget": None},
    )


AccountIds = Annotated[list[str], Form()]


@router.post(PATH, response_class=HTMLResponse)
def create_budget(
    request: Request,
    ctx: WritablePageTenant,
    session: SessionDep,
    category_id: FormText = "",
    amount: FormText = "",
    period_kind: FormText = "month",
    start_day: FormText = "",
    anchor: FormText = "",
    rollover: FormText = "none",
    starts_on: FormText = "",
    user_id: FormText = "",
    account_ids: AccountIds = [],  # noqa: B006 - FastAPI copies form defaults
    notes: FormText = "",
) -> Response:
    form = _form(
        category_id,
        amount,
        period_kind,
        start_day,
        anchor,
        rollover,
        starts_on,
        user_id,
        account_ids,
        notes,
    )
    values, errors = _parse(form, _locale(ctx))

    def again(found: dict[str, str]) -> HTMLResponse:
        return render(
            request,
            "budgets/budgets/form.html",
            {**_form_context(session, ctx, form, found), "budget": None},
            status_code=422,
        )

    if errors:
        return again(errors)
    try:
        budget = _attempt(
            session,
            lambda: service.create_budget(
                session, tenant_id=ctx.tenant_id, actor_id=ctx.user.id, **values
            ),
        )
    except (ValidationFailed, NotFound) as exc:
        return again(_labelled(exc))
    name = ledger.get_category(session, tenant_id=ctx.tenant_id, category_id=budget.category_id)
    flash(request, "success", f"The budget for {name.name} is set.")
    return redirect(f"{PATH}#budget-{budget.id}")


def _set_from_history(
    request: Request,
    session: Session,
    ctx: TenantContext,
    budget_ids: list[uuid.UUID],
    method: str,
) -> Response:
    if method not in METHOD_TEXT:
        flash(request, "error", "Choose last period or the average of the last three.")
        return redirect(PATH)
    if not budget_ids:
        flash(request, "info", "There is no budget to set.")
        return redirect(PATH)
    service.set_from_history(
        session,
        tenant_id=ctx.tenant_id,
        actor_id=ctx.user.id,
        budget_ids=budget_ids,
        method=method,
    )
    what = "The budget is" if len(budget_ids) == 1 else f"{len(budget_ids)} budgets are"
    flash(request, "success", f"{what} set to {METHOD_TEXT[method]}, from this period on.")
    anchor = f"#budget-{budget_ids[0]}" if len(budget_ids) == 1 else ""
    return redirect(PATH + anchor)


@router.post(PATH + "/set-from-history", response_class=HTMLResponse)
def set_all_from_history(
    request: Request, ctx: WritablePageTenant, session: SessionDep, method: FormText = ""
) -> Response:
    ids = [b.id for b in service.list_budgets(session, tenant_id=ctx.tenant_id)]
    return _set_from_history(request, session, ctx, ids, method)


PERIOD_TEXT = {
    PeriodKind.month.value: "each calendar month",
    PeriodKind.month_from_day.value: "each month from day {day}",
    PeriodKind.weekly.value: "each week from {weekday}",
    PeriodKind.biweekly.value: "every two weeks from {weekday}",
}
ROLLOVER_TEXT = dict(ROLLOVER_OPTIONS)
DETAIL_PERIODS = 12


def describe(budget: Budget) -> str:
    """ "each month from day 25", "every two weeks from Friday"."""
    text = PERIOD_TEXT[budget.period_kind]
    weekday = budget.anchor.strftime("%A") if budget.anchor else ""
    return text.format(day=budget.start_day, weekday=weekday)


@router.get(PATH + "/{budget_id}", response_class=HTMLResponse)
def budget_page(
    request: Request, budget_id: uuid.UUID, ctx: PageTenant, session: SessionDep
) -> HTMLResponse:
    """One budget: this period, and budget against actual for the periods before."""
    today = date.today()
    detail = service.budget_status(
        session, tenant_id=ctx.tenant_id, budget_id=budget_id, on=today, history=DETAIL_PERIODS
    )
    code = service.base_currency(session, ctx.tenant_id)
    periods = [*detail.history, None]  # None: the current period, from the status itself
    rows: list[dict[str, Any]] = []
    labels: list[str] = []
    for p in periods:
        period = p.period if p else detail.period
        # The year only where it is not this one, so "Dec 1" is never ambiguous.
        pattern = "MMM d" if period.start.year == today.year else "MMM d, y"
        labels.append(format_date(period.start, pattern, locale=ctx.tenant.locale))
        figures = (
            (p.budgeted, p.carried_in, p.available, p.actual, p.left)
            if p
            else (detail.budgeted, detail.carried_in, detail.available, detail.actual, detail.left)
        )
        budgeted, carried_in, available, actual, left = (from_minor(v, code) for v in figures)
        rows.append(
            {
                "start": period.start,
                "end": period.end,
                "current": p is None,
                "budgeted": budgeted,
                "carried_in": carried_in,
                "available": available,
                "actual": actual,
                "left": left,
                "href": "/transactions?" + detail.transactions_query(period),
            }
        )
    chart = {
        "type": "bar",
        "labels": labels,
        "horizontal": False,
        "series": [
            {
                "label": "Planned" if detail.is_income else "Available",
                "colour": "--chart-6",
                "values": [str(r["available"]) for r in rows],
            },
            {
                "label": "Received" if detail.is_income else "Spent",
                "colour": "--chart-1" if detail.is_income else "--chart-3",
                "values": [str(r["actual"]) for r in rows],
            },
        ],
    }
    return render(
        request,
        "budgets/budgets/detail.html",
        {
            "active_nav": "budgets",
            "can_write": ctx.role.can_write,
            "code": code,
            "row": _rows([detail], code)[0],
            "budget": detail.budget,
            "period_text": describe(detail.budget),
            "rollover_text": ROLLOVER_TEXT[detail.budget.rollover],
            "rows": list(reversed(rows)),
            "chart": chart,
        },
    )


def _edit_page(
    request: Request,
    session: Session,
    ctx: TenantContext,
    budget_id: uuid.UUID,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    budget = service.get_budget(session, tenant_id=ctx.tenant_id, budget_id=budget_id)
    detail = service.budget_status(
        session, tenant_id=ctx.tenant_id, budget_id=budget_id, on=date.today(), history=0
    )
    code = detail.budget.currency
    return render(
        request,
        "budgets/budgets/form.html",
        {
            **_form_context(
                session, ctx, form or _budget_form(session, budget, _locale(ctx)), errors or {}
            ),
            "budget": budget,
            "detail": _rows([detail], code)[0],
            "can_write": ctx.role.can_write,
        },
        status_code=status_code,
    )


@router.get(PATH + "/{budget_id}/edit", response_class=HTMLResponse)
def edit_budget_page(
    request: Request, budget_id: uuid.UUID, ctx: WritablePageTenant, session: SessionDep
) -> HTMLResponse:
    return _edit_page(request, session, ctx, budget_id)


@router.post(PATH + "/{budget_id}", response_class=HTMLResponse)
def update_budget(
    request: Request,
    budget_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    category_id: FormText = "",
    amount: FormText = "",
    period_kind: FormText = "month",
    start_day: FormText = "",
    anchor: FormText = "",
    rollover: FormText = "none",
    starts_on: FormText = "",
    user_id: FormText = "",
    account_ids: AccountIds = [],  # noqa: B006 - FastAPI copies form defaults
    notes: FormText = "",
) -> Response:
    service.get_budget(session, tenant_id=ctx.tenant_id, budget_id=budget_id)
    form = _form(
        category_id,
        amount,
        period_kind,
        start_day,
        anchor,
        rollover,
        starts_on,
        user_id,
        account_ids,
        notes,
    )
    values, errors = _parse(form, _locale(ctx))
    if errors:
        return _edit_page(request, session, ctx, budget_id, form, errors, 422)
    try:
        _attempt(
            session,
            lambda: service.update_budget(
                session,
                tenant_id=ctx.tenant_id,
                actor_id=ctx.user.id,
                budget_id=budget_id,
                values=values,
            ),
        )
    except (ValidationFailed, NotFound) as exc:
        return _edit_page(request, session, ctx, budget_id, form, _labelled(exc), 422)
    flash(request, "success", "The budget is saved. A new amount counts from this period on.")
    return redirect(f"{PATH}#budget-{budget_id}")


@router.post(PATH + "/{budget_id}/archive", response_class=HTMLResponse)
def archive_budget(
    request: Request,
    budget_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    archived: FormText = "yes",
) -> Response:
    keep = archived.strip().lower() in ("yes", "on", "true", "1")
    service.update_budget(
        session,
        tenant_id=ctx.tenant_id,
        actor_id=ctx.user.id,
        budget_id=budget_id,
        values={"archived": keep},
    )
    flash(
        request,
        "success",
        "The budget is archived: it is no longer shown or counted."
        if keep
        else "The budget is back.",
    )
    return redirect(PATH)


@router.post(PATH + "/{budget_id}/delete", response_class=HTMLResponse)
def delete_budget(
    request: Request, budget_id: uuid.UUID, ctx: WritablePageTenant, session: SessionDep
) -> Response:
    service.delete_budget(
        session, tenant_id=ctx.tenant_id, actor_id=ctx.user.id, budget_id=budget_id
    )
    flash(request, "success", "The budget is deleted. Its transactions are untouched.")
    return redirect(PATH)


@router.post(PATH + "/{budget_id}/set-from-history", response_class=HTMLResponse)
def set_one_from_history(
    request: Request,
    budget_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    method: FormText = "",
) -> Response:
    service.get_budget(session, tenant_id=ctx.tenant_id, budget_id=budget_id)
    return _set_from_history(request, session, ctx, [budget_id], method)
