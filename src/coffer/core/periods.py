"""Budget periods, rollover between them, and the day-by-day arithmetic of a budget.

A period is a run of whole days, `start` to `end`, both inclusive. A `PeriodRule`
cuts the calendar into consecutive periods that tile it: every day belongs to
exactly one period, and each period starts the day after the previous one ends.

Kinds of period:
- `month`: a calendar month, 1st to last day.
- `month_from_day`: a month that starts on a chosen day 1–31 (payday, say the 25th:
  25 Jan – 24 Feb). In a month too short for the chosen day, that month's period
  starts on its last day instead. A period always ends the day before the next
  month's start, so with day 31 in 2023: 31 Jan – 27 Feb, 28 Feb – 30 Mar,
  31 Mar – 29 Apr, 30 Apr – 30 May. Day 1 is the same as `month`.
- `weekly` / `biweekly`: 7 or 14 days, counted from an anchor date that starts one
  of the periods. The anchor can lie before or after the days asked about; the
  periods run both ways from it.

Rollover says what a period passes to the next one, given `left = available - spent`
(spending is positive, a refund negative):
- `none`: nothing; every period starts afresh.
- `surplus`: what is left when positive, else 0 (overspending is forgiven).
- `surplus_and_overspending`: `left` itself, negative when overspent, so the next
  period starts that much short. Over a chain of periods this keeps the books exact:
  the last period's `left` is the sum of budgets minus the sum of spending.

All amounts are integer minor units.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from fractions import Fraction

_ONE_DAY = timedelta(days=1)


class PeriodError(ValueError):
    """A period rule or request that cannot be used; the message says why."""


class PeriodKind(StrEnum):
    MONTH = "month"
    MONTH_FROM_DAY = "month_from_day"
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"


class RolloverMode(StrEnum):
    NONE = "none"
    SURPLUS = "surplus"
    SURPLUS_AND_OVERSPENDING = "surplus_and_overspending"


_LENGTH_IN_DAYS = {PeriodKind.WEEKLY: 7, PeriodKind.BIWEEKLY: 14}


@dataclass(frozen=True, slots=True)
class Period:
    """The days `start` to `end`, both inclusive."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise PeriodError(f"a period cannot end ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        """How many days the period has, counting both ends."""
        return (self.end - self.start).days + 1

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class PeriodRule:
    """How to cut the calendar into periods; see the module docstring for each kind.

    `start_day` (1–31) is required for `month_from_day` and refused elsewhere;
    `anchor` (a date that starts a period) is required for `weekly` and `biweekly`
    and refused elsewhere.
    """

    kind: PeriodKind
    start_day: int | None = None
    anchor: date | None = None

    def __post_init__(self) -> None:
        try:
            kind = PeriodKind(self.kind)
        except ValueError:
            choices = ", ".join(k.value for k in PeriodKind)
            raise PeriodError(f"kind {self.kind!r} is not one of: {choices}") from None
        object.__setattr__(self, "kind", kind)

        if kind is PeriodKind.MONTH_FROM_DAY:
            if self.start_day is None:
                raise PeriodError("start_day is required for a month_from_day period")
            if isinstance(self.start_day, bool) or not isinstance(self.start_day, int):
                raise PeriodError(f"start_day must be a whole number, not {self.start_day!r}")
            if not 1 <= self.start_day <= 31:
                raise PeriodError(f"start_day must be between 1 and 31, not {self.start_day}")
        elif self.start_day is not None:
            raise PeriodError(f"start_day is only used by month_from_day periods, not {kind}")

        if kind in _LENGTH_IN_DAYS:
            if self.anchor is None:
                raise PeriodError(f"anchor is required for a {kind} period")
            if isinstance(self.anchor, datetime) or not isinstance(self.anchor, date):
                raise PeriodError(f"anchor must be a date, not {self.anchor!r}")
        elif self.anchor is not None:
            raise PeriodError(f"anchor is only used by weekly and biweekly periods, not {kind}")


@dataclass(frozen=True, slots=True)
class RolledPeriod:
    """One period of a rollover chain: `available = budgeted + carried_in`,
    `left = available - spent`, `carried_out` is what the next period receives."""

    budgeted: int
    carried_in: int
    available: int
    spent: int
    left: int
    carried_out: int


def _month_start(year: int, month: int, start_day: int) -> date:
    """The day a month_from_day period starts in the given calendar month."""
    return date(year, month, min(start_day, calendar.monthrange(year, month)[1]))


def _shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def _containing(rule: PeriodRule, day: date) -> Period:
    if rule.kind in _LENGTH_IN_DAYS:
        assert rule.anchor is not None  # checked by PeriodRule
        length = _LENGTH_IN_DAYS[rule.kind]
        cycles = (day - rule.anchor).days // length  # floor: also right before the anchor
        start = rule.anchor + timedelta(days=cycles * length)
        return Period(start, start + timedelta(days=length - 1))

    start_day = rule.start_day if rule.kind is PeriodKind.MONTH_FROM_DAY else 1
    assert start_day is not None  # checked by PeriodRule
    this_start = _month_start(day.year, day.month, start_day)
    if day >= this_start:
        following = _shift_month(day.year, day.month, 1)
        return Period(this_start, _month_start(*following, start_day) - _ONE_DAY)
    preceding = _shift_month(day.year, day.month, -1)
    return Period(_month_start(*preceding, start_day), this_start - _ONE_DAY)


