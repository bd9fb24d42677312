"""The categories, tags and merchants pages as a browser uses them, on SQLite and
PostgreSQL: forms that change the household, forms refused with 422 that change
nothing, merge and delete moving transactions, read-only viewers, other households."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ApiUser
from tests.pages import HTML, post_form, sign_in, text


def ok(response: Any, status: int | None = None) -> Any:
    expected = (status,) if status else (200, 201, 204)
    assert response.status_code in expected, response.text
    return response.json() if response.content else None


class Api:
    """Alice's household through the REST API (to set up and to check)."""

    def __init__(self, client: TestClient, user: ApiUser) -> None:
        self.client, self.user = client, user

    def get(self, path: str) -> Any:
        return ok(self.client.get("/api/v1" + path, headers=self.user.headers), 200)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return ok(self.client.post("/api/v1" + path, headers=self.user.headers, json=body))

    def categories(self) -> list[dict[str, Any]]:
        return list(self.get("/categories"))

    def category(self, name: str, parent: str | None = None) -> dict[str, Any]:
        found = [
            c
            for c in self.categories()
            if c["name"] == name and (parent is None or c["parent_id"] == parent)
        ]
        assert len(found) == 1, found
        return found[0]

    def new_category(self, name: str, kind: str = "expense", parent: str | None = None) -> str:
        body: dict[str, Any] = {"name": name, "kind": kind}
        if parent:
            body["parent_id"] = parent
        return str(self.post("/categories", body)["id"])

    def account(self) -> str:
        body = {"name": "Checking", "type": "checking", "currency": "EUR"}
        return str(self.post("/accounts", body)["id"])

    def txn(self, account: str, amount: str, payee: str, category: str | None = None) -> str:
        body: dict[str, Any] = {
            "account_id": account,
            "posted_on": "2026-03-15",
            "amount": amount,
            "payee": payee,
        }
        if category:
            body["category_id"] = category
        return str(self.post("/transactions", body)["id"])

    def category_of(self, txn_id: str) -> str | None:
        found = self.get(f"/transactions/{txn_id}")["category_id"]
        return str(found) if found else None


@pytest.fixture
def api(client: TestClient, alice: ApiUser) -> Api:
    return Api(client, alice)


@pytest.fixture
def browser(client: TestClient, alice: ApiUser) -> TestClient:
    return sign_in(client, alice)


def page(client: TestClient, path: str) -> str:
    response = client.get(path, headers=HTML)
    assert response.status_code == 200, response.text
    return text(response)


# --- the category tree -----------------------------------------------------------------


def test_the_page_shows_both_kinds_as_a_tree_with_colours_and_counts(
    browser: TestClient, api: Api
) -> None:
    account = api.account()
    groceries = api.category("Groceries")["id"]
    api.txn(account, "-12.50", "Market", groceries)
    api.txn(account, "-3.10", "Market", groceries)
    html = page(browser, "/categories")
    assert 'href="/categories" aria-current="page"' in html
    assert "Income" in html
    assert "Expenses" in html
    assert 'fill="#F9A825"' in html  # Food's colour, drawn as an SVG fill
    assert 'style="' not in html
    block = html.split(f'id="category-{groceries}"', 1)[1].split("</li>", 1)[0]
    assert "Groceries" in block
    assert "2 transactions" in block
    assert 'href="/merchants"' in html
    assert 'action="/categories"' in html
    assert 'action="/tags"' in html


