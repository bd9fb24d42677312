"""The ledger as a Beancount file (read by Beancount 2 and 3; `bean-check` accepts it).

    option "title" "Alice's household"
    option "operating_currency" "USD"

    2024-01-01 open Assets:Checking USD
    ...

    2024-03-02 * "Café \\"Zürich\\"" "weekly shop" #groceries
      coffer-id: "0191..."
      Assets:Checking                        -12.50 USD
      Expenses:Food:Groceries                 12.50 USD

- Every account is opened on the first day the export posts to it (categories and
  equity on the export's first day), each Coffer account restricted to its currency.
  A closed account is closed on its closing day when nothing is posted to it later.
- Strings escape "\\" and '"' and have line breaks replaced, so a payee or memo cannot
  end a string early. An entry without a payee has its memo as the narration only.
- Tags are Beancount tags (#name); the Coffer id and the notes are entry metadata; a
  split line's memo is that posting's metadata.
- Flags: cleared and reconciled are "*", pending is "!".
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date

from sqlalchemy.orm import Session

from coffer.reports.exports.entries import (
    Book,
    Entry,
    Posting,
    Selection,
    as_text,
    load_book,
    read_entries,
)

MEDIA_TYPE = "text/plain; charset=utf-8"
_BREAKS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")
_WIDTH = 48


def string(value: str | None) -> str:
    """A Beancount string literal: quoted, escaped, on one line."""
    text = _BREAKS.sub(" ", value or "").strip()
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def posting_lines(posting: Posting) -> list[str]:
    amount = f"{as_text(posting.amount)} {posting.currency}"
    price = posting.price
    if price is not None:
        amount += f" @@ {as_text(price)} {posting.price_currency}"
    lines = [f"  {posting.account.ljust(_WIDTH)}  {amount.rjust(16)}"]
    if posting.memo and posting.memo.strip():
        lines.append(f"    memo: {string(posting.memo)}")
    return lines


def entry_text(entry: Entry) -> str:
    words = [entry.on.isoformat(), "*" if entry.cleared else "!"]
    if entry.payee and entry.payee.strip():
        words.append(string(entry.payee))
    words.append(string(entry.narration))
    words += [f"#{tag}" for tag in entry.tags]
    lines = [" ".join(words)]
    if entry.ref:
        lines.append(f"  coffer-id: {string(entry.ref)}")
    if entry.notes and entry.notes.strip():
        lines.append(f"  notes: {string(entry.notes)}")
    for posting in entry.postings:
        lines += posting_lines(posting)
    return "\n".join(lines) + "\n\n"


def header_text(book: Book, *, title: str, base_currency: str, exported_on: date) -> str:
    first = book.first_day
    lines = [
        f"; Exported from Coffer on {exported_on.isoformat()}",
        *_range_comment(book.selection),
        f"option {string('title')} {string(title)}",
        f"option {string('operating_currency')} {string(base_currency)}",
        "",
    ]
    own = set(book.chart.accounts.values())
    for account in book.accounts:
        span = book.spans[account.id]
        name = book.chart.accounts[account.id]
        lines.append(f"{span.first.isoformat()} open {name} {account.currency}")
    lines += [
        f"{first.isoformat()} open {name}" for name in book.chart.all_accounts() if name not in own
    ]
    closing = []
    for account in book.accounts:
        span = book.spans[account.id]
        closed_on = account.closed_on
        if closed_on is None or closed_on < span.last:
            continue
        if book.selection.date_to is not None and closed_on > book.selection.date_to:
            continue
        closing.append(f"{closed_on.isoformat()} close {book.chart.accounts[account.id]}")
    return "\n".join([*lines, *closing, ""]) + "\n"


def _range_comment(selection: Selection) -> list[str]:
    lines = []
    if selection.date_from or selection.date_to:
        start = selection.date_from.isoformat() if selection.date_from else "the beginning"
        end = selection.date_to.isoformat() if selection.date_to else "the end"
        lines.append(f"; From {start} to {end}; earlier history as balances carried forward")
    if selection.account_ids:
        lines.append("; Only entries touching the selected accounts")
    return lines


def beancount_chunks(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    selection: Selection,
    title: str,
    base_currency: str,
    exported_on: date | None = None,
) -> Iterator[str]:
    """The file's text: options and account openings, then one entry at a time by date."""
    book = load_book(session, tenant_id=tenant_id, selection=selection)
    yield header_text(
        book, title=title, base_currency=base_currency, exported_on=exported_on or date.today()
    )
    for entry in read_entries(session, tenant_id=tenant_id, book=book):
        yield entry_text(entry)
