from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coffer.core.periods import (
    Period,
    PeriodError,
    PeriodKind,
    PeriodRule,
    RolledPeriod,
    RolloverMode,
    carry,
    left_per_day,
    next_period,
    period_containing,
    periods_between,
    previous_period,
    projected_spending,
    rollover_chain,
)

MONTH = PeriodRule(PeriodKind.MONTH)


def from_day(start_day: int) -> PeriodRule:
    return PeriodRule(PeriodKind.MONTH_FROM_DAY, start_day=start_day)


def p(start: str, end: str) -> Period:
    return Period(date.fromisoformat(start), date.fromisoformat(end))


# --- Period ---------------------------------------------------------------------------


def test_period_counts_both_ends() -> None:
    period = p("2026-02-01", "2026-02-28")
    assert period.days == 28
    assert period.contains(date(2026, 2, 1))
    assert period.contains(date(2026, 2, 28))
    assert not period.contains(date(2026, 3, 1))
    assert not period.contains(date(2026, 1, 31))
    assert p("2026-02-01", "2026-02-01").days == 1


def test_period_cannot_end_before_it_starts() -> None:
    with pytest.raises(PeriodError, match="before it starts"):
        p("2026-02-02", "2026-02-01")


# --- PeriodRule validation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": PeriodKind.MONTH_FROM_DAY}, "start_day is required"),
        ({"kind": PeriodKind.MONTH_FROM_DAY, "start_day": 0}, "between 1 and 31"),
        ({"kind": PeriodKind.MONTH_FROM_DAY, "start_day": 32}, "between 1 and 31"),
        ({"kind": PeriodKind.MONTH_FROM_DAY, "start_day": True}, "whole number"),
        ({"kind": PeriodKind.MONTH_FROM_DAY, "start_day": 5.0}, "whole number"),
        (
            {"kind": PeriodKind.MONTH_FROM_DAY, "start_day": 5, "anchor": date(2026, 1, 1)},
            "anchor is only used",
        ),
        ({"kind": PeriodKind.MONTH, "start_day": 1}, "start_day is only used"),
        ({"kind": PeriodKind.MONTH, "anchor": date(2026, 1, 1)}, "anchor is only used"),
        ({"kind": PeriodKind.WEEKLY}, "anchor is required"),
        ({"kind": PeriodKind.BIWEEKLY}, "anchor is required"),
        ({"kind": PeriodKind.WEEKLY, "anchor": datetime(2026, 1, 2, 9)}, "must be a date"),
        ({"kind": PeriodKind.WEEKLY, "anchor": "2026-01-02"}, "must be a date"),
        (
            {"kind": PeriodKind.BIWEEKLY, "anchor": date(2026, 1, 2), "start_day": 2},
            "start_day is only used",
        ),
        ({"kind": "fortnightly"}, "not one of"),
    ],
)
def test_bad_rules_are_refused_with_a_clear_message(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(PeriodError, match=message):
        PeriodRule(**kwargs)  # type: ignore[arg-type]


def test_period_error_is_a_value_error() -> None:
    assert issubclass(PeriodError, ValueError)


def test_kind_given_as_text_becomes_the_enum() -> None:
    rule = PeriodRule("weekly", anchor=date(2026, 1, 2))  # type: ignore[arg-type]
    assert rule.kind is PeriodKind.WEEKLY


# --- calendar months ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-01-01", p("2026-01-01", "2026-01-31")),
        ("2026-02-14", p("2026-02-01", "2026-02-28")),
        ("2024-02-29", p("2024-02-01", "2024-02-29")),
        ("2025-12-31", p("2025-12-01", "2025-12-31")),
    ],
)
def test_calendar_month(day: str, expected: Period) -> None:
    assert period_containing(MONTH, date.fromisoformat(day)) == expected


def test_month_from_day_one_is_the_calendar_month() -> None:
    for offset in range(0, 800, 17):
        day = date(2023, 11, 3) + timedelta(days=offset)
        assert period_containing(from_day(1), day) == period_containing(MONTH, day)


# --- months from a chosen day ---------------------------------------------------------


def test_payday_the_25th_across_february_2023() -> None:
    rule = from_day(25)
    assert periods_between(rule, date(2023, 1, 25), date(2023, 3, 25)) == [
        p("2023-01-25", "2023-02-24"),
        p("2023-02-25", "2023-03-24"),
        p("2023-03-25", "2023-04-24"),
    ]
    assert period_containing(rule, date(2023, 2, 24)).days == 31
    assert period_containing(rule, date(2023, 2, 25)).days == 28  # 25 Feb – 24 Mar 2023


