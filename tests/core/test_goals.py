from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coffer.core.goals import (
    GoalError,
    Milestone,
    milestones,
    monthly_needed,
    months_left,
    pace,
    progress_percent,
    projected_completion,
)

TODAY = date(2026, 1, 15)


# --- months left and monthly needed ---------------------------------------------------


@pytest.mark.parametrize(
    ("target_date", "expected"),
    [
        (date(2026, 1, 15), 1),
        (date(2026, 1, 31), 1),
        (date(2026, 2, 1), 2),
        (date(2026, 3, 10), 3),
        (date(2026, 12, 31), 12),
        (date(2027, 1, 1), 13),
        (date(2026, 1, 14), 0),  # passed
        (date(2025, 12, 31), 0),
    ],
)
def test_months_left_counts_this_month_and_the_target_month(
    target_date: date, expected: int
) -> None:
    assert months_left(TODAY, target_date) == expected


def test_monthly_needed_divides_the_remainder_rounding_up() -> None:
    # 1,000.00 to go by March: January, February, March
    assert monthly_needed(150000, 50000, TODAY, date(2026, 3, 10)) == 33334
    assert monthly_needed(150000, 60000, TODAY, date(2026, 3, 10)) == 30000
    assert monthly_needed(100, 0, TODAY, date(2026, 12, 1)) == 9  # 8.33… up to 9
    assert monthly_needed(100, 0, TODAY, date(2026, 1, 31)) == 100  # only this month


def test_monthly_needed_when_reached_or_late() -> None:
    assert monthly_needed(1000, 1000, TODAY, date(2026, 6, 1)) == 0
    assert monthly_needed(1000, 1500, TODAY, date(2026, 6, 1)) == 0
    assert monthly_needed(1000, 400, TODAY, date(2026, 1, 1)) == 600  # passed: all of it
    assert monthly_needed(1000, -200, TODAY, date(2026, 2, 1)) == 600  # overdrawn counts


@pytest.mark.parametrize("target", [0, -100, True, 10.5])
def test_target_must_be_a_positive_whole_number(target: object) -> None:
    with pytest.raises(GoalError, match="target must be"):
        monthly_needed(target, 0, TODAY, date(2026, 6, 1))  # type: ignore[arg-type]
    with pytest.raises(GoalError, match="target must be"):
        milestones(target, 0)  # type: ignore[arg-type]
    with pytest.raises(GoalError, match="target must be"):
        progress_percent(target, 0)  # type: ignore[arg-type]
    with pytest.raises(GoalError, match="target must be"):
        projected_completion(target, 0, 100, TODAY)  # type: ignore[arg-type]


def test_goal_error_is_a_value_error() -> None:
    assert issubclass(GoalError, ValueError)


# --- projected completion -------------------------------------------------------------


def test_projected_completion_is_the_month_of_the_last_contribution() -> None:
    # 1,000 to go at 300 a month: January, February, March, April (4 contributions)
    assert projected_completion(1000, 0, 300, TODAY) == date(2026, 4, 1)
    assert projected_completion(1000, 100, 300, TODAY) == date(2026, 3, 1)
    assert projected_completion(1000, 0, 1000, TODAY) == TODAY  # this month's completes it
    assert projected_completion(1000, 0, 100, date(2026, 11, 30)) == date(2027, 8, 1)


def test_projected_completion_when_reached_or_stalled() -> None:
    assert projected_completion(10**9, 0, 1, TODAY) is None  # after the year 9999
    assert projected_completion(1000, 1000, 0, TODAY) == TODAY
    assert projected_completion(1000, 1200, -50, TODAY) == TODAY
    assert projected_completion(1000, 999, 0, TODAY) is None
    assert projected_completion(1000, 0, -10, TODAY) is None


# --- pace -----------------------------------------------------------------------------


def test_pace_averages_the_last_whole_months() -> None:
    today = date(2026, 4, 15)
    contributions = [
        (date(2025, 12, 31), 99999),  # before the window
        (date(2026, 1, 1), 10000),
        (date(2026, 2, 14), 5000),
        (date(2026, 2, 20), -2000),  # a withdrawal
        (date(2026, 3, 31), 8000),
        (date(2026, 4, 1), 77777),  # this month: not over yet
        (date(2026, 5, 1), 55555),  # future
    ]
    assert pace(contributions, today) == 7000  # 21000 / 3
    assert pace(contributions, today, months=1) == 8000
    assert pace(contributions, today, months=4) == 30250  # 120999 / 4 = 30249.75


