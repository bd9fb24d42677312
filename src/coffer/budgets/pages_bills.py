"""Pages of bills, subscriptions and recurring income.

/bills               what needs an eye (late, missed, to check) and the next 30 days
/bills/calendar      a month grid (a list on a phone), each day with its bills
/bills/new           add a bill; the repeat presets fill the RRULE
/bills/{id}          details, the due dates and what paid them, link a transaction
/bills/{id}/edit     change it; pause, resume, cancel or delete it
/bills/review        doubtful automatic matches: confirm or reject
/bills/detected      series found in the history: accept (with edits) or dismiss
/bills/subscriptions the subscriptions' monthly and yearly cost, and price rises

Forms post and redirect (303) to the page that shows the result; bad input shows the
form again with its errors (422) and changes nothing (every write runs in a savepoint).
"""

from __future__ import annotations

import calendar as calendar_lib
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from coffer.budgets import bills as service
from coffer.budgets import detection
from coffer.budgets.api_bills import month_end, parse_month
from coffer.budgets.models import Bill, BillKind, BillStatus, CandidateStatus
from coffer.core.money import from_minor
from coffer.errors import CofferError, NotFound, ValidationFailed
from coffer.ledger import page_forms
from coffer.ledger import service as ledger
from coffer.ledger.models import Category
from coffer.tenancy.deps import PageTenant, TenantContext, WritablePageTenant
from coffer.web.csrf import verify_csrf
from coffer.web.deps import SessionDep
from coffer.web.forms import FormText, errors_by_field, redirect
from coffer.web.templating import flash, render

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)

BILLS = "/bills"
UPCOMING_DAYS = 30
KIND_OPTIONS = [
    (BillKind.bill.value, "Bill"),
    (BillKind.subscription.value, "Subscription"),
    (BillKind.income.value, "Recurring income"),
]
REPEAT_OPTIONS = [(p.key, p.label) for p in service.PRESETS]
LABELS = {
    "name": "Name",
    "payee": "Payee",
    "kind": "Kind",
    "amount_min": "Amount",
    "amount_max": "Up to",
    "currency": "Currency",
    "account_id": "Account",
    "category_id": "Category",
    "rrule": "Rule",
    "preset": "Repeats",
    "first_due": "First due date",
    "ends_on": "Ends on",
    "reminder_days": "Remind me",
    "match_window_days": "Match window",
    "notes": "Notes",
    "transaction_id": "Transaction",
    "due_on": "Due date",
    "candidate_id": "Series",
}
FORM_FIELDS = (
    "name",
    "payee",
    "kind",
    "amount_min",
    "amount_max",
    "account_id",
    "category_id",
    "preset",
    "rrule",
    "first_due",
    "ends_on",
    "autopay",
    "reminder_days",
    "match_window_days",
    "notes",
)


def _today() -> date:
    return date.today()


def _labelled(errors: dict[str, str]) -> dict[str, str]:
    return {
        key: f"{LABELS[key]}: {message}"
        if key in LABELS and not message.startswith(LABELS[key])
        else message
        for key, message in page_forms.sentences(errors).items()
    }


def _nav(session: Session, ctx: TenantContext, active: str) -> dict[str, Any]:
    return {
        "active_nav": "bills",
        "bills_tab": active,
        "review_count": service.review_count(session, tenant_id=ctx.tenant_id),
        "proposed_count": len(detection.list_candidates(session, tenant_id=ctx.tenant_id)),
        "can_write": ctx.role.can_write,
        "from_minor": from_minor,
    }


# --- the upcoming list --------------------------------------------------------------------


@router.get(BILLS, response_class=HTMLResponse)
def bills_page(request: Request, ctx: PageTenant, session: SessionDep) -> HTMLResponse:
    today = _today()
    found = service.upcoming(session, tenant_id=ctx.tenant_id, today=today, days=UPCOMING_DAYS)
    attention = [o for o in found if o.needs_attention]
    coming = [o for o in found if not o.needs_attention]
    out = sum(
        (
            o.expected
            for o in coming
            if o.bill.kind != BillKind.income.value and o.status != service.PAID
        ),
        Decimal(0),
    )
    all_bills = service.list_bills(session, tenant_id=ctx.tenant_id)
    return render(
        request,
        "budgets/bills/list.html",
        {
            **_nav(session, ctx, "upcoming"),
            "today": today,
            "days": UPCOMING_DAYS,
            "attention": attention,
            "coming": coming,
            "coming_out": out,
            "currencies": sorted({o.bill.currency for o in coming}),
            "bills": all_bills,
            "describe": service.describe,
        },
    )


