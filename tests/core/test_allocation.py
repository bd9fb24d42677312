from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coffer.core.allocation import AllocationError, allocate, split_evenly


def test_three_way_split_of_one_hundred() -> None:
    assert split_evenly(10000, 3) == [3334, 3333, 3333]
    assert split_evenly(-10000, 3) == [-3334, -3333, -3333]


def test_weights_are_respected() -> None:
    assert allocate(100, [1, 1, 2]) == [25, 25, 50]
    assert allocate(5, [0, 1]) == [0, 5]


@pytest.mark.parametrize("weights", [[], [0, 0], [1, -1]])
def test_bad_weights_are_refused(weights: list[int]) -> None:
    with pytest.raises(AllocationError):
        allocate(100, weights)


@given(
    total=st.integers(min_value=-(10**12), max_value=10**12),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30).filter(
        lambda ws: sum(ws) > 0
    ),
)
def test_parts_sum_to_the_whole_and_stay_within_one_unit(total: int, weights: list[int]) -> None:
    parts = allocate(total, weights)
    assert sum(parts) == total
    weight_sum = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(total * weight, weight_sum)
        assert abs(part - exact) < 1
        if weight == 0:
            assert part == 0


@given(total=st.integers(min_value=-(10**9), max_value=10**9), count=st.integers(1, 50))
def test_even_split_parts_differ_by_at_most_one(total: int, count: int) -> None:
    parts = split_evenly(total, count)
    assert sum(parts) == total
    assert max(parts) - min(parts) <= 1
