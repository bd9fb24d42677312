"""REST routes of savings goals and their contributions (/api/v1/goals)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from coffer.budgets import goals as service
from coffer.budgets.models import GoalContribution, GoalStatus
from coffer.budgets.schemas_goals import (
    ContributionCreate,
    ContributionRead,
    ContributionUpdate,
    GoalCreate,
    GoalRead,
    GoalUpdate,
    MilestoneRead,
)
from coffer.ledger.api_common import patch_values
from coffer.ledger.common import decimal_text
from coffer.tenancy.deps import CurrentTenant, WritableTenant
from coffer.web.deps import SessionDep

router = APIRouter(prefix="/goals", tags=["goals"])

# A null in a PATCH clears these; any other null is "leave as it is".
_NULLABLE = frozenset({"target_date", "account_id", "notes"})


def _money(amount_minor: int | None, code: str) -> str | None:
    return None if amount_minor is None else decimal_text(amount_minor, code)


def goal_read(p: service.GoalProgress) -> GoalRead:
    goal, code = p.goal, p.goal.currency
    return GoalRead(
        id=goal.id,
        name=goal.name,
        target=decimal_text(goal.target_minor, code),
        currency=code,
        target_date=goal.target_date,
        account_id=goal.account_id,
        priority=goal.priority,
        status=GoalStatus(goal.status),
        notes=goal.notes,
        source=p.source.value,
        saved=decimal_text(p.saved_minor, code),
        left=decimal_text(p.left_minor, code),
        percent=p.percent,
        monthly_needed=_money(p.monthly_needed_minor, code),
        pace=decimal_text(p.pace_minor, code),
        projected_completion=p.projected_on,
        on_track=p.on_track,
        milestones=[
            MilestoneRead(
                percent=m.percent,
                amount=decimal_text(m.amount_minor, code),
                reached=m.reached,
                reached_on=m.reached_on,
            )
            for m in p.milestones
        ],
        unconverted=p.unconverted,
        created_at=goal.created_at,
        updated_at=goal.updated_at,
    )


def _contribution(row: GoalContribution, code: str) -> ContributionRead:
    return ContributionRead(
        id=row.id,
        goal_id=row.goal_id,
        day=row.day,
        amount=decimal_text(row.amount_minor, code),
        currency=code,
        transaction_id=row.transaction_id,
        note=row.note,
        created_at=row.created_at,
    )


@router.get("", response_model=list[GoalRead], summary="Goals with their progress")
def list_goals(
    session: SessionDep,
    context: CurrentTenant,
    goal_status: Annotated[GoalStatus | None, Query(alias="status")] = None,
) -> list[GoalRead]:
    goals = service.list_goals(session, tenant_id=context.tenant_id, status=goal_status)
    rows = service.progress_many(
        session, tenant_id=context.tenant_id, goals=goals, today=date.today()
    )
    return [goal_read(p) for p in rows]


@router.post(
    "",
    response_model=GoalRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create a goal (in the household's base currency)",
)
def create_goal(body: GoalCreate, session: SessionDep, context: WritableTenant) -> GoalRead:
    goal = service.create_goal(
        session, tenant_id=context.tenant_id, actor_id=context.user.id, **body.model_dump()
    )
    return goal_read(
        service.progress(session, tenant_id=context.tenant_id, goal=goal, today=date.today())
    )


@router.get("/{savings_goal_id}", response_model=GoalRead, summary="One goal with its progress")
def get_goal(savings_goal_id: uuid.UUID, session: SessionDep, context: CurrentTenant) -> GoalRead:
    goal = service.get_goal(session, tenant_id=context.tenant_id, goal_id=savings_goal_id)
    return goal_read(
        service.progress(session, tenant_id=context.tenant_id, goal=goal, today=date.today())
    )


@router.patch("/{savings_goal_id}", response_model=GoalRead, summary="Change a goal")
def update_goal(
    savings_goal_id: uuid.UUID, body: GoalUpdate, session: SessionDep, context: WritableTenant
) -> GoalRead:
    goal = service.update_goal(
        session,
        tenant_id=context.tenant_id,
        actor_id=context.user.id,
        goal_id=savings_goal_id,
        values=patch_values(body, nullable=_NULLABLE),  # type: ignore[arg-type]
    )
    return goal_read(
        service.progress(session, tenant_id=context.tenant_id, goal=goal, today=date.today())
    )


@router.delete(
    "/{savings_goal_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_model=None,
    summary="Delete a goal and its contributions",
)
def delete_goal(
    savings_goal_id: uuid.UUID, session: SessionDep, context: WritableTenant
) -> Response:
    service.delete_goal(
        session, tenant_id=context.tenant_id, actor_id=context.user.id, goal_id=savings_goal_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- contributions ---------------------------------------------------------------------


@router.get(
    "/{savings_goal_id}/contributions",
    response_model=list[ContributionRead],
    summary="A goal's contributions, newest first",
)
def list_contributions(
    savings_goal_id: uuid.UUID, session: SessionDep, context: CurrentTenant
) -> list[ContributionRead]:
    goal = service.get_goal(session, tenant_id=context.tenant_id, goal_id=savings_goal_id)
    rows = service.list_contributions(session, tenant_id=context.tenant_id, goal_id=goal.id)
    return [_contribution(r, goal.currency) for r in rows]


@router.post(
    "/{savings_goal_id}/contributions",
    response_model=ContributionRead,
    status_code=status.HTTP_201_CREATED,
    summary="Record a contribution (by hand, or linked to a transaction)",
)
def add_contribution(
    savings_goal_id: uuid.UUID,
    body: ContributionCreate,
    session: SessionDep,
    context: WritableTenant,
) -> ContributionRead:
    row = service.add_contribution(
        session,
        tenant_id=context.tenant_id,
        actor_id=context.user.id,
        goal_id=savings_goal_id,
        **body.model_dump(),
    )
    goal = service.get_goal(session, tenant_id=context.tenant_id, goal_id=savings_goal_id)
    return _contribution(row, goal.currency)


@router.patch(
    "/{savings_goal_id}/contributions/{goal_contribution_id}",
    response_model=ContributionRead,
    summary="Change a contribution",
)
def update_contribution(
    savings_goal_id: uuid.UUID,
    goal_contribution_id: uuid.UUID,
    body: ContributionUpdate,
    session: SessionDep,
    context: WritableTenant,
) -> ContributionRead:
    row = service.update_contribution(
        session,
        tenant_id=context.tenant_id,
        actor_id=context.user.id,
        goal_id=savings_goal_id,
        contribution_id=goal_contribution_id,
        values=patch_values(body, nullable=frozenset({"transaction_id", "note"})),  # type: ignore[arg-type]
    )
    goal = service.get_goal(session, tenant_id=context.tenant_id, goal_id=savings_goal_id)
    return _contribution(row, goal.currency)


@router.delete(
    "/{savings_goal_id}/contributions/{goal_contribution_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_model=None,
    summary="Delete a contribution",
)
def delete_contribution(
    savings_goal_id: uuid.UUID,
    goal_contribution_id: uuid.UUID,
    session: SessionDep,
    context: WritableTenant,
) -> Response:
    service.delete_contribution(
        session,
        tenant_id=context.tenant_id,
        actor_id=context.user.id,
        goal_id=savings_goal_id,
        contribution_id=goal_contribution_id,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
