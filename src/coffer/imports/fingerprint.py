"""Fingerprints: how a re-imported row is recognised, exactly and at database speed.

A row with a bank transaction id (OFX FITID, CAMT entry reference, a CSV id column) is
fingerprinted by that id: "x" + hash(account, id). Any other row by its content:
hash(account, date, amount, normalised payee) plus the ordinal of identical rows before
it in the same file, so two identical coffees on one day are two transactions, and the
same file imported again yields the same fingerprints and adds nothing.

Content fingerprints start with the date (YYYYMMDD): the ledger's unique index on
(tenant_id, account_id, fingerprint) then grows at its end for a file in date order,
instead of at random places, which is most of SQLite's insert speed on large imports.
"""

from __future__ import annotations

import uuid
from datetime import date
from hashlib import blake2b

EXTERNAL_PREFIX = "x"
DIGEST_BYTES = 12
PAYEE_CACHE = 50_000


def normalise_text(payee: str) -> str:
    """Case and spacing do not make a different transaction."""
    return " ".join(payee.casefold().split())


def is_external(fingerprint: str) -> bool:
    return fingerprint.startswith(EXTERNAL_PREFIX)


class Fingerprinter:
    """The fingerprints of one file's rows for one account, in file order.

    Keeps one counter per distinct row content seen (about 75 bytes each, 75 MB for a
    million distinct rows) so the ordinals of identical rows are right wherever in the
    file they are; and small caches of per-day and per-payee text.
    """

    __slots__ = ("_account", "_counts", "_days", "_external_seen", "_payees")

    def __init__(self, account_id: uuid.UUID) -> None:
        self._account = account_id.hex
        self._counts: dict[int, int] = {}
        self._days: dict[date, tuple[str, str]] = {}
        self._payees: dict[str, str] = {}
        self._external_seen: dict[str, int] = {}

    def content(self, posted_on: date, amount_minor: int, payee: str) -> str:
        day = self._days.get(posted_on)
        if day is None:
            day = self._days[posted_on] = (
                f"{self._account}|{posted_on.isoformat()}|",
                posted_on.strftime("%Y%m%d"),
            )
        text = self._payees.get(payee)
        if text is None:
            if len(self._payees) >= PAYEE_CACHE:
                self._payees.clear()
            text = self._payees[payee] = normalise_text(payee)
        digest = blake2b(f"{day[0]}{amount_minor}|{text}".encode(), digest_size=DIGEST_BYTES)
        hexdigest = digest.hexdigest()
        # Counted by 64 bits of the digest: an int key costs half a string's memory.
        counter = int(hexdigest[:16], 16)
        counts = self._counts
        seen = counts.get(counter, 0)
        counts[counter] = seen + 1
        fingerprint = day[1] + hexdigest
        return fingerprint if not seen else f"{fingerprint}#{seen}"

    def external(self, external_id: str) -> str:
        """By the bank's id; a repeated id within one file gets an ordinal too (some banks
        reuse ids for a day's identical card payments)."""
        digest = blake2b(f"{self._account}|{external_id}".encode(), digest_size=DIGEST_BYTES)
        fingerprint = EXTERNAL_PREFIX + digest.hexdigest()
        seen = self._external_seen.get(fingerprint, 0)
        self._external_seen[fingerprint] = seen + 1
        return fingerprint if not seen else f"{fingerprint}#{seen}"
