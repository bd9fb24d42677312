"""HTML pages of transactions: an account's register with running balances, the
search over every transaction with saved filters, bulk actions on a selection, the
transaction form with its split editor, and the transfer form.

Every figure comes from the ledger services; every write goes through them inside a
savepoint, so a refused write re-renders its form (422) and leaves nothing behind.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation, localcontext
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from babel.numbers import NumberFormatError, parse_decimal
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from coffer.auth.deps import safe_next
from coffer.core.money import currency as money_currency
from coffer.errors import CofferError, Forbidden, NotFound, ValidationFailed
from coffer.ledger import service
from coffer.ledger.common import decimal_text
from coffer.ledger.models import Account, Category, LedgerTransaction, TransactionStatus
from coffer.tenancy.deps import PageTenant, TenantContext, WritablePageTenant
from coffer.web.csrf import verify_csrf
from coffer.web.deps import SessionDep
from coffer.web.forms import FormText, errors_by_field, redirect
from coffer.web.templating import flash, render

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)

FormList = Annotated[list[str], Form()]
T = TypeVar("T")

PAGE_SIZE = 50
# Blank split rows a form offers without JavaScript (the editor adds more with it).
SPLIT_ROWS = 4
NO_COLOUR = "#8a94a3"
STATUS_TEXT = {"pending": "Pending", "cleared": "Cleared", "reconciled": "Reconciled"}
BULK_ACTIONS = [
    ("recategorise", "Change category"),
    ("tag", "Add a tag"),
    ("mark_cleared", "Mark as cleared"),
    ("delete", "Delete"),
]
PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


# --- what every page shows: names and colours -----------------------------------------


@dataclass(frozen=True, slots=True)
class CategoryLabel:
    id: uuid.UUID
    name: str
    full_name: str
    colour: str
    kind: str
    parent_id: uuid.UUID | None


@dataclass
class Lookups:
    accounts: dict[uuid.UUID, Account]
    categories: dict[uuid.UUID, CategoryLabel]
    tags: dict[uuid.UUID, Any]
    category_rows: list[Category]

    def account_name(self, account_id: uuid.UUID | None) -> str:
        account = self.accounts.get(account_id) if account_id else None
        return account.name if account else "another account"

    def category_groups(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """(group label, [(value, text)]) for a select: each top-level category with
        its children, expenses first, then income."""
        groups: list[tuple[str, list[tuple[str, str]]]] = []
        index: dict[uuid.UUID, list[tuple[str, str]]] = {}
        for kind in ("expense", "income"):
            for c in self.category_rows:
                if c.kind != kind or c.parent_id is not None:
                    continue
                options = [(str(c.id), c.name)]
                index[c.id] = options
                groups.append(
                    (f"{c.name} ({'income' if kind == 'income' else 'spending'})", options)
                )
        for c in self.category_rows:
            if c.parent_id is not None and c.parent_id in index:
                index[c.parent_id].append((str(c.id), self.categories[c.id].full_name))
        return groups


def _lookups(session: Session, ctx: TenantContext) -> Lookups:
    accounts = service.list_accounts(session, tenant_id=ctx.tenant_id)
    rows = service.list_categories(session, tenant_id=ctx.tenant_id)
    by_id = {c.id: c for c in rows}
    labels: dict[uuid.UUID, CategoryLabel] = {}
    for c in rows:
        parent = by_id.get(c.parent_id) if c.parent_id else None
        labels[c.id] = CategoryLabel(
            id=c.id,
            name=c.name,
            full_name=f"{parent.name} › {c.name}" if parent else c.name,
            colour=c.colour or (parent.colour if parent and parent.colour else NO_COLOUR),
            kind=c.kind,
            parent_id=c.parent_id,
        )
    tags = {t.id: t for t in service.list_tags(session, tenant_id=ctx.tenant_id)}
    return Lookups(
        accounts={a.id: a for a in accounts}, categories=labels, tags=tags, category_rows=rows
    )


# --- rows of the register and the search ------------------------------------------------


@dataclass(frozen=True, slots=True)
class SplitView:
    category: CategoryLabel | None
    amount: str
    memo: str | None


@dataclass(frozen=True, slots=True)
class TransferView:
    group_id: uuid.UUID
    other_account_id: uuid.UUID | None
    other_account_name: str
    outgoing: bool


@dataclass
class Row:
    id: uuid.UUID
    posted_on: date
    account_id: uuid.UUID
    account_name: str
    payee: str | None
    merchant: str | None
    memo: str | None
    status: str
    currency: str
    amount: str
    amount_minor: int
    base_currency: str
    amount_base: str | None
    running: str | None
    category: CategoryLabel | None
    splits: list[SplitView]
    tags: list[str]
    transfer: TransferView | None

    @property
    def edit_href(self) -> str:
        if self.transfer is not None:
            return f"/transfers/{self.transfer.group_id}/edit"
        return f"/transactions/{self.id}/edit"

    @property
    def title(self) -> str:
        if self.transfer is not None:
            word = "to" if self.transfer.outgoing else "from"
            return f"Transfer {word} {self.transfer.other_account_name}"
        return self.payee or self.merchant or "No payee"


def _rows(
    views: Sequence[service.TransactionView],
    lookups: Lookups,
    convert: service.Converter,
) -> list[Row]:
    rows = []
    for view in views:
        txn, code = view.txn, view.currency
        base = convert(txn.amount_minor, code, txn.posted_on)
        transfer = None
        if txn.transfer_group_id is not None:
            transfer = TransferView(
                group_id=txn.transfer_group_id,
                other_account_id=view.transfer_account_id,
                other_account_name=lookups.account_name(view.transfer_account_id),
                outgoing=txn.amount_minor < 0,
            )
        rows.append(
            Row(
                id=txn.id,
                posted_on=txn.posted_on,
                account_id=txn.account_id,
                account_name=lookups.account_name(txn.account_id),
                payee=txn.payee,
                merchant=view.merchant_name,
                memo=txn.memo,
                status=txn.status,
                currency=code,
                amount=decimal_text(txn.amount_minor, code),
                amount_minor=txn.amount_minor,
                base_currency=convert.to_ccy,
                amount_base=None if base is None else decimal_text(base, convert.to_ccy),
                running=(
                    None
                    if view.running_balance_minor is None
                    else decimal_text(view.running_balance_minor, code)
                ),
                category=lookups.categories.get(txn.category_id) if txn.category_id else None,
                splits=[
                    SplitView(
                        category=lookups.categories.get(s.category_id) if s.category_id else None,
                        amount=decimal_text(s.amount_minor, code),
                        memo=s.memo,
                    )
                    for s in view.splits
                ],
                tags=[lookups.tags[t].name for t in view.tag_ids if t in lookups.tags],
                transfer=transfer,
            )
        )
    return rows


def _converter(session: Session, ctx: TenantContext) -> service.Converter:
    return service.Converter(session, tenant_id=ctx.tenant_id, to_ccy=ctx.tenant.base_currency)


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _with_cursor(request: Request, cursor: str | None) -> str:
    """This page's address with another cursor (the filters stay as they are)."""
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
    if cursor:
        pairs.append(("cursor", cursor))
    query = urlencode(pairs)
    return request.url.path + (f"?{query}" if query else "")


