"""Savings goals: how much to put aside, when the goal will be reached, milestones.

A goal has a `target` (more than zero) and an amount `saved` so far, both integer
minor units; `remaining = target - saved`, and the goal is reached when nothing
remains. Savings are counted a month at a time:

- Months left, from `today` to the target date, counts the current month and the
  target month and every month between: from 15 January to 10 March is 3 (January,
  February, March); within one month it is 1. Putting something aside this month
  counts, and so does putting it aside in the target month.
- `monthly_needed` is `remaining / months left`, rounded UP to the minor unit, so
  saving it every month arrives on time, overshooting by less than one unit a month.
  It is 0 once the goal is reached, and the whole remainder once the target date has
  passed.
- `pace` is the average net contribution (deposits minus withdrawals) per month over
  the last `months` whole calendar months, leaving out the current month because it
  is not over: on 15 April with months=3 it averages January, February and March.
  Rounded half-up.
- `projected_completion` assumes the first contribution at that pace is made this
  month and one more each month after it. The goal is reached in the month of the
  contribution that completes it: the answer is `today` when that is this month,
  otherwise the 1st of that month. The month is the answer's precision, so show it
  as a month ("March 2027"); comparing it with a target date as dates gives the same
  verdict as comparing months.
- Milestones are at 25, 50, 75 and 100 % of the target, each amount rounded half-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

MILESTONE_PERCENTS = (25, 50, 75, 100)


class GoalError(ValueError):
    """Goal figures that cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class Milestone:
    percent: int
    amount: int
    reached: bool


def _check_target(target: int) -> None:
    if isinstance(target, bool) or not isinstance(target, int) or target <= 0:
        raise GoalError(f"target must be a whole number of minor units above 0, not {target!r}")


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _first_of_month(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def _round_half_up(value: Fraction) -> int:
    """Nearest integer, halves away from zero (as Decimal's ROUND_HALF_UP)."""
    magnitude = int(abs(value) + Fraction(1, 2))
    return -magnitude if value < 0 else magnitude


def months_left(today: date, target_date: date) -> int:
    """Calendar months from `today`'s month to `target_date`'s, both counted; 0 once passed."""
    if target_date < today:
        return 0
    return _month_index(target_date) - _month_index(today) + 1


def monthly_needed(target: int, saved: int, today: date, target_date: date) -> int:
    """What to put aside each month to reach `target` by `target_date` (module docstring)."""
    _check_target(target)
    remaining = target - saved
    if remaining <= 0:
        return 0
    months = months_left(today, target_date)
    if months == 0:
        return remaining
    return _ceil_div(remaining, months)


def projected_completion(target: int, saved: int, monthly_pace: int, today: date) -> date | None:
    """When the goal is reached at `monthly_pace` a month (module docstring).

    `today` when already reached; None when not reached and the pace is 0 or negative,
    or so slow that the goal would be reached only after the year 9999.
    """
    _check_target(target)
    remaining = target - saved
    if remaining <= 0:
        return today
    if monthly_pace <= 0:
        return None
    contributions = _ceil_div(remaining, monthly_pace)
    if contributions == 1:
        return today
    completion_month = _month_index(today) + contributions - 1
    if completion_month > _month_index(date.max):
        return None
    return _first_of_month(completion_month)


def pace(contributions: Sequence[tuple[date, int]], today: date, months: int = 3) -> int:
    """Average net contribution per month over the last `months` whole months.

    Contributions are (day, amount) pairs, withdrawals negative; those in the current
    month or before the window are left out. Rounded half-up.
    """
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise GoalError(f"months must be a whole number of at least 1, not {months!r}")
    this_month = _month_index(today)
    first_month = this_month - months
    total = sum(
        amount for day, amount in contributions if first_month <= _month_index(day) < this_month
    )
    return _round_half_up(Fraction(total, months))


def progress_percent(target: int, saved: int) -> int:
    """Whole percent of the target saved, rounded down and kept within 0–100.

    Rounding down means 100 is shown only when the goal is truly reached.
    """
    _check_target(target)
    return max(0, min(100, saved * 100 // target))


def milestones(target: int, saved: int) -> list[Milestone]:
    """The 25, 50, 75 and 100 % marks of `target`, and whether `saved` has reached each."""
    _check_target(target)
    marks = []
    for percent in MILESTONE_PERCENTS:
        amount = _round_half_up(Fraction(target * percent, 100))
        marks.append(Milestone(percent=percent, amount=amount, reached=saved >= amount))
    return marks
