from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coffer.core.recurrence import (
    RecurrenceError,
    describe,
    every_n_weeks,
    last_business_day,
    monthly_on_day,
    next_occurrence,
    occurrences,
    parse_rule,
    weekly_on,
    yearly_on,
)

JAN_2026 = date(2026, 1, 1)


# --- parsing --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "FREQ=MONTHLY;BYMONTHDAY=15",
        "RRULE:FREQ=MONTHLY;BYMONTHDAY=15",
        "rrule:freq=monthly;bymonthday=15",
        "  FREQ=MONTHLY;BYMONTHDAY=15;  ",
    ],
)
def test_rules_with_or_without_the_prefix(text: str) -> None:
    rule = parse_rule(text, JAN_2026)
    assert rule.after(datetime(2026, 1, 1), inc=True) == datetime(2026, 1, 15)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("RRULE:", "empty"),
        ("MONTHLY", "NAME=VALUE"),
        ("FREQ=MONTHLY;;BYMONTHDAY=1", "NAME=VALUE"),
        ("FREQ=MONTHLY;BYMONTHDAY=", "NAME=VALUE"),
        ("BYMONTHDAY=15", "no FREQ"),
        ("FREQ=FORTNIGHTLY", "not one of"),
        ("FREQ=HOURLY", "finer than a day"),
        ("FREQ=MINUTELY", "finer than a day"),
        ("FREQ=SECONDLY", "finer than a day"),
        ("FREQ=DAILY;BYHOUR=9", "time of day"),
        ("FREQ=DAILY;BYMINUTE=30", "time of day"),
        ("FREQ=MONTHLY;FREQ=WEEKLY", "twice"),
        ("FREQ=MONTHLY;INTERVAL=0", "INTERVAL"),
        ("FREQ=MONTHLY;INTERVAL=-2", "INTERVAL"),
        ("FREQ=MONTHLY;COUNT=0", "COUNT"),
        ("FREQ=MONTHLY;COUNT=two", "COUNT"),
        ("FREQ=MONTHLY;COUNT=3;UNTIL=20261231", "not both"),
        ("FREQ=MONTHLY;UNTIL=2026-12-31", "UNTIL"),
        ("FREQ=MONTHLY;BYDAY=XX", "not a valid RRULE"),
        ("FREQ=MONTHLY;COLOUR=BLUE", "COLOUR is not used for bills"),
        ("DTSTART:20260101\nRRULE:FREQ=MONTHLY", "DTSTART"),
        ("FREQ=MONTHLY;DTSTART=20260101", "DTSTART"),
        ("RRULE:FREQ=MONTHLY\nEXDATE:20260115", "one RRULE line"),
        ("EXRULE:FREQ=MONTHLY", "not an RRULE"),
        ("FREQ=MONTHLY;UNTIL=20251231", "no date on or after 2026-01-01"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "no day 30 exists in February"),
        ("FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY values are whole numbers from 1 to 31"),
    ],
)
def test_bad_rules_are_refused_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(RecurrenceError, match=message):
        parse_rule(text, JAN_2026)


def test_recurrence_error_is_a_value_error() -> None:
    assert issubclass(RecurrenceError, ValueError)


def test_text_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(RecurrenceError, match="must be text"):
        parse_rule(None, JAN_2026)  # type: ignore[arg-type]


def test_dates_must_be_dates() -> None:
    with pytest.raises(RecurrenceError, match="dtstart must be a date"):
        parse_rule("FREQ=DAILY", datetime(2026, 1, 1, 12))
    with pytest.raises(RecurrenceError, match="start must be a date"):
        occurrences("FREQ=DAILY", JAN_2026, "2026-01-01", JAN_2026)  # type: ignore[arg-type]


def test_until_with_a_time_counts_by_its_date_and_includes_it() -> None:
    found = occurrences(
        "FREQ=MONTHLY;BYMONTHDAY=31;UNTIL=20260331T000000Z", JAN_2026, JAN_2026, date(2026, 12, 31)
    )
    assert found == [date(2026, 1, 31), date(2026, 3, 31)]


def test_a_rule_may_end() -> None:
    assert occurrences("FREQ=MONTHLY;COUNT=3", date(2026, 1, 15), JAN_2026, date(2027, 1, 1)) == [
        date(2026, 1, 15),
        date(2026, 2, 15),
        date(2026, 3, 15),
    ]
    assert next_occurrence("FREQ=MONTHLY;COUNT=3", date(2026, 1, 15), date(2026, 3, 16)) is None