# --- the calendar ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CalendarCell:
    day: date | None  # None: a blank before the 1st or after the last day
    items: list[service.Occurrence]


@router.get(BILLS + "/calendar", response_class=HTMLResponse)
def calendar_page(
    request: Request,
    ctx: PageTenant,
    session: SessionDep,
    month: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    today = _today()
    try:
        first = parse_month(month, today)
    except ValidationFailed:
        first = today.replace(day=1)
        flash(request, "error", "That month is not one Coffer can show; here is this month.")
    last = month_end(first)
    found = service.occurrences(
        session, tenant_id=ctx.tenant_id, start=first, end=last, today=today
    )
    by_day: dict[date, list[service.Occurrence]] = {}
    for occ in found:
        by_day.setdefault(occ.due_on, []).append(occ)
    weeks: list[list[CalendarCell]] = []
    for week in calendar_lib.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month):
        weeks.append(
            [CalendarCell(d if d.month == first.month else None, by_day.get(d, [])) for d in week]
        )
    previous = (first - timedelta(days=1)).replace(day=1)
    following = last + timedelta(days=1)
    return render(
        request,
        "budgets/bills/calendar.html",
        {
            **_nav(session, ctx, "calendar"),
            "today": today,
            "first": first,
            "weeks": weeks,
            "days": sorted(by_day.items()),
            "previous": previous.strftime("%Y-%m"),
            "following": following.strftime("%Y-%m"),
            "this_month": today.strftime("%Y-%m"),
            "weekday_names": [
                "Monday",
                "Tuesday",
                "Wednesday",
                "Thursday",
                "Friday",
                "Saturday",
                "Sunday",
            ],
        },
    )


# --- adding and editing ----------------------------------------------------------------------


def _bill_form(
    name: FormText = "",
    payee: FormText = "",
    kind: FormText = "bill",
    amount_min: FormText = "",
    amount_max: FormText = "",
    account_id: FormText = "",
    category_id: FormText = "",
    preset: FormText = "monthly",
    rrule: FormText = "",
    first_due: FormText = "",
    ends_on: FormText = "",
    autopay: FormText = "",
    reminder_days: FormText = "3",
    match_window_days: FormText = "5",
    notes: FormText = "",
) -> dict[str, str]:
    return {
        "name": name,
        "payee": payee,
        "kind": kind,
        "amount_min": amount_min,
        "amount_max": amount_max,
        "account_id": account_id,
        "category_id": category_id,
        "preset": preset,
        "rrule": rrule,
        "first_due": first_due,
        "ends_on": ends_on,
        "autopay": autopay,
        "reminder_days": reminder_days,
        "match_window_days": match_window_days,
        "notes": notes,
    }


BillForm = Annotated[dict[str, str], Depends(_bill_form)]


def _choices(session: Session, ctx: TenantContext) -> dict[str, Any]:
    accounts = [
        a for a in ledger.list_accounts(session, tenant_id=ctx.tenant_id) if a.closed_on is None
    ]
    categories = ledger.list_categories(session, tenant_id=ctx.tenant_id)
    by_id = {c.id: c for c in categories}
    return {
        "account_options": [("", "Any account")]
        + [(str(a.id), f"{a.name} ({a.currency})") for a in accounts],
        "category_options": [("", "No category")]
        + [(str(c.id), _category_label(c, by_id)) for c in categories],
        "kind_options": KIND_OPTIONS,
        "repeat_options": REPEAT_OPTIONS,
    }


def _category_label(category: Category, by_id: dict[uuid.UUID, Category]) -> str:
    parent = by_id.get(category.parent_id) if category.parent_id else None
    return f"{parent.name} › {category.name}" if parent else category.name


def _form_page(
    request: Request,
    session: Session,
    ctx: TenantContext,
    *,
    form: dict[str, str],
    bill: Bill | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "budgets/bills/form.html",
        {
            **_nav(session, ctx, "new" if bill is None else "bill"),
            **_choices(session, ctx),
            "bill": bill,
            "form": form,
            "errors": errors or {},
            "action": f"{BILLS}/{bill.id}/edit" if bill else f"{BILLS}/new",
        },
        status_code=status_code,
    )


