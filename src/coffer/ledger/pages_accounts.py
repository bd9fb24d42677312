"""Account pages: the list with balances, trends and net worth; the form to open or
change an account; closing and reopening. Reconciliation (coffer.ledger.pages_reconcile)
and FX rates (coffer.ledger.pages_rates) are included from here.

Forms post and redirect (303); a form with bad input comes back with its messages
(422) and nothing changed. Viewers and advisors see everything read-only; their posts
answer 403.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from coffer.core.money import from_minor
from coffer.errors import ValidationFailed
from coffer.ledger import page_forms, pages_rates, pages_reconcile, service
from coffer.ledger.accounts import BUDGET_BY_DEFAULT, CREDIT_LIMIT_TYPES, INTEREST_TYPES
from coffer.ledger.models import Account, AccountType
from coffer.ledger.trends import MonthEnd, month_end_balances, month_starts
from coffer.tenancy.deps import PageTenant, TenantContext, WritablePageTenant
from coffer.web.csrf import verify_csrf
from coffer.web.deps import SessionDep
from coffer.web.forms import FormText, errors_by_field, redirect
from coffer.web.templating import flash, render

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)

ACCOUNTS_PATH = "/accounts"
TREND_MONTHS = 12

TYPE_LABELS: dict[AccountType, str] = {
    AccountType.checking: "Checking",
    AccountType.savings: "Savings",
    AccountType.cash: "Cash",
    AccountType.credit_card: "Credit card",
    AccountType.other_liability: "Credit line or other debt",
    AccountType.loan: "Loan",
    AccountType.mortgage: "Mortgage",
    AccountType.investment: "Investment",
    AccountType.retirement: "Retirement",
    AccountType.property: "Property",
    AccountType.vehicle: "Vehicle",
    AccountType.other_asset: "Other asset",
}

# (key, heading, types): the order accounts are listed in, and the type picker's groups.
GROUPS: tuple[tuple[str, str, tuple[AccountType, ...]], ...] = (
    ("cash", "Cash and bank", (AccountType.checking, AccountType.savings, AccountType.cash)),
    ("credit", "Credit", (AccountType.credit_card, AccountType.other_liability)),
    ("loans", "Loans and mortgages", (AccountType.loan, AccountType.mortgage)),
    ("investments", "Investments and retirement", (AccountType.investment, AccountType.retirement)),
    (
        "assets",
        "Property, vehicles and other assets",
        (AccountType.property, AccountType.vehicle, AccountType.other_asset),
    ),
)


def type_label(value: str) -> str:
    try:
        return TYPE_LABELS[AccountType(value)]
    except ValueError:
        return value


# --- the list ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sparkline:
    """A trend line drawn in a 120 × 32 box; `points` is an SVG polyline's points."""

    points: str
    first: Decimal
    last: Decimal
    first_month: date
    last_month: date
    end_x: float
    end_y: float


@dataclass
class AccountRow:
    account: Account
    type_label: str
    balance: Decimal
    base_balance: Decimal | None  # None: no rate to the base currency is known
    trend: Sparkline | None


@dataclass
class Group:
    key: str
    title: str
    rows: list[AccountRow] = field(default_factory=list)
    total: Decimal | None = None  # in the base currency; None when a rate is missing


@dataclass
class Totals:
    assets: Decimal
    liabilities: Decimal  # what is owed, as a positive amount
    net_worth: Decimal
    unconverted: list[AccountRow]


SPARK_W, SPARK_H, SPARK_PAD = 120.0, 32.0, 3.0


def sparkline(points: Sequence[MonthEnd], window: Sequence[date], code: str) -> Sparkline | None:
    """Month-end balances as a line, each point at its month's place in the window."""
    if len(points) < 2:
        return None
    index = {month: i for i, month in enumerate(window)}
    values = [p.balance_minor for p in points]
    low, high = min(values), max(values)
    step = (SPARK_W - 2 * SPARK_PAD) / max(len(window) - 1, 1)
    coords = []
    for point in points:
        x = SPARK_PAD + index[point.month] * step
        if high == low:
            y = SPARK_H / 2
        else:
            y = SPARK_PAD + (high - point.balance_minor) / (high - low) * (SPARK_H - 2 * SPARK_PAD)
        coords.append((round(x, 1), round(y, 1)))
    return Sparkline(
        points=" ".join(f"{x:g},{y:g}" for x, y in coords),
        first=from_minor(points[0].balance_minor, code),
        last=from_minor(points[-1].balance_minor, code),
        first_month=points[0].month,
        last_month=points[-1].month,
        end_x=coords[-1][0],
        end_y=coords[-1][1],
    )


