"""REST routes of the cash-flow forecast and its low-balance thresholds (/api/v1/forecast)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from coffer.budgets import forecast as service
from coffer.budgets.schemas_goals import (
    AccountForecastRead,
    ForecastBreachRead,
    ForecastDayRead,
    ForecastFlowRead,
    ForecastRead,
    ThresholdRead,
    ThresholdSet,
)
from coffer.ledger.common import decimal_text
from coffer.tenancy.deps import CurrentTenant, WritableTenant
from coffer.web.deps import SessionDep

router = APIRouter(prefix="/forecast", tags=["forecast"])


def _account(item: service.AccountForecast) -> AccountForecastRead:
    code = item.currency
    breach = item.breach
    return AccountForecastRead(
        account_id=item.account.id,
        account=item.account.name,
        currency=code,
        opening=decimal_text(item.opening_minor, code),
        threshold=None
        if item.threshold_minor is None
        else decimal_text(item.threshold_minor, code),
        lowest=decimal_text(item.lowest.balance, code),
        lowest_on=item.lowest.day,
        closing=decimal_text(item.closing_minor, code),
        first_breach=None
        if breach is None
        else ForecastBreachRead(
            day=breach.day,
            balance=decimal_text(breach.balance, code),
            threshold=decimal_text(breach.threshold, code),
        ),
        flows=[
            ForecastFlowRead(
                day=f.day,
                amount=decimal_text(f.amount_minor, code),
                label=f.label,
                kind=f.kind,
                bill_id=f.bill_id,
            )
            for f in item.flows
        ],
        days=[
            ForecastDayRead(day=p.day, balance=decimal_text(p.balance, code)) for p in item.points
        ],
    )


@router.get(
    "",
    response_model=ForecastRead,
    summary="Each account's balance, day by day, from today (bills, income, budgets)",
)
def get_forecast(
    session: SessionDep,
    context: CurrentTenant,
    days: Annotated[int, Query(ge=1, le=service.MAX_DAYS)] = service.DEFAULT_DAYS,
    account_id: Annotated[uuid.UUID | None, Query()] = None,
) -> ForecastRead:
    result = service.forecast(
        session, tenant_id=context.tenant_id, today=date.today(), days=days, account_id=account_id
    )
    return ForecastRead(
        start=result.start,
        end=result.end,
        budget_account_id=result.spending_account_id,
        accounts=[_account(a) for a in result.accounts],
    )


def _threshold(item: service.Threshold) -> ThresholdRead:
    return ThresholdRead(
        account_id=item.account.id,
        account=item.account.name,
        currency=item.account.currency,
        threshold=decimal_text(item.threshold_minor, item.account.currency),
        is_default=item.is_default,
    )


@router.get(
    "/thresholds",
    response_model=list[ThresholdRead],
    summary="Each open account's low-balance threshold (zero unless set)",
)
def list_thresholds(session: SessionDep, context: CurrentTenant) -> list[ThresholdRead]:
    return [_threshold(t) for t in service.list_thresholds(session, tenant_id=context.tenant_id)]


@router.put(
    "/thresholds/{account_id}",
    response_model=ThresholdRead,
    summary="Warn when this account would go below an amount (its currency)",
)
def set_threshold(
    account_id: uuid.UUID, body: ThresholdSet, session: SessionDep, context: WritableTenant
) -> ThresholdRead:
    item = service.set_threshold(
        session,
        tenant_id=context.tenant_id,
        actor_id=context.user.id,
        account_id=account_id,
        threshold=body.threshold,
    )
    return _threshold(item)


@router.delete(
    "/thresholds/{account_id}",
    response_model=ThresholdRead,
    summary="Back to the default threshold: warn below zero",
)
def clear_threshold(
    account_id: uuid.UUID, session: SessionDep, context: WritableTenant
) -> ThresholdRead:
    item = service.clear_threshold(
        session, tenant_id=context.tenant_id, actor_id=context.user.id, account_id=account_id
    )
    return _threshold(item)
