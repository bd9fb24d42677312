"""Transaction pages as a browser uses them: the register, search and saved filters,
bulk actions, the transaction and transfer forms, and who may see or change what."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from coffer.ledger import pages_transactions
from tests.conftest import ApiUser, register
from tests.pages import HTML, post_form, sign_in, text

ROW = re.compile(r'<tr data-txn="([0-9a-f-]{36})"(?: data-balance="([^"]*)")?>')


# --- helpers ---------------------------------------------------------------------------


def _api(client: TestClient, user: ApiUser, method: str, path: str, **body: Any) -> Any:
    response = client.request(method, f"/api/v1{path}", headers=user.headers, json=body or None)
    assert response.status_code in (200, 201), response.text
    return response.json()


def _account(client: TestClient, user: ApiUser, name: str = "Checking", **kw: Any) -> str:
    body = {"name": name, "type": "checking", "currency": "EUR", "opening_on": "2026-01-01"}
    body.update(kw)
    return str(_api(client, user, "POST", "/accounts", **body)["id"])


def _txn(client: TestClient, user: ApiUser, account_id: str, amount: str, **kw: Any) -> str:
    body = {"account_id": account_id, "posted_on": "2026-03-15", "amount": amount, **kw}
    return str(_api(client, user, "POST", "/transactions", **body)["id"])


def _category(client: TestClient, user: ApiUser, name: str, kind: str = "expense") -> str:
    """A new category (the names are unlike the default ones a household starts with)."""
    return str(_api(client, user, "POST", "/categories", name=f"{name} (test)", kind=kind)["id"])


def _tag(client: TestClient, user: ApiUser, name: str) -> str:
    return str(_api(client, user, "POST", "/tags", name=name)["id"])


def _get_txn(client: TestClient, user: ApiUser, txn_id: str) -> dict[str, Any]:
    return dict(_api(client, user, "GET", f"/transactions/{txn_id}"))


def _all(client: TestClient, user: ApiUser, account_id: str) -> list[dict[str, Any]]:
    page = _api(client, user, "GET", f"/accounts/{account_id}/register?limit=500")
    return list(page["items"])


def _rows(html: str) -> list[tuple[str, str | None]]:
    return [(m.group(1), m.group(2)) for m in ROW.finditer(html)]


def _get(client: TestClient, path: str) -> Any:
    return client.get(path, headers=HTML)


@pytest.fixture
def browser(client: TestClient, alice: ApiUser) -> TestClient:
    return sign_in(client, alice)


def _form(account_id: str, amount: str = "12.50", **extra: str) -> dict[str, str]:
    data = {
        "account_id": account_id,
        "posted_on": "2026-04-02",
        "direction": "expense",
        "amount": amount,
        "payee": "Corner Bakery",
        "status": "pending",
    }
    data.update(extra)
    return data


# --- the register ----------------------------------------------------------------------


def test_register_running_balances_match_the_service_and_pages_walk_every_row_once(
    browser: TestClient, alice: ApiUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = _account(browser, alice, opening_balance="100.00")
    amounts = ["-12.30", "250", "-0.99", "-40.10", "7.77", "-3", "18.25"]
    for day, amount in enumerate(amounts, start=1):
        _txn(browser, alice, account, amount, posted_on=f"2026-02-{day:02d}")
    _txn(browser, alice, account, "-5.55", posted_on="2026-02-03")  # two on one day
    monkeypatch.setattr(pages_transactions, "PAGE_SIZE", 3)
    expected = {row["id"]: row["running_balance"] for row in _all(browser, alice, account)}

    first = _get(browser, f"/accounts/{account}")
    assert first.status_code == 200
    page_text = text(first)
    assert "Checking" in page_text
    assert "€314.08" in page_text  # balance: 100 + the sum of the amounts
    assert "Cleared balance" in page_text
    assert "€100.00" in page_text
    for href in ("/accounts/%s/reconcile", "/accounts/%s/edit"):
        assert href % account in first.text
    assert f"/transactions/new?account_id={account}" in first.text
    assert f"/transfers/new?account_id={account}" in first.text

    seen: list[str] = []
    response = first
    while True:
        rows = _rows(response.text)
        assert 0 < len(rows) <= 3
        for txn_id, balance in rows:
            assert balance == expected[txn_id]
        seen.extend(txn_id for txn_id, _ in rows)
        match = re.search(r'href="(/accounts/[^"]+\?cursor=[^"]+)"', response.text)
        if match is None:
            assert "That is every transaction" in response.text
            break
        response = _get(browser, match.group(1).replace("&amp;", "&"))
        assert response.status_code == 200
    assert seen == list(expected)  # newest first, each once

    # htmx asks for the rows alone, with the pager swapped out of band.
    cursor = re.search(r"\?cursor=([^\"&]+)", first.text)
    assert cursor
    more = browser.get(
        f"/accounts/{account}?cursor={cursor.group(1)}", headers={**HTML, "HX-Request": "true"}
    )
    assert "<html" not in more.text
    assert 'hx-swap-oob="true"' in more.text
    assert [r for r, _ in _rows(more.text)] == seen[3:6]


def test_register_shows_categories_tags_splits_and_base_currency(
    browser: TestClient, alice: ApiUser
) -> None:
    food = _category(browser, alice, "Food")
    _api(browser, alice, "PATCH", f"/categories/{food}", colour="#ff8800")
    trip = _tag(browser, alice, "trip")
    base = _api(browser, alice, "GET", "/accounts")  # no accounts yet: ask a new one
    card = _api(browser, alice, "POST", "/accounts", name="Travel card", type="checking",
                currency="JPY", opening_on="2026-01-01")  # fmt: skip
    assert card["base_currency"] != "JPY"
    assert base == []
    _api(browser, alice, "POST", "/fx-rates", rate_on="2026-03-01", base="JPY",
         quote=card["base_currency"], rate="0.5")  # fmt: skip
    _txn(browser, alice, card["id"], "-2000", payee="Diner", category_id=food, tag_ids=[trip],
         memo="Lunch with Sam")  # fmt: skip
    page = _get(browser, f"/accounts/{card['id']}")
    body = text(page)
    assert 'fill="#ff8800"' in page.text.lower()
    assert "#trip" in body
    assert "Lunch with Sam" in body
    assert "Diner" in body
    [cell] = re.findall(r'<td class="amount-cell num".*?</td>', body, re.S)
    assert "2,000" in cell
    assert "1,000.00" in cell


def test_register_of_another_household_is_not_found(
    client: TestClient, alice: ApiUser, bob: ApiUser
) -> None:
    account = _account(client, alice)
    txn = _txn(client, alice, account, "-1")
    sign_in(client, bob)
    assert _get(client, f"/accounts/{account}").status_code == 404
    assert _get(client, f"/transactions/{txn}/edit").status_code == 404
    assert post_form(client, f"/transactions/{txn}/delete").status_code == 404
    assert post_form(client, f"/transactions/{txn}/edit", _form(account)).status_code == 404
    bulk = post_form(client, "/transactions/bulk", [("ids", txn), ("action", "mark_cleared")])
    assert bulk.status_code == 422
    assert "no longer exist" in text(bulk)
    assert _get_txn(client, alice, txn)["status"] == "pending"


# --- search and saved filters ----------------------------------------------------------


def test_search_filters(browser: TestClient, alice: ApiUser) -> None:
    checking, savings = _account(browser, alice), _account(browser, alice, "Savings")
    food = _category(browser, alice, "Groceries")
    trip = _tag(browser, alice, "trip")
    bread = _txn(browser, alice, checking, "-4.20", payee="Bakery Bros", category_id=food,
                 posted_on="2026-01-10")  # fmt: skip
    rent = _txn(browser, alice, checking, "-900", payee="Landlord", posted_on="2026-02-01")
    refund = _txn(browser, alice, savings, "15", memo="Refund", tag_ids=[trip],
                  status="cleared", posted_on="2026-03-05")  # fmt: skip

    def found(query: str) -> set[str]:
        response = _get(browser, f"/transactions?{query}")
        assert response.status_code == 200, response.text
        return {r for r, _ in _rows(response.text)}

    assert found("") == {bread, rent, refund}
    assert found("text=bakery") == {bread}
    assert found("text=REFUND") == {refund}
    assert found("date_from=2026-01-15&date_to=2026-02-28") == {rent}
    assert found(f"account_ids={savings}") == {refund}
    assert found(f"category_ids={food}") == {bread}
    assert found(f"category_ids={food}&uncategorised=true") == {bread, rent, refund}
    assert found(f"tag_ids={trip}") == {refund}
    assert found("statuses=cleared") == {refund}
    assert found("amount_min=-10&amount_max=100") == {bread, refund}
    page = _get(browser, "/transactions")
    assert "€15.00" in text(page)

    bad = _get(browser, "/transactions?date_from=yesterday&amount_min=lots")
    assert bad.status_code == 422
    assert "Must be a date, like 2026-03-15." in text(bad)
    assert "Must be an amount, like 12.50." in text(bad)
    assert _rows(bad.text) == []


def test_saved_filter_create_use_and_delete(browser: TestClient, alice: ApiUser) -> None:
    account = _account(browser, alice)
    coffee = _txn(browser, alice, account, "-3.10", payee="Coffee Cart")
    _txn(browser, alice, account, "-30", payee="Books")

    saved = post_form(
        browser, "/transactions/saved-filters", [("text", "coffee"), ("name", "My coffee")]
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == "/transactions?text=coffee"
    page = _get(browser, "/transactions")
    link = re.search(r'<a class="saved-link" href="([^"]+)">My coffee</a>', page.text)
    assert link, page.text
    used = _get(browser, link.group(1).replace("&amp;", "&"))
    assert {r for r, _ in _rows(used.text)} == {coffee}
    assert 'value="coffee"' in used.text  # the form shows the filter in use

    again = post_form(
        browser, "/transactions/saved-filters", [("text", "coffee"), ("name", "my COFFEE")]
    )
    assert again.status_code == 422
    assert "already have a saved filter with this name" in text(again)
    listed = _api(browser, alice, "GET", "/saved-filters")
    assert [s["name"] for s in listed] == ["My coffee"]

    deleted = post_form(browser, f"/transactions/saved-filters/{listed[0]['id']}/delete")
    assert deleted.status_code == 303
    assert _api(browser, alice, "GET", "/saved-filters") == []
    assert 'class="saved-link"' not in _get(browser, "/transactions").text


# --- the transaction form --------------------------------------------------------------


def test_create_edit_and_delete_a_transaction_through_the_form(
    browser: TestClient, alice: ApiUser
) -> None:
    account = _account(browser, alice)
    food = _category(browser, alice, "Food")
    trip = _tag(browser, alice, "trip")
    form_page = _get(browser, f"/transactions/new?account_id={account}")
    assert form_page.status_code == 200
    assert f'<option value="{account}" data-currency="EUR"' in form_page.text

    created = post_form(
        browser,
        "/transactions/new",
        [*_form(account, category_id=food, memo="Bread").items(), ("tag_ids", trip)],
    )
    assert created.status_code == 303
    assert created.headers["location"] == f"/accounts/{account}"
    [row] = _all(browser, alice, account)
    assert (row["amount"], row["payee"], row["category_id"], row["tag_ids"], row["memo"]) == (
        "-12.50",
        "Corner Bakery",
        food,
        [trip],
        "Bread",
    )

    edit = _get(browser, f"/transactions/{row['id']}/edit")
    assert edit.status_code == 200
    assert 'value="12.50"' in edit.text
    assert 'value="Corner Bakery"' in edit.text
    changed = post_form(
        browser,
        f"/transactions/{row['id']}/edit",
        _form(account, "40", direction="income", payee="Refund", status="cleared"),
    )
    assert changed.status_code == 303
    after = _get_txn(browser, alice, row["id"])
    assert (after["amount"], after["payee"], after["status"], after["tag_ids"]) == (
        "40.00",
        "Refund",
        "cleared",
        [],
    )
    assert after["category_id"] is None

    gone = post_form(browser, f"/transactions/{row['id']}/delete")
    assert gone.status_code == 303
    assert _all(browser, alice, account) == []


def test_bad_input_answers_422_with_field_errors_and_writes_nothing(
    browser: TestClient, alice: ApiUser
) -> None:
    account = _account(browser, alice)
    food = _category(browser, alice, "Food")
    bad = post_form(browser, "/transactions/new", _form(account, "12.345", posted_on="soon"))
    assert bad.status_code == 422
    assert "Must be a date, like 2026-03-15." in text(bad)
    assert "Must have at most 2 decimal places" in text(bad) or "12.345" in text(bad)
    unbalanced = post_form(
        browser,
        "/transactions/new",
        [
            *_form(account, "30").items(),
            ("split_category", food),
            ("split_amount", "20"),
            ("split_memo", ""),
            ("split_category", ""),
            ("split_amount", "5"),
            ("split_memo", ""),
        ],
    )
    assert unbalanced.status_code == 422
    body = text(unbalanced)
    assert "The lines add up to -25.00 EUR but the transaction is -30.00 EUR" in body
    assert 'value="Corner Bakery"' in unbalanced.text  # what was typed comes back
    decimals = post_form(browser, "/transactions/new", _form(account, "1.999"))
    assert decimals.status_code == 422
    assert 'aria-invalid="true"' in decimals.text
    assert _all(browser, alice, account) == []
    assert _api(browser, alice, "GET", "/merchants") == []  # not even a merchant


def test_split_transaction_through_the_form(browser: TestClient, alice: ApiUser) -> None:
    account = _account(browser, alice)
    food, home = _category(browser, alice, "Food"), _category(browser, alice, "Home")
    created = post_form(
        browser,
        "/transactions/new",
        [
            *_form(account, "30", payee="Supermarket").items(),
            ("split_category", food),
            ("split_amount", "18.75"),
            ("split_memo", "Groceries"),
            ("split_category", home),
            ("split_amount", "11.25"),
            ("split_memo", ""),
            ("split_category", ""),
            ("split_amount", ""),
            ("split_memo", ""),
        ],
    )
    assert created.status_code == 303, text(created)
    [row] = _all(browser, alice, account)
    assert row["is_split"]
    assert row["amount"] == "-30.00"
    assert [(s["category_id"], s["amount"], s["memo"]) for s in row["splits"]] == [
        (food, "-18.75", "Groceries"),
        (home, "-11.25", None),
    ]
    register_page = text(_get(browser, f"/accounts/{account}"))
    assert "Split" in register_page
    assert "Food" in register_page
    assert "Home" in register_page
    edit = _get(browser, f"/transactions/{row['id']}/edit")
    assert 'value="18.75"' in edit.text
    assert 'value="11.25"' in edit.text


def test_reconciled_transaction_is_shown_locked_and_the_service_refusal_shown(
    browser: TestClient, alice: ApiUser
) -> None:
    account = _account(browser, alice)
    txn = _txn(browser, alice, account, "-10", status="cleared", posted_on="2026-02-01")
    rec = _api(browser, alice, "POST", f"/accounts/{account}/reconciliations",
               statement_on="2026-02-28", statement_balance="-10")  # fmt: skip
    _api(browser, alice, "POST", f"/accounts/{account}/reconciliations/{rec['id']}/finish")
    edit = _get(browser, f"/transactions/{txn}/edit")
    assert "This transaction is reconciled" in text(edit)
    assert "Delete transaction" not in edit.text
    # Forged: the amount changed anyway.
    refused = post_form(
        browser,
        f"/transactions/{txn}/edit",
        _form(account, "99", posted_on="2026-02-01", status="reconciled"),
    )
    assert refused.status_code == 422
    assert "locked" in text(refused)
    assert _get_txn(browser, alice, txn)["amount"] == "-10.00"
    # What stays editable still saves.
    ok = post_form(
        browser,
        f"/transactions/{txn}/edit",
        _form(account, "10", posted_on="2026-02-01", status="reconciled", memo="Checked"),
    )
    assert ok.status_code == 303, text(ok)
    assert _get_txn(browser, alice, txn)["memo"] == "Checked"


# --- transfers -------------------------------------------------------------------------


def test_transfer_in_one_currency(browser: TestClient, alice: ApiUser) -> None:
    checking, savings = _account(browser, alice), _account(browser, alice, "Savings")
    assert _get(browser, f"/transfers/new?account_id={checking}").status_code == 200
    done = post_form(
        browser,
        "/transfers/new",
        {
            "from_account_id": checking,
            "to_account_id": savings,
            "posted_on": "2026-03-01",
            "amount": "250",
            "memo": "Rainy day",
        },
    )
    assert done.status_code == 303, text(done)
    [sent] = _all(browser, alice, checking)
    [received] = _all(browser, alice, savings)
    assert (sent["amount"], received["amount"]) == ("-250.00", "250.00")
    page = _get(browser, f"/accounts/{checking}")
    assert "Transfer to" in text(page)
    assert f'href="/accounts/{savings}"' in page.text
    assert f"/transfers/{sent['transfer_id']}/edit" in page.text
    assert "Transfer from" in text(_get(browser, f"/accounts/{savings}"))

    # A transfer leg's edit link goes to the transfer form.
    leg = browser.get(f"/transactions/{sent['id']}/edit", headers=HTML, follow_redirects=False)
    assert leg.status_code == 303
    assert leg.headers["location"] == f"/transfers/{sent['transfer_id']}/edit"
    changed = post_form(
        browser,
        f"/transfers/{sent['transfer_id']}/edit",
        {"posted_on": "2026-03-02", "amount": "300", "memo": "More", "notes": ""},
    )
    assert changed.status_code == 303, text(changed)
    assert [r["amount"] for r in _all(browser, alice, savings)] == ["300.00"]
    assert _all(browser, alice, savings)[0]["memo"] == "More"

    same = post_form(
        browser,
        "/transfers/new",
        {"from_account_id": checking, "to_account_id": checking, "posted_on": "2026-03-01",
         "amount": "5"},
    )  # fmt: skip
    assert same.status_code == 422
    assert "Must be a different account" in text(same)

    gone = post_form(browser, f"/transfers/{sent['transfer_id']}/delete")
    assert gone.status_code == 303
    assert _all(browser, alice, checking) == []
    assert _all(browser, alice, savings) == []


def test_transfer_between_currencies_by_rate_or_amount_received(
    browser: TestClient, alice: ApiUser
) -> None:
    eur = _account(browser, alice)
    usd = _account(browser, alice, "Dollars", currency="USD")
    base = {"from_account_id": eur, "to_account_id": usd, "posted_on": "2026-03-01"}
    by_rate = post_form(browser, "/transfers/new", {**base, "amount": "100", "fx_rate": "1.0837"})
    assert by_rate.status_code == 303, text(by_rate)
    by_amount = post_form(browser, "/transfers/new", {**base, "amount": "100", "received": "108"})
    assert by_amount.status_code == 303, text(by_amount)
    received = sorted(r["amount"] for r in _all(browser, alice, usd))
    assert received == ["108.00", "108.37"]
    legs = _all(browser, alice, eur)
    assert {Decimal(r["fx_rate"]) for r in legs} == {Decimal("1.0837"), Decimal("1.08")}

    no_rate = post_form(browser, "/transfers/new", {**base, "amount": "100"})
    assert no_rate.status_code == 422
    assert "give the rate" in text(no_rate)
    mismatch = post_form(
        browser, "/transfers/new", {**base, "amount": "100", "fx_rate": "2", "received": "150"}
    )
    assert mismatch.status_code == 422
    assert "Does not match the amount sent at this rate" in text(mismatch), text(mismatch)[
        text(mismatch).find("<main") :
    ][:3000]
    assert len(_all(browser, alice, usd)) == 2

    # Changing the amount received of an existing transfer changes its rate.
    transfer_id = next(r["transfer_id"] for r in legs if r["fx_rate"] == "1.08")
    edit = _get(browser, f"/transfers/{transfer_id}/edit")
    assert "Amount received" in edit.text
    changed = post_form(
        browser,
        f"/transfers/{transfer_id}/edit",
        {"posted_on": "2026-03-01", "amount": "100.00", "received": "110.00", "fx_rate": "1.08"},
    )
    assert changed.status_code == 303, text(changed)
    assert sorted(r["amount"] for r in _all(browser, alice, usd)) == ["108.37", "110.00"]


# --- bulk actions ----------------------------------------------------------------------


def test_bulk_recategorise_tag_clear_and_delete(browser: TestClient, alice: ApiUser) -> None:
    account = _account(browser, alice)
    food = _category(browser, alice, "Food")
    trip = _tag(browser, alice, "trip")
    a, b, c = (_txn(browser, alice, account, f"-{n}") for n in (1, 2, 3))
    back = f"/accounts/{account}"
    page = _get(browser, back)
    assert 'action="/transactions/bulk"' in page.text
    assert 'name="ids"' in page.text

    def bulk(ids: list[str], **fields: str) -> Any:
        return post_form(
            browser, "/transactions/bulk", [("back", back), *(("ids", i) for i in ids),
                                            *fields.items()]
        )  # fmt: skip

    done = bulk([a, b], action="recategorise", category_id=food)
    assert done.status_code == 303
    assert done.headers["location"] == back
    assert "Changed the category of 2 transactions" in text(_get(browser, back))
    assert [_get_txn(browser, alice, t)["category_id"] for t in (a, b, c)] == [food, food, None]

    assert bulk([b, c], action="tag", tag_id=trip).status_code == 303
    assert [_get_txn(browser, alice, t)["tag_ids"] for t in (a, b, c)] == [[], [trip], [trip]]

    assert bulk([a, c], action="mark_cleared").status_code == 303
    assert [_get_txn(browser, alice, t)["status"] for t in (a, b, c)] == [
        "cleared",
        "pending",
        "cleared",
    ]

    missing_choice = bulk([a], action="recategorise")
    assert missing_choice.status_code == 422
    assert "Choose the new category" in text(missing_choice)
    nothing = bulk([], action="mark_cleared")
    assert nothing.status_code == 422
    assert "Select at least one" in text(nothing)

    confirm = bulk([a, b], action="delete")
    assert confirm.status_code == 200
    assert "Delete 2 transactions?" in text(confirm)
    assert len(_all(browser, alice, account)) == 3  # not yet
    deleted = bulk([a, b], action="delete", confirm="yes")
    assert deleted.status_code == 303
    assert [r["id"] for r in _all(browser, alice, account)] == [c]


def test_bulk_is_all_or_nothing_and_shows_the_service_error(
    browser: TestClient, alice: ApiUser
) -> None:
    account = _account(browser, alice)
    free = _txn(browser, alice, account, "-1", posted_on="2026-03-20")
    locked = _txn(browser, alice, account, "-10", status="cleared", posted_on="2026-02-01")
    rec = _api(browser, alice, "POST", f"/accounts/{account}/reconciliations",
               statement_on="2026-02-28", statement_balance="-10")  # fmt: skip
    _api(browser, alice, "POST", f"/accounts/{account}/reconciliations/{rec['id']}/finish")
    refused = post_form(
        browser,
        "/transactions/bulk",
        [("ids", free), ("ids", locked), ("action", "delete"), ("confirm", "yes")],
    )
    assert refused.status_code == 422
    assert "Reconciled transactions are locked" in text(refused)
    assert len(_all(browser, alice, account)) == 2


# --- roles -----------------------------------------------------------------------------


def _join_as_viewer(client: TestClient, owner: ApiUser, viewer: ApiUser) -> str:
    tenant_id = owner.personal_tenant_id
    invitation = _api(client, owner, "POST", f"/tenants/{tenant_id}/invitations", role="viewer")
    token = str(invitation["url"]).rsplit("/", 1)[-1]
    _api(client, viewer, "POST", f"/invitations/{token}/accept")
    return tenant_id


def test_viewer_sees_read_only_pages_and_posts_are_refused(
    client: TestClient, alice: ApiUser
) -> None:
    viewer = register(client, "vera@example.com", name="Vera Viewer")
    tenant_id = _join_as_viewer(client, alice, viewer)
    account = _account(client, alice)
    txn = _txn(client, alice, account, "-7", payee="Cinema")
    sign_in(client, viewer)
    assert post_form(client, "/tenants/switch", {"tenant_id": tenant_id}).status_code == 303

    register_page = _get(client, f"/accounts/{account}")
    assert register_page.status_code == 200
    assert "Cinema" in register_page.text
    search_page = _get(client, "/transactions")
    for page in (register_page, search_page):
        assert '<form method="post" action="/transactions/bulk"' not in page.text
        assert 'name="ids"' not in page.text
        assert "/transactions/new" not in page.text
    assert _get(client, "/transactions/new").status_code == 403
    assert _get(client, f"/transactions/{txn}/edit").status_code == 403
    assert _get(client, "/transfers/new").status_code == 403

    for action, data in [
        ("/transactions/new", _form(account)),
        (f"/transactions/{txn}/edit", _form(account)),
        (f"/transactions/{txn}/delete", {}),
        ("/transactions/bulk", {"ids": txn, "action": "delete", "confirm": "yes"}),
        ("/transfers/new", {"from_account_id": account, "to_account_id": account}),
    ]:
        assert post_form(client, action, data).status_code == 403, action
    assert len(_all(client, alice, account)) == 1

    # Saved filters are private, so a viewer keeps their own; the owner does not see it.
    assert "Save filter" in _get(client, "/transactions?text=cinema").text
    saved = post_form(client, "/transactions/saved-filters", {"text": "cinema", "name": "Films"})
    assert saved.status_code == 303
    assert "Films" in _get(client, "/transactions").text
    assert _api(client, alice, "GET", "/saved-filters") == []
