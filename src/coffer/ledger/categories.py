"""Categories: income and expense, two levels (a top-level category and its children).

Merging moves every transaction, split line, child, aggregate and rule of one category
into another; deleting either reassigns the same way or leaves the transactions
uncategorised. A new household starts with `DEFAULT_CATEGORIES`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from typing import Any, TypedDict

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from coffer.audit.service import changes, record
from coffer.db.base import new_id
from coffer.errors import RuleViolation, field_error
from coffer.imports.models import Rule
from coffer.ledger import aggregates
from coffer.ledger.common import get_or_404, required_name, rowcount, scoped
from coffer.ledger.models import (
    AccountMonth,
    Category,
    CategoryKind,
    LedgerTransaction,
    TransactionSplit,
)

NAME_MAX = 100
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")

# (name, colour, children) per kind; children share their parent's colour.
DEFAULT_CATEGORIES: dict[CategoryKind, list[tuple[str, str, list[str]]]] = {
    CategoryKind.income: [
        ("Salary", "#2E7D32", []),
        ("Bonus", "#388E3C", []),
        ("Interest & dividends", "#43A047", []),
        ("Refunds", "#66BB6A", []),
        ("Gifts received", "#81C784", []),
        ("Other income", "#A5D6A7", []),
    ],
    CategoryKind.expense: [
        (
            "Home",
            "#8D6E63",
            ["Rent", "Mortgage payments", "Maintenance & repairs", "Furniture", "Home insurance"],
        ),
        (
            "Bills",
            "#5C6BC0",
            ["Electricity", "Gas & heating", "Water", "Phone", "Internet", "Subscriptions"],
        ),
        ("Food", "#F9A825", ["Groceries", "Restaurants", "Takeaway", "Coffee & snacks"]),
        (
            "Transport",
            "#0288D1",
            [
                "Fuel",
                "Public transport",
                "Parking & tolls",
                "Car maintenance",
                "Car insurance",
                "Taxi & ride share",
            ],
        ),
        ("Health", "#D81B60", ["Doctor & dentist", "Pharmacy", "Health insurance", "Fitness"]),
        ("Leisure", "#8E24AA", ["Entertainment", "Hobbies", "Travel & holidays", "Books & music"]),
        ("Shopping", "#F4511E", ["Clothing", "Electronics", "Household supplies", "Gifts"]),
        (
            "Kids",
            "#00897B",
            ["Childcare", "School & education", "Activities", "Clothes & toys", "Pocket money"],
        ),
        ("Savings", "#546E7A", ["Emergency fund", "Retirement", "Investments", "Goals"]),
        ("Fees & taxes", "#757575", ["Bank fees", "Interest paid", "Taxes"]),
        ("Other expenses", "#9E9E9E", []),
    ],
}


class CategoryPatch(TypedDict, total=False):
    name: str
    kind: CategoryKind
    parent_id: uuid.UUID | None
    colour: str | None


def snapshot(category: Category) -> dict[str, Any]:
    return {
        "name": category.name,
        "kind": category.kind,
        "parent_id": category.parent_id,
        "colour": category.colour,
    }


def ensure_default_categories(
    session: Session, *, tenant_id: uuid.UUID, actor_id: uuid.UUID | None = None
) -> list[Category]:
    """Give a household the default set, unless it has categories already (idempotent).

    Returns the categories created (none on a second call).
    """
    if session.scalar(select(scoped(Category, tenant_id).exists())):
        return []
    created: list[Category] = []
    for kind, parents in DEFAULT_CATEGORIES.items():
        for name, colour, children in parents:
            parent = Category(
                id=new_id(), tenant_id=tenant_id, name=name, kind=kind.value, colour=colour
            )
            created.append(parent)
            for child in children:
                created.append(
                    Category(
                        tenant_id=tenant_id,
                        name=child,
                        kind=kind.value,
                        colour=colour,
                        parent_id=parent.id,
                    )
                )
    session.add_all(created)
    session.flush()
    record(
        session,
        action="category.defaults_created",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="category",
        new={"count": len(created)},
    )
    return created


def get_category(session: Session, *, tenant_id: uuid.UUID, category_id: uuid.UUID) -> Category:
    return get_or_404(session, Category, tenant_id=tenant_id, id=category_id)


def list_categories(session: Session, *, tenant_id: uuid.UUID) -> list[Category]:
    """Every category; parents before their children, by kind and name."""
    rows = list(session.scalars(scoped(Category, tenant_id)))
    by_id = {c.id: c for c in rows}

    def order(c: Category) -> tuple[str, str, int, str]:
        parent = by_id.get(c.parent_id) if c.parent_id else None
        top = parent or c
        return (c.kind, top.name.casefold(), 0 if parent is None else 1, c.name.casefold())

    return sorted(rows, key=order)


def with_children(
    session: Session, *, tenant_id: uuid.UUID, category_ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    """The ids given plus the ids of their children (a parent means its whole family)."""
    ids = set(category_ids)
    if ids:
        query = select(Category.id).where(
            Category.tenant_id == tenant_id, Category.parent_id.in_(ids)
        )
        ids.update(session.scalars(query))
    return ids


def _check_colour(colour: str | None) -> str | None:
    if colour is None:
        return None
    if not _COLOUR.match(colour.strip()):
        raise field_error("colour", "use a colour like #1E88E5")
    return colour.strip().upper()


def _sibling_exists(
    session: Session,
    tenant_id: uuid.UUID,
    name: str,
    parent_id: uuid.UUID | None,
    exclude: uuid.UUID | None = None,
) -> Category | None:
    query = scoped(Category, tenant_id).where(func.lower(Category.name) == name.lower())
    query = query.where(
        Category.parent_id.is_(None) if parent_id is None else Category.parent_id == parent_id
    )
    if exclude is not None:
        query = query.where(Category.id != exclude)
    return session.scalar(query)


def _check_parent(
    session: Session, tenant_id: uuid.UUID, parent_id: uuid.UUID, kind: str
) -> Category:
    parent = get_or_404(session, Category, tenant_id=tenant_id, id=parent_id, field="parent_id")
    if parent.parent_id is not None:
        raise field_error("parent_id", "categories have two levels: choose a top-level parent")
    if parent.kind != kind:
        raise field_error("parent_id", f"is an {parent.kind} category, not {kind}")
    return parent


def create_category(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    name: str,
    kind: CategoryKind,
    parent_id: uuid.UUID | None = None,
    colour: str | None = None,
) -> Category:
    kind = CategoryKind(kind)
    cleaned = required_name(name, max_length=NAME_MAX)
    parent = _check_parent(session, tenant_id, parent_id, kind.value) if parent_id else None
    if _sibling_exists(session, tenant_id, cleaned, parent_id):
        raise field_error("name", "a category with this name already exists here")
    category = Category(
        tenant_id=tenant_id,
        name=cleaned,
        kind=kind.value,
        parent_id=parent_id,
        colour=_check_colour(colour) or (parent.colour if parent else None),
    )
    session.add(category)
    session.flush()
    record(
        session,
        action="category.created",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="category",
        entity_id=category.id,
        new=snapshot(category),
    )
    return category


def _children(session: Session, tenant_id: uuid.UUID, category_id: uuid.UUID) -> list[Category]:
    return list(
        session.scalars(scoped(Category, tenant_id).where(Category.parent_id == category_id))
    )


def update_category(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    category_id: uuid.UUID,
    values: CategoryPatch,
) -> Category:
    category = get_category(session, tenant_id=tenant_id, category_id=category_id)
    before = snapshot(category)
    children = _children(session, tenant_id, category.id)
    kind = CategoryKind(values.get("kind", category.kind)).value
    parent_id = values.get("parent_id", category.parent_id)
    if parent_id is not None:
        if parent_id == category.id:
            raise field_error("parent_id", "a category cannot be its own parent")
        if children:
            raise field_error("parent_id", "a category with subcategories stays top-level")
        _check_parent(session, tenant_id, parent_id, kind)
    name = required_name(values.get("name", category.name), max_length=NAME_MAX)
    if _sibling_exists(session, tenant_id, name, parent_id, exclude=category.id):
        raise field_error("name", "a category with this name already exists here")
    category.name, category.kind, category.parent_id = name, kind, parent_id
    if "colour" in values:
        category.colour = _check_colour(values["colour"])
    for child in children:  # a family shares one kind
        child.kind = kind
    session.flush()
    old, new = changes(before, snapshot(category))
    if new:
        record(
            session,
            action="category.updated",
            actor_id=actor_id,
            tenant_id=tenant_id,
            entity_type="category",
            entity_id=category.id,
            old=old,
            new=new,
        )
    return category


def _move_rows(
    session: Session, tenant_id: uuid.UUID, source_id: uuid.UUID, target_id: uuid.UUID | None
) -> dict[str, int]:
    """Point every transaction, split line and aggregate of `source` at `target`."""
    txn, line, am = LedgerTransaction, TransactionSplit, AccountMonth
    moved_txns = rowcount(
        session.execute(
            update(txn)
            .where(txn.tenant_id == tenant_id, txn.category_id == source_id)
            .values(category_id=target_id)
            .execution_options(synchronize_session="fetch")
        )
    )
    moved_lines = rowcount(
        session.execute(
            update(line)
            .where(line.tenant_id == tenant_id, line.category_id == source_id)
            .values(category_id=target_id)
            .execution_options(synchronize_session="fetch")
        )
    )
    deltas = aggregates.Deltas()
    rows = session.execute(
        select(am.account_id, am.month, am.total_minor, am.count).where(
            am.tenant_id == tenant_id, am.category_id == source_id
        )
    ).all()
    for account_id, month, total, count in rows:
        deltas.add((account_id, month, target_id), int(total), int(count))
    session.execute(delete(am).where(am.tenant_id == tenant_id, am.category_id == source_id))
    aggregates.apply(session, tenant_id=tenant_id, deltas=deltas)
    return {"transactions": moved_txns, "split_lines": moved_lines}


def _repoint_rules(
    session: Session,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    source_id: uuid.UUID,
    target_id: uuid.UUID,
) -> int:
    """Rules that set `source` set `target` from now on; each change audited."""
    moved = 0
    for rule in session.scalars(select(Rule).where(Rule.tenant_id == tenant_id)):
        if (rule.actions or {}).get("category_id") != str(source_id):
            continue
        rule.actions = {**rule.actions, "category_id": str(target_id)}
        record(
            session,
            action="rule.updated",
            actor_id=actor_id,
            tenant_id=tenant_id,
            entity_type="rule",
            entity_id=rule.id,
            old={"actions.category_id": str(source_id)},
            new={"actions.category_id": str(target_id), "reason": "category merged"},
        )
        moved += 1
    return moved


def _merge(
    session: Session,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    source: Category,
    target: Category,
) -> dict[str, int]:
    counts = {"transactions": 0, "split_lines": 0, "subcategories": 0, "rules": 0}
    children = _children(session, tenant_id, source.id)
    if children and target.parent_id is not None:
        raise RuleViolation(
            f"{source.name} has subcategories, so it can only be merged into a top-level category."
        )
    for child in children:
        twin = _sibling_exists(session, tenant_id, child.name, target.id)
        if twin is not None:
            for key, value in _merge(session, tenant_id, actor_id, child, twin).items():
                counts[key] += value
        else:
            child.parent_id = target.id
            child.kind = target.kind
            counts["subcategories"] += 1
    session.flush()
    for key, value in _move_rows(session, tenant_id, source.id, target.id).items():
        counts[key] += value
    counts["rules"] += _repoint_rules(session, tenant_id, actor_id, source.id, target.id)
    session.delete(source)
    session.flush()
    return counts


def _check_merge(source: Category, target: Category, field: str) -> None:
    if source.id == target.id:
        raise field_error(field, "choose a different category")
    if source.kind != target.kind:
        raise field_error(field, f"must be an {source.kind} category like the one it replaces")
    if target.parent_id == source.id:
        raise field_error(field, "cannot be one of the category's own subcategories")


def merge_categories(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    source_id: uuid.UUID,
    target_id: uuid.UUID,
) -> Category:
    """Fold `source` into `target` (transactions, split lines, children), delete `source`."""
    source = get_category(session, tenant_id=tenant_id, category_id=source_id)
    target = get_or_404(session, Category, tenant_id=tenant_id, id=target_id, field="target_id")
    _check_merge(source, target, "target_id")
    old = snapshot(source)
    counts = _merge(session, tenant_id, actor_id, source, target)
    record(
        session,
        action="category.merged",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="category",
        entity_id=source_id,
        old=old,
        new={"merged_into": target.id, **counts},
    )
    return target


def delete_category(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    category_id: uuid.UUID,
    reassign_to: uuid.UUID | None = None,
) -> None:
    """Delete; its transactions move to `reassign_to`, or become uncategorised."""
    category = get_category(session, tenant_id=tenant_id, category_id=category_id)
    old = snapshot(category)
    if reassign_to is not None:
        target = get_or_404(
            session, Category, tenant_id=tenant_id, id=reassign_to, field="reassign_to"
        )
        _check_merge(category, target, "reassign_to")
        counts = _merge(session, tenant_id, actor_id, category, target)
        new: dict[str, Any] = {"reassigned_to": target.id, **counts}
    else:
        if _children(session, tenant_id, category.id):
            raise RuleViolation(
                f"{category.name} has subcategories: delete or move them first, or choose a "
                "category to reassign everything to."
            )
        counts = _move_rows(session, tenant_id, category.id, None)
        session.delete(category)
        session.flush()
        new = {"reassigned_to": None, **counts}
    record(
        session,
        action="category.deleted",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="category",
        entity_id=category_id,
        old=old,
        new=new,
    )
