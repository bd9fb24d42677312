"""Each bank CSV fixture, read with the mapping sniff() suggests (as a person would
confirm it), gives exactly the transactions in the file."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from coffer.imports.parsers import (
    CsvMapping,
    ParsedTransaction,
    ParseFailed,
    iter_csv,
    parse_csv_all,
    sniff,
)
from tests.imports.parsers.helpers import fixture, stream


def read(name: str) -> list[tuple[int, date, Decimal, str, str]]:
    data = fixture(name)
    mapping = sniff(data).suggested
    assert mapping is not None
    return [
        (t.line, t.posted_on, t.amount, t.payee, t.memo) for t in iter_csv(stream(data), mapping)
    ]


def test_us_bank_signed_amounts_month_first_trailing_comma() -> None:
    preview = sniff(fixture("us_bank.csv"))
    assert (preview.encoding, preview.delimiter, preview.skip_rows) == ("utf-8", ",", 0)
    assert preview.suggested is not None
    assert preview.suggested.date_format == "%m/%d/%Y"
    assert read("us_bank.csv") == [
        (2, date(2024, 3, 1), Decimal("-54.23"), "GREENLEAF GROCERY #112 SPRINGFIELD IL", ""),
        (3, date(2024, 3, 1), Decimal("2150.00"), "NORTHWIND PAYROLL PPD ID: 9876543210", ""),
        (4, date(2024, 2, 28), Decimal("-120.00"), "CHECK 1045", ""),
        (5, date(2024, 2, 27), Decimal("-87.64"), "SPRINGFIELD UTILITIES WEB PMT", ""),
        (6, date(2024, 2, 26), Decimal("-4.75"), "COFFEE CORNER, DOWNTOWN", ""),
        (7, date(2024, 2, 15), Decimal("35.00"), "ZELLE FROM SAM RIVERA", ""),
    ]


def test_uk_bank_paid_out_paid_in_day_first_after_account_details() -> None:
    preview = sniff(fixture("uk_bank.csv"))
    assert preview.skip_rows == 4
    assert preview.header[:3] == ["Date", "Transaction type", "Description"]
    mapping = preview.suggested
    assert mapping is not None
    assert (mapping.debit_column, mapping.credit_column) == ("Paid out", "Paid in")
    assert mapping.date_format == "%d/%m/%Y"
    assert read("uk_bank.csv") == [
        (6, date(2024, 2, 1), Decimal("-32.50"), "THAMES WATER", ""),
        (7, date(2024, 2, 3), Decimal("2310.00"), "ACME LTD SALARY", ""),
        (8, date(2024, 2, 14), Decimal("-6.45"), "PRET A MANGER LONDON", ""),
        (9, date(2024, 2, 20), Decimal("-1150.00"), "RENT FLAT 2", ""),
        (10, date(2024, 2, 28), Decimal("23.50"), "J SMITH SPLIT DINNER", ""),
    ]


def test_german_bank_cp1252_semicolons_decimal_comma() -> None:
    preview = sniff(fixture("german_bank.csv"))
    assert (preview.encoding, preview.delimiter) == ("cp1252", ";")
    mapping = preview.suggested
    assert mapping is not None
    assert mapping.decimal_comma
    assert mapping.date_format == "%d.%m.%Y"
    assert mapping.currency_column == "Waehrung"
    transactions = list(iter_csv(stream(fixture("german_bank.csv")), mapping))
    assert [(t.posted_on, t.amount, t.payee, t.currency) for t in transactions] == [
        (date(2024, 3, 1), Decimal("-845.00"), "Wohnbau Nord eG", "EUR"),
        (date(2024, 3, 4), Decimal("-7.80"), "Bäckerei Müller", "EUR"),
        (date(2024, 3, 15), Decimal("3120.55"), "Muster Maschinenbau GmbH", "EUR"),
        (date(2024, 3, 18), Decimal("-150.00"), "Erika Beispiel", "EUR"),
        (date(2024, 3, 22), Decimal("-49.00"), "Verkehrsbetriebe Süd", "EUR"),
    ]
    assert transactions[4].memo == "Straßenbahn Monatskarte € 49"


def test_german_bank_utf8_with_bom_preamble_and_both_parties() -> None:
    preview = sniff(fixture("german_bank_utf8_bom.csv"))
    assert (preview.encoding, preview.skip_rows) == ("utf-8-sig", 5)
    mapping = preview.suggested
    assert mapping is not None
    assert mapping.payee_column == "Zahlungsempfänger*in"
    assert mapping.payee_in_column == "Zahlungspflichtige*r"
    assert read("german_bank_utf8_bom.csv") == [
        (7, date(2024, 4, 2), Decimal("-72.00"), "Stadtwerke Köln", "Abschlag Strom April"),
        (8, date(2024, 4, 5), Decimal("45.50"), "Max Mustermann", "Rückzahlung Konzertkarten"),
        (9, date(2024, 4, 16), Decimal("-23.95"), "Buchhandlung Fröhlich", "Kartenzahlung"),
    ]


def test_utf16_tab_separated_excel_export() -> None:
    preview = sniff(fixture("excel_unicode.csv"))
    assert (preview.encoding, preview.delimiter) == ("utf-16", "\t")
    assert read("excel_unicode.csv") == [
        (2, date(2024, 5, 2), Decimal("-23.40"), "Épicerie Lefèvre", "courses"),
        (3, date(2024, 5, 3), Decimal("60.00"), "Łukasz Nowak", "zwrot za bilety"),
        (4, date(2024, 5, 7), Decimal("-3.20"), "Καφενείο Αθηνά", "καφές"),
        (5, date(2024, 5, 9), Decimal("-18.75"), "スーパー山田", "食料品"),
    ]


def test_preview_shows_the_first_rows_only() -> None:
    preview = sniff(fixture("us_bank.csv"), max_rows=2)
    assert [row[1] for row in preview.rows] == ["03/01/2024", "03/01/2024"]


BASIC = CsvMapping(date_column="Date", amount_column="Amount", payee_column="Description")


@pytest.mark.parametrize(
    ("name", "line", "column", "reason"),
    [
        ("broken_bad_date.csv", 7, "Date", "'2024-01-32' is not a date in the format YYYY-MM-DD"),
        ("broken_bad_amount.csv", 3, "Amount", "'twelve' is not an amount"),
        ("broken_columns.csv", 4, None, "this row has 2 columns where the file has 3"),
    ],
)
def test_broken_files_name_the_line_and_the_reason(
    name: str, line: int, column: str | None, reason: str
) -> None:
    with pytest.raises(ParseFailed) as caught:
        list(iter_csv(stream(fixture(name)), BASIC))
    [problem] = caught.value.problems
    assert (problem.line, problem.column, problem.message) == (line, column, reason)


def test_nothing_is_yielded_after_the_first_problem() -> None:
    seen: list[ParsedTransaction] = []
    with pytest.raises(ParseFailed):
        seen.extend(iter_csv(stream(fixture("broken_bad_amount.csv")), BASIC))
    assert [t.payee for t in seen] == ["Coffee Corner"]


def test_validation_mode_returns_every_good_row_and_every_problem() -> None:
    transactions, problems = parse_csv_all(stream(fixture("broken_columns.csv")), BASIC)
    assert [t.line for t in transactions] == [2, 3, 5]
    assert [(p.line, p.message) for p in problems] == [
        (4, "this row has 2 columns where the file has 3")
    ]


def test_a_binary_file_is_refused_as_not_text() -> None:
    with pytest.raises(ParseFailed, match="not a text file"):
        sniff(fixture("broken_binary.csv"))
    transactions, problems = parse_csv_all(stream(fixture("broken_binary.csv")), BASIC)
    assert transactions == []
    assert "not a text file" in problems[0].message
