"""Money: Decimal in Python, integer minor units in storage.

Conventions (every caller relies on them):
- An amount is a `decimal.Decimal`, never a float; a float given by mistake is refused.
- Stored amounts are integers of the currency's ISO 4217 minor unit (cents for USD,
  yen for JPY, fils for BHD), so SUM is exact on SQLite and PostgreSQL alike.
- Input is never rounded silently: "10.005" USD is an error, not 10.01.
- Computed amounts (interest, FX conversion, display) round half-up to the minor unit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from importlib.resources import files


class MoneyError(ValueError):
    """An amount or currency that cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class Currency:
    code: str
    minor_units: int
    name: str

    @property
    def quantum(self) -> Decimal:
        return Decimal(1).scaleb(-self.minor_units)


@cache
def _table() -> dict[str, Currency]:
    raw = json.loads(files("coffer.core").joinpath("data/iso4217.json").read_text("utf-8"))
    return {
        code: Currency(code=code, minor_units=int(entry["minor_units"]), name=str(entry["name"]))
        for code, entry in raw["currencies"].items()
    }


def currencies() -> list[Currency]:
    """Every ISO 4217 currency with a minor unit, by code."""
    return list(_table().values())


def currency(code: str) -> Currency:
    found = _table().get(code.upper()) if isinstance(code, str) else None
    if found is None:
        raise MoneyError(f"{code!r} is not an ISO 4217 currency code")
    return found


def _decimal(amount: Decimal | int | str) -> Decimal:
    if isinstance(amount, float):
        raise MoneyError("amounts must be exact decimals, not floats")
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError) as exc:
        raise MoneyError(f"{amount!r} is not a number") from exc
    if not value.is_finite():
        raise MoneyError(f"{amount!r} is not a finite amount")
    return value


def to_minor(amount: Decimal | int | str, code: str) -> int:
    """The exact number of minor units; refuses more decimals than the currency has."""
    value = _decimal(amount)
    cur = currency(code)
    scaled = value.scaleb(cur.minor_units)
    if scaled != scaled.to_integral_value():
        raise MoneyError(
            f"{value} has more than {cur.minor_units} decimal places, the most {cur.code} allows"
        )
    return int(scaled)


def from_minor(minor: int, code: str) -> Decimal:
    """The Decimal amount of `minor` units, with exactly the currency's decimal places."""
    cur = currency(code)
    return (Decimal(minor).scaleb(-cur.minor_units)).quantize(cur.quantum)


def round_half_up(amount: Decimal | int | str, code: str) -> Decimal:
    """Round a computed amount (interest, conversion) to the currency's minor unit."""
    cur = currency(code)
    return _decimal(amount).quantize(cur.quantum, rounding=ROUND_HALF_UP)


def parse_amount(text: str, *, decimal_comma: bool = False) -> Decimal:
    """Parse a human-written amount: "1,234.50", "-12.3", "(45.00)", "1.234,50".

    Thousands separators and surrounding spaces are accepted; anything else is an error.
    Parentheses mean a negative amount, as accountants write it.
    """
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "").replace("'", "")
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    if negative:
        cleaned = cleaned[1:-1]
    group, point = (".", ",") if decimal_comma else (",", ".")
    cleaned = cleaned.replace(group, "")
    if point != ".":
        cleaned = cleaned.replace(point, ".")
    digits = cleaned[1:] if cleaned[:1] in ("+", "-") else cleaned
    if not digits or digits.count(".") > 1 or not digits.replace(".", "").isdigit():
        raise MoneyError(f"{text!r} is not an amount")
    value = Decimal(cleaned)
    return -value if negative else value
