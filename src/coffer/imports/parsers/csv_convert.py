"""One CSV row to one transaction, with every per-file decision taken before the first row.

`make_converter` resolves the mapping's columns against the header and returns a closure
that does only per-row work; a cell that cannot be read raises `CellError` naming the
column, which the reader turns into a problem on that line.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from coffer.core.money import MoneyError, currency
from coffer.imports.parsers.amounts import PLAIN_POINT, amount_parser
from coffer.imports.parsers.cells import CellProblem, read_splits, read_tags, unguard
from coffer.imports.parsers.csv_mapping import OPTIONAL_FIELDS, CsvMapping
from coffer.imports.parsers.dates import cached_date_parser, describe
from coffer.imports.parsers.records import ParsedTransaction, SplitLine

Row = list[str]
Converter = Callable[[Row, int], ParsedTransaction | None]
_ZERO = Decimal(0)


class CellError(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


def resolve_columns(mapping: CsvMapping, names: list[str]) -> tuple[dict[str, int], list[str]]:
    """Field name to column position (memo columns as memo_columns.N), and what is missing.

    An optional column the file lacks is at position -1 and is not reported."""
    cleaned = [name.strip().lstrip("\ufeff").casefold() for name in names]
    index: dict[str, int] = {}
    missing = []
    memo_count = 0
    for field, column in mapping.columns():
        if isinstance(column, int):
            position = column if column < len(names) else -1
        else:
            wanted = column.strip().casefold()
            position = cleaned.index(wanted) if wanted in cleaned else -1
        if position < 0 and field not in OPTIONAL_FIELDS:
            missing.append(f"the file has no column {column!r} (for {field})")
        if field == "memo_columns":
            field = f"memo_columns.{memo_count}"
            memo_count += 1
        index[field] = position
    return index, missing


def make_converter(
    mapping: CsvMapping,
    names: list[str],
    index: dict[str, int],
    date_format: str,
) -> Converter:
    """The row converter for this mapping and header (its speed is the import's speed)."""
    date_cache, parse_date = cached_date_parser(date_format)
    cached_date = date_cache.get
    date_shown = describe(date_format)
    amount_of = _amount_reader(mapping, names, index)
    # Plain signed amounts skip the reader's call: one pattern check, one Decimal.
    at_amount = index.get("amount_column", -1)
    if mapping.negate or mapping.decimal_comma or mapping.direction_column is not None:
        at_amount = -1
    plain = PLAIN_POINT.fullmatch
    at_date = index["date_column"]
    date_name = names[at_date]
    at_payee = index.get("payee_column")
    at_payee_in = index.get("payee_in_column")
    at_id = index.get("external_id_column")
    at_category = index.get("category_column")
    at_currency = index.get("currency_column")
    read_currency = _currency_reader(names[at_currency]) if at_currency is not None else None
    memos = [index[key] for key in index if key.startswith("memo_columns.")]
    one_memo = memos[0] if len(memos) == 1 else None
    skip_zero = mapping.skip_zero
    record = ParsedTransaction
    extras = _extras_reader(mapping, names, index)

    def convert(row: Row, line: int) -> ParsedTransaction | None:
        text = row[at_date]
        posted = cached_date(text)
        if posted is None:
            try:
                posted = parse_date(text)
            except ValueError:
                raise CellError(date_name, _date_message(text, date_shown)) from None
        if at_amount >= 0 and plain(row[at_amount]):
            amount = Decimal(row[at_amount])
        else:
            amount = amount_of(row)
        if skip_zero and not amount:
            return None
        payee = row[at_payee].strip() if at_payee is not None else ""
        if at_payee_in is not None and amount > 0:
            payee = row[at_payee_in].strip()
        if one_memo is not None:
            memo = row[one_memo].strip()
        else:
            memo = " ".join([text for text in (row[i].strip() for i in memos) if text])
        category = (row[at_category].strip() or None) if at_category is not None else None
        external_id = (row[at_id].strip() or None) if at_id is not None else None
        code = read_currency(row[at_currency]) if read_currency is not None else None  # type: ignore[index]
        if extras is None:
            return record(line, posted, amount, payee, memo, external_id, code, category)
        return extras(row, line, posted, amount, payee, memo, external_id, code, category)

    return convert


def _extras_reader(
    mapping: CsvMapping, names: list[str], index: dict[str, int]
) -> Callable[..., ParsedTransaction] | None:
    """The record of a row whose mapping reads tags, split parts or guarded text; None
    when it reads none of them, so the plain bank row pays nothing for them."""
    at_tags = index.get("tags_column", -1)
    at_splits = index.get("splits_column", -1)
    guard = mapping.formula_guard
    if at_tags < 0 and at_splits < 0 and not guard:
        return None
    record = ParsedTransaction

    def build(
        row: Row,
        line: int,
        posted: date,
        amount: Decimal,
        payee: str,
        memo: str,
        external_id: str | None,
        code: str | None,
        category: str | None,
    ) -> ParsedTransaction:
        if guard:
            payee, memo = unguard(payee), unguard(memo)
            category = unguard(category) if category else category
        tags = read_tags(unguard(row[at_tags]) if guard else row[at_tags]) if at_tags >= 0 else ()
        splits: tuple[SplitLine, ...] = ()
        if at_splits >= 0 and row[at_splits].strip():
            try:
                splits = read_splits(row[at_splits], amount)
            except CellProblem as exc:
                raise CellError(names[at_splits], str(exc)) from None
            category = None  # a split transaction's categories are its parts'
        return record(
            line, posted, amount, payee, memo, external_id, code, category, None, splits, tags
        )

    return build


def _date_message(text: str, shown: str) -> str:
    if not text.strip():
        return "the date is empty"
    return f"{text.strip()[:40]!r} is not a date in the format {shown}"


def _amount_message(text: str, exc: MoneyError) -> str:
    return "the amount is empty" if not text.strip() else str(exc)


def _amount_reader(
    mapping: CsvMapping, names: list[str], index: dict[str, int]
) -> Callable[[Row], Decimal]:
    parse = amount_parser(decimal_comma=mapping.decimal_comma)
    if mapping.amount_column is None:
        return _debit_credit_reader(parse, names, index["debit_column"], index["credit_column"])
    at = index["amount_column"]
    name = names[at]
    at_direction = index.get("direction_column")
    debit_words = frozenset(word.strip().casefold() for word in mapping.debit_markers)
    negate = mapping.negate

    def signed(row: Row) -> Decimal:
        text = row[at]
        try:
            value = parse(text)
        except MoneyError as exc:
            raise CellError(name, _amount_message(text, exc)) from None
        if at_direction is not None:
            debit = row[at_direction].strip().casefold() in debit_words
            value = -abs(value) if debit and value else abs(value)
        if negate and value:
            value = -value
        return value

    return signed


def _debit_credit_reader(
    parse: Callable[[str], Decimal], names: list[str], at_out: int, at_in: int
) -> Callable[[Row], Decimal]:
    """Money out and money in in two columns. The column says the direction: banks differ
    on whether they also print a minus in the debit column, so the sign there is ignored."""
    out_name, in_name = names[at_out], names[at_in]

    def side(text: str, name: str) -> Decimal | None:
        if not text.strip():
            return None
        try:
            return abs(parse(text))
        except MoneyError as exc:
            raise CellError(name, str(exc)) from None

    def split(row: Row) -> Decimal:
        paid_out = side(row[at_out], out_name)
        paid_in = side(row[at_in], in_name)
        if paid_out is None and paid_in is None:
            raise CellError(out_name, f"neither {out_name!r} nor {in_name!r} holds an amount")
        if paid_out and paid_in:
            raise CellError(out_name, f"both {out_name!r} and {in_name!r} hold an amount")
        if paid_out:
            return -paid_out
        return paid_in if paid_in is not None else _ZERO

    return split


def _currency_reader(name: str) -> Callable[[str], str | None]:
    known: set[str] = set()

    def read(text: str) -> str | None:
        code = text.strip().upper()
        if not code:
            return None
        if code not in known:
            try:
                currency(code)
            except MoneyError as exc:
                raise CellError(name, str(exc)) from None
            known.add(code)
        return code

    return read
