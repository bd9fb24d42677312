"""Merchants for imported rows, resolved in bulk: one query learns the household's
merchants; a new name gets an id at once and its row is written, ahead of the
transactions naming it, by the batch writer.

A row's merchant is, in order: a rule's merchant action, a merchant alias, or the name
the ledger derives from the payee (coffer.ledger.labels.normalise_merchant), exactly as
a transaction entered by hand gets one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from coffer.db.base import new_id
from coffer.ledger.labels import MERCHANT_MAX, normalise_merchant
from coffer.ledger.models import Merchant

CACHE_LIMIT = 50_000

NewMerchant = tuple[uuid.UUID, str, str]  # id, name, key


class MerchantResolver:
    def __init__(self, session: Session, tenant_id: uuid.UUID) -> None:
        self.ids: dict[str, uuid.UUID] = {}
        self.names: dict[uuid.UUID, str] = {}
        for merchant_id, key, name in session.execute(
            select(Merchant.id, Merchant.key, Merchant.name).where(Merchant.tenant_id == tenant_id)
        ):
            self.ids[key] = merchant_id
            self.names[merchant_id] = name
        self._derived: dict[str, tuple[str, str] | None] = {}
        self._named: dict[str, tuple[str, str]] = {}

    def named(self, name: str) -> tuple[str, str]:
        """(name, key) of a merchant named by a rule."""
        found = self._named.get(name)
        if found is None:
            cleaned = name.strip()[:MERCHANT_MAX]
            found = self._named[name] = (cleaned, cleaned.casefold())
        return found

    def derived(self, payee: str) -> tuple[str, str] | None:
        """(name, key) of the merchant the ledger would give this payee (cached)."""
        if payee in self._derived:
            return self._derived[payee]
        name = normalise_merchant(payee)
        found = (name, name.casefold()) if name else None
        if len(self._derived) >= CACHE_LIMIT:
            self._derived.clear()
        self._derived[payee] = found
        return found

    def plan(self, names: Iterable[tuple[str | None, str | None]]) -> list[NewMerchant]:
        """New merchants among `names` ((name, key) pairs), each given an id now."""
        created: list[NewMerchant] = []
        ids = self.ids
        for name, key in names:
            if name and key is not None and key not in ids:
                merchant_id = ids[key] = new_id()
                self.names[merchant_id] = name
                created.append((merchant_id, name, key))
        return created
