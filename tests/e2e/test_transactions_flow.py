"""Add a split transaction with the JavaScript split editor, find it in the register,
and recategorise a selection with the bulk bar; light and dark, desktop and phone."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import TEST_PASSWORD
from tests.e2e.conftest import check_accessibility, screenshot

EMAIL = "rosa@example.com"


def _sign_up(page: Any, live_server: str) -> None:
    page.goto(f"{live_server}/signup")
    page.fill("#field-name", "Rosa Lind")
    page.fill("#field-email", EMAIL)
    page.fill("#field-password", TEST_PASSWORD)
    page.fill("#field-password_confirm", TEST_PASSWORD)
    page.click("button:has-text('Create account')")
    page.wait_for_url(f"{live_server}/")


def _sign_in(page: Any, live_server: str) -> None:
    page.goto(f"{live_server}/login")
    page.fill("#field-email", EMAIL)
    page.fill("#field-password", TEST_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server}/")


def _api(live_server: str) -> httpx.Client:
    api = httpx.Client(base_url=f"{live_server}/api/v1", timeout=30)
    tokens = api.post("/auth/login", json={"email": EMAIL, "password": TEST_PASSWORD})
    assert tokens.status_code == 200, tokens.text
    api.headers["Authorization"] = f"Bearer {tokens.json()['access_token']}"
    return api


def test_split_transaction_register_and_bulk_recategorise(
    browser: Any, live_server: str, backend: str
) -> None:
    desktop = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
    page = desktop.new_page()
    _sign_up(page, live_server)
    api = _api(live_server)
    account = api.post(
        "/accounts",
        json={"name": "Everyday", "type": "checking", "currency": "EUR", "opening_balance": "500"},
    ).json()
    categories = {c["name"]: c["id"] for c in api.get("/categories").json()}
    plain = api.post(
        "/transactions",
        json={"account_id": account["id"], "posted_on": "2026-03-01", "amount": "-9.99",
              "payee": "Bookshop"},
    ).json()  # fmt: skip

    # The form, with the split editor driven by JavaScript.
    page.goto(f"{live_server}/transactions/new?account_id={account['id']}")
    check_accessibility(page, "new transaction (light)")
    page.fill("#field-posted_on", "2026-03-05")
    page.fill("#field-amount", "60")
    page.fill("#field-payee", "Saturday market")
    page.locator("details.split-editor > summary").click()
    lines = page.locator("[data-split-line]")
    assert lines.count() == 4  # the blank lines a form without JavaScript offers too
    lines.nth(0).locator("select").select_option(label="Food › Groceries")
    lines.nth(0).locator("[data-split-amount]").fill("45")
    lines.nth(1).locator("select").select_option(label="Home › Furniture")
    lines.nth(1).locator("[data-split-amount]").fill("10")
    remaining = page.locator("[data-split-remaining]")
    assert remaining.inner_text() == "Remaining to assign: 5.00 EUR"
    page.click("button:has-text('Add a line')")
    assert lines.count() == 5
    lines.nth(4).locator("[data-split-amount]").fill("5")
    lines.nth(4).locator("input[name='split_memo']").fill("Flowers")
    assert remaining.inner_text() == "All assigned: the lines add up to the amount."
    lines.nth(3).locator("button:has-text('Remove')").click()
    assert lines.count() == 4
    assert page.locator("label[for='split-3-amount']").text_content() == "Line 4 Amount"
    check_accessibility(page, "split editor (light)")
    screenshot(page, f"transaction-split-desktop-{backend}")
    page.click("button:has-text('Save transaction')")
    page.wait_for_url(f"{live_server}/accounts/{account['id']}")

    # In the register, newest first, with the running balance.
    assert "Saved the transaction." in page.content()
    first = page.locator("#txn-rows tr").first
    assert "Saturday market" in first.inner_text()
    assert "Split" in first.inner_text()
    assert "Groceries" in first.inner_text()
    assert "€430.01" in first.inner_text()  # 500 - 9.99 - 60
    check_accessibility(page, "register (light)")

    # Bulk: tick both rows, the bar counts them; the split one keeps its lines.
    bar = page.locator("[data-bulk-bar]")
    assert not bar.is_visible()
    page.locator("#txn-rows input[data-bulk-item]").nth(0).check()
    page.locator("#txn-rows input[data-bulk-item]").nth(1).check()
    assert bar.is_visible()
    assert page.locator("[data-bulk-count]").inner_text() == "2 transactions selected"
    assert not page.locator("#bulk-tag").is_visible()
    page.select_option("#bulk-action", "recategorise")
    page.select_option("#bulk-category", label="Leisure › Books & music")
    check_accessibility(page, "register with a selection (light)")
    screenshot(page, f"register-bulk-desktop-{backend}")
    page.click("button:has-text('Apply to selected')")
    page.wait_for_url(f"{live_server}/accounts/{account['id']}")
    body = page.content()
    assert "Changed the category of 1 transaction." in body
    assert "split transactions" in body
    moved = api.get(f"/transactions/{plain['id']}").json()
    assert moved["category_id"] == categories["Books & music"]
    assert "Books &amp; music" in page.locator(f"tr[data-txn='{plain['id']}']").inner_html()
    desktop.close()

    # Dark theme on a phone.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark")
    page = phone.new_page()
    _sign_in(page, live_server)
    page.goto(f"{live_server}/accounts/{account['id']}")
    check_accessibility(page, "register (dark, phone)")
    screenshot(page, f"register-phone-dark-{backend}")
    page.goto(f"{live_server}/transactions?text=market")
    assert page.locator("#txn-rows tr").count() == 1
    check_accessibility(page, "search (dark, phone)")
    screenshot(page, f"search-phone-dark-{backend}")
    page.goto(f"{live_server}/transactions/new?account_id={account['id']}")
    page.locator("details.split-editor > summary").click()
    check_accessibility(page, "transaction form (dark, phone)")
    screenshot(page, f"transaction-form-phone-dark-{backend}")
    phone.close()
