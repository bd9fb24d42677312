"""The FX rates page: dated rates (filtered by pair, newest first), a rate added by
hand, a CSV of rates imported (all lines or none, every problem by line number), a rate
deleted, and a converter that uses the same rates the reports do.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from coffer.core.money import from_minor
from coffer.errors import CofferError, ValidationFailed
from coffer.ledger import page_forms, service
from coffer.ledger.common import minor
from coffer.ledger.models import FxRate
from coffer.tenancy.deps import PageTenant, TenantContext, WritablePageTenant
from coffer.web.csrf import verify_csrf
from coffer.web.deps import SessionDep
from coffer.web.forms import FormText, errors_by_field, redirect
from coffer.web.templating import flash, render

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)

RATES_PATH = "/fx-rates"
PAGE_SIZE = 25
MAX_CSV_BYTES = 5 * 1024 * 1024
EXAMPLE_CSV = "date,base,quote,rate\n2026-01-31,EUR,USD,1.0842\n2026-01-31,GBP,USD,1.2710"


@dataclass(frozen=True, slots=True)
class Conversion:
    amount: Decimal
    from_ccy: str
    converted: Decimal | None
    to_ccy: str
    on: date
    rate_text: str | None
    rate_on: date | None
    problem: str | None


def _pair_filter(raw: str) -> str | None:
    code = raw.strip().upper()
    return code if code and page_forms.currency_code(code, "x", {}) else None


def _convert(
    session: Session, ctx: TenantContext, form: dict[str, str]
) -> tuple[Conversion | None, dict[str, str]]:
    """The converter's answer for a filled-in form; nothing when it was not used."""
    if not any(form.values()) or not form["amount"].strip():
        return None, {}
    errors: dict[str, str] = {}
    amount = page_forms.number(form["amount"], "amount", errors, locale=ctx.tenant.locale)
    source = page_forms.currency_code(form["from"], "from", errors)
    target = page_forms.currency_code(form["to"], "to", errors)
    on = page_forms.day(form["on"], "on", errors) or date.today()
    if errors or amount is None or source is None or target is None:
        return None, errors
    try:
        amount_minor = minor(amount, source, field="amount")
    except ValidationFailed as exc:
        return None, page_forms.sentences(errors_by_field(exc))
    found = service.find_rate(
        session, tenant_id=ctx.tenant_id, from_ccy=source, to_ccy=target, on=on
    )
    if found is None:
        return Conversion(
            amount=from_minor(amount_minor, source),
            from_ccy=source,
            converted=None,
            to_ccy=target,
            on=on,
            rate_text=None,
            rate_on=None,
            problem=(
                f"No {source}/{target} rate is known on or before that day. "
                "Add one below, or import a file of rates."
            ),
        ), {}
    converted = service.convert(
        session,
        tenant_id=ctx.tenant_id,
        amount_minor=amount_minor,
        from_ccy=source,
        to_ccy=target,
        on=on,
    )
    return Conversion(
        amount=from_minor(amount_minor, source),
        from_ccy=source,
        converted=from_minor(converted, target),
        to_ccy=target,
        on=on,
        rate_text=(
            f"1 {target} = {found.stored} {source}"
            if found.inverse
            else f"1 {source} = {found.stored} {target}"
        ),
        rate_on=found.rate_on,
        problem=None,
    ), {}


def _foreign_currencies(session: Session, ctx: TenantContext) -> tuple[list[str], list[str]]:
    """Currencies of open accounts other than the base currency, and those of them that
    cannot be shown in the base currency today (no rate either way)."""
    base = ctx.tenant.base_currency
    codes = sorted(
        {
            a.currency
            for a in service.list_accounts(session, tenant_id=ctx.tenant_id, include_closed=False)
        }
        - {base}
    )
    today = date.today()
    missing = [
        code
        for code in codes
        if service.find_rate(session, tenant_id=ctx.tenant_id, from_ccy=code, to_ccy=base, on=today)
        is None
    ]
    return codes, missing


