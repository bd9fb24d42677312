"""Bank files to transactions: the parsing stage of the import pipeline.

Pure: no database, no web. Every parser yields `ParsedTransaction` records (signed
Decimal amounts, the line each came from) and refuses a bad file with one `ParseFailed`
listing every problem found, each with its line. Later stages deduplicate, apply rules
and write.

    fmt = detect_format(upload.filename, head)
    transactions, statement = parse(stream, fmt=fmt, mapping=mapping)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from coffer.imports.parsers.camt import parse_camt
from coffer.imports.parsers.csv_format import (
    CsvMapping,
    CsvPreview,
    MappingError,
    iter_csv,
    parse_csv_all,
    sniff,
)
from coffer.imports.parsers.ofx import parse_ofx
from coffer.imports.parsers.presets import PRESETS, detect_preset, preset
from coffer.imports.parsers.qif import parse_qif
from coffer.imports.parsers.records import (
    ParsedTransaction,
    ParseFailed,
    ParseProblem,
    SplitLine,
    StatementInfo,
)
from coffer.imports.parsers.sniffing import FORMATS, detect_format

__all__ = [
    "FORMATS",
    "PRESETS",
    "CsvMapping",
    "CsvPreview",
    "MappingError",
    "ParseFailed",
    "ParseProblem",
    "ParsedTransaction",
    "SplitLine",
    "StatementInfo",
    "detect_format",
    "detect_preset",
    "iter_csv",
    "parse",
    "parse_csv_all",
    "preset",
    "sniff",
]


def parse(
    stream: BinaryIO,
    *,
    fmt: str,
    mapping: CsvMapping | None = None,
    date_order: str | None = None,
) -> tuple[Iterator[ParsedTransaction], StatementInfo | None]:
    """The transactions of a bank file and what the file says of its statement.

    CSV needs `mapping` and streams: ParseFailed may come while iterating. The other
    formats are read whole (at most 64 MB) and refused here, before any transaction is
    handed out. `date_order` ("mdy" or "dmy") settles ambiguous QIF dates.
    """
    if fmt == "csv":
        if mapping is None:
            raise ValueError("a CSV file needs a mapping of its columns")
        return iter_csv(stream, mapping), None
    if fmt == "ofx":
        transactions, info = parse_ofx(stream)
        return iter(transactions), info
    if fmt == "camt053":
        transactions, info = parse_camt(stream)
        return iter(transactions), info
    if fmt == "qif":
        return iter(parse_qif(stream, date_order=date_order)), None
    raise ValueError(f"{fmt!r} is not a format; expected one of {', '.join(FORMATS)}")
