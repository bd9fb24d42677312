"""REST routes of imports: upload (multipart), mapping, preview, commit, undo.

Routes parse, call coffer.imports.service and shape the answer. Reads need a member of
the household (CurrentTenant); writes a writer (WritableTenant). Commit and undo honour
Idempotency-Key. A large file commits (or undoes) as a background job: the answer is
202 with the job to poll at GET /jobs/{job_id}.
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile, status
from fastapi.responses import JSONResponse
from sqlalchemy import select

from coffer.core.money import from_minor
from coffer.errors import field_error
from coffer.imports import api_config, service
from coffer.imports import tasks as _tasks  # noqa: F401 - registers the import job kinds
from coffer.imports.aliases import merchant_names
from coffer.imports.enrich import Row
from coffer.imports.learned import APPLY_THRESHOLD
from coffer.imports.limits import ImportLimits
from coffer.imports.models import ImportBatch
from coffer.imports.pipeline import PreviewOutcome
from coffer.imports.schemas import (
    BatchActionRead,
    CommitBody,
    CsvSniffRead,
    DuplicateRead,
    ImportCounts,
    ImportPage,
    ImportRead,
    MappingUpdate,
    MatchedTransaction,
    PreviewCounts,
    PreviewRead,
    PreviewRow,
    SplitLineRead,
    SuggestionRead,
    UploadRead,
)
from coffer.imports.storage import UploadStore
from coffer.jobs import api as jobs_api
from coffer.jobs import service as jobs_service
from coffer.jobs.deps import JobsDep
from coffer.ledger import service as ledger
from coffer.ledger.models import LedgerTransaction
from coffer.tenancy.deps import CurrentTenant, TenantContext, WritableTenant
from coffer.web.deps import SessionDep, SettingsDep
from coffer.web.idempotency import IdempotencyKeyDep, remember, replay

# The request body of an upload is cut off here whatever the settings say; the setting
# (ImportLimits.max_bytes) refuses smaller files with a clear message.
HARD_UPLOAD_CAP = 1024 * 1024 * 1024

router = APIRouter(tags=["imports"])
router.include_router(api_config.router)
router.include_router(jobs_api.router)


def import_read(batch: ImportBatch) -> ImportRead:
    return ImportRead(
        id=batch.id,
        account_id=batch.account_id,
        filename=batch.filename,
        format=batch.format,
        preset=batch.preset,
        mapping=batch.mapping,
        date_order=batch.date_order,
        status=batch.status,
        size_bytes=batch.size_bytes,
        counts=ImportCounts(
            parsed=batch.parsed_count,
            added=batch.added_count,
            duplicates=batch.duplicate_count,
            fuzzy=batch.fuzzy_count,
            skipped=batch.skipped_count,
            suggested=batch.suggested_count,
        ),
        result=batch.result,
        last_error=batch.last_error,
        job_id=batch.job_id,
        created_at=batch.created_at,
        committed_at=batch.committed_at,
        undone_at=batch.undone_at,
    )


def _store(settings: Any) -> UploadStore:
    return UploadStore(settings.data_dir)


def _json_field(name: str, value: str | None) -> dict[str, Any] | None:
    if value is None or not value.strip():
        return None
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise field_error(name, "must be a JSON object") from exc
    if not isinstance(parsed, dict):
        raise field_error(name, "must be a JSON object")
    return parsed


@router.post(
    "/imports",
    status_code=status.HTTP_201_CREATED,
    response_model=UploadRead,
    summary="Upload a bank file (CSV, OFX/QFX, QIF, CAMT.053) into an account",
    max_body_size=HARD_UPLOAD_CAP,
)
def upload(
    context: WritableTenant,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="The bank file")],
    account_id: Annotated[uuid.UUID, Form()],
    format: Annotated[str | None, Form(max_length=16)] = None,
    mapping: Annotated[str | None, Form(max_length=20_000, description="CSV mapping JSON")] = None,
    preset: Annotated[str | None, Form(max_length=32)] = None,
    import_format_id: Annotated[uuid.UUID | None, Form()] = None,
    date_order: Annotated[str | None, Form(max_length=3)] = None,
) -> UploadRead:
    result = service.upload_file(
        session,
        tenant_id=context.tenant_id,
        actor_id=context.user.id,
        account_id=account_id,
        filename=file.filename,
        stream=file.file,
        store=_store(settings),
        limits=ImportLimits.of(settings),
        format=format or None,
        mapping=_json_field("mapping", mapping),
        preset=preset or None,
        import_format_id=import_format_id,
        date_order=date_order or None,
    )
    sniffed = result.sniff
    return UploadRead(
        import_batch=import_read(result.batch),
        csv=CsvSniffRead(
            encoding=sniffed.encoding,
            delimiter=sniffed.delimiter,
            has_header=sniffed.has_header,
            skip_rows=sniffed.skip_rows,
            header=sniffed.header,
            rows=sniffed.rows,
            suggested_mapping=sniffed.suggested.to_dict() if sniffed.suggested else None,
            preset=sniffed.preset,
            notes=sniffed.notes,
        )
        if sniffed is not None
        else None,
        same_file_imports=[b.id for b in result.same_file],
    )


@router.get("/imports", response_model=ImportPage, summary="Imports, newest first")
def list_imports(
    context: CurrentTenant,
    session: SessionDep,
    account_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> ImportPage:
    page = service.list_batches(
        session, tenant_id=context.tenant_id, account_id=account_id, limit=limit, cursor=cursor
    )
    return ImportPage(items=[import_read(b) for b in page.items], next_cursor=page.next_cursor)


@router.get("/imports/{import_batch_id}", response_model=ImportRead, summary="One import")
def get_import(
    import_batch_id: uuid.UUID, context: CurrentTenant, session: SessionDep
) -> ImportRead:
    return import_read(
        service.get_batch(session, tenant_id=context.tenant_id, batch_id=import_batch_id)
    )


@router.put(
    "/imports/{import_batch_id}/mapping",
    response_model=ImportRead,
    summary="Choose how a CSV file's columns are read",
)
def put_mapping(
    import_batch_id: uuid.UUID, body: MappingUpdate, context: WritableTenant, session: SessionDep
) -> ImportRead:
    batch = service.set_mapping(
        session,
        tenant_id=context.tenant_id,
        batch_id=import_batch_id,
        mapping=body.mapping,
        preset=body.preset,
        import_format_id=body.import_format_id,
        date_order=body.date_order,
    )
    if body.save_as and batch.mapping is not None:
        api_config.save_format(session, context, body.save_as, batch.mapping)
    return import_read(batch)


@router.get(
    "/imports/{import_batch_id}/preview",
    response_model=PreviewRead,
    summary="The first rows as they would be imported, with counts for the file",
)
def get_preview(
    import_batch_id: uuid.UUID,
    context: CurrentTenant,
    session: SessionDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> PreviewRead:
    batch, outcome = service.preview(
        session,
        tenant_id=context.tenant_id,
        batch_id=import_batch_id,
        store=_store(settings),
        limits=ImportLimits.of(settings),
        limit=limit,
    )
    account = ledger.get_account(session, tenant_id=context.tenant_id, account_id=batch.account_id)
    return _preview_read(session, context, batch, account.currency, outcome)


def _preview_read(
    session: Any, context: TenantContext, batch: ImportBatch, code: str, outcome: PreviewOutcome
) -> PreviewRead:
    categories = outcome.context.categories.names
    merchants = dict(outcome.context.merchants.names)
    alias_ids = {
        r.merchant_id for r in outcome.rows if r.merchant_id and r.merchant_id not in merchants
    }
    merchants.update(merchant_names(session, tenant_id=context.tenant_id, ids=alias_ids))
    matches: set[uuid.UUID] = {r.duplicate_of for r in outcome.rows if r.duplicate_of}
    matches |= {r.fuzzy.id for r in outcome.rows if r.fuzzy is not None}
    found = _transactions(session, context, matches, code)

    def amount(minor: int) -> str:
        return str(from_minor(minor, code))

    def row_read(row: Row) -> PreviewRow:
        duplicate = None
        if row.duplicate_of is not None:
            duplicate = DuplicateRead(status="exact", transaction=found.get(row.duplicate_of))
        elif row.fuzzy is not None:
            duplicate = DuplicateRead(status="fuzzy", transaction=found.get(row.fuzzy.id))
        suggestion = None
        if row.suggestion is not None:
            category_id, confidence = row.suggestion
            suggestion = SuggestionRead(
                category_id=category_id,
                category_name=categories.get(category_id),
                confidence=round(confidence, 3),
                applied_on_commit=confidence >= APPLY_THRESHOLD,
            )
        merchant = row.merchant_name or (
            merchants.get(row.merchant_id) if row.merchant_id else None
        )
        return PreviewRow(
            line=row.line,
            posted_on=row.posted_on,
            amount=amount(row.amount_minor),
            payee=row.payee,
            memo=row.memo,
            external_id=row.external_id,
            merchant=merchant if row.duplicate_of is None else None,
            category_id=row.category_id,
            category_name=categories.get(row.category_id) if row.category_id else None,
            category_source=row.category_source,
            rule_id=row.rule_id,
            tag_ids=list(row.tag_ids),
            suggestion=suggestion,
            duplicate=duplicate,
            repeated_in_file="#" in row.fingerprint,
            splits=[
                SplitLineRead(
                    amount=amount(a),
                    category_id=c,
                    category_name=categories.get(c) if c else None,
                    memo=m,
                )
                for c, a, m in row.lines
            ],
        )

    counts = outcome.counts
    statement = outcome.statement
    return PreviewRead(
        import_batch_id=batch.id,
        currency=code,
        rows=[row_read(r) for r in outcome.rows],
        counts=PreviewCounts(
            parsed=counts.parsed,
            new=counts.added,
            duplicates=counts.duplicates,
            fuzzy=counts.fuzzy,
            suggested=counts.suggested,
            categorised=counts.categorised,
        ),
        complete=outcome.complete,
        unmatched_categories=dict(outcome.context.categories.unmatched.most_common(50)),
        unmatched_tags=dict(outcome.context.tags.unmatched.most_common(50)),
        statement={
            "account_hint": statement.account_id_hint,
            "currency": statement.currency,
            "closing_balance": str(statement.closing_balance)
            if statement.closing_balance is not None
            else None,
            "closing_on": statement.closing_on,
        }
        if statement is not None
        else None,
    )


def _transactions(
    session: Any, context: TenantContext, ids: set[uuid.UUID], code: str
) -> dict[uuid.UUID, MatchedTransaction]:
    found: dict[uuid.UUID, MatchedTransaction] = {}
    if not ids:
        return found
    for txn in session.scalars(
        select(LedgerTransaction).where(
            LedgerTransaction.tenant_id == context.tenant_id,
            LedgerTransaction.id.in_(list(ids)),
        )
    ):
        found[txn.id] = matched(txn, code)
    return found


def matched(txn: LedgerTransaction, code: str) -> MatchedTransaction:
    return MatchedTransaction(
        id=txn.id,
        account_id=txn.account_id,
        posted_on=txn.posted_on,
        amount=str(from_minor(txn.amount_minor, code)),
        currency=code,
        payee=txn.payee,
        memo=txn.memo,
        category_id=txn.category_id,
    )


def _action_response(
    session: Any,
    context: TenantContext,
    idempotency: Any,
    batch: ImportBatch,
    job: Any,
    jobs: Any,
) -> Any:
    body = BatchActionRead(
        import_batch=import_read(batch),
        job=jobs_api.job_read(jobs_service.view(job, jobs.progress)) if job else None,
    )
    code = status.HTTP_202_ACCEPTED if job is not None else status.HTTP_200_OK
    if idempotency:
        remember(
            session,
            idempotency,
            user_id=context.user.id,
            tenant_id=context.tenant_id,
            status_code=code,
            body=body.model_dump(mode="json"),
        )
    return JSONResponse(body.model_dump(mode="json"), status_code=code)


@router.post(
    "/imports/{import_batch_id}/commit",
    response_model=BatchActionRead,
    responses={202: {"model": BatchActionRead, "description": "Committing in the background"}},
    summary="Import the file's new transactions as one batch",
)
def commit(
    import_batch_id: uuid.UUID,
    context: WritableTenant,
    session: SessionDep,
    settings: SettingsDep,
    jobs: JobsDep,
    idempotency: IdempotencyKeyDep,
    body: CommitBody | None = None,
) -> Any:
    if idempotency and (
        stored := replay(session, idempotency, user_id=context.user.id, tenant_id=context.tenant_id)
    ):
        return stored
    body = body or CommitBody()
    result = service.request_commit(
        session,
        tenant_id=context.tenant_id,
        actor_id=context.user.id,
        batch_id=import_batch_id,
        store=_store(settings),
        limits=ImportLimits.of(settings),
        jobs=jobs,
        skip_lines=body.skip_lines,
        apply_suggestions=body.apply_suggestions,
    )
    return _action_response(session, context, idempotency, result.batch, result.job, jobs)


@router.post(
    "/import-batches/{import_batch_id}/undo",
    response_model=BatchActionRead,
    responses={202: {"model": BatchActionRead, "description": "Undoing in the background"}},
    summary="Remove every transaction an import added",
)
def undo(
    import_batch_id: uuid.UUID,
    context: WritableTenant,
    session: SessionDep,
    settings: SettingsDep,
    jobs: JobsDep,
    idempotency: IdempotencyKeyDep,
) -> Any:
    if idempotency and (
        stored := replay(session, idempotency, user_id=context.user.id, tenant_id=context.tenant_id)
    ):
        return stored
    result = service.request_undo(
        session,
        tenant_id=context.tenant_id,
        actor_id=context.user.id,
        batch_id=import_batch_id,
        limits=ImportLimits.of(settings),
        jobs=jobs,
    )
    return _action_response(session, context, idempotency, result.batch, result.job, jobs)
