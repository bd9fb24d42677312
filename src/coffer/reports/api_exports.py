"""GET /exports/...: the ledger as files to take elsewhere.

- /exports/hledger.journal and /exports/beancount.beancount: the whole book (or a date
  range, or the entries touching some accounts) as plain-text accounting journals that
  `hledger check` and `bean-check` accept, with the same balances as Coffer;
- /exports/transactions.xlsx: a transaction search (the filters of GET /transactions,
  like /transactions/export.csv) as a workbook;
- /exports/reports/{report}.csv and .xlsx: any report (the filters of its
  /reports/... route) as the table of coffer.reports.tables.

Any member may read them (CurrentTenant), as they may read the ledger itself; like the
CSV export, they are reads and are not written to the audit log. Filters are checked,
and accounts looked up, before the first byte is sent, so a bad filter is an ordinary
422 or 404. The journals then stream a page at a time from a read-only unit of work of
their own (the request's session ends when the route returns), as the same user in the
same household. An XLSX file is a zip that is only complete at its end, so the workbook
is written to a temporary file first and streamed from there.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from coffer.errors import field_error
from coffer.ledger import service
from coffer.ledger.api_export import export_filter
from coffer.ledger.schemas import TransactionQuery
from coffer.reports import service as reports
from coffer.reports import tables
from coffer.reports.api import report_filter
from coffer.reports.exports import beancount, journal, report_files, xlsx
from coffer.reports.exports.entries import Selection
from coffer.reports.schemas import ReportQuery
from coffer.tenancy.deps import CurrentTenant
from coffer.web.deps import DatabaseDep, SessionDep

router = APIRouter(tags=["exports"])

CHUNK_CHARS = 64 * 1024


class JournalQuery(BaseModel):
    """What a journal export covers; nothing given means the whole book."""

    date_from: date | None = Field(
        default=None,
        description="First day; earlier history arrives as balances carried forward.",
    )
    date_to: date | None = Field(default=None, description="Last day.")
    account_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=100,
        description="Only entries touching these accounts (whole, with both transfer legs).",
    )


def _selection(session: Session, tenant_id: uuid.UUID, query: JournalQuery) -> Selection:
    if query.date_from and query.date_to and query.date_from > query.date_to:
        raise field_error("date_from", "must not be after date_to")
    for wanted in query.account_ids:
        service.get_account(session, tenant_id=tenant_id, account_id=wanted)
    return Selection(
        date_from=query.date_from,
        date_to=query.date_to,
        account_ids=tuple(dict.fromkeys(query.account_ids)),
    )


def _attachment(filename: str) -> dict[str, str]:
    return {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    }


def _in_chunks(texts: Iterator[str]) -> Iterator[bytes]:
    """Entries joined into chunks of about 64 KiB: fewer, larger writes to the socket."""
    buffer: list[str] = []
    size = 0
    for text in texts:
        buffer.append(text)
        size += len(text)
        if size >= CHUNK_CHARS:
            yield "".join(buffer).encode("utf-8")
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode("utf-8")


def _journal_response(
    database: DatabaseDep,
    context: CurrentTenant,
    chunks: Callable[[Session], Iterator[str]],
    filename: str,
    media_type: str,
) -> StreamingResponse:
    user_id, tenant_id = context.user.id, context.tenant_id

    def body() -> Iterator[bytes]:
        with database.unit_of_work(user_id=user_id, tenant_id=tenant_id) as reader:
            yield from _in_chunks(chunks(reader))

    return StreamingResponse(body(), media_type=media_type, headers=_attachment(filename))


def _text_response(description: str) -> dict[int | str, dict[str, object]]:
    return {
        200: {"description": description, "content": {"text/plain": {"schema": {"type": "string"}}}}
    }


@router.get(
    "/exports/hledger.journal",
    response_class=StreamingResponse,
    responses=_text_response(
        "An hledger journal (UTF-8): commodity and account declarations, then one entry "
        "per transaction or transfer, by date"
    ),
    summary="Export the ledger as an hledger journal",
)
def export_hledger(
    session: SessionDep,
    database: DatabaseDep,
    context: CurrentTenant,
    query: Annotated[JournalQuery, Query()],
) -> StreamingResponse:
    selection = _selection(session, context.tenant_id, query)
    title, tenant_id = context.tenant.name, context.tenant_id

    def chunks(reader: Session) -> Iterator[str]:
        return journal.journal_chunks(reader, tenant_id=tenant_id, selection=selection, title=title)

    filename = f"coffer-{date.today().isoformat()}.journal"
    return _journal_response(database, context, chunks, filename, journal.MEDIA_TYPE)


@router.get(
    "/exports/beancount.beancount",
    response_class=StreamingResponse,
    responses=_text_response(
        "A Beancount file (UTF-8): options and account openings, then one entry per "
        "transaction or transfer, by date"
    ),
    summary="Export the ledger as a Beancount file",
)
def export_beancount(
    session: SessionDep,
    database: DatabaseDep,
    context: CurrentTenant,
    query: Annotated[JournalQuery, Query()],
) -> StreamingResponse:
    selection = _selection(session, context.tenant_id, query)
    title, base, tenant_id = context.tenant.name, context.tenant.base_currency, context.tenant_id

    def chunks(reader: Session) -> Iterator[str]:
        return beancount.beancount_chunks(
            reader, tenant_id=tenant_id, selection=selection, title=title, base_currency=base
        )

    filename = f"coffer-{date.today().isoformat()}.beancount"
    return _journal_response(database, context, chunks, filename, beancount.MEDIA_TYPE)


@router.get(
    "/exports/transactions.xlsx",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "One row per transaction, newest first, under a frozen header "
            "row: the columns of /transactions/export.csv, with date and number cells",
            "content": {xlsx.MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        }
    },
    summary="Export transactions as XLSX (the filters of GET /transactions)",
)
def export_transactions_xlsx(
    session: SessionDep,
    context: CurrentTenant,
    filters: Annotated[TransactionQuery, Query()],
    account_id: Annotated[
        uuid.UUID | None, Query(description="One account; the same as account_ids=<id>.")
    ] = None,
) -> StreamingResponse:
    search = export_filter(session, context.tenant_id, filters, account_id)
    spooled = xlsx.workbook_file(session, tenant_id=context.tenant_id, filters=search)
    filename = f"coffer-transactions-{date.today().isoformat()}.xlsx"
    return StreamingResponse(
        xlsx.stream_file(spooled), media_type=xlsx.MEDIA_TYPE, headers=_attachment(filename)
    )


class ReportName(StrEnum):
    """The reports (coffer.reports.tables.TITLES)."""

    monthly_summary = "monthly-summary"
    cash_flow = "cash-flow"
    income_statement = "income-statement"
    net_worth = "net-worth"
    top_merchants = "top-merchants"
    spending_by_tag = "spending-by-tag"
    category_trend = "category-trend"


class ReportExportQuery(ReportQuery):
    """The filter of the report's own route; `category_id` is the category trend's,
    `limit` the top merchants' (other reports ignore both)."""

    category_id: uuid.UUID | None = Field(
        default=None, description="category-trend only: the category it follows."
    )
    limit: int = Field(
        default=10, ge=1, le=reports.MAX_MERCHANTS, description="top-merchants only."
    )


