"""Streaming a CSV export into transactions: the hot path of a million-row import.

First a plan from the head of the file (delimiter, header, column positions, date
format); then one loop over the rest where a row costs a csv split, a cached date, one
Decimal and one record (`csv_convert`). Line numbers are physical lines of the file.

Problems are logged with their line and the scan goes on to find the rest, but once one
is logged no further transaction is yielded: the file will be refused, so the consumer
should not be handed work it must throw away.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain, islice
from typing import BinaryIO

from coffer.imports.parsers.csv_convert import (
    CellError,
    Converter,
    Row,
    make_converter,
    resolve_columns,
)
from coffer.imports.parsers.csv_mapping import CsvMapping
from coffer.imports.parsers.dates import DateFormatError, detect_date_format
from coffer.imports.parsers.delimiters import detect_delimiter
from coffer.imports.parsers.records import ParsedTransaction, ProblemLog
from coffer.imports.parsers.text import InputStop, open_text

# A bank row is a few hundred characters: a longer line is the wrong file or an attack.
MAX_LINE_CHARS = 64 * 1024
# Lines read ahead to plan: the delimiter is judged on the first few dozen, the date
# format (when "auto") on the dates of all of them.
HEAD_LINES = 1000
SNIFF_LINES = 50


@dataclass(frozen=True, slots=True)
class _Plan:
    delimiter: str
    convert: Converter
    width: int
    header_line: int  # 0 without a header


def scan_csv(
    stream: BinaryIO, mapping: CsvMapping, log: ProblemLog, *, after_problems: bool = False
) -> Iterator[ParsedTransaction]:
    """Transactions of the file; with `after_problems`, good rows are yielded even after a
    problem was logged (for a preview that shows both)."""
    text = open_text(stream, mapping.encoding, MAX_LINE_CHARS)
    try:
        for _ in range(mapping.skip_rows):
            next(text, None)
        head = list(islice(text, HEAD_LINES))
        plan = _plan(head, mapping, log, complete=len(head) < HEAD_LINES)
        if plan is None:
            return
        reader = csv.reader(chain(head, text), delimiter=plan.delimiter, strict=False)
        yield from _rows(reader, plan, mapping, log, after_problems)
    except InputStop as stop:
        log.add(stop.line, stop.message)


def _plan(head: list[str], mapping: CsvMapping, log: ProblemLog, *, complete: bool) -> _Plan | None:
    delimiter = mapping.delimiter or detect_delimiter("".join(head[:SNIFF_LINES]))
    numbered = _numbered(head, delimiter, mapping.skip_rows)
    if not complete:
        numbered = numbered[:-1]  # a quoted field may run past the head: its row is cut
    first_data = 1 if mapping.has_header else 0
    if len(numbered) <= first_data:
        if mapping.has_header and not numbered:
            log.add(mapping.skip_rows + 1, "the file has no header row")
        return None  # a header and nothing else: no transactions, no problem
    header_line, header = numbered[0] if mapping.has_header else (0, [])
    body = numbered[first_data:]
    names = header or [f"column {i}" for i in range(len(body[0][1]))]
    index, missing = resolve_columns(mapping, names)
    for message in missing:
        log.add(header_line or body[0][0], message)
    if missing:
        return None
    at = index["date_column"]
    fmt = mapping.date_format
    if fmt == "auto":
        try:
            fmt = detect_date_format(row[at] for _, row in body if len(row) > at)
        except DateFormatError as exc:
            log.add(body[0][0], str(exc), names[at])
            return None
    convert = make_converter(mapping, names, index, fmt)
    return _Plan(delimiter, convert, len(names), header_line)


def _numbered(lines: list[str], delimiter: str, offset: int) -> list[tuple[int, Row]]:
    reader = csv.reader(lines, delimiter=delimiter, strict=False)
    found = []
    last = offset
    while True:
        try:
            for row in reader:
                line, last = last + 1, reader.line_num + offset
                if row and (len(row) > 1 or row[0].strip()):
                    found.append((line, row))
            return found
        except csv.Error:
            last = reader.line_num + offset  # reported when the file itself is read


def _rows(
    reader: Iterator[Row],
    plan: _Plan,
    mapping: CsvMapping,
    log: ProblemLog,
    after_problems: bool,
) -> Iterator[ParsedTransaction]:
    convert, width, offset = plan.convert, plan.width, mapping.skip_rows
    problems = log.problems  # a list: checking it per row costs no Python call
    while reader.line_num + offset < plan.header_line:  # type: ignore[attr-defined]
        try:  # up to and including the header, which the plan has read
            next(reader)
        except csv.Error:
            continue
        except StopIteration:
            return
    last = reader.line_num + offset  # type: ignore[attr-defined]
    while True:
        try:
            for row in reader:
                line = last + 1
                last = reader.line_num + offset  # type: ignore[attr-defined]
                if len(row) != width:
                    if not row or (len(row) == 1 and not row[0].strip()):
                        continue  # a blank line
                    if _wrong_width(row, width, line, log):
                        continue
                try:
                    transaction = convert(row, line)
                except CellError as exc:
                    log.add(line, exc.message, exc.column)
                    continue
                if transaction is not None and (after_problems or not problems):
                    yield transaction
            return
        except csv.Error as exc:
            line, last = last + 1, reader.line_num + offset  # type: ignore[attr-defined]
            log.add(line, f"the row cannot be read as CSV ({exc})")


def _wrong_width(row: Row, width: int, line: int, log: ProblemLog) -> bool:
    # Trailing empty cells are how some banks end every data row; anything else is not.
    if len(row) > width and not any(cell.strip() for cell in row[width:]):
        del row[width:]
        return False
    log.add(line, f"this row has {len(row)} columns where the file has {width}")
    return True
