"""Transactions as CSV: one row per transaction, streamed page by page.

Columns (the "Coffer CSV" import preset reads them back):

    id, date, account, amount, currency, payee, merchant, category, tags, memo, status,
    splits

- `id` is the transaction's own id: stable across exports, so importing the same export
  twice adds nothing the second time (the importer takes it as the bank's id).
- `date` is ISO 8601 (2024-03-31); `amount` a signed decimal with the currency's minor
  unit ("-12.50"), never a float; `currency` the account's ISO 4217 code.
- `category` is "Parent:Child" for a child category, the name alone for a top-level
  one, empty when uncategorised and for split transactions (their parts' categories are
  in `splits`).
- `tags` are the tag names joined by "; ".
- `splits` is empty unless the transaction is split; then it holds one part per line
  of the cell, each a JSON object with the part's category ("Parent:Child" or null),
  amount (a decimal in quotes, like `amount`) and memo (or null):

      {"category": "Food:Groceries", "amount": "-12.50", "memo": "weekly shop"}
      {"category": "Household", "amount": "-3.00", "memo": null}

  The parts add up exactly to `amount`. It is the last column, so a reader that takes
  columns by position, or sums `amount`, sees what it saw before it was added (a split
  transaction is still one row with its whole amount), and the cell stays legible in a
  spreadsheet, where JSON marks exactly where a name or memo ends. Its text inside the
  JSON is written as it is: the cell starts with "{", which no spreadsheet runs.
- Text that a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a
  carriage return) is written with a leading apostrophe, the usual guard; the import
  preset takes it off again.

Reads go through coffer.ledger.service (search with the API's filters); the rows are
built here and nowhere else.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy.orm import Session

from coffer.ledger import service
from coffer.ledger.common import decimal_text
from coffer.ledger.models import TransactionSplit

COLUMNS = (
    "id",
    "date",
    "account",
    "amount",
    "currency",
    "payee",
    "merchant",
    "category",
    "tags",
    "memo",
    "status",
    "splits",
)
PAGE_ROWS = 500
TAG_SEPARATOR = "; "
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str | None) -> str:
    """The text as a cell; a leading formula character is neutralised."""
    if not value:
        return ""
    return "'" + value if value.startswith(_FORMULA_START) else value


@dataclass(frozen=True)
class Names:
    """What ids mean, read once per export."""

    accounts: dict[uuid.UUID, str]
    categories: dict[uuid.UUID, str]  # already "Parent:Child"
    tags: dict[uuid.UUID, str]

    @classmethod
    def load(cls, session: Session, *, tenant_id: uuid.UUID) -> Names:
        accounts = {a.id: a.name for a in service.list_accounts(session, tenant_id=tenant_id)}
        categories = service.list_categories(session, tenant_id=tenant_id)
        plain = {c.id: c.name for c in categories}
        paths = {
            c.id: f"{plain[c.parent_id]}:{c.name}" if c.parent_id in plain else c.name
            for c in categories
        }
        tags = {t.id: t.name for t in service.list_tags(session, tenant_id=tenant_id)}
        return cls(accounts=accounts, categories=paths, tags=tags)


def row_of(view: service.TransactionView, names: Names) -> list[str]:
    txn = view.txn
    category = (
        "" if txn.is_split or txn.category_id is None else names.categories.get(txn.category_id, "")
    )
    tags = TAG_SEPARATOR.join(sorted(names.tags[t] for t in view.tag_ids if t in names.tags))
    return [
        str(txn.id),
        txn.posted_on.isoformat(),
        safe_text(names.accounts.get(txn.account_id, "")),
        decimal_text(txn.amount_minor, view.currency),
        view.currency,
        safe_text(txn.payee),
        safe_text(view.merchant_name),
        safe_text(category),
        safe_text(tags),
        safe_text(txn.memo),
        txn.status,
        safe_text(splits_text(view.splits, view.currency, names)) if txn.is_split else "",
    ]


def splits_text(lines: Iterable[TransactionSplit], currency: str, names: Names) -> str:
    """The parts of a split transaction, one JSON object per line, in their order."""
    return "\n".join(
        json.dumps(
            {
                "category": names.categories.get(line.category_id) if line.category_id else None,
                "amount": decimal_text(line.amount_minor, currency),
                "memo": line.memo or None,
            },
            ensure_ascii=False,
        )
        for line in lines
    )


def _csv(rows: Iterable[list[str]] | Iterable[tuple[str, ...]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue()


def export_lines(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    filters: service.TransactionFilter,
    page_rows: int = PAGE_ROWS,
) -> Iterator[str]:
    """The CSV text, header first, a page of the search at a time (newest first)."""
    names = Names.load(session, tenant_id=tenant_id)
    yield _csv([COLUMNS])
    cursor: str | None = None
    while True:
        page = service.search_transactions(
            session, tenant_id=tenant_id, filters=filters, limit=page_rows, cursor=cursor
        )
        if page.items:
            yield _csv(row_of(view, names) for view in page.items)
        cursor = page.next_cursor
        if cursor is None:
            return