def _optional_uuid(raw: str, field: str, errors: dict[str, str]) -> uuid.UUID | None:
    if not raw.strip():
        return None
    try:
        return uuid.UUID(raw.strip())
    except ValueError:
        errors[field] = "choose one of the options in the list"
        return None


def _whole(raw: str, field: str, errors: dict[str, str]) -> int | None:
    try:
        return int(raw.strip())
    except ValueError:
        errors[field] = "enter a whole number of days"
        return None


def _parse(form: dict[str, str], locale: str | None) -> tuple[service.BillPatch, dict[str, str]]:
    """The service's values from the form, and the problems found reading it."""
    errors: dict[str, str] = {}
    values: service.BillPatch = {
        "name": form["name"],
        "payee": form["payee"] or form["name"],
        "kind": form["kind"],
        "autopay": bool(form["autopay"]),
        "notes": form["notes"],
    }
    low = page_forms.number(form["amount_min"], "amount_min", errors, locale=locale, required=True)
    high = page_forms.number(form["amount_max"], "amount_max", errors, locale=locale)
    if low is not None:
        values["amount_min"] = low
        values["amount_max"] = high if high is not None else low
    values["account_id"] = _optional_uuid(form["account_id"], "account_id", errors)
    values["category_id"] = _optional_uuid(form["category_id"], "category_id", errors)
    first = page_forms.day(form["first_due"], "first_due", errors, required=True)
    values["ends_on"] = page_forms.day(form["ends_on"], "ends_on", errors)
    if first is not None:
        values["first_due"] = first
        if form["preset"] == "custom":
            values["rrule"] = form["rrule"]
        else:
            try:
                values["rrule"] = service.preset_rule(form["preset"], first)
            except ValidationFailed as exc:
                errors.update(errors_by_field(exc))
    for field in ("reminder_days", "match_window_days"):
        number = _whole(form[field], field, errors)
        if number is not None:
            values[field] = number
    return values, errors


def _write(session: Session, write: Any) -> Any:
    with session.begin_nested():
        return write()


@router.get(BILLS + "/new", response_class=HTMLResponse)
def new_bill(request: Request, ctx: WritablePageTenant, session: SessionDep) -> HTMLResponse:
    form = _bill_form()
    form["first_due"] = _today().isoformat()
    return _form_page(request, session, ctx, form=form)


@router.post(BILLS + "/new", response_class=HTMLResponse)
def create_bill(
    request: Request, ctx: WritablePageTenant, session: SessionDep, form: BillForm
) -> Response:
    values, errors = _parse(form, ctx.tenant.locale)
    if not errors:
        try:
            bill = _write(
                session,
                lambda: service.create_bill(
                    session,
                    tenant_id=ctx.tenant_id,
                    actor_id=ctx.user.id,
                    today=_today(),
                    **values,
                ),
            )
        except (ValidationFailed, NotFound) as exc:
            errors = errors_by_field(exc)
    if errors:
        return _form_page(
            request, session, ctx, form=form, errors=_labelled(errors), status_code=422
        )
    flash(request, "success", f"{bill.name} is added: {service.describe(bill).lower()}.")
    return redirect(f"{BILLS}/{bill.id}")


def _form_of(bill: Bill, locale: str | None) -> dict[str, str]:
    low = from_minor(bill.amount_min_minor, bill.currency)
    high = from_minor(bill.amount_max_minor, bill.currency)
    return {
        "name": bill.name,
        "payee": bill.payee,
        "kind": bill.kind,
        "amount_min": page_forms.plain_number(low, locale),
        "amount_max": page_forms.plain_number(high, locale) if high != low else "",
        "account_id": str(bill.account_id or ""),
        "category_id": str(bill.category_id or ""),
        "preset": "custom",
        "rrule": bill.rrule,
        "first_due": bill.first_due.isoformat(),
        "ends_on": bill.ends_on.isoformat() if bill.ends_on else "",
        "autopay": "on" if bill.autopay else "",
        "reminder_days": str(bill.reminder_days),
        "match_window_days": str(bill.match_window_days),
        "notes": bill.notes or "",
    }


@router.get(BILLS + "/{bill_id:uuid}/edit", response_class=HTMLResponse)
def edit_bill(
    request: Request, bill_id: uuid.UUID, ctx: WritablePageTenant, session: SessionDep
) -> HTMLResponse:
    bill = service.get_bill(session, tenant_id=ctx.tenant_id, bill_id=bill_id)
    return _form_page(request, session, ctx, form=_form_of(bill, ctx.tenant.locale), bill=bill)


