"""The bills pages as a browser uses them, on SQLite and PostgreSQL: adding a bill with
a repeat preset, a refused form (422) that changes nothing, linking, skipping and
unlinking a due date, the review queue, accepting and dismissing a detected series,
the calendar and subscriptions, and another household's bill answering 404."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient

from tests.budgets.test_bills_api import Api
from tests.conftest import ApiUser, register
from tests.pages import HTML, post_form, sign_in, text

TODAY = date.today()


def _form(account: str, **fields: str) -> dict[str, str]:
    values = {
        "name": "Rent",
        "payee": "Harbor Lettings",
        "kind": "bill",
        "amount_min": "1200",
        "amount_max": "",
        "account_id": account,
        "category_id": "",
        "preset": "monthly",
        "rrule": "",
        "first_due": (TODAY - timedelta(days=40)).isoformat(),
        "ends_on": "",
        "reminder_days": "3",
        "match_window_days": "5",
        "notes": "",
    }
    values.update(fields)
    return values


def test_add_link_skip_and_review(client: TestClient, alice: ApiUser) -> None:
    api = Api(client, alice)
    account = api.account("Checking", "USD")
    sign_in(client, alice)

    page = client.get("/bills", headers=HTML)
    assert page.status_code == 200
    assert "No bills yet" in text(page)

    refused = post_form(client, "/bills/new", _form(account, amount_min="twelve", preset="custom"))
    assert refused.status_code == 422
    assert "Amount: Enter an amount as a number" in text(refused)
    bad_rule = post_form(
        client, "/bills/new", _form(account, preset="custom", rrule="FREQ=MONTHLY;BYHOUR=8")
    )
    assert bad_rule.status_code == 422
    assert "time of day" in text(bad_rule)
    assert api.get("/bills") == []

    made = post_form(client, "/bills/new", _form(account))
    assert made.status_code == 303
    bill = api.get("/bills")[0]
    assert made.headers["location"] == f"/bills/{bill['id']}"
    assert bill["rrule"] == f"FREQ=MONTHLY;BYMONTHDAY={(TODAY - timedelta(days=40)).day}"
    assert "Rent is added" in text(client.get(made.headers["location"], headers=HTML))

    # The first due date has passed its window unpaid: missed, with a link form.
    first_due = TODAY - timedelta(days=40)
    paying = api.txn(account, "-1200.00", "Bank transfer to landlord", first_due)
    page = client.get(f"/bills/{bill['id']}?due={first_due.isoformat()}", headers=HTML)
    assert "Missed" in text(page)
    assert "Bank transfer to landlord" in text(page)
    linked = post_form(
        client,
        f"/bills/{bill['id']}/occurrences",
        {"due_on": first_due.isoformat(), "action": "link", "transaction_id": paying},
    )
    assert linked.status_code == 303
    statuses = {o["due_on"]: o["status"] for o in api.get(f"/bills/{bill['id']}/occurrences")}
    assert statuses[first_due.isoformat()] == "paid"

    # Linking someone else's or a nonsense id is refused on the page, nothing changes.
    wrong = post_form(
        client,
        f"/bills/{bill['id']}/occurrences",
        {"due_on": first_due.isoformat(), "action": "link", "transaction_id": "nope"},
    )
    assert wrong.status_code == 422
    assert "Transaction: Choose the transaction that paid it" in text(wrong)

    second = (first_due + timedelta(days=31)).replace(day=first_due.day)
    skipped = post_form(
        client, f"/bills/{bill['id']}/occurrences", {"due_on": second.isoformat(), "action": "skip"}
    )
    assert skipped.status_code == 303
    statuses = {o["due_on"]: o["status"] for o in api.get(f"/bills/{bill['id']}/occurrences")}
    assert statuses[second.isoformat()] == "skipped"
    post_form(
        client,
        f"/bills/{bill['id']}/occurrences",
        {"due_on": second.isoformat(), "action": "unlink"},
    )
    statuses = {o["due_on"]: o["status"] for o in api.get(f"/bills/{bill['id']}/occurrences")}
    assert statuses[second.isoformat()] != "skipped"

    # A doubtful payment waits on the review page; confirming it pays the date.
    doubtful = api.txn(account, "-1310.00", "Harbor Lettings", second + timedelta(days=1))
    api.post("/bills/match", {"transaction_ids": [doubtful]})
    review = client.get("/bills/review", headers=HTML)
    assert "Payments to check" in text(review)
    assert "Harbor Lettings" in text(review)
    confirmed = post_form(
        client,
        f"/bills/{bill['id']}/occurrences",
        {"due_on": second.isoformat(), "action": "confirm", "back": "review"},
    )
    assert confirmed.headers["location"] == "/bills/review"
    statuses = {o["due_on"]: o["status"] for o in api.get(f"/bills/{bill['id']}/occurrences")}
    assert statuses[second.isoformat()] == "paid"

    # Edit (a bad value is refused), pause, delete.
    edit = _form(account, name="Rent", amount_min="1250", amount_max="1100")
    refused_edit = post_form(client, f"/bills/{bill['id']}/edit", edit)
    assert refused_edit.status_code == 422
    assert api.get(f"/bills/{bill['id']}")["amount_min"] == "1200.00"
    post_form(client, f"/bills/{bill['id']}/status", {"status": "paused"})
    assert api.get(f"/bills/{bill['id']}")["status"] == "paused"
    calendar = client.get(f"/bills/calendar?month={first_due.strftime('%Y-%m')}", headers=HTML)
    assert calendar.status_code == 200
    assert "Rent" in text(calendar)
    assert client.get("/bills/calendar?month=nonsense", headers=HTML).status_code == 200
    post_form(client, f"/bills/{bill['id']}/delete")
    assert api.get("/bills") == []


def test_detected_pages_and_other_households(client: TestClient, alice: ApiUser) -> None:
    api = Api(client, alice)
    account = api.account("Checking", "USD")
    for months in range(6, 0, -1):
        index = TODAY.year * 12 + TODAY.month - 1 - months
        on = date(index // 12, index % 12 + 1, 11)
        api.txn(account, "-9.99", "Tunely Music", on)
        api.txn(account, "-45.00", "Gym Max", on + timedelta(days=3))
    sign_in(client, alice)
    ran = post_form(client, "/bills/detected/run", {})
    assert ran.status_code == 303
    page = text(client.get("/bills/detected", headers=HTML))
    assert "Tunely Music" in page
    assert "Gym Max" in page
    candidates = {c["payee"]: c for c in api.get("/bills/candidates")}

    refused = post_form(
        client,
        f"/bills/detected/{candidates['Tunely Music']['id']}/accept",
        {"name": "Music", "kind": "subscription", "amount_min": "x", "category_id": ""},
    )
    assert refused.status_code == 422
    assert api.get("/bills") == []
    accepted = post_form(
        client,
        f"/bills/detected/{candidates['Tunely Music']['id']}/accept",
        {"name": "Music", "kind": "subscription", "amount_min": "", "category_id": ""},
    )
    assert accepted.status_code == 303
    music = api.get("/bills")[0]
    assert (music["name"], music["source"]) == ("Music", "detected")
    dismissed = post_form(client, f"/bills/detected/{candidates['Gym Max']['id']}/dismiss", {})
    assert dismissed.status_code == 303
    assert "Not proposed again: Gym Max" in text(client.get("/bills/detected", headers=HTML))
    subs = text(client.get("/bills/subscriptions", headers=HTML))
    assert "Music" in subs
    assert "$119.88" in subs  # 12 x 9.99

    # Another person sees none of it.
    client.cookies.clear()
    mallory = register(client, "mallory@example.com")
    sign_in(client, mallory)
    assert client.get(f"/bills/{music['id']}", headers=HTML).status_code == 404
    assert "Music" not in text(client.get("/bills", headers=HTML))
    assert post_form(client, f"/bills/{music['id']}/delete").status_code == 404
    assert post_form(
        client, f"/bills/detected/{candidates['Gym Max']['id']}/accept", {"name": "x"}
    ).status_code in (404, 422)
    assert api.get(f"/bills/{music['id']}")["name"] == "Music"
