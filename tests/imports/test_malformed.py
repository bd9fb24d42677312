"""A malformed file is refused with the line and the reason, nothing is imported, and no
answer is ever a 500."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.imports.conftest import SIMPLE_MAPPING, Household, csv_bytes, fixture_bytes

# File, currency, where the refusal comes (upload or commit), a line it must name.
BROKEN = [
    ("broken_binary.csv", "USD", "upload", "line 1"),
    ("broken_bad_amount.csv", "USD", "commit", "line 3"),
    ("broken_bad_date.csv", "USD", "commit", "line 7"),
    ("broken_columns.csv", "USD", "commit", "line 4"),
    ("broken_coffer_split.csv", "EUR", "commit", "line 3"),
    ("broken_split.qif", "USD", "commit", "line 15"),
    ("broken_truncated.ofx", "USD", "commit", "line 43"),
    ("broken_camt_missing_amt.xml", "EUR", "commit", "line 92"),
]


@pytest.mark.parametrize("name", [b[0] for b in BROKEN])
def test_broken_files_are_refused_with_their_line(home: Household, name: str) -> None:
    _, currency, stage, line = next(b for b in BROKEN if b[0] == name)
    account = home.account(currency=currency)
    data = fixture_bytes(name)
    if stage == "upload":
        response = home.upload_raw(data, name, account)
    else:
        batch = home.upload(data, name, account)["import_batch"]
        preview = home.client.get(f"/api/v1/imports/{batch['id']}/preview", headers=home.headers)
        assert preview.status_code == 422, preview.text
        response = home.commit_raw(batch["id"])
        after = home.ok(home.client.get(f"/api/v1/imports/{batch['id']}", headers=home.headers))
        assert after["status"] == "uploaded"
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["type"] == "/problems/file-refused"
    assert name in problem["detail"]
    assert line in [e["field"] for e in problem["errors"]], problem
    assert home.transactions(account) == []
    assert home.balance(account) == ("0.00")


def test_a_bad_row_at_the_very_end_leaves_nothing_behind(home: Household) -> None:
    account = home.account()
    rows = [(f"2024-03-{1 + i % 28:02d}", f"SHOP {i}", f"-{i}.00") for i in range(1, 40)]
    rows.append(("2024-03-31", "LAST SHOP", "lots"))
    batch = home.upload(csv_bytes(rows), "late.csv", account, mapping=None)["import_batch"]
    response = home.commit_raw(batch["id"])
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "line 41", "message": "column 'Amount': 'lots' is not an amount"}
    ]
    assert home.transactions(account) == []


def test_a_currency_other_than_the_accounts_is_refused_by_line(home: Household) -> None:
    account = home.account(currency="USD")
    batch = home.upload(fixture_bytes("creditcard_v2.ofx"), "eur.ofx", account)["import_batch"]
    response = home.commit_raw(batch["id"])
    assert response.status_code == 422
    assert "the account is in USD" in response.json()["errors"][0]["message"]
    assert home.transactions(account) == []


def test_too_many_decimals_for_the_currency_is_refused(home: Household) -> None:
    account = home.account(currency="JPY")
    data = csv_bytes([("2024-01-02", "RAMEN", "-980"), ("2024-01-03", "TEA", "-1.50")])
    batch = home.upload(data, "yen.csv", account)["import_batch"]
    response = home.commit_raw(batch["id"])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "line 3"


def test_uploads_that_are_not_files_we_can_take(home: Household) -> None:
    account = home.account()
    empty = home.upload_raw(b"", "empty.csv", account)
    assert empty.status_code == 422
    assert "empty.csv" in empty.json()["detail"]
    xml = home.upload_raw(b"<?xml version='1.0'?><invoice/>", "invoice.xml", account)
    assert xml.status_code == 422
    assert "invoice.xml" in xml.json()["detail"]
    wrong_format = home.upload_raw(
        csv_bytes([("2024-01-01", "A", "1")]), "a.csv", account, format="pdf"
    )
    assert wrong_format.status_code == 422
    no_account = home.upload_raw(csv_bytes([("2024-01-01", "A", "1")]), "a.csv", "not-a-uuid")
    assert no_account.status_code == 422
    stranger = home.upload_raw(
        csv_bytes([("2024-01-01", "A", "1")]), "a.csv", "00000000-0000-0000-0000-000000000000"
    )
    assert stranger.status_code == 404
    # The client's name is shown, never used as a path.
    sneaky = home.upload(csv_bytes([("2024-01-01", "A", "1")]), "../../coffer.db", account)
    assert sneaky["import_batch"]["filename"] == "coffer.db"
    assert SIMPLE_MAPPING


def test_uploads_over_the_size_limit_are_refused(
    home: Household, client_with: Callable[..., TestClient]
) -> None:
    account = home.account()
    small = Household(client_with(import_max_bytes=100), home.user)
    response = small.upload_raw(csv_bytes([("2024-01-01", "A" * 50, "1")] * 10), "big.csv", account)
    assert response.status_code == 422, response.text
    assert "larger than" in response.json()["detail"]
    assert home.ok(home.client.get("/api/v1/imports", headers=home.headers))["items"] == []
