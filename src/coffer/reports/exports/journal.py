"""The ledger as an hledger journal (read by hledger 1.25 and later; also plain Ledger).

    commodity 1000.00 USD
    account Assets:Checking
    ...

    2024-03-02 * Café "Zürich" | weekly shop
        ; coffer-id: 0191..., groceries:, holiday:
        Assets:Checking                        -12.50 USD
        Expenses:Food:Groceries                 12.50 USD

- Every commodity and account is declared first, so `hledger check -s` (strict) holds
  as well as `hledger check`; the commodity directives fix each currency's decimals
  (JPY none, BHD three).
- The description is "payee | memo" (hledger reads the part before "|" as the payee and
  the rest as the note). A ";" would start a comment there and a leading "(" a
  transaction code, so ";" and "|" inside the texts become their full-width look-alikes
  and a leading "(" is preceded by an empty code "()". Line breaks become spaces.
- Tags are hledger tags in the entry's comment ("name:"), with the entry's Coffer id as
  the tag `coffer-id`; a split line's memo is that posting's comment.
- Status: cleared and reconciled are "*", pending is "!".
- Notes (free text that may hold "word:", which hledger would read as a tag) are left
  out; the Beancount export carries them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date

from sqlalchemy.orm import Session

from coffer.core.money import currency
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
_TEXT = str.maketrans({";": "；", "|": "｜"})
_WIDTH = 48


def clean_text(value: str | None) -> str:
    """Text that stays where it is put on a journal line."""
    if not value:
        return ""
    return _BREAKS.sub(" ", value).translate(_TEXT).strip()


def description(payee: str | None, narration: str | None) -> str:
    parts = [part for part in (clean_text(payee), clean_text(narration)) if part]
    text = " | ".join(parts)
    return "() " + text if text.startswith("(") else text


def commodity_directive(code: str) -> str:
    places = currency(code).minor_units
    return f"commodity 1000.{'0' * places} {code}"


def posting_line(posting: Posting) -> str:
    amount = f"{as_text(posting.amount)} {posting.currency}"
    price = posting.price
    if price is not None:
        amount += f" @@ {as_text(price)} {posting.price_currency}"
    line = f"    {posting.account.ljust(_WIDTH)}  {amount.rjust(16)}"
    memo = clean_text(posting.memo)
    return f"{line}  ; {memo}" if memo else line


def entry_text(entry: Entry) -> str:
    head = f"{entry.on.isoformat()} {'*' if entry.cleared else '!'}"
    text = description(entry.payee, entry.narration)
    lines = [f"{head} {text}" if text else head]
    tags = ([f"coffer-id: {entry.ref}"] if entry.ref else []) + [f"{t}:" for t in entry.tags]
    if tags:
        lines.append("    ; " + ", ".join(tags))
    lines += [posting_line(p) for p in entry.postings]
    return "\n".join(lines) + "\n\n"


def header_text(book: Book, *, title: str, exported_on: date) -> str:
    lines = [
        f"; {clean_text(title)}: exported from Coffer on {exported_on.isoformat()}",
        *_range_comment(book.selection),
        "",
        *(commodity_directive(code) for code in book.currencies),
        "",
        *(f"account {name}" for name in book.chart.all_accounts()),
        "",
    ]
    return "\n".join(lines) + "\n"


def _range_comment(selection: Selection) -> list[str]:
    lines = []
    if selection.date_from or selection.date_to:
        start = selection.date_from.isoformat() if selection.date_from else "the beginning"
        end = selection.date_to.isoformat() if selection.date_to else "the end"
        lines.append(f"; from {start} to {end}; earlier history as balances carried forward")
    if selection.account_ids:
        lines.append("; only entries touching the selected accounts")
    return lines


def journal_chunks(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    selection: Selection,
    title: str,
    exported_on: date | None = None,
) -> Iterator[str]:
    """The journal's text: the declarations, then one entry at a time by date."""
    book = load_book(session, tenant_id=tenant_id, selection=selection)
    yield header_text(book, title=title, exported_on=exported_on or date.today())
    for entry in read_entries(session, tenant_id=tenant_id, book=book):
        yield entry_text(entry)
