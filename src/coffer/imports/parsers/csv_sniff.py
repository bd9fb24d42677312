"""A first look at a CSV export: encoding, delimiter, header, the first rows and a mapping
to start from, for the import page's column-mapping preview.

The suggested mapping is a proposal a person confirms, never applied silently: a preset
when the header is a known app's export, otherwise columns guessed from header names and
formats guessed from the values. What could not be guessed is said in `notes`.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field

from coffer.imports.parsers.csv_mapping import Column, CsvMapping, MappingError
from coffer.imports.parsers.dates import (
    CANDIDATE_FORMATS,
    DateFormatError,
    detect_date_format,
    fits,
)
from coffer.imports.parsers.delimiters import (
    detect_delimiter,
    physical_lines,
    split_lines,
    table_start,
)
from coffer.imports.parsers.headers import guess_roles
from coffer.imports.parsers.presets import detect_preset, preset
from coffer.imports.parsers.text import SAMPLE_BYTES, detect_encoding

_COMMA_DECIMAL = re.compile(r"\d,\d{1,2}(?!\d)")
_POINT_DECIMAL = re.compile(r"\d\.\d{1,2}(?!\d)")
_AMOUNTISH = re.compile(r"^[-+(]?[$€£]?\s?[\d.,' ]+\)?\s?[A-Z]{0,3}$")


@dataclass(frozen=True, slots=True)
class CsvPreview:
    encoding: str
    delimiter: str
    has_header: bool
    skip_rows: int
    header: list[str]
    rows: list[list[str]]
    suggested: CsvMapping | None
    preset: str | None = None
    notes: list[str] = field(default_factory=list)


def sniff(data: bytes, *, max_rows: int = 20) -> CsvPreview:
    """Look at the start of a file (a few kilobytes is plenty) and propose how to read it.

    Raises ParseFailed when the bytes are not text.
    """
    sample = data[:SAMPLE_BYTES]
    encoding = detect_encoding(sample, complete=len(data) <= SAMPLE_BYTES)
    text = sample.decode(encoding, "replace").removeprefix("\ufeff")
    delimiter = detect_delimiter(text)
    lines = physical_lines(text)
    skip = _preamble_lines(lines, delimiter)
    rows = split_lines("".join(lines[skip:]), delimiter)
    has_header = bool(rows) and _is_header(rows[0], rows[1:2])
    header = rows[0] if has_header else []
    body = rows[1:] if has_header else rows
    notes: list[str] = []
    name = detect_preset(header) if has_header else None
    if name is not None:
        suggested: CsvMapping | None = _adjust_preset(name, delimiter, skip, body, header, notes)
    else:
        suggested = _suggest(header, body, delimiter, skip, notes)
    return CsvPreview(
        encoding=encoding,
        delimiter=delimiter,
        has_header=has_header,
        skip_rows=skip,
        header=header,
        rows=body[:max_rows],
        suggested=suggested,
        preset=name,
        notes=notes,
    )


def _preamble_lines(lines: list[str], delimiter: str) -> int:
    """Lines above the table (account number, period) that banks print before the header."""
    rows = _rows_by_line(lines, delimiter)
    if len(lines) > 1 and not lines[-1].endswith(("\n", "\r")):
        rows = rows[:-1]  # the sample may cut the last line short
    if not rows:
        return 0
    return rows[table_start([len(row) for _, row in rows])][0]


def _rows_by_line(lines: list[str], delimiter: str) -> list[tuple[int, list[str]]]:
    """The non-blank rows with the line each starts on. A quoted cell may hold line
    breaks (a memo, the parts of a split in Coffer's export): its row counts once, so
    the lines it runs over are not taken for narrow rows that end a preamble."""
    reader = csv.reader(lines, delimiter=delimiter, strict=False)
    rows = []
    start = 0
    try:
        for cells in reader:
            if cells and (len(cells) > 1 or cells[0].strip()):
                rows.append((start, cells))
            start = reader.line_num
    except csv.Error:
        numbered = [(n, split_lines(line, delimiter)) for n, line in enumerate(lines)]
        return [(n, cells[0]) for n, cells in numbered if cells]
    return rows


def _looks_like_value(cell: str) -> bool:
    cell = cell.strip()
    if not cell:
        return False
    if _AMOUNTISH.match(cell):
        return True
    return any(fits(fmt, [cell]) for fmt in CANDIDATE_FORMATS)


def _is_header(first: list[str], following: list[list[str]]) -> bool:
    if any(_looks_like_value(cell) for cell in first):
        return False
    return not following or any(_looks_like_value(cell) for cell in following[0])


def _adjust_preset(
    name: str,
    delimiter: str,
    skip: int,
    body: list[list[str]],
    header: list[str],
    notes: list[str],
) -> CsvMapping:
    base = preset(name)
    data = base.to_dict()
    data.update(delimiter=delimiter, skip_rows=skip)
    if base.date_format == "auto":
        data["date_format"] = _date_format_or_auto(header, body, base.date_column, notes)
    return CsvMapping.from_dict(data)


def _suggest(
    header: list[str], body: list[list[str]], delimiter: str, skip: int, notes: list[str]
) -> CsvMapping | None:
    if not header:
        notes.append("the file has no header row: choose the columns by position")
        return None
    roles = guess_roles(header)
    if "date" not in roles:
        notes.append("no column looks like the date: choose it")
        return None
    has_amount = "amount" in roles
    if not has_amount and not ("debit" in roles and "credit" in roles):
        notes.append("no column looks like the amount: choose it")
        return None
    amount_cells = [
        row[roles[k]]
        for row in body
        for k in ("amount", "debit", "credit")
        if k in roles and roles[k] < len(row)
    ]
    column = header[roles["date"]]
    memo: tuple[Column, ...] = (header[roles["memo"]],) if "memo" in roles else ()
    try:
        return CsvMapping(
            date_column=column,
            date_format=_date_format_or_auto(header, body, column, notes),
            amount_column=header[roles["amount"]] if has_amount else None,
            debit_column=None if has_amount else header[roles["debit"]],
            credit_column=None if has_amount else header[roles["credit"]],
            payee_column=header[roles["payee"]] if "payee" in roles else None,
            payee_in_column=header[roles["payer"]] if "payer" in roles else None,
            memo_columns=memo,
            currency_column=header[roles["currency"]] if "currency" in roles else None,
            category_column=header[roles["category"]] if "category" in roles else None,
            decimal_comma=_decimal_comma(amount_cells, delimiter),
            delimiter=delimiter,
            skip_rows=skip,
        )
    except MappingError as exc:
        notes.extend(exc.problems)
        return None


def _date_format_or_auto(
    header: list[str], body: list[list[str]], column: Column, notes: list[str]
) -> str:
    if not isinstance(column, str) or column not in header:
        return "auto"
    at = header.index(column)
    try:
        return detect_date_format(row[at] for row in body if len(row) > at)
    except DateFormatError as exc:
        notes.append(str(exc))
        return "auto"


def _decimal_comma(cells: list[str], delimiter: str) -> bool:
    commas = sum(1 for cell in cells if _COMMA_DECIMAL.search(cell))
    points = sum(1 for cell in cells if _POINT_DECIMAL.search(cell))
    if commas or points:
        return commas > points
    return delimiter == ";"  # where the comma is the decimal mark, ";" separates columns
