"""Reconciling an account against a bank statement, as a page.

Start with the statement's date and closing balance; tick what the statement shows;
the difference between the statement and the cleared balance updates as you tick
(htmx posts each tick; without JavaScript one "Save ticks" button posts them all);
"Finish" locks the cleared transactions once the difference is zero. Every rule is the
reconciliation service's (coffer.ledger.reconcile); this module only asks it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from coffer.core.money import from_minor
from coffer.errors import CofferError, Conflict, RuleViolation, ValidationFailed
from coffer.ledger import page_forms, service
from coffer.ledger.models import (
    Account,
    Reconciliation,
    ReconciliationStatus,
    TransactionStatus,
)
from coffer.tenancy.deps import PageTenant, TenantContext, WritablePageTenant
from coffer.web.csrf import verify_csrf
from coffer.web.deps import SessionDep
from coffer.web.forms import FormText, errors_by_field, redirect
from coffer.web.templating import flash, render

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)

RECONCILE_PATH = "/accounts/{account_id:uuid}/reconcile"
# The most rows one page lists; a statement covers far fewer in practice.
MAX_ROWS = 2000
PAGE_SIZE = 500

FormList = Annotated[list[str], Form()]


def reconcile_path(account_id: uuid.UUID) -> str:
    return f"/accounts/{account_id}/reconcile"


@dataclass(frozen=True, slots=True)
class Summary:
    id: uuid.UUID
    statement_on: date
    statement_balance: Decimal
    cleared_balance: Decimal
    difference: Decimal
    uncleared_count: int

    @classmethod
    def of(cls, summary: service.ReconciliationSummary) -> Summary:
        code = summary.account.currency
        r = summary.reconciliation
        return cls(
            id=r.id,
            statement_on=r.statement_on,
            statement_balance=from_minor(r.statement_balance_minor, code),
            cleared_balance=from_minor(summary.cleared_balance_minor, code),
            difference=from_minor(summary.difference_minor, code),
            uncleared_count=summary.uncleared_count,
        )


@dataclass(frozen=True, slots=True)
class Row:
    id: uuid.UUID
    posted_on: date
    description: str
    memo: str | None
    amount: Decimal
    cleared: bool


def _open_reconciliation(
    session: Session, ctx: TenantContext, account: Account
) -> tuple[Reconciliation | None, list[Reconciliation]]:
    rows = service.list_reconciliations(session, tenant_id=ctx.tenant_id, account_id=account.id)
    current = next((r for r in rows if r.status == ReconciliationStatus.in_progress.value), None)
    done = [r for r in rows if r.status == ReconciliationStatus.completed.value]
    return current, done


def _rows(
    session: Session, ctx: TenantContext, account: Account, on: date
) -> tuple[list[Row], bool]:
    """The account's uncleared and cleared transactions up to `on`, oldest first."""
    filters = service.TransactionFilter(
        account_ids=(account.id,),
        date_to=on,
        statuses=(TransactionStatus.pending, TransactionStatus.cleared),
    )
    views: list[service.TransactionView] = []
    cursor: str | None = None
    while True:
        page = service.search_transactions(
            session, tenant_id=ctx.tenant_id, filters=filters, limit=PAGE_SIZE, cursor=cursor
        )
        views.extend(page.items)
        cursor = page.next_cursor
        if cursor is None or len(views) >= MAX_ROWS:
            break
    rows = [_row(v) for v in views[:MAX_ROWS]]
    return rows[::-1], cursor is not None


def _row(view: service.TransactionView) -> Row:
    txn = view.txn
    fallback = "Transfer" if txn.transfer_group_id else "No description"
    description = view.merchant_name or txn.payee or txn.memo or fallback
    return Row(
        id=txn.id,
        posted_on=txn.posted_on,
        description=description,
        memo=txn.memo if txn.memo != description else None,
        amount=from_minor(txn.amount_minor, view.currency),
        cleared=txn.status == TransactionStatus.cleared.value,
    )


