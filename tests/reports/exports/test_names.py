"""Names and texts: any category, account, tag, payee or memo text gives a file both
tools accept, with the payee and memo read back as written (less line breaks)."""

from __future__ import annotations

import re
import uuid
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coffer.db.base import new_id
from coffer.ledger.models import Account, AccountType, Category, CategoryKind
from coffer.reports.exports import beancount, journal
from coffer.reports.exports.entries import AccountSpan, Book, Entry, Posting, Selection
from coffer.reports.exports.names import (
    ACCOUNT_COMPONENT,
    TAG,
    Chart,
    component,
    tag_name,
)
from tests.reports.exports.conftest import beancount_balances, hledger_balances, run

# Any character, with the ones that mean something to a journal parser made likely.
CHARS = st.characters() | st.sampled_from('"\\;|()#:@*!\n\t\r ')
TEXT = st.text(CHARS, min_size=0, max_size=40)
NAME = st.text(CHARS, min_size=1, max_size=30).filter(lambda s: s.strip() != "")
TOOL_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Groceries", "Groceries"),
        ("eating out (café)", "Eating-out-cafe"),
        ("Straße & Øl", "Strasse-and-Ol"),
        ("  --2024 taxes--  ", "2024-taxes"),
        ("食費", "Category"),
        ("a:b  c", "A-b-c"),
    ],
)
def test_component(text: str, expected: str) -> None:
    assert component(text, fallback="Category") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("holiday 2025", "holiday-2025"),
        ("#weird, tag: yes", "weird-tag-yes"),
        ("snake_case", "snake_case"),
        ("ünïcödé", "unicode"),
        ("💸", "tag"),
    ],
)
def test_tag_name(text: str, expected: str) -> None:
    assert tag_name(text) == expected


@given(st.text(max_size=60))
def test_every_text_gives_a_valid_component_and_tag(text: str) -> None:
    assert ACCOUNT_COMPONENT.fullmatch(component(text, fallback="X"))
    assert TAG.fullmatch(tag_name(text))


def test_clashing_names_are_numbered_oldest_first() -> None:
    def category(name: str) -> Category:
        return Category(id=new_id(), name=name, kind="expense", parent_id=None)

    first, second, third = category("Food!"), category("food?"), category("Food-2")
    chart = Chart.build([], [first, second, third], {})
    assert [chart.categories[c.id] for c in (first, second, third)] == [
        "Expenses:Food",
        "Expenses:Food-2",
        "Expenses:Food-2-2",
    ]


def test_descriptions_keep_their_place_on_the_line() -> None:
    assert journal.description("(Amazon) Store", None) == "() (Amazon) Store"
    assert journal.description("A;B|C", "one\ntwo") == "A；B｜C | one two"
    assert journal.description(None, "  ") == ""
    assert beancount.string('say "hi" \\ now\r\n') == '"say \\"hi\\" \\\\ now"'


def _book(
    account_names: list[str],
    category_names: list[tuple[str, str | None]],
    tags: list[str],
) -> tuple[Book, list[Account], list[Category]]:
    accounts = [
        Account(
            id=new_id(),
            name=name,
            type=(AccountType.checking if i % 2 else AccountType.credit_card).value,
            currency=["USD", "JPY", "BHD"][i % 3],
            opening_balance_minor=0,
            opening_on=date(2025, 1, 1),
        )
        for i, name in enumerate(account_names)
    ]
    categories: list[Category] = []
    for i, (name, child) in enumerate(category_names):
        kind = (CategoryKind.expense if i % 2 else CategoryKind.income).value
        top = Category(id=new_id(), name=name, kind=kind, parent_id=None)
        categories.append(top)
        if child is not None:
            categories.append(Category(id=new_id(), name=child, kind=kind, parent_id=top.id))
    tag_ids = {uuid.uuid4(): name for name in tags}
    chart = Chart.build(accounts, categories, tag_ids)
    spans = {a.id: AccountSpan(date(2025, 1, 1), date(2025, 1, 2)) for a in accounts}
    book = Book(chart=chart, accounts=accounts, selection=Selection(), spans=spans)
    return book, accounts, categories


@TOOL_SETTINGS
@given(
    accounts=st.lists(NAME, min_size=1, max_size=4),
    categories=st.lists(st.tuples(NAME, st.none() | NAME), min_size=1, max_size=4),
    tags=st.lists(NAME, max_size=3),
    payees=st.lists(st.tuples(st.none() | TEXT, st.none() | TEXT), min_size=1, max_size=4),
)
def test_any_text_gives_files_the_tools_accept(
    hledger: str,
    bean_check: str,
    tmp_path_factory: pytest.TempPathFactory,
    accounts: list[str],
    categories: list[tuple[str, str | None]],
    tags: list[str],
    payees: list[tuple[str | None, str | None]],
) -> None:
    book, account_rows, category_rows = _book(accounts, categories, tags)
    chart = book.chart
    tag_names = tuple(sorted(set(chart.tags.values())))
    entries = []
    for i, (payee, memo) in enumerate(payees):
        account = account_rows[i % len(account_rows)]
        category = category_rows[i % len(category_rows)]
        code = account.currency
        entries.append(
            Entry(
                on=date(2025, 1, 2),
                cleared=i % 2 == 0,
                payee=payee,
                narration=memo,
                postings=(
                    Posting(chart.accounts[account.id], -1234, code, memo=memo),
                    Posting(chart.categories[category.id], 1234, code),
                ),
                tags=tag_names,
                notes=memo,
                ref=str(new_id()),
            )
        )
    folder = tmp_path_factory.mktemp("names")
    ledger_text = journal.header_text(book, title=payees[0][0] or "", exported_on=date.today())
    ledger_text += "".join(journal.entry_text(e) for e in entries)
    (folder / "t.journal").write_text(ledger_text, encoding="utf-8")
    bean_text = beancount.header_text(
        book, title=payees[0][0] or "", base_currency="USD", exported_on=date.today()
    )
    bean_text += "".join(beancount.entry_text(e) for e in entries)
    (folder / "t.beancount").write_text(bean_text, encoding="utf-8")

    run(hledger, "-f", str(folder / "t.journal"), "check", "-s")
    run(bean_check, str(folder / "t.beancount"))
    ledger_balances = hledger_balances(hledger, folder / "t.journal")
    bean_balances, read = beancount_balances(folder / "t.beancount")
    assert ledger_balances == bean_balances
    for entry, transaction in zip(entries, read, strict=True):
        assert (transaction.payee or "") == _one_line(entry.payee)
        assert transaction.narration == _one_line(entry.narration)
        assert transaction.tags == set(tag_names)
        assert transaction.flag == ("*" if entry.cleared else "!")


def _one_line(text: str | None) -> str:
    return re.sub(r"[\x00-\x1f\x7f\u2028\u2029\x85]+", " ", text or "").strip()
