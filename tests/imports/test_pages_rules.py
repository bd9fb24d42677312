"""The rules pages as a browser uses them, on SQLite and PostgreSQL: adding, changing,
reordering and switching rules; the preview and the matches view listing exactly what
the rules service matches; refused forms that change nothing; viewers; other
households."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ApiUser
from tests.imports.conftest import Household
from tests.pages import HTML, post_form, sign_in, text


@pytest.fixture
def browser(client: TestClient, alice: ApiUser) -> TestClient:
    return sign_in(client, alice)


def rules(home: Household) -> list[dict[str, Any]]:
    return list(home.ok(home.client.get("/api/v1/rules", headers=home.headers), 200))


def page(client: TestClient, path: str) -> str:
    response = client.get(path, headers=HTML)
    assert response.status_code == 200, response.text
    return text(response)


def txn(home: Household, account: str, amount: str, payee: str, day: str = "2026-03-15") -> str:
    body = {"account_id": account, "posted_on": day, "amount": amount, "payee": payee}
    made = home.ok(home.client.post("/api/v1/transactions", headers=home.headers, json=body))
    return str(made["id"])


def new_rule(home: Household, name: str, payee: str, **actions: Any) -> str:
    body = {
        "name": name,
        "conditions": [{"field": "payee", "op": "contains", "value": payee}],
        "actions": actions or {"memo": name},
    }
    made = home.ok(home.client.post("/api/v1/rules", headers=home.headers, json=body), 201)
    return str(made["id"])


# --- adding and changing ---------------------------------------------------------------


def test_a_rule_made_on_the_page_is_stored_and_listed_in_words(
    browser: TestClient, home: Household
) -> None:
    account = home.account("Everyday")
    groceries = home.category("Groceries")
    tag = home.tag("Weekly shop")
    assert "No rules yet" in page(browser, "/rules")
    form = page(browser, "/rules/new")
    assert 'action="/rules"' in form
    assert 'formaction="/rules/test"' in form
    made = post_form(
        browser,
        "/rules",
        [
            ("name", "Supermarket"),
            ("payee_op", "contains"),
            ("payee", "tesco"),
            ("amount_min", "-200"),
            ("amount_max", "0"),
            ("account_ids", account),
            ("category_id", groceries),
            ("tag_ids", tag),
            ("set_merchant", "Tesco"),
            ("enabled", "on"),
        ],
    )
    assert made.status_code == 303
    (stored,) = rules(home)
    assert stored["name"] == "Supermarket"
    assert stored["enabled"] is True
    assert stored["conditions"] == [
        {"field": "payee", "op": "contains", "value": "tesco"},
        {"field": "amount", "op": "between", "min": "-200", "max": "0"},
        {"field": "account", "op": "in", "value": [account]},
    ]
    assert stored["actions"] == {"category_id": groceries, "tag_ids": [tag], "merchant": "Tesco"}
    listing = page(browser, "/rules")
    assert 'href="/rules" aria-current="page"' in listing
    for words in (
        "Payee contains “tesco”",
        "Amount from -200 to 0",
        "Account is Everyday",
        "Category: Groceries",
        "Tags: Weekly shop",
        "Merchant: Tesco",
        "The rule “Supermarket” is saved",
    ):
        assert words in listing, words


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": "Bad", "payee_op": "regex", "payee": "tesco(", "set_memo": "x"}, "not a regular"),
        ({"name": "Slow", "payee_op": "regex", "payee": "(a+)+", "set_memo": "x"}, "nested"),
        ({"name": "", "payee": "tesco", "set_memo": "x"}, "Name: must not be empty"),
        ({"name": "Nothing", "set_memo": "x"}, "Say when the rule applies"),
        ({"name": "Idle", "payee": "tesco"}, "Say what the rule does"),
        ({"name": "Sum", "amount_min": "abc", "set_memo": "x"}, "Smallest amount: must be"),
        (
            {"name": "Range", "amount_min": "10", "amount_max": "5", "set_memo": "x"},
            "must not be more than max",
        ),
        ({"name": "Odd", "payee_op": "sounds_like", "payee": "x", "set_memo": "x"}, "Payee:"),
    ],
)
def test_a_refused_rule_shows_the_error_and_saves_nothing(
    browser: TestClient, home: Household, form: dict[str, str], message: str
) -> None:
    refused = post_form(browser, "/rules", form)
    assert refused.status_code == 422
    assert message in text(refused)
    assert rules(home) == []


def test_a_rule_naming_another_households_category_is_refused(
    browser: TestClient, home: Household, client: TestClient, bob: ApiUser
) -> None:
    theirs = Household(client, bob)
    category = theirs.ok(client.get("/api/v1/categories", headers=bob.headers))[0]["id"]
    refused = post_form(
        browser, "/rules", {"name": "Sneaky", "payee": "x", "category_id": category}
    )
    assert refused.status_code == 422
    assert "no such item in this household" in text(refused)
    assert rules(home) == []


def test_editing_a_rule_and_a_refused_edit(browser: TestClient, home: Household) -> None:
    rule = new_rule(home, "Coffee", "starbucks")
    form = page(browser, f"/rules/{rule}")
    assert 'value="starbucks"' in form
    assert f'action="/rules/{rule}"' in form
    saved = post_form(
        browser,
        f"/rules/{rule}",
        {"name": "Coffee shops", "payee_op": "starts_with", "payee": "sbux", "set_memo": "Coffee"},
    )
    assert saved.status_code == 303
    (stored,) = rules(home)
    assert stored["name"] == "Coffee shops"
    assert stored["enabled"] is False
    assert stored["conditions"] == [{"field": "payee", "op": "starts_with", "value": "sbux"}]
    assert stored["actions"] == {"memo": "Coffee"}

    refused = post_form(
        browser,
        f"/rules/{rule}",
        {"name": "Broken", "payee_op": "regex", "payee": "[", "set_memo": "x", "enabled": "on"},
    )
    assert refused.status_code == 422
    assert "not a regular expression" in text(refused)
    assert 'value="Broken"' in refused.text  # what was typed comes back
    assert rules(home) == [stored]


def test_conditions_the_form_cannot_show_are_kept(browser: TestClient, home: Household) -> None:
    body = {
        "name": "Two payees",
        "conditions": [
            {"field": "payee", "op": "contains", "value": "shell"},
            {"field": "payee", "op": "ends_with", "value": "fuel"},
        ],
        "actions": {"memo": "Fuel"},
    }
    rule = home.ok(home.client.post("/api/v1/rules", headers=home.headers, json=body))["id"]
    form = page(browser, f"/rules/{rule}")
    assert "Payee ends with “fuel”" in form
    saved = post_form(
        browser,
        f"/rules/{rule}",
        {"name": "Shell", "payee": "shell station", "set_memo": "Fuel", "enabled": "on"},
    )
    assert saved.status_code == 303
    assert rules(home)[0]["conditions"] == [
        {"field": "payee", "op": "contains", "value": "shell station"},
        {"field": "payee", "op": "ends_with", "value": "fuel"},
    ]


# --- order, switching, deleting ---------------------------------------------------------


def test_moving_rules_up_and_down_changes_their_order(browser: TestClient, home: Household) -> None:
    first, second, third = (new_rule(home, n, n.lower()) for n in ("One", "Two", "Three"))
    assert [r["id"] for r in rules(home)] == [first, second, third]
    listing = page(browser, "/rules")
    assert listing.index("One") < listing.index("Two") < listing.index("Three")

    assert post_form(browser, f"/rules/{third}/move", {"direction": "up"}).status_code == 303
    assert [r["id"] for r in rules(home)] == [first, third, second]
    assert "“Three” is now rule 2 of 3." in page(browser, "/rules")
    assert post_form(browser, f"/rules/{first}/move", {"direction": "down"}).status_code == 303
    assert [r["id"] for r in rules(home)] == [third, first, second]
    # Already first: nothing changes.
    assert post_form(browser, f"/rules/{third}/move", {"direction": "up"}).status_code == 303
    assert [r["id"] for r in rules(home)] == [third, first, second]
    listing = page(browser, "/rules")
    assert "“Three” is already first." in listing
    assert listing.index("Three") < listing.index("One") < listing.index("Two")


def test_switching_a_rule_off_and_on_and_deleting_it(browser: TestClient, home: Household) -> None:
    rule = new_rule(home, "Gym", "gym")
    assert post_form(browser, f"/rules/{rule}/enabled", {"enabled": "no"}).status_code == 303
    assert rules(home)[0]["enabled"] is False
    listing = page(browser, "/rules")
    assert "“Gym” is off" in listing
    assert "Switch on" in listing
    assert post_form(browser, f"/rules/{rule}/enabled", {"enabled": "yes"}).status_code == 303
    assert rules(home)[0]["enabled"] is True
    assert post_form(browser, f"/rules/{rule}/delete").status_code == 303
    assert rules(home) == []


# --- matches -----------------------------------------------------------------------------


def test_the_matches_view_lists_exactly_what_the_rule_matches(
    browser: TestClient, home: Household
) -> None:
    account = home.account("Everyday", currency="EUR")
    txn(home, account, "-12.00", "TESCO STORES 123", "2026-03-01")
    txn(home, account, "-5.25", "Tesco Express", "2026-03-09")
    txn(home, account, "-20.00", "ALDI SUED", "2026-03-05")
    txn(home, account, "30.00", "TESCO REFUND", "2026-03-07")
    body = {
        "name": "Tesco spending",
        "conditions": [
            {"field": "payee", "op": "contains", "value": "tesco"},
            {"field": "amount", "op": "between", "max": "0"},
        ],
        "actions": {"memo": "Groceries"},
    }
    rule = home.ok(home.client.post("/api/v1/rules", headers=home.headers, json=body))["id"]
    expected = home.ok(
        home.client.get(
            f"/api/v1/rules/{rule}/matches", headers=home.headers, params={"limit": 200}
        ),
        200,
    )
    assert [m["payee"] for m in expected["items"]] == ["Tesco Express", "TESCO STORES 123"]

    html = page(browser, f"/rules/{rule}/matches")
    rows = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr>")[1:]
    assert len(rows) == len(expected["items"])
    for row, match in zip(rows, expected["items"], strict=True):
        assert match["payee"] in row
        assert "€" in row
        assert match["amount"].lstrip("-") in row
    assert "ALDI" not in html
    assert "TESCO REFUND" not in html
    assert "2 transactions match" in html
    assert 'href="/rules" aria-current="page"' in html


def test_the_preview_shows_matches_of_unsaved_conditions_and_saves_nothing(
    browser: TestClient, home: Household
) -> None:
    account = home.account()
    txn(home, account, "-3.00", "Blue Bottle Coffee")
    txn(home, account, "-4.00", "Corner Bakery")
    preview = post_form(
        browser, "/rules/test", {"name": "Coffee", "payee_op": "regex", "payee": "bottle|bean"}
    )
    assert preview.status_code == 200
    html = text(preview)
    table = html.split('id="rule-preview"', 1)[1]
    assert "Blue Bottle Coffee" in table
    assert "Corner Bakery" not in table
    assert 'value="bottle|bean"' in html  # the form keeps what was typed
    assert rules(home) == []

    refused = post_form(
        browser, "/rules/test", {"name": "Coffee", "payee_op": "regex", "payee": "("}
    )
    assert refused.status_code == 422
    assert "not a regular expression" in text(refused)
    assert 'id="rule-preview"' not in refused.text


# --- who may do what ---------------------------------------------------------------------


@pytest.fixture
def viewer(app: Any, client: TestClient, alice: ApiUser, bob: ApiUser) -> Iterator[TestClient]:
    """Bob's browser, a viewer in Alice's household and switched to it."""
    tenant = alice.personal_tenant_id
    invitation = client.post(
        f"/api/v1/tenants/{tenant}/invitations", headers=alice.headers, json={"role": "viewer"}
    ).json()
    token = str(invitation["url"]).rsplit("/", 1)[-1]
    accepted = client.post(f"/api/v1/invitations/{token}/accept", headers=bob.headers)
    assert accepted.status_code == 200, accepted.text
    with TestClient(app, raise_server_exceptions=False) as other:
        sign_in(other, bob)
        assert post_form(other, "/tenants/switch", {"tenant_id": tenant}).status_code == 303
        yield other


def test_a_viewer_sees_rules_and_matches_read_only_and_every_post_is_refused(
    viewer: TestClient, home: Household
) -> None:
    account = home.account()
    txn(home, account, "-9.99", "Netflix")
    rule = new_rule(home, "Streaming", "netflix")
    new_rule(home, "Music", "spotify")
    before = rules(home)

    listing = page(viewer, "/rules")
    assert "Streaming" in listing
    assert "Show matches" in listing
    assert "you can look at the rules" in listing
    assert 'method="post"' not in listing.split("<main", 1)[1]
    assert "Add a rule" not in listing
    assert 'method="post"' not in page(viewer, f"/rules/{rule}").split("<main", 1)[1]
    assert "Netflix" in page(viewer, f"/rules/{rule}/matches")
    assert viewer.get("/rules/new", headers=HTML).status_code == 403

    for action, data in [
        ("/rules", {"name": "Mine", "payee": "x", "set_memo": "x"}),
        ("/rules/test", {"name": "Mine", "payee": "x"}),
        (f"/rules/{rule}", {"name": "Mine", "payee": "x", "set_memo": "x"}),
        (f"/rules/{rule}/move", {"direction": "down"}),
        (f"/rules/{rule}/enabled", {"enabled": "no"}),
        (f"/rules/{rule}/delete", {}),
    ]:
        assert post_form(viewer, action, data).status_code == 403, action
    assert rules(home) == before


def test_another_households_rules_are_not_found(
    browser: TestClient, home: Household, client: TestClient, bob: ApiUser
) -> None:
    theirs = Household(client, bob)
    rule = new_rule(theirs, "Bobs hidden rule", "secret")
    before = rules(theirs)
    for path in (f"/rules/{rule}", f"/rules/{rule}/matches"):
        assert browser.get(path, headers=HTML).status_code == 404, path
    for action, data in [
        (f"/rules/{rule}", {"name": "Mine", "payee": "x", "set_memo": "x"}),
        ("/rules/test", {"rule_id": rule, "name": "Mine", "payee": "x"}),
        (f"/rules/{rule}/move", {"direction": "up"}),
        (f"/rules/{rule}/enabled", {"enabled": "no"}),
        (f"/rules/{rule}/delete", {}),
    ]:
        assert post_form(browser, action, data).status_code == 404, action
    assert rules(theirs) == before
    assert "Bobs hidden rule" not in page(browser, "/rules")