def _bulk_context(lookups: Lookups, ctx: TenantContext, back: str) -> dict[str, Any]:
    return {
        "can_write": ctx.role.can_write,
        "bulk_actions": BULK_ACTIONS,
        "category_groups": lookups.category_groups(),
        "tag_options": [(str(t.id), t.name) for t in lookups.tags.values()],
        "back": back,
    }


# --- the account register ---------------------------------------------------------------


def _cleared_balance(
    session: Session, ctx: TenantContext, account: Account, balance_minor: int
) -> int:
    """The balance without the pending rows (what the bank has already settled)."""
    pending = service.pending_totals(session, tenant_id=ctx.tenant_id, account_ids=[account.id])
    return balance_minor - pending.get(account.id, 0)


@router.get("/accounts/{account_id}", response_model=None)
def register(
    request: Request,
    account_id: uuid.UUID,
    ctx: PageTenant,
    session: SessionDep,
    cursor: str | None = None,
) -> Response:
    try:
        page = service.register_page(
            session,
            tenant_id=ctx.tenant_id,
            account_id=account_id,
            limit=PAGE_SIZE,
            cursor=cursor or None,
        )
    except ValidationFailed:
        # A cursor that is not ours (edited by hand): start again from the newest row.
        return redirect(f"/accounts/{account_id}")
    account = page.account
    lookups = _lookups(session, ctx)
    convert = _converter(session, ctx)
    rows = _rows(page.items, lookups, convert)
    more = _with_cursor(request, page.next_cursor) if page.next_cursor else None
    context = {
        "active_nav": "accounts",
        "account": account,
        "rows": rows,
        "more_href": more,
        "show_account": False,
        "show_running": True,
        **_bulk_context(lookups, ctx, request.url.path),
    }
    if _is_htmx(request) and cursor:
        return render(request, "ledger/transactions/_more.html", context)
    base = convert(page.balance_minor, account.currency, date.today())
    context.update(
        {
            "balance": decimal_text(page.balance_minor, account.currency),
            "balance_base": None if base is None else decimal_text(base, convert.to_ccy),
            "cleared": decimal_text(
                _cleared_balance(session, ctx, account, page.balance_minor), account.currency
            ),
            "is_first_page": not cursor,
        }
    )
    return render(request, "ledger/transactions/register.html", context)


# --- search ------------------------------------------------------------------------------


@dataclass
class SearchForm:
    date_from: str = ""
    date_to: str = ""
    account_ids: list[str] = field(default_factory=list)
    category_ids: list[str] = field(default_factory=list)
    uncategorised: bool = False
    tag_ids: list[str] = field(default_factory=list)
    # Set by a report's drill-down (top merchants); the form has no control for it,
    # so it travels in a hidden field.
    merchant_ids: list[str] = field(default_factory=list)
    amount_min: str = ""
    amount_max: str = ""
    text: str = ""
    statuses: list[str] = field(default_factory=list)
    transfers: str = ""

    @property
    def is_empty(self) -> bool:
        return self.query() == {}

    def query(self) -> dict[str, Any]:
        """The filters as a saved filter stores them (the API's TransactionQuery JSON)."""
        found: dict[str, Any] = {}
        for name in ("date_from", "date_to", "amount_min", "amount_max", "text"):
            value = getattr(self, name).strip()
            if value:
                found[name] = value
        for name in ("account_ids", "category_ids", "tag_ids", "merchant_ids", "statuses"):
            values = [v for v in getattr(self, name) if v]
            if values:
                found[name] = values
        if self.uncategorised:
            found["uncategorised"] = True
        if self.transfers in ("true", "false"):
            found["transfers"] = self.transfers == "true"
        return found

    def pairs(self) -> list[tuple[str, str]]:
        """The filters as query parameters of /transactions."""
        out: list[tuple[str, str]] = []
        for key, value in self.query().items():
            if isinstance(value, list):
                out.extend((key, str(v)) for v in value)
            elif isinstance(value, bool):
                out.append((key, "true" if value else "false"))
            else:
                out.append((key, str(value)))
        return out

    @classmethod
    def from_query(cls, query: dict[str, Any]) -> SearchForm:
        form = cls()
        for key, value in query.items():
            if key in ("account_ids", "category_ids", "tag_ids", "merchant_ids", "statuses"):
                setattr(form, key, [str(v) for v in value or []])
            elif key == "uncategorised":
                form.uncategorised = bool(value)
            elif key == "transfers":
                form.transfers = "" if value is None else ("true" if value else "false")
            elif hasattr(form, key) and value is not None:
                setattr(form, key, str(value))
        return form


