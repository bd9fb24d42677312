"""Bills over the REST API on SQLite and PostgreSQL: the life of a bill, bad input that
changes nothing, paying a due date by hand and by the automatic matcher (confident,
doubtful, outside the window, already linked), and other households' bills."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import ApiUser
from tests.ledger.test_api import _join

TODAY = date.today()


def ok(response: Any, status: int | None = None) -> Any:
    expected = (status,) if status else (200, 201, 204)
    assert response.status_code in expected, response.text
    return response.json() if response.content else None


class Api:
    def __init__(self, client: TestClient, user: ApiUser) -> None:
        self.client, self.user = client, user

    def get(self, path: str, status: int | None = 200) -> Any:
        return ok(self.client.get("/api/v1" + path, headers=self.user.headers), status)

    def post(self, path: str, body: Any = None, status: int | None = None) -> Any:
        return ok(self.client.post("/api/v1" + path, headers=self.user.headers, json=body), status)

    def patch(self, path: str, body: Any, status: int | None = 200) -> Any:
        return ok(self.client.patch("/api/v1" + path, headers=self.user.headers, json=body), status)

    def account(self, name: str = "Checking", currency: str = "EUR") -> str:
        body = {"name": name, "type": "checking", "currency": currency, "opening_on": "2024-01-01"}
        return str(self.post("/accounts", body)["id"])

    def txn(self, account: str, amount: str, payee: str, on: date) -> str:
        body = {
            "account_id": account,
            "posted_on": on.isoformat(),
            "amount": amount,
            "payee": payee,
        }
        return str(self.post("/transactions", body)["id"])

    def bill(self, account: str | None, **fields: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": "Power",
            "payee": "Evergreen Power",
            "amount_min": "80.00",
            "amount_max": "120.00",
            "rrule": "FREQ=MONTHLY;BYMONTHDAY=8",
            "first_due": (TODAY + timedelta(days=1)).isoformat(),
            "account_id": account,
        }
        body.update(fields)
        return dict(self.post("/bills", body, 201))


def test_bill_lifecycle(client: TestClient, alice: ApiUser) -> None:
    api = Api(client, alice)
    account = api.account()
    first = TODAY + timedelta(days=3)
    created = api.bill(
        account,
        name="Streaming",
        payee="Netflix",
        kind="subscription",
        amount_min="15.99",
        amount_max=None,
        rrule=f"RRULE:FREQ=MONTHLY;BYMONTHDAY={first.day}",
        first_due=first.isoformat(),
        autopay=True,
    )
    assert created["amount_min"] == created["amount_max"] == "15.99"
    assert created["currency"] == "EUR"  # the account's
    assert created["rrule"] == f"FREQ=MONTHLY;BYMONTHDAY={first.day}"
    assert created["schedule"] == f"Monthly on day {first.day}"
    assert created["next_due"] == first.isoformat()
    assert created["source"] == "manual"
    assert created["status"] == "active"

    bill_id = created["id"]
    assert api.get(f"/bills/{bill_id}")["name"] == "Streaming"
    changed = api.patch(f"/bills/{bill_id}", {"amount_max": "17.99", "reminder_days": 5})
    assert (changed["amount_min"], changed["amount_max"], changed["reminder_days"]) == (
        "15.99",
        "17.99",
        5,
    )
    upcoming = api.get("/bills/upcoming?days=30")
    assert [(o["bill_name"], o["due_on"], o["status"]) for o in upcoming] == [
        ("Streaming", first.isoformat(), "upcoming")
    ]
    paused = api.patch(f"/bills/{bill_id}", {"status": "paused"})
    assert paused["status"] == "paused"
    assert paused["next_due"] is None
    assert api.get("/bills/upcoming") == []
    assert [b["name"] for b in api.get("/bills?status=paused")] == ["Streaming"]
    api.patch(f"/bills/{bill_id}", {"status": "active"})

    month = first.strftime("%Y-%m")
    calendar = api.get(f"/bills/calendar?month={month}")
    assert calendar["month"] == month
    assert [d["day"] for d in calendar["days"]] == [first.isoformat()]

    ok(client.delete(f"/api/v1/bills/{bill_id}", headers=alice.headers), 204)
    api.get(f"/bills/{bill_id}", status=404)


def test_bad_input_is_refused_and_changes_nothing(client: TestClient, alice: ApiUser) -> None:
    api = Api(client, alice)
    account = api.account()
    refused = api.post(
        "/bills",
        {
            "name": "Power",
            "payee": "Evergreen Power",
            "amount_min": "80.00",
            "rrule": "FREQ=FORTNIGHTLY",
            "first_due": "2026-01-08",
            "account_id": account,
        },
        422,
    )
    assert refused["errors"][0]["field"] == "rrule"
    assert "FORTNIGHTLY" in refused["errors"][0]["message"]
    for bad, field in (
        ({"rrule": "FREQ=MONTHLY;BYMONTHDAY=30;BYMONTH=2"}, "rrule"),
        ({"rrule": "FREQ=HOURLY"}, "rrule"),
        ({"amount_min": "0"}, "amount_min"),
        ({"amount_min": "80.00", "amount_max": "70.00"}, "amount_max"),
        ({"amount_min": "80.001"}, "amount_min"),
        ({"currency": "USD"}, "currency"),
        ({"reminder_days": 61}, "reminder_days"),
        ({"match_window_days": -1}, "match_window_days"),
        ({"ends_on": "2025-01-01", "first_due": "2026-01-08"}, "ends_on"),
    ):
        answer = api.post("/bills", {**_body(account), **bad}, 422)
        assert field in {e["field"] for e in answer["errors"]}, (bad, answer)
    float_amount = api.post("/bills", {**_body(account), "amount_min": 80.5}, 422)
    assert "decimal strings" in str(float_amount)
    assert api.get("/bills") == []

    bill = api.bill(account)
    again = api.post("/bills", _body(account), 422)
    assert again["errors"] == [{"field": "name", "message": "a bill with this name already exists"}]
    bad_patch = api.patch(f"/bills/{bill['id']}", {"rrule": "FREQ=MONTHLY;COUNT=0"}, 422)
    assert bad_patch["errors"][0]["field"] == "rrule"
    assert api.get(f"/bills/{bill['id']}")["rrule"] == "FREQ=MONTHLY;BYMONTHDAY=8"
    api.get("/bills/calendar?month=2026-13", status=422)


def _body(account: str) -> dict[str, Any]:
    return {
        "name": "Power",
        "payee": "Evergreen Power",
        "amount_min": "80.00",
        "rrule": "FREQ=MONTHLY;BYMONTHDAY=8",
        "first_due": "2026-01-08",
        "account_id": account,
    }


def test_matching_links_confident_reviews_doubtful_and_leaves_the_rest(
    client: TestClient, alice: ApiUser
) -> None:
    api = Api(client, alice)
    account = api.account()
    due = TODAY - timedelta(days=20)
    bill = api.bill(
        account,
        rrule="FREQ=WEEKLY;INTERVAL=2",
        first_due=(due - timedelta(days=28)).isoformat(),
        match_window_days=3,
    )
    # Posted before the bill existed: the bill's creation matched nothing yet.
    confident = api.txn(account, "-95.10", "EVERGREEN POWER 88213", due + timedelta(days=2))
    doubtful = api.txn(account, "-130.00", "Evergreen Power", due + timedelta(days=14))
    outside = api.txn(account, "-90.00", "Evergreen Power", due - timedelta(days=14 + 5))
    other = api.txn(account, "-95.10", "Corner Bakery", due - timedelta(days=28))
    result = api.post("/bills/match", {"transaction_ids": [confident, doubtful, outside, other]})
    assert result == {"paid": 1, "review": 1}

    history = {o["due_on"]: o for o in api.get(f"/bills/{bill['id']}/occurrences")}
    paid = history[due.isoformat()]
    assert paid["status"] == "paid"
    assert paid["transaction_id"] == confident
    assert paid["matched_by"] == "automatic"
    assert paid["paid_amount"] == "95.10"
    review = history[(due + timedelta(days=14)).isoformat()]
    assert review["status"] == "review"
    assert review["transaction_id"] == doubtful
    assert history[(due - timedelta(days=14)).isoformat()]["status"] == "missed"
    assert history[(due - timedelta(days=28)).isoformat()]["status"] == "missed"
    assert [o["transaction_id"] for o in api.get("/bills/review")] == [doubtful]

    # Running again links nothing twice.
    assert api.post("/bills/match", {"transaction_ids": [confident, doubtful]}) == {
        "paid": 0,
        "review": 0,
    }
    # Reject: open again and never proposed for this bill again; confirm works too.
    path = f"/bills/{bill['id']}/occurrences/{review['due_on']}"
    assert api.post(path, {"action": "reject"})["status"] in ("late", "missed", "due")
    assert api.post("/bills/match", {"transaction_ids": [doubtful]}) == {"paid": 0, "review": 0}
    api.post(path, {"action": "confirm"}, 404)


def test_linking_by_hand(client: TestClient, alice: ApiUser, bob: ApiUser) -> None:
    api = Api(client, alice)
    account = api.account()
    due = TODAY - timedelta(days=40)
    bill = api.bill(
        account, rrule=f"FREQ=MONTHLY;BYMONTHDAY={min(due.day, 28)}", first_due=due.isoformat()
    )
    other_bill = api.bill(account, name="Gas", payee="Bay Gas")
    due_on = api.get(f"/bills/{bill['id']}/occurrences")[-1]["due_on"]
    assert api.get(f"/bills/{bill['id']}/occurrences")[-1]["status"] == "missed"
    payment = api.txn(account, "-101.00", "Cash payment at the desk", date.fromisoformat(due_on))
    refund = api.txn(account, "12.00", "Evergreen Power", date.fromisoformat(due_on))
    path = f"/bills/{bill['id']}/occurrences/{due_on}"

    suggested = api.get(path + "/suggestions")
    assert payment in [s["transaction_id"] for s in suggested]
    assert refund not in [s["transaction_id"] for s in suggested]

    wrong_way = api.post(path, {"action": "link", "transaction_id": refund}, 422)
    assert wrong_way["errors"][0]["field"] == "transaction_id"
    not_a_due_date = api.post(
        f"/bills/{bill['id']}/occurrences/{TODAY + timedelta(days=400)}",
        {"action": "link", "transaction_id": payment},
        422,
    )
    assert not_a_due_date["errors"][0]["field"] == "due_on"
    linked = api.post(path, {"action": "link", "transaction_id": payment})
    assert (linked["status"], linked["matched_by"], linked["transaction_id"]) == (
        "paid",
        "user",
        payment,
    )
    # A transaction pays one due date only.
    other_due = (TODAY + timedelta(days=60)).isoformat()
    dates = [o["due_on"] for o in api.get(f"/bills/{other_bill['id']}/occurrences")]
    taken = api.post(
        f"/bills/{other_bill['id']}/occurrences/{dates[-1] if dates else other_due}",
        {"action": "link", "transaction_id": payment},
        409,
    )
    assert "already pays Power" in taken["detail"]

    # Bob cannot see, link to or read Alice's bill, nor use her transaction.
    bob_api = Api(client, bob)
    bob_api.get(f"/bills/{bill['id']}", status=404)
    bob_api.post(path, {"action": "unlink"}, 404)
    bob_account = bob_api.account()
    bob_bill = bob_api.bill(bob_account, first_due=due.isoformat())
    bob_due = bob_api.get(f"/bills/{bob_bill['id']}/occurrences")[-1]["due_on"]
    stolen = bob_api.post(
        f"/bills/{bob_bill['id']}/occurrences/{bob_due}",
        {"action": "link", "transaction_id": payment},
        404,
    )
    assert stolen["errors"][0]["field"] == "transaction_id"
    assert bob_api.get("/bills/review") == []
    assert len(bob_api.get("/bills")) == 1

    assert api.post(path, {"action": "unlink"})["status"] == "missed"
    assert api.post(path, {"action": "skip"})["status"] == "skipped"
    assert api.post(path, {"action": "unlink"})["status"] == "missed"
    api.post(path, {"action": "frobnicate"}, 422)
    # Deleting the paying transaction opens the due date again.
    api.post(path, {"action": "link", "transaction_id": payment})
    ok(client.delete(f"/api/v1/transactions/{payment}", headers=alice.headers), 204)
    assert api.get(f"/bills/{bill['id']}/occurrences")[-1]["status"] == "missed"


def test_an_import_pays_the_bills_it_matches(client: TestClient, alice: ApiUser) -> None:
    api = Api(client, alice)
    account = api.account("Imported", "USD")
    due = TODAY - timedelta(days=10)
    bill = api.bill(
        account,
        name="Internet",
        payee="Comcast Xfinity",
        amount_min="84.99",
        amount_max=None,
        rrule="FREQ=WEEKLY;INTERVAL=4",
        first_due=due.isoformat(),
    )
    rows = [
        (due + timedelta(days=1), "-84.99", "COMCAST XFINITY 8004"),  # pays it
        (due + timedelta(days=28 + 2), "-95.00", "COMCAST XFINITY 8004"),  # doubtful
        (due, "-84.99", "Corner Bakery"),  # another payee
    ]
    data = "Date,Description,Amount\n" + "".join(f"{d.isoformat()},{p},{a}\n" for d, a, p in rows)
    upload = ok(
        client.post(
            "/api/v1/imports",
            headers=alice.headers,
            files={"file": ("statement.csv", data.encode(), "text/csv")},
            data={"account_id": account},
        )
    )
    ok(
        client.post(
            f"/api/v1/imports/{upload['import_batch']['id']}/commit",
            headers=alice.headers,
            json={},
        )
    )
    history = {o["due_on"]: o for o in api.get(f"/bills/{bill['id']}/occurrences")}
    assert history[due.isoformat()]["status"] == "paid"
    assert history[due.isoformat()]["matched_by"] == "automatic"
    later = history[(due + timedelta(days=28)).isoformat()]
    assert later["status"] == "review"
    assert later["paid_amount"] == "95.00"
    assert [o["bill_name"] for o in api.get("/bills/review")] == ["Internet"]


def test_viewers_read_bills_but_cannot_change_them(
    client: TestClient, alice: ApiUser, bob: ApiUser
) -> None:
    api = Api(client, alice)
    account = api.account("Checking", "USD")
    bill = api.bill(account)
    tenant = _join(client, alice, bob, "viewer")
    h = bob.in_tenant(tenant)
    assert ok(client.get(f"/api/v1/bills/{bill['id']}", headers=h), 200)["name"] == "Power"
    assert ok(client.get("/api/v1/bills/upcoming", headers=h), 200)
    due = bill["next_due"]
    writes = [
        client.post("/api/v1/bills", headers=h, json={**_body(account), "name": "Other"}),
        client.patch(f"/api/v1/bills/{bill['id']}", headers=h, json={"name": "x"}),
        client.delete(f"/api/v1/bills/{bill['id']}", headers=h),
        client.post(
            f"/api/v1/bills/{bill['id']}/occurrences/{due}", headers=h, json={"action": "skip"}
        ),
        client.post("/api/v1/bills/match", headers=h, json={}),
        client.post("/api/v1/bills/candidates/detect", headers=h),
    ]
    for response in writes:
        assert response.status_code == 403, response.text
    assert api.get(f"/bills/{bill['id']}")["name"] == "Power"
