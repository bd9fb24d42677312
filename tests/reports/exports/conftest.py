"""Export test helpers: a realistic household, the real hledger and Beancount, and
Coffer's own figures to hold their balances against.

hledger comes from Debian (`apt-get install hledger`; .ci/run installs it) and Beancount
from PyPI (a dev dependency). Without one of them its tests are skipped with one clear
line, unless CI is set: then they fail, as the browser tests do without Chromium.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from coffer.core.money import from_minor
from coffer.db.session import Database
from coffer.db.types import configure_encryption
from coffer.ledger import aggregates, service
from coffer.ledger.models import AccountType, CategoryKind, TransactionStatus
from coffer.reports.exports import beancount, journal
from coffer.reports.exports.entries import Selection
from coffer.reports.exports.names import (
    OPENING_BALANCES,
    UNCATEGORISED_EXPENSES,
    UNCATEGORISED_INCOME,
    Chart,
)
from tests.conftest import ENCRYPTION_KEY
from tests.ledger.conftest import Book, make_book

HLEDGER = os.environ.get("COFFER_HLEDGER", "hledger")

Balances = dict[tuple[str, str], Decimal]  # (account name, currency) -> amount


@pytest.fixture(autouse=True)
def _encryption() -> None:
    configure_encryption([ENCRYPTION_KEY])


def _missing(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message.replace("skipped", "required in CI"), pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def hledger() -> str:
    found = shutil.which(HLEDGER)
    if found is None:
        _missing(f"hledger not found ({HLEDGER}); apt-get install hledger; hledger tests skipped")
    assert found is not None
    return found


@pytest.fixture(scope="session")
def bean_check() -> str:
    try:
        import beancount.loader  # noqa: F401
    except ImportError:
        _missing("beancount is not installed (pip install -e .[dev]); Beancount tests skipped")
    found = shutil.which("bean-check") or str(Path(sys.executable).parent / "bean-check")
    if not Path(found).exists():
        _missing("bean-check not found; Beancount tests skipped")
    return found


def run(*args: str) -> str:
    done = subprocess.run(args, capture_output=True, text=True, check=False)  # noqa: S603
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def hledger_balances(hledger: str, path: Path) -> Balances:
    """`hledger bal`: each account's own balance (flat, not rolled up), per commodity."""
    text = run(hledger, "-f", str(path), "bal", "-N", "--flat", "--layout=bare", "-O", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    found: Balances = {}
    for row in rows:
        amount = Decimal(row["balance"].replace(",", ""))
        if amount:
            found[(row["account"], row["commodity"])] = amount
    return found


def beancount_balances(path: Path) -> tuple[Balances, list[Any]]:
    """Each account's own balance by Beancount's realization; and the entries."""
    from beancount import loader
    from beancount.core import data, realization

    entries, errors, _ = loader.load_file(str(path))
    assert errors == [], [str(e) for e in errors]
    found: Balances = {}
    for real in realization.iter_children(realization.realize(entries)):
        for position in real.balance:
            if position.units.number:
                found[(real.account, position.units.currency)] = position.units.number
    return found, [e for e in entries if isinstance(e, data.Transaction)]


def write_hledger(session: Any, book: Book, path: Path, selection: Selection = Selection()) -> str:
    text = "".join(
        journal.journal_chunks(
            session, tenant_id=book.tenant_id, selection=selection, title="Alice's household"
        )
    )
    path.write_text(text, encoding="utf-8")
    return text


def write_beancount(
    session: Any, book: Book, path: Path, selection: Selection = Selection()
) -> str:
    text = "".join(
        beancount.beancount_chunks(
            session,
            tenant_id=book.tenant_id,
            selection=selection,
            title='Alice\'s "household"',
            base_currency="USD",
        )
    )
    path.write_text(text, encoding="utf-8")
    return text


def coffer_balances(session: Any, book: Book) -> Balances:
    """What the tools must show, from Coffer's own figures: account balances
    (service.balances), category totals (the monthly aggregate), uncategorised money by
    sign and the opening balances. Expenses and income carry the opposite sign of the
    accounts' amounts, as in any double-entry book."""
    tenant_id = book.tenant_id
    chart = Chart.load(session, tenant_id=tenant_id)
    accounts = service.list_accounts(session, tenant_id=tenant_id)
    currency_of = {a.id: a.currency for a in accounts}
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for account_id, total in service.balances(
        session, tenant_id=tenant_id, accounts=accounts
    ).items():
        totals[(chart.accounts[account_id], currency_of[account_id])] += total
    for account in accounts:
        totals[(OPENING_BALANCES, account.currency)] -= account.opening_balance_minor
    for (account_id, _, category_id), (total, _) in aggregates.stored_sums(
        session, tenant_id=tenant_id
    ).items():
        if category_id is not None:
            totals[(chart.categories[category_id], currency_of[account_id])] -= total
    for view in all_transactions(session, tenant_id):
        txn = view.txn
        if txn.transfer_group_id is not None:
            continue
        parts = (
            [(s.category_id, s.amount_minor) for s in view.splits]
            if txn.is_split
            else [(txn.category_id, txn.amount_minor)]
        )
        for category_id, amount in parts:
            if category_id is None:
                name = UNCATEGORISED_INCOME if amount > 0 else UNCATEGORISED_EXPENSES
                totals[(name, view.currency)] -= amount
    return {key: from_minor(total, key[1]) for key, total in totals.items() if total != 0}


def all_transactions(session: Any, tenant_id: uuid.UUID) -> Iterable[service.TransactionView]:
    cursor: str | None = None
    while True:
        page = service.search_transactions(
            session,
            tenant_id=tenant_id,
            filters=service.TransactionFilter(),
            limit=500,
            cursor=cursor,
        )
        yield from page.items
        cursor = page.next_cursor
        if cursor is None:
            return


# --- a realistic household ---------------------------------------------------------------


@dataclass
class Household:
    """The book and the ids of what was made in it, by a short name."""

    book: Book
    accounts: dict[str, uuid.UUID] = field(default_factory=dict)
    categories: dict[str, uuid.UUID] = field(default_factory=dict)
    tags: dict[str, uuid.UUID] = field(default_factory=dict)


ACCOUNTS = [
    # key, name, type, currency, opening balance
    ("checking", "Checking", AccountType.checking, "USD", "2500.00"),
    ("euro", "Épargne € (Livret A)", AccountType.savings, "EUR", "1000.00"),
    ("visa", "Visa", AccountType.credit_card, "USD", "-350.25"),
    ("loan", "Car loan", AccountType.loan, "USD", "-12000.00"),
    ("yen", "東京 wallet", AccountType.cash, "JPY", "50000"),
    ("dinar", "Bahrain current", AccountType.checking, "BHD", "100.500"),
    ("old", "Old savings", AccountType.savings, "USD", "300.00"),
    ("empty", "Empty", AccountType.other_asset, "USD", "0"),
]
CATEGORIES = [
    # key, name, kind, parent key
    ("food", "Food", CategoryKind.expense, None),
    ("groceries", "Groceries", CategoryKind.expense, "food"),
    ("eating", "Eating out (café)", CategoryKind.expense, "food"),
    ("food2", "Food!", CategoryKind.expense, None),
    ("home", "Home & Garden", CategoryKind.expense, None),
    ("rent", "Rent", CategoryKind.expense, "home"),
    ("unnamed", "食費", CategoryKind.expense, None),
    ("uncat", "Uncategorised", CategoryKind.expense, None),
    ("salary", "Salary", CategoryKind.income, None),
    ("bonus", "Bonus", CategoryKind.income, "salary"),
    ("gifts", "Gifts", CategoryKind.income, None),
]
TAGS = [
    ("holiday", "holiday 2025"),
    ("tax", "tax-deductible"),
    ("unicode", "ünïcödé"),
    ("weird", "#weird, tag: yes"),
]


def build_household(database: Database) -> Household:
    book = make_book(database, "Alice")
    home = Household(book=book)
    scope = book.scope
    with book.uow() as s:
        for key, name, type_, code, opening in ACCOUNTS:
            home.accounts[key] = service.create_account(
                s,
                **scope,
                name=name,
                type=type_,
                currency=code,
                opening_balance=Decimal(opening),
                opening_on=date(2025, 1, 1),
            ).id
        for key, name, kind, parent in CATEGORIES:
            home.categories[key] = service.create_category(
                s,
                **scope,
                name=name,
                kind=kind,
                parent_id=home.categories[parent] if parent else None,
            ).id
        for key, name in TAGS:
            home.tags[key] = service.create_tag(s, **scope, name=name).id
        service.add_rate(
            s, **scope, rate_on=date(2025, 1, 1), base="USD", quote="EUR", rate=Decimal("0.9137")
        )

    a, c, t = home.accounts, home.categories, home.tags
    cleared = TransactionStatus.cleared
    split = service.SplitLine
    posts: list[tuple[str, str, date, str, dict[str, Any]]] = [
        # account, amount, day, payee, anything else
        ("checking", "3000.00", date(2025, 1, 31), "ACME Corp",
         {"category_id": c["salary"], "status": cleared}),
        ("checking", "500.00", date(2025, 3, 31), "ACME Corp",
         {"memo": "Q1 bonus", "category_id": c["bonus"], "status": cleared}),
        ("checking", "-82.37", date(2025, 1, 3), 'Joe\'s "Best" Café; Bar | Grill',
         {"memo": "weekly shop\nsecond line", "category_id": c["groceries"],
          "tag_ids": [t["holiday"], t["unicode"]]}),
        ("checking", "-150.00", date(2025, 1, 3), "(Costco) Wholesale",
         {"memo": "split \\ shop", "status": cleared, "tag_ids": [t["tax"]],
          "splits": [split(Decimal("-100.00"), c["groceries"], 'food "bulk"'),
                     split(Decimal("-30.00"), c["eating"], None),
                     split(Decimal("-20.00"), None, "mystery")]}),
        ("checking", "-9.99", date(2025, 2, 14), "=SUM(A1:A9)", {"tag_ids": [t["weird"]]}),
        ("checking", "5.00", date(2025, 2, 15), "Refund", {"memo": "unknown refund"}),
        ("checking", "-1200.00", date(2025, 2, 1), "Landlord",
         {"category_id": c["rent"], "status": cleared}),
        ("checking", "-12.00", date(2025, 2, 2), "Café #1", {"category_id": c["food2"]}),
        ("checking", "-7.50", date(2025, 2, 2), "Corner shop", {"category_id": c["uncat"]}),
        ("checking", "-25.00", date(2025, 2, 3), "Plant shop", {"category_id": c["home"]}),
        ("visa", "-45.10", date(2025, 1, 20), "Bistro",
         {"category_id": c["eating"], "tag_ids": [t["holiday"]]}),
        ("visa", "-19.99", date(2025, 2, 20), "Streaming", {"status": cleared}),
        ("euro", "-23.40", date(2025, 2, 10), "Boulangerie",
         {"category_id": c["groceries"], "memo": "pain & croissants"}),
        ("euro", "50.00", date(2025, 2, 11), "Tante Marie", {"category_id": c["gifts"]}),
        ("yen", "-1200", date(2025, 3, 3), "ラーメン屋", {"category_id": c["unnamed"]}),
        ("yen", "-3333", date(2025, 3, 4), "Konbini",
         {"splits": [split(Decimal("-2222"), c["groceries"]),
                     split(Decimal("-1111"), c["unnamed"])]}),
        ("dinar", "-12.345", date(2025, 3, 5), "Souq",
         {"category_id": c["groceries"], "status": cleared}),
        ("dinar", "0.005", date(2025, 3, 6), "Interest", {"status": cleared}),
        ("checking", "0.00", date(2025, 3, 6), "Card check", {}),
    ]  # fmt: skip
    with book.uow() as s:
        for key, amount, day, payee, extra in posts:
            service.post_transaction(
                s,
                **scope,
                account_id=a[key],
                amount=Decimal(amount),
                posted_on=day,
                payee=payee,
                **extra,
            )
        pending = TransactionStatus.pending
        transfers = [
            # from, to, day, amount, rate, memo, status
            ("checking", "visa", date(2025, 2, 25), "200.00", None, "Card payment", cleared),
            ("checking", "loan", date(2025, 1, 28), "350.00", None, None, pending),
            ("checking", "euro", date(2025, 1, 15), "500.00", None, 'Move "to" savings', cleared),
            ("euro", "yen", date(2025, 3, 1), "40.00", Decimal("161.37"), None, cleared),
            ("dinar", "checking", date(2025, 3, 2), "10.250", Decimal("2.6525"), "Home", cleared),
            ("old", "checking", date(2025, 1, 10), "300.00", None, "Closing old savings", cleared),
        ]
        for source, target, day, amount, rate, memo, status in transfers:
            service.create_transfer(
                s,
                **scope,
                from_account_id=a[source],
                to_account_id=a[target],
                posted_on=day,
                amount=Decimal(amount),
                fx_rate=rate,
                memo=memo,
                status=status,
            )
        service.close_account(s, **scope, account_id=a["old"], closed_on=date(2025, 1, 31))
    return home


@pytest.fixture
def household(database: Database) -> Household:
    return build_household(database)