def _report_file(
    session: Session,
    context: CurrentTenant,
    report: ReportName,
    query: ReportExportQuery,
    extension: str,
) -> Response:
    table = tables.build_table(
        session,
        tenant_id=context.tenant_id,
        base_currency=context.tenant.base_currency,
        slug=report.value,
        request=tables.TableRequest(
            filters=report_filter(query), category_id=query.category_id, limit=query.limit
        ),
    )
    body, media_type, name = report_files.as_file(table, extension)
    return Response(body, media_type=media_type, headers=_attachment(name))


@router.get(
    "/exports/reports/{report}.csv",
    response_class=Response,
    responses={
        200: {
            "description": "The report's table: a header row (money columns name the "
            "currency), then one row per line of the report, amounts as decimal strings",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
    summary="Export a report as CSV (the filters of its /reports/... route)",
)
def export_report_csv(
    session: SessionDep,
    context: CurrentTenant,
    report: ReportName,
    query: Annotated[ReportExportQuery, Query()],
) -> Response:
    return _report_file(session, context, report, query, "csv")


@router.get(
    "/exports/reports/{report}.xlsx",
    response_class=Response,
    responses={
        200: {
            "description": "The report's table on its own sheet (date and number cells), "
            "and an About sheet with the period, currency, notes and missing rates",
            "content": {xlsx.MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        }
    },
    summary="Export a report as XLSX (the filters of its /reports/... route)",
)
def export_report_xlsx(
    session: SessionDep,
    context: CurrentTenant,
    report: ReportName,
    query: Annotated[ReportExportQuery, Query()],
) -> Response:
    return _report_file(session, context, report, query, "xlsx")
