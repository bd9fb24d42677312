"""Reports as CSV and XLSX files, through the API and the pages, on SQLite and
PostgreSQL: every figure of the report's JSON is in its table, the table's rows add up
to its totals, the workbook holds the same cells as the CSV (typed), and bad filters
are refused without a file."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from coffer.reports import tables
from coffer.reports.api_exports import ReportName
from tests.conftest import ApiUser
from tests.pages import HTML, sign_in, text
from tests.reports.test_api import API, REPORTS, _household, _ok, _problem
from tests.reports.test_pages import _figures

EXPORTS = f"{API}/exports/reports"
PERIOD = "date_from=2026-01-01&date_to=2026-03-31"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _query(slug: str, h: dict[str, Any]) -> str:
    extra = f"&category_id={h['food']['id']}" if slug == "category-trend" else ""
    return PERIOD + extra


def _csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


def _amounts(rows: list[list[str]]) -> set[Decimal]:
    found = set()
    for row in rows[1:]:
        for cell in row:
            try:
                found.add(Decimal(cell))
            except ArithmeticError:
                continue
    return found


def test_the_names_of_the_api_are_the_tables(client: TestClient, alice: ApiUser) -> None:
    assert {r.value for r in ReportName} == set(tables.TITLES)


@pytest.mark.parametrize("slug", sorted(tables.TITLES))
def test_every_figure_of_a_report_is_in_its_csv(
    client: TestClient, alice: ApiUser, slug: str
) -> None:
    h = _household(client, alice)
    query = _query(slug, h)
    report = _ok(client.get(f"{REPORTS}/{slug}?{query}", headers=alice.headers))
    rows = _csv(client.get(f"{EXPORTS}/{slug}.csv?{query}", headers=alice.headers))
    figures = {Decimal(f["amount"]) for f in _figures(report)}
    assert figures, slug
    assert figures <= _amounts(rows), slug
    # Money columns name the household's currency.
    assert any(title.endswith("(USD)") for title in rows[0])


def test_monthly_summary_rows_add_up_to_their_totals(client: TestClient, alice: ApiUser) -> None:
    _household(client, alice)
    rows = _csv(client.get(f"{EXPORTS}/monthly-summary.csv?{PERIOD}", headers=alice.headers))
    header = rows[0]
    assert header[:3] == ["Section", "Category", "Parent"]
    assert header[3:6] == ["2026-01 (USD)", "2026-02 (USD)", "2026-03 (USD)"]
    assert header[6:] == ["Total (USD)", "Monthly average (USD)"]
    by_name = {(r[0], r[1]): r for r in rows[1:]}
    food = by_name[("Spending", "Report food")]
    assert food[2] == ""
    assert food[3:7] == ["0.00", "149.40", "100.00", "249.40"]
    groceries = by_name[("Spending", "Report groceries")]
    assert groceries[2] == "Report food"
    for section in ("Income", "Spending"):
        top = [
            r for r in rows[1:] if r[0] == section and r[2] == "" and not r[1].startswith("Total")
        ]
        total = by_name[(section, f"Total {section.lower()}")]
        for column in range(3, 7):
            assert sum(Decimal(r[column]) for r in top) == Decimal(total[column])
    net = by_name[("Net", "Income less spending")]
    income = by_name[("Income", "Total income")]
    spending = by_name[("Spending", "Total spending")]
    uncategorised = by_name[("Uncategorised", "Uncategorised (net)")]
    for column in range(3, 7):
        assert Decimal(net[column]) == (
            Decimal(income[column]) - Decimal(spending[column]) + Decimal(uncategorised[column])
        )
    assert net[6] == "2705.60"


def test_the_workbook_holds_the_csv_cells_typed_and_the_missing_rates(
    client: TestClient, alice: ApiUser
) -> None:
    _household(client, alice)
    rows = _csv(client.get(f"{EXPORTS}/cash-flow.csv?{PERIOD}", headers=alice.headers))
    response = client.get(f"{EXPORTS}/cash-flow.xlsx?{PERIOD}", headers=alice.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["Cash flow"]
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert [str(c) for c in cells[0]] == rows[0]
    assert len(cells) == len(rows)
    for got, want in zip(cells[1:], rows[1:], strict=True):
        month = got[0]
        if isinstance(month, datetime):
            assert month.date().strftime("%Y-%m") == want[0]
        else:
            assert month == want[0]
            assert month in ("Total", "Of the money out, not categorised")
        assert [None if v is None else Decimal(str(v)) for v in got[1:]] == [
            Decimal(v) if v else None for v in want[1:]
        ]
    assert sheet["B2"].number_format == "#,##0.00"
    about = {r[0]: r[1] for r in book["About"].iter_rows(values_only=True)}
    assert about["Report"] == "Cash flow"
    assert about["Currency"] == "USD"
    assert about["EUR"].date() == date(2026, 1, 15)  # the missing rate, named


def test_text_a_spreadsheet_would_run_is_guarded(client: TestClient, alice: ApiUser) -> None:
    h = alice.headers
    account = _ok(
        client.post(
            f"{API}/accounts",
            headers=h,
            json={"name": "C", "type": "checking", "currency": "USD"},
        ),
        201,
    )
    category = _ok(
        client.post(
            f"{API}/categories", headers=h, json={"name": "=HYPERLINK(1)", "kind": "expense"}
        ),
        201,
    )
    body = {"account_id": account["id"], "posted_on": "2026-02-01", "amount": "-5.00"}
    _ok(
        client.post(f"{API}/transactions", headers=h, json={**body, "category_id": category["id"]}),
        201,
    )
    rows = _csv(client.get(f"{EXPORTS}/income-statement.csv?{PERIOD}", headers=h))
    assert ["Spending", "'=HYPERLINK(1)", "", "5.00"] in rows


def test_bad_filters_are_problems_and_no_file(
    client: TestClient, alice: ApiUser, bob: ApiUser
) -> None:
    h = _household(client, alice)
    a = alice.headers
    _problem(client.get(f"{EXPORTS}/category-trend.csv?{PERIOD}", headers=a), 422, "category_id")
    _problem(
        client.get(f"{EXPORTS}/net-worth.xlsx?category_ids={h['food']['id']}", headers=a),
        422,
        "category_ids",
    )
    _problem(client.get(f"{EXPORTS}/monthly-summary.csv?date_from=2026-13-01", headers=a), 422)
    _problem(
        client.get(f"{EXPORTS}/cash-flow.csv?date_from=2026-03-01&date_to=2026-02-01", headers=a),
        422,
        "date_from",
    )
    assert client.get(f"{EXPORTS}/no-such-report.csv", headers=a).status_code == 422
    # Another household's account is unknown here.
    other = _ok(
        client.post(
            f"{API}/accounts",
            headers=bob.headers,
            json={"name": "Bob's", "type": "checking", "currency": "USD"},
        ),
        201,
    )
    _problem(
        client.get(f"{EXPORTS}/cash-flow.csv?account_ids={other['id']}", headers=a),
        404,
    )
    assert client.get(f"{EXPORTS}/cash-flow.csv").status_code == 401


def test_the_pages_download_what_the_api_exports(client: TestClient, alice: ApiUser) -> None:
    h = _household(client, alice)
    browser = sign_in(client, alice)
    query = f"{PERIOD}&account_ids={h['checking']['id']}"
    page = browser.get(f"/reports/monthly-summary?{query}", headers=HTML)
    assert page.status_code == 200
    link = f"/reports/monthly-summary.csv?{query}".replace("&", "&amp;")
    assert link in page.text
    from_page = browser.get(f"/reports/monthly-summary.csv?{query}")
    from_api = client.get(f"{EXPORTS}/monthly-summary.csv?{query}", headers=alice.headers)
    assert _csv(from_page) == _csv(from_api)
    workbook = browser.get(f"/reports/category-trend.xlsx?{PERIOD}&category_id={h['food']['id']}")
    assert workbook.headers["content-type"] == XLSX
    assert load_workbook(io.BytesIO(workbook.content))["Category trend"]["B2"].value == 0
    # A filter the page refuses sends the browser back to the page, which explains it.
    bad = browser.get("/reports/cash-flow.csv?date_from=2026-02-30", follow_redirects=False)
    assert bad.status_code == 303
    assert bad.headers["location"] == "/reports/cash-flow?date_from=2026-02-30"
    shown = browser.get(bad.headers["location"], headers=HTML)
    assert shown.status_code == 422
    assert "Enter a date" in text(shown)
    assert browser.get("/reports/nothing.csv", headers=HTML).status_code == 404


def test_the_search_page_downloads_its_transactions(client: TestClient, alice: ApiUser) -> None:
    h = _household(client, alice)
    browser = sign_in(client, alice)
    query = f"date_from=2026-02-01&category_ids={h['food']['id']}"
    page = browser.get(f"/transactions?{query}", headers=HTML)
    assert f"/transactions/export.csv?{query}".replace("&", "&amp;") in page.text
    from_page = _csv(browser.get(f"/transactions/export.csv?{query}"))
    from_api = _csv(client.get(f"{API}/transactions/export.csv?{query}", headers=alice.headers))
    assert from_page == from_api
    assert len(from_page) == 6
    workbook = browser.get(f"/transactions/export.xlsx?{query}")
    assert workbook.headers["content-type"] == XLSX
    rows = list(load_workbook(io.BytesIO(workbook.content))["Transactions"].iter_rows())
    assert len(rows) == 6
    bad = browser.get("/transactions/export.csv?amount_min=lots", follow_redirects=False)
    assert bad.status_code == 303
    assert bad.headers["location"] == "/transactions?amount_min=lots"
