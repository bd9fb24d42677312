"""The journals against the real tools: hledger and bean-check accept them, and every
account balance and category total they compute equals Coffer's, to the minor unit, on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from coffer.ledger import service
from coffer.reports.exports.entries import Selection, load_book, read_entries
from coffer.reports.exports.names import Chart
from tests.reports.exports.conftest import (
    Household,
    beancount_balances,
    coffer_balances,
    hledger_balances,
    run,
    write_beancount,
    write_hledger,
)


def test_hledger_accepts_the_book_and_agrees(
    household: Household, hledger: str, tmp_path: Path
) -> None:
    path = tmp_path / "book.journal"
    book = household.book
    with book.uow() as s:
        write_hledger(s, book, path)
        expected = coffer_balances(s, book)
    run(hledger, "-f", str(path), "check")
    run(hledger, "-f", str(path), "check", "-s")  # every account and commodity declared
    run(hledger, "-f", str(path), "check", "ordereddates")
    assert hledger_balances(hledger, path) == expected


def test_beancount_accepts_the_book_and_agrees(
    household: Household, bean_check: str, tmp_path: Path
) -> None:
    path = tmp_path / "book.beancount"
    book = household.book
    with book.uow() as s:
        write_beancount(s, book, path)
        expected = coffer_balances(s, book)
    run(bean_check, str(path))
    found, _ = beancount_balances(path)
    assert found == expected


def test_both_tools_read_the_same_book(
    household: Household, hledger: str, bean_check: str, tmp_path: Path
) -> None:
    book = household.book
    with book.uow() as s:
        write_hledger(s, book, tmp_path / "a.journal")
        write_beancount(s, book, tmp_path / "a.beancount")
    found, transactions = beancount_balances(tmp_path / "a.beancount")
    assert hledger_balances(hledger, tmp_path / "a.journal") == found
    # Both legs of a transfer are one entry: 19 transactions, 6 transfers, 7 openings.
    assert len(transactions) == 19 + 6 + 7


def test_the_mapping_reads_as_expected(household: Household) -> None:
    book = household.book
    with book.uow() as s:
        chart = Chart.load(s, tenant_id=book.tenant_id)
    a, c = household.accounts, household.categories
    assert chart.accounts[a["checking"]] == "Assets:Checking"
    assert chart.accounts[a["euro"]] == "Assets:Epargne-Livret-A"
    assert chart.accounts[a["visa"]] == "Liabilities:Visa"
    assert chart.accounts[a["loan"]] == "Liabilities:Car-loan"
    assert chart.accounts[a["yen"]] == "Assets:Wallet"
    assert chart.categories[c["groceries"]] == "Expenses:Food:Groceries"
    assert chart.categories[c["eating"]] == "Expenses:Food:Eating-out-cafe"
    assert chart.categories[c["food2"]] == "Expenses:Food-2"
    assert chart.categories[c["home"]] == "Expenses:Home-and-Garden"
    assert chart.categories[c["unnamed"]] == "Expenses:Category"
    assert chart.categories[c["uncat"]] == "Expenses:Uncategorised-2"
    assert chart.categories[c["bonus"]] == "Income:Salary:Bonus"
    assert set(chart.tags.values()) == {
        "holiday-2025",
        "tax-deductible",
        "unicode",
        "weird-tag-yes",
    }


def test_entries_carry_payees_flags_tags_and_prices(
    household: Household, bean_check: str, tmp_path: Path
) -> None:
    book = household.book
    with book.uow() as s:
        text = write_beancount(s, book, tmp_path / "b.beancount")
    _, transactions = beancount_balances(tmp_path / "b.beancount")
    by_payee = {t.payee: t for t in transactions if t.payee}
    shop = by_payee['Joe\'s "Best" Café; Bar | Grill']
    assert shop.flag == "!"
    assert shop.narration == "weekly shop second line"
    assert shop.tags == {"holiday-2025", "unicode"}
    split = by_payee["(Costco) Wholesale"]
    assert split.flag == "*"
    assert [(p.account, p.units.number) for p in split.postings] == [
        ("Assets:Checking", Decimal("-150.00")),
        ("Expenses:Food:Groceries", Decimal("100.00")),
        ("Expenses:Food:Eating-out-cafe", Decimal("30.00")),
        ("Expenses:Uncategorised", Decimal("20.00")),
    ]
    assert split.postings[1].meta["memo"] == 'food "bulk"'
    assert split.narration == "split \\ shop"
    # 500.00 USD at 0.9137 arrives as 456.85 EUR, priced at exactly what left.
    move = next(t for t in transactions if t.narration == 'Move "to" savings')
    received = move.postings[1]
    assert (received.units.number, received.units.currency) == (Decimal("456.85"), "EUR")
    assert received.price.currency == "USD"
    assert (received.price.number * received.units.number).quantize(Decimal("0.01")) == 500
    assert "456.85 EUR @@ 500.00 USD" in text
    assert "2025-01-31 close Assets:Old-savings" in text


def test_hledger_reads_payees_tags_and_status(
    household: Household, hledger: str, tmp_path: Path
) -> None:
    book = household.book
    path = tmp_path / "c.journal"
    with book.uow() as s:
        write_hledger(s, book, path)
    payees = run(hledger, "-f", str(path), "payees").splitlines()
    assert 'Joe\'s "Best" Café； Bar ｜ Grill' in payees
    assert "(Costco) Wholesale" in payees
    tagged = run(hledger, "-f", str(path), "reg", "tag:holiday-2025", "-O", "csv")
    assert tagged.count("Expenses:") == 2
    pending = run(hledger, "-f", str(path), "bal", "-N", "--flat", "-U", "Assets:Checking")
    cleared = run(hledger, "-f", str(path), "bal", "-N", "--flat", "-C", "Assets:Checking")
    assert pending != cleared


def test_entries_come_by_date_and_pages_change_nothing(household: Household) -> None:
    book = household.book
    with book.uow() as s:
        loaded = load_book(s, tenant_id=book.tenant_id, selection=Selection())
        whole = list(read_entries(s, tenant_id=book.tenant_id, book=loaded))
        paged = list(read_entries(s, tenant_id=book.tenant_id, book=loaded, page_rows=2))
    assert whole == paged
    assert [e.on for e in whole] == sorted(e.on for e in whole)
    assert len({e.ref for e in whole}) == len(whole)
    for entry in whole:
        weights: dict[str, int] = {}
        for posting in entry.postings:
            code = posting.price_currency or posting.currency
            amount = posting.price_minor if posting.price_minor is not None else 0
            value = amount if posting.price_minor is not None else posting.amount_minor
            weights[code] = weights.get(code, 0) + value
        assert all(v == 0 for v in weights.values()), entry


def test_a_range_of_some_accounts_ends_on_coffers_balances(
    household: Household, hledger: str, bean_check: str, tmp_path: Path
) -> None:
    book = household.book
    a = household.accounts
    selection = Selection(
        date_from=date(2025, 2, 1), date_to=date(2025, 2, 28), account_ids=(a["checking"],)
    )
    with book.uow() as s:
        write_hledger(s, book, tmp_path / "r.journal", selection)
        write_beancount(s, book, tmp_path / "r.beancount", selection)
        checking = service.get_account(s, tenant_id=book.tenant_id, account_id=a["checking"])
        end = service.balance(s, tenant_id=book.tenant_id, account=checking, on=date(2025, 2, 28))
    run(hledger, "-f", str(tmp_path / "r.journal"), "check", "-s")
    run(bean_check, str(tmp_path / "r.beancount"))
    ledger = hledger_balances(hledger, tmp_path / "r.journal")
    bean, transactions = beancount_balances(tmp_path / "r.beancount")
    assert ledger == bean
    assert ledger[("Assets:Checking", "USD")] == Decimal(end) / 100
    # The card payment (a transfer in February) is whole; the Visa's own charges are not.
    assert ledger[("Liabilities:Visa", "USD")] == Decimal("200.00")
    assert ("Expenses:Food-2", "USD") in ledger
    assert ("Expenses:Food:Eating-out-cafe", "USD") not in ledger
    assert all(date(2025, 2, 1) <= t.date <= date(2025, 2, 28) for t in transactions)
