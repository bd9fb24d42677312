"""GET /exports/statements/...: printable PDF statements of a month or a year.

Any member may download them (CurrentTenant), as they may read the reports they are
made of; like the other exports they are reads and are not audited. The month or year
is checked, and the accounts looked up, before anything is written: a bad value is a
422 naming the field, another household's account a 404 naming `account_ids`.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from coffer.reports import statements
from coffer.reports.exports import pdf
from coffer.tenancy.deps import CurrentTenant
from coffer.web.deps import SessionDep

router = APIRouter(tags=["exports"])

AccountIds = Annotated[
    list[uuid.UUID] | None,
    Query(max_length=100, description="Only these accounts; none given means every account."),
]


def _pdf_response(description: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": description,
            "content": {pdf.MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        },
        404: {"description": "An account of `account_ids` is not in this household"},
        422: {"description": "The month, year or an account id is not valid"},
    }


def attachment(statement: statements.Statement) -> Response:
    return Response(
        pdf.render(statement),
        media_type=pdf.MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{pdf.filename(statement)}"',
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/exports/statements/monthly.pdf",
    response_class=Response,
    responses=_pdf_response(
        "A PDF statement of the month: summary in the base currency, income and spending "
        "by category, each account's opening and closing balance, and every transaction "
        "with a running balance"
    ),
    summary="Download a monthly statement as PDF",
)
def monthly_statement_pdf(
    session: SessionDep,
    context: CurrentTenant,
    month: Annotated[
        str | None,
        Query(description="The month as YYYY-MM; the last complete month when absent."),
    ] = None,
    account_ids: AccountIds = None,
) -> Response:
    chosen = (
        statements.last_complete_month(date.today())
        if month is None
        else statements.parse_month(month)
    )
    statement = statements.monthly_statement(
        session, tenant=context.tenant, month=chosen, account_ids=account_ids or ()
    )
    return attachment(statement)


@router.get(
    "/exports/statements/annual.pdf",
    response_class=Response,
    responses=_pdf_response(
        "A PDF statement of the year: summary in the base currency, a month-by-month "
        "table, income and spending by category and each account's opening and closing "
        "balance (no transaction listing)"
    ),
    summary="Download an annual statement as PDF",
)
def annual_statement_pdf(
    session: SessionDep,
    context: CurrentTenant,
    year: Annotated[
        str | None,
        Query(description="The year as YYYY; the last complete year when absent."),
    ] = None,
    account_ids: AccountIds = None,
) -> Response:
    chosen = (
        statements.last_complete_year(date.today()) if year is None else statements.parse_year(year)
    )
    statement = statements.annual_statement(
        session, tenant=context.tenant, year=chosen, account_ids=account_ids or ()
    )
    return attachment(statement)
