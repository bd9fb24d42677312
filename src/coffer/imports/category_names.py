"""Category names in a file ("Groceries", "Food:Groceries", "Food / Groceries") to the
household's categories.

A child matches by its own name when no other category has that name, or always by
"Parent:Child" (also "/" or ">" between them). Names compare without case or accents'
spacing differences. Names that match nothing are reported, never created: a migration
from another app should not silently multiply categories.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from coffer.ledger.models import Category

_SEPARATOR = re.compile(r"\s*[:/>]\s*")


def _key(name: str) -> str:
    return " ".join(name.casefold().split())


class CategoryNames:
    def __init__(self, session: Session, tenant_id: uuid.UUID) -> None:
        rows = session.execute(
            select(Category.id, Category.name, Category.parent_id).where(
                Category.tenant_id == tenant_id
            )
        ).all()
        names = {category_id: name for category_id, name, _ in rows}
        self.ids = set(names)
        self.names = names
        counts = Counter(_key(name) for name in names.values())
        self._by_name: dict[str, uuid.UUID] = {}
        for category_id, name, parent_id in rows:
            key = _key(name)
            # A child answers to its own name when it is unique; a top-level name wins
            # over a child of the same name.
            if parent_id is None or (counts[key] == 1 and key not in self._by_name):
                self._by_name[key] = category_id
            if parent_id is not None and parent_id in names:
                self._by_name[f"{_key(names[parent_id])}:{key}"] = category_id
        self._cache: dict[str, uuid.UUID | None] = {}
        self.unmatched: Counter[str] = Counter()

    def resolve(self, text: str | None) -> uuid.UUID | None:
        if not text:
            return None
        if text in self._cache:
            found = self._cache[text]
        else:
            cleaned = text.strip()
            if cleaned.startswith("[") and cleaned.endswith("]"):
                found = None  # QIF: a transfer to another account, not a category
            else:
                parts = [p for p in _SEPARATOR.split(_key(cleaned)) if p]
                found = self._by_name.get(":".join(parts[-2:])) if len(parts) > 1 else None
                if found is None and parts:
                    found = (
                        self._by_name.get(parts[-1])
                        if len(parts) > 1
                        else self._by_name.get(parts[0])
                    )
            if len(self._cache) < 10_000:
                self._cache[text] = found
        name = text.strip()
        if (
            found is None
            and not name.startswith("[")
            and (name in self.unmatched or len(self.unmatched) < 200)
        ):
            self.unmatched[name] += 1
        return found