def test_payday_the_25th_across_february_2024_a_leap_year() -> None:
    rule = from_day(25)
    assert period_containing(rule, date(2024, 3, 1)) == p("2024-02-25", "2024-03-24")
    assert period_containing(rule, date(2024, 3, 1)).days == 29
    assert period_containing(rule, date(2024, 2, 10)) == p("2024-01-25", "2024-02-24")


def test_day_31_across_february_2023() -> None:
    rule = from_day(31)
    assert periods_between(rule, date(2023, 1, 31), date(2023, 5, 30)) == [
        p("2023-01-31", "2023-02-27"),
        p("2023-02-28", "2023-03-30"),
        p("2023-03-31", "2023-04-29"),
        p("2023-04-30", "2023-05-30"),
    ]


def test_day_31_across_february_2024() -> None:
    rule = from_day(31)
    assert period_containing(rule, date(2024, 2, 15)) == p("2024-01-31", "2024-02-28")
    assert period_containing(rule, date(2024, 2, 29)) == p("2024-02-29", "2024-03-30")


def test_day_30_across_february() -> None:
    rule = from_day(30)
    assert period_containing(rule, date(2023, 2, 27)) == p("2023-01-30", "2023-02-27")
    assert period_containing(rule, date(2023, 2, 28)) == p("2023-02-28", "2023-03-29")
    assert period_containing(rule, date(2024, 2, 28)) == p("2024-01-30", "2024-02-28")
    assert period_containing(rule, date(2024, 2, 29)) == p("2024-02-29", "2024-03-29")
    assert period_containing(rule, date(2024, 3, 30)) == p("2024-03-30", "2024-04-29")


def test_day_29_only_moves_in_common_years() -> None:
    rule = from_day(29)
    assert period_containing(rule, date(2023, 2, 28)) == p("2023-02-28", "2023-03-28")
    assert period_containing(rule, date(2024, 2, 28)) == p("2024-01-29", "2024-02-28")


def test_month_from_day_across_the_year_end() -> None:
    rule = from_day(25)
    assert period_containing(rule, date(2026, 1, 3)) == p("2025-12-25", "2026-01-24")
    assert next_period(rule, p("2025-12-25", "2026-01-24")) == p("2026-01-25", "2026-02-24")
    assert previous_period(rule, p("2025-12-25", "2026-01-24")) == p("2025-11-25", "2025-12-24")


# --- weekly and biweekly --------------------------------------------------------------


def test_biweekly_across_the_year_end_with_an_anchor_in_2025() -> None:
    rule = PeriodRule(PeriodKind.BIWEEKLY, anchor=date(2025, 12, 5))  # a Friday
    assert periods_between(rule, date(2025, 12, 20), date(2026, 1, 10)) == [
        p("2025-12-19", "2026-01-01"),
        p("2026-01-02", "2026-01-15"),
    ]
    assert period_containing(rule, date(2026, 12, 31)) == p("2026-12-18", "2026-12-31")
    # before the anchor the periods run backwards from it
    assert period_containing(rule, date(2025, 11, 30)) == p("2025-11-21", "2025-12-04")


def test_weekly_anchored_on_a_friday() -> None:
    rule = PeriodRule(PeriodKind.WEEKLY, anchor=date(2026, 1, 9))  # a Friday
    assert period_containing(rule, date(2026, 1, 9)) == p("2026-01-09", "2026-01-15")
    assert period_containing(rule, date(2026, 1, 15)) == p("2026-01-09", "2026-01-15")
    assert period_containing(rule, date(2026, 1, 7)) == p("2026-01-02", "2026-01-08")
    assert period_containing(rule, date(2026, 3, 4)) == p("2026-02-27", "2026-03-05")
    for period in periods_between(rule, date(2025, 6, 1), date(2026, 6, 1)):
        assert period.start.weekday() == 4  # Friday
        assert period.days == 7


# --- navigation and errors ------------------------------------------------------------


def test_next_and_previous_refuse_a_period_of_another_rule() -> None:
    with pytest.raises(PeriodError, match="not a period of this rule"):
        next_period(from_day(25), p("2026-01-01", "2026-01-31"))
    with pytest.raises(PeriodError, match="not a period of this rule"):
        previous_period(MONTH, p("2026-01-01", "2026-01-30"))


def test_periods_between_refuses_a_reversed_range() -> None:
    with pytest.raises(PeriodError, match="before first_day"):
        periods_between(MONTH, date(2026, 2, 1), date(2026, 1, 1))


def test_periods_between_a_single_day() -> None:
    assert periods_between(MONTH, date(2026, 2, 3), date(2026, 2, 3)) == [
        p("2026-02-01", "2026-02-28")
    ]


