"""The money, amount and date filters every page uses to write figures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st

from coffer.web.templating import init_templates


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> object:
    folder: Path = tmp_path_factory.mktemp("templates")
    return init_templates(FastAPI(), [folder]).env


def _render(env: object, source: str, **context: object) -> str:
    return env.from_string(source).render(**context)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("locale", "value", "currency", "expected"),
    [
        ("en_US", "1234.5", "USD", "$1,234.50"),
        ("en_US", "-12.3", "USD", "-$12.30"),
        ("de_DE", "1234.5", "EUR", "1.234,50\xa0€"),
        ("en_US", "1500", "JPY", "¥1,500"),
        ("en_US", "1.5", "BHD", "BHD1.500"),
    ],
)
def test_money_is_written_in_the_households_locale(
    env: object, locale: str, value: str, currency: str, expected: str
) -> None:
    rendered = _render(env, "{{ v|money(c) }}", v=Decimal(value), c=currency, tenant_locale=locale)
    assert rendered == expected


def test_amount_and_day_without_a_household_use_the_default_locale(env: object) -> None:
    assert _render(env, "{{ v|amount('EUR') }}", v=Decimal("-1234.5")) == "-1,234.50"
    assert _render(env, "{{ d|day }}", d=date(2026, 11, 22)) == "Nov 22, 2026"
    assert _render(env, "{{ d|day }}", d=date(2026, 11, 22), tenant_locale="de_DE") == (
        "22.11.2026"
    )


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_money_never_drops_a_cent(env: object, cents: int) -> None:
    value = Decimal(cents).scaleb(-2)
    written = _render(env, "{{ v|amount('USD') }}", v=value)
    assert Decimal(written.replace(",", "")) == value
