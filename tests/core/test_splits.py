from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coffer.core.splits import (
    Item,
    SplitError,
    expense_effect,
    paid_by,
    split_equal,
    split_exact,
    split_itemized,
    split_percent,
    split_shares,
)

NOT_AN_INT: Any = 50.0  # a float, which the type checker would refuse written in place
totals = st.integers(min_value=-(10**11), max_value=10**11)
members_st = st.lists(st.text(min_size=1, max_size=4), min_size=1, max_size=12, unique=True)


# ------------------------------------------------------------------ hand-computed


def test_one_hundred_three_ways() -> None:
    assert split_equal(10000, ["ann", "bob", "cat"]) == {"ann": 3334, "bob": 3333, "cat": 3333}
    assert list(split_equal(10000, ["cat", "bob", "ann"]).values()) == [3334, 3333, 3333]


def test_exact_amounts_are_kept() -> None:
    assert split_exact(10000, {"ann": 2500, "bob": 7500, "cat": 0}) == {
        "ann": 2500,
        "bob": 7500,
        "cat": 0,
    }


def test_percentages() -> None:
    split = split_percent(
        10000, {"ann": Decimal("33.3"), "bob": Decimal("33.3"), "cat": Decimal("33.4")}
    )
    assert split == {"ann": 3330, "bob": 3330, "cat": 3340}
    # 50.5 % of 0.99: 0.49995 → the leftover unit goes to the larger remainder.
    assert split_percent(99, {"ann": Decimal("50.5"), "bob": Decimal("49.5")}) == {
        "ann": 50,
        "bob": 49,
    }


def test_shares() -> None:
    assert split_shares(10000, {"couple": Decimal(2), "single": Decimal(1)}) == {
        "couple": 6667,
        "single": 3333,
    }
    assert split_shares(100, {"ann": Decimal("0.5"), "bob": Decimal("1.5")}) == {
        "ann": 25,
        "bob": 75,
    }


def test_itemised_with_tax_and_tip() -> None:
    items = [
        Item(2500, ("ann", "bob", "cat"), "pizza"),  # 834 / 833 / 833
        Item(1800, ("ann", "bob"), "wine"),  # 900 / 900
        Item(1100, ("cat",), "salad"),
    ]
    # Subtotals 1734 / 1733 / 1933 (5400); tax 432 + tip 1000 = 1432 spread pro rata:
    # exact 459.83 / 459.57 / 512.60, floors 459 / 459 / 512, two units left over go to
    # the largest remainders (ann .83, cat .60).
    split = split_itemized(items, tax=432, tip=1000, total=6832)
    assert split == {"ann": 1734 + 460, "bob": 1733 + 459, "cat": 1933 + 513}
    assert sum(split.values()) == 6832


def test_itemised_group_order_and_absent_members() -> None:
    split = split_itemized([Item(100, ("cat", "ann"))], members=["ann", "bob", "cat"], tax=0, tip=0)
    # Ties go to the earlier member of the group, whatever order the item lists them in.
    assert split == {"ann": 50, "bob": 0, "cat": 50}
    assert split_itemized([Item(101, ("cat", "ann"))], members=["ann", "bob", "cat"]) == {
        "ann": 51,
        "bob": 0,
        "cat": 50,
    }


def test_payers_and_net_effect() -> None:
    split = split_equal(9000, ["ann", "bob", "cat"])
    effect = expense_effect(9000, split, {"ann": 6000, "bob": 3000})
    assert effect == {"ann": 3000, "bob": 0, "cat": -3000}
    assert paid_by(9000, {"ann": 9000}, ["ann", "bob"]) == {"ann": 9000}


