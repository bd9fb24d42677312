"""GET /api/v1/transactions/export.csv, and the round trip through the importer: a
ledger exported to CSV and imported (with the "coffer" preset) into an empty account of
another household holds the same transactions, with their tags and split parts;
importing the file again adds nothing. Runs on SQLite and PostgreSQL (the `backend`
fixture behind `client`)."""

from __future__ import annotations

import csv
import io
import uuid
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coffer.ledger.export_csv import COLUMNS
from tests.conftest import ApiUser
from tests.imports.conftest import Household

ROUND_TRIP = settings(
    max_examples=6,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

payees = st.sampled_from(
    [
        "COFFEE CORNER",
        "Tesco, London",
        'The "Best" Deli',
        "Café Zoë",
        "A&B",
        "Rent March",
        "-SALE- refund",  # exported as "'-SALE- refund", read back without the guard
    ]
)
memos = st.sampled_from(
    [None, "card", "ref 12, x", 'said "thanks"', "Zoë's gift", "=1+1", "two\nlines"]
)
# Both households have these tags; the second spells them in the other case.
TAG_NAMES = ("holiday", "Work", "-reimbursable", "Café & bar", "Zoë's")
categories = st.integers(min_value=0, max_value=200)  # which category (past the list: none)


@st.composite
def split_parts(draw: st.DrawFn, total: int) -> list[tuple[int, int, str | None]]:
    """Two to four parts (cents, category, memo) that add up exactly to `total`."""
    amounts = draw(st.lists(st.integers(-100_000, 100_000), min_size=1, max_size=3))
    amounts.append(total - sum(amounts))
    return [(cents, draw(categories), draw(memos)) for cents in amounts]


@st.composite
def a_transaction(draw: st.DrawFn) -> tuple[Any, ...]:
    cents = draw(st.integers(min_value=-250_000, max_value=250_000))
    return (
        date(2024, 1, 1) + timedelta(days=draw(st.integers(min_value=0, max_value=60))),
        cents,
        draw(payees),
        draw(memos),
        draw(categories),
        draw(st.sets(st.sampled_from(TAG_NAMES), max_size=3)),
        draw(st.none() | split_parts(cents)),
    )


transactions = st.lists(a_transaction(), min_size=1, max_size=12)


def _paths(owner: Household) -> dict[str, str]:
    """Category id to "Parent:Child" (or the name of a top-level one)."""
    found = owner.ok(owner.client.get("/api/v1/categories", headers=owner.headers), 200)
    names = {c["id"]: c["name"] for c in found}
    return {
        c["id"]: f"{names[c['parent_id']]}:{c['name']}" if c["parent_id"] else c["name"]
        for c in found
    }


def _export(owner: Household, **params: Any) -> str:
    response = owner.client.get(
        "/api/v1/transactions/export.csv", headers=owner.headers, params=params
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    return str(response.text)


def _tag_names(owner: Household) -> dict[str, str]:
    found = owner.ok(owner.client.get("/api/v1/tags", headers=owner.headers), 200)
    return {t["id"]: t["name"] for t in found}


def _shape(
    items: list[dict[str, Any]], paths: dict[str, str], tags: dict[str, str]
) -> Counter[tuple[Any, ...]]:
    """What must survive the trip: categories by path, tags by name (either case)."""
    return Counter(
        (
            t["posted_on"],
            Decimal(t["amount"]),
            t["payee"],
            t["memo"] or None,
            paths.get(t["category_id"]) if t["category_id"] else None,
            tuple(sorted(tags[i].casefold() for i in t["tag_ids"])),
            tuple(
                (
                    Decimal(line["amount"]),
                    paths.get(line["category_id"]) if line["category_id"] else None,
                    line["memo"] or None,
                )
                for line in t["splits"]
            ),
        )
        for t in items
    )


@ROUND_TRIP
@given(rows=transactions)
def test_export_then_import_round_trips(
    client: TestClient, alice: ApiUser, bob: ApiUser, rows: list[Any]
) -> None:
    source, target = Household(client, alice), Household(client, bob)
    source_paths, target_paths = _paths(source), _paths(target)
    # Both households start with the same default categories.
    assert sorted(source_paths.values()) == sorted(target_paths.values())
    category_ids = sorted(source_paths, key=source_paths.__getitem__)

    def category(which: int) -> str | None:
        return category_ids[which] if which < len(category_ids) else None

    # The tags persist between examples (function-scoped fixtures): made once.
    source_tags = {n.casefold(): i for i, n in _tag_names(source).items()}
    target_tags = {n.casefold() for n in _tag_names(target).values()}
    for name in TAG_NAMES:
        if name.casefold() not in source_tags:
            source_tags[name.casefold()] = source.tag(name)
        if name.casefold() not in target_tags:
            target.tag(name.swapcase())
    account = source.account(f"Everyday {uuid.uuid4().hex[:8]}", "EUR")
    for posted_on, cents, payee, memo, which, tags, parts in rows:
        body = {
            "account_id": account,
            "posted_on": posted_on.isoformat(),
            "amount": str(Decimal(cents).scaleb(-2)),
            "payee": payee,
            "memo": memo,
            "category_id": None if parts else category(which),
            "tag_ids": sorted(source_tags[name.casefold()] for name in tags),
            "splits": [
                {"amount": str(Decimal(c).scaleb(-2)), "category_id": category(w), "memo": m}
                for c, w, m in parts
            ]
            if parts
            else None,
        }
        source.ok(source.client.post("/api/v1/transactions", headers=source.headers, json=body))

    exported = _export(source, account_id=account).encode()
    empty = target.account(f"Copy {uuid.uuid4().hex[:8]}", "EUR")
    batch = target.upload(exported, "coffer.csv", empty, preset="coffer")["import_batch"]
    preview = target.preview(batch["id"])
    assert preview["unmatched_categories"] == {}
    assert preview["unmatched_tags"] == {}
    # Uncategorised rows stay so: no guesses from what the household learned before.
    committed = target.commit(batch["id"], {"apply_suggestions": False})["import_batch"]
    assert committed["counts"]["added"] == len(rows)
    assert committed["result"]["tagged"] == sum(len(tags) for *_, tags, _ in rows)

    source_shape = _shape(source.transactions(account), source_paths, _tag_names(source))
    assert _shape(target.transactions(empty), target_paths, _tag_names(target)) == source_shape
    assert sum(len(shape[6]) > 0 for shape in source_shape.elements()) == sum(
        1 for *_, parts in rows if parts
    )
    assert target.balance(empty) == source.balance(account)

    again = target.upload(exported, "coffer-again.csv", empty, preset="coffer")["import_batch"]
    assert target.commit(again["id"])["import_batch"]["counts"]["added"] == 0
    assert len(target.transactions(empty)) == len(rows)


def test_export_columns_filters_and_detection(client: TestClient, alice: ApiUser) -> None:
    home = Household(client, alice)
    paths = _paths(home)
    groceries = next(i for i, p in paths.items() if p == "Food:Groceries")
    account = home.account("Everyday", "EUR")
    other = home.account("Savings", "EUR")
    tag = home.tag("holiday")
    for day, amount, payee, account_id in (
        ("2024-02-01", "-12.50", "=HYPERLINK(evil)", account),
        ("2024-03-05", "1000", "Employer", account),
        ("2024-03-06", "-3", "Elsewhere", other),
    ):
        body: dict[str, Any] = {
            "account_id": account_id,
            "posted_on": day,
            "amount": amount,
            "payee": payee,
            "memo": "weekly shop" if amount == "-12.50" else None,
            "category_id": groceries if amount == "-12.50" else None,
            "tag_ids": [tag] if amount == "-12.50" else [],
            "status": "cleared",
        }
        home.ok(home.client.post("/api/v1/transactions", headers=home.headers, json=body))

    everything = list(csv.reader(io.StringIO(_export(home))))
    assert tuple(everything[0]) == COLUMNS
    assert len(everything) == 4

    february = list(
        csv.DictReader(
            io.StringIO(
                _export(home, account_id=account, date_from="2024-02-01", date_to="2024-02-29")
            )
        )
    )
    assert len(february) == 1
    row = february[0]
    assert row["date"] == "2024-02-01"
    assert row["account"] == "Everyday"
    assert row["amount"] == "-12.50"
    assert row["currency"] == "EUR"
    assert row["category"] == "Food:Groceries"
    assert row["tags"] == "holiday"
    assert row["memo"] == "weekly shop"
    assert row["status"] == "cleared"
    assert row["payee"] == "'=HYPERLINK(evil)"  # never a formula in a spreadsheet
    assert row["id"]

    # The importer recognises its own export without being told.
    upload = home.upload(_export(home, account_id=account).encode(), "mine.csv", other)
    assert upload["csv"]["preset"] == "coffer"


def test_export_refuses_bad_filters_and_other_households(
    client: TestClient, alice: ApiUser, bob: ApiUser
) -> None:
    home, stranger = Household(client, alice), Household(client, bob)
    theirs = stranger.account("Theirs", "EUR")
    url = "/api/v1/transactions/export.csv"
    assert client.get(url, headers=home.headers, params={"account_id": theirs}).status_code == 404
    bad = client.get(url, headers=home.headers, params={"amount_min": "5", "amount_max": "1"})
    assert bad.status_code == 422
    assert client.get(url).status_code == 401


def test_a_split_exports_its_parts_in_the_last_column(client: TestClient, alice: ApiUser) -> None:
    home = Household(client, alice)
    paths = {p: i for i, p in _paths(home).items()}
    account = home.account("Everyday", "EUR")
    body = {
        "account_id": account,
        "posted_on": "2024-02-01",
        "amount": "-15.50",
        "payee": "Market",
        "splits": [
            {"amount": "-12.50", "category_id": paths["Food:Groceries"], "memo": "=veg, fruit"},
            {"amount": "-3.00", "category_id": None},
        ],
    }
    home.ok(home.client.post("/api/v1/transactions", headers=home.headers, json=body))
    (row,) = csv.DictReader(io.StringIO(_export(home, account_id=account)))
    # The row keeps its whole amount and an empty category, as before the parts were written.
    assert (row["amount"], row["category"]) == ("-15.50", "")
    assert row["splits"].splitlines() == [
        '{"category": "Food:Groceries", "amount": "-12.50", "memo": "=veg, fruit"}',
        '{"category": null, "amount": "-3.00", "memo": null}',
    ]
