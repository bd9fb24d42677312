"""Amount text to Decimal, fast for the plain case, forgiving of how exports write money.

The plain case ("-1234.56", or "-1234,56" with a decimal comma) is checked with one
precompiled pattern and converted once. Everything else goes through the currency
symbol and sign clean-up below and then `coffer.core.money.parse_amount`, which owns
the rules for thousands separators and accountants' parentheses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from coffer.core.money import MoneyError, parse_amount

# What Decimal() reads exactly as written; it would also take "1e5", "NaN" and "1_000".
PLAIN_POINT = re.compile(r"-?\d{1,18}(?:\.\d{1,8})?")
_PLAIN_COMMA = re.compile(r"-?\d{1,18}(?:,\d{1,8})?")
_SYMBOLS = str.maketrans({"$": None, "€": None, "£": None, "¥": None, "₹": None, "\u2212": "-"})
_CODE = re.compile(r"^[A-Z]{3}\s*|\s*[A-Z]{3}$")
# Thousands groups of three (or the Indian lakh grouping). Checking them stops "12,50"
# read without a decimal comma from silently becoming 1250.
_GROUPED = {
    ",": re.compile(r"\d{1,3}(?:,\d{3})+|\d{1,2}(?:,\d{2})*,\d{3}"),
    ".": re.compile(r"\d{1,3}(?:\.\d{3})+"),
}


def amount_parser(*, decimal_comma: bool) -> Callable[[str], Decimal]:
    """A function reading amount text; it raises MoneyError on text that is not an amount."""
    plain = (_PLAIN_COMMA if decimal_comma else PLAIN_POINT).fullmatch

    def parse(text: str) -> Decimal:
        if plain(text):
            return Decimal(text.replace(",", ".") if decimal_comma else text)
        return _parse_written(text, decimal_comma=decimal_comma)

    return parse


def _parse_written(text: str, *, decimal_comma: bool) -> Decimal:
    """ "$1,234.50", "-£12.00", "12,50 EUR", "1.234,50-" and other ways exports write money."""
    cleaned = _CODE.sub("", text.strip()).translate(_SYMBOLS).strip()
    negative = False
    if cleaned.endswith("-") and not cleaned.startswith(("-", "(")):
        # Some banks print the sign after the number ("12,50-").
        negative, cleaned = True, cleaned[:-1].strip()
    if cleaned.startswith("+"):
        cleaned = cleaned[1:]
    if len(cleaned) > 40:
        raise MoneyError(f"{text[:40]!r}… is not an amount")
    _check_grouping(cleaned, decimal_comma=decimal_comma)
    value = parse_amount(cleaned, decimal_comma=decimal_comma)
    return -value if negative else value


def _check_grouping(cleaned: str, *, decimal_comma: bool) -> None:
    group, point = (".", ",") if decimal_comma else (",", ".")
    whole = cleaned.strip("()+-").split(point)[0].replace(" ", "").replace("\u00a0", "")
    if group in whole and not _GROUPED[group].fullmatch(whole):
        hint = "a point" if decimal_comma else "a comma"
        raise MoneyError(f"{cleaned!r} is not an amount (is the decimal separator {hint}?)")