# --- occurrences and next_occurrence --------------------------------------------------


def test_occurrences_are_inclusive_and_start_at_dtstart() -> None:
    rule = "FREQ=MONTHLY;BYMONTHDAY=15"
    assert occurrences(rule, date(2026, 3, 3), JAN_2026, date(2026, 5, 15)) == [
        date(2026, 3, 15),
        date(2026, 4, 15),
        date(2026, 5, 15),
    ]
    assert occurrences(rule, date(2026, 3, 3), date(2026, 4, 15), date(2026, 4, 15)) == [
        date(2026, 4, 15)
    ]
    assert occurrences(rule, date(2026, 3, 3), date(2026, 4, 16), date(2026, 5, 14)) == []


def test_occurrences_refuse_a_reversed_range() -> None:
    with pytest.raises(RecurrenceError, match="before start"):
        occurrences("FREQ=DAILY", JAN_2026, date(2026, 2, 1), JAN_2026)


def test_rule_takes_its_day_from_dtstart_when_it_does_not_say() -> None:
    assert occurrences("FREQ=MONTHLY", date(2026, 1, 20), JAN_2026, date(2026, 3, 31)) == [
        date(2026, 1, 20),
        date(2026, 2, 20),
        date(2026, 3, 20),
    ]


def test_next_occurrence_inclusive_and_exclusive() -> None:
    rule = "FREQ=MONTHLY;BYMONTHDAY=15"
    assert next_occurrence(rule, JAN_2026, date(2026, 2, 15)) == date(2026, 2, 15)
    assert next_occurrence(rule, JAN_2026, date(2026, 2, 15), inclusive=False) == date(2026, 3, 15)
    assert next_occurrence(rule, JAN_2026, date(2025, 6, 1)) == date(2026, 1, 15)
    assert next_occurrence(rule, JAN_2026, date(2026, 12, 16)) == date(2027, 1, 15)


# --- presets --------------------------------------------------------------------------


def test_last_business_day() -> None:
    rule = last_business_day()
    assert rule == "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"
    found = occurrences(rule, JAN_2026, date(2026, 5, 1), date(2026, 8, 31))
    assert found == [date(2026, 5, 29), date(2026, 6, 30), date(2026, 7, 31), date(2026, 8, 31)]
    assert found[0].weekday() == 4  # 31 May 2026 is a Sunday: Friday 29 May
    assert found[-1].weekday() == 0  # Monday 31 August


def test_monthly_on_day_31_falls_on_the_last_day_of_shorter_months() -> None:
    found = occurrences(monthly_on_day(31), JAN_2026, date(2024, 1, 1), date(2024, 6, 30))
    assert found == []  # nothing before dtstart
    found = occurrences(monthly_on_day(31), date(2024, 1, 1), date(2024, 1, 1), date(2024, 6, 30))
    assert found == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
        date(2024, 6, 30),
    ]
    assert next_occurrence(monthly_on_day(31), date(2025, 1, 1), date(2025, 2, 1)) == date(
        2025, 2, 28
    )


def test_monthly_on_day_30_and_29_in_february() -> None:
    assert next_occurrence(monthly_on_day(30), JAN_2026, date(2026, 2, 1)) == date(2026, 2, 28)
    assert next_occurrence(monthly_on_day(30), JAN_2026, date(2026, 3, 1)) == date(2026, 3, 30)
    assert next_occurrence(monthly_on_day(29), JAN_2026, date(2026, 2, 1)) == date(2026, 2, 28)
    assert next_occurrence(monthly_on_day(29), JAN_2026, date(2028, 2, 1)) == date(2028, 2, 29)


def test_monthly_on_an_ordinary_day() -> None:
    assert monthly_on_day(15) == "FREQ=MONTHLY;BYMONTHDAY=15"
    assert monthly_on_day(28) == "FREQ=MONTHLY;BYMONTHDAY=28"
    assert occurrences(monthly_on_day(1), JAN_2026, JAN_2026, date(2026, 3, 1)) == [
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]


def test_every_two_weeks_across_the_year_end() -> None:
    rule = every_n_weeks(2, calendar.FRIDAY)
    assert rule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR"
    found = occurrences(rule, date(2025, 12, 19), date(2025, 12, 1), date(2026, 1, 31))
    assert found == [date(2025, 12, 19), date(2026, 1, 2), date(2026, 1, 16), date(2026, 1, 30)]


