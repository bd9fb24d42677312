"""Pages for what transactions are labelled with: categories (a two-level tree with
colours, merge and delete with reassignment), tags, and merchants with their aliases.

Forms post and redirect (303) to the page that shows the result; bad input shows the
form again with its errors (422) and changes nothing: every write runs in a savepoint,
so a refusal halfway leaves the household as it was. Merging and deleting a category
ask for confirmation first, on a page that says what will move.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coffer.errors import CofferError, NotFound, ValidationFailed, field_error
from coffer.imports import aliases as alias_service
from coffer.imports import rules as rule_service
from coffer.imports.models import AliasMatch, MerchantAlias, Rule
from coffer.ledger import aggregates
from coffer.ledger import service as ledger
from coffer.ledger.categories import CategoryPatch
from coffer.ledger.common import get_or_404
from coffer.ledger.models import Category, CategoryKind, LedgerTransaction, Merchant, Tag
from coffer.tenancy.deps import PageTenant, TenantContext, WritablePageTenant
from coffer.web.csrf import verify_csrf
from coffer.web.deps import SessionDep
from coffer.web.forms import FormText, errors_by_field, redirect
from coffer.web.templating import flash, render

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)

CATEGORIES_PATH = "/categories"
MERCHANTS_PATH = "/merchants"
# What a colour picker shows for a category that has no colour yet.
DEFAULT_COLOUR = "#9E9E9E"
KIND_OPTIONS = [(CategoryKind.expense.value, "Expense"), (CategoryKind.income.value, "Income")]
MATCH_OPTIONS = [
    (AliasMatch.contains.value, "contains"),
    (AliasMatch.exact.value, "is exactly"),
    (AliasMatch.regex.value, "matches the regular expression"),
]
MATCH_WORDS = dict(MATCH_OPTIONS)

LABELS = {
    "name": "Name",
    "kind": "Kind",
    "parent_id": "Parent",
    "colour": "Colour",
    "target_id": "Merge into",
    "reassign_to": "Move its transactions to",
    "pattern": "Payee text",
    "match": "How it matches",
    "merchant": "Merchant",
    "merchant_id": "Merchant",
}

T = TypeVar("T")


# --- helpers shared by the forms --------------------------------------------------------


def attempt(session: Session, write: Callable[[], T]) -> T:
    """Run a write in a savepoint: when the service refuses, nothing it did stays."""
    with session.begin_nested():
        return write()


def labelled(exc: CofferError, labels: dict[str, str] | None = None) -> dict[str, str]:
    """A refused write's messages by field, each starting with the field's label."""
    names = {**LABELS, **(labels or {})}
    found = errors_by_field(exc)
    return {
        key: (f"{names[key]}: {message}" if key in names else message)
        for key, message in found.items()
    }


def optional_id(value: str, field_name: str) -> uuid.UUID | None:
    """The id a select sent, None for its empty choice; a field error for anything else."""
    if not value.strip():
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError as exc:
        raise field_error(field_name, "choose one of the options in the list") from exc


def required_id(value: str, field_name: str) -> uuid.UUID:
    found = optional_id(value, field_name)
    if found is None:
        raise field_error(field_name, "choose one of the options in the list")
    return found


def checked(value: str) -> bool:
    return value.strip().lower() in ("on", "1", "true", "yes")


# --- categories ------------------------------------------------------------------------


@dataclass
class CategoryNode:
    category: Category
    count: int
    children: list[CategoryNode] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.count + sum(child.count for child in self.children)


def usage_counts(session: Session, tenant_id: uuid.UUID) -> dict[uuid.UUID | None, int]:
    """Transactions (and split lines) per category, from the monthly aggregate."""
    counts: dict[uuid.UUID | None, int] = defaultdict(int)
    for (_account, _month, category_id), (_total, count) in aggregates.stored_sums(
        session, tenant_id=tenant_id
    ).items():
        counts[category_id] += count
    return counts


def category_tree(
    categories: list[Category], counts: dict[uuid.UUID | None, int]
) -> dict[str, list[CategoryNode]]:
    """Top-level categories with their children, by kind (income first)."""
    nodes = {c.id: CategoryNode(c, counts.get(c.id, 0)) for c in categories}
    tree: dict[str, list[CategoryNode]] = {CategoryKind.income.value: [], "expense": []}
    for category in categories:  # parents come before their children
        node = nodes[category.id]
        parent = nodes.get(category.parent_id) if category.parent_id else None
        if parent is not None:
            parent.children.append(node)
        else:
            tree.setdefault(category.kind, []).append(node)
    return tree


def category_label(category: Category, by_id: dict[uuid.UUID, Category]) -> str:
    parent = by_id.get(category.parent_id) if category.parent_id else None
    return f"{parent.name} › {category.name}" if parent else category.name


def parent_options(categories: list[Category], exclude: uuid.UUID | None = None) -> list[Any]:
    options: list[tuple[str, str]] = [("", "None: a top-level category")]
    for c in categories:
        if c.parent_id is None and c.id != exclude:
            options.append((str(c.id), f"{c.name} ({c.kind})"))
    return options


def _target_options(
    source: Category, categories: list[Category], has_children: bool
) -> list[tuple[str, str]]:
    """Where a category may be merged or its transactions moved: the same kind, not
    itself nor one of its children; only top-level ones when it has children."""
    by_id = {c.id: c for c in categories}
    return [
        (str(c.id), category_label(c, by_id))
        for c in categories
        if c.id != source.id
        and c.kind == source.kind
        and c.parent_id != source.id
        and not (has_children and c.parent_id is not None)
    ]


def _categories_page(
    request: Request,
    session: Session,
    ctx: TenantContext,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    tag_form: dict[str, str] | None = None,
    tag_errors: dict[str, str] | None = None,
    rename: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    categories = ledger.list_categories(session, tenant_id=ctx.tenant_id)
    counts = usage_counts(session, ctx.tenant_id)
    usage = ledger.tag_usage(session, tenant_id=ctx.tenant_id)
    tags = ledger.list_tags(session, tenant_id=ctx.tenant_id)
    return render(
        request,
        "ledger/categories/list.html",
        {
            "active_nav": "categories",
            "can_write": ctx.role.can_write,
            "role": ctx.role,
            "tree": category_tree(categories, counts),
            "category_count": len(categories),
            "uncategorised": counts.get(None, 0),
            "form": form
            or {
                "name": "",
                "kind": "expense",
                "parent_id": "",
                "colour": "#0C6B5C",
                "same_as_parent": "on",
            },
            "errors": errors or {},
            "kind_options": KIND_OPTIONS,
            "parent_options": parent_options(categories),
            "tags": [(tag, usage.get(tag.id, 0)) for tag in tags],
            "tag_form": tag_form or {"name": ""},
            "tag_errors": tag_errors or {},
            # The tag whose rename was refused: {"id", "name", "error"}.
            "rename": rename or {},
        },
        status_code=status_code,
    )


@router.get(CATEGORIES_PATH, response_class=HTMLResponse)
def categories_page(request: Request, ctx: PageTenant, session: SessionDep) -> HTMLResponse:
    return _categories_page(request, session, ctx)


def _kind_for(
    session: Session, ctx: TenantContext, parent_id: uuid.UUID | None, kind: str
) -> CategoryKind:
    """A subcategory takes its parent's kind; a top-level one the kind chosen."""
    if parent_id is not None:
        parent = get_or_404(
            session, Category, tenant_id=ctx.tenant_id, id=parent_id, field="parent_id"
        )
        return CategoryKind(parent.kind)
    try:
        return CategoryKind(kind)
    except ValueError as exc:
        raise field_error("kind", "choose income or expense") from exc


