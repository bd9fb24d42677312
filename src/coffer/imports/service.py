"""Imports: upload a file, choose its mapping, preview, commit as one batch, undo.

Every function takes the session first, keyword-only arguments after it, filters by
tenant, raises coffer.errors types, and never commits: the caller's unit of work does,
so a commit is one database transaction however many rows it writes.

Entry points:
    upload_file      store the file, detect its format, sniff a CSV, propose a mapping
    set_mapping      choose the CSV mapping (explicit, a preset or a saved format)
    preview          the first rows as they would be imported, with whole-file counts
    request_commit   commit now, or as a background job for a large file (the API's)
    commit_batch     the commit itself: parse -> dedupe -> rules -> insert -> aggregates
    undo_batch       delete the batch's transactions and their aggregates
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO, Protocol

from sqlalchemy import and_, or_, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from coffer.audit.service import record
from coffer.budgets import bills as bill_matching
from coffer.db.base import new_id, utcnow
from coffer.errors import NotFound, RuleViolation, field_error
from coffer.imports import batch_undo
from coffer.imports.errors import BatchStateConflict, file_refused
from coffer.imports.formats import resolve_mapping
from coffer.imports.limits import ImportLimits
from coffer.imports.models import BatchStatus, ImportBatch
from coffer.imports.parsers import FORMATS, CsvPreview, ParseFailed, detect_format, sniff
from coffer.imports.pipeline import PreviewOutcome, commit_rows, preview_rows
from coffer.imports.reading import count_lines, mapping_of
from coffer.imports.storage import UploadStore
from coffer.jobs import service as jobs_service
from coffer.jobs.models import Job, JobStatus
from coffer.ledger import service as ledger
from coffer.ledger.models import Account

FILENAME_MAX = 255
MAX_SKIP = 10_000
PAGE_MAX = 100
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f]")


class JobSubmitter(Protocol):
    def submit_after_commit(self, session: Session, job: Job) -> None: ...


# --- lookups --------------------------------------------------------------------------


def get_batch(session: Session, *, tenant_id: uuid.UUID, batch_id: uuid.UUID) -> ImportBatch:
    batch = session.scalar(
        select(ImportBatch).where(ImportBatch.tenant_id == tenant_id, ImportBatch.id == batch_id)
    )
    if batch is None:
        raise NotFound("No import with this id in this household.")
    _heal(session, batch)
    return batch


def _heal(session: Session, batch: ImportBatch) -> None:
    """A batch whose background job failed is back where it was, even when recording that
    was refused (its user lost the right to write): read it so, without writing it."""
    back = {
        BatchStatus.queued.value: BatchStatus.uploaded,
        BatchStatus.undoing.value: BatchStatus.committed,
    }
    if batch.status not in back or batch.job_id is None:
        return
    job_status = session.scalar(
        select(Job.status).where(Job.tenant_id == batch.tenant_id, Job.id == batch.job_id)
    )
    if job_status == JobStatus.failed.value:
        set_committed_value(batch, "status", back[batch.status].value)


def _account(
    session: Session, tenant_id: uuid.UUID, account_id: uuid.UUID, *, open_only: bool = True
) -> Account:
    try:
        account = ledger.get_account(session, tenant_id=tenant_id, account_id=account_id)
    except NotFound as exc:
        raise NotFound(
            "account_id: No account with this id in this household.",
            errors=[{"field": "account_id", "message": "no account with this id"}],
        ) from exc
    if open_only and account.closed_on is not None:
        raise RuleViolation(f"{account.name} is closed; reopen it to import into it.")
    return account


@dataclass
class BatchPage:
    items: list[ImportBatch]
    next_cursor: str | None


def list_batches(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    account_id: uuid.UUID | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> BatchPage:
    if not 1 <= limit <= PAGE_MAX:
        raise field_error("limit", f"must be between 1 and {PAGE_MAX}")
    query = select(ImportBatch).where(ImportBatch.tenant_id == tenant_id)
    if account_id is not None:
        query = query.where(ImportBatch.account_id == account_id)
    if cursor:
        at, last_id = _decode_cursor(cursor)
        query = query.where(
            or_(
                ImportBatch.created_at < at,
                and_(ImportBatch.created_at == at, ImportBatch.id < last_id),
            )
        )
    rows = list(
        session.scalars(
            query.order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc()).limit(limit + 1)
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = f"{rows[-1].created_at.isoformat()}~{rows[-1].id}" if more else None
    return BatchPage(rows, next_cursor)


def _decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        at, raw_id = cursor.split("~", 1)
        return datetime.fromisoformat(at), uuid.UUID(raw_id)
    except ValueError as exc:
        raise field_error("cursor", "is not a cursor this API returned") from exc


# --- upload ---------------------------------------------------------------------------


@dataclass
class Upload:
    batch: ImportBatch
    sniff: CsvPreview | None
    notes: list[str] = field(default_factory=list)
    # Committed imports of a byte-identical file into the same account.
    same_file: list[ImportBatch] = field(default_factory=list)


def clean_filename(name: str | None) -> str:
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE_NAME.sub("", base).strip()
    return base[:FILENAME_MAX] or "upload"


def upload_file(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    account_id: uuid.UUID,
    filename: str | None,
    stream: BinaryIO,
    store: UploadStore,
    limits: ImportLimits,
    format: str | None = None,
    mapping: dict[str, Any] | None = None,
    preset: str | None = None,
    import_format_id: uuid.UUID | None = None,
    date_order: str | None = None,
) -> Upload:
    """Store an uploaded file and describe it; nothing is imported yet."""
    account = _account(session, tenant_id, account_id)
    name = clean_filename(filename)
    if format is not None and format not in FORMATS:
        raise field_error("format", f"must be one of {', '.join(FORMATS)}")
    _check_date_order(date_order)
    batch_id = new_id()
    stored = store.save(
        tenant_id=tenant_id,
        batch_id=batch_id,
        stream=stream,
        max_bytes=limits.max_bytes,
        filename=name,
    )
    try:
        if stored.size == 0:
            raise file_refused(name, ParseFailed.at(0, "the file is empty"))
        try:
            fmt = format or detect_format(name, stored.head)
            preview = sniff(stored.head) if fmt == "csv" else None
        except ParseFailed as failed:
            raise file_refused(name, failed) from failed
        chosen, chosen_preset = None, None
        if fmt == "csv":
            chosen, chosen_preset = resolve_mapping(
                session,
                tenant_id=tenant_id,
                mapping=mapping,
                preset=preset,
                import_format_id=import_format_id,
                fallback=preview.suggested if preview else None,
            )
            chosen_preset = chosen_preset or (preview.preset if preview and chosen else None)
        batch = ImportBatch(
            id=batch_id,
            tenant_id=tenant_id,
            account_id=account.id,
            filename=name,
            format=fmt,
            preset=chosen_preset,
            mapping=chosen.to_dict() if chosen is not None else None,
            date_order=date_order,
            stored_path=stored.relative_path,
            size_bytes=stored.size,
            sha256=stored.sha256,
            status=BatchStatus.uploaded.value,
            created_by=actor_id,
        )
        session.add(batch)
        session.flush()
    except BaseException:
        store.delete(stored.relative_path)
        raise
    same = list(
        session.scalars(
            select(ImportBatch).where(
                ImportBatch.tenant_id == tenant_id,
                ImportBatch.account_id == account.id,
                ImportBatch.sha256 == stored.sha256,
                ImportBatch.status == BatchStatus.committed.value,
            )
        )
    )
    notes = list(preview.notes) if preview else []
    return Upload(batch=batch, sniff=preview, notes=notes, same_file=same)


def _check_date_order(date_order: str | None) -> None:
    if date_order is not None and date_order not in ("mdy", "dmy"):
        raise field_error("date_order", "must be mdy or dmy")


def _require(batch: ImportBatch, *allowed: BatchStatus) -> None:
    if batch.status not in {s.value for s in allowed}:
        raise BatchStateConflict(f"This import is {batch.status}; it cannot do that now.")


def set_mapping(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    batch_id: uuid.UUID,
    mapping: dict[str, Any] | None = None,
    preset: str | None = None,
    import_format_id: uuid.UUID | None = None,
    date_order: str | None = None,
) -> ImportBatch:
    batch = get_batch(session, tenant_id=tenant_id, batch_id=batch_id)
    _require(batch, BatchStatus.uploaded)
    _check_date_order(date_order)
    if batch.format == "csv":
        chosen, chosen_preset = resolve_mapping(
            session,
            tenant_id=tenant_id,
            mapping=mapping,
            preset=preset,
            import_format_id=import_format_id,
            fallback=None,
        )
        if chosen is None:
            raise field_error("mapping", "give a mapping, a preset or a saved import format")
        batch.mapping, batch.preset = chosen.to_dict(), chosen_preset
    elif mapping is not None or preset is not None or import_format_id is not None:
        raise field_error("mapping", f"a {batch.format} file needs no column mapping")
    if date_order is not None:
        batch.date_order = date_order
    batch.last_error = None
    session.flush()
    return batch


# --- preview --------------------------------------------------------------------------


def preview(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    batch_id: uuid.UUID,
    store: UploadStore,
    limits: ImportLimits,
    limit: int = 50,
) -> tuple[ImportBatch, PreviewOutcome]:
    batch = get_batch(session, tenant_id=tenant_id, batch_id=batch_id)
    _require(batch, BatchStatus.uploaded)
    account = _account(session, tenant_id, batch.account_id, open_only=False)
    if not 1 <= limit <= 500:
        raise field_error("limit", "must be between 1 and 500")
    try:
        outcome = preview_rows(
            session,
            batch=batch,
            account=account,
            store=store,
            limit=limit,
            scan_limit=max(limits.preview_scan_rows, limit),
        )
    except ParseFailed as failed:
        raise file_refused(batch.filename, failed) from failed
    return batch, outcome


# --- commit ---------------------------------------------------------------------------


def _check_skip(skip_lines: Sequence[int]) -> frozenset[int]:
    if len(skip_lines) > MAX_SKIP:
        raise field_error("skip_lines", f"at most {MAX_SKIP} lines")
    if any(line < 1 for line in skip_lines):
        raise field_error("skip_lines", "line numbers count from 1")
    return frozenset(skip_lines)


@dataclass
class CommitRequest:
    batch: ImportBatch
    job: Job | None


def request_commit(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID,
    batch_id: uuid.UUID,
    store: UploadStore,
    limits: ImportLimits,
    jobs: JobSubmitter | None,
    skip_lines: Sequence[int] = (),
    apply_suggestions: bool = True,
) -> CommitRequest:
    """Commit now, or (a large file, with a job runner) queue the commit as a job."""
    skip = _check_skip(skip_lines)
    batch = get_batch(session, tenant_id=tenant_id, batch_id=batch_id)
    _require(batch, BatchStatus.uploaded)
    _account(session, tenant_id, batch.account_id)
    mapping_of(batch)  # a missing or broken mapping is refused now, not in the job
    if jobs is None or not _large_file(batch, store, limits):
        committed = commit_batch(
            session,
            tenant_id=tenant_id,
            actor_id=actor_id,
            batch_id=batch_id,
            store=store,
            skip_lines=skip,
            apply_suggestions=apply_suggestions,
        )
        return CommitRequest(committed, None)
    job = jobs_service.create_job(
        session,
        tenant_id=tenant_id,
        actor_id=actor_id,
        kind="import.commit",
        payload={
            "import_batch_id": str(batch.id),
            "skip_lines": sorted(skip),
            "apply_suggestions": apply_suggestions,
        },
    )
    batch.status, batch.job_id, batch.last_error = BatchStatus.queued.value, job.id, None
    session.flush()
    jobs.submit_after_commit(session, job)
    return CommitRequest(batch, job)


def _large_file(batch: ImportBatch, store: UploadStore, limits: ImportLimits) -> bool:
    if batch.size_bytes > limits.background_bytes:
        return True
    return batch.format == "csv" and count_lines(batch, store) > limits.background_rows


def _lock_account(session: Session, batch: ImportBatch) -> None:
    """One import (or undo) per account at a time.

    PostgreSQL: a transaction-scoped advisory lock on the account. SQLite: the first
    write takes the database's one write lock for the whole transaction, so it is done
    first, before any row is read.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"coffer-import:{batch.account_id}"},
        )
    session.execute(
        update(ImportBatch)
        .where(ImportBatch.tenant_id == batch.tenant_id, ImportBatch.id == batch.id)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def commit_batch(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    batch_id: uuid.UUID,
    store: UploadStore,
    skip_lines: frozenset[int] = frozenset(),
    apply_suggestions: bool = True,
    progress: Callable[[int], None] | None = None,
    queued: bool = False,
) -> ImportBatch:
    """Write the batch's new transactions in the caller's transaction, all or nothing.

    A malformed file raises FileRefused naming every problem's line; the caller's
    rollback then leaves the ledger as it was.
    """
    batch = get_batch(session, tenant_id=tenant_id, batch_id=batch_id)
    _require(batch, BatchStatus.queued if queued else BatchStatus.uploaded)
    account = _account(session, tenant_id, batch.account_id)
    _lock_account(session, batch)
    session.refresh(batch)
    _require(batch, BatchStatus.queued if queued else BatchStatus.uploaded)
    try:
        outcome = commit_rows(
            session,
            batch=batch,
            account=account,
            store=store,
            skip_lines=skip_lines,
            apply_suggestions=apply_suggestions,
            progress=progress,
        )
    except ParseFailed as failed:
        raise file_refused(batch.filename, failed) from failed
    counts = outcome.counts
    batch.parsed_count, batch.added_count = counts.parsed, counts.added
    batch.duplicate_count, batch.fuzzy_count = counts.duplicates, counts.fuzzy
    batch.skipped_count, batch.suggested_count = counts.skipped, counts.suggested
    statement = outcome.statement
    batch.result = {
        "categorised": counts.categorised,
        "fuzzy": outcome.fuzzy_pairs,
        "unmatched_categories": outcome.unmatched_categories,
        "unmatched_tags": outcome.unmatched_tags,
        "tagged": outcome.tagged,
        "statement": {
            "account_hint": statement.account_id_hint,
            "currency": statement.currency,
            "closing_balance": str(statement.closing_balance)
            if statement.closing_balance is not None
            else None,
            "closing_on": statement.closing_on.isoformat() if statement.closing_on else None,
        }
        if statement is not None
        else None,
    }
    batch.status, batch.committed_at, batch.last_error = (
        BatchStatus.committed.value,
        utcnow(),
        None,
    )
    session.flush()
    # The new transactions pay the bills they match, in this same unit of work.
    bill_matching.match_transactions(
        session, tenant_id=tenant_id, actor_id=actor_id, import_batch_id=batch.id
    )
    record(
        session,
        action="import.committed",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="import_batch",
        entity_id=batch.id,
        new={
            "account_id": batch.account_id,
            "filename": batch.filename,
            "format": batch.format,
            "parsed": counts.parsed,
            "added": counts.added,
            "duplicates": counts.duplicates,
            "fuzzy": counts.fuzzy,
            "skipped": counts.skipped,
            "suggested": counts.suggested,
        },
    )
    return batch


# --- undo -----------------------------------------------------------------------------


@dataclass
class UndoRequest:
    batch: ImportBatch
    job: Job | None


def request_undo(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID,
    batch_id: uuid.UUID,
    limits: ImportLimits,
    jobs: JobSubmitter | None,
) -> UndoRequest:
    batch = get_batch(session, tenant_id=tenant_id, batch_id=batch_id)
    _require(batch, BatchStatus.committed)
    if jobs is None or batch.added_count <= limits.background_rows:
        return UndoRequest(
            undo_batch(session, tenant_id=tenant_id, actor_id=actor_id, batch_id=batch_id), None
        )
    batch_undo.check_undoable(session, batch)
    job = jobs_service.create_job(
        session,
        tenant_id=tenant_id,
        actor_id=actor_id,
        kind="import.undo",
        payload={"import_batch_id": str(batch.id)},
        total=batch.added_count,
    )
    batch.status, batch.job_id = BatchStatus.undoing.value, job.id
    session.flush()
    jobs.submit_after_commit(session, job)
    return UndoRequest(batch, job)


def undo_batch(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    batch_id: uuid.UUID,
    queued: bool = False,
) -> ImportBatch:
    """Delete the batch's transactions with their lines, tags, marks and aggregates."""
    batch = get_batch(session, tenant_id=tenant_id, batch_id=batch_id)
    expected = BatchStatus.undoing if queued else BatchStatus.committed
    _require(batch, expected)
    _lock_account(session, batch)
    session.refresh(batch)
    _require(batch, expected)
    removed = batch_undo.delete_batch_rows(session, batch)
    batch.status, batch.undone_at = BatchStatus.undone.value, utcnow()
    session.flush()
    record(
        session,
        action="import.undone",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="import_batch",
        entity_id=batch.id,
        old={"added": batch.added_count},
        new={"removed": removed},
    )
    return batch