def _search_form(request: Request) -> SearchForm:
    params = request.query_params
    return SearchForm(
        date_from=params.get("date_from", ""),
        date_to=params.get("date_to", ""),
        account_ids=params.getlist("account_ids"),
        category_ids=params.getlist("category_ids"),
        uncategorised=params.get("uncategorised", "") in ("true", "on", "1"),
        tag_ids=params.getlist("tag_ids"),
        merchant_ids=params.getlist("merchant_ids"),
        amount_min=params.get("amount_min", ""),
        amount_max=params.get("amount_max", ""),
        text=params.get("text", ""),
        statuses=params.getlist("statuses"),
        transfers=params.get("transfers", ""),
    )


def _parse_date(value: str, name: str, errors: dict[str, str]) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = "must be a date, like 2026-03-15"
        return None


def _parse_amount(value: str, name: str, errors: dict[str, str], locale: str) -> Decimal | None:
    """A decimal typed by a person: "12.50" always, or as their locale writes it."""
    text = value.strip().replace(" ", "").replace("\u00a0", "")
    if not text:
        return None
    try:
        if PLAIN_NUMBER.match(text):
            return Decimal(text)
        parsed = parse_decimal(text, locale=locale, strict=True)
        if parsed.is_finite():
            return parsed
    except (InvalidOperation, NumberFormatError, ValueError):
        pass
    errors[name] = "must be an amount, like 12.50"
    return None


def _parse_ids(values: Iterable[str], name: str, errors: dict[str, str]) -> tuple[uuid.UUID, ...]:
    ids = []
    for value in values:
        if not value:
            continue
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            errors[name] = "that choice does not exist (any longer)"
    return tuple(ids)


def _filters(form: SearchForm, locale: str) -> tuple[service.TransactionFilter, dict[str, str]]:
    errors: dict[str, str] = {}
    statuses = []
    for value in form.statuses:
        try:
            statuses.append(TransactionStatus(value))
        except ValueError:
            errors["statuses"] = "has a status that does not exist"
    filters = service.TransactionFilter(
        date_from=_parse_date(form.date_from, "date_from", errors),
        date_to=_parse_date(form.date_to, "date_to", errors),
        account_ids=_parse_ids(form.account_ids, "account_ids", errors),
        category_ids=_parse_ids(form.category_ids, "category_ids", errors),
        uncategorised=form.uncategorised,
        tag_ids=_parse_ids(form.tag_ids, "tag_ids", errors),
        merchant_ids=_parse_ids(form.merchant_ids, "merchant_ids", errors),
        amount_min=_parse_amount(form.amount_min, "amount_min", errors, locale),
        amount_max=_parse_amount(form.amount_max, "amount_max", errors, locale),
        text=form.text.strip() or None,
        statuses=tuple(statuses),
        transfers={"true": True, "false": False}.get(form.transfers),
    )
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        errors["date_to"] = "must not be before the start date"
    return filters, errors


def _locale(ctx: TenantContext) -> str:
    return ctx.tenant.locale or "en_US"


def search_request(
    request: Request, ctx: TenantContext
) -> tuple[SearchForm, service.TransactionFilter, dict[str, str]]:
    """The search page's filters as its query string holds them (for the downloads of
    coffer.reports.pages): the form, the filter and any field errors."""
    form = _search_form(request)
    filters, errors = _filters(form, _locale(ctx))
    return form, filters, errors


def _saved_links(session: Session, ctx: TenantContext) -> list[dict[str, Any]]:
    saved = service.list_saved_filters(session, tenant_id=ctx.tenant_id, user_id=ctx.user.id)
    links = []
    for row in saved:
        pairs = SearchForm.from_query(row.query).pairs()
        links.append(
            {
                "id": row.id,
                "name": row.name,
                "href": "/transactions" + (f"?{urlencode(pairs)}" if pairs else ""),
                "pairs": pairs,
            }
        )
    return links


