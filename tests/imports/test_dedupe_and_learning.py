"""Fuzzy duplicates for review, the learned categoriser's suggestions, and identical rows."""

from __future__ import annotations

from typing import Any

from tests.imports.conftest import Household, csv_bytes, fixture_bytes


def _post(home: Household, account: str, amount: str, payee: str, on: str, **extra: Any) -> Any:
    body = {"account_id": account, "posted_on": on, "amount": amount, "payee": payee, **extra}
    return home.ok(home.client.post("/api/v1/transactions", headers=home.headers, json=body), 201)


def test_a_hand_entered_transaction_is_a_fuzzy_duplicate_to_review(home: Household) -> None:
    account = home.account()
    by_hand = _post(home, account, "-54.23", "Greenleaf Grocery", "2024-01-02")
    rows = [
        ("2024-01-03", "GREENLEAF GROCERY #112 SPRINGFIELD", "-54.23"),
        ("2024-01-03", "NORTHWIND PAYROLL", "2150.00"),
        ("2024-01-20", "GREENLEAF GROCERY #112 SPRINGFIELD", "-54.23"),
    ]
    batch = home.upload(csv_bytes(rows), "jan.csv", account)["import_batch"]
    preview = home.preview(batch["id"])
    assert preview["counts"]["fuzzy"] == 1
    first = preview["rows"][0]
    assert first["duplicate"]["status"] == "fuzzy"
    assert first["duplicate"]["transaction"]["id"] == by_hand["id"]
    assert preview["rows"][2]["duplicate"] is None  # 18 days later: another purchase
    committed = home.commit(batch["id"], {"skip_lines": [first["line"]]})["import_batch"]
    assert committed["counts"]["skipped"] == 1
    assert committed["counts"]["added"] == 2
    assert committed["counts"]["fuzzy"] == 0  # the one found was skipped before the search
    assert len(home.transactions(account)) == 3


def test_kept_fuzzy_duplicates_are_listed_in_the_result(home: Household) -> None:
    account = home.account()
    _post(home, account, "-4.50", "Blue Bottle", "2024-01-05")
    data = csv_bytes([("2024-01-05", "SQ *BLUE BOTTLE COFFEE 0423", "-4.50")])
    committed = home.import_file(data, "jan.csv", account)
    assert committed["counts"]["fuzzy"] == 1
    assert committed["result"]["fuzzy"][0]["line"] == 2


def test_bank_ids_deduplicate_across_files_with_other_content(home: Household) -> None:
    account = home.account()
    home.import_file(fixture_bytes("bank_v1.ofx"), "one.ofx", account)
    edited = fixture_bytes("bank_v1.ofx").replace(b"<MEMO>", b"<MEMO>edited ", 1)
    again = home.import_file(edited, "two.ofx", account)
    assert again["counts"]["added"] == 0
    assert again["counts"]["duplicates"] == 4


def test_identical_rows_in_one_file_are_all_kept(home: Household) -> None:
    account = home.account()
    coffee = ("2024-05-01", "COFFEE CORNER", "-3.50")
    rows = [coffee, coffee, ("2024-05-01", "BAKERY", "-2.00"), coffee]
    first = home.import_file(csv_bytes(rows), "may.csv", account)
    assert first["counts"]["added"] == 4
    # A later statement overlapping this one, with one more coffee that day: only it is new.
    second = home.import_file(csv_bytes([*rows, coffee]), "may-again.csv", account)
    assert second["counts"]["added"] == 1
    assert second["counts"]["duplicates"] == 4


def test_learned_suggestion_for_an_uncategorised_row(home: Household) -> None:
    coffee, groceries = home.category("Coffee"), home.category("Groceries")
    account = home.account()
    for day in range(1, 11):
        _post(
            home,
            account,
            "-3.80",
            f"STARBUCKS STORE {100 + day}",
            f"2024-02-{day:02d}",
            category_id=coffee,
        )
        _post(
            home,
            account,
            "-61.20",
            f"TESCO STORES {200 + day}",
            f"2024-02-{day:02d}",
            category_id=groceries,
        )
    rows = [
        ("2024-03-01", "STARBUCKS STORE 999 LONDON", "-4.10"),
        ("2024-03-02", "ZEBRA ZOO TICKETS", "-25.00"),
    ]
    batch = home.upload(csv_bytes(rows), "march.csv", account)["import_batch"]
    preview = home.preview(batch["id"])
    starbucks, zoo = preview["rows"]
    assert starbucks["category_id"] is None
    assert starbucks["suggestion"]["category_id"] == coffee
    assert starbucks["suggestion"]["category_name"] == "Coffee"
    assert starbucks["suggestion"]["applied_on_commit"] is True
    assert zoo["suggestion"] is None or zoo["suggestion"]["applied_on_commit"] is False
    committed = home.commit(batch["id"])["import_batch"]
    assert committed["counts"]["suggested"] == 1
    assert committed["result"]["categorised"]["learned"] == 1
    stored = {t["payee"]: t for t in home.transactions(account)}
    assert stored["STARBUCKS STORE 999 LONDON"]["category_id"] == coffee


def test_suggestions_are_not_applied_when_declined(home: Household) -> None:
    coffee = home.category("Coffee")
    account = home.account()
    for day in range(1, 8):
        _post(home, account, "-3.80", "STARBUCKS", f"2024-02-{day:02d}", category_id=coffee)
    data = csv_bytes([("2024-03-01", "STARBUCKS", "-3.90")])
    batch = home.upload(data, "march.csv", account)["import_batch"]
    committed = home.commit(batch["id"], {"apply_suggestions": False})["import_batch"]
    assert committed["counts"]["suggested"] == 0
    stored = [t for t in home.transactions(account) if t["posted_on"] == "2024-03-01"]
    assert stored[0]["category_id"] is None
