"""What every ledger service module shares: the tenant-scoping helper, lookups that
answer NotFound for another tenant's ids, money conversions that name the field at
fault, and the opaque keyset cursor.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Result, Select, select
from sqlalchemy.orm import Session

from coffer.core.money import MoneyError, currency, from_minor, to_minor
from coffer.errors import NotFound, ValidationFailed, field_error
from coffer.ledger.models import (
    Account,
    AccountMonth,
    Category,
    FxRate,
    LedgerTransaction,
    Merchant,
    Reconciliation,
    SavedFilter,
    Tag,
    TransactionSplit,
    TransactionTag,
)

Scoped = TypeVar(
    "Scoped",
    Account,
    AccountMonth,
    Category,
    FxRate,
    LedgerTransaction,
    Merchant,
    Reconciliation,
    SavedFilter,
    Tag,
    TransactionSplit,
    TransactionTag,
)

# Limits that keep one request's work bounded.
MAX_PAGE = 500
DEFAULT_PAGE = 50
MAX_BULK = 1000
MAX_TEXT = 2000

_NAMES = {
    Account: "account",
    Category: "category",
    FxRate: "FX rate",
    LedgerTransaction: "transaction",
    Merchant: "merchant",
    Reconciliation: "reconciliation",
    SavedFilter: "saved filter",
    Tag: "tag",
}


def scoped(model: type[Scoped], tenant_id: uuid.UUID) -> Select[Scoped]:
    """The start of every ledger query: rows of this tenant only, tenant first."""
    return select(model).where(model.tenant_id == tenant_id)


def get_or_404(
    session: Session,
    model: type[Scoped],
    *,
    tenant_id: uuid.UUID,
    id: uuid.UUID,
    field: str | None = None,
) -> Scoped:
    """The row of this tenant with this id; NotFound (naming `field`) otherwise."""
    found = session.scalar(scoped(model, tenant_id).where(model.id == id))
    if found is None:
        raise not_found(model, field)
    return found


def get_many_or_404(
    session: Session,
    model: type[Scoped],
    *,
    tenant_id: uuid.UUID,
    ids: Iterable[uuid.UUID],
    field: str | None = None,
) -> dict[uuid.UUID, Scoped]:
    """Every one of `ids` (all of this tenant) or NotFound: nothing is half-found."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows: dict[uuid.UUID, Scoped] = {}
    chunk = list(wanted)
    for start in range(0, len(chunk), 500):
        query = scoped(model, tenant_id).where(model.id.in_(chunk[start : start + 500]))
        rows.update({row.id: row for row in session.scalars(query)})
    if len(rows) != len(wanted):
        raise not_found(model, field)
    return rows


def not_found(model: type[Any], field: str | None = None) -> NotFound:
    name = _NAMES.get(model, model.__name__.lower())
    detail = f"No {name} with this id in this household."
    if field is None:
        return NotFound(detail)
    return NotFound(f"{field}: {detail}", errors=[{"field": field, "message": detail}])


# --- money ----------------------------------------------------------------------------


def minor(amount: Decimal, code: str, *, field: str) -> int:
    """Minor units of `amount`, or a field error (too many decimals, not a number)."""
    if not isinstance(amount, Decimal):
        raise field_error(field, "must be a decimal amount")
    try:
        return to_minor(amount, code)
    except MoneyError as exc:
        raise field_error(field, str(exc)) from exc


def decimal_text(amount_minor: int, code: str) -> str:
    """ "1234.50": the exact amount as JSON carries it."""
    return str(from_minor(amount_minor, code))


def check_currency(code: str, *, field: str) -> str:
    try:
        return currency(code.strip()).code
    except (MoneyError, AttributeError) as exc:
        raise field_error(field, "must be an ISO 4217 currency code, like EUR or USD") from exc


def clean_text(value: str | None, *, field: str, max_length: int = MAX_TEXT) -> str | None:
    """Stripped text or None when blank; a field error when too long."""
    if value is None:
        return None
    cleaned = value.strip()
    if len(cleaned) > max_length:
        raise field_error(field, f"must be at most {max_length} characters")
    return cleaned or None


def required_name(value: str, *, field: str = "name", max_length: int) -> str:
    cleaned = clean_text(value, field=field, max_length=max_length)
    if cleaned is None:
        raise field_error(field, "must not be empty")
    return cleaned


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE touched."""
    return int(cast(CursorResult[Any], result).rowcount or 0)


def month_of(day: date) -> date:
    return day.replace(day=1)


def validation_errors(errors: Sequence[dict[str, str]]) -> ValidationFailed:
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return ValidationFailed(detail, errors=list(errors))


# --- keyset cursors -------------------------------------------------------------------


def encode_cursor(posted_on: date, id: uuid.UUID) -> str:
    raw = json.dumps([posted_on.isoformat(), str(id)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[date, uuid.UUID] | None:
    """The (posted_on, id) a page continues after; a field error when it is not ours."""
    if cursor is None or cursor == "":
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        day, raw_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return date.fromisoformat(day), uuid.UUID(raw_id)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
        raise field_error("cursor", "is not a cursor this API returned") from exc


def page_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_PAGE
    if not 1 <= limit <= MAX_PAGE:
        raise field_error("limit", f"must be between 1 and {MAX_PAGE}")
    return limit
