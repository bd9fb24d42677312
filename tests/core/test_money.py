from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coffer.core.money import (
    MoneyError,
    currencies,
    currency,
    from_minor,
    parse_amount,
    round_half_up,
    to_minor,
)


def test_minor_units_follow_iso_4217() -> None:
    assert currency("USD").minor_units == 2
    assert currency("jpy").minor_units == 0
    assert currency("BHD").minor_units == 3
    assert len(currencies()) > 150


def test_unknown_currency_is_refused() -> None:
    with pytest.raises(MoneyError, match="not an ISO 4217"):
        currency("XYZ")


def test_input_is_never_rounded_silently() -> None:
    assert to_minor(Decimal("10.50"), "USD") == 1050
    assert to_minor("1234", "JPY") == 1234
    assert to_minor("1.234", "BHD") == 1234
    with pytest.raises(MoneyError, match="more than 2 decimal places"):
        to_minor("10.005", "USD")
    with pytest.raises(MoneyError, match="not floats"):
        to_minor(0.1, "USD")  # type: ignore[arg-type]


def test_computed_amounts_round_half_up() -> None:
    assert round_half_up(Decimal("2.345"), "USD") == Decimal("2.35")
    assert round_half_up(Decimal("-2.345"), "USD") == Decimal("-2.35")
    assert round_half_up(Decimal("0.5"), "JPY") == Decimal("1")


@pytest.mark.parametrize(
    ("text", "comma", "expected"),
    [
        ("1,234.50", False, "1234.50"),
        ("1.234,50", True, "1234.50"),
        ("(45.00)", False, "-45.00"),
        ("-12.3", False, "-12.3"),
        (" 7 ", False, "7"),
    ],
)
def test_parse_amount(text: str, comma: bool, expected: str) -> None:
    assert parse_amount(text, decimal_comma=comma) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "12e5", "--1", "NaN"])
def test_parse_amount_refuses_garbage(text: str) -> None:
    with pytest.raises(MoneyError):
        parse_amount(text)


@given(
    minor=st.integers(min_value=-(10**15), max_value=10**15),
    code=st.sampled_from(["USD", "JPY", "BHD", "EUR", "CLF"]),
)
def test_minor_units_round_trip(minor: int, code: str) -> None:
    assert to_minor(from_minor(minor, code), code) == minor
