"""Create a budget in the browser, see its bar, text and links, follow its actual to
the transactions behind it, see it on the dashboard; the budgets pages pass axe in
light and dark and fit a phone."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from tests.conftest import TEST_PASSWORD
from tests.e2e.conftest import check_accessibility, screenshot

EMAIL = "bea@example.com"


def _seed(base: str) -> None:
    """Bea's household with an account and this month's food spending, via the API."""
    first = date.today().replace(day=1).isoformat()
    with httpx.Client(base_url=base + "/api/v1", timeout=30) as api:
        body = {"email": EMAIL, "password": TEST_PASSWORD, "name": "Bea Costa"}
        assert api.post("/auth/register", json=body).status_code == 201
        token = api.post("/auth/login", json={"email": EMAIL, "password": TEST_PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        account = api.post(
            "/accounts",
            headers=headers,
            json={"name": "Everyday", "type": "checking", "currency": "USD"},
        ).json()["id"]
        categories = {c["name"]: c["id"] for c in api.get("/categories", headers=headers).json()}
        for amount, payee, category in (
            ("-90.00", "Corner Grocer", "Groceries"),
            ("-75.50", "Bistro Nord", "Restaurants"),
            ("-40.00", "Fuel stop", "Fuel"),
        ):
            made = api.post(
                "/transactions",
                headers=headers,
                json={
                    "account_id": account,
                    "posted_on": first,
                    "amount": amount,
                    "payee": payee,
                    "category_id": categories[category],
                },
            )
            assert made.status_code == 201, made.text


def _sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#field-email", EMAIL)
    page.fill("#field-password", TEST_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_create_a_budget_and_follow_its_figures(live_server: str, browser: Any) -> None:
    base = live_server
    _seed(base)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _sign_in(page, base)
    page.goto(f"{base}/budgets")
    assert "No budgets yet" in page.inner_text("main")
    page.click("text=Add your first budget")
    page.wait_for_url(f"{base}/budgets/new")

    # A refused form keeps what was typed and says what is wrong.
    page.select_option("#field-category_id", label="Spending: Food (with its subcategories)")
    page.fill("#field-amount", "two hundred")
    page.click("main button:has-text('Add budget')")
    assert "Enter an amount as a number" in page.inner_text("main")
    page.fill("#field-amount", "200")
    page.click("main button:has-text('Add budget')")
    page.wait_for_url(f"{base}/budgets#budget-*")
    card = page.locator("article.card", has_text="Food")
    text = " ".join(card.inner_text().split())
    assert "$165.50 spent of $200.00 (83%)" in text
    assert "$34.50 left" in text
    assert "Groceries" in text
    assert "Restaurants" in text
    assert "83% spent" in text  # the warning badge

    # The actual is a link to the transactions it counts.
    card.locator("a.amount").first.click()
    page.wait_for_url(f"{base}/transactions?*")
    listed = page.inner_text("main")
    assert "Corner Grocer" in listed
    assert "Bistro Nord" in listed
    assert "Fuel stop" not in listed

    page.goto(f"{base}/")
    assert "Budgets this period" in page.inner_text("main")

    # The budget's own page: its chart is drawn, and its table carries the figures.
    page.goto(f"{base}/budgets")
    page.click("article.card h3 a:has-text('Food')")
    page.wait_for_url(f"{base}/budgets/*")
    budget_path = page.url.removeprefix(base)
    assert page.locator("[data-chart-box]").is_visible()
    assert "$165.50" in page.inner_text("table")

    for theme in ("light", "dark"):
        page.emulate_media(color_scheme=theme)
        for path in ("/budgets", "/budgets/new", budget_path, budget_path + "/edit"):
            page.goto(f"{base}{path}")
            check_accessibility(page, f"{path} ({theme})")
    screenshot(page, "budgets-dark")
    context.close()

    phone = browser.new_context(viewport={"width": 390, "height": 844})
    page = phone.new_page()
    _sign_in(page, base)
    for path in ("/budgets", "/budgets/new", budget_path):
        page.goto(f"{base}{path}")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways on a phone by {overflow}px"
    screenshot(page, "budgets-phone")
    phone.close()
