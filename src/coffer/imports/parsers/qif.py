"""QIF (Quicken Interchange Format) bank, credit card and cash accounts.

Read with the standard library rather than quiffen: quiffen reads from a path (not a
stream), reports no line numbers, and guesses ambiguous dates through dateutil where
Coffer must refuse them. A record is a run of lines, each a one-letter code and a value,
ended by "^"; each transaction carries the line its record starts on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import BinaryIO

from coffer.core.money import MoneyError
from coffer.imports.parsers.amounts import amount_parser
from coffer.imports.parsers.qif_dates import QifDateError, RawDate, infer_order, split_date
from coffer.imports.parsers.records import (
    ParsedTransaction,
    ParseFailed,
    ProblemLog,
    SplitLine,
)
from coffer.imports.parsers.text import decode_document, read_document

_ACCOUNT_TYPES = {"bank", "ccard", "cash", "oth a", "oth l"}
_LIST_TYPES = {"cat", "class", "memorized", "prices", "security", "invitem", "template"}
AmountParser = Callable[[str], Decimal]
_MANY_ACCOUNTS = "the file holds several accounts; export one account per file"
_LINE_END = re.compile(r"\r\n|\r|\n")
_COMMA_DECIMAL = re.compile(r",\d{1,2}$")
_POINT_DECIMAL = re.compile(r"\.\d{1,2}$")


@dataclass
class _Split:
    line: int
    values: dict[str, str] = field(default_factory=dict)


@dataclass
class _Record:
    line: int
    fields: dict[str, str] = field(default_factory=dict)
    at: dict[str, int] = field(default_factory=dict)  # the line of each field
    splits: list[_Split] = field(default_factory=list)


def parse_qif(stream: BinaryIO, *, date_order: str | None = None) -> list[ParsedTransaction]:
    """The transactions of a QIF file; `date_order` ("mdy" or "dmy") settles 03/04 dates."""
    text = decode_document(read_document(stream))
    records = list(_records(text))
    log = ProblemLog()
    dates = _raw_dates(records, log)
    try:
        order = infer_order(list(dates.values()), date_order)
    except QifDateError as exc:
        line = next(iter(dates), 1)
        raise ParseFailed.at(line, str(exc), "D") from None
    amounts = [r.fields.get("T", r.fields.get("U", "")) for r in records]
    parse = amount_parser(decimal_comma=_decimal_comma(amounts))
    found = [_transaction(r, dates.get(r.line), order, parse, log) for r in records]
    log.raise_if_any()
    return [t for t in found if t is not None]


def _records(text: str) -> Iterator[_Record]:
    """The transaction records, skipping category lists, classes and account headers."""
    section: str | None = None
    accounts: set[str] = set()
    account = ""
    record: _Record | None = None
    for number, raw in enumerate(_LINE_END.split(text), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("!"):
            if record is not None and section == "transactions" and record.fields:
                yield record  # a record the exporter did not close before the next section
            record = None
            section = _section(line, number, section)
            continue
        if section is None:
            raise ParseFailed.at(number, "this is not a QIF file: no !Type: line comes first")
        if record is None:
            record = _Record(number)
        if line == "^":
            if section == "account":
                account = record.fields.get("N", "")
            elif section == "transactions" and record.fields:
                accounts.add(account)
                if len(accounts) > 1:
                    raise ParseFailed.at(record.line, _MANY_ACCOUNTS)
                yield record
            record = None
            continue
        _add_field(record, line[0], line[1:].strip(), number)
    if record is not None and section == "transactions" and record.fields:
        yield record  # some exporters leave the final "^" out


def _section(line: str, number: int, current: str | None) -> str | None:
    header = line[1:].strip().casefold()
    if header == "account":
        return "account"
    if header.startswith("type:"):
        kind = header[5:].strip()
        if kind in _ACCOUNT_TYPES:
            return "transactions"
        if kind in _LIST_TYPES:
            return "list"
        if kind == "invst":
            raise ParseFailed.at(
                number, "investment QIF files are not read; export the cash account"
            )
        raise ParseFailed.at(number, f"{line!r} is not a QIF account type Coffer reads")
    return current  # !Option:AutoSwitch and !Clear:AutoSwitch change nothing here


def _add_field(record: _Record, code: str, value: str, number: int) -> None:
    if code == "S":
        record.splits.append(_Split(number, {"S": value}))
    elif code in "E$":
        if not record.splits or code in record.splits[-1].values:
            record.splits.append(_Split(number))
        record.splits[-1].values[code] = value
    elif code not in record.fields:  # repeated codes (A address lines) keep the first
        record.fields[code] = value
        record.at[code] = number


def _raw_dates(records: list[_Record], log: ProblemLog) -> dict[int, RawDate]:
    dates = {}
    for record in records:
        text = record.fields.get("D")
        if text is None:
            log.add(record.line, "the transaction has no date (D line)", "D")
            continue
        try:
            dates[record.line] = split_date(text)
        except QifDateError as exc:
            log.add(record.at["D"], str(exc), "D")
    return dates


def _decimal_comma(amounts: list[str]) -> bool:
    commas = sum(1 for a in amounts if _COMMA_DECIMAL.search(a.strip()))
    points = sum(1 for a in amounts if _POINT_DECIMAL.search(a.strip()))
    return commas > points


def _transaction(
    record: _Record,
    raw: RawDate | None,
    order: str,
    parse: AmountParser,
    log: ProblemLog,
) -> ParsedTransaction | None:
    code = "T" if "T" in record.fields else "U"
    amount = _amount(record.fields.get(code), parse, record.at.get(code, record.line), code, log)
    splits = tuple(_split(s, parse, log) for s in record.splits)
    if raw is None or amount is None or any(s is None for s in splits):
        return None
    try:
        posted = raw.resolve(order)
    except ValueError:
        log.add(record.at["D"], f"{record.fields['D']!r} is not a real date", "D")
        return None
    lines = tuple(s for s in splits if s is not None)
    total = sum((s.amount for s in lines), Decimal(0))
    if lines and total != amount:
        log.add(record.splits[0].line, f"the split lines add up to {total}, not {amount}", "$")
        return None
    fields = record.fields
    return ParsedTransaction(
        record.line,
        posted,
        amount,
        fields.get("P", ""),
        fields.get("M", ""),
        category=fields.get("L") or None,
        check_number=fields.get("N") or None,
        splits=lines,
    )


def _split(split: _Split, parse: AmountParser, log: ProblemLog) -> SplitLine | None:
    values = split.values
    amount = _amount(values.get("$"), parse, split.line, "$", log)
    if amount is None:
        return None
    return SplitLine(category=values.get("S") or None, amount=amount, memo=values.get("E", ""))


def _amount(
    text: str | None, parse: AmountParser, line: int, code: str, log: ProblemLog
) -> Decimal | None:
    if text is None or not text.strip():
        log.add(line, f"the {'transaction' if code == 'T' else 'split line'} has no amount", code)
        return None
    try:
        return parse(text.strip())
    except MoneyError as exc:
        log.add(line, str(exc), code)
        return None
