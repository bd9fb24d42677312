"""The home dashboard in a browser: a new household starts with its steps, one with a
month of activity sees its cards and charts (axe in the light and dark themes, on a
desktop and a phone), and a spending category's figure leads to its transactions."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.conftest import TEST_PASSWORD
from tests.e2e.conftest import check_accessibility, screenshot

EMAIL = "sasha@example.com"
TODAY = date.today()


def _api(base: str, headers: dict[str, str], path: str, body: dict[str, Any]) -> dict[str, Any]:
    with httpx.Client(base_url=base) as api:
        response = api.post("/api/v1" + path, json=body, headers=headers)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result


def _register(base: str) -> dict[str, str]:
    with httpx.Client(base_url=base) as api:
        made = api.post(
            "/api/v1/auth/register",
            json={"email": EMAIL, "password": TEST_PASSWORD, "name": "Sasha Lee"},
        )
        assert made.status_code == 201, made.text
        tokens = api.post("/api/v1/auth/login", json={"email": EMAIL, "password": TEST_PASSWORD})
        assert tokens.status_code == 200, tokens.text
        return {"Authorization": f"Bearer {tokens.json()['access_token']}"}


def _month_of_activity(base: str, headers: dict[str, str]) -> dict[str, str]:
    with httpx.Client(base_url=base) as api:
        categories = {
            c["name"]: c["id"] for c in api.get("/api/v1/categories", headers=headers).json()
        }
    checking = _api(
        base,
        headers,
        "/accounts",
        {
            "name": "Everyday",
            "type": "checking",
            "currency": "USD",
            "opening_balance": "1800.00",
            "opening_on": "2025-01-01",
        },
    )["id"]
    day = TODAY.isoformat()
    for payee, amount, category in (
        ("Acme payroll", "3200.00", "Salary"),
        ("Corner grocer", "-86.40", "Groceries"),
        ("Bistro", "-42.00", "Restaurants"),
        ("Landlord", "-1400.00", "Rent"),
        ("Power company", "-95.10", "Electricity"),
    ):
        _api(
            base,
            headers,
            "/transactions",
            {
                "account_id": checking,
                "amount": amount,
                "posted_on": day,
                "payee": payee,
                "category_id": categories[category],
            },
        )
    return {"food": categories["Food"]}


def _sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#field-email", EMAIL)
    page.fill("#field-password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def _theme(page: Any, scheme: str) -> None:
    page.emulate_media(color_scheme=scheme)
    page.reload()
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)


def test_dashboard_and_a_drill_down(browser: Any, live_server: str, backend: str) -> None:
    headers = _register(live_server)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    _sign_in(page, live_server)

    # Nothing yet: the steps, not a page of zeros.
    main = page.locator("main")
    assert "Getting started" in main.inner_text()
    assert page.locator("#card-net-worth").count() == 0

    ids = _month_of_activity(live_server, headers)
    page.reload()
    assert "Hello, Sasha Lee" in main.inner_text()
    for key in ("net-worth", "cash-flow", "spending", "accounts", "recent"):
        assert page.locator(f"#card-{key}").is_visible(), key
    # The charts are drawn (their boxes shown) and the net worth table is folded away.
    page.wait_for_selector("#card-spending [data-chart-box]:not([hidden]) canvas")
    page.wait_for_selector("#card-net-worth [data-chart-box]:not([hidden]) canvas")
    assert page.locator("#card-net-worth details[data-chart-table]").get_attribute("open") is None
    assert "$3,200.00" in page.locator("#card-cash-flow").inner_text()
    check_accessibility(page, f"dashboard ({backend})")
    screenshot(page, f"dashboard-{backend}")
    _theme(page, "dark")
    page.wait_for_selector("#card-spending [data-chart-box]:not([hidden]) canvas")
    check_accessibility(page, f"dashboard, dark ({backend})")
    _theme(page, "light")

    # The drill-down: Food's figure opens this month's Food transactions.
    page.click("#card-spending a.dash-category-amount:has-text('$128.40')")
    page.wait_for_url(f"{live_server}/transactions?*")
    query = parse_qs(urlsplit(page.url).query)
    assert query["category_ids"] == [ids["food"]]
    assert query["date_from"] == [TODAY.replace(day=1).isoformat()]
    assert query["date_to"] == [TODAY.isoformat()]
    listed = main.inner_text()
    assert "Corner grocer" in listed
    assert "Bistro" in listed
    assert "Landlord" not in listed
    check_accessibility(page, f"drill-down to Food ({backend})")

    # On a phone, in the dark theme, the cards stack and the page does not scroll sideways.
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, color_scheme="dark", is_mobile=True
    )
    small = phone.new_page()
    _sign_in(small, live_server)
    small.wait_for_selector("#card-spending [data-chart-box]:not([hidden]) canvas")
    width = small.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the dashboard is {width}px wide on a 390px phone"
    check_accessibility(small, f"dashboard, phone ({backend})")
    screenshot(small, f"dashboard-phone-dark-{backend}")
    assert not errors, errors
    phone.close()
    context.close()