def test_pace_rounds_half_up_and_handles_no_contributions() -> None:
    today = date(2026, 4, 15)
    assert pace([], today) == 0
    assert pace([(date(2026, 3, 1), 100)], today, months=3) == 33
    assert pace([(date(2026, 3, 1), 200)], today, months=3) == 67  # 66.67
    assert pace([(date(2026, 3, 1), 3)], today, months=2) == 2  # 1.5 half-up
    assert pace([(date(2026, 3, 1), -3)], today, months=2) == -2


def test_pace_window_crosses_the_year_end() -> None:
    contributions = [(date(2025, 11, 30), 300), (date(2025, 12, 1), 600), (date(2026, 1, 2), 9)]
    assert pace(contributions, date(2026, 1, 10), months=2) == 450


@pytest.mark.parametrize("months", [0, -1, True])
def test_pace_needs_at_least_one_month(months: int) -> None:
    with pytest.raises(GoalError, match="months must be"):
        pace([], TODAY, months=months)


# --- milestones and progress ----------------------------------------------------------


def test_milestones_round_half_up() -> None:
    assert milestones(1002, 501) == [
        Milestone(percent=25, amount=251, reached=True),  # 250.5
        Milestone(percent=50, amount=501, reached=True),
        Milestone(percent=75, amount=752, reached=False),  # 751.5
        Milestone(percent=100, amount=1002, reached=False),
    ]
    assert [m.amount for m in milestones(3, 0)] == [1, 2, 2, 3]  # 0.75, 1.5, 2.25, 3
    assert all(m.reached for m in milestones(100, 100))
    assert not any(m.reached for m in milestones(100, 24))


def test_progress_percent_rounds_down_and_stays_within_bounds() -> None:
    assert progress_percent(1000, 0) == 0
    assert progress_percent(1000, 255) == 25
    assert progress_percent(1000, 999) == 99
    assert progress_percent(1000, 1000) == 100
    assert progress_percent(1000, 2500) == 100
    assert progress_percent(1000, -50) == 0


# --- properties -----------------------------------------------------------------------

days = st.dates(min_value=date(1990, 1, 1), max_value=date(2150, 12, 31))
targets = st.integers(min_value=1, max_value=10**12)


@given(target=targets, saved=st.integers(-(10**6), 10**12), today=days, ahead=st.integers(0, 4000))
def test_monthly_needed_is_the_least_that_arrives_on_time(
    target: int, saved: int, today: date, ahead: int
) -> None:
    target_date = today + timedelta(days=ahead)
    needed = monthly_needed(target, saved, today, target_date)
    remaining = target - saved
    months = months_left(today, target_date)
    assert months >= 1
    if remaining <= 0:
        assert needed == 0
    else:
        assert needed * months >= remaining
        assert (needed - 1) * months < remaining
        # saving that much reaches the goal by the target date
        completion = projected_completion(target, saved, needed, today)
        assert completion is not None
        assert today <= completion <= target_date


@given(target=targets, saved=st.integers(0, 10**12), today=days, late=st.integers(1, 4000))
def test_after_the_target_date_the_whole_remainder_is_needed(
    target: int, saved: int, today: date, late: int
) -> None:
    assert monthly_needed(target, saved, today, today - timedelta(days=late)) == max(
        target - saved, 0
    )


@given(target=targets, saved=st.integers(0, 10**12), monthly=st.integers(1, 10**12), today=days)
def test_projected_completion_takes_just_enough_months(
    target: int, saved: int, monthly: int, today: date
) -> None:
    completion = projected_completion(target, saved, monthly, today)
    remaining = target - saved
    if completion is None:  # only when it would end after the calendar does
        assert remaining > 0
        assert months_left(today, date.max) * monthly < remaining
        return
    assert completion >= today
    contributions = months_left(today, completion)
    if remaining <= 0:
        assert completion == today
    else:
        assert contributions * monthly >= remaining
        assert (contributions - 1) * monthly < remaining


@given(target=targets, saved=st.integers(-(10**12), 2 * 10**12))
def test_milestones_are_ordered_and_end_at_the_target(target: int, saved: int) -> None:
    marks = milestones(target, saved)
    assert [m.percent for m in marks] == [25, 50, 75, 100]
    assert marks[-1].amount == target
    assert [m.amount for m in marks] == sorted(m.amount for m in marks)
    for mark in marks:
        assert abs(mark.amount * 100 - target * mark.percent) <= 50
        assert mark.reached == (saved >= mark.amount)
    assert (progress_percent(target, saved) == 100) == (saved >= target)
