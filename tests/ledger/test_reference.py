"""Accounts, categories, tags, merchants and FX rates through the service."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from coffer.db.session import normalise_url
from coffer.errors import RuleViolation, ValidationFailed
from coffer.imports import rules
from coffer.ledger import service
from coffer.ledger.errors import MissingRate
from coffer.ledger.models import AccountType, CategoryKind, Merchant
from coffer.ledger.service import SplitLine, TransactionFilter
from tests.ledger.conftest import Book

# --- accounts -------------------------------------------------------------------------


def test_account_number_is_encrypted_at_rest(book: Book, database_urls: dict[str, str]) -> None:
    account = book.account(account_number="GB29 NWBK 6016 1331 9268 19")
    assert account.last_four == "6819"
    engine = create_engine(normalise_url(database_urls["owner"]))
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT account_number FROM account WHERE name = 'Checking'")
        ).scalar_one()
    engine.dispose()
    assert "NWBK" not in stored
    with book.uow() as s:
        loaded = service.get_account(s, tenant_id=book.tenant_id, account_id=account.id)
        assert loaded.account_number == "GB29 NWBK 6016 1331 9268 19"
    created = book.events(account.id)[0]
    assert created.new_values
    assert "NWBK" not in str(created.new_values)


def test_account_terms_apply_only_where_they_belong(book: Book) -> None:
    card = book.account(
        "Card",
        type=AccountType.credit_card,
        credit_limit=Decimal("5000"),
        interest_rate=Decimal("19.99"),
    )
    assert card.credit_limit_minor == 500_000
    assert card.interest_rate == Decimal("19.99")
    assert card.include_in_budget is True
    house = book.account("House", type=AccountType.property)
    assert house.include_in_budget is False
    with pytest.raises(ValidationFailed, match="credit_limit"):
        book.account("Cash", type=AccountType.cash, credit_limit=Decimal("1"))
    with pytest.raises(ValidationFailed, match="interest_rate"):
        book.account("Car", type=AccountType.vehicle, interest_rate=Decimal("3"))
    with pytest.raises(ValidationFailed, match="name"):
        book.account("card")


def test_currency_changes_only_while_the_account_is_empty(book: Book) -> None:
    account = book.account(opening_balance=Decimal("10.50"))
    with book.uow() as s:
        changed = service.update_account(
            s, **book.scope, account_id=account.id, values={"currency": "EUR"}
        )
        assert (changed.currency, changed.opening_balance_minor) == ("EUR", 1050)
    book.post(account.id, "-1.00")
    with book.uow() as s, pytest.raises(ValidationFailed, match="currency"):
        service.update_account(s, **book.scope, account_id=account.id, values={"currency": "JPY"})


def test_balance_on_a_day(book: Book) -> None:
    account = book.account(opening_balance=Decimal("100"))
    for day, amount in [
        (date(2026, 1, 31), "-10"),
        (date(2026, 2, 1), "-5"),
        (date(2026, 2, 15), "7"),
    ]:
        book.post(account.id, amount, posted_on=day)
    with book.uow() as s:
        acct = service.get_account(s, tenant_id=book.tenant_id, account_id=account.id)
        on = [
            service.balance(s, tenant_id=book.tenant_id, account=acct, on=d)
            for d in (
                date(2025, 12, 31),
                date(2026, 1, 31),
                date(2026, 2, 1),
                date(2026, 2, 14),
                date(2026, 3, 1),
            )
        ]
    assert on == [10000, 9000, 8500, 8500, 9200]


# --- categories -----------------------------------------------------------------------


def test_default_categories_are_created_once(book: Book) -> None:
    with book.uow() as s:
        created = service.ensure_default_categories(s, tenant_id=book.tenant_id)
        assert service.ensure_default_categories(s, tenant_id=book.tenant_id) == []
        names = {c.name for c in created if c.parent_id is None}
    assert {"Salary", "Other income", "Home", "Food", "Transport", "Health", "Leisure"} <= names
    assert {"Shopping", "Bills", "Kids", "Savings"} <= names
    with book.uow() as s:
        cats = service.list_categories(s, tenant_id=book.tenant_id)
        by_id = {c.id: c for c in cats}
        for c in cats:
            if c.parent_id is not None:
                parent = by_id[c.parent_id]
                assert parent.parent_id is None
                assert parent.kind == c.kind
    # A second household's defaults do not collide with the first's.
    with book.uow() as s:
        assert len(cats) > 40


def test_categories_have_two_levels_and_unique_names(book: Book) -> None:
    with book.uow() as s:
        food = service.create_category(s, **book.scope, name="Food", kind=CategoryKind.expense)
        groceries = service.create_category(
            s, **book.scope, name="Groceries", kind=CategoryKind.expense, parent_id=food.id
        )
        home = service.create_category(s, **book.scope, name="Home", kind=CategoryKind.expense)
        # The same child name under another parent is fine.
        service.create_category(
            s, **book.scope, name="Groceries", kind=CategoryKind.expense, parent_id=home.id
        )
    with book.uow() as s, pytest.raises(ValidationFailed, match="parent_id"):
        service.create_category(
            s, **book.scope, name="Deep", kind=CategoryKind.expense, parent_id=groceries.id
        )
    with book.uow() as s, pytest.raises(ValidationFailed, match="parent_id"):
        service.create_category(
            s, **book.scope, name="Pay", kind=CategoryKind.income, parent_id=food.id
        )
    with book.uow() as s, pytest.raises(ValidationFailed, match="name"):
        service.create_category(s, **book.scope, name="FOOD", kind=CategoryKind.income)
    with book.uow() as s, pytest.raises(ValidationFailed, match="parent_id"):
        service.update_category(s, **book.scope, category_id=food.id, values={"parent_id": home.id})


def test_merge_moves_transactions_splits_children_and_aggregates(book: Book) -> None:
    account = book.account()
    with book.uow() as s:
        dining = service.create_category(s, **book.scope, name="Dining", kind=CategoryKind.expense)
        cafes = service.create_category(
            s, **book.scope, name="Cafes", kind=CategoryKind.expense, parent_id=dining.id
        )
        food = service.create_category(s, **book.scope, name="Food", kind=CategoryKind.expense)
        food_cafes = service.create_category(
            s, **book.scope, name="cafes", kind=CategoryKind.expense, parent_id=food.id
        )
    with book.uow() as s:
        rule_ids = [
            rules.create_rule(
                s,
                **book.scope,
                name=name,
                conditions=[{"field": "payee", "op": "contains", "value": name}],
                actions={"category_id": str(category.id), "memo": name},
            ).id
            for name, category in (("diner", dining), ("espresso", cafes), ("shop", food))
        ]
    plain = book.post(account.id, "-10", category_id=dining.id)
    in_child = book.post(account.id, "-3", category_id=cafes.id)
    book.post(
        account.id, "-7", splits=[SplitLine(Decimal("-4"), dining.id), SplitLine(Decimal("-3"))]
    )
    with book.uow() as s:
        service.merge_categories(s, **book.scope, source_id=dining.id, target_id=food.id)
    with book.uow() as s:
        assert (
            service.get_transaction(s, tenant_id=book.tenant_id, transaction_id=plain).category_id
            == food.id
        )
        # Cafes met its twin under Food, so the two were merged too.
        assert (
            service.get_transaction(
                s, tenant_id=book.tenant_id, transaction_id=in_child
            ).category_id
            == food_cafes.id
        )
        found = service.search_transactions(
            s, tenant_id=book.tenant_id, filters=TransactionFilter(category_ids=(food.id,))
        )
        assert len(found.items) == 3
        names = {c.name for c in service.list_categories(s, tenant_id=book.tenant_id)}
        assert names == {"Food", "cafes"}
        # Rules follow their categories; their other actions stay as they were.
        stored = [rules.get_rule(s, tenant_id=book.tenant_id, rule_id=i) for i in rule_ids]
        assert [r.actions for r in stored] == [
            {"category_id": str(food.id), "memo": "diner"},
            {"category_id": str(food_cafes.id), "memo": "espresso"},
            {"category_id": str(food.id), "memo": "shop"},
        ]
    moved = [e for e in book.events() if e.action == "rule.updated"]
    assert {e.entity_id for e in moved} == {str(i) for i in rule_ids[:2]}
    merged = [e for e in book.events() if e.action == "category.merged"]
    assert merged[-1].new_values
    # Its own transaction plus the one of the child merged into its twin; one split line.
    assert merged[-1].new_values["transactions"] == 2
    assert merged[-1].new_values["split_lines"] == 1
    assert merged[-1].new_values["rules"] == 2
    book.check_aggregates()


def test_delete_without_reassignment_uncategorises(book: Book) -> None:
    account = book.account()
    with book.uow() as s:
        parent = service.create_category(s, **book.scope, name="Fun", kind=CategoryKind.expense)
        child = service.create_category(
            s, **book.scope, name="Games", kind=CategoryKind.expense, parent_id=parent.id
        )
    txn = book.post(account.id, "-9", category_id=child.id)
    with book.uow() as s, pytest.raises(RuleViolation):
        service.delete_category(s, **book.scope, category_id=parent.id)
    with book.uow() as s:
        service.delete_category(s, **book.scope, category_id=child.id)
        assert (
            service.get_transaction(s, tenant_id=book.tenant_id, transaction_id=txn).category_id
            is None
        )
    book.check_aggregates()


# --- tags and merchants ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("payee", "merchant"),
    [
        ("SQ *BLUE BOTTLE COFFEE 0423", "Blue Bottle Coffee"),
        ("AMAZON MKTPLACE PMTS*2X3Y4 SEATTLE WA", "Amazon Mktplace Pmts"),
        ("POS STARBUCKS #1234 NEW YORK", "Starbucks"),
        ("PAYPAL *Spotify", "Spotify"),
        ("Netflix.com", "Netflix.com"),
        ("12345", None),
        ("", None),
    ],
)
def test_normalise_merchant(payee: str, merchant: str | None) -> None:
    assert service.normalise_merchant(payee) == merchant


def test_a_new_payee_brings_its_merchant_unless_one_was_chosen(book: Book) -> None:
    account = book.account()
    derived = book.post(account.id, "-4", payee="POS STARBUCKS #1234")
    chosen = book.post(account.id, "-4", payee="POS STARBUCKS #1234", merchant="Coffee")

    def merchant_of(s: Any, txn_id: uuid.UUID) -> str | None:
        txn = service.get_transaction(s, tenant_id=book.tenant_id, transaction_id=txn_id)
        found = s.get(Merchant, txn.merchant_id) if txn.merchant_id else None
        return found.name if found else None

    with book.uow() as s:
        assert merchant_of(s, derived) == "Starbucks"
        for txn_id in (derived, chosen):
            service.update_transaction(
                s, **book.scope, transaction_id=txn_id, values={"payee": "PAYPAL *Spotify"}
            )
    with book.uow() as s:
        assert merchant_of(s, derived) == "Spotify"
        assert merchant_of(s, chosen) == "Coffee"
        service.update_transaction(s, **book.scope, transaction_id=derived, values={"payee": "123"})
    with book.uow() as s:
        assert merchant_of(s, derived) is None
    changed = [e for e in book.events(derived) if e.action == "transaction.updated"]
    assert changed
    assert "merchant" in str(changed[0].new_values)


def test_tags_are_unique_regardless_of_case_and_deleting_untags(book: Book) -> None:
    account = book.account()
    with book.uow() as s:
        tag = service.create_tag(s, **book.scope, name="Holiday", colour="#ff0000")
        assert tag.colour == "#FF0000"
    with book.uow() as s, pytest.raises(ValidationFailed, match="name"):
        service.create_tag(s, **book.scope, name="holiday")
    txn = book.post(account.id, "-1", tag_ids=[tag.id])
    with book.uow() as s:
        assert service.tag_usage(s, tenant_id=book.tenant_id) == {tag.id: 1}
        service.delete_tag(s, **book.scope, tag_id=tag.id)
    with book.uow() as s:
        txn_row = service.get_transaction(s, tenant_id=book.tenant_id, transaction_id=txn)
        assert service.load_views(s, tenant_id=book.tenant_id, txns=[txn_row])[0].tag_ids == []


# --- FX -------------------------------------------------------------------------------


def test_convert_uses_the_latest_rate_on_or_before_the_day(book: Book) -> None:
    with book.uow() as s:
        for day, rate in [(date(2026, 1, 1), "0.90"), (date(2026, 2, 1), "0.95")]:
            service.add_rate(
                s, **book.scope, rate_on=day, base="USD", quote="EUR", rate=Decimal(rate)
            )
    with book.uow() as s:

        def convert(amount: int, f: str, t: str, on: date) -> int:
            return service.convert(
                s, tenant_id=book.tenant_id, amount_minor=amount, from_ccy=f, to_ccy=t, on=on
            )

        assert convert(1000, "USD", "EUR", date(2026, 1, 31)) == 900
        assert convert(1000, "USD", "EUR", date(2026, 3, 1)) == 950
        # Only EUR->USD is missing: the inverse of USD->EUR, rounded half-up.
        assert convert(1000, "EUR", "USD", date(2026, 1, 15)) == 1111
        assert convert(1000, "USD", "USD", date(2020, 1, 1)) == 1000
        with pytest.raises(MissingRate):
            convert(1000, "USD", "EUR", date(2025, 12, 31))
        with pytest.raises(MissingRate):
            convert(1000, "USD", "JPY", date(2026, 3, 1))


def test_rates_are_exact(book: Book) -> None:
    with book.uow() as s:
        row = service.add_rate(
            s,
            **book.scope,
            rate_on=date(2026, 1, 1),
            base="USD",
            quote="JPY",
            rate=Decimal("157.123456789012345"),
        )
    with book.uow() as s:
        assert service.get_rate(s, tenant_id=book.tenant_id, fx_rate_id=row.id).rate == Decimal(
            "157.123456789012345"
        )
    with book.uow() as s, pytest.raises(ValidationFailed, match="rate_on"):
        service.add_rate(
            s, **book.scope, rate_on=date(2026, 1, 1), base="USD", quote="JPY", rate=Decimal(1)
        )
    with book.uow() as s, pytest.raises(ValidationFailed, match="significant digits"):
        service.add_rate(
            s,
            **book.scope,
            rate_on=date(2026, 1, 3),
            base="USD",
            quote="JPY",
            rate=Decimal("1.23456789012345678901"),
        )
    with book.uow() as s, pytest.raises(ValidationFailed, match="quote"):
        service.add_rate(
            s, **book.scope, rate_on=date(2026, 1, 2), base="USD", quote="usd", rate=Decimal(1)
        )


def test_csv_import_updates_existing_days(book: Book) -> None:
    with book.uow() as s:
        first = service.import_rates_csv(
            s, **book.scope, content="2026-01-01,USD,EUR,0.9\n2026-01-02,USD,EUR,0.91\n"
        )
        assert (first.created, first.updated) == (2, 0)
    with book.uow() as s:
        second = service.import_rates_csv(
            s,
            **book.scope,
            content="date,base,quote,rate\n2026-01-02,USD,EUR,0.92\n2026-01-03,USD,EUR,0.93\n",
        )
        assert (second.created, second.updated) == (1, 1)
    with book.uow() as s, pytest.raises(ValidationFailed) as caught:
        service.import_rates_csv(
            s, **book.scope, content="2026-01-05,USD,EUR,0.9\n2026-01-05,USD,EUR,0.8\nnonsense\n"
        )
    assert [(e["line"], e["field"]) for e in caught.value.errors or []] == [
        ("2", "file"),
        ("3", "file"),
    ]
