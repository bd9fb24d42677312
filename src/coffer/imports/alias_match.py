"""Merchant aliases, compiled: payee text to the merchant it means.

Precedence: an exact alias, then the longest contained pattern, then regular
expressions oldest first. Text is compared as rules compare it (case and runs of spaces
ignored). Results are kept per distinct payee.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from coffer.imports.fingerprint import normalise_text

CACHE_LIMIT = 50_000


@dataclass(frozen=True, slots=True)
class AliasSpec:
    pattern: str
    match: str  # exact, contains, regex
    merchant_id: uuid.UUID


class AliasMatcher:
    def __init__(self, aliases: Iterable[AliasSpec]) -> None:
        self._exact: dict[str, uuid.UUID] = {}
        contains: list[tuple[str, uuid.UUID]] = []
        self._regex: list[tuple[re.Pattern[str], uuid.UUID]] = []
        for alias in aliases:
            if alias.match == "exact":
                self._exact.setdefault(normalise_text(alias.pattern), alias.merchant_id)
            elif alias.match == "contains":
                contains.append((normalise_text(alias.pattern), alias.merchant_id))
            else:
                self._regex.append((re.compile(alias.pattern, re.IGNORECASE), alias.merchant_id))
        self._contains = sorted(contains, key=lambda item: (-len(item[0]), item[0]))
        self._cache: dict[str, uuid.UUID | None] = {}
        self.empty = not (self._exact or self._contains or self._regex)

    def merchant_for(self, payee: str) -> uuid.UUID | None:
        if self.empty:
            return None
        if payee in self._cache:
            return self._cache[payee]
        text = normalise_text(payee)
        found = self._exact.get(text)
        if found is None:
            found = next((m for needle, m in self._contains if needle in text), None)
        if found is None:
            found = next((m for pattern, m in self._regex if pattern.search(text)), None)
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.clear()
        self._cache[payee] = found
        return found
