"""The statements page (/reports/statements): two small GET forms, a month and a year,
each downloading its PDF statement (coffer.reports.statements, laid out by
coffer.reports.exports.pdf) from a page route signed in with the browser's cookie.

Opened without values, the forms offer the last complete month and the last complete
year. A value that is not a month or a year (or an account of another household, for
a link that names accounts) re-renders the page with the field's error and a 422.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from coffer.errors import NotFound, ValidationFailed
from coffer.reports import statements
from coffer.reports.api_statements import attachment
from coffer.tenancy.deps import PageTenant
from coffer.web.csrf import verify_csrf
from coffer.web.deps import SessionDep
from coffer.web.forms import errors_by_field
from coffer.web.templating import render

T = TypeVar("T")

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)

PAGE = "/reports/statements"
MONTH_ERROR = "Choose a month, written like 2026-03."
YEAR_ERROR = f"Enter a year from {statements.MIN_YEAR} to {statements.MAX_YEAR}, written like 2025."


@dataclass
class StatementForm:
    """The values as typed, so a bad one is shown back as it was."""

    month: str = ""
    year: str = ""


def _defaults(today: date) -> StatementForm:
    return StatementForm(
        month=statements.last_complete_month(today).strftime("%Y-%m"),
        year=str(statements.last_complete_year(today)),
    )


def _page(
    request: Request,
    form: StatementForm,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    shown = {key: _sentence(value) for key, value in (errors or {}).items()}
    if "account_ids" in shown:
        # The forms have no account field: a link naming accounts gets a form-level message.
        shown[""] = f"Accounts: {shown.pop('account_ids')}"
    return render(
        request,
        "reports/statements.html",
        {
            "active_nav": "reports",
            "form": form,
            "errors": shown,
            "min_year": statements.MIN_YEAR,
            "max_year": statements.MAX_YEAR,
        },
        status_code=422 if shown else 200,
    )


def _sentence(message: str) -> str:
    text = message.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def _account_ids(request: Request, errors: dict[str, str]) -> tuple[uuid.UUID, ...]:
    ids = []
    for value in request.query_params.getlist("account_ids"):
        if not value:
            continue
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            errors["account_ids"] = "That account does not exist (any longer)."
    return tuple(dict.fromkeys(ids))


@router.get(PAGE, response_class=HTMLResponse)
def statements_page(request: Request, _ctx: PageTenant) -> HTMLResponse:
    return _page(request, _defaults(date.today()))


def _download(
    request: Request,
    form: StatementForm,
    field: str,
    parse: Callable[[str], T],
    message: str,
    build: Callable[[T, tuple[uuid.UUID, ...]], Any],
) -> Response:
    """The statement the form's `field` names, as a PDF; bad input shows the page with
    the field's error (422)."""
    if field in request.query_params:
        setattr(form, field, request.query_params[field])
    errors: dict[str, str] = {}
    try:
        period = parse(getattr(form, field))
    except ValidationFailed:
        errors[field] = message
    account_ids = _account_ids(request, errors)
    if errors:
        return _page(request, form, errors)
    try:
        statement = build(period, account_ids)
    except (ValidationFailed, NotFound) as exc:
        return _page(request, form, errors_by_field(exc))
    return attachment(statement)


@router.get(f"{PAGE}/monthly.pdf", response_model=None)
def monthly_statement_download(request: Request, ctx: PageTenant, session: SessionDep) -> Response:
    return _download(
        request,
        _defaults(date.today()),
        "month",
        statements.parse_month,
        MONTH_ERROR,
        lambda month, ids: statements.monthly_statement(
            session, tenant=ctx.tenant, month=month, account_ids=ids
        ),
    )


@router.get(f"{PAGE}/annual.pdf", response_model=None)
def annual_statement_download(request: Request, ctx: PageTenant, session: SessionDep) -> Response:
    return _download(
        request,
        _defaults(date.today()),
        "year",
        statements.parse_year,
        YEAR_ERROR,
        lambda year, ids: statements.annual_statement(
            session, tenant=ctx.tenant, year=year, account_ids=ids
        ),
    )
