"""The import wizard: past imports, and a bank file's way into an account.

    /imports                     past imports, with Undo; "New import"
    /imports/new                 1. upload: account, file, optional saved format/preset
    /imports/{id}/columns        2. columns (CSV only): what each column holds
    /imports/{id}/preview        3. review: rows, categories, duplicates; commit
    /imports/{id}                4. the result (or progress while a job runs)
    /imports/{id}/progress       the progress fragment htmx polls every second
    /imports/{id}/undo           confirm, then undo the whole batch

Every step calls coffer.imports.service; the wizard keeps no state of its own beyond
the batch the service keeps. A refused write (a malformed file, a mapping that cannot
be used) runs inside a savepoint that is rolled back, so the page shows the service's
reasons and nothing was imported. Viewers and advisors see every page read-only; their
posts answer 403.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from coffer.errors import CofferError, NotFound, ValidationFailed
from coffer.imports import api_config, batch_undo, formats, service
from coffer.imports.api import HARD_UPLOAD_CAP, _preview_read
from coffer.imports.limits import ImportLimits
from coffer.imports.models import BatchStatus, ImportBatch
from coffer.imports.parsers import CsvPreview, ParseFailed, sniff
from coffer.imports.parsers.dates import CANDIDATE_FORMATS, describe
from coffer.imports.schemas import PreviewRead, PreviewRow
from coffer.imports.storage import HEAD_BYTES, UploadStore
from coffer.jobs import service as jobs_service
from coffer.jobs.deps import JobsDep
from coffer.ledger import service as ledger
from coffer.ledger.models import Account
from coffer.tenancy.deps import PageTenant, TenantContext, WritablePageTenant
from coffer.web.csrf import verify_csrf
from coffer.web.deps import SessionDep, SettingsDep
from coffer.web.forms import FormText, errors_by_field, redirect
from coffer.web.templating import flash, render

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)

NAV = "imports"
LIST_PAGE = 25
PREVIEW_PAGE = 50
PREVIEW_ROWS = 500  # the most rows the review step shows; the counts cover the file
SAMPLE_ROWS = 8  # rows shown on the columns step

PRESET_LABELS = {
    "firefly": "Firefly III export",
    "actual": "Actual Budget export",
    "ynab": "YNAB register export",
    "mint": "Mint transactions export",
    "coffer": "Coffer CSV export",
}
FORMAT_LABELS = {"csv": "CSV", "ofx": "OFX/QFX", "qif": "QIF", "camt053": "CAMT.053"}
STATUS_LABELS = {
    BatchStatus.uploaded.value: "Not imported yet",
    BatchStatus.queued.value: "Importing…",
    BatchStatus.committed.value: "Imported",
    BatchStatus.undoing.value: "Undoing…",
    BatchStatus.undone.value: "Undone",
}
SOURCE_LABELS = {"rule": "Rule", "file": "From the file", "split": "Split", "learned": "Learned"}
FILE_ACCEPT = ".csv,.txt,.tsv,.ofx,.qfx,.qif,.xml,.053"

# What a column can hold, as the columns step offers it: (role, label).
ROLES: list[tuple[str, str]] = [
    ("ignore", "Ignore"),
    ("date", "Date"),
    ("amount", "Amount"),
    ("debit", "Money out"),
    ("credit", "Money in"),
    ("direction", "Debit/credit marker"),
    ("payee", "Payee"),
    ("payee_in", "Payee of money in"),
    ("memo", "Memo"),
    ("category", "Category"),
    ("tags", "Tags (separated by ;)"),
    ("external_id", "Bank reference"),
    ("currency", "Currency"),
]
ROLE_FIELDS = {
    "date": "date_column",
    "amount": "amount_column",
    "debit": "debit_column",
    "credit": "credit_column",
    "direction": "direction_column",
    "payee": "payee_column",
    "payee_in": "payee_in_column",
    "category": "category_column",
    "tags": "tags_column",
    "external_id": "external_id_column",
    "currency": "currency_column",
}
ENCODINGS = [
    ("auto", "Detect it"),
    ("utf-8", "UTF-8"),
    ("cp1252", "Windows (Western Europe)"),
    ("latin-1", "ISO 8859-1 (Latin-1)"),
    ("utf-16", "UTF-16"),
]
SIGNS = [
    ("signed", "Money out is negative (−12.50)"),
    ("negate", "Money out is positive (12.50)"),
]
DATE_ORDERS = [
    ("", "Detect it"),
    ("dmy", "Day first (31/12/2024)"),
    ("mdy", "Month first (12/31/2024)"),
]
# Form fields of the upload step; any other field of a refusal is a problem of the file.
UPLOAD_FIELDS = frozenset({"account_id", "source", "date_order", "file"})
# The service's names for what the upload form calls "source".
SOURCE_FIELDS = {"preset": "source", "import_format_id": "source"}


def _store(settings: Any) -> UploadStore:
    return UploadStore(settings.data_dir)


def _base(ctx: TenantContext, **values: Any) -> dict[str, Any]:
    return {"active_nav": NAV, "can_write": ctx.role.can_write, "role": ctx.role, **values}


def _batch(session: Session, ctx: TenantContext, batch_id: uuid.UUID) -> ImportBatch:
    return service.get_batch(session, tenant_id=ctx.tenant_id, batch_id=batch_id)


def _account_or_none(session: Session, ctx: TenantContext, account_id: uuid.UUID) -> Account | None:
    try:
        return ledger.get_account(session, tenant_id=ctx.tenant_id, account_id=account_id)
    except NotFound:
        return None


@dataclass(frozen=True)
class Problem:
    """One reason a file was refused, as the service named it ("line 7", "file")."""

    where: str
    message: str


def _problems(exc: CofferError, fields: frozenset[str] | set[str] = frozenset()) -> list[Problem]:
    return [
        Problem(e["field"], e["message"]) for e in (exc.errors or []) if e["field"] not in fields
    ]


def _steps(
    batch: ImportBatch | None, current: str, *, finished: bool = False
) -> list[dict[str, Any]]:
    """The wizard's steps for the progress list at the top of each step; `finished`
    marks every step done (the result of a finished import)."""
    names = [("upload", "Upload")]
    if batch is None or batch.format == "csv":
        names.append(("columns", "Columns"))
    names += [("preview", "Review"), ("result", "Done")]
    keys = [key for key, _ in names]
    at = keys.index(current) if current in keys else 0
    return [
        {"key": key, "label": label, "done": i < at or finished, "current": i == at}
        for i, (key, label) in enumerate(names)
    ]


# --- past imports -----------------------------------------------------------------------


@router.get("/imports", response_class=HTMLResponse)
def list_imports(
    request: Request, ctx: PageTenant, session: SessionDep, cursor: str | None = None
) -> HTMLResponse:
    page = service.list_batches(session, tenant_id=ctx.tenant_id, limit=LIST_PAGE, cursor=cursor)
    accounts = {a.id: a for a in ledger.list_accounts(session, tenant_id=ctx.tenant_id)}
    committed = [b.id for b in page.items if b.status == BatchStatus.committed.value]
    return render(
        request,
        "imports/wizard/list.html",
        _base(
            ctx,
            batches=page.items,
            undo_blocked=batch_undo.undo_blockers(
                session, tenant_id=ctx.tenant_id, batch_ids=committed
            ),
            next_cursor=page.next_cursor,
            first_page=cursor is None,
            accounts=accounts,
            status_labels=STATUS_LABELS,
            format_labels=FORMAT_LABELS,
        ),
    )


# --- 1. upload --------------------------------------------------------------------------


def _source_options(session: Session, ctx: TenantContext) -> list[tuple[str, str]]:
    options = [("", "Let Coffer work it out")]
    saved = formats.list_formats(session, tenant_id=ctx.tenant_id)
    options += [(f"format:{f.id}", f"Saved: {f.name}") for f in saved]
    options += [(f"preset:{name}", PRESET_LABELS.get(name, name)) for name in formats.presets()]
    return options


def _upload_page(
    request: Request,
    session: Session,
    ctx: TenantContext,
    form: dict[str, str],
    errors: dict[str, str] | None = None,
    problems: list[Problem] | None = None,
    refusal: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    accounts = ledger.list_accounts(session, tenant_id=ctx.tenant_id, include_closed=False)
    return render(
        request,
        "imports/wizard/upload.html",
        _base(
            ctx,
            form=form,
            errors=errors or {},
            problems=problems or [],
            refusal=refusal,
            accounts=accounts,
            account_options=[(str(a.id), f"{a.name} ({a.currency})") for a in accounts],
            source_options=_source_options(session, ctx),
            date_orders=DATE_ORDERS,
            accept=FILE_ACCEPT,
            steps=_steps(None, "upload"),
        ),
        status_code=status_code,
    )


@router.get("/imports/new", response_class=HTMLResponse)
def new_import(
    request: Request, ctx: PageTenant, session: SessionDep, account_id: str = ""
) -> HTMLResponse:
    return _upload_page(request, session, ctx, {"account_id": account_id, "source": ""})


def _parse_source(value: str) -> tuple[str | None, uuid.UUID | None]:
    """The preset name or saved format id chosen in the upload form."""
    kind, _, rest = value.partition(":")
    if kind == "preset" and rest:
        return rest, None
    if kind == "format" and rest:
        try:
            return None, uuid.UUID(rest)
        except ValueError:
            pass
    if value:
        raise ValidationFailed(
            "source: choose one of the listed formats",
            errors=[{"field": "source", "message": "Choose one of the listed formats."}],
        )
    return None, None


@router.post("/imports/new", response_class=HTMLResponse, max_body_size=HARD_UPLOAD_CAP)
def upload(
    request: Request,
    ctx: WritablePageTenant,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile | None, File()] = None,
    account_id: FormText = "",
    source: FormText = "",
    date_order: FormText = "",
) -> Response:
    form = {"account_id": account_id, "source": source, "date_order": date_order}
    errors: dict[str, str] = {}
    try:
        account = uuid.UUID(account_id)
    except ValueError:
        errors["account_id"] = "Choose the account to import into."
    if file is None or not file.filename:
        errors["file"] = "Choose the file your bank gave you."
    if errors or file is None:
        return _upload_page(request, session, ctx, form, errors, status_code=422)
    try:
        with session.begin_nested():
            preset, import_format_id = _parse_source(source)
            result = service.upload_file(
                session,
                tenant_id=ctx.tenant_id,
                actor_id=ctx.user.id,
                account_id=account,
                filename=file.filename,
                stream=file.file,
                store=_store(settings),
                limits=ImportLimits.of(settings),
                preset=preset,
                import_format_id=import_format_id,
                date_order=date_order or None,
            )
    except CofferError as exc:
        found = {SOURCE_FIELDS.get(k, k): v for k, v in errors_by_field(exc).items()}
        field_errors = {k: v for k, v in found.items() if k in UPLOAD_FIELDS}
        problems = _problems(exc, UPLOAD_FIELDS | set(SOURCE_FIELDS))
        return _upload_page(
            request,
            session,
            ctx,
            form,
            field_errors,
            problems,
            refusal=exc.detail if problems or not field_errors else None,
            status_code=422,
        )
    batch = result.batch
    if result.same_file:
        flash(
            request,
            "info",
            "You imported this very file into this account before. Its transactions are "
            "recognised and will not be added twice.",
        )
    chosen = preset is not None or import_format_id is not None
    if batch.format == "csv" and not chosen:
        return redirect(f"/imports/{batch.id}/columns")
    return redirect(f"/imports/{batch.id}/preview")


# --- 2. columns (CSV) ------------------------------------------------------------------


def _sniff(batch: ImportBatch, store: UploadStore) -> CsvPreview | None:
    if not store.exists(batch.stored_path):
        return None
    with store.open(batch.stored_path) as stream:
        head = stream.read(HEAD_BYTES)
    try:
        return sniff(head, max_rows=SAMPLE_ROWS)
    except ParseFailed:
        return None


def _column_names(preview: CsvPreview) -> list[str]:
    width = max([len(preview.header), *(len(r) for r in preview.rows)], default=0)
    header = list(preview.header) + [""] * (width - len(preview.header))
    return [name or f"Column {i + 1}" for i, name in enumerate(header)]


def _by_name(preview: CsvPreview) -> bool:
    """Columns are saved by header name when the names are there and unique, so a saved
    format survives a bank adding a column; otherwise by position."""
    names = [n.strip() for n in preview.header]
    return preview.has_header and all(names) and len(set(names)) == len(names)


def _roles_of(mapping: dict[str, Any] | None, preview: CsvPreview) -> list[str]:
    """The role of each column under `mapping` (names or positions)."""
    count = len(_column_names(preview))
    roles = ["ignore"] * count

    def index(column: Any) -> int | None:
        if isinstance(column, int) and not isinstance(column, bool):
            return column if column < count else None
        if isinstance(column, str) and column in preview.header:
            return preview.header.index(column)
        return None

    if not mapping:
        return roles
    for role, key in ROLE_FIELDS.items():
        at = index(mapping.get(key))
        if at is not None:
            roles[at] = role
    for column in mapping.get("memo_columns") or []:
        at = index(column)
        if at is not None and roles[at] == "ignore":
            roles[at] = "memo"
    return roles


def _mapping_form(mapping: dict[str, Any] | None, preview: CsvPreview) -> dict[str, Any]:
    mapping = mapping or {}
    return {
        "roles": _roles_of(mapping, preview),
        "date_format": mapping.get("date_format", "auto"),
        "decimal_comma": bool(mapping.get("decimal_comma", False)),
        "encoding": mapping.get("encoding", "auto"),
        "sign": "negate" if mapping.get("negate") else "signed",
        "save_as": "",
    }


def _columns_page(
    request: Request,
    ctx: TenantContext,
    batch: ImportBatch,
    account: Account | None,
    preview: CsvPreview,
    form: dict[str, Any],
    errors: dict[str, str] | None = None,
    notes: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "imports/wizard/columns.html",
        _base(
            ctx,
            batch=batch,
            account=account,
            preview=preview,
            columns=_column_names(preview),
            form=form,
            errors=errors or {},
            notes=notes or [],
            roles=ROLES,
            date_formats=[("auto", "Detect it")] + [(f, describe(f)) for f in CANDIDATE_FORMATS],
            encodings=ENCODINGS,
            signs=SIGNS,
            preset_label=PRESET_LABELS.get(batch.preset or ""),
            steps=_steps(batch, "columns"),
        ),
        status_code=status_code,
    )


def _not_uploaded(batch: ImportBatch) -> Response | None:
    """A batch past its upload step goes to its own page instead of a wizard step."""
    if batch.status != BatchStatus.uploaded.value:
        return redirect(f"/imports/{batch.id}")
    return None


@router.get("/imports/{batch_id}/columns", response_class=HTMLResponse)
def columns(
    request: Request,
    batch_id: uuid.UUID,
    ctx: PageTenant,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    batch = _batch(session, ctx, batch_id)
    if (moved := _not_uploaded(batch)) is not None:
        return moved
    if batch.format != "csv":
        return redirect(f"/imports/{batch.id}/preview")
    preview = _sniff(batch, _store(settings))
    if preview is None:
        return _gone(request, ctx, batch)
    mapping = batch.mapping or (preview.suggested.to_dict() if preview.suggested else None)
    account = _account_or_none(session, ctx, batch.account_id)
    notes = [] if batch.mapping else list(preview.notes)
    return _columns_page(
        request, ctx, batch, account, preview, _mapping_form(mapping, preview), notes=notes
    )


def _gone(request: Request, ctx: TenantContext, batch: ImportBatch) -> HTMLResponse:
    return render(request, "imports/wizard/gone.html", _base(ctx, batch=batch), status_code=410)


def _pick(preview: CsvPreview, at: int) -> str | int:
    return preview.header[at].strip() if _by_name(preview) else at


def _mapping_from_form(
    base: dict[str, Any] | None,
    preview: CsvPreview,
    roles: list[str],
    form: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, str]]:
    """The mapping the columns form describes, and what is wrong with the choices."""
    labels = dict(ROLES)
    errors: dict[str, str] = {}
    mapping = {
        k: v
        for k, v in (base or {}).items()
        if k not in ROLE_FIELDS.values() and k not in ("memo_columns", "version")
    }
    mapping.update(
        delimiter=preview.delimiter,
        has_header=preview.has_header,
        skip_rows=preview.skip_rows,
        date_format=form["date_format"],
        decimal_comma=form["decimal_comma"],
        encoding=form["encoding"],
        negate=form["sign"] == "negate",
    )
    memo: list[str | int] = []
    for at, role in enumerate(roles):
        if role == "ignore":
            continue
        if role == "memo":
            memo.append(_pick(preview, at))
            continue
        key = ROLE_FIELDS[role]
        if key in mapping:
            errors[f"role_{at}"] = f"Only one column can be the {labels[role].lower()}."
            continue
        mapping[key] = _pick(preview, at)
    mapping["memo_columns"] = memo
    if "date_column" not in mapping:
        errors.setdefault("role_0", "Choose the column that holds the date.")
    has_amount = "amount_column" in mapping
    has_split = "debit_column" in mapping or "credit_column" in mapping
    if not has_amount and not has_split:
        errors.setdefault(
            "role_0", "Choose the column with the amount, or the money out and money in columns."
        )
    elif has_amount and has_split:
        errors[""] = "Choose either one amount column or money out and money in columns, not both."
    elif has_split and not ("debit_column" in mapping and "credit_column" in mapping):
        errors[""] = "Money out and money in columns go together: choose both."
    if "direction_column" not in mapping:
        mapping.pop("debit_markers", None)
    return mapping, errors


@router.post("/imports/{batch_id}/columns", response_class=HTMLResponse)
def save_columns(
    request: Request,
    batch_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    settings: SettingsDep,
    role: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies defaults
    date_format: FormText = "auto",
    decimal_comma: FormText = "",
    encoding: FormText = "auto",
    sign: FormText = "signed",
    save_as: FormText = "",
) -> Response:
    batch = _batch(session, ctx, batch_id)
    if (moved := _not_uploaded(batch)) is not None:
        return moved
    if batch.format != "csv":
        return redirect(f"/imports/{batch.id}/preview")
    preview = _sniff(batch, _store(settings))
    if preview is None:
        return _gone(request, ctx, batch)
    allowed = {r for r, _ in ROLES}
    count = len(_column_names(preview))
    roles = [(r if r in allowed else "ignore") for r in role[:count]]
    roles += ["ignore"] * (count - len(roles))
    form: dict[str, Any] = {
        "roles": roles,
        "date_format": date_format if date_format in ("auto", *CANDIDATE_FORMATS) else "auto",
        "decimal_comma": decimal_comma not in ("", "0", "off", "false"),
        "encoding": encoding if encoding in dict(ENCODINGS) else "auto",
        "sign": sign if sign in dict(SIGNS) else "signed",
        "save_as": save_as.strip(),
    }
    base = batch.mapping or (preview.suggested.to_dict() if preview.suggested else None)
    mapping, errors = _mapping_from_form(base, preview, roles, form)
    account = _account_or_none(session, ctx, batch.account_id)
    if not errors:
        try:
            with session.begin_nested():
                service.set_mapping(
                    session, tenant_id=ctx.tenant_id, batch_id=batch.id, mapping=mapping
                )
                if form["save_as"]:
                    api_config.save_format(session, ctx, form["save_as"], mapping)
        except CofferError as exc:
            session.refresh(batch)
            found = errors_by_field(exc)
            errors = {("save_as" if k == "name" else ""): v for k, v in found.items()}
    if errors:
        return _columns_page(request, ctx, batch, account, preview, form, errors, status_code=422)
    if form["save_as"]:
        flash(
            request,
            "success",
            f"Saved as “{form['save_as']}”. Choose it when you upload the next file from "
            "this bank and this step is skipped.",
        )
    return redirect(f"/imports/{batch.id}/preview")


# --- 3. review --------------------------------------------------------------------------


@dataclass(frozen=True)
class ShownRow:
    row: PreviewRow
    category: str | None
    source: str | None  # the label of where the category comes from
    status: str  # "new", "exact", "fuzzy"


def _shown(row: PreviewRow) -> ShownRow:
    category, source = row.category_name, SOURCE_LABELS.get(row.category_source)
    if row.category_source == "split":
        category = ", ".join(line.category_name or "Uncategorised" for line in row.splits)
    elif category is None and row.suggestion is not None and row.suggestion.applied_on_commit:
        category, source = row.suggestion.category_name, SOURCE_LABELS["learned"]
    if category is None:
        source = None
    status = row.duplicate.status if row.duplicate is not None else "new"
    return ShownRow(row, category, source, status)


def _preview_page(
    request: Request,
    session: Session,
    ctx: TenantContext,
    batch: ImportBatch,
    settings: Any,
    page: int,
    refusal: CofferError | None = None,
) -> HTMLResponse:
    account = _account_or_none(session, ctx, batch.account_id)
    read: PreviewRead | None = None
    if refusal is None:
        try:
            with session.begin_nested():
                found, outcome = service.preview(
                    session,
                    tenant_id=ctx.tenant_id,
                    batch_id=batch.id,
                    store=_store(settings),
                    limits=ImportLimits.of(settings),
                    limit=PREVIEW_ROWS,
                )
                code = account.currency if account else "XXX"
                read = _preview_read(session, ctx, found, code, outcome)
        except CofferError as exc:
            refusal = exc
    rows = [_shown(r) for r in read.rows] if read else []
    pages = max(1, -(-len(rows) // PREVIEW_PAGE))
    page = min(max(page, 1), pages)
    return render(
        request,
        "imports/wizard/preview.html",
        _base(
            ctx,
            batch=batch,
            account=account,
            preview=read,
            rows=rows[(page - 1) * PREVIEW_PAGE : page * PREVIEW_PAGE],
            fuzzy=[r for r in rows if r.status == "fuzzy"],
            page=page,
            pages=pages,
            shown_all=read is not None and len(read.rows) < PREVIEW_ROWS,
            refusal=refusal.detail if refusal else None,
            problems=_problems(refusal) if refusal else [],
            last_error=batch.last_error,
            format_label=FORMAT_LABELS.get(batch.format, batch.format),
            steps=_steps(batch, "preview"),
        ),
        status_code=422 if refusal else 200,
    )


@router.get("/imports/{batch_id}/preview", response_class=HTMLResponse)
def preview(
    request: Request,
    batch_id: uuid.UUID,
    ctx: PageTenant,
    session: SessionDep,
    settings: SettingsDep,
    page: int = 1,
) -> Response:
    batch = _batch(session, ctx, batch_id)
    if (moved := _not_uploaded(batch)) is not None:
        return moved
    if batch.format == "csv" and not batch.mapping:
        return redirect(f"/imports/{batch.id}/columns")
    return _preview_page(request, session, ctx, batch, settings, page)


@router.post("/imports/{batch_id}/commit", response_class=HTMLResponse)
def commit(
    request: Request,
    batch_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    settings: SettingsDep,
    jobs: JobsDep,
    fuzzy_line: Annotated[list[int], Form()] = [],  # noqa: B006 - FastAPI copies defaults
    keep_line: Annotated[list[int], Form()] = [],  # noqa: B006
) -> Response:
    batch = _batch(session, ctx, batch_id)
    if (moved := _not_uploaded(batch)) is not None:
        return moved
    skip = sorted(set(fuzzy_line) - set(keep_line))
    try:
        with session.begin_nested():
            result = service.request_commit(
                session,
                tenant_id=ctx.tenant_id,
                actor_id=ctx.user.id,
                batch_id=batch.id,
                store=_store(settings),
                limits=ImportLimits.of(settings),
                jobs=jobs,
                skip_lines=skip,
            )
    except CofferError as exc:
        session.refresh(batch)
        return _preview_page(request, session, ctx, batch, settings, 1, refusal=exc)
    if result.job is None:
        added = result.batch.added_count
        flash(
            request,
            "success",
            f"Imported {added} new {'transaction' if added == 1 else 'transactions'}."
            if added
            else "Nothing new to add: every transaction in the file was already here.",
        )
    return redirect(f"/imports/{batch.id}")


# --- 4. result, progress and undo -------------------------------------------------------

RUNNING = (BatchStatus.queued.value, BatchStatus.undoing.value)


def _job_state(session: Session, ctx: TenantContext, batch: ImportBatch, jobs: Any) -> Any:
    if batch.job_id is None:
        return None
    try:
        job = jobs_service.get_job(session, tenant_id=ctx.tenant_id, job_id=batch.job_id)
    except NotFound:
        return None
    return jobs_service.view(job, jobs.progress)


@router.get("/imports/{batch_id}", response_class=HTMLResponse)
def show(
    request: Request, batch_id: uuid.UUID, ctx: PageTenant, session: SessionDep, jobs: JobsDep
) -> Response:
    batch = _batch(session, ctx, batch_id)
    if batch.status == BatchStatus.uploaded.value:
        step = "columns" if batch.format == "csv" and not batch.mapping else "preview"
        return redirect(f"/imports/{batch.id}/{step}")
    account = _account_or_none(session, ctx, batch.account_id)
    context = _base(
        ctx,
        batch=batch,
        account=account,
        job=_job_state(session, ctx, batch, jobs),
        undoing=batch.status == BatchStatus.undoing.value,
        format_label=FORMAT_LABELS.get(batch.format, batch.format),
        status_label=STATUS_LABELS.get(batch.status, batch.status),
        steps=_steps(batch, "result", finished=batch.status not in RUNNING),
    )
    if batch.status in RUNNING:
        return render(request, "imports/wizard/progress.html", context)
    result = batch.result or {}
    context.update(
        unmatched=result.get("unmatched_categories") or {},
        unmatched_tags=result.get("unmatched_tags") or {},
        statement=result.get("statement"),
        undo_blocked=_undo_blocked(session, ctx, batch),
    )
    return render(request, "imports/wizard/result.html", context)


def _undo_blocked(session: Session, ctx: TenantContext, batch: ImportBatch) -> str | None:
    """Why this committed batch cannot be undone now, or None."""
    if batch.status != BatchStatus.committed.value:
        return None
    found = batch_undo.undo_blockers(session, tenant_id=ctx.tenant_id, batch_ids=[batch.id])
    return found.get(batch.id)


@router.get("/imports/{batch_id}/progress", response_class=HTMLResponse)
def progress(
    request: Request, batch_id: uuid.UUID, ctx: PageTenant, session: SessionDep, jobs: JobsDep
) -> Response:
    batch = _batch(session, ctx, batch_id)
    if batch.status not in RUNNING:
        if request.headers.get("hx-request"):
            return Response(status_code=200, headers={"HX-Redirect": f"/imports/{batch.id}"})
        return redirect(f"/imports/{batch.id}")
    return render(
        request,
        "imports/wizard/_progress.html",
        {
            "batch": batch,
            "job": _job_state(session, ctx, batch, jobs),
            "undoing": batch.status == BatchStatus.undoing.value,
        },
    )


def _undo_page(
    request: Request,
    session: Session,
    ctx: TenantContext,
    batch: ImportBatch,
    refusal: CofferError | None = None,
) -> HTMLResponse:
    blocked = None if refusal else _undo_blocked(session, ctx, batch)
    return render(
        request,
        "imports/wizard/undo.html",
        _base(
            ctx,
            batch=batch,
            account=_account_or_none(session, ctx, batch.account_id),
            refusal=refusal.detail if refusal else blocked,
        ),
        status_code=refusal.status if refusal else 200,
    )


@router.get("/imports/{batch_id}/undo", response_class=HTMLResponse)
def confirm_undo(
    request: Request, batch_id: uuid.UUID, ctx: WritablePageTenant, session: SessionDep
) -> Response:
    batch = _batch(session, ctx, batch_id)
    if batch.status != BatchStatus.committed.value:
        return redirect(f"/imports/{batch.id}")
    return _undo_page(request, session, ctx, batch)


@router.post("/imports/{batch_id}/undo", response_class=HTMLResponse)
def undo(
    request: Request,
    batch_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    settings: SettingsDep,
    jobs: JobsDep,
) -> Response:
    batch = _batch(session, ctx, batch_id)
    if batch.status != BatchStatus.committed.value:
        return redirect(f"/imports/{batch.id}")
    try:
        with session.begin_nested():
            result = service.request_undo(
                session,
                tenant_id=ctx.tenant_id,
                actor_id=ctx.user.id,
                batch_id=batch.id,
                limits=ImportLimits.of(settings),
                jobs=jobs,
            )
    except CofferError as exc:
        session.refresh(batch)
        return _undo_page(request, session, ctx, batch, exc)
    if result.job is None:
        count = result.batch.added_count
        flash(
            request,
            "success",
            f"Import undone: {count} {'transaction' if count == 1 else 'transactions'} removed.",
        )
    return redirect(f"/imports/{batch.id}")