def test_the_ends_of_the_calendar_are_a_clear_error() -> None:
    with pytest.raises(PeriodError, match="ends of the calendar"):
        period_containing(from_day(25), date(1, 1, 1))
    with pytest.raises(PeriodError, match="ends of the calendar"):
        period_containing(MONTH, date(9999, 12, 31))
    with pytest.raises(PeriodError, match="ends of the calendar"):
        period_containing(PeriodRule(PeriodKind.WEEKLY, anchor=date(2026, 1, 9)), date(1, 1, 1))


# --- rollover -------------------------------------------------------------------------


def test_carry_in_each_mode() -> None:
    assert carry(RolloverMode.NONE, 500, 300) == 0
    assert carry(RolloverMode.NONE, 500, 700) == 0
    assert carry(RolloverMode.SURPLUS, 500, 300) == 200
    assert carry(RolloverMode.SURPLUS, 500, 700) == 0
    assert carry(RolloverMode.SURPLUS_AND_OVERSPENDING, 500, 300) == 200
    assert carry(RolloverMode.SURPLUS_AND_OVERSPENDING, 500, 700) == -200
    assert carry(RolloverMode.SURPLUS, 500, -100) == 600  # a refund adds to what is left


def test_rollover_chain_with_overspending() -> None:
    chain = rollover_chain(
        RolloverMode.SURPLUS_AND_OVERSPENDING, [1000, 1000, 1000], [800, 1500, 400]
    )
    assert chain == [
        RolledPeriod(
            budgeted=1000, carried_in=0, available=1000, spent=800, left=200, carried_out=200
        ),
        RolledPeriod(
            budgeted=1000, carried_in=200, available=1200, spent=1500, left=-300, carried_out=-300
        ),
        RolledPeriod(
            budgeted=1000, carried_in=-300, available=700, spent=400, left=300, carried_out=300
        ),
    ]


def test_rollover_chain_surplus_forgives_overspending() -> None:
    chain = rollover_chain(RolloverMode.SURPLUS, [1000, 1000, 1000], [800, 1500, 400])
    assert [r.carried_in for r in chain] == [0, 200, 0]
    assert [r.left for r in chain] == [200, -300, 600]
    assert [r.carried_out for r in chain] == [200, 0, 600]


def test_rollover_chain_none_starts_afresh() -> None:
    chain = rollover_chain(RolloverMode.NONE, [1000, 1000], [800, 1500])
    assert [r.available for r in chain] == [1000, 1000]
    assert [r.carried_out for r in chain] == [0, 0]


def test_unknown_rollover_mode_is_refused() -> None:
    with pytest.raises(PeriodError, match="rollover 'monthly' is not one of"):
        carry("monthly", 1, 0)  # type: ignore[arg-type]
    assert carry("surplus", 5, 2) == 3  # type: ignore[arg-type]


def test_rollover_chain_edge_cases() -> None:
    assert rollover_chain(RolloverMode.SURPLUS, [], []) == []
    with pytest.raises(PeriodError, match="must match"):
        rollover_chain(RolloverMode.SURPLUS, [1, 2], [1])


# --- left per day and projection ------------------------------------------------------

FEB_2026 = p("2026-02-01", "2026-02-28")


def test_left_per_day_rounds_down() -> None:
    assert left_per_day(10000, FEB_2026, date(2026, 2, 28)) == 10000
    assert left_per_day(10000, FEB_2026, date(2026, 2, 26)) == 3333  # 3 days
    assert left_per_day(2800, FEB_2026, date(2026, 2, 1)) == 100


def test_left_per_day_outside_the_period_and_when_nothing_is_left() -> None:
    assert left_per_day(2800, FEB_2026, date(2026, 1, 15)) == 100  # whole period
    assert left_per_day(2800, FEB_2026, date(2026, 3, 1)) == 0
    assert left_per_day(0, FEB_2026, date(2026, 2, 10)) == 0
    assert left_per_day(-500, FEB_2026, date(2026, 2, 10)) == 0


def test_projected_spending_at_the_current_pace() -> None:
    assert projected_spending(1000, FEB_2026, date(2026, 2, 10)) == 2800  # 100 a day
    assert projected_spending(1000, FEB_2026, date(2026, 2, 3)) == 9333  # 9333.33…
    assert projected_spending(100, FEB_2026, date(2026, 2, 8)) == 350  # exactly 350
    assert projected_spending(1, FEB_2026, date(2026, 2, 8)) == 4  # 3.5 rounds half-up
    assert projected_spending(-1, FEB_2026, date(2026, 2, 8)) == -4  # refunds mirror it
    assert projected_spending(1234, FEB_2026, date(2026, 2, 28)) == 1234
    assert projected_spending(1234, FEB_2026, date(2026, 3, 5)) == 1234
    assert projected_spending(0, FEB_2026, date(2026, 1, 20)) == 0


# --- properties -----------------------------------------------------------------------

