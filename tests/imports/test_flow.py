"""Upload -> preview -> commit -> undo through the API, on both databases."""

from __future__ import annotations

from tests.imports.conftest import SIMPLE_MAPPING, Household, csv_bytes

ROWS = [
    ("2024-01-02", "COFFEE CORNER 123", "-3.50"),
    ("2024-01-02", "COFFEE CORNER 123", "-3.50"),
    ("2024-01-03", "GREENLEAF GROCERY", "-54.23"),
    ("2024-01-05", "NORTHWIND PAYROLL", "2150.00"),
]


def test_csv_upload_preview_commit_and_reimport_adds_nothing(home: Household) -> None:
    account = home.account()
    data = csv_bytes(ROWS)
    uploaded = home.upload(data, "january.csv", account)
    batch = uploaded["import_batch"]
    assert batch["format"] == "csv"
    assert batch["status"] == "uploaded"
    assert uploaded["csv"]["header"] == ["Date", "Description", "Amount"]
    assert batch["mapping"]["amount_column"] == "Amount"

    preview = home.preview(batch["id"])
    assert preview["counts"]["parsed"] == 4
    assert preview["counts"]["new"] == 4
    assert [r["amount"] for r in preview["rows"]] == ["-3.50", "-3.50", "-54.23", "2150.00"]
    assert [r["repeated_in_file"] for r in preview["rows"]] == [False, True, False, False]

    committed = home.commit(batch["id"])["import_batch"]
    assert committed["status"] == "committed"
    assert committed["counts"]["added"] == 4
    assert home.balance(account) == "2088.77"

    again = home.import_file(data, "january-again.csv", account)
    assert again["counts"]["added"] == 0
    assert again["counts"]["duplicates"] == 4
    assert len(home.transactions(account)) == 4


def test_explicit_mapping_on_upload(home: Household) -> None:
    account = home.account()
    data = csv_bytes(ROWS, header="When,Who,How much")
    mapping = {"date_column": "When", "amount_column": "How much", "payee_column": "Who"}
    import json

    batch = home.upload(data, "x.csv", account, mapping=json.dumps(mapping))["import_batch"]
    assert batch["mapping"]["payee_column"] == "Who"
    assert home.commit(batch["id"])["import_batch"]["counts"]["added"] == 4
    assert SIMPLE_MAPPING
