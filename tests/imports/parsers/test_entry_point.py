"""detect_format and parse: one door into every parser."""

from __future__ import annotations

from decimal import Decimal

import pytest

from coffer.imports.parsers import ParseFailed, detect_format, parse, preset
from coffer.imports.parsers.text import read_document
from tests.imports.parsers.helpers import fixture, stream


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bank_v1.ofx", "ofx"),
        ("creditcard_v2.ofx", "ofx"),
        ("quicken.qfx", "ofx"),
        ("bank_split.qif", "qif"),
        ("statement.camt053.001.02.xml", "camt053"),
        ("statement.camt053.001.08.xml", "camt053"),
        ("us_bank.csv", "csv"),
        ("german_bank.csv", "csv"),
        ("excel_unicode.csv", "csv"),
    ],
)
def test_content_decides_the_format(name: str, expected: str) -> None:
    head = fixture(name)[:4096]
    assert detect_format(name, head) == expected
    assert detect_format("download.txt", head) == expected  # names lie; content does not


@pytest.mark.parametrize(
    ("name", "head", "reason"),
    [
        ("statement.csv", fixture("broken_binary.csv"), "not a text file"),
        ("page.xml", b"<html><body>Session expired</body></html>", "neither a CAMT.053"),
        ("export.ofx", b"Date,Amount\n2024-01-02,1\n", "named .ofx but its content is not"),
    ],
)
def test_unknown_files_are_refused(name: str, head: bytes, reason: str) -> None:
    with pytest.raises(ParseFailed, match=reason):
        detect_format(name, head)


@pytest.mark.parametrize(
    ("name", "fmt", "count", "closing"),
    [
        ("bank_v1.ofx", "ofx", 4, Decimal("3412.78")),
        ("statement.camt053.001.08.xml", "camt053", 2, Decimal("-87.35")),
        ("bank_split.qif", "qif", 4, None),
    ],
)
def test_parse_returns_transactions_and_statement(
    name: str, fmt: str, count: int, closing: Decimal | None
) -> None:
    transactions, info = parse(stream(fixture(name)), fmt=fmt)
    assert len(list(transactions)) == count
    assert (info.closing_balance if info else None) == closing


def test_parse_csv_streams_with_a_mapping() -> None:
    transactions, info = parse(
        stream(fixture("mint_transactions.csv")), fmt="csv", mapping=preset("mint")
    )
    assert info is None
    assert next(transactions).amount == Decimal("-54.23")


def test_parse_refuses_a_bad_file_before_handing_out_anything() -> None:
    with pytest.raises(ParseFailed):
        parse(stream(fixture("broken_camt_missing_amt.xml")), fmt="camt053")


def test_parse_csv_refuses_while_iterating() -> None:
    transactions, _ = parse(
        stream(fixture("broken_bad_amount.csv")), fmt="csv", mapping=preset("actual")
    )
    with pytest.raises(ParseFailed, match="no column 'Payee'"):
        list(transactions)


def test_parse_needs_a_known_format_and_a_csv_mapping() -> None:
    with pytest.raises(ValueError, match="needs a mapping"):
        parse(stream(b""), fmt="csv")
    with pytest.raises(ValueError, match="'xlsx' is not a format"):
        parse(stream(b""), fmt="xlsx")


def test_qif_date_order_passes_through() -> None:
    text = "!Type:Bank\nD03/04/2024\nT-1.00\n^\n"
    transactions, _ = parse(stream(text), fmt="qif", date_order="dmy")
    assert next(transactions).posted_on.month == 4


def test_documents_past_the_size_limit_are_refused_unread() -> None:
    with pytest.raises(ParseFailed, match="larger than 1 MB"):
        read_document(stream(b"x" * (1024 * 1024 + 1)), 1024 * 1024)
