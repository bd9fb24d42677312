"""Dated exchange rates, entered by hand or imported from CSV, and conversion.

A rate says: on `rate_on`, 1 unit of `base` was worth `rate` units of `quote`.
Converting on a day uses the most recent rate on or before that day: the direct pair
when the household has one, otherwise the inverse of the reverse pair. Conversions
round half-up to the target currency's minor unit.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Context, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.orm import Session

from coffer.audit.service import changes, record
from coffer.core.money import from_minor, round_half_up, to_minor
from coffer.errors import ValidationFailed, field_error
from coffer.ledger.common import (
    check_currency,
    decode_cursor,
    encode_cursor,
    get_or_404,
    page_limit,
    scoped,
)
from coffer.ledger.errors import MissingRate
from coffer.ledger.models import FxRate
from coffer.ledger.rules import check_rate

MAX_CSV_ROWS = 100_000
MAX_CSV_ERRORS = 100
HEADER = ("date", "base", "quote", "rate")
# Inverse rates keep as many significant digits as a stored rate may have.
_INVERSE = Context(prec=20)


@dataclass(frozen=True, slots=True)
class FoundRate:
    stored: Decimal  # the rate as stored (of the reverse pair when `inverse`)
    rate_on: date
    inverse: bool

    @property
    def rate(self) -> Decimal:
        """Units of the target currency per unit of the source currency."""
        return _INVERSE.divide(Decimal(1), self.stored) if self.inverse else self.stored

    def apply(self, amount: Decimal) -> Decimal:
        return amount / self.stored if self.inverse else amount * self.stored


@dataclass(frozen=True, slots=True)
class RatePage:
    items: list[FxRate]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: int
    updated: int


def snapshot(row: FxRate) -> dict[str, Any]:
    return {"rate_on": row.rate_on, "base": row.base, "quote": row.quote, "rate": row.rate}


def _pair(base: str, quote: str) -> tuple[str, str]:
    base_code = check_currency(base, field="base")
    quote_code = check_currency(quote, field="quote")
    if base_code == quote_code:
        raise field_error("quote", "must differ from the base currency")
    return base_code, quote_code


def _existing(
    session: Session, tenant_id: uuid.UUID, base: str, quote: str, rate_on: date
) -> FxRate | None:
    return session.scalar(
        scoped(FxRate, tenant_id).where(
            FxRate.base == base, FxRate.quote == quote, FxRate.rate_on == rate_on
        )
    )


def add_rate(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    rate_on: date,
    base: str,
    quote: str,
    rate: Decimal,
) -> FxRate:
    base_code, quote_code = _pair(base, quote)
    value = check_rate(rate, field="rate")
    if _existing(session, tenant_id, base_code, quote_code, rate_on) is not None:
        raise field_error(
            "rate_on", f"a {base_code}/{quote_code} rate for this day exists already; change it"
        )
    row = FxRate(tenant_id=tenant_id, rate_on=rate_on, base=base_code, quote=quote_code, rate=value)
    session.add(row)
    session.flush()
    record(
        session,
        action="fx_rate.created",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="fx_rate",
        entity_id=row.id,
        new=snapshot(row),
    )
    return row


def get_rate(session: Session, *, tenant_id: uuid.UUID, fx_rate_id: uuid.UUID) -> FxRate:
    return get_or_404(session, FxRate, tenant_id=tenant_id, id=fx_rate_id)


def update_rate(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    fx_rate_id: uuid.UUID,
    rate: Decimal | None = None,
    rate_on: date | None = None,
) -> FxRate:
    row = get_rate(session, tenant_id=tenant_id, fx_rate_id=fx_rate_id)
    before = snapshot(row)
    if rate is not None:
        row.rate = check_rate(rate, field="rate")
    if rate_on is not None and rate_on != row.rate_on:
        if _existing(session, tenant_id, row.base, row.quote, rate_on) is not None:
            raise field_error("rate_on", "a rate for this pair and day exists already")
        row.rate_on = rate_on
    session.flush()
    old, new = changes(before, snapshot(row))
    if new:
        record(
            session,
            action="fx_rate.updated",
            actor_id=actor_id,
            tenant_id=tenant_id,
            entity_type="fx_rate",
            entity_id=row.id,
            old=old,
            new=new,
        )
    return row


def delete_rate(
    session: Session, *, tenant_id: uuid.UUID, actor_id: uuid.UUID | None, fx_rate_id: uuid.UUID
) -> None:
    row = get_rate(session, tenant_id=tenant_id, fx_rate_id=fx_rate_id)
    record(
        session,
        action="fx_rate.deleted",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="fx_rate",
        entity_id=row.id,
        old=snapshot(row),
    )
    session.delete(row)
    session.flush()


def list_rates(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    base: str | None = None,
    quote: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> RatePage:
    """Newest first, in keyset pages."""
    size = page_limit(limit)
    query = scoped(FxRate, tenant_id)
    if base:
        query = query.where(FxRate.base == check_currency(base, field="base"))
    if quote:
        query = query.where(FxRate.quote == check_currency(quote, field="quote"))
    if date_from:
        query = query.where(FxRate.rate_on >= date_from)
    if date_to:
        query = query.where(FxRate.rate_on <= date_to)
    after = decode_cursor(cursor)
    if after is not None:
        day, last_id = after
        query = query.where(
            FxRate.rate_on <= day,
            or_(FxRate.rate_on < day, and_(FxRate.rate_on == day, FxRate.id < last_id)),
        )
    rows = list(
        session.scalars(query.order_by(FxRate.rate_on.desc(), FxRate.id.desc()).limit(size + 1))
    )
    next_cursor = (
        encode_cursor(rows[size - 1].rate_on, rows[size - 1].id) if len(rows) > size else None
    )
    return RatePage(items=rows[:size], next_cursor=next_cursor)


# --- CSV ------------------------------------------------------------------------------


def _parse_row(cells: list[str]) -> tuple[date, str, str, Decimal]:
    if len(cells) != 4:
        raise ValueError("expected 4 columns: date, base, quote, rate")
    raw_day, base, quote, raw_rate = (cell.strip() for cell in cells)
    try:
        day = date.fromisoformat(raw_day)
    except ValueError as exc:
        raise ValueError(f"date {raw_day!r} is not YYYY-MM-DD") from exc
    try:
        base_code, quote_code = _pair(base, quote)
    except ValidationFailed as exc:
        raise ValueError(exc.detail) from exc
    try:
        rate = check_rate(Decimal(raw_rate), field="rate")
    except (InvalidOperation, ValidationFailed) as exc:
        raise ValueError(f"rate {raw_rate!r} is not a positive decimal") from exc
    return day, base_code, quote_code, rate


def parse_rates_csv(
    content: str,
) -> tuple[list[tuple[int, date, str, str, Decimal]], list[dict[str, str]]]:
    """Rows (line, date, base, quote, rate) and every problem found, by line number."""
    rows: list[tuple[int, date, str, str, Decimal]] = []
    errors: list[dict[str, str]] = []
    seen: dict[tuple[date, str, str], int] = {}
    reader = csv.reader(io.StringIO(content.lstrip("\ufeff")))
    for line_no, cells in enumerate(reader, start=1):
        if not cells or all(not c.strip() for c in cells):
            continue
        if line_no == 1 and tuple(c.strip().lower() for c in cells) == HEADER:
            continue
        if len(rows) >= MAX_CSV_ROWS:
            errors.append(
                {"field": "file", "line": str(line_no), "message": f"more than {MAX_CSV_ROWS} rows"}
            )
            break
        try:
            day, base, quote, rate = _parse_row(cells)
        except ValueError as exc:
            errors.append(
                {"field": "file", "line": str(line_no), "message": f"line {line_no}: {exc}"}
            )
            if len(errors) >= MAX_CSV_ERRORS:
                break
            continue
        if (day, base, quote) in seen:
            errors.append(
                {
                    "field": "file",
                    "line": str(line_no),
                    "message": f"line {line_no}: repeats the {base}/{quote} rate of {day} "
                    f"from line {seen[(day, base, quote)]}",
                }
            )
            continue
        seen[(day, base, quote)] = line_no
        rows.append((line_no, day, base, quote, rate))
    if not rows and not errors:
        errors.append({"field": "file", "line": "1", "message": "the file has no rates"})
    return rows, errors


def import_rates_csv(
    session: Session, *, tenant_id: uuid.UUID, actor_id: uuid.UUID | None, content: str
) -> ImportResult:
    """Import `date,base,quote,rate` rows (header optional); existing days are updated.

    A file with any bad line imports nothing: every problem comes back at once.
    """
    rows, errors = parse_rates_csv(content)
    if errors:
        detail = f"The file has {len(errors)} problem(s); nothing was imported."
        raise ValidationFailed(detail, errors=errors)
    pairs = {(base, quote) for _, _, base, quote, _ in rows}
    existing: dict[tuple[date, str, str], FxRate] = {}
    for base, quote in pairs:
        days = [day for _, day, b, q, _ in rows if (b, q) == (base, quote)]
        query = scoped(FxRate, tenant_id).where(
            FxRate.base == base,
            FxRate.quote == quote,
            FxRate.rate_on >= min(days),
            FxRate.rate_on <= max(days),
        )
        existing.update({(r.rate_on, r.base, r.quote): r for r in session.scalars(query)})
    created = updated = 0
    for _, day, base, quote, rate in rows:
        row = existing.get((day, base, quote))
        if row is None:
            session.add(FxRate(tenant_id=tenant_id, rate_on=day, base=base, quote=quote, rate=rate))
            created += 1
        elif row.rate != rate:
            row.rate = rate
            updated += 1
    session.flush()
    record(
        session,
        action="fx_rate.imported",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="fx_rate",
        new={"created": created, "updated": updated, "pairs": sorted(f"{b}/{q}" for b, q in pairs)},
    )
    return ImportResult(created=created, updated=updated)


# --- conversion -----------------------------------------------------------------------


def _latest(
    session: Session, tenant_id: uuid.UUID, base: str, quote: str, on: date
) -> FxRate | None:
    return session.scalar(
        scoped(FxRate, tenant_id)
        .where(FxRate.base == base, FxRate.quote == quote, FxRate.rate_on <= on)
        .order_by(FxRate.rate_on.desc())
        .limit(1)
    )


def find_rate(
    session: Session, *, tenant_id: uuid.UUID, from_ccy: str, to_ccy: str, on: date
) -> FoundRate | None:
    """The rate to use from `from_ccy` to `to_ccy` on `on`, or None when there is none."""
    if from_ccy == to_ccy:
        return FoundRate(stored=Decimal(1), rate_on=on, inverse=False)
    direct = _latest(session, tenant_id, from_ccy, to_ccy, on)
    if direct is not None:
        return FoundRate(stored=direct.rate, rate_on=direct.rate_on, inverse=False)
    reverse = _latest(session, tenant_id, to_ccy, from_ccy, on)
    if reverse is not None:
        return FoundRate(stored=reverse.rate, rate_on=reverse.rate_on, inverse=True)
    return None


def missing_rate(from_ccy: str, to_ccy: str, on: date) -> MissingRate:
    return MissingRate(
        f"No {from_ccy}/{to_ccy} exchange rate on or before {on.isoformat()}; add one under "
        "FX rates."
    )


def convert(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    amount_minor: int,
    from_ccy: str,
    to_ccy: str,
    on: date,
) -> int:
    """`amount_minor` of `from_ccy` in minor units of `to_ccy`, at the day's rate."""
    if from_ccy == to_ccy:
        return amount_minor
    found = find_rate(session, tenant_id=tenant_id, from_ccy=from_ccy, to_ccy=to_ccy, on=on)
    if found is None:
        raise missing_rate(from_ccy, to_ccy, on)
    amount = found.apply(from_minor(amount_minor, from_ccy))
    return to_minor(round_half_up(amount, to_ccy), to_ccy)


class Converter:
    """Converts many amounts to one currency, looking each (currency, day) up once."""

    def __init__(self, session: Session, *, tenant_id: uuid.UUID, to_ccy: str) -> None:
        self.session, self.tenant_id, self.to_ccy = session, tenant_id, to_ccy
        self._rates: dict[tuple[str, date], FoundRate | None] = {}

    def __call__(self, amount_minor: int, from_ccy: str, on: date) -> int | None:
        """The converted amount, or None when no rate is known."""
        if from_ccy == self.to_ccy:
            return amount_minor
        key = (from_ccy, on)
        if key not in self._rates:
            self._rates[key] = find_rate(
                self.session, tenant_id=self.tenant_id, from_ccy=from_ccy, to_ccy=self.to_ccy, on=on
            )
        found = self._rates[key]
        if found is None:
            return None
        amount = found.apply(from_minor(amount_minor, from_ccy))
        return to_minor(round_half_up(amount, self.to_ccy), self.to_ccy)