def test_adding_a_category_and_a_subcategory_that_takes_its_parent_colour_and_kind(
    browser: TestClient, api: Api
) -> None:
    added = post_form(
        browser, "/categories", {"name": "Pets", "kind": "expense", "colour": "#123abc"}
    )
    assert added.status_code == 303
    pets = api.category("Pets")
    assert (pets["kind"], pets["colour"], pets["parent_id"]) == ("expense", "#123ABC", None)
    # kind says income, but a subcategory takes its parent's kind (and colour, by default)
    child = post_form(
        browser,
        "/categories",
        {
            "name": "Vet",
            "kind": "income",
            "parent_id": pets["id"],
            "colour": "#000000",
            "same_as_parent": "on",
        },
    )
    assert child.status_code == 303
    vet = api.category("Vet")
    assert (vet["kind"], vet["colour"], vet["parent_id"]) == ("expense", "#123ABC", pets["id"])
    assert "The category Vet is added." in page(browser, "/categories")


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": "Food", "kind": "expense"}, "a category with this name already exists here"),
        ({"name": "  ", "kind": "expense"}, "Name: must not be empty"),
        ({"name": "Shiny", "kind": "expense", "colour": "blue"}, "use a colour like #1E88E5"),
        ({"name": "Shiny", "kind": "sideways"}, "choose income or expense"),
        ({"name": "Shiny", "kind": "expense", "parent_id": "nope"}, "Parent: choose one"),
    ],
)
def test_a_refused_category_shows_the_error_and_writes_nothing(
    browser: TestClient, api: Api, form: dict[str, str], message: str
) -> None:
    before = api.categories()
    refused = post_form(browser, "/categories", form)
    assert refused.status_code == 422
    assert message in text(refused)
    assert 'aria-invalid="true"' in refused.text
    assert api.categories() == before


def test_editing_renames_recolours_and_moves_a_category(browser: TestClient, api: Api) -> None:
    coffee = api.category("Coffee & snacks")
    leisure = api.category("Leisure")["id"]
    html = page(browser, f"/categories/{coffee['id']}")
    assert 'type="color"' in html
    assert "Merge into" in html
    saved = post_form(
        browser,
        f"/categories/{coffee['id']}",
        {"name": "Cafés", "kind": "expense", "parent_id": leisure, "colour": "#AA3300"},
    )
    assert saved.status_code == 303
    changed = api.category("Cafés")
    assert (changed["parent_id"], changed["colour"]) == (leisure, "#AA3300")


def test_a_refused_edit_changes_nothing(browser: TestClient, api: Api) -> None:
    rent = api.category("Rent")
    refused = post_form(
        browser,
        f"/categories/{rent['id']}",
        {"name": "Mortgage payments", "kind": "expense", "parent_id": rent["parent_id"]},
    )
    assert refused.status_code == 422
    assert "a category with this name already exists here" in text(refused)
    assert api.category("Rent") == rent


# --- merge and delete ------------------------------------------------------------------


def test_merge_asks_first_then_moves_transactions_splits_and_subcategories(
    browser: TestClient, api: Api
) -> None:
    account = api.account()
    source = api.new_category("Eating out")
    child = api.new_category("Lunch", parent=source)
    target = api.category("Food")["id"]
    on_source = api.txn(account, "-20.00", "Bistro", source)
    on_child = api.txn(account, "-8.00", "Deli", child)
    split = api.post(
        "/transactions",
        {
            "account_id": account,
            "posted_on": "2026-03-16",
            "amount": "-30.00",
            "payee": "Mixed",
            "splits": [
                {"amount": "-10.00", "category_id": source},
                {"amount": "-20.00", "category_id": target},
            ],
        },
    )

    asked = post_form(browser, f"/categories/{source}/merge", {"target_id": target})
    assert asked.status_code == 200
    question = text(asked)
    assert "Merge Eating out into Food?" in question
    assert "3 transactions and split lines move to Food" in question
    assert "Lunch" in question
    assert api.category_of(on_source) == source  # nothing moved yet

    merged = post_form(
        browser, f"/categories/{source}/merge", {"target_id": target, "confirm": "yes"}
    )
    assert merged.status_code == 303
    assert api.category_of(on_source) == target
    assert api.category_of(on_child) == child
    assert api.category("Lunch")["parent_id"] == target
    assert source not in {c["id"] for c in api.categories()}
    lines = api.get(f"/transactions/{split['id']}")["splits"]
    assert {line["category_id"] for line in lines} == {target}
    assert "Eating out is merged into Food" in page(browser, "/categories")


