from __future__ import annotations

import random
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coffer.core.settle import (
    EXACT_LIMIT,
    Payment,
    SettleError,
    apply_payments,
    greedy,
    minimum_payments,
    settle,
)

NOT_AN_INT: Any = 1.5  # the type checker would refuse it written in place


def brute_force_minimum(balances: list[int]) -> int:
    """Fewest payments by the textbook subset DP: n - most disjoint zero-sum groups.

    best[mask] = max over members i of best[mask without i], plus one when mask sums to
    zero: O(2^n n), written independently of the module's search.
    """
    values = [b for b in balances if b]
    n = len(values)
    sums = [0] * (1 << n)
    best = [0] * (1 << n)
    for mask in range(1, 1 << n):
        low = mask & -mask
        sums[mask] = sums[mask ^ low] + values[low.bit_length() - 1]
        best[mask] = max(best[mask ^ (1 << i)] for i in range(n) if mask >> i & 1) + (
            sums[mask] == 0
        )
    return n - best[(1 << n) - 1]


@st.composite
def balances(draw: st.DrawFn, max_members: int, spread: int | None = None) -> dict[str, int]:
    """Balances adding up to zero; small spreads make many zero-sum groups."""
    if spread is None:
        spread = draw(st.sampled_from([3, 10, 30, 1000, 10**7]))
    size = draw(st.integers(min_value=1, max_value=max_members))
    pair = size >= 3 and draw(st.booleans())  # exact opposites, as real groups have
    free = size - 1 - (2 if pair else 0)
    values = draw(st.lists(st.integers(-spread, spread), min_size=free, max_size=free))
    values.append(-sum(values))
    if pair:
        amount = draw(st.integers(min_value=1, max_value=spread))
        values += [amount, -amount]
    order = draw(st.permutations(values))
    return {f"m{i}": balance for i, balance in enumerate(order)}


def check_plan(before: dict[str, int], plan: list[Payment[str]]) -> None:
    assert all(value == 0 for value in apply_payments(before, plan).values())
    for payment in plan:
        assert payment.amount > 0
        assert before[payment.payer] < 0 < before[payment.payee]


# ------------------------------------------------------------------ hand-computed


def test_greedy_pays_the_largest_creditor_from_the_largest_debtor() -> None:
    plan = greedy({"ann": 5000, "bob": 3000, "cat": -8000})
    assert plan == [Payment("cat", "ann", 5000), Payment("cat", "bob", 3000)]
    assert greedy({"ann": 0, "bob": 0}) == []
    assert settle({}) == []


def test_settle_beats_greedy_when_groups_settle_among_themselves() -> None:
    balances = {"a": -9, "b": -7, "c": -4, "d": 9, "e": -8, "f": 19}
    assert len(greedy(balances)) == 5
    plan = settle(balances)
    assert plan == [
        Payment("a", "d", 9),  # exact opposites
        Payment("e", "f", 8),
        Payment("b", "f", 7),
        Payment("c", "f", 4),
    ]
    assert minimum_payments(balances) == 4 == brute_force_minimum(list(balances.values()))


def test_two_groups_of_three() -> None:
    balances = {"a": 1000, "b": -600, "c": 250, "d": -400, "e": -250, "f": 0}
    # {a, b, d} and {c, e}: three payments where greedy needs four.
    assert len(settle(balances)) == 3
    check_plan(balances, settle(balances))


def test_output_is_deterministic_and_follows_member_order() -> None:
    balances = {"ann": 10, "bob": 10, "cat": -10, "dan": -10}
    assert settle(balances) == [Payment("cat", "ann", 10), Payment("dan", "bob", 10)]
    assert settle(balances) == settle(dict(balances))


def test_balances_must_add_up_to_zero() -> None:
    with pytest.raises(SettleError, match=r"the balances add up to 5, not 0"):
        settle({"ann": 10, "bob": -5})
    with pytest.raises(SettleError, match=r"add up to -5, not 0 \(members owe more\)"):
        greedy({"ann": 5, "bob": -10})
    with pytest.raises(SettleError, match=r"the balance of 'ann' must be a whole number"):
        settle({"ann": NOT_AN_INT, "bob": -NOT_AN_INT})


def test_many_opposite_pairs() -> None:
    balances: dict[str, int] = {}
    for i in range(100):
        balances[f"c{i}"] = 100 + i
        balances[f"d{i}"] = -(100 + i)
    plan = settle(balances)
    assert len(plan) == 100
    check_plan(balances, plan)


def test_twenty_members_quickly_even_with_small_amounts() -> None:
    rng = random.Random(7)
    slowest = 0.0
    for _ in range(20):
        values = [rng.randint(-30, 30) for _ in range(EXACT_LIMIT - 1)]
        values.append(-sum(values))
        group = {f"m{i}": v for i, v in enumerate(values)}
        started = time.perf_counter()
        plan = settle(group)
        slowest = max(slowest, time.perf_counter() - started)
        check_plan(group, plan)
    assert slowest < 2.0  # generous: the target is 0.1 s; this guards against blow-ups


# ------------------------------------------------------------------ properties


@settings(max_examples=300, deadline=None)
@given(group=balances(max_members=12))
def test_plan_is_minimal_up_to_twelve_members(group: dict[str, int]) -> None:
    plan = settle(group)
    check_plan(group, plan)
    assert len(plan) == brute_force_minimum(list(group.values()))
    assert len(plan) <= len(greedy(group))


@settings(max_examples=100, deadline=None)
@given(group=balances(max_members=EXACT_LIMIT))
def test_plan_settles_twenty_members_no_worse_than_greedy(group: dict[str, int]) -> None:
    plan = settle(group)
    check_plan(group, plan)
    assert len(plan) <= len(greedy(group))
    assert plan == settle(group)


@settings(max_examples=50, deadline=None)
@given(group=balances(max_members=120))
def test_heuristic_for_large_groups_settles_no_worse_than_greedy(group: dict[str, int]) -> None:
    plan = settle(group)
    check_plan(group, plan)
    assert len(plan) <= len(greedy(group))


@given(group=balances(max_members=40))
def test_greedy_settles_everything(group: dict[str, int]) -> None:
    plan = greedy(group)
    check_plan(group, plan)
    assert len(plan) <= max(sum(1 for v in group.values() if v) - 1, 0)


def test_plan_is_minimal_for_full_groups_of_twelve() -> None:
    """Hypothesis favours small groups when it shrinks; this covers twelve every time."""
    rng = random.Random(12)
    for _ in range(150):
        spread = rng.choice([3, 10, 30, 1000, 10**6])
        values = [rng.randint(-spread, spread) for _ in range(11)]
        values.append(-sum(values))
        group = {f"m{i}": balance for i, balance in enumerate(values)}
        plan = settle(group)
        check_plan(group, plan)
        assert len(plan) == brute_force_minimum(values)
