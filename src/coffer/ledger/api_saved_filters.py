"""REST routes of saved transaction filters, each private to the person who saved it."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from coffer.ledger import service
from coffer.ledger.models import SavedFilter
from coffer.ledger.schemas import (
    SavedFilterCreate,
    SavedFilterRead,
    SavedFilterUpdate,
    TransactionQuery,
)
from coffer.tenancy.deps import CurrentTenant
from coffer.web.deps import SessionDep

router = APIRouter()


def _saved(row: SavedFilter) -> SavedFilterRead:
    return SavedFilterRead(
        id=row.id,
        name=row.name,
        query=TransactionQuery.model_validate(row.query),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@router.get(
    "/saved-filters",
    response_model=list[SavedFilterRead],
    tags=["saved-filters"],
    summary="Your saved transaction filters",
)
def list_saved_filters(session: SessionDep, context: CurrentTenant) -> list[SavedFilterRead]:
    rows = service.list_saved_filters(session, tenant_id=context.tenant_id, user_id=context.user.id)
    return [_saved(r) for r in rows]


@router.post(
    "/saved-filters",
    response_model=SavedFilterRead,
    status_code=status.HTTP_201_CREATED,
    tags=["saved-filters"],
    summary="Save a filter (private to you)",
)
def create_saved_filter(
    body: SavedFilterCreate, session: SessionDep, context: CurrentTenant
) -> SavedFilterRead:
    row = service.create_saved_filter(
        session,
        tenant_id=context.tenant_id,
        user_id=context.user.id,
        name=body.name,
        query=body.query.model_dump(mode="json", exclude_defaults=True),
    )
    return _saved(row)


@router.get(
    "/saved-filters/{saved_filter_id}",
    response_model=SavedFilterRead,
    tags=["saved-filters"],
    summary="One of your saved filters",
)
def get_saved_filter(
    saved_filter_id: uuid.UUID, session: SessionDep, context: CurrentTenant
) -> SavedFilterRead:
    row = service.get_saved_filter(
        session,
        tenant_id=context.tenant_id,
        user_id=context.user.id,
        saved_filter_id=saved_filter_id,
    )
    return _saved(row)


@router.patch(
    "/saved-filters/{saved_filter_id}",
    response_model=SavedFilterRead,
    tags=["saved-filters"],
    summary="Rename or change a saved filter",
)
def update_saved_filter(
    saved_filter_id: uuid.UUID,
    body: SavedFilterUpdate,
    session: SessionDep,
    context: CurrentTenant,
) -> SavedFilterRead:
    row = service.update_saved_filter(
        session,
        tenant_id=context.tenant_id,
        user_id=context.user.id,
        saved_filter_id=saved_filter_id,
        name=body.name,
        query=body.query.model_dump(mode="json", exclude_defaults=True) if body.query else None,
    )
    return _saved(row)


@router.delete(
    "/saved-filters/{saved_filter_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_model=None,
    tags=["saved-filters"],
    summary="Delete a saved filter",
)
def delete_saved_filter(
    saved_filter_id: uuid.UUID, session: SessionDep, context: CurrentTenant
) -> Response:
    service.delete_saved_filter(
        session,
        tenant_id=context.tenant_id,
        user_id=context.user.id,
        saved_filter_id=saved_filter_id,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