def test_a_refused_merge_changes_nothing(browser: TestClient, api: Api) -> None:
    account = api.account()
    groceries = api.category("Groceries")["id"]
    salary = api.category("Salary")["id"]
    txn = api.txn(account, "-5.00", "Market", groceries)
    before = api.categories()
    refused = post_form(
        browser, f"/categories/{groceries}/merge", {"target_id": salary, "confirm": "yes"}
    )
    assert refused.status_code == 422
    assert "must be an expense category" in text(refused)
    assert api.categories() == before
    assert api.category_of(txn) == groceries


def test_delete_moves_transactions_to_the_category_chosen(browser: TestClient, api: Api) -> None:
    account = api.account()
    takeaway = api.category("Takeaway")["id"]
    restaurants = api.category("Restaurants")["id"]
    txn = api.txn(account, "-15.00", "Pizza", takeaway)
    asked = post_form(browser, f"/categories/{takeaway}/delete", {"reassign_to": restaurants})
    assert asked.status_code == 200
    assert "Delete Takeaway?" in text(asked)
    assert api.category_of(txn) == takeaway
    deleted = post_form(
        browser,
        f"/categories/{takeaway}/delete",
        {"reassign_to": restaurants, "confirm": "yes"},
    )
    assert deleted.status_code == 303
    assert api.category_of(txn) == restaurants
    assert takeaway not in {c["id"] for c in api.categories()}
    assert "Takeaway is deleted; 1 transaction moved to Restaurants." in page(
        browser, "/categories"
    )


def test_delete_can_leave_transactions_uncategorised(browser: TestClient, api: Api) -> None:
    account = api.account()
    gifts = api.category("Gifts")["id"]
    txn = api.txn(account, "-40.00", "Toy shop", gifts)
    deleted = post_form(
        browser, f"/categories/{gifts}/delete", {"reassign_to": "", "confirm": "yes"}
    )
    assert deleted.status_code == 303
    assert api.category_of(txn) is None
    assert gifts not in {c["id"] for c in api.categories()}


def test_deleting_a_parent_without_a_target_is_refused(browser: TestClient, api: Api) -> None:
    food = api.category("Food")["id"]
    before = api.categories()
    refused = post_form(browser, f"/categories/{food}/delete", {"confirm": "yes"})
    assert refused.status_code == 422
    assert "Food has subcategories" in text(refused)
    assert api.categories() == before


# --- tags ------------------------------------------------------------------------------


def test_tags_are_added_renamed_and_deleted(browser: TestClient, api: Api) -> None:
    assert browser.get("/tags", follow_redirects=False).headers["location"] == "/categories#tags"
    assert post_form(browser, "/tags", {"tag_name": "Holiday"}).status_code == 303
    tag = api.get("/tags")[0]
    account = api.account()
    api.post(
        "/transactions",
        {
            "account_id": account,
            "posted_on": "2026-03-15",
            "amount": "-9.00",
            "tag_ids": [tag["id"]],
        },
    )
    html = page(browser, "/categories")
    row = html.split(f'id="tag-{tag["id"]}"', 1)[1].split("</tr>", 1)[0]
    assert "Holiday" in row
    assert "1 transaction" in row

    assert post_form(browser, f"/tags/{tag['id']}", {"name": "Trip"}).status_code == 303
    assert [t["name"] for t in api.get("/tags")] == ["Trip"]
    assert post_form(browser, f"/tags/{tag['id']}/delete").status_code == 303
    assert api.get("/tags") == []


