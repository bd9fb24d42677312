"""REST routes of transactions (search, create with splits, change, delete), bulk
actions and transfers. Every POST that writes money honours Idempotency-Key.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.orm import Session

from coffer.ledger import service
from coffer.ledger.api_common import (
    converter,
    idempotent,
    patch_values,
    transaction_read,
    transaction_reads,
)
from coffer.ledger.schemas import (
    BulkRequest,
    BulkResultRead,
    TransactionCreate,
    TransactionPage,
    TransactionQuery,
    TransactionRead,
    TransactionUpdate,
    TransferCreate,
    TransferRead,
)
from coffer.tenancy.deps import CurrentTenant, TenantContext, WritableTenant
from coffer.web.deps import SessionDep
from coffer.web.idempotency import IdempotencyKeyDep

router = APIRouter(tags=["transactions"])

TRANSACTION_NULLABLE = frozenset(
    {"payee", "merchant_id", "merchant", "memo", "notes", "category_id", "splits"}
)
Unlock = Annotated[bool, Query(description="Allow deleting reconciled transactions.")]


def to_filter(query: TransactionQuery) -> service.TransactionFilter:
    return service.TransactionFilter(
        date_from=query.date_from,
        date_to=query.date_to,
        account_ids=tuple(query.account_ids),
        category_ids=tuple(query.category_ids),
        uncategorised=query.uncategorised,
        tag_ids=tuple(query.tag_ids),
        merchant_ids=tuple(query.merchant_ids),
        amount_min=query.amount_min,
        amount_max=query.amount_max,
        text=query.text,
        statuses=tuple(query.statuses),
        transfers=query.transfers,
    )


def _splits(lines: list[Any] | None) -> list[service.SplitLine] | None:
    if lines is None:
        return None
    return [
        service.SplitLine(amount=line.amount, category_id=line.category_id, memo=line.memo)
        for line in lines
    ]


@router.get(
    "/transactions",
    response_model=TransactionPage,
    summary="Search transactions (newest first, keyset pages)",
)
def search_transactions(
    session: SessionDep,
    context: CurrentTenant,
    filters: Annotated[TransactionQuery, Query()],
    saved_filter_id: Annotated[
        uuid.UUID | None,
        Query(description="Start from one of your saved filters; other parameters add to it."),
    ] = None,
    limit: Annotated[int | None, Query(ge=1, le=500)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> TransactionPage:
    if saved_filter_id is not None:
        saved = service.get_saved_filter(
            session,
            tenant_id=context.tenant_id,
            user_id=context.user.id,
            saved_filter_id=saved_filter_id,
        )
        merged = {**saved.query, **filters.model_dump(mode="json", exclude_defaults=True)}
        filters = TransactionQuery.model_validate(merged)
    page = service.search_transactions(
        session,
        tenant_id=context.tenant_id,
        filters=to_filter(filters),
        limit=limit,
        cursor=cursor,
    )
    return TransactionPage(
        items=transaction_reads(page.items, converter(session, context)),
        next_cursor=page.next_cursor,
    )


@router.post(
    "/transactions",
    response_model=TransactionRead,
    status_code=status.HTTP_201_CREATED,
    summary="Record a transaction, optionally split (honours Idempotency-Key)",
)
def create_transaction(
    body: TransactionCreate,
    session: SessionDep,
    context: WritableTenant,
    idempotency: IdempotencyKeyDep,
) -> Any:
    def produce() -> TransactionRead:
        fields = body.model_dump(exclude={"splits"})
        txn = service.post_transaction(
            session,
            tenant_id=context.tenant_id,
            actor_id=context.user.id,
            splits=_splits(body.splits),
            **fields,
        )
        return transaction_read(session, context, txn)

    return idempotent(session, idempotency, context, status_code=201, produce=produce)


@router.post(
    "/transactions/bulk",
    response_model=BulkResultRead,
    summary="Recategorise, tag, untag, mark cleared or delete a selection",
)
def bulk(
    body: BulkRequest,
    session: SessionDep,
    context: WritableTenant,
    idempotency: IdempotencyKeyDep,
) -> Any:
    def produce() -> BulkResultRead:
        result = service.bulk_update(
            session,
            tenant_id=context.tenant_id,
            actor_id=context.user.id,
            action=body.action,
            ids=body.ids,
            category_id=body.category_id,
            tag_id=body.tag_id,
            unlock=body.unlock,
        )
        return BulkResultRead(action=result.action, changed=result.changed, skipped=result.skipped)

    return idempotent(session, idempotency, context, status_code=200, produce=produce)


@router.get(
    "/transactions/{transaction_id}", response_model=TransactionRead, summary="One transaction"
)
def get_transaction(
    transaction_id: uuid.UUID, session: SessionDep, context: CurrentTenant
) -> TransactionRead:
    txn = service.get_transaction(
        session, tenant_id=context.tenant_id, transaction_id=transaction_id
    )
    return transaction_read(session, context, txn)


@router.patch(
    "/transactions/{transaction_id}",
    response_model=TransactionRead,
    summary="Change a transaction (a transfer leg changes its other leg too)",
)
def update_transaction(
    transaction_id: uuid.UUID,
    body: TransactionUpdate,
    session: SessionDep,
    context: WritableTenant,
) -> TransactionRead:
    values = patch_values(body, nullable=TRANSACTION_NULLABLE)
    unlock = bool(values.pop("unlock", False))
    if "splits" in values:
        values["splits"] = _splits(body.splits)
    txn = service.update_transaction(
        session,
        tenant_id=context.tenant_id,
        actor_id=context.user.id,
        transaction_id=transaction_id,
        values=values,  # type: ignore[arg-type]
        unlock=unlock,
    )
    return transaction_read(session, context, txn)


@router.delete(
    "/transactions/{transaction_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_model=None,
    summary="Delete a transaction (both legs of a transfer)",
)
def delete_transaction(
    transaction_id: uuid.UUID,
    session: SessionDep,
    context: WritableTenant,
    unlock: Unlock = False,
) -> Response:
    service.delete_transaction(
        session,
        tenant_id=context.tenant_id,
        actor_id=context.user.id,
        transaction_id=transaction_id,
        unlock=unlock,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- transfers ------------------------------------------------------------------------


def _transfer_read(
    session: Session, context: TenantContext, transfer: service.Transfer
) -> TransferRead:
    views = service.load_views(
        session, tenant_id=context.tenant_id, txns=[transfer.sent, transfer.received]
    )
    sent, received = transaction_reads(views, converter(session, context))
    return TransferRead(
        id=transfer.id,
        posted_on=transfer.sent.posted_on,
        fx_rate=str(transfer.fx_rate) if transfer.fx_rate is not None else None,
        sent=sent,
        received=received,
    )


@router.post(
    "/transfers",
    response_model=TransferRead,
    status_code=status.HTTP_201_CREATED,
    tags=["transfers"],
    summary="Move money between two accounts (honours Idempotency-Key)",
)
def create_transfer(
    body: TransferCreate,
    session: SessionDep,
    context: WritableTenant,
    idempotency: IdempotencyKeyDep,
) -> Any:
    def produce() -> TransferRead:
        transfer = service.create_transfer(
            session, tenant_id=context.tenant_id, actor_id=context.user.id, **body.model_dump()
        )
        return _transfer_read(session, context, transfer)

    return idempotent(session, idempotency, context, status_code=201, produce=produce)


@router.get(
    "/transfers/{transfer_id}",
    response_model=TransferRead,
    tags=["transfers"],
    summary="A transfer",
)
def get_transfer(
    transfer_id: uuid.UUID, session: SessionDep, context: CurrentTenant
) -> TransferRead:
    transfer = service.get_transfer(session, tenant_id=context.tenant_id, transfer_id=transfer_id)
    return _transfer_read(session, context, transfer)


@router.delete(
    "/transfers/{transfer_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_model=None,
    tags=["transfers"],
    summary="Delete both legs of a transfer",
)
def delete_transfer(
    transfer_id: uuid.UUID,
    session: SessionDep,
    context: WritableTenant,
    unlock: Unlock = False,
) -> Response:
    service.delete_transfer(
        session,
        tenant_id=context.tenant_id,
        actor_id=context.user.id,
        transfer_id=transfer_id,
        unlock=unlock,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
