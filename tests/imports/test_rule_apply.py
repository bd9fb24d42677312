"""Applying a saved rule to the transactions already in the ledger, on SQLite and
PostgreSQL: the service (what changes and what is left alone, split lines, reconciled
transactions, only_uncategorised, paging without a cap, exact aggregates, audit, one
atomic change, a second application changing nothing), the API (counts, dry run,
Idempotency-Key, viewers 403, other households 404) and the page's two steps."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from coffer.db.session import Database
from coffer.db.types import configure_encryption
from coffer.errors import NotFound
from coffer.imports import rule_apply
from coffer.imports import rules as rule_service
from coffer.ledger import service as ledger
from coffer.ledger.models import CategoryKind, LedgerTransaction, Merchant, TransactionStatus
from coffer.ledger.views import load_views, view_snapshot
from tests.conftest import ENCRYPTION_KEY, ApiUser
from tests.imports.conftest import Household
from tests.ledger.conftest import PROPERTY_SETTINGS, Book, make_book
from tests.pages import HTML, post_form, sign_in, text


@pytest.fixture(autouse=True)
def _encryption() -> None:
    configure_encryption([ENCRYPTION_KEY])


@pytest.fixture
def book(database: Database) -> Book:
    return make_book(database, "Alice")


def _state(book: Book) -> dict[uuid.UUID, dict[str, Any]]:
    """Every transaction of the household as the audit log sees it."""
    with book.uow() as s:
        txns = list(
            s.scalars(
                select(LedgerTransaction).where(LedgerTransaction.tenant_id == book.tenant_id)
            )
        )
        return {
            v.txn.id: view_snapshot(v) for v in load_views(s, tenant_id=book.tenant_id, txns=txns)
        }


def _apply(book: Book, rule_id: uuid.UUID, **options: Any) -> rule_apply.ApplyResult:
    with book.uow() as s:
        return rule_apply.apply_rule(s, **book.scope, rule_id=rule_id, **options)


def _merchant_names(book: Book) -> dict[uuid.UUID, str]:
    with book.uow() as s:
        found = s.execute(
            select(Merchant.id, Merchant.name).where(Merchant.tenant_id == book.tenant_id)
        )
        return dict(found.all())


@dataclass
class Shop:
    """A household with Tesco spending in every state a rule can meet."""

    book: Book
    rule: uuid.UUID
    groceries: uuid.UUID
    eating_out: uuid.UUID
    food: uuid.UUID
    weekly: uuid.UUID
    stores: uuid.UUID  # uncategorised
    express: uuid.UUID  # another category, another tag
    split: uuid.UUID  # split into two lines
    done: uuid.UUID  # already exactly as the rule says
    reconciled: uuid.UUID  # in a reconciled statement
    other: uuid.UUID  # another payee
    refund: uuid.UUID  # money in: outside the rule's amount range

    @property
    def matched(self) -> list[uuid.UUID]:
        return [self.stores, self.express, self.split, self.done, self.reconciled]


@pytest.fixture
def shop(book: Book) -> Shop:
    everyday, card = book.account("Everyday"), book.account("Card")
    with book.uow() as s:
        groceries = ledger.create_category(
            s, **book.scope, name="Groceries", kind=CategoryKind.expense
        ).id
        eating_out = ledger.create_category(
            s, **book.scope, name="Eating out", kind=CategoryKind.expense
        ).id
        food = ledger.create_tag(s, **book.scope, name="food").id
        weekly = ledger.create_tag(s, **book.scope, name="weekly").id
    post = book.post
    stores = post(everyday.id, "-42.10", payee="TESCO STORES 3321", posted_on=date(2026, 3, 1))
    express = post(
        everyday.id,
        "-5.00",
        payee="Tesco Express",
        category_id=eating_out,
        tag_ids=[weekly],
        posted_on=date(2026, 3, 2),
    )
    split = post(
        everyday.id,
        "-30.00",
        payee="TESCO EXTRA",
        splits=[
            ledger.SplitLine(amount=Decimal("-20.00"), category_id=eating_out, memo="lunch"),
            ledger.SplitLine(amount=Decimal("-10.00")),
        ],
        posted_on=date(2026, 2, 27),
    )
    done = post(
        everyday.id,
        "-12.00",
        payee="TESCO",
        category_id=groceries,
        tag_ids=[food],
        merchant="Tesco",
        memo="Weekly shop",
        posted_on=date(2026, 1, 5),
    )
    other = post(everyday.id, "-15.00", payee="SAINSBURYS", posted_on=date(2026, 3, 1))
    refund = post(everyday.id, "8.00", payee="TESCO REFUND", posted_on=date(2026, 3, 4))
    reconciled = post(
        card.id,
        "-61.00",
        payee="TESCO PFS 9911",
        status=TransactionStatus.cleared,
        posted_on=date(2026, 2, 10),
    )
    with book.uow() as s:
        summary = ledger.start_reconciliation(
            s,
            **book.scope,
            account_id=card.id,
            statement_on=date(2026, 2, 28),
            statement_balance=Decimal("-61.00"),
        )
        ledger.finish_reconciliation(
            s, **book.scope, account_id=card.id, reconciliation_id=summary.reconciliation.id
        )
        rule = rule_service.create_rule(
            s,
            **book.scope,
            name="Tesco",
            conditions=[
                {"field": "payee", "op": "contains", "value": "tesco"},
                {"field": "amount", "op": "between", "min": None, "max": "0"},
            ],
            actions={
                "category_id": str(groceries),
                "tag_ids": [str(food)],
                "merchant": "Tesco",
                "memo": "Weekly shop",
            },
        ).id
    return Shop(
        book,
        rule,
        groceries,
        eating_out,
        food,
        weekly,
        stores,
        express,
        split,
        done,
        reconciled,
        other,
        refund,
    )


# --- the service -----------------------------------------------------------------------


def test_applying_sets_each_action_on_every_match_and_nothing_else(shop: Shop) -> None:
    book = shop.book
    before = _state(book)
    result = _apply(book, shop.rule)
    after = _state(book)
    merchants = _merchant_names(book)
    tesco = next(i for i, name in merchants.items() if name == "Tesco")
    not_yet_tesco = [i for i in shop.matched if before[i]["merchant_id"] != tesco]

    assert result.counts() == {
        "matched": 5,
        "changed": 4,
        "unchanged": 1,
        "skipped_categorised": 0,
        "skipped_split": 1,
        "categorised": 3,
        "tagged": 4,
        "merchant_set": len(not_yet_tesco),
        "memo_set": 4,
    }
    for txn_id in shop.matched:
        row = after[txn_id]
        assert str(shop.food) in row["tags"]
        assert row["merchant_id"] == tesco
        assert row["memo"] == "Weekly shop"
        # Amounts, dates, accounts and statuses never move.
        for key in ("amount", "posted_on", "account_id", "status"):
            assert row[key] == before[txn_id][key]
    for txn_id in (shop.stores, shop.express, shop.reconciled, shop.done):
        assert after[txn_id]["category_id"] == shop.groceries
    # Tags are added: the tag already there stays.
    assert sorted(after[shop.express]["tags"]) == sorted([str(shop.food), str(shop.weekly)])
    # A split transaction keeps its lines and has no category of its own.
    assert after[shop.split]["category_id"] is None
    assert after[shop.split]["splits"] == before[shop.split]["splits"]
    assert after[shop.reconciled]["status"] == TransactionStatus.reconciled.value
    for untouched in (shop.other, shop.refund, shop.done):
        assert after[untouched] == before[untouched]
    book.check_aggregates()


def test_every_change_is_audited_with_old_and_new_values(shop: Shop) -> None:
    book = shop.book
    before = _state(book)
    _apply(book, shop.rule)
    events = book.events(shop.stores)
    updates = [e for e in events if e.action == "transaction.updated"]
    assert {"category_id": None} in [e.old_values for e in updates]
    assert {"category_id": str(shop.groceries)} in [e.new_values for e in updates]
    assert {"tags": [str(shop.food)]} in [e.new_values for e in updates]
    memo = next(e for e in updates if e.new_values and "memo" in e.new_values)
    assert memo.old_values is not None
    assert memo.old_values["memo"] == before[shop.stores]["memo"]
    assert memo.new_values is not None
    assert memo.new_values["memo"] == "Weekly shop"
    assert all(e.actor_id == book.user.id for e in updates)
    assert not [e for e in book.events(shop.done) if e.action == "transaction.updated"]
    (applied,) = [e for e in book.events(shop.rule) if e.action == "rule.applied"]
    assert applied.new_values is not None
    assert applied.new_values["changed"] == 4


def test_a_second_application_changes_nothing(shop: Shop) -> None:
    book = shop.book
    first = _apply(book, shop.rule)
    state, events = _state(book), len(book.events())
    second = _apply(book, shop.rule)
    assert first.changed == 4
    assert (second.matched, second.changed, second.unchanged) == (5, 0, 5)
    assert _state(book) == state
    assert len(book.events()) == events
    book.check_aggregates()


def test_a_dry_run_counts_the_same_changes_and_writes_nothing(shop: Shop) -> None:
    book = shop.book
    state, events = _state(book), len(book.events())
    merchants = _merchant_names(book)
    counted = _apply(book, shop.rule, dry_run=True)
    assert counted.dry_run
    assert _state(book) == state
    assert len(book.events()) == events
    assert _merchant_names(book) == merchants
    applied = _apply(book, shop.rule)
    assert counted.counts() == applied.counts()


def test_only_uncategorised_leaves_categorised_and_split_transactions_alone(shop: Shop) -> None:
    book = shop.book
    before = _state(book)
    result = _apply(book, shop.rule, only_uncategorised=True)
    after = _state(book)
    assert (result.matched, result.changed, result.skipped_categorised) == (5, 2, 3)
    assert result.skipped_split == 0
    for txn_id in (shop.stores, shop.reconciled):
        assert after[txn_id]["category_id"] == shop.groceries
        assert after[txn_id]["memo"] == "Weekly shop"
    for txn_id in (shop.express, shop.split, shop.done, shop.other, shop.refund):
        assert after[txn_id] == before[txn_id]
    book.check_aggregates()


def test_a_failure_part_way_changes_nothing(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    """The category and tags are written before the merchant and memo: a failure there
    must undo them too (the caller's one unit of work)."""
    book = shop.book
    state, events = _state(book), len(book.events())

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(rule_apply, "update_transaction", broken)
    with pytest.raises(RuntimeError):
        _apply(book, shop.rule)
    assert _state(book) == state
    assert len(book.events()) == events
    book.check_aggregates()


def test_every_match_is_applied_however_many_pages_they_span(
    book: Book, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of three rows over many rows on the same few days: the keyset neither skips
    nor repeats a row where a page ends inside one day."""
    monkeypatch.setattr(rule_apply, "PAGE", 3)
    account = book.account()
    with book.uow() as s:
        coffee = ledger.create_category(s, **book.scope, name="Coffee", kind=CategoryKind.expense)
        rule = rule_service.create_rule(
            s,
            **book.scope,
            name="Coffee",
            conditions=[{"field": "payee", "op": "contains", "value": "coffee"}],
            actions={"category_id": str(coffee.id)},
        )
    wanted = [
        book.post(
            account.id, f"-{n + 1}.00", payee=f"COFFEE {n}", posted_on=date(2026, 3, n % 3 + 1)
        )
        for n in range(11)
    ]
    book.post(account.id, "-9.00", payee="TEA", posted_on=date(2026, 3, 2))
    result = _apply(book, rule.id)
    assert (result.matched, result.changed) == (11, 11)
    state = _state(book)
    assert all(state[i]["category_id"] == coffee.id for i in wanted)
    book.check_aggregates()


def test_another_households_rule_is_not_found(shop: Shop, database: Database) -> None:
    other = make_book(database, "Mallory")
    with other.uow() as s, pytest.raises(NotFound):
        rule_apply.apply_rule(s, **other.scope, rule_id=shop.rule)
    before = _state(shop.book)
    assert _state(shop.book) == before


def test_a_deleted_category_is_not_set(shop: Shop) -> None:
    book = shop.book
    with book.uow() as s:
        rule_service.update_rule(
            s,
            **book.scope,
            rule_id=shop.rule,
            values={"actions": {"category_id": str(shop.eating_out)}},
        )
        ledger.delete_category(s, **book.scope, category_id=shop.eating_out)
    before = _state(book)
    result = _apply(book, shop.rule)
    assert (result.matched, result.changed, result.categorised) == (5, 0, 0)
    assert _state(book) == before


amounts = st.integers(min_value=-5000, max_value=5000).filter(lambda n: n != 0)
rows = st.lists(
    st.tuples(
        st.sampled_from(["TESCO STORES", "tesco  express", "SAINSBURYS", "Café Tesco", ""]),
        amounts,
        st.sampled_from(["none", "other", "split"]),
        st.integers(min_value=0, max_value=3),
    ),
    min_size=1,
    max_size=12,
)


def test_after_applying_every_matching_unsplit_transaction_has_the_rules_category(
    database: Database,
) -> None:
    book = make_book(database)
    with book.uow() as s:
        target = ledger.create_category(s, **book.scope, name="Target", kind=CategoryKind.expense)
        other = ledger.create_category(s, **book.scope, name="Other", kind=CategoryKind.expense)

    @PROPERTY_SETTINGS
    @given(items=rows, high=st.integers(min_value=-3000, max_value=3000))
    def check(items: list[tuple[str, int, str, int]], high: int) -> None:
        # A fresh account per example; the rule is limited to it.
        account = book.account(name=f"A {uuid.uuid4().hex[:8]}")
        ids: dict[uuid.UUID, tuple[str, int, str]] = {}
        for payee, minor, kind, day in items:
            amount = Decimal(minor).scaleb(-2)
            extra: dict[str, Any] = {}
            if kind == "other":
                extra["category_id"] = other.id
            elif kind == "split":
                extra["splits"] = [
                    ledger.SplitLine(amount=amount - Decimal("0.01"), category_id=other.id),
                    ledger.SplitLine(amount=Decimal("0.01")),
                ]
            txn_id = book.post(
                account.id,
                str(amount),
                payee=payee or None,
                posted_on=date(2026, 3, 1) + timedelta(days=day),
                **extra,
            )
            ids[txn_id] = (payee, minor, kind)
        with book.uow() as s:
            rule = rule_service.create_rule(
                s,
                **book.scope,
                name=f"Tesco {uuid.uuid4().hex[:6]}",
                conditions=[
                    {"field": "payee", "op": "contains", "value": "tesco"},
                    {"field": "amount", "op": "between", "max": str(Decimal(high).scaleb(-2))},
                    {"field": "account", "op": "in", "value": [str(account.id)]},
                ],
                actions={"category_id": str(target.id)},
            )
        before = _state(book)
        result = _apply(book, rule.id)
        after = _state(book)
        matching = {
            i for i, (payee, minor, _) in ids.items() if "tesco" in payee.lower() and minor <= high
        }
        assert result.matched == len(matching)
        for txn_id in after:
            if txn_id in matching and ids[txn_id][2] != "split":
                assert after[txn_id]["category_id"] == target.id
            else:
                assert after[txn_id] == before[txn_id]
        assert result.changed == sum(1 for i in matching if ids[i][2] != "split")
        book.check_aggregates()

    check()


# --- the API ---------------------------------------------------------------------------


def _txn(home: Household, account: str, amount: str, payee: str, **extra: Any) -> str:
    body = {"account_id": account, "posted_on": "2026-03-15", "amount": amount, "payee": payee}
    made = home.ok(
        home.client.post("/api/v1/transactions", headers=home.headers, json={**body, **extra}), 201
    )
    return str(made["id"])


def _rule(home: Household, payee: str, **actions: Any) -> str:
    body = {
        "name": payee.title(),
        "conditions": [{"field": "payee", "op": "contains", "value": payee}],
        "actions": actions,
    }
    return str(
        home.ok(home.client.post("/api/v1/rules", headers=home.headers, json=body), 201)["id"]
    )


def _by_id(home: Household, account: str) -> dict[str, dict[str, Any]]:
    return {t["id"]: t for t in home.transactions(account)}


def _aggregates_agree(database: Database, home: Household) -> None:
    tenant_id, user_id = uuid.UUID(home.user.personal_tenant_id), uuid.UUID(home.user.id)
    with database.unit_of_work(user_id=user_id, tenant_id=tenant_id) as session:
        assert ledger.reconcile_aggregates(session, tenant_id=tenant_id) == []


def test_the_api_applies_a_rule_and_answers_the_counts(home: Household, database: Database) -> None:
    account = home.account()
    groceries, other = home.category("Groceries"), home.category("Other")
    uncategorised = _txn(home, account, "-4.20", "TESCO STORES")
    categorised = _txn(home, account, "-7.00", "TESCO EXPRESS", category_id=other)
    split = _txn(
        home,
        account,
        "-9.00",
        "TESCO EXTRA",
        splits=[{"amount": "-5.00", "category_id": other}, {"amount": "-4.00"}],
    )
    elsewhere = _txn(home, account, "-3.00", "ALDI")
    rule = _rule(home, "tesco", category_id=groceries)
    url = f"/api/v1/rules/{rule}/apply"

    dry = home.ok(home.client.post(url, headers=home.headers, json={"dry_run": True}), 200)
    assert (dry["matched"], dry["changed"], dry["dry_run"]) == (3, 2, True)
    assert _by_id(home, account)[uncategorised]["category_id"] is None

    only = home.ok(
        home.client.post(url, headers=home.headers, json={"only_uncategorised": True}), 200
    )
    assert (only["changed"], only["skipped_categorised"], only["dry_run"]) == (1, 2, False)
    rows = _by_id(home, account)
    assert rows[uncategorised]["category_id"] == groceries
    assert rows[categorised]["category_id"] == other

    everything = home.ok(home.client.post(url, headers=home.headers), 200)  # no body
    assert everything == {
        "matched": 3,
        "changed": 1,
        "unchanged": 2,  # the one categorised before, and the split one
        "skipped_categorised": 0,
        "skipped_split": 1,
        "categorised": 1,
        "tagged": 0,
        "merchant_set": 0,
        "memo_set": 0,
        "dry_run": False,
    }
    rows = _by_id(home, account)
    assert rows[categorised]["category_id"] == groceries
    assert rows[split]["is_split"]
    assert [line["amount"] for line in rows[split]["splits"]] == [
        "-5.00",
        "-4.00",
    ]
    assert rows[elsewhere]["category_id"] is None
    _aggregates_agree(database, home)

    refused = home.client.post(url, headers=home.headers, json={"only_uncategorised": "maybe"})
    assert refused.status_code == 422
    extra = home.client.post(url, headers=home.headers, json={"everything": True})
    assert extra.status_code == 422


def test_the_api_honours_idempotency_key(home: Household) -> None:
    account = home.account()
    food = home.tag("food")
    first_txn = _txn(home, account, "-4.20", "TESCO STORES")
    rule = _rule(home, "tesco", tag_ids=[food])
    url, key = f"/api/v1/rules/{rule}/apply", {"Idempotency-Key": "apply-tesco-1"}
    first = home.client.post(url, headers={**home.headers, **key}, json={})
    _txn(home, account, "-1.00", "TESCO METRO")
    second = home.client.post(url, headers={**home.headers, **key}, json={})
    assert first.status_code == second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert first.json()["changed"] == 1
    tagged = [t for t in home.transactions(account) if t["tag_ids"] == [food]]
    assert [t["id"] for t in tagged] == [first_txn]  # the replay applied nothing
    other = home.client.post(
        url, headers={**home.headers, **key}, json={"only_uncategorised": True}
    )
    assert other.status_code == 422


def test_the_route_is_documented(home: Household) -> None:
    schema = home.client.get("/api/openapi.json").json()
    operation = schema["paths"]["/api/v1/rules/{rule_id}/apply"]["post"]
    assert operation["summary"].startswith("Apply a rule to the existing transactions")
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer["$ref"].endswith("/RuleApplyRead")
    assert any(p["name"] == "Idempotency-Key" for p in operation["parameters"])


def _join(client: TestClient, owner: ApiUser, user: ApiUser, role: str) -> str:
    tenant_id = owner.personal_tenant_id
    invitation = client.post(
        f"/api/v1/tenants/{tenant_id}/invitations", headers=owner.headers, json={"role": role}
    )
    assert invitation.status_code == 201, invitation.text
    token = str(invitation.json()["url"]).rsplit("/", 1)[-1]
    accepted = client.post(f"/api/v1/invitations/{token}/accept", headers=user.headers)
    assert accepted.status_code < 300, accepted.text
    return tenant_id


@pytest.mark.parametrize("role", ["viewer", "advisor"])
def test_readers_are_refused_and_change_nothing(home: Household, bob: ApiUser, role: str) -> None:
    account = home.account()
    groceries = home.category("Groceries")
    txn = _txn(home, account, "-4.20", "TESCO STORES")
    rule = _rule(home, "tesco", category_id=groceries)
    tenant = _join(home.client, home.user, bob, role)
    refused = home.client.post(f"/api/v1/rules/{rule}/apply", headers=bob.in_tenant(tenant))
    assert refused.status_code == 403, refused.text
    assert _by_id(home, account)[txn]["category_id"] is None


def test_another_household_gets_404_and_changes_nothing(home: Household, bob: ApiUser) -> None:
    account = home.account()
    groceries = home.category("Groceries")
    txn = _txn(home, account, "-4.20", "TESCO STORES")
    rule = _rule(home, "tesco", category_id=groceries)
    for url in (f"/api/v1/rules/{rule}/apply", f"/api/v1/rules/{uuid.uuid4()}/apply"):
        response = home.client.post(url, headers=bob.headers, json={})
        assert response.status_code == 404, response.text
    assert _by_id(home, account)[txn]["category_id"] is None


# --- the page --------------------------------------------------------------------------


@pytest.fixture
def browser(client: TestClient, alice: ApiUser) -> TestClient:
    return sign_in(client, alice)


def test_the_page_counts_first_then_applies_and_says_how_many(
    browser: TestClient, home: Household, database: Database
) -> None:
    account = home.account()
    groceries, other = home.category("Groceries"), home.category("Other")
    plain = _txn(home, account, "-4.20", "TESCO STORES")
    categorised = _txn(home, account, "-7.00", "TESCO EXPRESS", category_id=other)
    food = home.tag("food")
    rule = _rule(home, "tesco", category_id=groceries, tag_ids=[food])

    shown = text(browser.get(f"/rules/{rule}", headers=HTML))
    assert "Apply to existing transactions" in shown
    assert f'action="/rules/{rule}/apply"' in shown
    assert 'name="only_uncategorised"' in shown

    asked = post_form(browser, f"/rules/{rule}/apply", {})
    assert asked.status_code == 200
    page = text(asked)
    assert "Apply “Tesco” to 2 transactions?" in page
    assert "2 transactions get the category Groceries." in page
    assert "2 transactions get the tag food added" in page
    assert 'name="confirm" value="yes"' in page
    assert _by_id(home, account)[plain]["category_id"] is None  # asking changes nothing

    done = post_form(browser, f"/rules/{rule}/apply", {"confirm": "yes"})
    assert done.status_code == 303
    assert done.headers["location"] == f"/rules/{rule}"
    after = text(browser.get(f"/rules/{rule}", headers=HTML))
    assert "“Tesco” is applied: 2 transactions changed." in after
    rows = _by_id(home, account)
    assert rows[plain]["category_id"] == rows[categorised]["category_id"] == groceries
    assert rows[plain]["tag_ids"] == rows[categorised]["tag_ids"] == [food]
    _aggregates_agree(database, home)

    again = text(post_form(browser, f"/rules/{rule}/apply", {}))
    assert "Nothing to change" in again
    assert 'name="confirm"' not in again


def test_the_page_applies_only_to_uncategorised_when_ticked(
    browser: TestClient, home: Household
) -> None:
    account = home.account()
    groceries, other = home.category("Groceries"), home.category("Other")
    plain = _txn(home, account, "-4.20", "TESCO STORES")
    categorised = _txn(home, account, "-7.00", "TESCO EXPRESS", category_id=other)
    rule = _rule(home, "tesco", category_id=groceries)

    asked = text(post_form(browser, f"/rules/{rule}/apply", {"only_uncategorised": "on"}))
    assert "Apply “Tesco” to 1 transaction?" in asked
    assert "1 transaction already has a category and is left alone." in asked
    assert 'name="only_uncategorised" value="on"' in asked
    done = post_form(
        browser, f"/rules/{rule}/apply", {"only_uncategorised": "on", "confirm": "yes"}
    )
    assert done.status_code == 303
    rows = _by_id(home, account)
    assert rows[plain]["category_id"] == groceries
    assert rows[categorised]["category_id"] == other
    again = text(post_form(browser, f"/rules/{rule}/apply", {"only_uncategorised": "on"}))
    assert "all of them already have a category; you chose only those without one" in again


def test_a_viewer_sees_no_apply_button_and_is_refused(
    app: Any, client: TestClient, home: Household, bob: ApiUser
) -> None:
    account = home.account()
    groceries = home.category("Groceries")
    txn = _txn(home, account, "-4.20", "TESCO STORES")
    rule = _rule(home, "tesco", category_id=groceries)
    tenant = _join(client, home.user, bob, "viewer")
    with TestClient(app, raise_server_exceptions=False) as viewer:
        sign_in(viewer, bob)
        assert post_form(viewer, "/tenants/switch", {"tenant_id": tenant}).status_code == 303
        shown = text(viewer.get(f"/rules/{rule}", headers=HTML))
        assert "Apply to existing transactions" not in shown
        assert "Apply to existing transactions" not in text(
            viewer.get(f"/rules/{rule}/matches", headers=HTML)
        )
        for data in ({}, {"confirm": "yes"}):
            assert post_form(viewer, f"/rules/{rule}/apply", data).status_code == 403
    assert _by_id(home, account)[txn]["category_id"] is None


def test_another_households_rule_page_apply_is_not_found(
    browser: TestClient, home: Household, bob: ApiUser
) -> None:
    body = {
        "name": "Theirs",
        "conditions": [{"field": "payee", "op": "contains", "value": "x"}],
        "actions": {"memo": "m"},
    }
    theirs = home.client.post("/api/v1/rules", headers=bob.headers, json=body).json()["id"]
    response = post_form(browser, f"/rules/{theirs}/apply", {"confirm": "yes"})
    assert response.status_code == 404