def _page(
    request: Request,
    session: Session,
    ctx: TenantContext,
    account: Account,
    *,
    start_form: dict[str, str] | None = None,
    statement_form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    current, done = _open_reconciliation(session, ctx, account)
    summary = rows = None
    truncated = False
    locale = ctx.tenant.locale
    if current is not None:
        summary = Summary.of(
            service.get_reconciliation(
                session,
                tenant_id=ctx.tenant_id,
                account_id=account.id,
                reconciliation_id=current.id,
            )
        )
        rows, truncated = _rows(session, ctx, account, summary.statement_on)
        statement_form = statement_form or {
            "statement_on": summary.statement_on.isoformat(),
            "statement_balance": page_forms.plain_number(summary.statement_balance, locale),
        }
    balance = service.balances(session, tenant_id=ctx.tenant_id, accounts=[account])[account.id]
    return render(
        request,
        "ledger/accounts/reconcile.html",
        {
            "active_nav": "accounts",
            "account": account,
            "balance": from_minor(balance, account.currency),
            "can_write": ctx.role.can_write,
            "summary": summary,
            "rows": rows or [],
            "truncated": truncated,
            "max_rows": MAX_ROWS,
            "history": [
                {
                    "statement_on": r.statement_on,
                    "statement_balance": from_minor(r.statement_balance_minor, account.currency),
                    "count": r.reconciled_count,
                    "completed_at": r.completed_at,
                }
                for r in done
            ],
            "start_form": start_form
            or {"statement_on": date.today().isoformat(), "statement_balance": ""},
            "statement_form": statement_form or {},
            "errors": errors or {},
            "problem": problem,
        },
        status_code=status_code,
    )


def _account(session: Session, ctx: TenantContext, account_id: uuid.UUID) -> Account:
    return service.get_account(session, tenant_id=ctx.tenant_id, account_id=account_id)


def _reconciliation_id(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw.strip())
    except ValueError:
        return None


def _ids(raw: list[str]) -> list[uuid.UUID]:
    found = []
    for value in raw:
        try:
            found.append(uuid.UUID(value.strip()))
        except ValueError:
            continue
    return found


def _statement(
    form: dict[str, str], locale: str | None
) -> tuple[date | None, Decimal | None, dict[str, str]]:
    errors: dict[str, str] = {}
    on = page_forms.day(form["statement_on"], "statement_on", errors, required=True)
    amount = page_forms.number(
        form["statement_balance"],
        "statement_balance",
        errors,
        locale=locale,
        required=True,
        label="the statement's closing balance",
    )
    return on, amount, errors


@router.get(RECONCILE_PATH, response_class=HTMLResponse)
def reconcile_page(
    request: Request, account_id: uuid.UUID, ctx: PageTenant, session: SessionDep
) -> HTMLResponse:
    return _page(request, session, ctx, _account(session, ctx, account_id))


@router.post(RECONCILE_PATH, response_class=HTMLResponse)
def start(
    request: Request,
    account_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    statement_on: FormText = "",
    statement_balance: FormText = "",
) -> Response:
    account = _account(session, ctx, account_id)
    form = {"statement_on": statement_on, "statement_balance": statement_balance}
    on, amount, errors = _statement(form, ctx.tenant.locale)
    if on is not None and amount is not None:
        try:
            with session.begin_nested():
                service.start_reconciliation(
                    session,
                    tenant_id=ctx.tenant_id,
                    actor_id=ctx.user.id,
                    account_id=account.id,
                    statement_on=on,
                    statement_balance=amount,
                )
        except Conflict as exc:
            flash(request, "info", exc.detail)
            return redirect(reconcile_path(account.id))
        except ValidationFailed as exc:
            errors = page_forms.sentences(errors_by_field(exc))
    if errors:
        return _page(
            request, session, ctx, account, start_form=form, errors=errors, status_code=422
        )
    return redirect(reconcile_path(account.id))


@router.post(RECONCILE_PATH + "/statement", response_class=HTMLResponse)
def correct_statement(
    request: Request,
    account_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    reconciliation: FormText = "",
    statement_on: FormText = "",
    statement_balance: FormText = "",
) -> Response:
    account = _account(session, ctx, account_id)
    form = {"statement_on": statement_on, "statement_balance": statement_balance}
    on, amount, errors = _statement(form, ctx.tenant.locale)
    if not errors:
        try:
            with session.begin_nested():
                service.update_statement(
                    session,
                    tenant_id=ctx.tenant_id,
                    actor_id=ctx.user.id,
                    account_id=account.id,
                    reconciliation_id=_checked_id(reconciliation),
                    statement_on=on,
                    statement_balance=amount,
                )
        except ValidationFailed as exc:
            errors = page_forms.sentences(errors_by_field(exc))
        except CofferError as exc:
            flash(request, "error", exc.detail)
            return redirect(reconcile_path(account.id))
    if errors:
        return _page(
            request, session, ctx, account, statement_form=form, errors=errors, status_code=422
        )
    flash(request, "success", "The statement is updated.")
    return redirect(reconcile_path(account.id))


def _checked_id(raw: str) -> uuid.UUID:
    found = _reconciliation_id(raw)
    if found is None:
        raise RuleViolation("This reconciliation is no longer open. Reload the page.")
    return found


def _summary_fragment(
    request: Request, account: Account, summary: Summary | None, problem: str | None, status: int
) -> HTMLResponse:
    return render(
        request,
        "ledger/accounts/_reconcile_summary.html",
        {"account": account, "summary": summary, "problem": problem},
        status_code=status,
    )


@router.post(RECONCILE_PATH + "/toggle", response_class=HTMLResponse)
def toggle(
    request: Request,
    account_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    reconciliation: FormText = "",
    transaction_id: FormText = "",
    cleared: FormList = [],  # noqa: B006 - FastAPI copies the default per request
) -> Response:
    """One tick, sent by htmx as the box changes; answers the updated figures."""
    account = _account(session, ctx, account_id)
    if request.headers.get("HX-Request") != "true":
        return redirect(reconcile_path(account.id))
    txn_ids = _ids([transaction_id])
    problem = None
    summary: Summary | None = None
    try:
        if not txn_ids:
            raise RuleViolation("That transaction is not in this list. Reload the page.")
        with session.begin_nested():
            result = service.set_cleared(
                session,
                tenant_id=ctx.tenant_id,
                actor_id=ctx.user.id,
                account_id=account.id,
                reconciliation_id=_checked_id(reconciliation),
                transaction_ids=txn_ids,
                cleared=transaction_id.strip() in {c.strip() for c in cleared},
            )
        summary = Summary.of(result)
    except CofferError as exc:
        problem = exc.detail
        current, _ = _open_reconciliation(session, ctx, account)
        if current is not None:
            summary = Summary.of(
                service.get_reconciliation(
                    session,
                    tenant_id=ctx.tenant_id,
                    account_id=account.id,
                    reconciliation_id=current.id,
                )
            )
    return _summary_fragment(request, account, summary, problem, 422 if problem else 200)


@router.post(RECONCILE_PATH + "/ticks", response_class=HTMLResponse)
def save_ticks(
    request: Request,
    account_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    reconciliation: FormText = "",
    shown: FormList = [],  # noqa: B006
    cleared: FormList = [],  # noqa: B006
) -> Response:
    """Every tick of the list at once, for browsers without JavaScript."""
    account = _account(session, ctx, account_id)
    listed = _ids(shown)
    ticked = set(_ids(cleared)) & set(listed)
    common: dict[str, Any] = {
        "tenant_id": ctx.tenant_id,
        "actor_id": ctx.user.id,
        "account_id": account.id,
    }
    try:
        with session.begin_nested():
            reconciliation_id = _checked_id(reconciliation)
            service.set_cleared(
                session,
                **common,
                reconciliation_id=reconciliation_id,
                transaction_ids=[t for t in listed if t in ticked],
                cleared=True,
            )
            service.set_cleared(
                session,
                **common,
                reconciliation_id=reconciliation_id,
                transaction_ids=[t for t in listed if t not in ticked],
                cleared=False,
            )
    except CofferError as exc:
        flash(request, "error", exc.detail)
    else:
        flash(request, "success", "Your ticks are saved.")
    return redirect(reconcile_path(account.id) + "#transactions")


@router.post(RECONCILE_PATH + "/finish", response_class=HTMLResponse)
def finish(
    request: Request,
    account_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    reconciliation: FormText = "",
) -> Response:
    account = _account(session, ctx, account_id)
    try:
        with session.begin_nested():
            result = service.finish_reconciliation(
                session,
                tenant_id=ctx.tenant_id,
                actor_id=ctx.user.id,
                account_id=account.id,
                reconciliation_id=_checked_id(reconciliation),
            )
    except CofferError as exc:
        return _page(request, session, ctx, account, problem=exc.detail, status_code=422)
    count = result.reconciliation.reconciled_count
    noun = "transaction is" if count == 1 else "transactions are"
    flash(
        request,
        "success",
        f"{account.name} is reconciled to "
        f"{page_forms.day_text(result.reconciliation.statement_on, ctx.tenant.locale)}: "
        f"{count} {noun} now locked.",
    )
    return redirect(reconcile_path(account.id))


@router.post(RECONCILE_PATH + "/cancel", response_class=HTMLResponse)
def cancel(
    request: Request,
    account_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    reconciliation: FormText = "",
) -> Response:
    account = _account(session, ctx, account_id)
    try:
        with session.begin_nested():
            service.cancel_reconciliation(
                session,
                tenant_id=ctx.tenant_id,
                actor_id=ctx.user.id,
                account_id=account.id,
                reconciliation_id=_checked_id(reconciliation),
            )
    except CofferError as exc:
        flash(request, "error", exc.detail)
    else:
        flash(
            request,
            "info",
            "The reconciliation is cancelled. The transactions you ticked stay cleared.",
        )
    return redirect(reconcile_path(account.id))
