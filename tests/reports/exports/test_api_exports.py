"""GET /api/v1/exports/...: attachments any member may download, filters checked before
the first byte, documented in OpenAPI; the XLSX file holds what the CSV export holds."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from coffer.ledger.export_csv import COLUMNS, safe_text
from tests.conftest import ApiUser
from tests.reports.exports.conftest import beancount_balances, hledger_balances, run

API = "/api/v1"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.headers.get("content-type", "").startswith("app") else None


def _seed(client: TestClient, user: ApiUser) -> dict[str, str]:
    h = user.headers

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        return dict(_ok(client.post(f"{API}{path}", headers=h, json=body), 201))

    checking = post(
        "/accounts",
        {"name": "Checking", "type": "checking", "currency": "USD", "opening_balance": "100.00"},
    )["id"]
    euro = post("/accounts", {"name": "Euro", "type": "savings", "currency": "EUR"})["id"]
    yen = post("/accounts", {"name": "Yen", "type": "cash", "currency": "JPY"})["id"]
    dinar = post("/accounts", {"name": "Dinar", "type": "checking", "currency": "BHD"})["id"]
    food = post("/categories", {"name": "Outings", "kind": "expense"})["id"]
    groceries = post("/categories", {"name": "Picnics", "kind": "expense", "parent_id": food})["id"]
    tag = post("/tags", {"name": "holiday"})["id"]
    rows: list[dict[str, Any]] = [
        {"account_id": checking, "posted_on": "2026-02-01", "amount": "-12.50",
         "payee": "=HYPERLINK(\"x\")", "memo": "-minus memo", "category_id": groceries,
         "tag_ids": [tag], "status": "cleared"},
        {"account_id": checking, "posted_on": "2026-02-02", "amount": "-10.00",
         "payee": "Split \"shop\"",
         "splits": [{"amount": "-6.00", "category_id": food, "memo": "part; one"},
                    {"amount": "-4.00"}]},
        {"account_id": yen, "posted_on": "2026-02-03", "amount": "-1200", "payee": "ラーメン"},
        {"account_id": dinar, "posted_on": "2026-02-04", "amount": "1.234", "payee": "Souq"},
        {"account_id": euro, "posted_on": "2026-02-05", "amount": "-3.10", "payee": "Café\tbar"},
    ]  # fmt: skip
    for row in rows:
        post("/transactions", row)
    post(
        "/transfers",
        {
            "from_account_id": checking,
            "to_account_id": euro,
            "posted_on": "2026-02-06",
            "amount": "50.00",
            "fx_rate": "0.9137",
            "memo": "to savings",
        },
    )
    return {"checking": checking, "euro": euro, "food": food, "tag": tag}


def test_journals_download_as_attachments(client: TestClient, alice: ApiUser) -> None:
    _seed(client, alice)
    for path, suffix, needle in (
        ("hledger.journal", ".journal", "Assets:Euro                 45.69 EUR @@ 50.00 USD"),
        ("beancount.beancount", ".beancount", "Assets:Euro               45.69 EUR @@ 50.00 USD"),
    ):
        response = client.get(f"{API}/exports/{path}", headers=alice.headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        disposition = response.headers["content-disposition"]
        assert disposition.startswith("attachment; filename=")
        assert disposition.endswith(f'{suffix}"')
        assert response.headers["cache-control"] == "no-store"
        assert " ".join(needle.split()) in " ".join(response.text.split())
        assert "Expenses:Outings:Picnics" in response.text


def test_journals_from_the_api_pass_the_tools(
    client: TestClient, alice: ApiUser, hledger: str, bean_check: str, tmp_path: Path
) -> None:
    ids = _seed(client, alice)
    journal = tmp_path / "api.journal"
    bean = tmp_path / "api.beancount"
    journal.write_bytes(client.get(f"{API}/exports/hledger.journal", headers=alice.headers).content)
    bean.write_bytes(
        client.get(f"{API}/exports/beancount.beancount", headers=alice.headers).content
    )
    run(hledger, "-f", str(journal), "check", "-s")
    run(bean_check, str(bean))
    balances = hledger_balances(hledger, journal)
    assert balances == beancount_balances(bean)[0]
    accounts = _ok(client.get(f"{API}/accounts", headers=alice.headers))
    items = accounts["items"] if isinstance(accounts, dict) else accounts
    checking = next(a for a in items if a["id"] == ids["checking"])
    assert balances[("Assets:Checking", "USD")] == Decimal(checking["balance"])


def test_a_range_and_accounts_narrow_the_journal(client: TestClient, alice: ApiUser) -> None:
    ids = _seed(client, alice)
    text = client.get(
        f"{API}/exports/hledger.journal",
        headers=alice.headers,
        params={"date_from": "2026-02-02", "date_to": "2026-02-05", "account_ids": ids["euro"]},
    ).text
    assert "2026-02-05 ! Café bar" in text
    assert "Split" not in text
    assert "to savings" not in text  # on 2026-02-06, after the range


def test_bad_filters_are_refused_before_any_byte(
    client: TestClient, alice: ApiUser, bob: ApiUser
) -> None:
    theirs = _seed(client, bob)["checking"]
    for path in ("hledger.journal", "beancount.beancount"):
        response = client.get(
            f"{API}/exports/{path}",
            headers=alice.headers,
            params={"date_from": "2026-03-01", "date_to": "2026-02-01"},
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "date_from"
        for params in ({"account_ids": theirs}, {"account_ids": "not-a-uuid"}):
            response = client.get(f"{API}/exports/{path}", headers=alice.headers, params=params)
            assert response.status_code in (404, 422), response.text
            assert "Checking" not in response.text
    response = client.get(
        f"{API}/exports/transactions.xlsx", headers=alice.headers, params={"account_id": theirs}
    )
    assert response.status_code == 404
    response = client.get(f"{API}/exports/hledger.journal")
    assert response.status_code == 401


def test_a_viewer_may_export(client: TestClient, alice: ApiUser, bob: ApiUser) -> None:
    _seed(client, alice)
    tenant_id = alice.personal_tenant_id
    invitation = _ok(
        client.post(
            f"{API}/tenants/{tenant_id}/invitations", headers=alice.headers, json={"role": "viewer"}
        ),
        201,
    )
    token = str(invitation["url"]).rsplit("/", 1)[-1]
    _ok(client.post(f"{API}/invitations/{token}/accept", headers=bob.headers))
    for path in ("hledger.journal", "beancount.beancount", "transactions.xlsx"):
        response = client.get(f"{API}/exports/{path}", headers=bob.in_tenant(tenant_id))
        assert response.status_code == 200, response.text
    own = client.get(f"{API}/exports/hledger.journal", headers=bob.headers).text
    assert "Assets:Checking" not in own


def test_openapi_documents_the_exports(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    for path, media in (
        ("/api/v1/exports/hledger.journal", "text/plain"),
        ("/api/v1/exports/beancount.beancount", "text/plain"),
        ("/api/v1/exports/transactions.xlsx", XLSX),
    ):
        operation = paths[path]["get"]
        assert operation["summary"]
        assert media in operation["responses"]["200"]["content"]
        assert "exports" in operation["tags"]
    xlsx_params = {
        p["name"] for p in paths["/api/v1/exports/transactions.xlsx"]["get"]["parameters"]
    }
    csv_params = {p["name"] for p in paths["/api/v1/transactions/export.csv"]["get"]["parameters"]}
    assert xlsx_params == csv_params


def _xlsx_rows(content: bytes) -> tuple[Any, list[list[Any]]]:
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook["Transactions"]
    return sheet, [list(row) for row in sheet.iter_rows(values_only=True)]


def test_xlsx_holds_what_the_csv_holds(client: TestClient, alice: ApiUser) -> None:
    ids = _seed(client, alice)
    for params in ({}, {"account_id": ids["checking"]}, {"category_ids": ids["food"]}):
        csv_response = client.get(
            f"{API}/transactions/export.csv", headers=alice.headers, params=params
        )
        xlsx_response = client.get(
            f"{API}/exports/transactions.xlsx", headers=alice.headers, params=params
        )
        assert xlsx_response.status_code == 200, xlsx_response.text
        assert xlsx_response.headers["content-type"] == XLSX
        assert xlsx_response.headers["content-disposition"].endswith('.xlsx"')
        expected = list(csv.reader(io.StringIO(csv_response.text)))
        sheet, rows = _xlsx_rows(xlsx_response.content)
        assert sheet.freeze_panes == "A2"
        assert rows[0] == list(expected[0]) == list(COLUMNS)
        assert len(rows) == len(expected) > 1
        for got, want in zip(rows[1:], expected[1:], strict=True):
            record = dict(zip(COLUMNS, got, strict=True))
            wanted = dict(zip(COLUMNS, want, strict=True))
            assert isinstance(record["date"], datetime)
            assert record["date"].date() == date.fromisoformat(wanted["date"])
            assert isinstance(record["amount"], int | float)
            assert Decimal(str(record["amount"])) == Decimal(wanted["amount"])
            for column in COLUMNS:
                if column in ("date", "amount"):
                    continue
                assert safe_text(record[column]) == wanted[column], column
    _, rows = _xlsx_rows(
        client.get(f"{API}/exports/transactions.xlsx", headers=alice.headers).content
    )
    assert '=HYPERLINK("x")' in [row[COLUMNS.index("payee")] for row in rows]


def test_xlsx_cells_are_typed_and_formatted(client: TestClient, alice: ApiUser) -> None:
    _seed(client, alice)
    content = client.get(f"{API}/exports/transactions.xlsx", headers=alice.headers).content
    sheet = load_workbook(io.BytesIO(content))["Transactions"]
    formats = {}
    for row in sheet.iter_rows(min_row=2):
        cells = dict(zip(COLUMNS, row, strict=True))
        formats[cells["currency"].value] = cells["amount"].number_format
        assert cells["date"].is_date
        if cells["payee"].value is not None:
            assert cells["payee"].data_type == "s"
    assert formats == {"USD": "#,##0.00", "EUR": "#,##0.00", "JPY": "#,##0", "BHD": "#,##0.000"}
    assert sheet["A1"].font.bold


def test_an_empty_search_is_a_header_only_workbook(client: TestClient, alice: ApiUser) -> None:
    response = client.get(
        f"{API}/exports/transactions.xlsx", headers=alice.headers, params={"text": "nothing"}
    )
    assert response.status_code == 200
    _, rows = _xlsx_rows(response.content)
    assert rows == [list(COLUMNS)]
