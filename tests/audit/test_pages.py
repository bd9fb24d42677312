"""The audit log page: readable for owners and admins, a clear 403 for everyone else."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import TEST_PASSWORD, ApiUser

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
HTML = {"Accept": "text/html"}
OLDER = re.compile(r'href="(/audit\?[^"]+)" rel="next"')
NEWER = re.compile(r'href="(/audit\?[^"]+)" rel="prev"')


def _sign_in(client: TestClient, user: ApiUser) -> None:
    page = client.get("/login", headers=HTML)
    token = CSRF_META.search(page.text)
    assert token
    response = client.post(
        "/login",
        data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert response.status_code == 303


def _join(client: TestClient, owner: ApiUser, user: ApiUser, role: str) -> str:
    tenant = owner.personal_tenant_id
    made = client.post(
        f"/api/v1/tenants/{tenant}/invitations", headers=owner.headers, json={"role": role}
    ).json()
    token = made["url"].rsplit("/", 1)[-1]
    assert (
        client.post(f"/api/v1/invitations/{token}/accept", headers=user.headers).status_code == 200
    )
    return tenant


@pytest.fixture
def bob_browser(app: Any, bob: ApiUser) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as browser:
        _sign_in(browser, bob)
        yield browser


def test_owner_reads_who_did_what_in_sentences(
    client: TestClient, alice: ApiUser, bob: ApiUser
) -> None:
    tenant = _join(client, alice, bob, "viewer")
    client.patch(
        f"/api/v1/tenants/{tenant}/members/{bob.id}", headers=alice.headers, json={"role": "member"}
    )
    client.patch(f"/api/v1/tenants/{tenant}", headers=alice.headers, json={"base_currency": "EUR"})
    _sign_in(client, alice)
    page = client.get("/audit", headers=HTML)
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Changed Bob Example's role from viewer to member" in text
    assert "Joined as a viewer through an invitation" in text
    assert "Invited someone as a viewer" in text
    assert "Changed the household's base currency" in text
    assert "USD" in text
    assert "EUR" in text
    assert "changed to" in text  # the arrow is spelled out for screen readers
    assert 'aria-current="page"' in text  # the nav marks the audit log
    assert OLDER.search(page.text) is None


def test_viewer_gets_a_clear_403_page(
    client: TestClient, alice: ApiUser, bob: ApiUser, bob_browser: TestClient
) -> None:
    tenant = _join(client, alice, bob, "viewer")
    token = CSRF_META.search(bob_browser.get("/", headers=HTML).text)
    assert token
    bob_browser.post(
        "/tenants/switch",
        data={"tenant_id": tenant, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    page = bob_browser.get("/audit", headers=HTML)
    assert page.status_code == 403
    text = html.unescape(page.text)
    assert "The audit log of Alice Example's household is for its owners and admins" in text
    assert "your role there is viewer" in text
    # Back in his own household Bob is the owner and reads its log.
    bob_browser.post(
        "/tenants/switch",
        data={"tenant_id": bob.personal_tenant_id, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert bob_browser.get("/audit", headers=HTML).status_code == 200


def test_paging_links_walk_older_and_newer(client: TestClient, alice: ApiUser) -> None:
    for n in range(30):  # with tenant.created: 31 events, two pages of 25
        client.patch(
            f"/api/v1/tenants/{alice.personal_tenant_id}",
            headers=alice.headers,
            json={"name": f"Home {n:02d}"},
        )
    _sign_in(client, alice)
    first = client.get("/audit", headers=HTML).text
    assert NEWER.search(first) is None
    older = OLDER.search(first)
    assert older
    second = client.get(html.unescape(older.group(1)), headers=HTML).text
    assert "Created the household" in html.unescape(second)
    assert OLDER.search(second) is None
    newer = NEWER.search(second)
    assert newer
    back = client.get(html.unescape(newer.group(1)), headers=HTML).text
    assert html.unescape(back).count("Changed the household's name") == 25


def test_filter_and_a_stale_cursor(client: TestClient, alice: ApiUser) -> None:
    _sign_in(client, alice)
    filtered = html.unescape(client.get("/audit?action=invitation.", headers=HTML).text)
    assert "Nothing recorded of this kind yet" in filtered
    stale = client.get("/audit?cursor=garbage", headers=HTML)
    assert stale.status_code == 200
    assert "Created the household" in html.unescape(stale.text)
