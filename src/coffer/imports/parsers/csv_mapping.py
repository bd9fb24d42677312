"""How the columns of a CSV export become transactions; saved import formats store it.

A column is named by its header text, or by its 0-based position when the file has no
header. The mapping is a frozen value: `to_dict`/`from_dict` give the JSON form saved
import formats keep, and `from_dict` validates everything it reads (a saved format may be
old or hand-edited).
"""

from __future__ import annotations

import codecs
from dataclasses import asdict, dataclass, fields
from typing import Any

from coffer.imports.parsers.dates import DateFormatError, date_parser

Column = str | int

MAPPING_VERSION = 1
DEFAULT_DEBIT_MARKERS = ("debit", "dr", "d", "s", "soll", "-")
_COLUMN_FIELDS = (
    "date_column",
    "amount_column",
    "debit_column",
    "credit_column",
    "direction_column",
    "payee_column",
    "payee_in_column",
    "external_id_column",
    "category_column",
    "currency_column",
    "tags_column",
    "splits_column",
)
# Columns a file may lack: `splits_column` is Coffer's own, and its exports made before
# it was written have no split parts to read.
OPTIONAL_FIELDS = frozenset({"splits_column"})


class MappingError(ValueError):
    """A mapping that cannot be used; `problems` names each field and what is wrong."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class CsvMapping:
    """Where each field is, and how the file is written.

    Amounts come from exactly one of: `amount_column` (signed; `negate` flips exports that
    show spending as positive; `direction_column` marks debits, as Mint's "Transaction
    Type" does), or `debit_column` with `credit_column`. `payee_in_column` names the
    counterparty of money coming in when an export keeps it apart (Firefly III's source
    and destination accounts). `skip_zero` drops rows of amount zero, such as the header
    lines of split transactions in Actual Budget's export.

    `tags_column` holds tag names separated by ";". `splits_column` holds the parts of a
    split transaction in Coffer's own encoding (parsers/cells.py); unlike Actual's
    export, where each part is a row of its own and the split is lost, the parts stay
    one transaction. A file without that column simply has no split transactions.
    `formula_guard` takes off the apostrophe Coffer's export puts before text a
    spreadsheet would run as a formula, so "-5% off" comes back as it was written.
    """

    date_column: Column
    amount_column: Column | None = None
    debit_column: Column | None = None
    credit_column: Column | None = None
    direction_column: Column | None = None
    debit_markers: tuple[str, ...] = DEFAULT_DEBIT_MARKERS
    negate: bool = False
    payee_column: Column | None = None
    payee_in_column: Column | None = None
    memo_columns: tuple[Column, ...] = ()
    external_id_column: Column | None = None
    category_column: Column | None = None
    currency_column: Column | None = None
    tags_column: Column | None = None
    splits_column: Column | None = None
    date_format: str = "auto"
    decimal_comma: bool = False
    delimiter: str | None = None
    has_header: bool = True
    skip_rows: int = 0
    encoding: str = "auto"
    skip_zero: bool = False
    formula_guard: bool = False

    def __post_init__(self) -> None:
        problems = mapping_problems(self)
        if problems:
            raise MappingError(problems)

    def columns(self) -> list[tuple[str, Column]]:
        """Every (field name, column) the mapping reads, for resolving against a header."""
        found = [(name, getattr(self, name)) for name in _COLUMN_FIELDS]
        found += [("memo_columns", column) for column in self.memo_columns]
        return [(name, column) for name, column in found if column is not None]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["memo_columns"] = list(self.memo_columns)
        data["debit_markers"] = list(self.debit_markers)
        return {"version": MAPPING_VERSION, **data}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CsvMapping:
        if not isinstance(data, dict):
            raise MappingError(["a mapping must be a JSON object"])
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key != "version"}
        unknown = sorted(set(values) - known)
        if unknown:
            raise MappingError([f"{key}: not a mapping field" for key in unknown])
        for key in ("memo_columns", "debit_markers"):
            if isinstance(values.get(key), list):
                values[key] = tuple(values[key])
        problems = _type_problems(values)
        if problems:
            raise MappingError(problems)
        return cls(**values)


def _type_problems(values: dict[str, Any]) -> list[str]:
    problems = []
    for name in (*_COLUMN_FIELDS, "date_format", "encoding", "delimiter"):
        value = values.get(name)
        allowed: tuple[type, ...] = (str,) if name in ("date_format", "encoding") else (str, int)
        if value is not None and (isinstance(value, bool) or not isinstance(value, allowed)):
            problems.append(f"{name}: {value!r} has the wrong type")
    for name in ("negate", "decimal_comma", "has_header", "skip_zero", "formula_guard"):
        if name in values and not isinstance(values[name], bool):
            problems.append(f"{name}: must be true or false")
    if "skip_rows" in values and (
        isinstance(values["skip_rows"], bool) or not isinstance(values["skip_rows"], int)
    ):
        problems.append("skip_rows: must be a whole number")
    for name in ("memo_columns", "debit_markers"):
        items = values.get(name, ())
        if not isinstance(items, tuple) or any(
            isinstance(v, bool) or not isinstance(v, (str, int)) for v in items
        ):
            problems.append(f"{name}: must be a list of columns or words")
    return problems


def mapping_problems(mapping: CsvMapping) -> list[str]:
    """Everything wrong with a mapping, each naming its field."""
    problems = _amount_problems(mapping)
    for name, column in mapping.columns():
        if isinstance(column, int) and not 0 <= column < 10_000:
            problems.append(f"{name}: column positions count from 0")
        elif isinstance(column, str) and not column.strip():
            problems.append(f"{name}: a column name cannot be empty")
        elif isinstance(column, str) and not mapping.has_header:
            problems.append(f"{name}: without a header, columns are given by position")
    if mapping.date_format != "auto":
        try:
            date_parser(mapping.date_format)
        except DateFormatError as exc:
            problems.append(f"date_format: {exc}")
    if mapping.delimiter is not None and (
        len(mapping.delimiter) != 1 or mapping.delimiter in '"\r\n'
    ):
        problems.append("delimiter: must be one character, not a quote or line break")
    if not 0 <= mapping.skip_rows <= 1000:
        problems.append("skip_rows: must be between 0 and 1000")
    if mapping.encoding != "auto":
        try:
            codecs.lookup(mapping.encoding)
        except LookupError:
            problems.append(f"encoding: {mapping.encoding!r} is not a known encoding")
    return problems


def _amount_problems(mapping: CsvMapping) -> list[str]:
    signed = mapping.amount_column is not None
    split = mapping.debit_column is not None or mapping.credit_column is not None
    if signed == split:
        return ["amount_column: give an amount column, or debit and credit columns (not both)"]
    if split and (mapping.debit_column is None or mapping.credit_column is None):
        return ["debit_column: debit and credit columns go together"]
    if mapping.direction_column is not None and not mapping.debit_markers:
        return ["debit_markers: a direction column needs the words that mark a debit"]
    return []
