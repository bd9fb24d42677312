"""Every format, through upload -> preview -> commit -> re-import, with the parsers' own
fixture files; and saved formats and presets."""

from __future__ import annotations

import io
import json
from decimal import Decimal

from coffer.imports.parsers import detect_format, parse, sniff
from tests.imports.conftest import SIMPLE_MAPPING, Household, csv_bytes, fixture_bytes

# File, account currency, format as detected.
GOOD_FILES = [
    ("uk_bank.csv", "GBP", "csv"),
    ("us_bank.csv", "USD", "csv"),
    ("german_bank.csv", "EUR", "csv"),
    ("german_bank_utf8_bom.csv", "EUR", "csv"),
    ("excel_unicode.csv", "USD", "csv"),
    ("firefly_export.csv", "EUR", "csv"),
    ("actual_export.csv", "USD", "csv"),
    ("ynab_register.csv", "USD", "csv"),
    ("mint_transactions.csv", "USD", "csv"),
    ("bank_v1.ofx", "USD", "ofx"),
    ("creditcard_v2.ofx", "EUR", "ofx"),
    ("quicken.qfx", "USD", "ofx"),
    ("bank_split.qif", "USD", "qif"),
    ("statement.camt053.001.02.xml", "EUR", "camt053"),
    ("statement.camt053.001.08.xml", "EUR", "camt053"),
]
PRESETS = {
    "firefly_export.csv": "firefly",
    "actual_export.csv": "actual",
    "ynab_register.csv": "ynab",
    "mint_transactions.csv": "mint",
}


def _expected(name: str) -> tuple[int, Decimal]:
    """Rows and their total, as the parser reads the file on its own."""
    data = fixture_bytes(name)
    fmt = detect_format(name, data[:65536])
    mapping = sniff(data[:65536]).suggested if fmt == "csv" else None
    records, _ = parse(io.BytesIO(data), fmt=fmt, mapping=mapping)
    rows = list(records)
    return len(rows), sum((r.amount for r in rows), Decimal(0))


def test_every_format_imports_once_and_reimports_nothing(home: Household) -> None:
    for name, currency, fmt in GOOD_FILES:
        account = home.account(name=f"Account for {name}", currency=currency)
        data = fixture_bytes(name)
        uploaded = home.upload(data, name, account)
        batch = uploaded["import_batch"]
        assert batch["format"] == fmt, name
        assert batch["preset"] == PRESETS.get(name), name
        count, total = _expected(name)
        preview = home.preview(batch["id"])
        assert preview["counts"]["parsed"] == count, name
        assert preview["counts"]["new"] == count, name
        assert len(preview["rows"]) == count, name
        committed = home.commit(batch["id"])["import_batch"]
        assert committed["counts"]["added"] == count, name
        assert Decimal(home.balance(account)) == total, name
        again = home.import_file(data, f"again-{name}", account)
        assert again["counts"]["added"] == 0, name
        assert again["counts"]["duplicates"] == count, name
        assert len(home.transactions(account)) == count, name


def test_bank_ids_are_kept_and_qif_splits_become_split_lines(home: Household) -> None:
    groceries = home.category("Groceries")
    food = home.category("Food")
    pharmacy = home.category("Pharmacy", parent_id=home.category("Health"))
    account = home.account(currency="USD")
    home.import_file(fixture_bytes("bank_split.qif"), "bank.qif", account)
    rows = home.transactions(account)
    split = next(t for t in rows if t["is_split"])
    assert sorted((s["amount"], s["category_id"]) for s in split["splits"]) == sorted(
        [("-61.15", groceries), ("-25.25", pharmacy)]
    )
    assert food  # "Food" is the memo of a line, not a category of it
    ofx = home.account(name="OFX", currency="USD")
    home.import_file(fixture_bytes("bank_v1.ofx"), "bank.ofx", ofx)
    assert all(t["external_id"] for t in home.transactions(ofx))


