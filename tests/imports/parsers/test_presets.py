"""The exports of Firefly III, Actual Budget, YNAB and Mint, recognised and read."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from coffer.imports.parsers import detect_preset, iter_csv, preset, sniff
from tests.imports.parsers.helpers import fixture, stream


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("firefly_export.csv", "firefly"),
        ("actual_export.csv", "actual"),
        ("ynab_register.csv", "ynab"),
        ("mint_transactions.csv", "mint"),
        ("us_bank.csv", None),
        ("german_bank.csv", None),
    ],
)
def test_sniff_recognises_the_export(name: str, expected: str | None) -> None:
    assert sniff(fixture(name)).preset == expected


def test_detect_preset_tolerates_added_columns_and_case() -> None:
    assert (
        detect_preset(
            [
                "DATE",
                "Description",
                "Original Description",
                "Amount",
                "Transaction Type",
                "Category",
                "Extra",
            ]
        )
        == "mint"
    )
    assert detect_preset(["Date", "Payee", "Amount"]) is None
    with pytest.raises(KeyError, match="no preset named 'quicken'"):
        preset("quicken")


def read(name: str, preset_name: str) -> list[tuple[object, ...]]:
    return [
        (t.line, t.posted_on, t.amount, t.payee, t.memo, t.category, t.external_id, t.currency)
        for t in iter_csv(stream(fixture(name)), preset(preset_name))
    ]


def test_firefly_export() -> None:
    assert read("firefly_export.csv", "firefly") == [
        (
            2,
            date(2024, 3, 2),
            Decimal("-23.45"),
            "Rewe Markt",
            "Weekly groceries Paid by card",
            "Groceries",
            "415",
            "EUR",
        ),
        (
            3,
            date(2024, 3, 15),
            Decimal("3120.55"),
            "Muster Maschinenbau GmbH",
            "Salary March",
            "Salary",
            "416",
            "EUR",
        ),
        # 23:30 at +02:00 stays on the 31st: the day as written, not moved to UTC.
        (
            4,
            date(2024, 3, 31),
            Decimal("-9.99"),
            "Streamify AB",
            "Music subscription Family plan\nshared with Max",
            "Subscriptions",
            "417",
            "EUR",
        ),
    ]


def test_actual_export_imports_split_parts_not_their_zero_parent() -> None:
    assert read("actual_export.csv", "actual") == [
        (
            2,
            date(2024, 4, 1),
            Decimal("-1250"),
            "Harbor View Apartments",
            "April rent",
            "Housing: Rent",
            None,
            None,
        ),
        (
            4,
            date(2024, 4, 3),
            Decimal("-61.15"),
            "Cornerstone Market",
            "(SPLIT 1 OF 2)",
            "Food: Groceries",
            None,
            None,
        ),
        (
            5,
            date(2024, 4, 3),
            Decimal("-25.25"),
            "Cornerstone Market",
            "(SPLIT 2 OF 2) allergy tablets",
            "Health: Pharmacy",
            None,
            None,
        ),
        (
            6,
            date(2024, 4, 15),
            Decimal("2150"),
            "Northwind Payroll",
            "",
            "Income: Salary",
            None,
            None,
        ),
        (
            7,
            date(2024, 4, 20),
            Decimal("-42.8"),
            "Dinner, Luigi's",
            "with Sam",
            "Food: Restaurants",
            None,
            None,
        ),
    ]


def test_ynab_register_outflow_inflow_with_currency_symbols() -> None:
    mapping = sniff(fixture("ynab_register.csv")).suggested
    assert mapping is not None
    assert mapping.date_format == "%m/%d/%Y"  # detected from 03/14 and 03/15
    found = list(iter_csv(stream(fixture("ynab_register.csv")), mapping))
    assert [(t.line, t.posted_on, t.amount, t.payee, t.category) for t in found] == [
        (2, date(2024, 3, 1), Decimal("1500.00"), "Starting Balance", "Inflow: Ready to Assign"),
        (
            3,
            date(2024, 3, 2),
            Decimal("-54.23"),
            "Greenleaf Grocery",
            "Everyday Expenses: Groceries",
        ),
        (4, date(2024, 3, 14), Decimal("-87.64"), "Springfield Utilities", "Bills: Electric"),
        (5, date(2024, 3, 15), Decimal("2150.00"), "Northwind Payroll", "Inflow: Ready to Assign"),
        (6, date(2024, 3, 20), Decimal("-250.00"), "Transfer : Savings", None),
    ]


def test_mint_positive_amounts_with_transaction_type() -> None:
    assert read("mint_transactions.csv", "mint") == [
        (
            2,
            date(2023, 1, 5),
            Decimal("-54.23"),
            "Greenleaf Grocery",
            "GREENLEAF GROCERY #112 SPRINGFIELD IL",
            "Groceries",
            None,
            None,
        ),
        (
            3,
            date(2023, 1, 13),
            Decimal("2150.00"),
            "Northwind",
            "NORTHWIND PAYROLL PPD",
            "Paycheck",
            None,
            None,
        ),
        (
            4,
            date(2023, 1, 20),
            Decimal("-4.75"),
            "Coffee Corner",
            "COFFEE CORNER DOWNTOWN with Sam",
            "Coffee Shops",
            None,
            None,
        ),
        (
            5,
            date(2022, 12, 31),
            Decimal("0.42"),
            "Interest",
            "INTEREST PAYMENT",
            "Interest Income",
            None,
            None,
        ),
    ]
