"""GET /transactions/export.csv: the transactions a search finds, as a CSV file.

The filters are those of GET /transactions (account_ids, date_from, date_to, categories,
tags, text, ...), plus `account_id` for one account. They are checked, and the accounts
looked up, before the first byte is sent, so a bad filter is an ordinary 422 or 404.
The rows then stream a page at a time from a read-only unit of work of their own (the
request's session ends when the route returns), as the same user in the same household.

This router is included before api_transactions (see api.py), so that the path is not
taken for GET /transactions/{transaction_id}.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from coffer.ledger import service
from coffer.ledger.api_transactions import to_filter
from coffer.ledger.export_csv import export_lines
from coffer.ledger.schemas import TransactionQuery
from coffer.tenancy.deps import CurrentTenant
from coffer.web.deps import DatabaseDep, SessionDep

router = APIRouter(tags=["transactions"])

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


def export_filter(
    session: Session,
    tenant_id: uuid.UUID,
    filters: TransactionQuery,
    account_id: uuid.UUID | None,
) -> service.TransactionFilter:
    """The search an export runs, checked before the first byte is sent: `account_id`
    joins the accounts, each account is looked up (404), and a bad combination of
    filters is refused (422)."""
    if account_id is not None and account_id not in filters.account_ids:
        filters = filters.model_copy(update={"account_ids": [*filters.account_ids, account_id]})
    for wanted in filters.account_ids:
        service.get_account(session, tenant_id=tenant_id, account_id=wanted)
    search = to_filter(filters)
    service.search_transactions(session, tenant_id=tenant_id, filters=search, limit=1)
    return search


@router.get(
    "/transactions/export.csv",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "One row per transaction, newest first, with a header row",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
    summary="Export transactions as CSV (the filters of GET /transactions)",
)
def export_transactions_csv(
    session: SessionDep,
    database: DatabaseDep,
    context: CurrentTenant,
    filters: Annotated[TransactionQuery, Query()],
    account_id: Annotated[
        uuid.UUID | None, Query(description="One account; the same as account_ids=<id>.")
    ] = None,
) -> StreamingResponse:
    search = export_filter(session, context.tenant_id, filters, account_id)
    user_id, tenant_id = context.user.id, context.tenant_id

    def lines() -> Iterator[bytes]:
        with database.unit_of_work(user_id=user_id, tenant_id=tenant_id) as reader:
            for text in export_lines(reader, tenant_id=tenant_id, filters=search):
                yield text.encode("utf-8")

    filename = f"coffer-transactions-{date.today().isoformat()}.csv"
    return StreamingResponse(
        lines(),
        media_type=CSV_MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
