"""REST routes of currencies and FX rates: ISO 4217 currencies with their minor units,
dated rates entered by hand or imported from CSV, and conversion at a day's rate.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile, status

from coffer.core.money import currencies
from coffer.errors import field_error
from coffer.ledger import service
from coffer.ledger.api_common import fx_rate_read
from coffer.ledger.common import check_currency, decimal_text, minor
from coffer.ledger.schemas import (
    ConversionRead,
    CurrencyRead,
    FxImportRead,
    FxRateCreate,
    FxRatePage,
    FxRateRead,
    FxRateUpdate,
)
from coffer.tenancy.deps import CurrentTenant, WritableTenant
from coffer.web.deps import SessionDep

router = APIRouter(tags=["fx-rates"])

MAX_CSV_BYTES = 5 * 1024 * 1024


@router.get(
    "/currencies",
    response_model=list[CurrencyRead],
    tags=["currencies"],
    summary="Every ISO 4217 currency with its minor unit",
)
def list_currencies() -> list[CurrencyRead]:
    return [CurrencyRead(code=c.code, name=c.name, minor_units=c.minor_units) for c in currencies()]


# --- FX rates ---------------------------------------------------------------------------


@router.get(
    "/fx-rates", response_model=FxRatePage, tags=["fx-rates"], summary="Rates, newest first"
)
def list_rates(
    session: SessionDep,
    context: CurrentTenant,
    base: Annotated[str | None, Query(min_length=3, max_length=3)] = None,
    quote: Annotated[str | None, Query(min_length=3, max_length=3)] = None,
    date_from: Annotated[date | None, Query()] = None,
    date_to: Annotated[date | None, Query()] = None,
    limit: Annotated[int | None, Query(ge=1, le=500)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> FxRatePage:
    page = service.list_rates(
        session,
        tenant_id=context.tenant_id,
        base=base,
        quote=quote,
        date_from=date_from,
        date_to=date_to,
        limit=limit,
        cursor=cursor,
    )
    return FxRatePage(items=[fx_rate_read(r) for r in page.items], next_cursor=page.next_cursor)


@router.post(
    "/fx-rates",
    response_model=FxRateRead,
    status_code=status.HTTP_201_CREATED,
    tags=["fx-rates"],
    summary="Add a dated rate",
)
def create_rate(body: FxRateCreate, session: SessionDep, context: WritableTenant) -> FxRateRead:
    row = service.add_rate(
        session, tenant_id=context.tenant_id, actor_id=context.user.id, **body.model_dump()
    )
    return fx_rate_read(row)


@router.post(
    "/fx-rates/import",
    response_model=FxImportRead,
    tags=["fx-rates"],
    summary="Import a CSV of date,base,quote,rate (all lines or none)",
)
async def import_rates(
    session: SessionDep,
    context: WritableTenant,
    file: Annotated[UploadFile, File(description="CSV: date,base,quote,rate; header optional.")],
) -> FxImportRead:
    raw = await file.read(MAX_CSV_BYTES + 1)
    if len(raw) > MAX_CSV_BYTES:
        raise field_error("file", "is larger than 5 MB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise field_error("file", "must be UTF-8 text") from exc
    result = service.import_rates_csv(
        session, tenant_id=context.tenant_id, actor_id=context.user.id, content=text
    )
    return FxImportRead(created=result.created, updated=result.updated)


@router.get(
    "/fx-rates/convert",
    response_model=ConversionRead,
    tags=["fx-rates"],
    summary="Convert an amount at the rate of a day",
)
def convert(
    session: SessionDep,
    context: CurrentTenant,
    amount: Annotated[Decimal, Query()],
    from_currency: Annotated[str, Query(alias="from", min_length=3, max_length=3)],
    to_currency: Annotated[str, Query(alias="to", min_length=3, max_length=3)],
    on: Annotated[date | None, Query()] = None,
) -> ConversionRead:
    source = check_currency(from_currency, field="from")
    target = check_currency(to_currency, field="to")
    day = on or date.today()
    converted = service.convert(
        session,
        tenant_id=context.tenant_id,
        amount_minor=minor(amount, source, field="amount"),
        from_ccy=source,
        to_ccy=target,
        on=day,
    )
    return ConversionRead(
        amount=decimal_text(minor(amount, source, field="amount"), source),
        currency=source,
        converted=decimal_text(converted, target),
        to_currency=target,
        on=day,
    )


@router.get("/fx-rates/{fx_rate_id}", response_model=FxRateRead, tags=["fx-rates"], summary="One")
def get_rate(fx_rate_id: uuid.UUID, session: SessionDep, context: CurrentTenant) -> FxRateRead:
    return fx_rate_read(
        service.get_rate(session, tenant_id=context.tenant_id, fx_rate_id=fx_rate_id)
    )


@router.patch(
    "/fx-rates/{fx_rate_id}", response_model=FxRateRead, tags=["fx-rates"], summary="Correct a rate"
)
def update_rate(
    fx_rate_id: uuid.UUID, body: FxRateUpdate, session: SessionDep, context: WritableTenant
) -> FxRateRead:
    row = service.update_rate(
        session,
        tenant_id=context.tenant_id,
        actor_id=context.user.id,
        fx_rate_id=fx_rate_id,
        rate=body.rate,
        rate_on=body.rate_on,
    )
    return fx_rate_read(row)


@router.delete(
    "/fx-rates/{fx_rate_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_model=None,
    tags=["fx-rates"],
    summary="Delete a rate",
)
def delete_rate(fx_rate_id: uuid.UUID, session: SessionDep, context: WritableTenant) -> Response:
    service.delete_rate(
        session, tenant_id=context.tenant_id, actor_id=context.user.id, fx_rate_id=fx_rate_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