def test_refused_tag_forms_write_nothing(browser: TestClient, api: Api) -> None:
    post_form(browser, "/tags", {"tag_name": "Work"})
    post_form(browser, "/tags", {"tag_name": "Home"})
    before = api.get("/tags")
    duplicate = post_form(browser, "/tags", {"tag_name": "work"})
    assert duplicate.status_code == 422
    assert "a tag with this name already exists" in text(duplicate)
    empty = post_form(browser, "/tags", {"tag_name": ""})
    assert empty.status_code == 422
    home = next(t for t in before if t["name"] == "Home")
    clash = post_form(browser, f"/tags/{home['id']}", {"name": "WORK"})
    assert clash.status_code == 422
    assert "a tag with this name already exists" in text(clash)
    assert 'value="WORK"' in clash.text
    assert api.get("/tags") == before


# --- merchants -------------------------------------------------------------------------


def test_merchants_with_aliases_rename_and_delete(browser: TestClient, api: Api) -> None:
    account = api.account()
    api.txn(account, "-4.20", "SQ *BLUE BOTTLE COFFEE 0423")
    html = page(browser, "/merchants")
    assert "Blue Bottle Coffee" in html
    assert 'href="/categories" aria-current="page"' in html

    added = post_form(
        browser,
        "/merchants/aliases",
        {"pattern": "AMZN MKTP", "match": "contains", "merchant": "Amazon"},
    )
    assert added.status_code == 303
    alias = api.get("/merchant-aliases")[0]
    assert (alias["pattern"], alias["match"], alias["merchant_name"]) == (
        "AMZN MKTP",
        "contains",
        "Amazon",
    )
    merchant = alias["merchant_id"]
    assert "contains “AMZN MKTP”" in page(browser, "/merchants")

    assert post_form(browser, f"/merchants/{merchant}", {"name": "Amazon EU"}).status_code == 303
    on_page = page(browser, f"/merchants/{merchant}")
    assert "Amazon EU" in on_page
    assert "AMZN MKTP" in on_page

    more = post_form(
        browser, f"/merchants/{merchant}/aliases", {"pattern": "^AMAZON\\.", "match": "regex"}
    )
    assert more.status_code == 303
    aliases = api.get("/merchant-aliases")
    assert {a["pattern"] for a in aliases} == {"AMZN MKTP", "^AMAZON\\."}
    removed = post_form(browser, f"/merchants/aliases/{alias['id']}/delete")
    assert removed.status_code == 303
    assert {a["pattern"] for a in api.get("/merchant-aliases")} == {"^AMAZON\\."}

    assert post_form(browser, f"/merchants/{merchant}/delete").status_code == 303
    assert merchant not in {m["id"] for m in api.get("/merchants")}
    assert api.get("/merchant-aliases") == []


def test_refused_merchant_forms_write_nothing(browser: TestClient, api: Api) -> None:
    account = api.account()
    api.txn(account, "-1.00", "Tesco")
    api.txn(account, "-1.00", "Aldi")
    merchants = api.get("/merchants")
    tesco = next(m for m in merchants if m["name"] == "Tesco")

    bad_regex = post_form(
        browser,
        "/merchants/aliases",
        {"pattern": "TESCO(", "match": "regex", "merchant": "Brand new shop"},
    )
    assert bad_regex.status_code == 422
    assert "not a regular expression" in text(bad_regex)
    no_merchant = post_form(browser, "/merchants/aliases", {"pattern": "X", "match": "contains"})
    assert no_merchant.status_code == 422
    clash = post_form(browser, f"/merchants/{tesco['id']}", {"name": "aldi"})
    assert clash.status_code == 422
    assert "a merchant with this name already exists" in text(clash)
    nested = post_form(
        browser, f"/merchants/{tesco['id']}/aliases", {"pattern": "(a+)+", "match": "regex"}
    )
    assert nested.status_code == 422
    assert "nested repetition" in text(nested)
    assert api.get("/merchants") == merchants  # "Brand new shop" was not created either
    assert api.get("/merchant-aliases") == []