def _rows(session: Session, ctx: TenantContext, accounts: list[Account]) -> list[AccountRow]:
    tenant_id, base = ctx.tenant_id, ctx.tenant.base_currency
    today = date.today()
    balances = service.balances(session, tenant_id=tenant_id, accounts=accounts)
    trends = month_end_balances(
        session, tenant_id=tenant_id, accounts=accounts, months=TREND_MONTHS, today=today
    )
    window = month_starts(today, TREND_MONTHS)
    convert = service.Converter(session, tenant_id=tenant_id, to_ccy=base)
    rows = []
    for account in accounts:
        code, amount = account.currency, balances[account.id]
        converted = convert(amount, code, today)
        rows.append(
            AccountRow(
                account=account,
                type_label=type_label(account.type),
                balance=from_minor(amount, code),
                base_balance=None if converted is None else from_minor(converted, base),
                trend=sparkline(trends[account.id], window, code),
            )
        )
    return rows


def _groups(rows: list[AccountRow]) -> list[Group]:
    groups = []
    for key, title, types in GROUPS:
        members = [r for r in rows if AccountType(r.account.type) in types]
        if not members:
            continue
        total = None
        if all(r.base_balance is not None for r in members):
            total = sum((r.base_balance for r in members if r.base_balance is not None), Decimal(0))
        groups.append(Group(key, title, members, total))
    return groups


def _totals(rows: list[AccountRow]) -> Totals:
    known = [r.base_balance for r in rows if r.base_balance is not None]
    assets = sum((b for b in known if b > 0), Decimal(0))
    liabilities = -sum((b for b in known if b < 0), Decimal(0))
    return Totals(
        assets=assets,
        liabilities=liabilities,
        net_worth=assets - liabilities,
        unconverted=[r for r in rows if r.base_balance is None],
    )


@router.get(ACCOUNTS_PATH, response_class=HTMLResponse)
def accounts_page(request: Request, ctx: PageTenant, session: SessionDep) -> HTMLResponse:
    accounts = service.list_accounts(session, tenant_id=ctx.tenant_id)
    rows = _rows(session, ctx, accounts)
    open_rows = [r for r in rows if r.account.closed_on is None]
    closed_rows = [r for r in rows if r.account.closed_on is not None]
    return render(
        request,
        "ledger/accounts/list.html",
        {
            "active_nav": "accounts",
            "tenant": ctx.tenant,
            "can_write": ctx.role.can_write,
            "has_accounts": bool(rows),
            "groups": _groups(open_rows),
            "closed_rows": closed_rows,
            "totals": _totals(open_rows),
            "spark": {"w": SPARK_W, "h": SPARK_H},
        },
    )


# --- the account form -------------------------------------------------------------------

ACCOUNT_FIELDS = (
    "name",
    "type",
    "currency",
    "opening_balance",
    "opening_on",
    "institution",
    "last_four",
    "account_number",
    "clear_account_number",
    "credit_limit",
    "interest_rate",
    "include_in_budget",
    "notes",
)


def _account_form(
    name: FormText = "",
    type: FormText = "",
    currency: FormText = "",
    opening_balance: FormText = "",
    opening_on: FormText = "",
    institution: FormText = "",
    last_four: FormText = "",
    account_number: FormText = "",
    clear_account_number: FormText = "",
    credit_limit: FormText = "",
    interest_rate: FormText = "",
    include_in_budget: FormText = "",
    notes: FormText = "",
) -> dict[str, str]:
    return {
        "name": name,
        "type": type,
        "currency": currency,
        "opening_balance": opening_balance,
        "opening_on": opening_on,
        "institution": institution,
        "last_four": last_four,
        "account_number": account_number,
        "clear_account_number": clear_account_number,
        "credit_limit": credit_limit,
        "interest_rate": interest_rate,
        "include_in_budget": include_in_budget,
        "notes": notes,
    }


AccountForm = Annotated[dict[str, str], Depends(_account_form)]


def _type_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    return [(title, [(t.value, TYPE_LABELS[t]) for t in types]) for _, title, types in GROUPS]


