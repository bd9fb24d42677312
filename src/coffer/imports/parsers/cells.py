"""Cells that hold more than one value: a list of tags, and the parts of a split.

Tags are names separated by ";" (Coffer's export writes "; "). A name cannot hold a ";"
and come back whole; Coffer's tag names seldom do, and a person editing the file can
read and write the list by hand.

The parts of a split transaction are Coffer's own encoding (coffer.ledger.export_csv):
one part per line of the cell, each a JSON object

    {"category": "Food:Groceries", "amount": "-12.50", "memo": "weekly shop"}

JSON says exactly where a name or memo ends whatever it holds (quotes, commas, line
breaks), and a person still reads one part per line in a spreadsheet. `amount` is a
string, never a JSON number (which readers take as a float); `category` and `memo` may
be null or left out; keys a later version adds are ignored. The parts must add up to
the transaction's amount, as the ledger requires.

Coffer's export guards a cell that a spreadsheet would run as a formula with a leading
apostrophe; `unguard` takes it off again. A text that itself began with an apostrophe
followed by one of those characters cannot be told apart, and loses the apostrophe.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

from coffer.imports.parsers.amounts import PLAIN_POINT
from coffer.imports.parsers.records import SplitLine

# What the ledger allows in one split.
MIN_PARTS = 2
MAX_PARTS = 100
TAG_SEPARATOR = ";"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ZERO = Decimal(0)


class CellProblem(ValueError):
    """Why a cell cannot be read; the caller adds the line and column."""


def unguard(text: str) -> str:
    """The text without the apostrophe Coffer's export put before a formula character."""
    if text[:1] == "'" and text[1:2] in FORMULA_START:
        return text[1:]
    return text


def read_tags(text: str) -> tuple[str, ...]:
    """The tag names of a cell, in order, without blanks or repeats (ignoring case)."""
    seen: set[str] = set()
    names = []
    for part in text.split(TAG_SEPARATOR):
        name = part.strip()
        key = name.casefold()
        if name and key not in seen:
            seen.add(key)
            names.append(name)
    return tuple(names)


def read_splits(text: str, total: Decimal) -> tuple[SplitLine, ...]:
    """The parts of a split cell, which must add up to `total`; () for an empty cell."""
    lines = [line for line in _LINE_BREAK.split(text) if line.strip()]
    if not lines:
        return ()
    if not MIN_PARTS <= len(lines) <= MAX_PARTS:
        raise CellProblem(f"a split has {MIN_PARTS} to {MAX_PARTS} parts, not {len(lines)}")
    parts = tuple(_part(line, number) for number, line in enumerate(lines, start=1))
    added = sum((part.amount for part in parts), _ZERO)
    if added != total:
        raise CellProblem(f"the split parts add up to {added}, not {total}")
    return parts


def _part(line: str, number: int) -> SplitLine:
    where = f"split part {number}"
    try:
        value = json.loads(line)
    except ValueError:
        raise CellProblem(
            f'{where} is not a JSON object such as {{"category": "Food", "amount": "-1.00"}}'
        ) from None
    if not isinstance(value, dict):
        raise CellProblem(f"{where} is not a JSON object")
    amount = value.get("amount")
    if not isinstance(amount, str) or not PLAIN_POINT.fullmatch(amount.strip()):
        raise CellProblem(f'{where}: "amount" must be a decimal in quotes, such as "-12.50"')
    category, memo = value.get("category"), value.get("memo")
    if category is not None and not isinstance(category, str):
        raise CellProblem(f'{where}: "category" must be text or null')
    if memo is not None and not isinstance(memo, str):
        raise CellProblem(f'{where}: "memo" must be text or null')
    return SplitLine(
        category=(category or "").strip() or None,
        amount=Decimal(amount.strip()),
        memo=memo or "",
    )