@router.post(BILLS + "/{bill_id:uuid}/edit", response_class=HTMLResponse)
def save_bill(
    request: Request,
    bill_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    form: BillForm,
) -> Response:
    bill = service.get_bill(session, tenant_id=ctx.tenant_id, bill_id=bill_id)
    values, errors = _parse(form, ctx.tenant.locale)
    if not errors:
        try:
            _write(
                session,
                lambda: service.update_bill(
                    session,
                    tenant_id=ctx.tenant_id,
                    actor_id=ctx.user.id,
                    bill_id=bill.id,
                    values=values,
                ),
            )
        except (ValidationFailed, NotFound) as exc:
            errors = errors_by_field(exc)
    if errors:
        session.refresh(bill)
        return _form_page(
            request, session, ctx, form=form, bill=bill, errors=_labelled(errors), status_code=422
        )
    flash(request, "success", f"{bill.name} is saved.")
    return redirect(f"{BILLS}/{bill.id}")


@router.post(BILLS + "/{bill_id:uuid}/status", response_class=HTMLResponse)
def change_status(
    request: Request,
    bill_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    status: FormText = "",
) -> Response:
    try:
        bill = _write(
            session,
            lambda: service.set_status(
                session,
                tenant_id=ctx.tenant_id,
                actor_id=ctx.user.id,
                bill_id=bill_id,
                status=status,
            ),
        )
    except ValidationFailed as exc:
        flash(request, "error", exc.detail)
        return redirect(f"{BILLS}/{bill_id}")
    words = {"active": "is active again", "paused": "is paused", "cancelled": "is cancelled"}
    flash(request, "success", f"{bill.name} {words[bill.status]}.")
    return redirect(f"{BILLS}/{bill.id}")


@router.post(BILLS + "/{bill_id:uuid}/delete", response_class=HTMLResponse)
def delete_bill(
    request: Request, bill_id: uuid.UUID, ctx: WritablePageTenant, session: SessionDep
) -> Response:
    bill = service.get_bill(session, tenant_id=ctx.tenant_id, bill_id=bill_id)
    name = bill.name
    _write(
        session,
        lambda: service.delete_bill(
            session, tenant_id=ctx.tenant_id, actor_id=ctx.user.id, bill_id=bill_id
        ),
    )
    flash(request, "success", f"{name} is deleted. Its transactions stay in the ledger.")
    return redirect(BILLS)


# --- one bill -----------------------------------------------------------------------------