def period_containing(rule: PeriodRule, day: date) -> Period:
    """The period of `rule` that contains `day`."""
    try:
        return _containing(rule, day)
    except (OverflowError, ValueError) as exc:
        if isinstance(exc, PeriodError):
            raise
        raise PeriodError(f"{day} is too close to the ends of the calendar") from exc


def _check_is_period_of(rule: PeriodRule, period: Period) -> None:
    if period_containing(rule, period.start) != period:
        raise PeriodError(f"{period.start} – {period.end} is not a period of this rule")


def next_period(rule: PeriodRule, period: Period) -> Period:
    """The period that starts the day after `period` ends (`period` must be one of the rule's)."""
    _check_is_period_of(rule, period)
    try:
        following = period.end + _ONE_DAY
    except OverflowError:
        raise PeriodError("there is no period after the end of the calendar") from None
    return period_containing(rule, following)


def previous_period(rule: PeriodRule, period: Period) -> Period:
    """The period that ends the day before `period` starts (`period` must be one of the rule's)."""
    _check_is_period_of(rule, period)
    try:
        preceding = period.start - _ONE_DAY
    except OverflowError:
        raise PeriodError("there is no period before the start of the calendar") from None
    return period_containing(rule, preceding)


def periods_between(rule: PeriodRule, first_day: date, last_day: date) -> list[Period]:
    """Every period that overlaps `first_day`–`last_day` (inclusive), in order.

    The first period may start before `first_day` and the last end after `last_day`.
    """
    if last_day < first_day:
        raise PeriodError(f"last_day ({last_day}) is before first_day ({first_day})")
    found = [period_containing(rule, first_day)]
    while found[-1].end < last_day:
        found.append(period_containing(rule, found[-1].end + _ONE_DAY))
    return found


def carry(mode: RolloverMode, available_minor: int, spent_minor: int) -> int:
    """What a period passes to the next under `mode` (see the module docstring)."""
    try:
        mode = RolloverMode(mode)
    except ValueError:
        choices = ", ".join(m.value for m in RolloverMode)
        raise PeriodError(f"rollover {mode!r} is not one of: {choices}") from None
    left = available_minor - spent_minor
    if mode is RolloverMode.NONE:
        return 0
    if mode is RolloverMode.SURPLUS:
        return max(left, 0)
    return left


def rollover_chain(
    mode: RolloverMode, amounts: Sequence[int], spent: Sequence[int]
) -> list[RolledPeriod]:
    """Walk consecutive periods with budgets `amounts` and spending `spent`.

    The first period receives nothing; each later period receives exactly what the one
    before it carried out.
    """
    if len(amounts) != len(spent):
        raise PeriodError(
            f"amounts has {len(amounts)} periods but spent has {len(spent)}; they must match"
        )
    chain: list[RolledPeriod] = []
    carried_in = 0
    for budgeted, spent_here in zip(amounts, spent, strict=True):
        available = budgeted + carried_in
        carried_out = carry(mode, available, spent_here)
        chain.append(
            RolledPeriod(
                budgeted=budgeted,
                carried_in=carried_in,
                available=available,
                spent=spent_here,
                left=available - spent_here,
                carried_out=carried_out,
            )
        )
        carried_in = carried_out
    return chain


def left_per_day(left_minor: int, period: Period, today: date) -> int:
    """What can be spent each remaining day without overspending.

    `left_minor` is divided over the days from `today` to the period's end, both
    inclusive, and rounded down, so spending the result every day never exceeds
    what is left. Before the period starts the whole period counts; after it ends,
    and whenever nothing is left, the answer is 0.
    """
    if left_minor <= 0 or today > period.end:
        return 0
    from_day = max(today, period.start)
    return left_minor // ((period.end - from_day).days + 1)


def _round_half_up(value: Fraction) -> int:
    """Nearest integer, halves away from zero (as Decimal's ROUND_HALF_UP)."""
    magnitude = int(abs(value) + Fraction(1, 2))
    return -magnitude if value < 0 else magnitude


def projected_spending(spent_minor: int, period: Period, today: date) -> int:
    """Spending by the period's end if it goes on at its pace so far.

    Pace is `spent_minor` divided by the days elapsed, the period's start to `today`
    inclusive; the projection is pace × the period's days, rounded half-up. On or
    after the last day it is `spent_minor` itself; before the period starts there is
    no pace yet and the answer is also `spent_minor`.
    """
    if today < period.start:
        return spent_minor
    elapsed = (min(today, period.end) - period.start).days + 1
    return _round_half_up(Fraction(spent_minor * period.days, elapsed))
