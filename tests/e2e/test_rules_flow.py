"""Make a rule on the rules page, preview and then see its matches, reorder the rules;
the categories, merchants and rules pages pass axe in light and dark, and fit a phone."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import TEST_PASSWORD
from tests.e2e.conftest import check_accessibility, screenshot

EMAIL = "ana@example.com"


def _seed(base: str) -> None:
    """Ana's household with an account and a few transactions, through the API."""
    with httpx.Client(base_url=base + "/api/v1", timeout=30) as api:
        body = {"email": EMAIL, "password": TEST_PASSWORD, "name": "Ana Rivera"}
        assert api.post("/auth/register", json=body).status_code == 201
        token = api.post("/auth/login", json={"email": EMAIL, "password": TEST_PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        account = api.post(
            "/accounts",
            headers=headers,
            json={"name": "Everyday", "type": "checking", "currency": "EUR"},
        ).json()["id"]
        for day, amount, payee in (
            ("2026-03-01", "-12.00", "TESCO STORES 123"),
            ("2026-03-09", "-5.25", "Tesco Express"),
            ("2026-03-05", "-20.00", "ALDI SUED"),
        ):
            made = api.post(
                "/transactions",
                headers=headers,
                json={"account_id": account, "posted_on": day, "amount": amount, "payee": payee},
            )
            assert made.status_code == 201, made.text
        api.post("/tags", headers=headers, json={"name": "Weekly shop"})


def _sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#field-email", EMAIL)
    page.fill("#field-password", TEST_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


def _rule_names(page: Any) -> list[str]:
    names = page.locator(".rule-card h2").all_inner_texts()
    return [name.split(".", 1)[1].replace("Off", "").strip() for name in names]


def _add_rule(page: Any, base: str, name: str, payee: str, category: str) -> None:
    page.goto(f"{base}/rules/new")
    page.fill("#field-name", name)
    page.fill("#field-payee", payee)
    page.select_option("#field-category_id", label=category)


def test_make_preview_and_reorder_rules(browser: Any, live_server: str, backend: str) -> None:
    _seed(live_server)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _sign_in(page, live_server)

    page.goto(f"{live_server}/rules")
    assert "No rules yet" in page.locator("main").inner_text()
    check_accessibility(page, "rules, empty")

    # A first rule, previewed before it is saved (htmx swaps the preview in).
    _add_rule(page, live_server, "Supermarket", "tesco", "Food › Groceries (expense)")
    page.locator("label:has-text('Weekly shop') input").check()
    check_accessibility(page, "new rule form")
    page.click("button:has-text('Preview matches')")
    preview = page.locator("#rule-preview")
    preview.wait_for()
    rows = preview.locator("tbody tr")
    assert rows.count() == 2
    assert "Tesco Express" in preview.inner_text()
    assert "ALDI" not in preview.inner_text()
    assert page.input_value("#field-payee") == "tesco"
    check_accessibility(page, "rule preview")
    screenshot(page, f"rule-preview-{backend}")
    page.click("button:has-text('Save rule')")
    page.wait_for_url(f"{live_server}/rules#rule-*")
    assert "The rule “Supermarket” is saved" in page.locator("main").inner_text()

    # A second rule, then move it above the first.
    _add_rule(page, live_server, "Discounters", "aldi", "Food › Groceries (expense)")
    page.click("button:has-text('Save rule')")
    page.wait_for_url(f"{live_server}/rules#rule-*")
    assert _rule_names(page) == ["Supermarket", "Discounters"]
    page.click("button:has-text('Move up Discounters')")
    page.wait_for_load_state()
    assert _rule_names(page) == ["Discounters", "Supermarket"]
    assert "“Discounters” is now rule 1 of 2." in page.locator("main").inner_text()
    check_accessibility(page, "rules")
    screenshot(page, f"rules-{backend}")

    # What the saved rule matches among the transactions already there.
    page.click("a:has-text('Show matches of Supermarket')")
    page.wait_for_url("**/matches")
    table = page.locator("main table tbody")
    assert table.locator("tr").count() == 2
    assert "TESCO STORES 123" in table.inner_text()
    assert "ALDI" not in table.inner_text()
    check_accessibility(page, "rule matches")

    page.goto(f"{live_server}/categories")
    check_accessibility(page, "categories")
    page.click("a:has-text('Edit Groceries')")
    page.wait_for_url("**/categories/*")
    check_accessibility(page, "category")
    page.goto(f"{live_server}/merchants")
    assert "Tesco" in page.locator("main").inner_text()
    check_accessibility(page, "merchants")

    page.emulate_media(color_scheme="dark")
    for path, name in (
        ("/rules", "rules"),
        ("/rules/new", "new rule form"),
        ("/categories", "categories"),
        ("/merchants", "merchants"),
    ):
        page.goto(live_server + path)
        check_accessibility(page, f"{name}, dark")
    screenshot(page, f"merchants-dark-{backend}")
    page.goto(f"{live_server}/rules")
    screenshot(page, f"rules-dark-{backend}")
    context.close()

    phone = browser.new_context(viewport={"width": 390, "height": 844})
    small = phone.new_page()
    _sign_in(small, live_server)
    for path, name in (("/rules", "rules"), ("/categories", "categories")):
        small.goto(live_server + path)
        width = small.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{name} is {width}px wide on a phone"
        check_accessibility(small, f"{name}, phone")
        screenshot(small, f"{name}-phone-{backend}")
    phone.close()