# ------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    ("call", "message", "field", "member"),
    [
        (lambda: split_equal(100, []), "at least one member", "members", None),
        (lambda: split_equal(100, ["ann", "ann"]), "'ann' is listed twice", "members", "ann"),
        (lambda: split_equal(NOT_AN_INT, ["ann"]), "whole number of minor units", "total", None),
        (
            lambda: split_exact(10000, {"ann": 2500, "bob": 7000}),
            "the exact amounts add up to 9500 but the total is 10000 (500 missing)",
            "amounts",
            None,
        ),
        (
            lambda: split_exact(10000, {"ann": 2500, "bob": 8000}),
            "add up to 10500 but the total is 10000 (500 too much)",
            "amounts",
            None,
        ),
        (
            lambda: split_exact(100, {"ann": 150, "bob": -50}),
            "the amount of 'bob' (-50) has the opposite sign to the total",
            "amounts",
            "bob",
        ),
        (
            lambda: split_percent(100, {"ann": Decimal(50), "bob": Decimal("49.9")}),
            "the percentages add up to 99.9, not 100",
            "percents",
            None,
        ),
        (
            lambda: split_percent(100, {"ann": Decimal(110), "bob": Decimal(-10)}),
            "the percentage of 'bob' (-10) cannot be negative",
            "percents",
            "bob",
        ),
        (
            lambda: split_percent(100, {"ann": NOT_AN_INT, "bob": Decimal(50)}),
            "the percentage of 'ann' must be an exact decimal, not 50.0",
            "percents",
            "ann",
        ),
        (
            lambda: split_shares(100, {"ann": Decimal(1), "bob": Decimal(0)}),
            "the share of 'bob' is 0; shares must be greater than zero",
            "shares",
            "bob",
        ),
        (
            lambda: split_shares(100, {"ann": Decimal(-1)}),
            "the share of 'ann' is -1; shares must be greater than zero",
            "shares",
            "ann",
        ),
        (
            lambda: split_shares(100, {"ann": Decimal("NaN")}),
            "the share of 'ann' is not a finite number",
            "shares",
            "ann",
        ),
        (lambda: split_itemized([]), "at least one item", "items", None),
        (
            lambda: split_itemized([Item(100, ())]),
            "item 1 is shared by nobody",
            "items",
            None,
        ),
        (
            lambda: split_itemized([Item(100, ("ann",)), Item(50, ("ann", "ann"), "tea")]),
            "item 2 (tea) lists 'ann' twice",
            "items",
            "ann",
        ),
        (
            lambda: split_itemized([Item(100, ("ann", "zed"))], members=["ann", "bob"]),
            "item 1 is shared by 'zed', who is not in the group",
            "items",
            "zed",
        ),
        (
            lambda: split_itemized([Item(-100, ("ann",))]),
            "the amount of item 1 cannot be negative",
            "items",
            None,
        ),
        (
            lambda: split_itemized([Item(100, ("ann",))], tax=-5),
            "the tax cannot be negative",
            "tax",
            None,
        ),
        (
            lambda: split_itemized([Item(1000, ("ann",))], tax=80, tip=100, total=1200),
            "the items (1000), tax (80) and tip (100) add up to 1180, but the total is 1200",
            "total",
            None,
        ),
        (
            lambda: split_itemized([Item(0, ("ann",))], tip=100),
            "tax and tip cannot be spread in proportion to items that add up to zero",
            "tip",
            None,
        ),
        (
            lambda: paid_by(100, {"ann": 50, "zed": 50}, ["ann", "bob"]),
            "the payer 'zed' is not in the group",
            "payers",
            "zed",
        ),
        (
            lambda: paid_by(100, {"ann": 50, "bob": 40}, ["ann", "bob"]),
            "the payers paid 90 in all but the total is 100",
            "payers",
            None,
        ),
        (lambda: paid_by(100, {}, ["ann"]), "at least one payer", "payers", None),
        (
            lambda: expense_effect(100, {"ann": 50, "bob": 40}, {"ann": 100}),
            "the split adds up to 90 but the total is 100",
            "split",
            None,
        ),
        (
            lambda: expense_effect(100, {"ann": 50, "bob": 50}, {"zed": 100}),
            "the payer 'zed' is not in the group",
            "payers",
            "zed",
        ),
    ],
)
def test_invalid_splits_are_refused_with_a_reason(
    call: object, message: str, field: str, member: str | None
) -> None:
    assert callable(call)
    with pytest.raises(SplitError) as caught:
        call()
    assert message in str(caught.value)
    assert caught.value.field == field
    assert caught.value.member == member
    assert isinstance(caught.value, ValueError)


