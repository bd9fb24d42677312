"""Coffer's names as plain-text accounting names: one chart of accounts that hledger and
Beancount both accept, so the two exports of a book read alike.

Beancount is the stricter reader: an account is `Root:Component:...` where every
component starts with a capital letter or a digit and holds only letters, digits and
dashes; a tag holds letters, digits and `-_/.`. hledger takes any of those too (it
splits an account name on ":" and ends it at two spaces, neither of which survives).
Names are kept ASCII so that neither tool's idea of a Unicode letter matters: accents
are taken off ("Café" → "Cafe"), a few letters without a decomposition are spelled out
("ß" → "ss"), and anything else becomes a dash.

Two Coffer names can meet in one name here ("Food!" and "Food?"), and a name can be
left with nothing ("食費"). Siblings are therefore numbered in the order they were
created ("Food", "Food-2"), and an empty name takes a neutral word, so every account,
category and tag keeps a name of its own, the same in every export as long as the book
does not gain a clashing sibling.

Mapping:
- accounts: `Liabilities:<Name>` for credit cards, loans, mortgages and other
  liabilities, `Assets:<Name>` for every other type;
- categories: `Expenses:<Parent>:<Child>` / `Income:<Parent>:<Child>` by the family's
  kind (a top-level category is `Expenses:<Name>`);
- no category: `Expenses:Uncategorised` for money out, `Income:Uncategorised` for
  money in (the names are kept free of user categories);
- opening balances: `Equity:Opening-Balances`; the leg of a transfer whose other leg is
  missing: `Equity:Unmatched-Transfers`.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from coffer.ledger import service
from coffer.ledger.models import LIABILITY_TYPES, Account, AccountType, Category, CategoryKind

ASSETS = "Assets"
LIABILITIES = "Liabilities"
EXPENSES = "Expenses"
INCOME = "Income"
EQUITY = "Equity"
UNCATEGORISED = "Uncategorised"
OPENING_BALANCES = f"{EQUITY}:Opening-Balances"
UNMATCHED_TRANSFERS = f"{EQUITY}:Unmatched-Transfers"
UNCATEGORISED_EXPENSES = f"{EXPENSES}:{UNCATEGORISED}"
UNCATEGORISED_INCOME = f"{INCOME}:{UNCATEGORISED}"

# Letters NFKD does not take apart into a base letter and an accent.
_SPELLED = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "SS",
        "Æ": "AE",
        "æ": "ae",
        "Œ": "OE",
        "œ": "oe",
        "Ø": "O",
        "ø": "o",
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "Ð": "D",
        "ð": "d",
        "Þ": "TH",
        "þ": "th",
        "ı": "i",
        "&": " and ",
    }
)
_NOT_NAME = re.compile(r"[^A-Za-z0-9]+")
_NOT_TAG = re.compile(r"[^A-Za-z0-9_]+")
ACCOUNT_COMPONENT = re.compile(r"[A-Z0-9][A-Za-z0-9-]*")
TAG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPELLED))
    return "".join(ch for ch in decomposed if ch.isascii() and not unicodedata.combining(ch))


def component(text: str, *, fallback: str) -> str:
    """One account-name component: "Eating out (café)" → "Eating-out-cafe"."""
    words = _NOT_NAME.sub("-", _ascii(text)).strip("-")
    if not words:
        return fallback
    return words[0].upper() + words[1:]


def tag_name(text: str, *, fallback: str = "tag") -> str:
    """A tag both tools read: "Holiday 2024!" → "Holiday-2024"."""
    words = _NOT_TAG.sub("-", _ascii(text)).strip("-_")
    return words or fallback


def _unique(
    wanted: Iterable[tuple[uuid.UUID, str]], *, taken: Iterable[str] = ()
) -> dict[uuid.UUID, str]:
    """Each id its wanted name, numbered ("-2", "-3", ...) where an earlier one has it.

    Ids are time-ordered, so the oldest keeps the plain name. Comparison ignores case:
    "Food" and "FOOD" would be told apart by the tools but not by a reader.
    """
    used = {name.casefold() for name in taken}
    names: dict[uuid.UUID, str] = {}
    for id_, name in sorted(wanted, key=lambda pair: pair[0]):
        candidate, number = name, 1
        while candidate.casefold() in used:
            number += 1
            candidate = f"{name}-{number}"
        used.add(candidate.casefold())
        names[id_] = candidate
    return names


def is_liability(account: Account) -> bool:
    try:
        return AccountType(account.type) in LIABILITY_TYPES
    except ValueError:
        return False


@dataclass(frozen=True)
class Chart:
    """The export names of one household's accounts, categories and tags."""

    accounts: dict[uuid.UUID, str]
    categories: dict[uuid.UUID, str]
    tags: dict[uuid.UUID, str]
    currencies: dict[uuid.UUID, str]  # each account's currency

    @classmethod
    def build(
        cls, accounts: Iterable[Account], categories: Iterable[Category], tags: dict[uuid.UUID, str]
    ) -> Chart:
        account_list = list(accounts)
        account_names: dict[uuid.UUID, str] = {}
        for root, members in (
            (ASSETS, [a for a in account_list if not is_liability(a)]),
            (LIABILITIES, [a for a in account_list if is_liability(a)]),
        ):
            unique = _unique((a.id, component(a.name, fallback="Account")) for a in members)
            account_names.update({id_: f"{root}:{name}" for id_, name in unique.items()})

        category_list = list(categories)
        by_id = {c.id: c for c in category_list}
        tops = [c for c in category_list if c.parent_id is None or c.parent_id not in by_id]
        category_names: dict[uuid.UUID, str] = {}
        for kind, root in ((CategoryKind.expense, EXPENSES), (CategoryKind.income, INCOME)):
            family = [c for c in tops if c.kind == kind.value]
            unique = _unique(
                ((c.id, component(c.name, fallback="Category")) for c in family),
                taken=[UNCATEGORISED],
            )
            category_names.update({id_: f"{root}:{name}" for id_, name in unique.items()})
        for top in tops:
            children = [c for c in category_list if c.parent_id == top.id]
            unique = _unique((c.id, component(c.name, fallback="Category")) for c in children)
            parent = category_names[top.id]
            category_names.update({id_: f"{parent}:{name}" for id_, name in unique.items()})

        tag_names = _unique((id_, tag_name(name)) for id_, name in tags.items())
        return cls(
            accounts=account_names,
            categories=category_names,
            tags=tag_names,
            currencies={a.id: a.currency for a in account_list},
        )

    @classmethod
    def load(cls, session: Session, *, tenant_id: uuid.UUID) -> Chart:
        return cls.build(
            service.list_accounts(session, tenant_id=tenant_id),
            service.list_categories(session, tenant_id=tenant_id),
            {t.id: t.name for t in service.list_tags(session, tenant_id=tenant_id)},
        )

    def category_account(self, category_id: uuid.UUID | None, amount_minor: int) -> str:
        """Where the other side of an amount goes: its category, else by its sign."""
        if category_id is not None and category_id in self.categories:
            return self.categories[category_id]
        return UNCATEGORISED_INCOME if amount_minor > 0 else UNCATEGORISED_EXPENSES

    def all_accounts(self) -> list[str]:
        """Every name a journal of this book may post to, sorted."""
        fixed = {OPENING_BALANCES, UNMATCHED_TRANSFERS, UNCATEGORISED_EXPENSES}
        fixed.add(UNCATEGORISED_INCOME)
        return sorted({*self.accounts.values(), *self.categories.values(), *fixed})
