"""The reports in a browser: the monthly summary and the income statement draw their
charts and pass axe in the light and dark themes and on a phone, and a figure of the
income statement leads to the transactions behind it."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.conftest import TEST_PASSWORD
from tests.e2e.conftest import check_accessibility, screenshot

EMAIL = "robin@example.com"
PERIOD = "date_from=2025-01-01&date_to=2025-03-31"


def _household(base: str) -> dict[str, str]:
    with httpx.Client(base_url=base) as api:
        made = api.post(
            "/api/v1/auth/register",
            json={"email": EMAIL, "password": TEST_PASSWORD, "name": "Robin Park"},
        )
        assert made.status_code == 201, made.text
        tokens = api.post("/api/v1/auth/login", json={"email": EMAIL, "password": TEST_PASSWORD})
        headers = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
        cats = {c["name"]: c["id"] for c in api.get("/api/v1/categories", headers=headers).json()}
        account = api.post(
            "/api/v1/accounts",
            json={
                "name": "Everyday",
                "type": "checking",
                "currency": "USD",
                "opening_on": "2025-01-01",
            },
            headers=headers,
        ).json()["id"]
        for payee, amount, category, day in (
            ("Acme payroll", "3200.00", "Salary", "2025-01-05"),
            ("Corner grocer", "-86.40", "Groceries", "2025-01-09"),
            ("Corner grocer", "-64.10", "Groceries", "2025-02-10"),
            ("Landlord", "-1400.00", "Rent", "2025-02-01"),
            ("Bistro", "-42.00", "Restaurants", "2025-03-14"),
        ):
            response = api.post(
                "/api/v1/transactions",
                json={
                    "account_id": account,
                    "amount": amount,
                    "posted_on": day,
                    "payee": payee,
                    "category_id": cats[category],
                },
                headers=headers,
            )
            assert response.status_code == 201, response.text
        return {"groceries": cats["Groceries"]}


def _sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#field-email", EMAIL)
    page.fill("#field-password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_a_report_and_a_drill_down(browser: Any, live_server: str, backend: str) -> None:
    ids = _household(live_server)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    _sign_in(page, live_server)

    page.click("nav.primary-nav.wide-only a:has-text('Reports')")
    page.wait_for_url(f"{live_server}/reports")
    check_accessibility(page, f"reports ({backend})")
    page.goto(f"{live_server}/reports/monthly-summary?{PERIOD}")
    page.wait_for_selector("[data-chart-box]:not([hidden]) canvas")
    check_accessibility(page, f"monthly summary ({backend})")
    page.emulate_media(color_scheme="dark")
    page.reload()
    page.wait_for_selector("[data-chart-box]:not([hidden]) canvas")
    check_accessibility(page, f"monthly summary, dark ({backend})")
    page.emulate_media(color_scheme="light")

    page.goto(f"{live_server}/reports/income-statement?{PERIOD}")
    page.wait_for_selector("[data-chart-box]:not([hidden]) canvas")
    check_accessibility(page, f"income statement ({backend})")
    screenshot(page, f"report-income-statement-{backend}")
    page.click(".report-table tr:has(th:text-is('Groceries')) a.amount")
    page.wait_for_url(f"{live_server}/transactions?*")
    query = parse_qs(urlsplit(page.url).query)
    assert query["category_ids"] == [ids["groceries"]]
    assert query["date_from"] == ["2025-01-01"]
    assert query["date_to"] == ["2025-03-31"]
    listed = page.locator("main").inner_text()
    assert listed.count("Corner grocer") >= 2
    assert "Landlord" not in listed
    assert "Bistro" not in listed

    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, color_scheme="dark", is_mobile=True
    )
    small = phone.new_page()
    _sign_in(small, live_server)
    small.goto(f"{live_server}/reports/cash-flow?{PERIOD}")
    small.wait_for_selector("[data-chart-box]:not([hidden]) canvas")
    width = small.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the cash flow report is {width}px wide on a 390px phone"
    check_accessibility(small, f"cash flow, phone ({backend})")
    screenshot(small, f"report-cash-flow-phone-dark-{backend}")
    assert not errors, errors
    phone.close()
    context.close()
