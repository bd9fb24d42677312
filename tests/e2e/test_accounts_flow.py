"""Open an account, find it in the list, reconcile it against a statement; the pages
pass axe in the light and dark themes and are photographed at phone size."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import TEST_PASSWORD
from tests.e2e.conftest import check_accessibility, screenshot

EMAIL = "robin@example.com"


def _register(base: str) -> dict[str, str]:
    """A person with a household, and a bearer token for setting up transactions."""
    with httpx.Client(base_url=base) as api:
        made = api.post(
            "/api/v1/auth/register",
            json={"email": EMAIL, "password": TEST_PASSWORD, "name": "Robin Park"},
        )
        assert made.status_code == 201, made.text
        tokens = api.post("/api/v1/auth/login", json={"email": EMAIL, "password": TEST_PASSWORD})
        assert tokens.status_code == 200, tokens.text
        return {"Authorization": f"Bearer {tokens.json()['access_token']}"}


def _post(base: str, headers: dict[str, str], account_id: str, amount: str, on: str) -> None:
    body = {"account_id": account_id, "amount": amount, "posted_on": on, "payee": f"Payee {on}"}
    with httpx.Client(base_url=base) as api:
        response = api.post("/api/v1/transactions", json=body, headers=headers)
        assert response.status_code == 201, response.text


def _sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#field-email", EMAIL)
    page.fill("#field-password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def _theme(page: Any, scheme: str) -> None:
    """Switch the system theme and show the page afresh in it: colours that ease from
    one theme to the other must not be measured half-way."""
    page.emulate_media(color_scheme=scheme)
    page.reload()
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)


def _both_themes(page: Any, name: str) -> None:
    """axe on the page as it is (light), then reloaded in the dark theme, then back."""
    check_accessibility(page, name)
    _theme(page, "dark")
    check_accessibility(page, f"{name}, dark")
    _theme(page, "light")


def test_create_an_account_and_reconcile_it(browser: Any, live_server: str, backend: str) -> None:
    headers = _register(live_server)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _sign_in(page, live_server)

    page.goto(f"{live_server}/accounts")
    assert "Add your first account" in page.locator("main").inner_text()
    _both_themes(page, "accounts, empty")
    page.click("main a:has-text('Add your first account')")
    page.wait_for_url(f"{live_server}/accounts/new")
    # Only the terms that apply to the chosen kind of account are shown.
    assert page.locator("#field-credit_limit").is_hidden()
    page.select_option("#field-type", "credit_card")
    assert page.locator("#field-credit_limit").is_visible()
    page.select_option("#field-type", "checking")
    _both_themes(page, "new account form")

    page.click("button:has-text('Add account')")  # nothing filled in
    assert "Please check the form" in page.locator("main").inner_text()
    check_accessibility(page, "new account form with errors")
    page.fill("#field-name", "Everyday checking")
    page.fill("#field-opening_balance", "500.00")
    page.fill("#field-opening_on", "2026-01-01")
    page.fill("#field-institution", "Harbor Bank")
    page.fill("#field-account_number", "0012 3456 7788")
    page.click("button:has-text('Add account')")
    page.wait_for_url(f"{live_server}/accounts")
    main = page.locator("main").inner_text()
    assert "Everyday checking is ready" in main
    assert "Harbor Bank" in main
    assert "7788" in main
    assert "$500.00" in main
    _both_themes(page, "accounts list")

    account_id = page.locator("a.account-name").get_attribute("href").rsplit("/", 1)[-1]
    _post(live_server, headers, account_id, "-45.10", "2026-01-05")
    _post(live_server, headers, account_id, "1200.00", "2026-01-15")
    _post(live_server, headers, account_id, "-80.00", "2026-02-02")

    page.reload()
    page.click("a:has-text('Reconcile')")
    page.wait_for_url(f"{live_server}/accounts/{account_id}/reconcile")
    page.fill("#field-statement_on", "2026-01-31")
    page.fill("#field-statement_balance", "1654.90")
    page.click("button:has-text('Start reconciling')")
    page.wait_for_selector('[data-difference="1154.90"]')
    rows = page.locator("input[name=cleared]")
    assert rows.count() == 2  # the February payment is after the statement
    assert page.locator("button:has-text('Save ticks')").is_hidden()  # htmx sends each tick
    rows.nth(0).check()
    page.wait_for_selector('[data-difference="1200.00"]')
    rows.nth(1).check()
    page.wait_for_selector('[data-difference="0.00"]')
    assert "You can finish." in page.locator("#reconcile-summary").inner_text()
    _both_themes(page, "reconciliation")

    phone = browser.new_context(viewport={"width": 390, "height": 844})
    small = phone.new_page()
    _sign_in(small, live_server)
    small.goto(f"{live_server}/accounts/{account_id}/reconcile")
    assert small.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(small, f"accounts-reconcile-phone-{backend}")

    page.click("button:has-text('Finish reconciling')")
    page.wait_for_load_state()
    assert "2 transactions are now locked" in page.locator("main").inner_text()
    _both_themes(page, "reconciliation finished")

    small.goto(f"{live_server}/accounts")
    assert small.evaluate("document.documentElement.scrollWidth") <= 390
    assert "$1,574.90" in small.locator("main").inner_text()  # 500 - 45.10 + 1200 - 80
    screenshot(small, f"accounts-list-phone-{backend}")
    _theme(small, "dark")
    screenshot(small, f"accounts-list-phone-dark-{backend}")

    page.goto(f"{live_server}/fx-rates")
    _both_themes(page, "exchange rates")
    context.close()
    phone.close()
