"""The whole import wizard in a browser: upload a CSV, choose its columns, review,
import, see the result, undo. Each step is checked with axe in the light and the dark
theme, and photographed at desktop and phone size."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.conftest import TEST_PASSWORD, register
from tests.e2e.conftest import check_accessibility, screenshot

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
CSV = (
    "When,Who,How much,Note\n"
    "03/01/2024,Greenleaf Grocery,-54.23,card 1234\n"
    "04/01/2024,Northwind Payroll,2150.00,\n"
    "05/01/2024,Coffee Corner,-3.50,\n"
    "06/01/2024,Lakeside Books,-12.00,birthday gift for Sam\n"
)


def _look(page: Any, name: str, backend: str) -> None:
    """axe in light and dark; screenshots at desktop and phone size."""
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.wait_for_timeout(300)  # let colour transitions finish before axe measures
        check_accessibility(page, f"{name}, {scheme}")
        screenshot(page, f"imports-{name}-{scheme}-{backend}")
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(300)
    check_accessibility(page, f"{name}, dark phone")
    screenshot(page, f"imports-{name}-phone-dark-{backend}")
    page.emulate_media(color_scheme="light")
    screenshot(page, f"imports-{name}-phone-light-{backend}")
    page.set_viewport_size(DESKTOP)


def test_upload_map_review_import_and_undo(
    browser: Any, live_server: str, backend: str, tmp_path: Path
) -> None:
    with httpx.Client(base_url=live_server) as api:
        user = register(api, "ana@example.com", name="Ana Rivera")  # type: ignore[arg-type]
        created = api.post(
            "/api/v1/accounts",
            headers=user.headers,
            json={"name": "Everyday", "type": "checking", "currency": "USD"},
        )
        assert created.status_code == 201, created.text
    statement = tmp_path / "march.csv"
    statement.write_text(CSV)

    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("#field-email", user.email)
    page.fill("#field-password", TEST_PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{live_server}/")

    page.goto(f"{live_server}/imports")
    assert "No imports yet" in page.locator("main").inner_text()
    _look(page, "empty", backend)
    page.click("main a:has-text('New import')")
    page.wait_for_url(f"{live_server}/imports/new")

    # 1. Upload.
    page.select_option("#field-account_id", label="Everyday (USD)")
    page.set_input_files("#field-file", str(statement))
    _look(page, "upload", backend)
    page.click("button:has-text('Upload and continue')")
    page.wait_for_url("**/columns")

    # 2. Columns.
    assert "Greenleaf Grocery" in page.locator("main").inner_text()
    for index, role in enumerate(("date", "payee", "amount", "memo")):
        page.select_option(f"#field-role_{index}", role)
    page.select_option("#field-date_format", "%d/%m/%Y")
    page.fill("#field-save_as", "Lakeside bank")
    _look(page, "columns", backend)
    page.click("button:has-text('Continue to review')")
    page.wait_for_url("**/preview")

    # 3. Review.
    main = page.locator("main").inner_text()
    assert "Saved as “Lakeside bank”" in main
    assert "Northwind Payroll" in main
    assert "$2,150.00" in main
    assert page.locator("[data-count='new']").inner_text() == "4"
    _look(page, "preview", backend)
    page.click("button:has-text('Import new transactions')")
    page.wait_for_url("**/imports/*")

    # 4. Result.
    assert "Import finished" in page.locator("h1").inner_text()
    assert page.locator("[data-count='added']").inner_text() == "4"
    assert page.locator("a:has-text('See the transactions in Everyday')").count() == 1
    _look(page, "result", backend)

    page.goto(f"{live_server}/imports")
    assert "march.csv" in page.locator("main").inner_text()
    _look(page, "list", backend)

    # 5. Undo, after a confirmation.
    page.click("main a:has-text('Undo')")
    page.wait_for_url("**/undo")
    _look(page, "undo", backend)
    page.click("button:has-text('Undo the import')")
    page.wait_for_url("**/imports/*")
    assert "Import undone" in page.locator("h1").inner_text()
    assert "4 transactions removed" in page.locator("main").inner_text()
    check_accessibility(page, "undone")
    screenshot(page, f"imports-undone-{backend}")
    context.close()
