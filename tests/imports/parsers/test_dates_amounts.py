from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from coffer.core.money import MoneyError
from coffer.imports.parsers.amounts import amount_parser
from coffer.imports.parsers.dates import DateFormatError, date_parser, detect_date_format


@pytest.mark.parametrize(
    ("fmt", "text", "expected"),
    [
        ("%d/%m/%Y", "05/02/2024", date(2024, 2, 5)),
        ("%d/%m/%Y", "5/2/2024", date(2024, 2, 5)),
        ("%m/%d/%Y", "1/05/2023", date(2023, 1, 5)),
        ("%d.%m.%y", "31.12.99", date(1999, 12, 31)),
        ("%d.%m.%y", "01.03.24", date(2024, 3, 1)),
        ("%Y-%m-%d", "2024-02-29", date(2024, 2, 29)),
        ("%Y-%m-%dT%H:%M:%S%z", "2024-03-31T23:30:00+02:00", date(2024, 3, 31)),
        ("%d %b %Y", "07 Mar 2024", date(2024, 3, 7)),
    ],
)
def test_date_formats(fmt: str, text: str, expected: date) -> None:
    assert date_parser(fmt)(text) == expected


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        ("%d/%m/%Y", "31/02/2024"),
        ("%d/%m/%Y", "2024/02/01"),
        ("%d/%m/%Y", "1/2/24"),
        ("%Y-%m-%d", "2024-1-5"),
        ("%m/%d/%Y", "13/01/2024"),
        ("%Y-%m-%d", ""),
    ],
)
def test_dates_that_do_not_fit_are_refused(fmt: str, text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the parsers' documented error
        date_parser(fmt)(text)


def test_a_format_without_a_whole_date_is_refused() -> None:
    with pytest.raises(DateFormatError, match="day, a month and a year"):
        date_parser("%Y-%m")


def test_detection_finds_the_only_reading() -> None:
    assert detect_date_format(["03/04/2024", "25/04/2024"]) == "%d/%m/%Y"
    assert detect_date_format(["04/03/2024", "04/25/2024"]) == "%m/%d/%Y"
    assert detect_date_format(["01.02.2024"]) == "%d.%m.%Y"
    assert detect_date_format(["2024-01-02", "2024-01-32"]) == "%Y-%m-%d"


def test_detection_refuses_ambiguous_dates_even_when_they_read_the_same() -> None:
    with pytest.raises(DateFormatError, match=r"'03/04/2024' could be DD/MM/YYYY or MM/DD/YYYY"):
        detect_date_format(["01/01/2024", "03/04/2024"])
    with pytest.raises(DateFormatError, match="could be"):
        detect_date_format(["01/01/2024", "02/02/2024"])


def test_detection_refuses_what_is_no_date() -> None:
    with pytest.raises(DateFormatError, match="not a date in any known format"):
        detect_date_format(["yesterday"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.50", "12.50"),
        ("-12.50", "-12.50"),
        ("$1,234.56", "1234.56"),
        ("-£12.00", "-12.00"),
        ("(45.00)", "-45.00"),
        ("EUR 12.00", "12.00"),
        ("12.50-", "-12.50"),
        ("+3", "3"),
        ("\u22127.25", "-7.25"),
    ],
)
def test_point_amounts(text: str, expected: str) -> None:
    value = amount_parser(decimal_comma=False)(text)
    assert isinstance(value, Decimal)
    assert value == Decimal(expected)
    assert str(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12,50", "12.50"), ("-1.234,56", "-1234.56"), ("1.234,56 EUR", "1234.56"), ("7", "7")],
)
def test_comma_amounts(text: str, expected: str) -> None:
    assert amount_parser(decimal_comma=True)(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["twelve", "", "1e5", "NaN", "Infinity", "1_000", "1.2.3"])
def test_what_is_no_amount_is_refused(text: str) -> None:
    with pytest.raises(MoneyError):
        amount_parser(decimal_comma=False)(text)


def test_a_decimal_comma_read_as_a_point_is_refused_not_multiplied() -> None:
    with pytest.raises(MoneyError, match="decimal separator a comma"):
        amount_parser(decimal_comma=False)("12,50")
    with pytest.raises(MoneyError, match="decimal separator a point"):
        amount_parser(decimal_comma=True)("12.50")


def test_ambiguity_is_reported_with_a_date_that_shows_it() -> None:
    with pytest.raises(DateFormatError, match="'03/04/2024' could be"):
        detect_date_format(["Date", "01/01/2024", "03/04/2024"])
