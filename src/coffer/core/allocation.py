"""Dividing an amount into parts that sum exactly to the whole.

Largest-remainder allocation: each part gets the floor of its exact share, and the
units left over go one each to the parts with the largest remainders (ties to the
earlier part, so the result is deterministic). Works on integer minor units, so the
parts of 100.00 USD split three ways are 33.34, 33.33, 33.33.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction


class AllocationError(ValueError):
    """Weights that cannot divide an amount."""


def allocate(total: int, weights: Sequence[int | Decimal]) -> list[int]:
    """Split `total` minor units in proportion to `weights` (non-negative, not all zero)."""
    if not weights:
        raise AllocationError("at least one part is needed")
    exact_weights = [Fraction(w) for w in weights]
    if any(w < 0 for w in exact_weights):
        raise AllocationError("weights cannot be negative")
    weight_sum = sum(exact_weights)
    if weight_sum == 0:
        raise AllocationError("the weights add up to zero")
    sign = -1 if total < 0 else 1
    magnitude = abs(total)
    shares = [magnitude * w / weight_sum for w in exact_weights]
    parts = [int(share) for share in shares]  # floor: shares are non-negative
    leftover = magnitude - sum(parts)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-(shares[i] - parts[i]), i))
    for index in by_remainder[:leftover]:
        parts[index] += 1
    return [sign * part for part in parts]


def split_evenly(total: int, count: int) -> list[int]:
    """Split `total` minor units into `count` parts differing by at most one unit."""
    if count < 1:
        raise AllocationError("at least one part is needed")
    return allocate(total, [1] * count)
