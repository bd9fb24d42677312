"""Reading the ledger's HTML forms: numbers as the household's locale writes them,
dates from date inputs, currency choices; each problem kept under its field's name so
the form can be shown again with the message beside the field.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache

from babel.dates import format_date
from babel.numbers import get_decimal_symbol

from coffer.core.money import MoneyError, currencies, parse_amount

Errors = dict[str, str]


def sentences(errors: Errors) -> Errors:
    """Service messages ("must not be empty") as sentences beside their fields."""
    return {key: message[:1].upper() + message[1:] for key, message in errors.items()}


def day_text(value: date, locale: str | None) -> str:
    """A date as the household's locale writes it, for messages built in Python."""
    return format_date(value, format="medium", locale=locale or "en_US")


def decimal_comma(locale: str | None) -> bool:
    try:
        return get_decimal_symbol(locale or "en_US") == ","
    except (ValueError, TypeError):
        return False


def plain_number(value: Decimal | None, locale: str | None) -> str:
    """A number as a person would type it back into the form (no grouping)."""
    if value is None:
        return ""
    text = format(value, "f")
    return text.replace(".", ",") if decimal_comma(locale) else text


def number(
    raw: str,
    field: str,
    errors: Errors,
    *,
    locale: str | None,
    required: bool = False,
    label: str = "an amount",
) -> Decimal | None:
    """The number typed in `field`, or None when blank; a problem goes to `errors`."""
    text = raw.strip()
    if not text:
        if required:
            errors[field] = f"Enter {label}."
        return None
    try:
        return parse_amount(text, decimal_comma=decimal_comma(locale))
    except MoneyError:
        example = "1234,56" if decimal_comma(locale) else "1234.56"
        errors[field] = f"Enter {label} as a number, like {example}."
        return None


def day(raw: str, field: str, errors: Errors, *, required: bool = False) -> date | None:
    text = raw.strip()
    if not text:
        if required:
            errors[field] = "Enter a date."
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[field] = "Enter a date as year-month-day, like 2026-01-31."
        return None


@lru_cache(maxsize=1)
def _currency_options() -> tuple[tuple[str, str], ...]:
    return tuple(
        (c.code, f"{c.code} — {c.name}") for c in sorted(currencies(), key=lambda c: c.code)
    )


def currency_options(blank: str | None = None) -> list[tuple[str, str]]:
    """(code, "EUR — Euro") pairs of every ISO 4217 currency Coffer knows."""
    options = list(_currency_options())
    return [("", blank), *options] if blank is not None else options


def currency_code(raw: str, field: str, errors: Errors, *, required: bool = True) -> str | None:
    code = raw.strip().upper()
    if not code:
        if required:
            errors[field] = "Choose a currency."
        return None
    if code not in {c for c, _ in _currency_options()}:
        errors[field] = "Choose a currency from the list."
        return None
    return code