def _form_from_account(account: Account, locale: str | None) -> dict[str, str]:
    code = account.currency
    limit = (
        None if account.credit_limit_minor is None else from_minor(account.credit_limit_minor, code)
    )
    return {
        "name": account.name,
        "type": account.type,
        "currency": code,
        "opening_balance": page_forms.plain_number(
            from_minor(account.opening_balance_minor, code), locale
        ),
        "opening_on": account.opening_on.isoformat(),
        "institution": account.institution or "",
        "last_four": account.last_four or "",
        "account_number": "",
        "clear_account_number": "",
        "credit_limit": page_forms.plain_number(limit, locale),
        "interest_rate": page_forms.plain_number(account.interest_rate, locale),
        "include_in_budget": "on" if account.include_in_budget else "",
        "notes": account.notes or "",
    }


def _form_page(
    request: Request,
    *,
    form: dict[str, str],
    account: Account | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "ledger/accounts/form.html",
        {
            "active_nav": "accounts",
            "account": account,
            "form": form,
            "errors": errors or {},
            "type_groups": _type_groups(),
            "currency_options": page_forms.currency_options(),
            "credit_limit_types": " ".join(sorted(t.value for t in CREDIT_LIMIT_TYPES)),
            "interest_types": " ".join(sorted(t.value for t in INTEREST_TYPES)),
            "budget_types": " ".join(sorted(t.value for t in BUDGET_BY_DEFAULT)),
            "action": f"{ACCOUNTS_PATH}/{account.id}/edit" if account else f"{ACCOUNTS_PATH}/new",
        },
        status_code=status_code,
    )


