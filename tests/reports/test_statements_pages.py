"""The statements page as a browser sees it, on SQLite and PostgreSQL: the two forms
with the last complete month and year, their downloads (cookie auth), bad input shown
back with the field's error (422), another household's account refused, a viewer
downloads, and the reports index leads here."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from coffer.reports.statements import last_complete_month, last_complete_year
from tests.conftest import ApiUser
from tests.pages import HTML, post_form, sign_in, text

PAGE = "/reports/statements"


def _api(client: TestClient, user: ApiUser, method: str, path: str, **body: Any) -> Any:
    response = client.request(method, "/api/v1" + path, json=body or None, headers=user.headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", " ", " ".join(p.extract_text() or "" for p in reader.pages))


@pytest.fixture
def browser(client: TestClient, alice: ApiUser) -> TestClient:
    return sign_in(client, alice)


@pytest.fixture
def household(browser: TestClient, alice: ApiUser) -> dict[str, str]:
    account = {"type": "checking", "currency": "USD", "opening_on": "2025-01-01"}
    checking = _api(browser, alice, "POST", "/accounts", name="Everyday", **account)["id"]
    for day, amount, payee in (
        ("2025-03-01", "1800.00", "Acme payroll"),
        ("2025-03-09", "-42.50", "Corner grocer"),
    ):
        _api(
            browser,
            alice,
            "POST",
            "/transactions",
            account_id=checking,
            posted_on=day,
            amount=amount,
            payee=payee,
        )
    return {"checking": checking}


def test_the_page_offers_the_last_complete_month_and_year(
    browser: TestClient, household: dict[str, str]
) -> None:
    page = browser.get(PAGE, headers=HTML)
    assert page.status_code == 200, page.text
    assert 'action="/reports/statements/monthly.pdf"' in page.text
    assert 'action="/reports/statements/annual.pdf"' in page.text
    assert 'type="month"' in page.text
    month = last_complete_month(date.today()).strftime("%Y-%m")
    assert re.search(rf'name="month"[^>]* value="{month}"', page.text)
    assert re.search(rf'name="year"[^>]* value="{last_complete_year(date.today())}"', page.text)
    assert 'aria-current="page"' in page.text
    index = browser.get("/reports", headers=HTML)
    assert f'href="{PAGE}"' in index.text


def test_the_forms_download_the_statements(browser: TestClient, household: dict[str, str]) -> None:
    monthly = browser.get(f"{PAGE}/monthly.pdf?month=2025-03", headers=HTML)
    assert monthly.status_code == 200, monthly.text
    assert monthly.headers["content-type"] == "application/pdf"
    assert (
        (monthly.headers["content-disposition"])
        == 'attachment; filename="coffer-statement-2025-03.pdf"'
    )
    body = _pdf_text(monthly.content)
    assert "Monthly statement" in body
    assert "March 2025" in body
    assert "Corner grocer" in body
    assert "$1,757.50" in body  # the closing balance
    annual = browser.get(f"{PAGE}/annual.pdf?year=2025", headers=HTML)
    assert annual.status_code == 200, annual.text
    assert annual.headers["content-type"] == "application/pdf"
    annual_text = _pdf_text(annual.content)
    assert "Annual statement" in annual_text
    assert "$1,757.50" in annual_text
    assert "Corner grocer" not in annual_text
    # Without a value, the last complete month.
    default = browser.get(f"{PAGE}/monthly.pdf", headers=HTML)
    assert default.status_code == 200
    assert (
        last_complete_month(date.today()).strftime("%Y-%m")
        in (default.headers["content-disposition"])
    )


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("monthly.pdf?month=2025-13", "month"),
        ("monthly.pdf?month=March", "month"),
        ("monthly.pdf?month=", "month"),
        ("annual.pdf?year=20x5", "year"),
        ("annual.pdf?year=1850", "year"),
    ],
)
def test_bad_input_shows_the_page_with_the_field_error(
    browser: TestClient, household: dict[str, str], path: str, field: str
) -> None:
    page = browser.get(f"{PAGE}/{path}", headers=HTML)
    assert page.status_code == 422, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert f'id="field-{field}-error"' in page.text
    assert 'aria-invalid="true"' in page.text
    # The value typed is shown back.
    typed = path.split("=", 1)[1]
    assert re.search(rf'name="{field}"[^>]* value="{re.escape(typed)}"', page.text)


def test_another_households_account_is_refused(
    client: TestClient, browser: TestClient, bob: ApiUser, household: dict[str, str]
) -> None:
    theirs = _api(
        client, bob, "POST", "/accounts", name="Bob's secret", type="checking", currency="USD"
    )["id"]
    page = browser.get(f"{PAGE}/monthly.pdf?month=2025-03&account_ids={theirs}", headers=HTML)
    assert page.status_code == 422
    assert "No account with this id in this household" in text(page)
    assert "Bob's secret" not in text(page)


def test_a_viewer_downloads_from_the_page(
    app: Any, client: TestClient, alice: ApiUser, bob: ApiUser, household: dict[str, str]
) -> None:
    tenant = alice.personal_tenant_id
    invitation = _api(client, alice, "POST", f"/tenants/{tenant}/invitations", role="viewer")
    token = str(invitation["url"]).rsplit("/", 1)[-1]
    _api(client, bob, "POST", f"/invitations/{token}/accept")
    with TestClient(app) as other:
        sign_in(other, bob)
        assert post_form(other, "/tenants/switch", {"tenant_id": tenant}).status_code == 303
        assert other.get(PAGE, headers=HTML).status_code == 200
        response = other.get(f"{PAGE}/monthly.pdf?month=2025-03", headers=HTML)
        assert response.status_code == 200
        assert "Corner grocer" in _pdf_text(response.content)


def test_signed_out_the_page_asks_to_sign_in(client: TestClient) -> None:
    response = client.get(f"{PAGE}/monthly.pdf?month=2025-03", headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    assert "/login" in response.headers["location"]
