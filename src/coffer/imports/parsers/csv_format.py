"""CSV bank exports: the mapping, the preview, and reading a file with it.

    preview = sniff(first_kilobytes)           # encoding, delimiter, header, suggestion
    mapping = preview.suggested                # confirmed or edited by a person
    for transaction in iter_csv(stream, mapping):
        ...                                    # ParseFailed may end the iteration

`iter_csv` streams: memory stays flat however long the file. It keeps reading after a
problem to report them all, yields nothing more once one is found, and raises
ParseFailed with every problem when the file ends, so a consumer writing inside one
database transaction rolls it back. `parse_csv_all` is the validation mode: every good
row and every problem, for the preview page.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from coffer.imports.parsers.csv_mapping import CsvMapping, MappingError
from coffer.imports.parsers.csv_reader import scan_csv
from coffer.imports.parsers.csv_sniff import CsvPreview, sniff
from coffer.imports.parsers.records import ParsedTransaction, ParseFailed, ParseProblem, ProblemLog

__all__ = ["CsvMapping", "CsvPreview", "MappingError", "iter_csv", "parse_csv_all", "sniff"]


def iter_csv(stream: BinaryIO, mapping: CsvMapping) -> Iterator[ParsedTransaction]:
    """The transactions of a CSV file, streamed; raises ParseFailed listing every problem."""
    log = ProblemLog()
    yield from scan_csv(stream, mapping, log)
    log.raise_if_any()


def parse_csv_all(
    stream: BinaryIO, mapping: CsvMapping
) -> tuple[list[ParsedTransaction], list[ParseProblem]]:
    """Every readable row and every problem (the first MAX_PROBLEMS, then a count)."""
    log = ProblemLog()
    try:
        transactions = list(scan_csv(stream, mapping, log, after_problems=True))
    except ParseFailed as failed:  # the file as a whole is unreadable (binary, empty)
        return [], failed.problems
    problems = list(log.problems)
    if log.omitted:
        problems.append(ParseProblem(0, f"{log.omitted} more problems are not listed"))
    return transactions, problems
