"""Sign up, invite a family member, accept in a second browser, switch household."""

from __future__ import annotations

from typing import Any

from tests.conftest import TEST_PASSWORD
from tests.e2e.conftest import check_accessibility, screenshot


def _sign_up(page: Any, *, name: str, email: str) -> None:
    page.fill("#field-name", name)
    page.fill("#field-email", email)
    page.fill("#field-password", TEST_PASSWORD)
    page.fill("#field-password_confirm", TEST_PASSWORD)
    page.click("button:has-text('Create account')")


def _switch_to(page: Any, household: str) -> None:
    visible = page.locator("form[action='/tenants/switch']:visible")
    if visible.count() == 0:  # on a phone the switcher sits in the collapsed menu
        page.locator("details.nav-menu > summary").click()
    switcher = visible.first
    switcher.locator("select").select_option(label=household)
    switcher.locator("button:has-text('Switch')").click()


def test_sign_up_invite_accept_and_switch(browser: Any, live_server: str, backend: str) -> None:
    owner = browser.new_context(viewport={"width": 1280, "height": 900})
    page = owner.new_page()
    page.goto(f"{live_server}/signup")
    check_accessibility(page, "sign-up")
    _sign_up(page, name="Ana Rivera", email="ana@example.com")
    page.wait_for_url(f"{live_server}/")
    assert "Ana" in page.locator("h1").inner_text()
    check_accessibility(page, "home")
    screenshot(page, f"home-{backend}")

    page.goto(f"{live_server}/settings/household")
    page.fill("#field-name", "The Rivera household")
    page.click("button:has-text('Save details')")
    page.wait_for_load_state()
    page.locator("#invite select[name='role']").select_option("member")
    page.click("button:has-text('Make an invitation link')")
    link = page.locator("#invitation-link").inner_text().strip()
    assert "/invitations/" in link
    check_accessibility(page, "household settings")
    screenshot(page, f"household-{backend}")

    # The invitee opens the link in another browser, has no account yet, signs up and
    # comes back to the invitation.
    invitee = browser.new_context(viewport={"width": 390, "height": 844})
    other = invitee.new_page()
    other.goto(link)
    assert "The Rivera household" in other.content()
    other.click("a:has-text('Create an account')")
    _sign_up(other, name="Sam Rivera", email="sam@example.com")
    other.wait_for_url(link)
    other.click("button:has-text('Join The Rivera household')")
    other.wait_for_load_state()
    selected = other.locator("form[action='/tenants/switch'] select").first
    assert selected.locator("option:checked").inner_text().strip() == "The Rivera household"
    screenshot(other, f"joined-phone-{backend}")

    # Switch to Sam's own household and back.
    _switch_to(other, "Sam Rivera's household")
    other.wait_for_load_state()
    assert "Sam Rivera's household" in other.locator("main").inner_text()
    _switch_to(other, "The Rivera household")
    other.wait_for_load_state()
    assert "The Rivera household" in other.locator("main").inner_text()

    # The owner sees the new member.
    page.goto(f"{live_server}/settings/household")
    assert "Sam Rivera" in page.locator("main").inner_text()
    page.emulate_media(color_scheme="dark")
    check_accessibility(page, "household settings, dark")
    screenshot(page, f"household-dark-{backend}")
    owner.close()
    invitee.close()
