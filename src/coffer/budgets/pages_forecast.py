"""The cash-flow forecast page: for each account a line of its balance over the next
days (with its low-balance threshold drawn across it), the first day it would go below
that threshold said plainly, the flows behind it, and the form to set the threshold.

The chart is an SVG drawn on the server (like the accounts page's trend lines), so it
needs no JavaScript and can carry the threshold line; a table below it has the same
figures for anyone the drawing does not reach.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from coffer.budgets import forecast as service
from coffer.core.money import from_minor
from coffer.errors import CofferError
from coffer.ledger import page_forms
from coffer.tenancy.deps import PageTenant, TenantContext, WritablePageTenant
from coffer.web.csrf import verify_csrf
from coffer.web.deps import SessionDep
from coffer.web.forms import FormText, errors_by_field, redirect
from coffer.web.templating import flash, render

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)

PATH = "/forecast"
DAY_CHOICES = (30, 90, 180, 365)
CHART_W, CHART_H, CHART_PAD = 600.0, 160.0, 8.0


@dataclass(frozen=True, slots=True)
class Chart:
    """The balance as an SVG polyline in a CHART_W × CHART_H box, the threshold as a
    horizontal line, and the breach (if any) as a dot."""

    points: str
    threshold_y: float | None
    breach: tuple[float, float] | None
    low: Decimal
    high: Decimal


@dataclass(frozen=True, slots=True)
class FlowLine:
    first: date
    last: date
    label: str
    kind: str
    amount: Decimal
    days: int


@dataclass(frozen=True, slots=True)
class AccountView:
    item: service.AccountForecast
    chart: Chart
    flows: list[FlowLine]
    opening: Decimal
    threshold: Decimal | None
    closing: Decimal
    lowest: Decimal
    breach_balance: Decimal | None
    weekly: list[tuple[date, Decimal]]

    @property
    def code(self) -> str:
        return self.item.currency


def chart(item: service.AccountForecast) -> Chart:
    values = [p.balance for p in item.points]
    limit = [] if item.threshold_minor is None else [item.threshold_minor]
    low = min([*values, *limit])
    high = max([*values, *limit])
    span = high - low or 1
    step = (CHART_W - 2 * CHART_PAD) / max(len(values) - 1, 1)

    def y(value: int) -> float:
        return round(CHART_PAD + (high - value) / span * (CHART_H - 2 * CHART_PAD), 1)

    coords = [(round(CHART_PAD + i * step, 1), y(v)) for i, v in enumerate(values)]
    breach = None
    if item.breach is not None:
        index = (item.breach.day - item.points[0].day).days
        breach = coords[index]
    return Chart(
        points=" ".join(f"{x:g},{yy:g}" for x, yy in coords),
        threshold_y=None if item.threshold_minor is None else y(item.threshold_minor),
        breach=breach,
        low=from_minor(low, item.currency),
        high=from_minor(high, item.currency),
    )


def flow_lines(item: service.AccountForecast) -> list[FlowLine]:
    """Bills and income one by one; each budget's daily share as one line."""
    code = item.currency
    lines: list[FlowLine] = []
    budgets: dict[str, list[service.FlowItem]] = {}
    for flow in item.flows:
        if flow.kind == service.BUDGET:
            budgets.setdefault(flow.label, []).append(flow)
        else:
            amount = from_minor(flow.amount_minor, code)
            lines.append(FlowLine(flow.day, flow.day, flow.label, flow.kind, amount, 1))
    for label, flows in budgets.items():
        total = from_minor(sum(f.amount_minor for f in flows), code)
        lines.append(
            FlowLine(flows[0].day, flows[-1].day, label, service.BUDGET, total, len(flows))
        )
    return sorted(lines, key=lambda line: (line.first, line.kind != service.INCOME, line.label))


def account_view(item: service.AccountForecast) -> AccountView:
    code = item.currency
    return AccountView(
        item=item,
        chart=chart(item),
        flows=flow_lines(item),
        opening=from_minor(item.opening_minor, code),
        threshold=None if item.threshold_minor is None else from_minor(item.threshold_minor, code),
        closing=from_minor(item.closing_minor, code),
        lowest=from_minor(item.lowest.balance, code),
        breach_balance=None if item.breach is None else from_minor(item.breach.balance, code),
        weekly=[(p.day, from_minor(p.balance, code)) for p in item.points[::7]],
    )


def _page(
    request: Request,
    session: Session,
    ctx: TenantContext,
    days: int,
    *,
    errors: dict[uuid.UUID, dict[str, str]] | None = None,
    values: dict[uuid.UUID, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    result = service.forecast(session, tenant_id=ctx.tenant_id, today=date.today(), days=days)
    views = [account_view(a) for a in result.accounts]
    spending = next(
        (v.item.account.name for v in views if v.item.account.id == result.spending_account_id),
        None,
    )
    return render(
        request,
        "budgets/forecast/index.html",
        {
            "active_nav": "forecast",
            "can_write": ctx.role.can_write,
            "result": result,
            "views": views,
            "breaches": [v for v in views if v.item.breach is not None],
            "spending_account": spending,
            "days": days,
            "day_choices": DAY_CHOICES,
            "chart": {"w": CHART_W, "h": CHART_H},
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status_code,
    )


@router.get(PATH, response_class=HTMLResponse)
def forecast_page(
    request: Request,
    ctx: PageTenant,
    session: SessionDep,
    days: Annotated[int, Query(ge=1, le=service.MAX_DAYS)] = service.DEFAULT_DAYS,
) -> HTMLResponse:
    return _page(request, session, ctx, days)


@router.post(PATH + "/thresholds/{account_id:uuid}", response_class=HTMLResponse)
def save_threshold(
    request: Request,
    account_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    threshold: FormText = "",
    reset: FormText = "",
    days: FormText = "",
) -> Response:
    horizon = int(days) if days.isdigit() and 1 <= int(days) <= service.MAX_DAYS else 90
    back = f"{PATH}?days={horizon}#account-{account_id}"
    if reset:
        item = service.clear_threshold(
            session, tenant_id=ctx.tenant_id, actor_id=ctx.user.id, account_id=account_id
        )
        flash(request, "success", f"{item.account.name} is back to its default threshold.")
        return redirect(back)
    errors: dict[str, str] = {}
    amount = page_forms.number(
        threshold, "threshold", errors, locale=ctx.tenant.locale, required=True, label="an amount"
    )
    if not errors and amount is not None:
        try:
            with session.begin_nested():
                item = service.set_threshold(
                    session,
                    tenant_id=ctx.tenant_id,
                    actor_id=ctx.user.id,
                    account_id=account_id,
                    threshold=amount,
                )
        except CofferError as exc:
            if exc.status == 404:
                raise
            errors = errors_by_field(exc)
    if errors:
        return _page(
            request,
            session,
            ctx,
            horizon,
            errors={account_id: page_forms.sentences(errors)},
            values={account_id: threshold},
            status_code=422,
        )
    flash(request, "success", f"The forecast warns when {item.account.name} would go below it.")
    return redirect(back)