def test_merging_merchants_asks_first_then_moves_transactions_and_aliases(
    browser: TestClient, api: Api
) -> None:
    account = api.account()
    first = api.txn(account, "-4.20", "POS STARBUCKS #1234")
    second = api.txn(account, "-3.10", "Coffee Republic")
    merchants = {m["name"]: m["id"] for m in api.get("/merchants")}
    starbucks, republic = merchants["Starbucks"], merchants["Coffee Republic"]
    api.post("/merchant-aliases", {"pattern": "SBUX", "match": "contains", "merchant": "Starbucks"})

    unknown = post_form(browser, f"/merchants/{starbucks}/merge", {"target": "Nobody"})
    assert unknown.status_code == 422
    assert "no merchant of this name" in text(unknown)
    itself = post_form(browser, f"/merchants/{starbucks}/merge", {"target": "starbucks"})
    assert itself.status_code == 422
    assert "choose a different merchant" in text(itself)

    asked = post_form(browser, f"/merchants/{starbucks}/merge", {"target": "coffee republic"})
    assert asked.status_code == 200
    question = text(asked)
    assert "Merge Starbucks into Coffee Republic?" in question
    assert "1 transaction and 1 alias move to Coffee Republic" in question
    assert {m["id"] for m in api.get("/merchants")} == {starbucks, republic}  # nothing yet

    done = post_form(
        browser,
        f"/merchants/{starbucks}/merge",
        {"target": "Coffee Republic", "confirm": "yes"},
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/merchants/{republic}"
    assert [m["id"] for m in api.get("/merchants")] == [republic]
    for txn in (first, second):
        assert api.get(f"/transactions/{txn}")["merchant_id"] == republic
    aliases = {(a["pattern"], a["match"], a["merchant_id"]) for a in api.get("/merchant-aliases")}
    assert aliases == {("SBUX", "contains", republic), ("Starbucks", "contains", republic)}
    assert "Starbucks is merged into Coffee Republic: 1 transaction moved." in page(
        browser, f"/merchants/{republic}"
    )


def test_merchant_merge_through_the_api(client: TestClient, api: Api, alice: ApiUser) -> None:
    account = api.account()
    txn = api.txn(account, "-9.99", "Netflix.com")
    api.txn(account, "-9.99", "NETFLIX")
    merchants = {m["name"]: m["id"] for m in api.get("/merchants")}
    source, target = merchants["Netflix.com"], merchants["Netflix"]
    merged = api.post(f"/merchants/{source}/merge", {"target_id": target})
    assert merged == {
        "merchant": {"id": target, "name": "Netflix"},
        "transactions": 1,
        "aliases": 0,
        "new_alias": "Netflix.com",
    }
    assert api.get(f"/transactions/{txn}")["merchant_id"] == target
    # Gone now: merging it again is a 404, and merging into itself a 422.
    gone = client.post(
        f"/api/v1/merchants/{source}/merge", headers=alice.headers, json={"target_id": target}
    )
    assert gone.status_code == 404
    same = client.post(
        f"/api/v1/merchants/{target}/merge", headers=alice.headers, json={"target_id": target}
    )
    assert same.status_code == 422
    assert same.json()["errors"][0]["field"] == "target_id"


# --- who may do what -------------------------------------------------------------------


@pytest.fixture
def viewer(app: Any, client: TestClient, alice: ApiUser, bob: ApiUser) -> Iterator[TestClient]:
    """Bob's browser, a viewer in Alice's household and switched to it."""
    tenant = alice.personal_tenant_id
    invitation = ok(
        client.post(
            f"/api/v1/tenants/{tenant}/invitations", headers=alice.headers, json={"role": "viewer"}
        )
    )
    token = str(invitation["url"]).rsplit("/", 1)[-1]
    ok(client.post(f"/api/v1/invitations/{token}/accept", headers=bob.headers), 200)
    with TestClient(app, raise_server_exceptions=False) as other:
        sign_in(other, bob)
        assert post_form(other, "/tenants/switch", {"tenant_id": tenant}).status_code == 303
        yield other


def test_a_viewer_sees_everything_read_only_and_every_post_is_refused(
    viewer: TestClient, api: Api
) -> None:
    food = api.category("Food")["id"]
    tag = api.post("/tags", {"name": "Holiday"})["id"]
    api.post("/merchant-aliases", {"pattern": "AMZN", "merchant": "Amazon"})
    merchant = api.get("/merchants")[0]["id"]
    before = (api.categories(), api.get("/tags"), api.get("/merchant-aliases"))

    listing = page(viewer, "/categories")
    assert "Groceries" in listing
    assert "Holiday" in listing
    assert "you can look at the categories and tags, but not change them" in listing
    for form_action in ('action="/categories"', 'action="/tags"', "Rename"):
        assert form_action not in listing
    detail = page(viewer, f"/categories/{food}")
    assert "Merge into" not in detail
    assert f'action="/categories/{food}' not in detail
    merchants = page(viewer, "/merchants")
    assert "Amazon" in merchants
    assert 'action="/merchants/aliases"' not in merchants
    assert 'method="post"' not in page(viewer, f"/merchants/{merchant}").split("<main", 1)[1]

    for action, data in [
        ("/categories", {"name": "Mine", "kind": "expense"}),
        (f"/categories/{food}", {"name": "Mine"}),
        (f"/categories/{food}/merge", {"target_id": food, "confirm": "yes"}),
        (f"/categories/{food}/delete", {"confirm": "yes"}),
        ("/tags", {"tag_name": "Mine"}),
        (f"/tags/{tag}", {"name": "Mine"}),
        (f"/tags/{tag}/delete", {}),
        ("/merchants/aliases", {"pattern": "X", "merchant": "Y"}),
        (f"/merchants/{merchant}", {"name": "Mine"}),
        (f"/merchants/{merchant}/delete", {}),
    ]:
        assert post_form(viewer, action, data).status_code == 403, action
    assert (api.categories(), api.get("/tags"), api.get("/merchant-aliases")) == before


def test_another_households_categories_tags_and_merchants_are_not_found(
    browser: TestClient, client: TestClient, bob: ApiUser, api: Api
) -> None:
    theirs = Api(client, bob)
    category = theirs.category("Food")["id"]
    other = theirs.category("Groceries")["id"]
    tag = theirs.post("/tags", {"name": "Secret"})["id"]
    alias = theirs.post("/merchant-aliases", {"pattern": "BOBS", "merchant": "Bob's shop"})
    merchant = alias["merchant_id"]
    before = (theirs.categories(), theirs.get("/tags"), theirs.get("/merchant-aliases"))

    for path in (f"/categories/{category}", f"/merchants/{merchant}"):
        assert browser.get(path, headers=HTML).status_code == 404, path
    for action, data in [
        (f"/categories/{category}", {"name": "Mine", "kind": "expense"}),
        (f"/categories/{other}/merge", {"target_id": category, "confirm": "yes"}),
        (f"/categories/{category}/delete", {"confirm": "yes"}),
        (f"/tags/{tag}", {"name": "Mine"}),
        (f"/tags/{tag}/delete", {}),
        (f"/merchants/{merchant}", {"name": "Mine"}),
        (f"/merchants/{merchant}/aliases", {"pattern": "x"}),
        (f"/merchants/aliases/{alias['id']}/delete", {}),
        (f"/merchants/{merchant}/delete", {}),
    ]:
        assert post_form(browser, action, data).status_code == 404, action
    # Their category as the target of a merge of Alice's own one: not found, not merged.
    mine = api.category("Groceries")["id"]
    refused = post_form(
        browser, f"/categories/{mine}/merge", {"target_id": category, "confirm": "yes"}
    )
    assert refused.status_code == 422
    assert "No category with this id in this household" in text(refused)
    assert mine in {c["id"] for c in api.categories()}
    assert (theirs.categories(), theirs.get("/tags"), theirs.get("/merchant-aliases")) == before
    assert "Secret" not in page(browser, "/categories")
    assert "Bob's shop" not in page(browser, "/merchants")
