"""The API explorer really runs in a browser under Coffer's Content-Security-Policy.

A unit test can check the page names only local files; only a browser can tell that
Swagger UI then starts without tripping the policy (a violation is a console error).
"""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_swagger_ui_starts_without_policy_violations(live_server: str, browser: Any) -> None:
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    page.goto(f"{live_server}/api/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() > 3  # health and auth operations at least
    assert problems == []
    page.close()