def test_every_n_weeks_counts_from_the_week_of_dtstart() -> None:
    # dtstart Wednesday 17 Dec 2025: that week's Friday is the 19th, then every other week
    found = occurrences(
        every_n_weeks(2, calendar.FRIDAY), date(2025, 12, 17), date(2025, 12, 1), date(2026, 1, 5)
    )
    assert found == [date(2025, 12, 19), date(2026, 1, 2)]
    # dtstart Saturday 20 Dec 2025: that week's Friday has passed, so 2 Jan is the first
    found = occurrences(
        every_n_weeks(2, calendar.FRIDAY), date(2025, 12, 20), date(2025, 12, 1), date(2026, 1, 20)
    )
    assert found == [date(2026, 1, 2), date(2026, 1, 16)]


def test_weekly_on() -> None:
    assert weekly_on(calendar.MONDAY) == "FREQ=WEEKLY;BYDAY=MO"
    assert every_n_weeks(1, calendar.SUNDAY) == "FREQ=WEEKLY;BYDAY=SU"
    found = occurrences(weekly_on(calendar.MONDAY), JAN_2026, JAN_2026, date(2026, 1, 31))
    assert found == [date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 19), date(2026, 1, 26)]


def test_yearly_on() -> None:
    assert yearly_on(3, 3) == "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=3"
    found = occurrences(yearly_on(3, 3), JAN_2026, JAN_2026, date(2028, 12, 31))
    assert found == [date(2026, 3, 3), date(2027, 3, 3), date(2028, 3, 3)]


def test_yearly_on_29_february_falls_on_the_28th_in_common_years() -> None:
    found = occurrences(yearly_on(2, 29), JAN_2026, JAN_2026, date(2029, 12, 31))
    assert found == [date(2026, 2, 28), date(2027, 2, 28), date(2028, 2, 29), date(2029, 2, 28)]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: monthly_on_day(0), "day must be a whole number from 1 to 31"),
        (lambda: monthly_on_day(32), "from 1 to 31"),
        (lambda: monthly_on_day(True), "from 1 to 31"),
        (lambda: weekly_on(7), "weekday must be 0"),
        (lambda: weekly_on(-1), "weekday must be 0"),
        (lambda: every_n_weeks(0, 1), "n must be"),
        (lambda: every_n_weeks(2, 9), "weekday must be 0"),
        (lambda: yearly_on(13, 1), "month must be"),
        (lambda: yearly_on(4, 31), "from 1 to 30"),
        (lambda: yearly_on(2, 30), "from 1 to 29"),
    ],
)
def test_presets_refuse_impossible_days(build: object, message: str) -> None:
    assert callable(build)
    with pytest.raises(RecurrenceError, match=message):
        build()


@given(day=st.integers(1, 31), start=st.dates(date(1970, 1, 1), date(2200, 1, 1)))
def test_monthly_on_day_falls_once_every_month(day: int, start: date) -> None:
    first = start.replace(day=1)
    last_month_start = (first + timedelta(days=32 * 11)).replace(day=1)
    last = last_month_start.replace(
        day=calendar.monthrange(last_month_start.year, last_month_start.month)[1]
    )
    found = occurrences(monthly_on_day(day), first, first, last)
    assert len(found) == 12
    for when in found:
        month_length = calendar.monthrange(when.year, when.month)[1]
        assert when.day == min(day, month_length)


@given(
    n=st.integers(1, 8),
    weekday=st.integers(0, 6),
    start=st.dates(date(1970, 1, 1), date(2200, 1, 1)),
)
def test_every_n_weeks_keeps_its_weekday_and_spacing(n: int, weekday: int, start: date) -> None:
    found = occurrences(every_n_weeks(n, weekday), start, start, start + timedelta(weeks=20 * n))
    assert found
    assert found[0] - start < timedelta(weeks=n)
    for when in found:
        assert when.weekday() == weekday
    for before, after in pairwise(found):
        assert after - before == timedelta(weeks=n)