@router.post(CATEGORIES_PATH, response_class=HTMLResponse)
def create_category(
    request: Request,
    ctx: WritablePageTenant,
    session: SessionDep,
    name: FormText = "",
    kind: FormText = "expense",
    parent_id: FormText = "",
    colour: FormText = "",
    same_as_parent: FormText = "",
) -> Response:
    form = {
        "name": name,
        "kind": kind,
        "parent_id": parent_id,
        "colour": colour,
        "same_as_parent": same_as_parent,
    }

    def write() -> Category:
        parent = optional_id(parent_id, "parent_id")
        inherit = parent is not None and checked(same_as_parent)
        return ledger.create_category(
            session,
            tenant_id=ctx.tenant_id,
            actor_id=ctx.user.id,
            name=name,
            kind=_kind_for(session, ctx, parent, kind),
            parent_id=parent,
            colour=None if inherit else (colour.strip() or None),
        )

    try:
        category = attempt(session, write)
    except (ValidationFailed, NotFound) as exc:
        return _categories_page(
            request, session, ctx, form=form, errors=labelled(exc), status_code=422
        )
    flash(request, "success", f"The category {category.name} is added.")
    return redirect(f"{CATEGORIES_PATH}#category-{category.id}")


def rules_setting(session: Session, tenant_id: uuid.UUID, category_id: uuid.UUID) -> list[Rule]:
    """The rules whose action sets this category."""
    wanted = str(category_id)
    return [
        rule
        for rule in rule_service.list_rules(session, tenant_id=tenant_id)
        if str(rule.actions.get("category_id") or "") == wanted
    ]