# ------------------------------------------------------------------ properties


@given(total=totals, members=members_st)
def test_equal_split_is_exact_and_fair(total: int, members: list[str]) -> None:
    split = split_equal(total, members)
    assert list(split) == members
    assert sum(split.values()) == total
    assert max(split.values()) - min(split.values()) <= 1


@given(
    total=totals,
    weights=st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=12),
    scale=st.integers(min_value=0, max_value=4),
)
def test_shares_are_exact_and_within_one_unit(total: int, weights: list[int], scale: int) -> None:
    shares = {f"m{i}": Decimal(w).scaleb(-scale) for i, w in enumerate(weights)}
    split = split_shares(total, shares)
    assert sum(split.values()) == total
    weight_sum = sum(Fraction(s) for s in shares.values())
    for member, share in shares.items():
        assert abs(split[member] - total * Fraction(share) / weight_sum) < 1


@st.composite
def percents(draw: st.DrawFn) -> dict[str, Decimal]:
    """Percentages with two decimals adding up to exactly 100."""
    cuts = draw(st.lists(st.integers(min_value=0, max_value=10000), max_size=11))
    points = [0, *sorted(cuts), 10000]
    return {
        f"m{i}": Decimal(high - low).scaleb(-2) for i, (low, high) in enumerate(pairwise(points))
    }


@given(total=totals, percents=percents())
def test_percentages_are_exact_and_within_one_unit(
    total: int, percents: dict[str, Decimal]
) -> None:
    assert sum(percents.values()) == 100
    split = split_percent(total, percents)
    assert sum(split.values()) == total
    for member, percent in percents.items():
        assert abs(split[member] - total * Fraction(percent) / 100) < 1


@given(
    amounts=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=12),
    sign=st.sampled_from([1, -1]),
)
def test_exact_amounts_matching_the_total_are_accepted(amounts: list[int], sign: int) -> None:
    given = {f"m{i}": sign * a for i, a in enumerate(amounts)}
    total = sum(given.values())
    assert split_exact(total, given) == given
    if total:
        with pytest.raises(SplitError, match="add up to"):
            split_exact(total + sign, given)


@given(
    items=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=10**6),
            st.lists(st.sampled_from("abcdef"), min_size=1, max_size=6, unique=True),
        ),
        min_size=1,
        max_size=15,
    ),
    tax=st.integers(min_value=0, max_value=10**5),
    tip=st.integers(min_value=0, max_value=10**5),
)
def test_itemised_split_sums_to_the_bill(
    items: list[tuple[int, list[str]]], tax: int, tip: int
) -> None:
    bill = [Item(amount, tuple(who)) for amount, who in items]
    items_total = sum(amount for amount, _ in items)
    if items_total == 0:
        tax = tip = 0
    split = split_itemized(bill, tax=tax, tip=tip, total=items_total + tax + tip)
    assert sum(split.values()) == items_total + tax + tip
    # Each member within one unit of the exact pro-rata amount on their subtotal.
    subtotals = split_itemized(bill)
    for member, subtotal in subtotals.items():
        exact = subtotal + Fraction((tax + tip) * subtotal, items_total or 1)
        assert abs(split[member] - exact) < 1


@given(
    total=st.integers(min_value=0, max_value=10**9),
    members=members_st,
    data=st.data(),
)
def test_net_effects_add_up_to_zero(total: int, members: list[str], data: st.DataObject) -> None:
    split = split_equal(total, members)
    payers = data.draw(st.lists(st.sampled_from(members), min_size=1, max_size=3, unique=True))
    paid = dict(zip(payers, split_equal(total, payers).values(), strict=True))
    effect = expense_effect(total, split, paid)
    assert sum(effect.values()) == 0
    assert list(effect) == members
    for member in members:
        assert effect[member] == paid.get(member, 0) - split[member]