# --- describe -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (monthly_on_day(15), "Monthly on day 15"),
        ("RRULE:FREQ=MONTHLY;BYMONTHDAY=15", "Monthly on day 15"),
        (monthly_on_day(30), "Monthly on day 30, or the last day of shorter months"),
        (monthly_on_day(31), "Monthly on the last day"),
        ("FREQ=MONTHLY;BYMONTHDAY=-1", "Monthly on the last day"),
        ("FREQ=MONTHLY;BYMONTHDAY=31", "Monthly on day 31, in months that have it"),
        (last_business_day(), "Monthly on the last business day"),
        ("FREQ=MONTHLY;BYDAY=FR,TH,WE,TU,MO;BYSETPOS=1", "Monthly on the first business day"),
        ("FREQ=MONTHLY;BYDAY=-1FR", "Monthly on the last Friday"),
        ("FREQ=MONTHLY;BYDAY=2TU", "Monthly on the second Tuesday"),
        ("FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=1", "Every 3 months on day 1"),
        (every_n_weeks(2, calendar.FRIDAY), "Every 2 weeks on Friday"),
        (weekly_on(calendar.MONDAY), "Weekly on Monday"),
        ("FREQ=WEEKLY;BYDAY=MO,TH", "Weekly on Monday and Thursday"),
        ("FREQ=WEEKLY;BYDAY=MO,WE,FR", "Weekly on Monday, Wednesday and Friday"),
        (yearly_on(3, 3), "Yearly on 3 March"),
        (yearly_on(2, 29), "Yearly on the last day of February"),
        ("FREQ=YEARLY;BYMONTH=12", "Yearly on 3 December"),
        ("FREQ=DAILY", "Daily"),
        ("FREQ=DAILY;INTERVAL=3", "Every 3 days"),
        # the day comes from dtstart (Tuesday 3 March 2026) when the rule does not say
        ("FREQ=WEEKLY", "Weekly on Tuesday"),
        ("FREQ=MONTHLY", "Monthly on day 3"),
        ("FREQ=YEARLY", "Yearly on 3 March"),
        ("FREQ=MONTHLY;BYMONTHDAY=15;COUNT=12", "Monthly on day 15, 12 times"),
        ("FREQ=MONTHLY;BYMONTHDAY=15;COUNT=1", "Monthly on day 15, once"),
        (
            "FREQ=WEEKLY;BYDAY=FR;UNTIL=20261231T235959Z",
            "Weekly on Friday, until 31 December 2026",
        ),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=FR;WKST=SU", "Every 2 weeks on Friday"),
        # no words for these: the RRULE text comes back
        ("freq=monthly;byday=2tu,4tu", "FREQ=MONTHLY;BYDAY=2TU,4TU"),
        ("FREQ=DAILY;BYDAY=MO,TU", "FREQ=DAILY;BYDAY=MO,TU"),
    ],
)
def test_describe(text: str, expected: str) -> None:
    assert describe(text, date(2026, 3, 3)) == expected


def test_describe_checks_the_rule() -> None:
    with pytest.raises(RecurrenceError, match="finer than a day"):
        describe("FREQ=HOURLY", JAN_2026)
    with pytest.raises(RecurrenceError, match="no day 31 exists in April"):
        describe("FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=31", JAN_2026)
    with pytest.raises(RecurrenceError, match="no date on or after"):
        describe("FREQ=MONTHLY;UNTIL=20251231", JAN_2026)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "no day 30 exists in February"),
        ("FREQ=DAILY;BYMONTH=4,6;BYMONTHDAY=31,-31", "no day 31,-31 exists in April, June"),
        ("FREQ=DAILY;BYSETPOS=2", "more dates than each daily period has"),
        ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6", "more dates than each monthly period has (5"),
        ("FREQ=WEEKLY;BYMONTHDAY=1;BYDAY=MO,TU;BYSETPOS=2", "weekly period has (1"),
        ("FREQ=DAILY;BYYEARDAY=400", "BYYEARDAY is not used for bills"),
        ("FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO", "BYWEEKNO is not used for bills"),
    ],
)
def test_contradictory_rules_are_refused_without_searching(text: str, message: str) -> None:
    # The rule library would search up to the year 9999 (seconds) before giving up;
    # these are refused from their parts alone.
    with pytest.raises(RecurrenceError, match=re.escape(message)):
        parse_rule(text, JAN_2026)


def test_the_presets_pass_the_contradiction_check() -> None:
    for text in (monthly_on_day(31), last_business_day(), every_n_weeks(2, 4), yearly_on(2, 29)):
        assert occurrences(text, JAN_2026, JAN_2026, date(2028, 12, 31))