def _bill_page(
    request: Request,
    session: Session,
    ctx: TenantContext,
    bill: Bill,
    *,
    due: date | None = None,
    link_error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    today = _today()
    history = service.bill_history(session, tenant_id=ctx.tenant_id, bill=bill, today=today)
    open_dates = [o for o in history if o.status in (service.LATE, service.MISSED, service.DUE)]
    chosen = due or (open_dates[0].due_on if open_dates else None)
    suggestions = (
        service.suggestions(session, tenant_id=ctx.tenant_id, bill=bill, due_on=chosen)
        if chosen is not None and ctx.role.can_write
        else []
    )
    account = (
        ledger.get_account(session, tenant_id=ctx.tenant_id, account_id=bill.account_id)
        if bill.account_id
        else None
    )
    category = (
        ledger.get_category(session, tenant_id=ctx.tenant_id, category_id=bill.category_id)
        if bill.category_id
        else None
    )
    upcoming = service.due_dates(bill, today, today + timedelta(days=400))
    return render(
        request,
        "budgets/bills/detail.html",
        {
            **_nav(session, ctx, "bill"),
            "bill": bill,
            "schedule": service.describe(bill),
            "account": account,
            "category": category,
            "next_due": upcoming[0]
            if upcoming and bill.status == BillStatus.active.value
            else None,
            "history": history,
            "today": today,
            "chosen": chosen,
            "linkable": [
                o.due_on for o in history if o.status not in (service.PAID, service.REVIEW)
            ],
            "suggestions": suggestions,
            "link_error": link_error,
        },
        status_code=status_code,
    )


@router.get(BILLS + "/{bill_id:uuid}", response_class=HTMLResponse)
def bill_page(
    request: Request,
    bill_id: uuid.UUID,
    ctx: PageTenant,
    session: SessionDep,
    due: Annotated[date | None, Query()] = None,
) -> HTMLResponse:
    bill = service.get_bill(session, tenant_id=ctx.tenant_id, bill_id=bill_id)
    return _bill_page(request, session, ctx, bill, due=due)


def _due(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


@router.post(BILLS + "/{bill_id:uuid}/occurrences", response_class=HTMLResponse)
def act_on_occurrence(
    request: Request,
    bill_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    due_on: FormText = "",
    action: FormText = "",
    transaction_id: FormText = "",
    back: FormText = "",
) -> Response:
    """Link a transaction to a due date, unlink, skip, or confirm or reject a match."""
    bill = service.get_bill(session, tenant_id=ctx.tenant_id, bill_id=bill_id)
    day = _due(due_on)
    scope = {"tenant_id": ctx.tenant_id, "actor_id": ctx.user.id, "bill_id": bill.id}
    try:
        if day is None:
            raise ValidationFailed(
                "due_on", errors=[{"field": "due_on", "message": "choose a due date"}]
            )
        if action == "link":
            errors: dict[str, str] = {}
            chosen = _optional_uuid(transaction_id, "transaction_id", errors)
            if chosen is None:
                raise ValidationFailed(
                    "transaction_id",
                    errors=[
                        {
                            "field": "transaction_id",
                            "message": "choose the transaction that paid it",
                        }
                    ],
                )
            _write(
                session,
                lambda: service.link_transaction(
                    session, **scope, due_on=day, transaction_id=chosen
                ),
            )
            message = f"{bill.name} due {day.isoformat()} is marked paid."
        elif action == "unlink":
            _write(session, lambda: service.reopen(session, **scope, due_on=day))
            message = f"{bill.name} due {day.isoformat()} is open again."
        elif action == "skip":
            _write(session, lambda: service.skip(session, **scope, due_on=day))
            message = (
                f"{bill.name} due {day.isoformat()} is skipped: it is neither late nor missed."
            )
        elif action == "confirm":
            _write(session, lambda: service.confirm_match(session, **scope, due_on=day))
            message = f"The payment of {bill.name} due {day.isoformat()} is confirmed."
        elif action == "reject":
            _write(session, lambda: service.reject_match(session, **scope, due_on=day))
            message = f"That transaction will not be matched to {bill.name} again."
        else:
            raise ValidationFailed(
                "action", errors=[{"field": "action", "message": "unknown action"}]
            )
    except CofferError as exc:
        if isinstance(exc, NotFound) and not exc.errors:
            raise
        text = "; ".join(_labelled(errors_by_field(exc)).values())
        if back == "review":
            flash(request, "error", text)
            return redirect(f"{BILLS}/review")
        return _bill_page(request, session, ctx, bill, due=day, link_error=text, status_code=422)
    flash(request, "success", message)
    if back == "review":
        return redirect(f"{BILLS}/review")
    return redirect(f"{BILLS}/{bill.id}#due-{day.isoformat()}")


# --- review, detected, subscriptions ---------------------------------------------------------


@router.get(BILLS + "/review", response_class=HTMLResponse)
def review_page(request: Request, ctx: PageTenant, session: SessionDep) -> HTMLResponse:
    found = service.review_queue(session, tenant_id=ctx.tenant_id, today=_today())
    return render(
        request, "budgets/bills/review.html", {**_nav(session, ctx, "review"), "items": found}
    )


@router.post(BILLS + "/match", response_class=HTMLResponse)
def run_matching(request: Request, ctx: WritablePageTenant, session: SessionDep) -> Response:
    result = _write(
        session,
        lambda: service.match_transactions(
            session, tenant_id=ctx.tenant_id, actor_id=ctx.user.id, today=_today()
        ),
    )
    if result.paid or result.review:
        flash(
            request,
            "success",
            f"{result.paid} paid by a matching transaction; {result.review} to check.",
        )
    else:
        flash(request, "info", "No new transaction matches an open due date.")
    return redirect(f"{BILLS}/review" if result.review else BILLS)


@router.get(BILLS + "/detected", response_class=HTMLResponse)
def detected_page(request: Request, ctx: PageTenant, session: SessionDep) -> HTMLResponse:
    return _detected_page(request, session, ctx)


def _detected_page(
    request: Request,
    session: Session,
    ctx: TenantContext,
    *,
    edit: uuid.UUID | None = None,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    candidates = detection.list_candidates(session, tenant_id=ctx.tenant_id)
    dismissed = detection.list_candidates(
        session, tenant_id=ctx.tenant_id, status=CandidateStatus.dismissed.value
    )
    accounts = {a.id: a for a in ledger.list_accounts(session, tenant_id=ctx.tenant_id)}
    return render(
        request,
        "budgets/bills/detected.html",
        {
            **_nav(session, ctx, "detected"),
            **_choices(session, ctx),
            "candidates": candidates,
            "dismissed": dismissed,
            "accounts": accounts,
            "schedule": detection.schedule_words,
            "as_date": date.fromisoformat,
            "edit": edit,
            "form": form or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.post(BILLS + "/detected/run", response_class=HTMLResponse)
def run_detection(request: Request, ctx: WritablePageTenant, session: SessionDep) -> Response:
    run = _write(
        session,
        lambda: detection.detect_for_household(
            session, tenant_id=ctx.tenant_id, actor_id=ctx.user.id, today=_today()
        ),
    )
    count = len(run.proposed)
    flash(
        request,
        "success" if count else "info",
        f"{count} recurring {'payment' if count == 1 else 'payments'} to look at."
        if count
        else "Nothing new: every regular payment found is a bill already, or was dismissed.",
    )
    return redirect(f"{BILLS}/detected")


@router.post(BILLS + "/detected/{candidate_id:uuid}/accept", response_class=HTMLResponse)
def accept_candidate(
    request: Request,
    candidate_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    name: FormText = "",
    kind: FormText = "",
    amount_min: FormText = "",
    amount_max: FormText = "",
    category_id: FormText = "",
) -> Response:
    form = {
        "name": name,
        "kind": kind,
        "amount_min": amount_min,
        "amount_max": amount_max,
        "category_id": category_id,
    }
    errors: dict[str, str] = {}
    edits: dict[str, Any] = {}
    if name.strip():
        edits["name"] = name.strip()
    if kind.strip():
        edits["kind"] = kind.strip()
    locale = ctx.tenant.locale
    low = page_forms.number(amount_min, "amount_min", errors, locale=locale)
    high = page_forms.number(amount_max, "amount_max", errors, locale=locale)
    if low is not None:
        edits["amount_min"] = low
    if high is not None:
        edits["amount_max"] = high
    edits["category_id"] = _optional_uuid(category_id, "category_id", errors)
    if not errors:
        try:
            bill = _write(
                session,
                lambda: detection.accept(
                    session,
                    tenant_id=ctx.tenant_id,
                    actor_id=ctx.user.id,
                    candidate_id=candidate_id,
                    edits=edits,
                    today=_today(),
                ),
            )
        except (ValidationFailed, NotFound) as exc:
            if isinstance(exc, NotFound) and not exc.errors:
                raise
            errors = errors_by_field(exc)
    if errors:
        return _detected_page(
            request,
            session,
            ctx,
            edit=candidate_id,
            form=form,
            errors=_labelled(errors),
            status_code=422,
        )
    flash(request, "success", f"{bill.name} is now a {bill.kind}; its past payments are linked.")
    return redirect(f"{BILLS}/{bill.id}")


@router.post(BILLS + "/detected/{candidate_id:uuid}/dismiss", response_class=HTMLResponse)
def dismiss_candidate(
    request: Request, candidate_id: uuid.UUID, ctx: WritablePageTenant, session: SessionDep
) -> Response:
    try:
        candidate = _write(
            session,
            lambda: detection.dismiss(
                session, tenant_id=ctx.tenant_id, actor_id=ctx.user.id, candidate_id=candidate_id
            ),
        )
    except ValidationFailed as exc:
        flash(request, "error", exc.detail)
        return redirect(f"{BILLS}/detected")
    flash(request, "success", f"{candidate.payee} is dismissed; it will not be proposed again.")
    return redirect(f"{BILLS}/detected")


@router.get(BILLS + "/subscriptions", response_class=HTMLResponse)
def subscriptions_page(request: Request, ctx: PageTenant, session: SessionDep) -> HTMLResponse:
    view = detection.subscriptions(session, tenant_id=ctx.tenant_id, today=_today())
    code = view.base_currency
    return render(
        request,
        "budgets/bills/subscriptions.html",
        {
            **_nav(session, ctx, "subscriptions"),
            "view": view,
            "code": code,
            "monthly_total": from_minor(view.monthly_total_minor, code),
            "yearly_total": from_minor(view.yearly_total_minor, code),
            "from_minor": from_minor,
            "describe": service.describe,
        },
    )
