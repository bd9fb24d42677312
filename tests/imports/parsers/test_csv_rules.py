"""How a CSV mapping reads rows, each case written out as the file it reads."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from coffer.imports.parsers import CsvMapping, ParseFailed, iter_csv, parse_csv_all
from coffer.imports.parsers.csv_reader import MAX_LINE_CHARS
from tests.imports.parsers.helpers import stream, unseekable

SIGNED = CsvMapping(
    date_column="Date", date_format="%Y-%m-%d", amount_column="Amount", payee_column="Payee"
)


def amounts(text: str | bytes, mapping: CsvMapping) -> list[Decimal]:
    return [t.amount for t in iter_csv(stream(text), mapping)]


def problems(text: str | bytes, mapping: CsvMapping) -> list[tuple[int, str]]:
    with pytest.raises(ParseFailed) as caught:
        list(iter_csv(stream(text), mapping))
    return [(p.line, p.message) for p in caught.value.problems]


def test_every_problem_is_reported_at_once_with_its_line() -> None:
    text = """Date,Payee,Amount
2024-01-02,Bakery,-4.20
2024-13-01,Cinema,-18.00
2024-01-04,Grocer,abc
2024-01-05,Grocer

2024-01-07,Bookshop,
"""
    assert problems(text, SIGNED) == [
        (3, "'2024-13-01' is not a date in the format YYYY-MM-DD"),
        (4, "'abc' is not an amount"),
        (5, "this row has 2 columns where the file has 3"),
        (7, "the amount is empty"),
    ]


def test_a_missing_column_is_named_at_the_header() -> None:
    text = "Date,Description,Value\n2024-01-02,Bakery,-4.20\n"
    assert problems(text, SIGNED) == [
        (1, "the file has no column 'Amount' (for amount_column)"),
        (1, "the file has no column 'Payee' (for payee_column)"),
    ]


def test_line_numbers_are_physical_lines_across_quoted_line_breaks() -> None:
    text = 'Date,Payee,Amount\n2024-01-02,"Two\nline payee",-1.00\n\n2024-01-03,Grocer,-2.00\n'
    found = list(iter_csv(stream(text), SIGNED))
    assert [(t.line, t.payee) for t in found] == [(2, "Two\nline payee"), (5, "Grocer")]


def test_column_names_match_whatever_their_case_and_spacing() -> None:
    text = " date ,PAYEE,amount\n2024-01-02,Bakery,-4.20\n"
    assert amounts(text, SIGNED) == [Decimal("-4.20")]


def test_debit_and_credit_columns() -> None:
    mapping = CsvMapping(
        date_column="Date", date_format="%Y-%m-%d", debit_column="Out", credit_column="In"
    )
    text = "Date,Out,In\n2024-01-02,4.20,\n2024-01-03,,100\n2024-01-04,-7.00,0.00\n2024-01-05,0,0\n"
    assert amounts(text, mapping) == [
        Decimal("-4.20"),
        Decimal("100"),
        Decimal("-7.00"),
        Decimal("0"),
    ]
    bad = "Date,Out,In\n2024-01-02,4.20,1.00\n2024-01-03,,\n"
    assert problems(bad, mapping) == [
        (2, "both 'Out' and 'In' hold an amount"),
        (3, "neither 'Out' nor 'In' holds an amount"),
    ]


def test_direction_column_marks_debits() -> None:
    mapping = CsvMapping(
        date_column="Date",
        date_format="%Y-%m-%d",
        amount_column="Amount",
        direction_column="Type",
        debit_markers=("debit", "S"),
    )
    text = "Date,Amount,Type\n2024-01-02,4.20,debit\n2024-01-03,10,credit\n2024-01-04,2,s\n"
    assert amounts(text, mapping) == [Decimal("-4.20"), Decimal("10"), Decimal("-2")]


def test_negate_flips_exports_that_show_spending_as_positive() -> None:
    mapping = CsvMapping(
        date_column="Date", date_format="%Y-%m-%d", amount_column="Amount", negate=True
    )
    assert amounts("Date,Amount\n2024-01-02,4.20\n2024-01-03,-10\n2024-01-04,0\n", mapping) == [
        Decimal("-4.20"),
        Decimal("10"),
        Decimal("0"),
    ]


def test_skip_zero_drops_zero_rows() -> None:
    mapping = CsvMapping(
        date_column="Date", date_format="%Y-%m-%d", amount_column="Amount", skip_zero=True
    )
    assert amounts("Date,Amount\n2024-01-02,0\n2024-01-03,-1\n", mapping) == [Decimal("-1")]


def test_memo_columns_are_joined_and_optional_fields_read() -> None:
    mapping = CsvMapping(
        date_column="Date",
        date_format="%Y-%m-%d",
        amount_column="Amount",
        payee_column="Payee",
        memo_columns=("Text", "Ref"),
        external_id_column="Id",
        category_column="Cat",
        currency_column="Ccy",
    )
    text = "Date,Amount,Payee,Text,Ref,Id,Cat,Ccy\n2024-01-02,-1,Shop, card ,R1,tx-9,Food,eur\n"
    [found] = iter_csv(stream(text), mapping)
    assert (found.memo, found.external_id, found.category, found.currency) == (
        "card R1",
        "tx-9",
        "Food",
        "EUR",
    )
    bad = "Date,Amount,Payee,Text,Ref,Id,Cat,Ccy\n2024-01-02,-1,Shop,,,,,XYZ\n"
    assert problems(bad, mapping) == [(2, "'XYZ' is not an ISO 4217 currency code")]


def test_columns_by_position_without_a_header() -> None:
    mapping = CsvMapping(
        date_column=0,
        date_format="%d.%m.%Y",
        amount_column=2,
        payee_column=1,
        decimal_comma=True,
        delimiter=";",
        has_header=False,
    )
    text = "02.01.2024;Bäckerei;-4,20\n03.01.2024;Arbeitgeber;1.500,00\n"
    found = list(iter_csv(stream(text), mapping))
    assert [(t.line, t.payee, t.amount) for t in found] == [
        (1, "Bäckerei", Decimal("-4.20")),
        (2, "Arbeitgeber", Decimal("1500.00")),
    ]


def test_skip_rows_keeps_line_numbers_physical() -> None:
    mapping = CsvMapping(
        date_column="Date", date_format="%Y-%m-%d", amount_column="Amount", skip_rows=2
    )
    text = "Account: 1234\nPeriod: January\nDate,Amount\n2024-01-02,-1\n2024-01-03,x\n"
    assert problems(text, mapping) == [(5, "'x' is not an amount")]


def test_auto_date_format_is_detected_or_ambiguity_refused() -> None:
    auto = CsvMapping(date_column="Date", amount_column="Amount")
    assert [t.posted_on for t in iter_csv(stream("Date,Amount\n13/01/2024,1\n"), auto)] == [
        date(2024, 1, 13)
    ]
    assert problems("Date,Amount\n01/02/2024,1\n03/04/2024,1\n", auto) == [
        (2, "dates such as '01/02/2024' could be DD/MM/YYYY or MM/DD/YYYY; choose the date format")
    ]


def test_delimiter_detection_is_not_fooled_by_decimal_commas() -> None:
    mapping = CsvMapping(date_column="Datum", amount_column="Betrag", decimal_comma=True)
    text = "Datum;Text;Betrag\n01.02.2024;Miete;-845,00\n02.02.2024;Gehalt;3120,55\n"
    assert amounts(text, mapping) == [Decimal("-845.00"), Decimal("3120.55")]


def test_an_endless_line_is_refused_without_reading_it_whole() -> None:
    text = "Date,Payee,Amount\n2024-01-02,Bakery,-4.20\n" + "x" * (MAX_LINE_CHARS * 3)
    assert problems(text, SIGNED) == [
        (3, f"the line is longer than {MAX_LINE_CHARS} characters"),
    ]


def test_bytes_of_the_wrong_encoding_are_reported_on_their_exact_line() -> None:
    rows = "".join(f"2024-01-02,Shop {i},-1.00\r\n" for i in range(20_000))
    data = ("Date,Payee,Amount\r\n" + rows).encode()
    bad_line = 15_001
    at = data.index(b"Shop 14999")  # on line 15001 (line 1 is the header)
    data = data[:at] + b"Caf\xe9" + data[at + 4 :]
    mapping = CsvMapping(
        date_column="Date",
        date_format="%Y-%m-%d",
        amount_column="Amount",
        payee_column="Payee",
        encoding="utf-8",
    )
    assert problems(data, mapping) == [
        (bad_line, "the text is not valid utf-8; choose the encoding"),
    ]


def test_latin1_declared_reads_what_utf8_cannot() -> None:
    mapping = CsvMapping(
        date_column="Date",
        date_format="%Y-%m-%d",
        amount_column="Amount",
        payee_column="Payee",
        encoding="latin-1",
    )
    [found] = iter_csv(stream("Date,Payee,Amount\n2024-01-02,Café,-1\n".encode("latin-1")), mapping)
    assert found.payee == "Café"


def test_an_unseekable_upload_streams() -> None:
    text = "Date,Payee,Amount\n2024-01-01,Café Müller,-1.00\n" + "".join(
        f"2024-01-02,P{i},-{i}.00\n" for i in range(500)
    )
    found = list(iter_csv(unseekable(text.encode()), SIGNED))
    assert len(found) == 501
    assert found[0].payee == "Café Müller"  # its bytes arrive split across reads
    assert found[-1].amount == Decimal("-499.00")


def test_empty_and_header_only_files() -> None:
    assert problems(b"", SIGNED) == [(0, "the file is empty")]
    assert list(iter_csv(stream("Date,Payee,Amount\n"), SIGNED)) == []


def test_validation_mode_counts_what_it_does_not_list() -> None:
    text = "Date,Payee,Amount\n" + "2024-01-02,Shop,x\n" * 150
    transactions, found = parse_csv_all(stream(text), SIGNED)
    assert transactions == []
    assert len(found) == 101
    assert found[-1].message == "50 more problems are not listed"
