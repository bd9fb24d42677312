"""REST routes of budgets: list with their status on a day, one with its past periods,
create, change, delete, amounts set from history, the status of all, and alerts."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.orm import Session

from coffer.budgets import budgets as service
from coffer.budgets.models import PeriodKind, Rollover
from coffer.budgets.schemas_budgets import (
    AlertRead,
    AmountChangeRead,
    BudgetCreate,
    BudgetDetail,
    BudgetRead,
    BudgetsStatusRead,
    BudgetUpdate,
    ChildRead,
    PeriodRead,
    SetFromHistory,
    SetManyFromHistory,
    StatusRead,
    TotalsRead,
)
from coffer.ledger.api_common import idempotent, patch_values
from coffer.ledger.common import decimal_text
from coffer.tenancy.deps import CurrentTenant, WritableTenant
from coffer.web.deps import SessionDep
from coffer.web.idempotency import IdempotencyKeyDep

router = APIRouter()

OnQuery = Annotated[
    date | None, Query(description="The day whose period is shown; defaults to today.")
]


def _status(s: service.BudgetStatus, code: str) -> StatusRead:
    def money(value: int) -> str:
        return decimal_text(value, code)

    return StatusRead(
        period_start=s.period.start,
        period_end=s.period.end,
        budgeted=money(s.budgeted),
        carried_in=money(s.carried_in),
        available=money(s.available),
        actual=money(s.actual),
        left=money(s.left),
        percent=s.percent,
        left_per_day=money(s.left_per_day),
        days_left=s.days_left,
        projected=money(s.projected),
        will_exceed=s.will_exceed,
        state=s.state,
        transactions=s.transactions_query(),
        children=[
            ChildRead(category_id=c.category_id, name=c.name, actual=money(c.actual_minor))
            for c in s.children
        ],
    )


def _read(s: service.BudgetStatus, code: str) -> BudgetRead:
    b = s.budget
    return BudgetRead(
        id=b.id,
        category_id=b.category_id,
        category_name=s.category_name,
        kind="income" if s.is_income else "expense",
        is_group=s.is_group,
        user_id=b.user_id,
        user_name=s.user_name,
        account_ids=[uuid.UUID(a) for a in b.account_ids or []],
        currency=b.currency,
        period_kind=PeriodKind(b.period_kind),
        start_day=b.start_day,
        anchor=b.anchor,
        rollover=Rollover(b.rollover),
        starts_on=b.starts_on,
        notes=b.notes,
        archived=b.archived,
        amount=decimal_text(s.budgeted, code),
        created_at=b.created_at,
        status=_status(s, code),
    )


def _detail(
    session: Session, tenant_id: uuid.UUID, budget_id: uuid.UUID, on: date, history: int
) -> BudgetDetail:
    s = service.budget_status(
        session, tenant_id=tenant_id, budget_id=budget_id, on=on, history=history
    )
    code = s.budget.currency
    rows = service.amounts_of(session, tenant_id=tenant_id, budget_ids=[budget_id])[budget_id]
    return BudgetDetail(
        **_read(s, code).model_dump(),
        history=[
            PeriodRead(
                period_start=p.period.start,
                period_end=p.period.end,
                budgeted=decimal_text(p.budgeted, code),
                carried_in=decimal_text(p.carried_in, code),
                available=decimal_text(p.available, code),
                actual=decimal_text(p.actual, code),
                left=decimal_text(p.left, code),
                carried_out=decimal_text(p.carried_out, code),
            )
            for p in s.history
        ],
        amounts=[
            AmountChangeRead(
                effective_from=r.effective_from, amount=decimal_text(r.amount_minor, code)
            )
            for r in rows
        ],
    )


@router.get(
    "/budgets/status",
    response_model=BudgetsStatusRead,
    tags=["budgets"],
    summary="Every budget's status on a day, with the household's totals and income plan",
)
def budgets_status(
    session: SessionDep, context: CurrentTenant, on: OnQuery = None
) -> BudgetsStatusRead:
    report = service.status(session, tenant_id=context.tenant_id, on=on or date.today())
    code = report.currency
    totals = report.totals()
    return BudgetsStatusRead(
        on=report.on,
        currency=code,
        household=TotalsRead(**{k: decimal_text(v, code) for k, v in totals.items()}),
        income_planned=decimal_text(sum(s.available for s in report.income), code),
        income_actual=decimal_text(sum(s.actual for s in report.income), code),
        budgets=[_read(s, code) for s in report.budgets],
        missing_rates=report.missing_rates,
    )


@router.get(
    "/budgets/alerts",
    response_model=list[AlertRead],
    tags=["budgets"],
    summary="Budgets at or past 80% and 100% of what they have this period",
)
def budget_alerts(
    session: SessionDep, context: CurrentTenant, on: OnQuery = None
) -> list[AlertRead]:
    found = service.alerts(session, tenant_id=context.tenant_id, today=on or date.today())
    return [AlertRead.model_validate(a, from_attributes=True) for a in found]


@router.post(
    "/budgets/set-from-history",
    response_model=list[BudgetRead],
    tags=["budgets"],
    summary="Set many budgets' amounts from their last period or last three periods",
)
def set_many_from_history(
    body: SetManyFromHistory, session: SessionDep, context: WritableTenant
) -> list[BudgetRead]:
    ids = body.budget_ids or [
        b.id for b in service.list_budgets(session, tenant_id=context.tenant_id)
    ]
    today = date.today()
    service.set_from_history(
        session,
        tenant_id=context.tenant_id,
        actor_id=context.user.id,
        budget_ids=ids,
        method=body.method,
        today=today,
    )
    report = service.status(session, tenant_id=context.tenant_id, on=today, budget_ids=ids)
    return [_read(s, report.currency) for s in report.budgets]


@router.get(
    "/budgets",
    response_model=list[BudgetRead],
    tags=["budgets"],
    summary="Budgets with their status in the period containing `on`",
)
def list_budgets(
    session: SessionDep,
    context: CurrentTenant,
    on: OnQuery = None,
    include_archived: Annotated[bool, Query()] = False,
) -> list[BudgetRead]:
    report = service.status(
        session,
        tenant_id=context.tenant_id,
        on=on or date.today(),
        include_archived=include_archived,
    )
    return [_read(s, report.currency) for s in report.budgets]


@router.post(
    "/budgets",
    response_model=BudgetDetail,
    status_code=status.HTTP_201_CREATED,
    tags=["budgets"],
    summary="Create a budget (household, or one member's with user_id; honours Idempotency-Key)",
)
def create_budget(
    body: BudgetCreate,
    session: SessionDep,
    context: WritableTenant,
    idempotency: IdempotencyKeyDep,
) -> Any:
    def produce() -> BudgetDetail:
        values = body.model_dump()
        values["period_kind"] = body.period_kind.value
        values["rollover"] = body.rollover.value
        budget = service.create_budget(
            session, tenant_id=context.tenant_id, actor_id=context.user.id, **values
        )
        return _detail(session, context.tenant_id, budget.id, date.today(), 0)

    return idempotent(session, idempotency, context, status_code=201, produce=produce)


@router.get(
    "/budgets/{budget_id}",
    response_model=BudgetDetail,
    tags=["budgets"],
    summary="One budget: its status on `on`, its earlier periods and its amount changes",
)
def get_budget(
    budget_id: uuid.UUID,
    session: SessionDep,
    context: CurrentTenant,
    on: OnQuery = None,
    periods: Annotated[
        int, Query(ge=0, le=service.MAX_HISTORY, description="Earlier periods to include.")
    ] = 6,
) -> BudgetDetail:
    return _detail(session, context.tenant_id, budget_id, on or date.today(), periods)


@router.patch(
    "/budgets/{budget_id}", response_model=BudgetDetail, tags=["budgets"], summary="Change"
)
def update_budget(
    budget_id: uuid.UUID, body: BudgetUpdate, session: SessionDep, context: WritableTenant
) -> BudgetDetail:
    values = patch_values(body, nullable=frozenset({"start_day", "anchor", "user_id", "notes"}))
    for name in ("period_kind", "rollover"):
        if name in values:
            values[name] = values[name].value
    service.update_budget(
        session,
        tenant_id=context.tenant_id,
        actor_id=context.user.id,
        budget_id=budget_id,
        values=values,
    )
    return _detail(session, context.tenant_id, budget_id, date.today(), 0)


@router.delete(
    "/budgets/{budget_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_model=None,
    tags=["budgets"],
    summary="Delete a budget and its amount history",
)
def delete_budget(budget_id: uuid.UUID, session: SessionDep, context: WritableTenant) -> Response:
    service.delete_budget(
        session, tenant_id=context.tenant_id, actor_id=context.user.id, budget_id=budget_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/budgets/{budget_id}/set-from-history",
    response_model=BudgetDetail,
    tags=["budgets"],
    summary="Set the amount, from this period on, from the last period or last three",
)
def set_from_history(
    budget_id: uuid.UUID, body: SetFromHistory, session: SessionDep, context: WritableTenant
) -> BudgetDetail:
    service.set_from_history(
        session,
        tenant_id=context.tenant_id,
        actor_id=context.user.id,
        budget_ids=[budget_id],
        method=body.method,
    )
    return _detail(session, context.tenant_id, budget_id, date.today(), 3)