def _parse_account(
    form: dict[str, str], locale: str | None, *, editing: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """The service's keyword arguments from the form, and the problems found reading it."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"name": form["name"]}
    try:
        values["type"] = AccountType(form["type"])
    except ValueError:
        errors["type"] = "Choose the kind of account from the list."
    values["currency"] = page_forms.currency_code(form["currency"], "currency", errors)
    opening = page_forms.number(
        form["opening_balance"], "opening_balance", errors, locale=locale, label="an amount"
    )
    values["opening_balance"] = opening if opening is not None else Decimal(0)
    values["opening_on"] = page_forms.day(form["opening_on"], "opening_on", errors, required=True)
    values["institution"] = form["institution"]
    values["last_four"] = form["last_four"].strip() or None
    number = form["account_number"].strip()
    if editing:
        if form["clear_account_number"]:
            values["account_number"] = None
        elif number:
            values["account_number"] = number
    else:
        values["account_number"] = number or None
    values["credit_limit"] = page_forms.number(
        form["credit_limit"], "credit_limit", errors, locale=locale, label="a credit limit"
    )
    values["interest_rate"] = page_forms.number(
        form["interest_rate"], "interest_rate", errors, locale=locale, label="a percentage"
    )
    values["include_in_budget"] = bool(form["include_in_budget"])
    values["notes"] = form["notes"]
    return values, errors


@router.get(ACCOUNTS_PATH + "/new", response_class=HTMLResponse)
def new_account(request: Request, ctx: WritablePageTenant) -> HTMLResponse:
    form = dict.fromkeys(ACCOUNT_FIELDS, "")
    form.update(
        type=AccountType.checking.value,
        currency=ctx.tenant.base_currency,
        opening_on=date.today().isoformat(),
        include_in_budget="on",
    )
    return _form_page(request, form=form)


@router.post(ACCOUNTS_PATH + "/new", response_class=HTMLResponse)
def create_account(
    request: Request, ctx: WritablePageTenant, session: SessionDep, form: AccountForm
) -> Response:
    values, errors = _parse_account(form, ctx.tenant.locale, editing=False)
    if not errors:
        try:
            with session.begin_nested():
                account = service.create_account(
                    session, tenant_id=ctx.tenant_id, actor_id=ctx.user.id, **values
                )
        except ValidationFailed as exc:
            errors = errors_by_field(exc)
    if errors:
        return _form_page(request, form=form, errors=page_forms.sentences(errors), status_code=422)
    flash(request, "success", f"{account.name} is ready. Its balance starts from its opening.")
    return redirect(ACCOUNTS_PATH)


@router.get(ACCOUNTS_PATH + "/{account_id:uuid}/edit", response_class=HTMLResponse)
def edit_account(
    request: Request, account_id: uuid.UUID, ctx: WritablePageTenant, session: SessionDep
) -> HTMLResponse:
    account = service.get_account(session, tenant_id=ctx.tenant_id, account_id=account_id)
    form = _form_from_account(account, ctx.tenant.locale)
    return _form_page(request, form=form, account=account)


@router.post(ACCOUNTS_PATH + "/{account_id:uuid}/edit", response_class=HTMLResponse)
def save_account(
    request: Request,
    account_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    form: AccountForm,
) -> Response:
    account = service.get_account(session, tenant_id=ctx.tenant_id, account_id=account_id)
    values, errors = _parse_account(form, ctx.tenant.locale, editing=True)
    if not errors:
        try:
            with session.begin_nested():
                service.update_account(
                    session,
                    tenant_id=ctx.tenant_id,
                    actor_id=ctx.user.id,
                    account_id=account_id,
                    values=values,  # type: ignore[arg-type]
                )
        except ValidationFailed as exc:
            errors = errors_by_field(exc)
    if errors:
        session.refresh(account)
        return _form_page(
            request,
            form=form,
            account=account,
            errors=page_forms.sentences(errors),
            status_code=422,
        )
    flash(request, "success", f"{account.name} is saved.")
    return redirect(ACCOUNTS_PATH)


# --- closing and reopening --------------------------------------------------------------


def _confirm_page(
    request: Request,
    ctx: TenantContext,
    session: Session,
    account: Account,
    *,
    action: str,
    errors: dict[str, str] | None = None,
    closed_on: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    balance = service.balances(session, tenant_id=ctx.tenant_id, accounts=[account])[account.id]
    return render(
        request,
        "ledger/accounts/confirm.html",
        {
            "active_nav": "accounts",
            "account": account,
            "action": action,
            "balance": from_minor(balance, account.currency),
            "closed_on": closed_on or date.today().isoformat(),
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get(ACCOUNTS_PATH + "/{account_id:uuid}/close", response_class=HTMLResponse)
def confirm_close(
    request: Request, account_id: uuid.UUID, ctx: WritablePageTenant, session: SessionDep
) -> Response:
    account = service.get_account(session, tenant_id=ctx.tenant_id, account_id=account_id)
    if account.closed_on is not None:
        flash(request, "info", f"{account.name} is already closed.")
        return redirect(ACCOUNTS_PATH + "#closed")
    return _confirm_page(request, ctx, session, account, action="close")


@router.post(ACCOUNTS_PATH + "/{account_id:uuid}/close", response_class=HTMLResponse)
def close_account(
    request: Request,
    account_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    closed_on: FormText = "",
) -> Response:
    account = service.get_account(session, tenant_id=ctx.tenant_id, account_id=account_id)
    errors: dict[str, str] = {}
    day = page_forms.day(closed_on, "closed_on", errors)
    if day is not None and day < account.opening_on:
        errors["closed_on"] = "Choose a day on or after the day the account was opened."
    if errors:
        return _confirm_page(
            request,
            ctx,
            session,
            account,
            action="close",
            errors=errors,
            closed_on=closed_on,
            status_code=422,
        )
    service.close_account(
        session,
        tenant_id=ctx.tenant_id,
        actor_id=ctx.user.id,
        account_id=account_id,
        closed_on=day,
    )
    flash(
        request,
        "success",
        f"{account.name} is closed. Its history stays; reopen it to add transactions.",
    )
    return redirect(ACCOUNTS_PATH)


@router.get(ACCOUNTS_PATH + "/{account_id:uuid}/reopen", response_class=HTMLResponse)
def confirm_reopen(
    request: Request, account_id: uuid.UUID, ctx: WritablePageTenant, session: SessionDep
) -> Response:
    account = service.get_account(session, tenant_id=ctx.tenant_id, account_id=account_id)
    if account.closed_on is None:
        flash(request, "info", f"{account.name} is open.")
        return redirect(ACCOUNTS_PATH)
    return _confirm_page(request, ctx, session, account, action="reopen")


@router.post(ACCOUNTS_PATH + "/{account_id:uuid}/reopen", response_class=HTMLResponse)
def reopen_account(
    request: Request, account_id: uuid.UUID, ctx: WritablePageTenant, session: SessionDep
) -> Response:
    account = service.reopen_account(
        session, tenant_id=ctx.tenant_id, actor_id=ctx.user.id, account_id=account_id
    )
    flash(request, "success", f"{account.name} is open again.")
    return redirect(ACCOUNTS_PATH)


router.include_router(pages_reconcile.router)
router.include_router(pages_rates.router)