days_strategy = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
rules = st.one_of(
    st.just(MONTH),
    st.integers(1, 31).map(from_day),
    st.builds(
        PeriodRule,
        kind=st.sampled_from([PeriodKind.WEEKLY, PeriodKind.BIWEEKLY]),
        anchor=days_strategy,
    ),
)


@given(rule=rules, day=days_strategy)
def test_the_containing_period_contains_the_day(rule: PeriodRule, day: date) -> None:
    period = period_containing(rule, day)
    assert period.contains(day)
    assert period_containing(rule, period.start) == period
    assert period_containing(rule, period.end) == period


@given(rule=rules, day=days_strategy)
def test_next_and_previous_invert_each_other(rule: PeriodRule, day: date) -> None:
    period = period_containing(rule, day)
    assert next_period(rule, previous_period(rule, period)) == period
    assert previous_period(rule, next_period(rule, period)) == period
    assert next_period(rule, period).start == period.end + timedelta(days=1)


@given(rule=rules, first=days_strategy, length=st.integers(0, 800))
def test_periods_between_tile_the_range(rule: PeriodRule, first: date, length: int) -> None:
    last = first + timedelta(days=length)
    periods = periods_between(rule, first, last)
    assert periods[0].contains(first)
    assert periods[-1].contains(last)
    for before, after in pairwise(periods):
        assert after.start == before.end + timedelta(days=1)
    for period in periods:
        assert period.start <= last
        assert period.end >= first
        if rule.kind is PeriodKind.WEEKLY:
            assert period.days == 7
        elif rule.kind is PeriodKind.BIWEEKLY:
            assert period.days == 14
        else:
            assert 28 <= period.days <= 31


@given(rule=rules, day=days_strategy)
def test_month_from_day_starts_on_the_chosen_day_when_the_month_has_it(
    rule: PeriodRule, day: date
) -> None:
    period = period_containing(rule, day)
    if rule.kind is PeriodKind.MONTH_FROM_DAY:
        assert rule.start_day is not None
        assert period.start.day == rule.start_day or (
            period.start.day < rule.start_day
            and (period.start + timedelta(days=1)).day == 1  # the month's last day
        )


amounts = st.integers(min_value=-(10**9), max_value=10**9)
budgets_and_spending = st.integers(0, 30).flatmap(
    lambda n: st.tuples(
        st.lists(amounts, min_size=n, max_size=n), st.lists(amounts, min_size=n, max_size=n)
    )
)


@given(mode=st.sampled_from(RolloverMode), data=budgets_and_spending)
def test_rollover_chain_links_the_periods(
    mode: RolloverMode, data: tuple[list[int], list[int]]
) -> None:
    budgets, spent = data
    chain = rollover_chain(mode, budgets, spent)
    assert len(chain) == len(budgets)
    if chain:
        assert chain[0].carried_in == 0
    for before, after in pairwise(chain):
        assert after.carried_in == before.carried_out
    for rolled in chain:
        assert rolled.available == rolled.budgeted + rolled.carried_in
        assert rolled.left == rolled.available - rolled.spent
        assert rolled.carried_out == carry(mode, rolled.available, rolled.spent)
        if mode is RolloverMode.SURPLUS:
            assert rolled.carried_out >= 0
            assert rolled.carried_in >= 0
        if mode is RolloverMode.NONE:
            assert rolled.carried_out == 0
    if chain and mode is RolloverMode.SURPLUS_AND_OVERSPENDING:
        assert sum(budgets) - sum(spent) == chain[-1].left


@given(
    left=st.integers(-(10**9), 10**12),
    start=days_strategy,
    length=st.integers(1, 62),
    offset=st.integers(-10, 70),
)
def test_spending_left_per_day_never_overspends(
    left: int, start: date, length: int, offset: int
) -> None:
    period = Period(start, start + timedelta(days=length - 1))
    today = start + timedelta(days=offset)
    per_day = left_per_day(left, period, today)
    assert per_day >= 0
    if today > period.end or left <= 0:
        assert per_day == 0
    else:
        remaining = (period.end - max(today, period.start)).days + 1
        assert per_day * remaining <= left
        assert (per_day + 1) * remaining > left  # and it is the most that is safe


@given(
    spent=st.integers(0, 10**12),
    start=days_strategy,
    length=st.integers(1, 62),
    offset=st.integers(0, 61),
)
def test_projected_spending_is_within_half_a_unit_of_the_exact_pace(
    spent: int, start: date, length: int, offset: int
) -> None:
    period = Period(start, start + timedelta(days=length - 1))
    today = start + timedelta(days=min(offset, length - 1))
    elapsed = (today - start).days + 1
    projected = projected_spending(spent, period, today)
    assert projected >= spent
    assert 2 * abs(projected * elapsed - spent * period.days) <= elapsed