def _page(
    request: Request,
    session: Session,
    ctx: TenantContext,
    *,
    base: str = "",
    quote: str = "",
    cursor: str = "",
    convert_form: dict[str, str] | None = None,
    add_form: dict[str, str] | None = None,
    add_errors: dict[str, str] | None = None,
    upload_errors: list[dict[str, str]] | None = None,
    upload_problem: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    base_code, quote_code = _pair_filter(base), _pair_filter(quote)
    page: service.RatePage | None = None
    cursor_problem = None
    try:
        page = service.list_rates(
            session,
            tenant_id=ctx.tenant_id,
            base=base_code,
            quote=quote_code,
            limit=PAGE_SIZE,
            cursor=cursor or None,
        )
    except ValidationFailed:
        cursor_problem = "That page of rates no longer exists; here are the newest."
        page = service.list_rates(
            session, tenant_id=ctx.tenant_id, base=base_code, quote=quote_code, limit=PAGE_SIZE
        )
    convert_form = convert_form or {"amount": "", "from": "", "to": "", "on": ""}
    conversion, convert_errors = _convert(session, ctx, convert_form)
    filters = {k: v for k, v in (("base", base_code), ("quote", quote_code)) if v}
    next_link = None
    if page.next_cursor:
        next_link = RATES_PATH + "?" + urlencode({**filters, "cursor": page.next_cursor})
    home_currency = ctx.tenant.base_currency
    foreign, missing = _foreign_currencies(session, ctx)
    first_foreign = (missing or foreign or [""])[0]
    return render(
        request,
        "ledger/rates/rates.html",
        {
            "active_nav": "accounts",
            "can_write": ctx.role.can_write,
            "rates": page.items,
            "next_link": next_link,
            "first_link": (RATES_PATH + "?" + urlencode(filters)) if cursor else None,
            "cursor_problem": cursor_problem,
            "filter": {"base": base_code or "", "quote": quote_code or ""},
            "filtered": bool(filters),
            "currency_options": page_forms.currency_options(),
            "choose_options": page_forms.currency_options(blank="Choose a currency"),
            "filter_options": page_forms.currency_options(blank="Any currency"),
            "convert_form": {
                "amount": convert_form["amount"],
                "from": convert_form["from"] or first_foreign,
                "to": convert_form["to"] or home_currency,
                "on": convert_form["on"] or date.today().isoformat(),
            },
            "convert_errors": convert_errors,
            "conversion": conversion,
            "add_form": add_form
            or {
                "rate_on": date.today().isoformat(),
                "base": first_foreign,
                "quote": home_currency,
                "rate": "",
            },
            "add_errors": add_errors or {},
            "upload_errors": upload_errors or [],
            "upload_problem": upload_problem,
            "example_csv": EXAMPLE_CSV,
            "missing": missing,
        },
        status_code=status_code,
    )


@router.get(RATES_PATH, response_class=HTMLResponse)
def rates_page(
    request: Request,
    ctx: PageTenant,
    session: SessionDep,
    base: str = "",
    quote: str = "",
    cursor: str = "",
    amount: str = "",
    to: str = "",
    on: str = "",
) -> HTMLResponse:
    # "from" is a Python keyword: read it from the query string directly.
    convert_form = {
        "amount": amount,
        "from": request.query_params.get("from", ""),
        "to": to,
        "on": on,
    }
    return _page(
        request,
        session,
        ctx,
        base=base,
        quote=quote,
        cursor=cursor,
        convert_form=convert_form,
        status_code=200,
    )


def _rate_text(row: FxRate) -> str:
    return f"1 {row.base} = {row.rate} {row.quote}"


@router.post(RATES_PATH, response_class=HTMLResponse)
def add_rate(
    request: Request,
    ctx: WritablePageTenant,
    session: SessionDep,
    rate_on: FormText = "",
    base: FormText = "",
    quote: FormText = "",
    rate: FormText = "",
) -> Response:
    form = {"rate_on": rate_on, "base": base, "quote": quote, "rate": rate}
    errors: dict[str, str] = {}
    day = page_forms.day(rate_on, "rate_on", errors, required=True)
    base_code = page_forms.currency_code(base, "base", errors)
    quote_code = page_forms.currency_code(quote, "quote", errors)
    value = page_forms.number(
        rate, "rate", errors, locale=ctx.tenant.locale, required=True, label="a rate"
    )
    if not errors and day and base_code and quote_code and value is not None:
        try:
            with session.begin_nested():
                row = service.add_rate(
                    session,
                    tenant_id=ctx.tenant_id,
                    actor_id=ctx.user.id,
                    rate_on=day,
                    base=base_code,
                    quote=quote_code,
                    rate=value,
                )
        except ValidationFailed as exc:
            errors = page_forms.sentences(errors_by_field(exc))
        else:
            day_text = page_forms.day_text(row.rate_on, ctx.tenant.locale)
            flash(request, "success", f"Rate added: {_rate_text(row)} on {day_text}.")
            return redirect(RATES_PATH)
    return _page(
        request,
        session,
        ctx,
        add_form=form,
        add_errors=errors,
        status_code=422,
    )


@router.post(RATES_PATH + "/import", response_class=HTMLResponse)
async def import_rates(
    request: Request,
    ctx: WritablePageTenant,
    session: SessionDep,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    problem: str | None = None
    content = ""
    if file is None or not file.filename:
        problem = "Choose a CSV file of rates to upload."
    else:
        raw = await file.read(MAX_CSV_BYTES + 1)
        if len(raw) > MAX_CSV_BYTES:
            problem = "The file is larger than 5 MB. Split it into smaller files."
        else:
            try:
                content = raw.decode("utf-8")
            except UnicodeDecodeError:
                problem = "The file is not UTF-8 text. Save it as CSV (UTF-8) and try again."
    if problem is None:
        try:
            with session.begin_nested():
                result = service.import_rates_csv(
                    session, tenant_id=ctx.tenant_id, actor_id=ctx.user.id, content=content
                )
        except ValidationFailed as exc:
            return _page(
                request,
                session,
                ctx,
                upload_errors=exc.errors or [],
                upload_problem=exc.detail,
                status_code=422,
            )
        created = f"{result.created} new rate{'' if result.created == 1 else 's'}"
        updated = f"{result.updated} changed"
        flash(request, "success", f"Rates imported: {created}, {updated}.")
        return redirect(RATES_PATH)
    return _page(request, session, ctx, upload_problem=problem, status_code=422)


@router.post(RATES_PATH + "/{fx_rate_id:uuid}/delete", response_class=HTMLResponse)
def delete_rate(
    request: Request, fx_rate_id: uuid.UUID, ctx: WritablePageTenant, session: SessionDep
) -> Response:
    row = service.get_rate(session, tenant_id=ctx.tenant_id, fx_rate_id=fx_rate_id)
    text = f"{_rate_text(row)} on {page_forms.day_text(row.rate_on, ctx.tenant.locale)}"
    try:
        service.delete_rate(
            session, tenant_id=ctx.tenant_id, actor_id=ctx.user.id, fx_rate_id=fx_rate_id
        )
    except CofferError as exc:
        flash(request, "error", exc.detail)
    else:
        flash(request, "success", f"Rate deleted: {text}.")
    return redirect(RATES_PATH)