def test_file_categories_match_household_categories_by_name(home: Household) -> None:
    groceries = home.category("Groceries")
    account = home.account(currency="EUR")
    batch = home.upload(fixture_bytes("firefly_export.csv"), "ff.csv", account)["import_batch"]
    preview = home.preview(batch["id"])
    by_payee = {r["payee"]: r for r in preview["rows"]}
    assert by_payee["Rewe Markt"]["category_id"] == groceries
    assert by_payee["Rewe Markt"]["category_source"] == "file"
    assert set(preview["unmatched_categories"]) == {"Salary", "Subscriptions"}


def test_saved_formats_and_presets(home: Household) -> None:
    client, h = home.client, home.headers
    listed = home.ok(client.get("/api/v1/import-formats", headers=h), 200)
    assert {p["name"] for p in listed["presets"]} == {"firefly", "actual", "ynab", "mint", "coffer"}
    mapping = {"date_column": "When", "amount_column": "Sum", "payee_column": "Who"}
    saved = home.ok(
        client.post(
            "/api/v1/import-formats", headers=h, json={"name": "My bank", "mapping": mapping}
        ),
        201,
    )
    clash = client.post(
        "/api/v1/import-formats", headers=h, json={"name": "My bank", "mapping": mapping}
    )
    assert clash.status_code == 422
    bad = client.post(
        "/api/v1/import-formats", headers=h, json={"name": "Bad", "mapping": {"date_column": "x"}}
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "mapping"
    account = home.account()
    data = csv_bytes([("2024-02-01", "SHOP", "-1.00")], header="When,Who,Sum")
    batch = home.upload(data, "b.csv", account, import_format_id=saved["id"])["import_batch"]
    assert batch["mapping"]["amount_column"] == "Sum"
    assert home.commit(batch["id"])["import_batch"]["counts"]["added"] == 1
    renamed = home.ok(
        client.patch(f"/api/v1/import-formats/{saved['id']}", headers=h, json={"name": "Old bank"}),
        200,
    )
    assert renamed["name"] == "Old bank"
    assert client.delete(f"/api/v1/import-formats/{saved['id']}", headers=h).status_code == 204
    assert client.get(f"/api/v1/import-formats/{saved['id']}", headers=h).status_code == 404


def test_mapping_can_be_chosen_after_upload_and_saved(home: Household) -> None:
    account = home.account()
    data = csv_bytes([("2024-02-01", "SHOP", "-1.00")], header="Posted,Text,Value")
    uploaded = home.upload(data, "odd.csv", account)
    batch = uploaded["import_batch"]
    assert batch["mapping"] is None
    assert uploaded["csv"]["notes"]
    missing = home.client.post(
        f"/api/v1/imports/{batch['id']}/commit", headers=home.headers, json={}
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "mapping"
    mapping = {"date_column": "Posted", "amount_column": "Value", "payee_column": "Text"}
    put = home.client.put(
        f"/api/v1/imports/{batch['id']}/mapping",
        headers=home.headers,
        json={"mapping": mapping, "save_as": "Odd bank"},
    )
    assert put.status_code == 200, put.text
    formats = home.ok(home.client.get("/api/v1/import-formats", headers=home.headers), 200)
    assert [f["name"] for f in formats["items"]] == ["Odd bank"]
    assert home.commit(batch["id"])["import_batch"]["counts"]["added"] == 1
    late = home.client.put(
        f"/api/v1/imports/{batch['id']}/mapping", headers=home.headers, json={"preset": "mint"}
    )
    assert late.status_code == 409


def test_mapping_json_on_upload_is_checked(home: Household) -> None:
    account = home.account()
    data = csv_bytes([("2024-02-01", "SHOP", "-1.00")])
    response = home.upload_raw(data, "x.csv", account, mapping="{not json")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "mapping"
    response = home.upload_raw(data, "x.csv", account, mapping=json.dumps({"date_column": 3}))
    assert response.status_code == 422
    response = home.upload_raw(data, "x.csv", account, mapping=json.dumps(SIMPLE_MAPPING))
    assert response.status_code == 201
