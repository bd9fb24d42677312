"""Property: transactions written out as CSV in any supported style read back exactly."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coffer.imports.parsers import CsvMapping, iter_csv

DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%m/%d/%Y", "%d/%m/%Y", "%Y%m%d")
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1")


@dataclass(frozen=True)
class Style:
    split_columns: bool
    decimal_comma: bool
    grouping: bool
    delimiter: str
    auto_delimiter: bool
    encoding: str
    date_format: str


styles = st.builds(
    Style,
    split_columns=st.booleans(),
    decimal_comma=st.booleans(),
    grouping=st.booleans(),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    auto_delimiter=st.booleans(),
    encoding=st.sampled_from(ENCODINGS),
    date_format=st.sampled_from(DATE_FORMATS),
)
# Text as banks write it: any printable character (cp1252 files keep to what it encodes),
# no surrounding spaces (readers strip them), line breaks inside quoted fields allowed.
words = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00")
    | st.sampled_from(["\n", "\r", '"', ",", ";", "|", "\t", "€", "é"]),
    max_size=30,
).map(str.strip)
amounts = st.decimals(
    min_value=Decimal("-999999999.99"), max_value=Decimal("999999999.99"), places=2
).map(lambda d: d if d else Decimal("0.00"))
rows = st.lists(
    st.tuples(st.dates(date(1970, 1, 1), date(2068, 12, 31)), amounts, words, words),
    max_size=25,
)


def write_amount(value: Decimal, style: Style) -> str:
    text = f"{value:,.2f}" if style.grouping else f"{value:.2f}"
    if style.decimal_comma:
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    return text


def write_csv(transactions: list[tuple[date, Decimal, str, str]], style: Style) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=style.delimiter, lineterminator="\r\n")
    amount_columns = ["Debit", "Credit"] if style.split_columns else ["Amount"]
    writer.writerow(["Date", "Payee", "Memo", *amount_columns])
    for posted, amount, payee, memo in transactions:
        if style.split_columns:
            written = write_amount(abs(amount), style)
            cells = [written, ""] if amount < 0 else ["", written]
        else:
            cells = [write_amount(amount, style)]
        writer.writerow([posted.strftime(style.date_format), payee, memo, *cells])
    return buffer.getvalue().encode(style.encoding)


def mapping_for(style: Style) -> CsvMapping:
    split = style.split_columns
    return CsvMapping(
        date_column="Date",
        date_format=style.date_format,
        amount_column=None if split else "Amount",
        debit_column="Debit" if split else None,
        credit_column="Credit" if split else None,
        payee_column="Payee",
        memo_columns=("Memo",),
        decimal_comma=style.decimal_comma,
        delimiter=None if style.auto_delimiter else style.delimiter,
        # A byte-order mark or strict UTF-8 is detected exactly; single-byte files are
        # named, as a saved import format names them.
        encoding="auto" if style.encoding.startswith("utf") else style.encoding,
    )


def representable(text: str, encoding: str) -> str:
    """`text` less what `encoding` cannot write (cp1252 has no Greek), stripped again."""
    return text.encode(encoding, "ignore").decode(encoding).strip()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(transactions=rows, style=styles)
def test_written_csv_reads_back_exactly(
    transactions: list[tuple[date, Decimal, str, str]], style: Style
) -> None:
    enc = style.encoding
    transactions = [
        (day, amount, representable(payee, enc), representable(memo, enc))
        for day, amount, payee, memo in transactions
    ]
    data = write_csv(transactions, style)
    found = list(iter_csv(io.BytesIO(data), mapping_for(style)))
    assert all(type(t.amount) is Decimal for t in found)
    assert [(t.posted_on, t.amount, t.payee, t.memo) for t in found] == transactions