def _search_page(
    request: Request,
    session: Session,
    ctx: TenantContext,
    form: SearchForm,
    *,
    cursor: str | None = None,
    save_name: str = "",
    save_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    lookups = _lookups(session, ctx)
    filters, errors = _filters(form, _locale(ctx))
    rows: list[Row] = []
    more = None
    if not errors:
        try:
            page = service.search_transactions(
                session, tenant_id=ctx.tenant_id, filters=filters, limit=PAGE_SIZE, cursor=cursor
            )
        except ValidationFailed as exc:
            errors = errors_by_field(exc)
        else:
            rows = _rows(page.items, lookups, _converter(session, ctx))
            more = _with_cursor(request, page.next_cursor) if page.next_cursor else None
    if errors and status_code == 200:
        status_code = 422
    query = urlencode(form.pairs())
    back = "/transactions" + (f"?{query}" if query else "")
    context = {
        "active_nav": "transactions",
        "rows": rows,
        "more_href": more,
        "show_account": True,
        "show_running": False,
        **_bulk_context(lookups, ctx, back),
    }
    if _is_htmx(request) and cursor and not errors:
        return render(request, "ledger/transactions/_more.html", context)
    context.update(
        {
            "form": form,
            "errors": _form_errors(errors),
            "accounts": list(lookups.accounts.values()),
            "tags": list(lookups.tags.values()),
            "status_options": list(STATUS_TEXT.items()),
            "saved_filters": _saved_links(session, ctx),
            "save_name": save_name,
            "save_errors": save_errors or {},
            "is_first_page": not cursor,
            "first_href": back,
            "export_query": query,
        }
    )
    return render(request, "ledger/transactions/search.html", context, status_code=status_code)


@router.get("/transactions", response_class=HTMLResponse)
def search(
    request: Request, ctx: PageTenant, session: SessionDep, cursor: str | None = None
) -> HTMLResponse:
    return _search_page(request, session, ctx, _search_form(request), cursor=cursor or None)


def _attempt(session: Session, work: Callable[[], T]) -> T:
    """Run a write in a savepoint: when the service refuses, nothing it did remains."""
    with session.begin_nested():
        return work()


def _form_problem(exc: CofferError) -> bool:
    """A refusal a form can explain (bad or stale input), rather than a missing page."""
    if isinstance(exc, Forbidden):
        return False
    return not isinstance(exc, NotFound) or bool(exc.errors)


@router.post("/transactions/saved-filters", response_model=None)
async def save_filter(request: Request, ctx: PageTenant, session: SessionDep) -> Response:
    data = await request.form()

    def values(name: str) -> list[str]:
        return [str(v) for v in data.getlist(name)]

    form = SearchForm(
        date_from=str(data.get("date_from", "")),
        date_to=str(data.get("date_to", "")),
        account_ids=values("account_ids"),
        category_ids=values("category_ids"),
        uncategorised=str(data.get("uncategorised", "")) in ("true", "on", "1"),
        tag_ids=values("tag_ids"),
        amount_min=str(data.get("amount_min", "")),
        amount_max=str(data.get("amount_max", "")),
        text=str(data.get("text", "")),
        statuses=values("statuses"),
        transfers=str(data.get("transfers", "")),
    )
    name = str(data.get("name", ""))
    return _save_filter(request, session, ctx, form, name)


def _save_filter(
    request: Request, session: Session, ctx: TenantContext, form: SearchForm, name: str
) -> Response:
    _, problems = _filters(form, _locale(ctx))
    if problems:
        return _search_page(request, session, ctx, form, save_name=name, status_code=422)
    try:
        _attempt(
            session,
            lambda: service.create_saved_filter(
                session,
                tenant_id=ctx.tenant_id,
                user_id=ctx.user.id,
                name=name,
                query=form.query(),
            ),
        )
    except CofferError as exc:
        if not _form_problem(exc):
            raise
        return _search_page(
            request,
            session,
            ctx,
            form,
            save_name=name,
            save_errors=errors_by_field(exc),
            status_code=422,
        )
    flash(request, "success", f"Saved the filter “{name.strip()}”.")
    query = urlencode(form.pairs())
    return redirect("/transactions" + (f"?{query}" if query else ""))


@router.post("/transactions/saved-filters/{saved_filter_id}/delete", response_model=None)
def delete_filter(
    request: Request, saved_filter_id: uuid.UUID, ctx: PageTenant, session: SessionDep
) -> Response:
    row = service.get_saved_filter(
        session, tenant_id=ctx.tenant_id, user_id=ctx.user.id, saved_filter_id=saved_filter_id
    )
    name = row.name
    service.delete_saved_filter(
        session, tenant_id=ctx.tenant_id, user_id=ctx.user.id, saved_filter_id=saved_filter_id
    )
    flash(request, "success", f"Deleted the saved filter “{name}”.")
    return redirect("/transactions")


# --- bulk actions ------------------------------------------------------------------------


@router.post("/transactions/bulk", response_model=None)
def bulk(
    request: Request,
    ctx: WritablePageTenant,
    session: SessionDep,
    ids: FormList = [],  # noqa: B006 - FastAPI copies defaults
    action: FormText = "",
    category_id: FormText = "",
    tag_id: FormText = "",
    confirm: FormText = "",
    back: FormText = "",
) -> Response:
    back_to = safe_next(back, "/transactions")
    errors: dict[str, str] = {}
    chosen = _parse_ids(ids, "", errors)
    if not chosen and "" not in errors:
        errors[""] = "Select at least one transaction first."
    if action not in dict(BULK_ACTIONS):
        errors["action"] = "Choose what to do with the selected transactions."
    category: uuid.UUID | None = None
    tag: uuid.UUID | None = None
    if action == "recategorise":
        if not category_id:
            errors["category_id"] = "Choose the new category."
        elif category_id != "none":
            found_category = _parse_ids([category_id], "category_id", errors)
            category = found_category[0] if found_category else None
    if action == "tag":
        if not tag_id:
            errors["tag_id"] = "Choose the tag to add."
        else:
            found_tag = _parse_ids([tag_id], "tag_id", errors)
            tag = found_tag[0] if found_tag else None
    if errors:
        return _bulk_page(
            request, session, ctx, chosen, action, category_id, tag_id, back_to, errors
        )
    if action == "delete" and confirm != "yes":
        return _bulk_page(request, session, ctx, chosen, action, category_id, tag_id, back_to, {})
    try:
        result = _attempt(
            session,
            lambda: service.bulk_update(
                session,
                tenant_id=ctx.tenant_id,
                actor_id=ctx.user.id,
                action=service.BulkAction(action),
                ids=list(chosen),
                category_id=category,
                tag_id=tag,
            ),
        )
    except CofferError as exc:
        if isinstance(exc, Forbidden):
            raise
        problems = {("" if k == "ids" else k): v for k, v in errors_by_field(exc).items()}
        if "" in problems and isinstance(exc, NotFound):
            problems[""] = "Some of these transactions no longer exist. Nothing was changed."
        return _bulk_page(
            request, session, ctx, chosen, action, category_id, tag_id, back_to, problems
        )
    flash(request, "success", _bulk_message(result))
    return redirect(back_to)


def _count(n: int) -> str:
    return f"{n} transaction" + ("" if n == 1 else "s")


def _bulk_message(result: service.BulkResult) -> str:
    changed, skipped = len(result.changed), len(result.skipped)
    done = {
        service.BulkAction.recategorise: "Changed the category of",
        service.BulkAction.tag: "Tagged",
        service.BulkAction.untag: "Untagged",
        service.BulkAction.mark_cleared: "Marked as cleared",
        service.BulkAction.mark_uncleared: "Marked as pending",
        service.BulkAction.delete: "Deleted",
    }[result.action]
    text = f"{done} {_count(changed)}."
    if skipped:
        text += (
            f" {_count(skipped)} stayed as they were (already so, or split transactions, "
            "whose categories are on their lines)."
        )
    return text


def _bulk_page(
    request: Request,
    session: Session,
    ctx: TenantContext,
    ids: Sequence[uuid.UUID],
    action: str,
    category_id: str,
    tag_id: str,
    back: str,
    errors: dict[str, str],
) -> HTMLResponse:
    lookups = _lookups(session, ctx)
    return render(
        request,
        "ledger/transactions/bulk.html",
        {
            "active_nav": "transactions",
            "ids": [str(i) for i in ids],
            "count_text": _count(len(ids)),
            "action": action,
            "category_id": category_id,
            "tag_id": tag_id,
            "errors": _form_errors(errors),
            "confirming": action == "delete" and not errors,
            **_bulk_context(lookups, ctx, back),
        },
        status_code=422 if errors else 200,
    )


# --- the transaction form ------------------------------------------------------------------


@dataclass
class SplitRow:
    category_id: str = ""
    amount: str = ""
    memo: str = ""

    @property
    def blank(self) -> bool:
        return not (self.category_id or self.amount.strip() or self.memo.strip())


@dataclass
class TxnForm:
    account_id: str = ""
    posted_on: str = ""
    direction: str = "expense"
    amount: str = ""
    payee: str = ""
    category_id: str = ""
    tag_ids: list[str] = field(default_factory=list)
    memo: str = ""
    notes: str = ""
    status: str = "pending"
    splits: list[SplitRow] = field(default_factory=list)

    def padded_splits(self) -> list[SplitRow]:
        filled = [s for s in self.splits if not s.blank]
        return filled + [SplitRow() for _ in range(max(SPLIT_ROWS - len(filled), 2))]


def _magnitude(amount_minor: int, code: str) -> str:
    return decimal_text(abs(amount_minor), code)


def _form_of(txn: LedgerTransaction, view: service.TransactionView) -> TxnForm:
    code = view.currency
    sign = -1 if txn.amount_minor < 0 else 1
    return TxnForm(
        account_id=str(txn.account_id),
        posted_on=txn.posted_on.isoformat(),
        direction="expense" if txn.amount_minor < 0 else "income",
        amount=_magnitude(txn.amount_minor, code),
        payee=txn.payee or "",
        category_id=str(txn.category_id) if txn.category_id else "",
        tag_ids=[str(t) for t in view.tag_ids],
        memo=txn.memo or "",
        notes=txn.notes or "",
        status=txn.status,
        splits=[
            SplitRow(
                category_id=str(s.category_id) if s.category_id else "",
                amount=decimal_text(s.amount_minor * sign, code),
                memo=s.memo or "",
            )
            for s in view.splits
        ],
    )


@dataclass
class Parsed:
    values: dict[str, Any]
    split_rows: list[int]  # form row of each split line sent to the service


def _parse_txn(form: TxnForm, locale: str, errors: dict[str, str]) -> Parsed:
    values: dict[str, Any] = {}
    account = _parse_ids([form.account_id], "account_id", errors)
    if not form.account_id:
        errors["account_id"] = "Choose the account."
    values["account_id"] = account[0] if account else None
    posted_on = _parse_date(form.posted_on, "posted_on", errors)
    if posted_on is None and "posted_on" not in errors:
        errors["posted_on"] = "Enter the date, like 2026-03-15."
    values["posted_on"] = posted_on
    if form.direction not in ("expense", "income"):
        errors["direction"] = "Choose money out or money in."
    sign = -1 if form.direction == "expense" else 1
    amount = _parse_amount(form.amount, "amount", errors, locale)
    if amount is None and "amount" not in errors:
        errors["amount"] = "Enter the amount, like 12.50."
    values["amount"] = None if amount is None else abs(amount) * sign
    values["payee"] = form.payee
    values["memo"] = form.memo
    values["notes"] = form.notes
    values["tag_ids"] = list(_parse_ids(form.tag_ids, "tag_ids", errors))
    if form.status not in ("pending", "cleared", "reconciled"):
        errors["status"] = "Choose pending or cleared."
    values["status"] = form.status
    lines: list[service.SplitLine] = []
    rows: list[int] = []
    for index, row in enumerate(form.splits):
        if row.blank:
            continue
        line_amount = _parse_amount(row.amount, f"splits.{index}.amount", errors, locale)
        if line_amount is None and f"splits.{index}.amount" not in errors:
            errors[f"splits.{index}.amount"] = "Enter this line's amount."
        category = _parse_ids([row.category_id], f"splits.{index}.category_id", errors)
        lines.append(
            service.SplitLine(
                amount=(line_amount or Decimal(0)) * sign,
                category_id=category[0] if category else None,
                memo=row.memo or None,
            )
        )
        rows.append(index)
    values["splits"] = lines or None
    if lines:
        # A split's categories are on its lines.
        values["category_id"] = None
    else:
        category = _parse_ids([form.category_id], "category_id", errors)
        values["category_id"] = category[0] if category else None
    return Parsed(values=values, split_rows=rows)


def _service_errors(exc: CofferError, parsed: Parsed) -> dict[str, str]:
    """The service's field names turned into the form's (split line numbers included)."""
    found = errors_by_field(exc)
    out: dict[str, str] = {}
    for key, message in found.items():
        match = re.match(r"^splits\.(\d+)\.(\w+)$", key)
        if match and int(match.group(1)) < len(parsed.split_rows):
            key = f"splits.{parsed.split_rows[int(match.group(1))]}.{match.group(2)}"
        if key == "":
            message = exc.detail
        out[key] = _sentence(message) if key else message
    return out


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def _form_errors(errors: dict[str, str]) -> dict[str, str]:
    """Field errors as sentences; split line errors keep their own keys."""
    return {k: (_sentence(v) if k else v) for k, v in errors.items()}


def _txn_page(
    request: Request,
    session: Session,
    ctx: TenantContext,
    form: TxnForm,
    *,
    txn: LedgerTransaction | None = None,
    errors: dict[str, str] | None = None,
    back: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    lookups = _lookups(session, ctx)
    open_accounts = [
        a
        for a in lookups.accounts.values()
        if a.closed_on is None or (txn is not None and a.id == txn.account_id)
    ]
    account = lookups.accounts.get(txn.account_id) if txn else None
    if account is None and form.account_id:
        try:
            account = lookups.accounts.get(uuid.UUID(form.account_id))
        except ValueError:
            account = None
    split_errors = {k: v for k, v in (errors or {}).items() if k.startswith("splits.")}
    return render(
        request,
        "ledger/transactions/form.html",
        {
            "active_nav": "transactions",
            "txn": txn,
            "form": form,
            "errors": errors or {},
            "split_errors": split_errors,
            "split_rows": form.padded_splits(),
            "minor_units": {
                a.currency: money_currency(a.currency).minor_units
                for a in lookups.accounts.values()
            },
            "accounts": open_accounts,
            "account": account,
            "category_groups": lookups.category_groups(),
            "tags": list(lookups.tags.values()),
            "locked": txn is not None and txn.status == TransactionStatus.reconciled.value,
            "back": back or (f"/accounts/{account.id}" if account else "/transactions"),
        },
        status_code=status_code,
    )


def _txn_form_from(
    account_id: str,
    posted_on: str,
    direction: str,
    amount: str,
    payee: str,
    category_id: str,
    tag_ids: list[str],
    memo: str,
    notes: str,
    status: str,
    split_category: list[str],
    split_amount: list[str],
    split_memo: list[str],
) -> TxnForm:
    count = max(len(split_category), len(split_amount), len(split_memo))

    def at(values: list[str], i: int) -> str:
        return values[i] if i < len(values) else ""

    return TxnForm(
        account_id=account_id,
        posted_on=posted_on,
        direction=direction,
        amount=amount,
        payee=payee,
        category_id=category_id,
        tag_ids=tag_ids,
        memo=memo,
        notes=notes,
        status=status or "pending",
        splits=[
            SplitRow(at(split_category, i), at(split_amount, i), at(split_memo, i))
            for i in range(count)
        ],
    )


@router.get("/transactions/new", response_class=HTMLResponse)
def new_transaction(
    request: Request,
    ctx: WritablePageTenant,
    session: SessionDep,
    account_id: str = "",
) -> HTMLResponse:
    form = TxnForm(account_id=account_id, posted_on=date.today().isoformat())
    back = f"/accounts/{account_id}" if _uuid_or_none(account_id) else "/transactions"
    return _txn_page(request, session, ctx, form, back=back)


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@router.post("/transactions/new", response_model=None)
def create_transaction(
    request: Request,
    ctx: WritablePageTenant,
    session: SessionDep,
    account_id: FormText = "",
    posted_on: FormText = "",
    direction: FormText = "expense",
    amount: FormText = "",
    payee: FormText = "",
    category_id: FormText = "",
    tag_ids: FormList = [],  # noqa: B006
    memo: FormText = "",
    notes: FormText = "",
    status: FormText = "pending",
    split_category: FormList = [],  # noqa: B006
    split_amount: FormList = [],  # noqa: B006
    split_memo: FormList = [],  # noqa: B006
    back: FormText = "",
) -> Response:
    form = _txn_form_from(
        account_id, posted_on, direction, amount, payee, category_id, tag_ids, memo, notes,
        status, split_category, split_amount, split_memo,
    )  # fmt: skip
    errors: dict[str, str] = {}
    parsed = _parse_txn(form, _locale(ctx), errors)
    if errors:
        return _txn_page(
            request, session, ctx, form, errors=_form_errors(errors), back=back, status_code=422
        )
    values = parsed.values
    try:
        txn = _attempt(
            session,
            lambda: service.post_transaction(
                session, tenant_id=ctx.tenant_id, actor_id=ctx.user.id, **values
            ),
        )
    except CofferError as exc:
        if not _form_problem(exc):
            raise
        return _txn_page(
            request,
            session,
            ctx,
            form,
            errors=_service_errors(exc, parsed),
            back=back,
            status_code=422,
        )
    flash(request, "success", "Saved the transaction.")
    return redirect(safe_next(back, f"/accounts/{txn.account_id}"))


def _editable(session: Session, ctx: TenantContext, transaction_id: uuid.UUID) -> LedgerTransaction:
    return service.get_transaction(session, tenant_id=ctx.tenant_id, transaction_id=transaction_id)


@router.get("/transactions/{transaction_id}/edit", response_model=None)
def edit_transaction(
    request: Request,
    transaction_id: uuid.UUID,
    ctx: PageTenant,
    session: SessionDep,
    back: str = "",
) -> Response:
    txn = _editable(session, ctx, transaction_id)
    if txn.transfer_group_id is not None:
        return redirect(f"/transfers/{txn.transfer_group_id}/edit")
    if not ctx.role.can_write:
        raise Forbidden(
            f"Your role in {ctx.tenant.name} is {ctx.role.value}: you can look, "
            "but not change anything."
        )
    view = service.load_views(session, tenant_id=ctx.tenant_id, txns=[txn])[0]
    return _txn_page(request, session, ctx, _form_of(txn, view), txn=txn, back=safe_next(back, ""))


@router.post("/transactions/{transaction_id}/edit", response_model=None)
def update_transaction(
    request: Request,
    transaction_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    account_id: FormText = "",
    posted_on: FormText = "",
    direction: FormText = "expense",
    amount: FormText = "",
    payee: FormText = "",
    category_id: FormText = "",
    tag_ids: FormList = [],  # noqa: B006
    memo: FormText = "",
    notes: FormText = "",
    status: FormText = "pending",
    split_category: FormList = [],  # noqa: B006
    split_amount: FormList = [],  # noqa: B006
    split_memo: FormList = [],  # noqa: B006
    back: FormText = "",
) -> Response:
    txn = _editable(session, ctx, transaction_id)
    if txn.transfer_group_id is not None:
        return redirect(f"/transfers/{txn.transfer_group_id}/edit")
    form = _txn_form_from(
        account_id, posted_on, direction, amount, payee, category_id, tag_ids, memo, notes,
        status, split_category, split_amount, split_memo,
    )  # fmt: skip
    errors: dict[str, str] = {}
    parsed = _parse_txn(form, _locale(ctx), errors)
    if errors:
        return _txn_page(
            request,
            session,
            ctx,
            form,
            txn=txn,
            errors=_form_errors(errors),
            back=back,
            status_code=422,
        )
    values = parsed.values
    try:
        _attempt(
            session,
            lambda: service.update_transaction(
                session,
                tenant_id=ctx.tenant_id,
                actor_id=ctx.user.id,
                transaction_id=txn.id,
                values=values,  # type: ignore[arg-type]
            ),
        )
    except CofferError as exc:
        if not _form_problem(exc):
            raise
        session.refresh(txn)
        return _txn_page(
            request,
            session,
            ctx,
            form,
            txn=txn,
            errors=_service_errors(exc, parsed),
            back=back,
            status_code=422,
        )
    flash(request, "success", "Saved the changes.")
    return redirect(safe_next(back, f"/accounts/{txn.account_id}"))


@router.post("/transactions/{transaction_id}/delete", response_model=None)
def delete_transaction(
    request: Request,
    transaction_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    back: FormText = "",
) -> Response:
    txn = _editable(session, ctx, transaction_id)
    account_id = txn.account_id
    try:
        _attempt(
            session,
            lambda: service.delete_transaction(
                session, tenant_id=ctx.tenant_id, actor_id=ctx.user.id, transaction_id=txn.id
            ),
        )
    except CofferError as exc:
        if not _form_problem(exc):
            raise
        flash(request, "error", exc.detail)
        return redirect(f"/transactions/{transaction_id}/edit")
    flash(request, "success", "Deleted the transaction.")
    target = safe_next(back, f"/accounts/{account_id}")
    if target.startswith(f"/transactions/{transaction_id}"):
        target = f"/accounts/{account_id}"
    return redirect(target)


# --- transfers ---------------------------------------------------------------------------


@dataclass
class TransferForm:
    from_account_id: str = ""
    to_account_id: str = ""
    posted_on: str = ""
    amount: str = ""
    received: str = ""
    fx_rate: str = ""
    memo: str = ""
    notes: str = ""
    status: str = "pending"


def _rate_from(sent: Decimal, received: Decimal) -> Decimal:
    """The rate that turns `sent` into `received` (18 significant digits: exact enough
    that the service's half-up rounding lands on the amount typed)."""
    with localcontext() as context:
        context.prec = 18
        return received / sent


def _transfer_page(
    request: Request,
    session: Session,
    ctx: TenantContext,
    form: TransferForm,
    *,
    transfer: service.Transfer | None = None,
    errors: dict[str, str] | None = None,
    back: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    lookups = _lookups(session, ctx)
    sent_account = received_account = None
    if transfer is not None:
        sent_account = lookups.accounts.get(transfer.sent.account_id)
        received_account = lookups.accounts.get(transfer.received.account_id)
    return render(
        request,
        "ledger/transactions/transfer.html",
        {
            "active_nav": "transactions",
            "transfer": transfer,
            "sent_account": sent_account,
            "received_account": received_account,
            "form": form,
            "errors": errors or {},
            "accounts": [a for a in lookups.accounts.values() if a.closed_on is None],
            "cross_currency": transfer is not None and transfer.fx_rate is not None,
            "locked": transfer is not None
            and TransactionStatus.reconciled.value
            in (transfer.sent.status, transfer.received.status),
            "back": back or "/transactions",
        },
        status_code=status_code,
    )


@router.get("/transfers/new", response_class=HTMLResponse)
def new_transfer(
    request: Request, ctx: WritablePageTenant, session: SessionDep, account_id: str = ""
) -> HTMLResponse:
    form = TransferForm(from_account_id=account_id, posted_on=date.today().isoformat())
    back = f"/accounts/{account_id}" if _uuid_or_none(account_id) else "/transactions"
    return _transfer_page(request, session, ctx, form, back=back)


def _amounts(
    form: TransferForm, locale: str, errors: dict[str, str]
) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    amount = _parse_amount(form.amount, "amount", errors, locale)
    if amount is None and "amount" not in errors:
        errors["amount"] = "Enter the amount sent, like 100.00."
    elif amount is not None and amount <= 0:
        errors["amount"] = "Must be more than zero."
    received = _parse_amount(form.received, "received", errors, locale)
    if received is not None and received <= 0:
        errors["received"] = "Must be more than zero."
    rate = _parse_amount(form.fx_rate, "fx_rate", errors, locale)
    if rate is not None and rate <= 0:
        errors["fx_rate"] = "Must be more than zero."
    if rate is None and received is not None and amount is not None and amount > 0 < received:
        rate = _rate_from(amount, received)
    return amount, received, rate


def _check_received(
    session: Session, received_txn: LedgerTransaction, received: Decimal | None
) -> None:
    """The amount received, when typed, is what arrived (a typed rate must agree)."""
    if received is None:
        return
    account = session.get(Account, received_txn.account_id)
    assert account is not None
    if Decimal(decimal_text(received_txn.amount_minor, account.currency)) != received:
        raise ValidationFailed(
            "received: does not match the amount sent at this rate",
            errors=[
                {
                    "field": "received",
                    "message": "does not match the amount sent at this rate; give either "
                    "the amount received or the rate",
                }
            ],
        )


@router.post("/transfers/new", response_model=None)
def create_transfer(
    request: Request,
    ctx: WritablePageTenant,
    session: SessionDep,
    from_account_id: FormText = "",
    to_account_id: FormText = "",
    posted_on: FormText = "",
    amount: FormText = "",
    received: FormText = "",
    fx_rate: FormText = "",
    memo: FormText = "",
    notes: FormText = "",
    status: FormText = "pending",
    back: FormText = "",
) -> Response:
    form = TransferForm(
        from_account_id, to_account_id, posted_on, amount, received, fx_rate, memo, notes, status
    )
    errors: dict[str, str] = {}
    source = _parse_ids([from_account_id], "from_account_id", errors)
    target = _parse_ids([to_account_id], "to_account_id", errors)
    if not source and "from_account_id" not in errors:
        errors["from_account_id"] = "Choose the account the money leaves."
    if not target and "to_account_id" not in errors:
        errors["to_account_id"] = "Choose the account the money arrives in."
    day = _parse_date(posted_on, "posted_on", errors)
    if day is None and "posted_on" not in errors:
        errors["posted_on"] = "Enter the date, like 2026-03-15."
    sent, received_amount, rate = _amounts(form, _locale(ctx), errors)
    if status not in ("pending", "cleared"):
        errors["status"] = "Choose pending or cleared."
    if errors or sent is None or day is None:
        return _transfer_page(
            request, session, ctx, form, errors=_form_errors(errors), back=back, status_code=422
        )
    lookups = _lookups(session, ctx)
    same = (
        lookups.accounts.get(source[0]) is not None
        and lookups.accounts.get(target[0]) is not None
        and lookups.accounts[source[0]].currency == lookups.accounts[target[0]].currency
    )

    def work() -> service.Transfer:
        transfer = service.create_transfer(
            session,
            tenant_id=ctx.tenant_id,
            actor_id=ctx.user.id,
            from_account_id=source[0],
            to_account_id=target[0],
            posted_on=day,
            amount=sent,
            fx_rate=None if same else rate,
            memo=memo,
            notes=notes,
            status=status,
        )
        if not same:
            _check_received(session, transfer.received, received_amount)
        return transfer

    try:
        transfer = _attempt(session, work)
    except CofferError as exc:
        if not _form_problem(exc):
            raise
        return _transfer_page(
            request,
            session,
            ctx,
            form,
            errors=_form_errors(errors_by_field(exc)),
            back=back,
            status_code=422,
        )
    flash(request, "success", "Saved the transfer.")
    return redirect(safe_next(back, f"/accounts/{transfer.sent.account_id}"))


def _transfer_form(session: Session, transfer: service.Transfer) -> TransferForm:
    sent_account = session.get(Account, transfer.sent.account_id)
    received_account = session.get(Account, transfer.received.account_id)
    assert sent_account is not None
    assert received_account is not None
    return TransferForm(
        from_account_id=str(sent_account.id),
        to_account_id=str(received_account.id),
        posted_on=transfer.sent.posted_on.isoformat(),
        amount=_magnitude(transfer.sent.amount_minor, sent_account.currency),
        received=_magnitude(transfer.received.amount_minor, received_account.currency),
        fx_rate=str(transfer.fx_rate) if transfer.fx_rate is not None else "",
        memo=transfer.sent.memo or "",
        notes=transfer.sent.notes or "",
        status=transfer.sent.status,
    )


@router.get("/transfers/{transfer_id}/edit", response_class=HTMLResponse)
def edit_transfer(
    request: Request, transfer_id: uuid.UUID, ctx: WritablePageTenant, session: SessionDep
) -> HTMLResponse:
    transfer = service.get_transfer(session, tenant_id=ctx.tenant_id, transfer_id=transfer_id)
    form = _transfer_form(session, transfer)
    return _transfer_page(
        request,
        session,
        ctx,
        form,
        transfer=transfer,
        back=f"/accounts/{transfer.sent.account_id}",
    )


@router.post("/transfers/{transfer_id}/edit", response_model=None)
def update_transfer(
    request: Request,
    transfer_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    posted_on: FormText = "",
    amount: FormText = "",
    received: FormText = "",
    fx_rate: FormText = "",
    memo: FormText = "",
    notes: FormText = "",
    back: FormText = "",
) -> Response:
    transfer = service.get_transfer(session, tenant_id=ctx.tenant_id, transfer_id=transfer_id)
    current = _transfer_form(session, transfer)
    form = TransferForm(
        current.from_account_id,
        current.to_account_id,
        posted_on,
        amount,
        received,
        fx_rate,
        memo,
        notes,
        current.status,
    )
    errors: dict[str, str] = {}
    day = _parse_date(posted_on, "posted_on", errors)
    if day is None and "posted_on" not in errors:
        errors["posted_on"] = "Enter the date, like 2026-03-15."
    cross = transfer.fx_rate is not None
    if cross and fx_rate.strip() == current.fx_rate and received.strip() != current.received:
        # The amount received was changed, not the rate: the rate follows from it.
        form.fx_rate = ""
    sent, received_amount, rate = _amounts(form, _locale(ctx), errors)
    if errors or sent is None or day is None:
        return _transfer_page(
            request,
            session,
            ctx,
            form,
            transfer=transfer,
            errors=_form_errors(errors),
            back=back,
            status_code=422,
        )

    def work() -> None:
        values: dict[str, Any] = {"posted_on": day, "amount": -sent, "memo": memo, "notes": notes}
        if cross and rate is not None:
            values["fx_rate"] = rate
        service.update_transaction(
            session,
            tenant_id=ctx.tenant_id,
            actor_id=ctx.user.id,
            transaction_id=transfer.sent.id,
            values=values,  # type: ignore[arg-type]
        )
        service.update_transaction(
            session,
            tenant_id=ctx.tenant_id,
            actor_id=ctx.user.id,
            transaction_id=transfer.received.id,
            values={"memo": memo, "notes": notes},
        )
        if cross and form.fx_rate.strip() and received.strip() != current.received:
            _check_received(session, transfer.received, received_amount)

    try:
        _attempt(session, work)
    except CofferError as exc:
        if not _form_problem(exc):
            raise
        for leg in (transfer.sent, transfer.received):
            session.refresh(leg)
        return _transfer_page(
            request,
            session,
            ctx,
            form,
            transfer=transfer,
            errors=_form_errors(errors_by_field(exc)),
            back=back,
            status_code=422,
        )
    flash(request, "success", "Saved the transfer.")
    return redirect(safe_next(back, f"/accounts/{transfer.sent.account_id}"))


@router.post("/transfers/{transfer_id}/delete", response_model=None)
def delete_transfer(
    request: Request,
    transfer_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    back: FormText = "",
) -> Response:
    transfer = service.get_transfer(session, tenant_id=ctx.tenant_id, transfer_id=transfer_id)
    account_id = transfer.sent.account_id
    try:
        _attempt(
            session,
            lambda: service.delete_transfer(
                session, tenant_id=ctx.tenant_id, actor_id=ctx.user.id, transfer_id=transfer_id
            ),
        )
    except CofferError as exc:
        if not _form_problem(exc):
            raise
        flash(request, "error", exc.detail)
        return redirect(f"/transfers/{transfer_id}/edit")
    flash(request, "success", "Deleted the transfer (both sides of it).")
    target = safe_next(back, f"/accounts/{account_id}")
    if target.startswith("/transfers/"):
        target = f"/accounts/{account_id}"
    return redirect(target)
