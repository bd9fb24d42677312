"""Bills in the browser: add a bill and see its payment matched, let Coffer find a
subscription in the history and accept it, check a doubtful match; the bills pages
pass axe in light and dark and fit a phone."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

from tests.conftest import TEST_PASSWORD
from tests.e2e.conftest import check_accessibility, screenshot

EMAIL = "bea@example.com"
TODAY = date.today()


def _months_back(months: int, day: int) -> date:
    index = TODAY.year * 12 + TODAY.month - 1 - months
    return date(index // 12, index % 12 + 1, day)


def _seed(base: str) -> None:
    """Bea's account: eight months of a streaming subscription, and a power bill paid
    two days ago, through the API."""
    with httpx.Client(base_url=base + "/api/v1", timeout=30) as api:
        body = {"email": EMAIL, "password": TEST_PASSWORD, "name": "Bea Lind"}
        assert api.post("/auth/register", json=body).status_code == 201
        token = api.post("/auth/login", json={"email": EMAIL, "password": TEST_PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        account = api.post(
            "/accounts",
            headers=headers,
            json={"name": "Everyday", "type": "checking", "currency": "USD"},
        ).json()["id"]
        rows = [(_months_back(m, 9), "-12.99", "STREAMCO*MONTHLY") for m in range(8, 0, -1)]
        rows.append((TODAY - timedelta(days=2), "-96.40", "EVERGREEN POWER 5521"))
        for day, amount, payee in rows:
            made = api.post(
                "/transactions",
                headers=headers,
                json={
                    "account_id": account,
                    "posted_on": day.isoformat(),
                    "amount": amount,
                    "payee": payee,
                },
            )
            assert made.status_code == 201, made.text


def _sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#field-email", EMAIL)
    page.fill("#field-password", TEST_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


def _fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width}px wide on a phone"


def test_bills_flow(browser: Any, live_server: str) -> None:
    base = live_server
    _seed(base)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _sign_in(page, base)

    # A bill by hand: the payment two days ago is matched as soon as it exists.
    page.goto(f"{base}/bills/new")
    page.fill("#field-name", "Power")
    page.fill("#field-payee", "Evergreen Power")
    page.fill("#field-amount_min", "80")
    page.fill("#field-amount_max", "120")
    page.select_option("#field-account_id", label="Everyday (USD)")
    page.fill("#field-first_due", (TODAY - timedelta(days=2)).isoformat())
    page.select_option("#field-preset", "monthly")
    page.click("form.bill-form button[type=submit]")
    page.wait_for_url(f"{base}/bills/*")
    assert "Power is added" in page.inner_text(".flash-messages")
    first_row = page.locator("table.bills-table tbody tr").last
    assert "Paid" in first_row.inner_text()
    assert "$96.40" in first_row.inner_text()
    bill_url = page.url

    # A bad rule is refused with a clear message and changes nothing.
    page.goto(f"{base}/bills/new")
    page.fill("#field-name", "Broken")
    page.fill("#field-amount_min", "10")
    page.select_option("#field-preset", "custom")
    page.fill("#field-rrule", "FREQ=FORTNIGHTLY")
    page.click("form.bill-form button[type=submit]")
    assert "FORTNIGHTLY" in page.inner_text(".error-summary")
    page.goto(f"{base}/bills")
    assert "Broken" not in page.inner_text("main")

    # Found in the history: accept the subscription.
    page.goto(f"{base}/bills/detected")
    page.click("text=Look again")
    card = page.locator("li.candidate", has_text="Streamco")
    assert "Subscription" in card.inner_text()
    assert "Monthly on day 9" in card.inner_text()
    card.locator("button", has_text="Accept").last.click()
    page.wait_for_url(f"{base}/bills/*")
    assert page.locator("h1").inner_text() == "Streamco"
    assert page.locator(".bill-status-paid").count() == 8

    page.goto(f"{base}/bills/subscriptions")
    assert "Streamco" in page.inner_text("main")
    assert "$155.88" in page.inner_text("main")  # 12 x 12.99 a year

    for theme in ("light", "dark"):
        context.add_cookies([{"name": "coffer_theme", "value": theme, "url": base}])
        for path in (
            "/bills",
            "/bills/calendar",
            "/bills/detected",
            "/bills/subscriptions",
            "/bills/review",
            "/bills/new",
        ):
            page.goto(base + path)
            check_accessibility(page, f"{path} ({theme})")
        page.goto(bill_url)
        check_accessibility(page, f"a bill ({theme})")
    screenshot(page, "bills-detail-dark")

    phone = browser.new_context(viewport={"width": 390, "height": 844})
    phone_page = phone.new_page()
    _sign_in(phone_page, base)
    for path in (
        "/bills",
        "/bills/calendar",
        "/bills/detected",
        "/bills/subscriptions",
        "/bills/new",
    ):
        phone_page.goto(base + path)
        _fits(phone_page)
    phone_page.goto(bill_url)
    _fits(phone_page)
    screenshot(phone_page, "bills-phone")
    phone.close()
    context.close()
