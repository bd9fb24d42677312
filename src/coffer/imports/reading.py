"""Reading a stored upload with its chosen format and mapping."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from coffer.errors import ValidationFailed
from coffer.imports.errors import file_refused
from coffer.imports.models import ImportBatch
from coffer.imports.parsers import CsvMapping, MappingError, ParseFailed, parse
from coffer.imports.parsers.records import ParsedTransaction, StatementInfo
from coffer.imports.storage import UploadStore


@dataclass
class Opened:
    records: Iterator[ParsedTransaction]
    statement: StatementInfo | None


def mapping_of(batch: ImportBatch) -> CsvMapping | None:
    if batch.format != "csv":
        return None
    if not batch.mapping:
        raise ValidationFailed(
            "Choose how the columns of this CSV file are read (PUT /imports/{id}/mapping).",
            errors=[{"field": "mapping", "message": "the CSV file has no column mapping yet"}],
        )
    try:
        return CsvMapping.from_dict(dict(batch.mapping))
    except MappingError as exc:
        raise ValidationFailed(
            "; ".join(exc.problems),
            errors=[{"field": "mapping", "message": p} for p in exc.problems],
        ) from exc


@contextmanager
def open_batch(batch: ImportBatch, store: UploadStore) -> Iterator[Opened]:
    """The records of the batch's file; a file refused as a whole raises FileRefused.

    CSV streams, so a problem further down may still raise ParseFailed while iterating;
    the caller turns it into FileRefused the same way (errors.file_refused).
    """
    mapping = mapping_of(batch)
    if not store.exists(batch.stored_path):
        raise ValidationFailed(
            f"The file of this import ({batch.filename}) is no longer stored; upload it again.",
            errors=[{"field": "file", "message": "no longer stored"}],
        )
    with store.open(batch.stored_path) as stream:
        try:
            records, statement = parse(
                stream, fmt=batch.format, mapping=mapping, date_order=batch.date_order
            )
        except ParseFailed as failed:
            raise file_refused(batch.filename, failed) from failed
        yield Opened(records, statement)


def count_lines(batch: ImportBatch, store: UploadStore) -> int:
    """About how many rows a text file has (its line breaks), for progress."""
    count = 0
    with store.open(batch.stored_path) as stream:
        while chunk := stream.read(1024 * 1024):
            count += chunk.count(b"\n")
    return max(count, 1)
