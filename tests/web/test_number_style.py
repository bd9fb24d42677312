"""The money and amount filters write exactly what Babel writes, for every locale the
fast path is learnt for and for the ones that fall back to Babel."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_currency, format_decimal
from hypothesis import given, settings
from hypothesis import strategies as st

from coffer.core import money
from coffer.web import templating

LOCALES = [
    "en_US",
    "en_GB",
    "de_DE",
    "de_CH",
    "fr_FR",
    "es_ES",
    "pl_PL",
    "nl_NL",
    "pt_BR",
    "sv_SE",
    "ja_JP",
    "ar_EG",
    "fa_IR",
    "en_IN",
    "hi_IN",
]
CURRENCIES = ["USD", "EUR", "JPY", "KWD", "INR", "CHF"]


def _babel_money(value: Decimal, currency: str, locale: str) -> str:
    exact = value.quantize(money.currency(currency).quantum)
    return format_currency(exact, currency, locale=locale, decimal_quantization=False)


def _babel_amount(value: Decimal, currency: str, locale: str) -> str:
    digits = money.currency(currency).minor_units
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(
        value.quantize(money.currency(currency).quantum), format=pattern, locale=locale
    )


@settings(max_examples=300, deadline=None)
@given(
    minor=st.integers(min_value=-(10**15), max_value=10**15),
    locale=st.sampled_from(LOCALES),
    currency=st.sampled_from(CURRENCIES),
)
def test_the_filters_write_what_babel_writes(minor: int, locale: str, currency: str) -> None:
    value = money.from_minor(minor, currency)
    context = {"tenant_locale": locale}
    assert templating._money_filter(context, value, currency) == _babel_money(
        value, currency, locale
    )
    assert templating._amount_filter(context, value, currency) == _babel_amount(
        value, currency, locale
    )


@pytest.mark.parametrize("locale", ["en_US", "de_DE", "fr_FR"])
def test_common_locales_take_the_fast_path(locale: str) -> None:
    assert templating._money_style("EUR", locale).fallback is None


def test_grouping_by_two_falls_back_to_babel() -> None:
    # en_IN writes 12,34,567.89: not Python's grouping, so Babel writes it.
    style = templating._money_style("INR", "en_IN")
    assert style.fallback is not None
    assert style.format(Decimal("1234567.89")) == "₹12,34,567.89"