def _category_page(
    request: Request,
    session: Session,
    ctx: TenantContext,
    category_id: uuid.UUID,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    merge_errors: dict[str, str] | None = None,
    delete_errors: dict[str, str] | None = None,
    confirm: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    category = ledger.get_category(session, tenant_id=ctx.tenant_id, category_id=category_id)
    categories = ledger.list_categories(session, tenant_id=ctx.tenant_id)
    by_id = {c.id: c for c in categories}
    children = [c for c in categories if c.parent_id == category.id]
    counts = usage_counts(session, ctx.tenant_id)
    targets = _target_options(category, categories, bool(children))
    return render(
        request,
        "ledger/categories/edit.html",
        {
            "active_nav": "categories",
            "can_write": ctx.role.can_write,
            "category": category,
            "parent": by_id.get(category.parent_id) if category.parent_id else None,
            "children": children,
            "count": counts.get(category.id, 0),
            "family_count": counts.get(category.id, 0) + sum(counts.get(c.id, 0) for c in children),
            "rules": rules_setting(session, ctx.tenant_id, category.id),
            "form": form
            or {
                "name": category.name,
                "kind": category.kind,
                "parent_id": str(category.parent_id or ""),
                "colour": category.colour or DEFAULT_COLOUR,
            },
            "errors": errors or {},
            "merge_errors": merge_errors or {},
            "delete_errors": delete_errors or {},
            "kind_options": KIND_OPTIONS,
            "parent_options": parent_options(categories, exclude=category.id),
            "target_options": targets,
            "reassign_options": [("", "Nowhere: leave them uncategorised"), *targets],
            "confirm": confirm,
        },
        status_code=status_code,
    )


@router.get(CATEGORIES_PATH + "/{category_id}", response_class=HTMLResponse)
def category_page(
    request: Request, category_id: uuid.UUID, ctx: PageTenant, session: SessionDep
) -> HTMLResponse:
    return _category_page(request, session, ctx, category_id)


@router.post(CATEGORIES_PATH + "/{category_id}", response_class=HTMLResponse)
def update_category(
    request: Request,
    category_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    name: FormText = "",
    kind: FormText = "",
    parent_id: FormText = "",
    colour: FormText = "",
) -> Response:
    category = ledger.get_category(session, tenant_id=ctx.tenant_id, category_id=category_id)
    has_children = bool(
        [
            c
            for c in ledger.list_categories(session, tenant_id=ctx.tenant_id)
            if c.parent_id == category.id
        ]
    )
    form = {"name": name, "kind": kind, "parent_id": parent_id, "colour": colour}

    def write() -> Category:
        values: CategoryPatch = {"name": name}
        # A category with subcategories stays top-level: its form has no parent choice.
        parent = None if has_children else optional_id(parent_id, "parent_id")
        if not has_children:
            values["parent_id"] = parent
        values["kind"] = _kind_for(session, ctx, parent, kind or category.kind)
        chosen = colour.strip()
        if chosen and not (category.colour is None and chosen.upper() == DEFAULT_COLOUR):
            values["colour"] = chosen
        return ledger.update_category(
            session,
            tenant_id=ctx.tenant_id,
            actor_id=ctx.user.id,
            category_id=category.id,
            values=values,
        )

    try:
        saved = attempt(session, write)
    except (ValidationFailed, NotFound) as exc:
        return _category_page(
            request,
            session,
            ctx,
            category_id,
            form=form,
            errors=labelled(exc),
            status_code=422,
        )
    flash(request, "success", f"The category {saved.name} is saved.")
    return redirect(f"{CATEGORIES_PATH}#category-{saved.id}")


def _family_count(session: Session, ctx: TenantContext, category: Category) -> int:
    counts = usage_counts(session, ctx.tenant_id)
    children = [
        c.id
        for c in ledger.list_categories(session, tenant_id=ctx.tenant_id)
        if c.parent_id == category.id
    ]
    return counts.get(category.id, 0) + sum(counts.get(c, 0) for c in children)


@router.post(CATEGORIES_PATH + "/{category_id}/merge", response_class=HTMLResponse)
def merge_category(
    request: Request,
    category_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    target_id: FormText = "",
    confirm: FormText = "",
) -> Response:
    source = ledger.get_category(session, tenant_id=ctx.tenant_id, category_id=category_id)
    source_name, moved = source.name, _family_count(session, ctx, source)
    try:
        target = attempt(
            session,
            lambda: _merge_or_check(session, ctx, source, target_id, checked(confirm)),
        )
    except CofferError as exc:
        if isinstance(exc, NotFound) and not exc.errors:
            raise
        return _category_page(
            request,
            session,
            ctx,
            category_id,
            merge_errors=labelled(exc),
            status_code=422,
        )
    if not checked(confirm):
        return _category_page(
            request,
            session,
            ctx,
            category_id,
            confirm={"action": "merge", "target": target, "moved": moved},
        )
    flash(
        request,
        "success",
        f"{source_name} is merged into {target.name}: {moved} "
        f"{'transaction' if moved == 1 else 'transactions'} moved.",
    )
    return redirect(f"{CATEGORIES_PATH}#category-{target.id}")


def _merge_or_check(
    session: Session, ctx: TenantContext, source: Category, target_id: str, confirmed: bool
) -> Category:
    """Merge when confirmed; otherwise only find the target (the confirmation page)."""
    target = get_or_404(
        session,
        Category,
        tenant_id=ctx.tenant_id,
        id=required_id(target_id, "target_id"),
        field="target_id",
    )
    if target.id == source.id:
        raise field_error("target_id", "choose a different category")
    if not confirmed:
        return target
    return ledger.merge_categories(
        session,
        tenant_id=ctx.tenant_id,
        actor_id=ctx.user.id,
        source_id=source.id,
        target_id=target.id,
    )


@router.post(CATEGORIES_PATH + "/{category_id}/delete", response_class=HTMLResponse)
def delete_category(
    request: Request,
    category_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    reassign_to: FormText = "",
    confirm: FormText = "",
) -> Response:
    category = ledger.get_category(session, tenant_id=ctx.tenant_id, category_id=category_id)
    name, moved = category.name, _family_count(session, ctx, category)

    def write() -> Category | None:
        target_id = optional_id(reassign_to, "reassign_to")
        target = None
        if target_id is not None:
            target = get_or_404(
                session, Category, tenant_id=ctx.tenant_id, id=target_id, field="reassign_to"
            )
        if checked(confirm):
            ledger.delete_category(
                session,
                tenant_id=ctx.tenant_id,
                actor_id=ctx.user.id,
                category_id=category.id,
                reassign_to=target_id,
            )
        return target

    try:
        target = attempt(session, write)
    except CofferError as exc:
        if isinstance(exc, NotFound) and not exc.errors:
            raise
        return _category_page(
            request,
            session,
            ctx,
            category_id,
            delete_errors=labelled(exc),
            status_code=422,
        )
    if not checked(confirm):
        return _category_page(
            request,
            session,
            ctx,
            category_id,
            confirm={"action": "delete", "target": target, "moved": moved},
        )
    plural = "transaction" if moved == 1 else "transactions"
    where = f"moved to {target.name}" if target else "left uncategorised"
    flash(request, "success", f"{name} is deleted; {moved} {plural} {where}.")
    return redirect(CATEGORIES_PATH)


# --- tags ------------------------------------------------------------------------------


@router.get("/tags")
def tags_page() -> Response:
    return redirect(CATEGORIES_PATH + "#tags")


@router.post("/tags", response_class=HTMLResponse)
def create_tag(
    request: Request, ctx: WritablePageTenant, session: SessionDep, tag_name: FormText = ""
) -> Response:
    try:
        tag = attempt(
            session,
            lambda: ledger.create_tag(
                session, tenant_id=ctx.tenant_id, actor_id=ctx.user.id, name=tag_name
            ),
        )
    except ValidationFailed as exc:
        errors = {f"tag_{k}" if k else "": v for k, v in labelled(exc).items()}
        return _categories_page(
            request, session, ctx, tag_form={"name": tag_name}, tag_errors=errors, status_code=422
        )
    flash(request, "success", f"The tag {tag.name} is added.")
    return redirect(CATEGORIES_PATH + "#tags")


@router.post("/tags/{tag_id}", response_class=HTMLResponse)
def rename_tag(
    request: Request,
    tag_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    name: FormText = "",
) -> Response:
    tag = get_or_404(session, Tag, tenant_id=ctx.tenant_id, id=tag_id)
    old_name = tag.name
    try:
        attempt(
            session,
            lambda: ledger.update_tag(
                session, tenant_id=ctx.tenant_id, actor_id=ctx.user.id, tag_id=tag_id, name=name
            ),
        )
    except ValidationFailed as exc:
        message = next(iter(labelled(exc).values()))
        return _categories_page(
            request,
            session,
            ctx,
            rename={"id": str(tag_id), "name": name, "error": message},
            status_code=422,
        )
    flash(request, "success", f"The tag {old_name} is now called {name.strip()}.")
    return redirect(CATEGORIES_PATH + "#tags")


@router.post("/tags/{tag_id}/delete")
def delete_tag(
    request: Request, tag_id: uuid.UUID, ctx: WritablePageTenant, session: SessionDep
) -> Response:
    tag = get_or_404(session, Tag, tenant_id=ctx.tenant_id, id=tag_id)
    name = tag.name
    ledger.delete_tag(session, tenant_id=ctx.tenant_id, actor_id=ctx.user.id, tag_id=tag_id)
    flash(request, "success", f"The tag {name} is deleted and removed from its transactions.")
    return redirect(CATEGORIES_PATH + "#tags")


# --- merchants and their aliases --------------------------------------------------------


def _aliases_by_merchant(
    session: Session, tenant_id: uuid.UUID
) -> dict[uuid.UUID, list[MerchantAlias]]:
    found: dict[uuid.UUID, list[MerchantAlias]] = defaultdict(list)
    for alias in alias_service.list_aliases(session, tenant_id=tenant_id):
        found[alias.merchant_id].append(alias)
    return found


def _merchants_page(
    request: Request,
    session: Session,
    ctx: TenantContext,
    *,
    search: str = "",
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    limit = 500
    merchants = ledger.list_merchants(
        session, tenant_id=ctx.tenant_id, search=search or None, limit=limit
    )
    aliases = _aliases_by_merchant(session, ctx.tenant_id)
    return render(
        request,
        "ledger/categories/merchants.html",
        {
            "active_nav": "categories",
            "can_write": ctx.role.can_write,
            "search": search,
            "rows": [(m, aliases.get(m.id, [])) for m in merchants],
            "limited": len(merchants) >= limit,
            "match_words": MATCH_WORDS,
            "match_options": MATCH_OPTIONS,
            "form": form or {"pattern": "", "match": "contains", "merchant": ""},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get(MERCHANTS_PATH, response_class=HTMLResponse)
def merchants_page(
    request: Request, ctx: PageTenant, session: SessionDep, q: str = Query("", max_length=200)
) -> HTMLResponse:
    return _merchants_page(request, session, ctx, search=q.strip())


def _new_alias(
    session: Session,
    ctx: TenantContext,
    pattern: str,
    match: str,
    merchant_id: uuid.UUID | None = None,
    merchant: str | None = None,
) -> MerchantAlias:
    return alias_service.create_alias(
        session,
        tenant_id=ctx.tenant_id,
        actor_id=ctx.user.id,
        pattern=pattern,
        match=match,
        merchant_id=merchant_id,
        merchant=merchant,
    )


# Declared before /merchants/{merchant_id} so "aliases" is never read as an id.
@router.post(MERCHANTS_PATH + "/aliases", response_class=HTMLResponse)
def create_alias(
    request: Request,
    ctx: WritablePageTenant,
    session: SessionDep,
    pattern: FormText = "",
    match: FormText = "contains",
    merchant: FormText = "",
) -> Response:
    form = {"pattern": pattern, "match": match, "merchant": merchant}
    try:
        alias = attempt(
            session, lambda: _new_alias(session, ctx, pattern, match, merchant=merchant)
        )
    except ValidationFailed as exc:
        return _merchants_page(
            request, session, ctx, form=form, errors=labelled(exc), status_code=422
        )
    name = alias_service.merchant_names(session, tenant_id=ctx.tenant_id, ids={alias.merchant_id})
    flash(
        request,
        "success",
        f"Payees that {MATCH_WORDS[alias.match]} “{alias.pattern}” will be "
        f"{name.get(alias.merchant_id, 'this merchant')} in future imports.",
    )
    return redirect(f"{MERCHANTS_PATH}#merchant-{alias.merchant_id}")


@router.post(MERCHANTS_PATH + "/aliases/{alias_id}/delete")
def delete_alias(
    request: Request, alias_id: uuid.UUID, ctx: WritablePageTenant, session: SessionDep
) -> Response:
    alias = alias_service.get_alias(session, tenant_id=ctx.tenant_id, alias_id=alias_id)
    merchant_id, pattern = alias.merchant_id, alias.pattern
    alias_service.delete_alias(
        session, tenant_id=ctx.tenant_id, actor_id=ctx.user.id, alias_id=alias_id
    )
    flash(request, "success", f"The alias “{pattern}” is removed.")
    return redirect(f"{MERCHANTS_PATH}/{merchant_id}")


def _merchant_page(
    request: Request,
    session: Session,
    ctx: TenantContext,
    merchant_id: uuid.UUID,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    alias_form: dict[str, str] | None = None,
    alias_errors: dict[str, str] | None = None,
    merge_form: dict[str, str] | None = None,
    merge_errors: dict[str, str] | None = None,
    confirm: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    merchant = get_or_404(session, Merchant, tenant_id=ctx.tenant_id, id=merchant_id)
    others = [
        m.name
        for m in ledger.list_merchants(session, tenant_id=ctx.tenant_id)
        if m.id != merchant.id
    ]
    return render(
        request,
        "ledger/categories/merchant.html",
        {
            "merge_form": merge_form or {"target": ""},
            "merge_errors": merge_errors or {},
            "confirm": confirm,
            "other_names": others,
            "active_nav": "categories",
            "can_write": ctx.role.can_write,
            "merchant": merchant,
            "aliases": _aliases_by_merchant(session, ctx.tenant_id).get(merchant.id, []),
            "match_words": MATCH_WORDS,
            "match_options": MATCH_OPTIONS,
            "form": form or {"name": merchant.name},
            "errors": errors or {},
            "alias_form": alias_form or {"pattern": "", "match": "contains"},
            "alias_errors": alias_errors or {},
        },
        status_code=status_code,
    )


@router.get(MERCHANTS_PATH + "/{merchant_id}", response_class=HTMLResponse)
def merchant_page(
    request: Request, merchant_id: uuid.UUID, ctx: PageTenant, session: SessionDep
) -> HTMLResponse:
    return _merchant_page(request, session, ctx, merchant_id)


@router.post(MERCHANTS_PATH + "/{merchant_id}", response_class=HTMLResponse)
def rename_merchant(
    request: Request,
    merchant_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    name: FormText = "",
) -> Response:
    merchant = get_or_404(session, Merchant, tenant_id=ctx.tenant_id, id=merchant_id)
    old_name = merchant.name
    try:
        saved = attempt(
            session,
            lambda: ledger.rename_merchant(
                session,
                tenant_id=ctx.tenant_id,
                actor_id=ctx.user.id,
                merchant_id=merchant_id,
                name=name,
            ),
        )
    except ValidationFailed as exc:
        return _merchant_page(
            request,
            session,
            ctx,
            merchant_id,
            form={"name": name},
            errors=labelled(exc),
            status_code=422,
        )
    flash(request, "success", f"{old_name} is now called {saved.name}.")
    return redirect(f"{MERCHANTS_PATH}/{merchant_id}")


@router.post(MERCHANTS_PATH + "/{merchant_id}/aliases", response_class=HTMLResponse)
def add_alias(
    request: Request,
    merchant_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    pattern: FormText = "",
    match: FormText = "contains",
) -> Response:
    get_or_404(session, Merchant, tenant_id=ctx.tenant_id, id=merchant_id)
    try:
        alias = attempt(
            session, lambda: _new_alias(session, ctx, pattern, match, merchant_id=merchant_id)
        )
    except ValidationFailed as exc:
        return _merchant_page(
            request,
            session,
            ctx,
            merchant_id,
            alias_form={"pattern": pattern, "match": match},
            alias_errors=labelled(exc),
            status_code=422,
        )
    flash(request, "success", f"The alias “{alias.pattern}” is added.")
    return redirect(f"{MERCHANTS_PATH}/{merchant_id}")


@router.post(MERCHANTS_PATH + "/{merchant_id}/merge", response_class=HTMLResponse)
def merge_merchant(
    request: Request,
    merchant_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    target: FormText = "",
    confirm: FormText = "",
) -> Response:
    """Ask first (how many transactions move, which alias is added), then merge."""
    source = get_or_404(session, Merchant, tenant_id=ctx.tenant_id, id=merchant_id)
    source_name = source.name
    try:
        found = _merchant_named(session, ctx, target)
        if found.id == source.id:
            raise field_error("target", "choose a different merchant")
    except ValidationFailed as exc:
        return _merchant_page(
            request,
            session,
            ctx,
            merchant_id,
            merge_form={"target": target},
            merge_errors=labelled(exc, {"target": "Merge into"}),
            status_code=422,
        )
    if not checked(confirm):
        used = session.scalar(
            select(func.count())
            .select_from(LedgerTransaction)
            .where(
                LedgerTransaction.tenant_id == ctx.tenant_id,
                LedgerTransaction.merchant_id == source.id,
            )
        )
        return _merchant_page(
            request,
            session,
            ctx,
            merchant_id,
            merge_form={"target": found.name},
            confirm={"target": found, "count": int(used or 0)},
        )
    result = attempt(
        session,
        lambda: alias_service.merge_merchants(
            session,
            tenant_id=ctx.tenant_id,
            actor_id=ctx.user.id,
            source_id=source.id,
            target_id=found.id,
        ),
    )
    moved = result.transactions
    flash(
        request,
        "success",
        f"{source_name} is merged into {result.target.name}: {moved} "
        f"{'transaction' if moved == 1 else 'transactions'} moved.",
    )
    return redirect(f"{MERCHANTS_PATH}/{result.target.id}")


def _merchant_named(session: Session, ctx: TenantContext, name: str) -> Merchant:
    key = name.strip().casefold()
    if not key:
        raise field_error("target", "name the merchant to merge into")
    found = session.scalar(
        select(Merchant).where(Merchant.tenant_id == ctx.tenant_id, Merchant.key == key)
    )
    if found is None:
        raise field_error("target", "no merchant of this name; choose one from the list")
    return found


@router.post(MERCHANTS_PATH + "/{merchant_id}/delete")
def delete_merchant(
    request: Request, merchant_id: uuid.UUID, ctx: WritablePageTenant, session: SessionDep
) -> Response:
    merchant = get_or_404(session, Merchant, tenant_id=ctx.tenant_id, id=merchant_id)
    name = merchant.name
    ledger.delete_merchant(
        session, tenant_id=ctx.tenant_id, actor_id=ctx.user.id, merchant_id=merchant_id
    )
    flash(request, "success", f"{name} is deleted; its transactions keep their payee text.")
    return redirect(MERCHANTS_PATH)
