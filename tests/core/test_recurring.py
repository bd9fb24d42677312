from __future__ import annotations

import calendar
import itertools
import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st

from coffer.core.recurring import (
    Cadence,
    Kind,
    Occurrence,
    PriceChange,
    Series,
    detect,
    payee_key,
    subscription_totals,
)

_ids = itertools.count(1)


def occ(
    day: date, amount: int, payee: str, account: str = "current", currency: str = "GBP"
) -> Occurrence:
    return Occurrence(next(_ids), day, amount, payee, account, currency)


def month_day(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def months(start: date, count: int, day: int, step: int = 1) -> Iterator[date]:
    """`count` dates on `day` (past a month's end: its last day), every `step` months."""
    for k in range(count):
        index = start.year * 12 + start.month - 1 + k * step
        yield month_day(index // 12, index % 12 + 1, day)


def jittered(days: Iterator[date], seed: int, spread: int = 2) -> list[date]:
    rng = random.Random(seed)
    return [d + timedelta(days=rng.randint(0, spread)) for d in days]


def noise(seed: int, start: date, end: date, per_day: float = 1.5) -> list[Occurrence]:
    """Card spending at many payees, none of them recurring."""
    rng = random.Random(seed)
    rows = []
    day = start
    while day <= end:
        for _ in range(rng.randint(0, int(per_day * 2))):
            payee = f"{rng.choice(['CAFE', 'SHOP', 'BAR', 'STORE'])} {rng.randint(1, 300)}"
            rows.append(occ(day, -rng.randint(150, 9000), payee, "card"))
        day += timedelta(days=1)
    return rows


def only(found: list[Series], key: str) -> Series:
    matching = [s for s in found if s.payee_key == key]
    assert len(matching) == 1, matching
    return matching[0]


def ids(rows: list[Occurrence]) -> tuple[object, ...]:
    return tuple(o.id for o in sorted(rows, key=lambda o: o.day))


def first_date_of_rule(series: Series) -> date:
    """The first date the series' rule yields when started at next_expected."""
    start = datetime.combine(series.next_expected, datetime.min.time())
    first: datetime = rrulestr(series.rrule, dtstart=start)[0]
    return first.date()


# --- payee keys -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("NETFLIX.COM", "netflix com"),
        ("Netflix.com 866-579-7172", "netflix com"),
        ("SPOTIFY P1A2B3C4D5", "spotify"),
        ("PAYPAL *SPOTIFY REF 88123", "paypal spotify"),
        ("PAYPAL *SPOTIFY REF: XKCD", "paypal spotify"),
        ("TESCO STORES 3321 12MAR24", "tesco stores"),
        ("  Sainsbury's   S/MKTS  ", "sainsburys s mkts"),
        ("AMAZON.CO.UK*2K3L45AB", "amazon co uk"),
        ("ÉLECTRICITÉ DE FRANCE", "électricité de france"),
        ("O2 UK", "o uk"),
        ("12345", "12345"),
    ],
)
def test_payee_key(raw: str, key: str) -> None:
    assert payee_key(raw) == key


# --- hand-built histories -------------------------------------------------------------


def test_monthly_subscription_with_a_price_increase() -> None:
    days = jittered(months(date(2022, 1, 15), 24, 15), seed=1)
    rows = [
        occ(d, -1599 if k < 14 else -1799, "NETFLIX.COM" if k % 3 else "Netflix.com 866-579")
        for k, d in enumerate(days)
    ]
    today = date(2024, 1, 18)  # the next is due on the 15th, give or take four days
    found = detect(rows + noise(2, date(2022, 1, 1), today), today=today)

    netflix = only(found, "netflix com")
    assert netflix.cadence is Cadence.MONTHLY
    assert netflix.kind is Kind.SUBSCRIPTION
    assert netflix.direction == "out"
    assert netflix.payee == "NETFLIX.COM"
    assert netflix.occurrence_ids == ids(rows)
    assert netflix.amount_minor == -1799
    assert (netflix.amount_min_minor, netflix.amount_max_minor) == (-1799, -1799)
    assert netflix.price_changes == (PriceChange(days[14], -1599, -1799),)
    assert (netflix.monthly_cost_minor, netflix.yearly_cost_minor) == (-1799, -21588)
    assert netflix.rrule == "FREQ=MONTHLY;BYMONTHDAY=15"
    assert netflix.next_expected == date(2024, 1, 15)
    assert first_date_of_rule(netflix) == netflix.next_expected
    assert netflix.active
    assert netflix.confidence > 0.7
    assert 28 <= netflix.interval_days <= 33


def test_biweekly_salary_is_income() -> None:
    fridays = [date(2023, 1, 6) + timedelta(days=14 * k) for k in range(26)]
    rows = [occ(d, 250000, "ACME LTD PAYROLL") for d in fridays]
    found = detect(rows + noise(3, date(2023, 1, 1), date(2024, 1, 1)), today=date(2023, 12, 26))

    pay = only(found, "acme ltd payroll")
    assert pay.cadence is Cadence.BIWEEKLY
    assert pay.kind is Kind.INCOME
    assert pay.direction == "in"
    assert pay.occurrence_ids == ids(rows)
    assert pay.interval_days == 14
    assert pay.rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR"
    assert pay.next_expected == fridays[-1] + timedelta(days=14)
    assert first_date_of_rule(pay) == pay.next_expected
    assert pay.monthly_cost_minor == 541667  # 2,500.00 × 26 / 12, half-up
    assert pay.yearly_cost_minor == 6500000
    assert pay.confidence == pytest.approx(1.0)


def test_yearly_insurance_with_a_new_premium_every_year() -> None:
    premiums = [-48000, -50510, -53000, -49700, -52000]
    days = [
        date(2020, 3, 4),
        date(2021, 3, 5),
        date(2022, 3, 4),
        date(2023, 3, 6),
        date(2024, 3, 4),
    ]
    rows = [occ(d, p, "ADMIRAL INSURANCE") for d, p in zip(days, premiums, strict=True)]
    found = detect(rows, today=date(2024, 6, 1))

    insurance = only(found, "admiral insurance")
    assert insurance.cadence is Cadence.YEARLY
    assert insurance.kind is Kind.BILL
    assert insurance.occurrence_ids == ids(rows)
    assert insurance.rrule == "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=4"
    assert insurance.next_expected == date(2025, 3, 4)
    assert first_date_of_rule(insurance) == insurance.next_expected
    assert insurance.amount_minor == -52000  # the last year's
    assert insurance.monthly_cost_minor == -4333
    assert insurance.price_changes == ()


def test_utilities_of_varying_amounts_on_the_last_day_are_a_bill() -> None:
    rng = random.Random(4)
    days = list(months(date(2022, 1, 31), 24, 31))  # 28 Feb, 30 Apr, ...
    amounts = [-rng.randint(6000, 11000) for _ in days]
    rows = [occ(d, a, "EDF ENERGY DD") for d, a in zip(days, amounts, strict=True)]
    rows.append(occ(date(2022, 7, 12), -25000, "EDF ENERGY DD"))  # a one-off at the payee
    today = date(2024, 1, 2)
    found = detect(rows + noise(5, date(2022, 1, 1), today), today=today)

    energy = only(found, "edf energy dd")
    assert energy.cadence is Cadence.MONTHLY
    assert energy.kind is Kind.BILL
    assert energy.occurrence_ids == ids(rows[:-1])
    assert energy.rrule == "FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1"
    assert energy.next_expected == date(2024, 1, 31)
    assert first_date_of_rule(energy) == energy.next_expected
    assert energy.price_changes == ()
    assert energy.amount_min_minor == min(amounts[-12:])
    assert energy.amount_max_minor == max(amounts[-12:])
    assert energy.amount_min_minor <= energy.amount_minor <= energy.amount_max_minor


@pytest.mark.parametrize("seed", range(6))
def test_groceries_every_few_days_are_not_a_series(seed: int) -> None:
    rng = random.Random(seed)
    rows = []
    day = date(2021, 1, 1)
    while day < date(2024, 1, 1):
        rows.append(occ(day, -rng.randint(1500, 15000), "TESCO STORES 3321"))
        day += timedelta(days=rng.randint(3, 10))
    assert detect(rows, today=date(2024, 1, 1)) == []


def test_two_subscriptions_at_one_payee_are_both_found() -> None:
    storage = [occ(d, -99, "APPLE.COM/BILL", "card") for d in months(date(2022, 1, 3), 20, 3)]
    music = [occ(d, -1099, "APPLE.COM/BILL", "card") for d in months(date(2022, 1, 20), 20, 20)]
    rng = random.Random(6)
    apps = [
        occ(
            date(2022, 1, 1) + timedelta(days=rng.randint(0, 600)),
            -rng.choice([199, 499, 799]),
            "APPLE.COM/BILL",
            "card",
        )
        for _ in range(15)
    ]
    found = detect(storage + music + apps, today=date(2023, 9, 1))

    assert {(s.amount_minor, s.occurrence_ids) for s in found} == {
        (-99, ids(storage)),
        (-1099, ids(music)),
    }
    assert all(s.cadence is Cadence.MONTHLY and s.kind is Kind.SUBSCRIPTION for s in found)


def test_a_missed_month_and_one_offs_at_the_payee_do_not_break_a_series() -> None:
    days = [d for k, d in enumerate(months(date(2022, 1, 8), 18, 8)) if k != 9]
    gym = [occ(d, -3500, "PUREGYM LTD") for d in days]
    extras = [
        occ(date(2022, 4, 20), -3000, "PUREGYM LTD"),
        occ(date(2022, 11, 2), -1000, "PUREGYM LTD"),
    ]
    found = detect(gym + extras, today=date(2023, 6, 10))

    series = only(found, "puregym ltd")
    assert series.occurrence_ids == ids(gym)
    assert series.evidence.coverage == pytest.approx(17 / 18)
    assert series.active


def test_dates_up_to_three_days_either_side_of_the_due_date() -> None:
    jitter = [0, -3, 3, -2, 2, -1, 1, 0, -3, 3, 0, 1, -2, 2, 0, -1, 3, -3]
    due = months(date(2022, 1, 1), len(jitter), 1)  # -3: 1 February booked on 29 January
    rows = [
        occ(d + timedelta(days=j), -4500, "THAMES WATER") for d, j in zip(due, jitter, strict=True)
    ]
    water = only(detect(rows, today=date(2023, 6, 2)), "thames water")
    assert water.cadence is Cadence.MONTHLY
    assert water.occurrence_ids == ids(rows)
    assert water.rrule == "FREQ=MONTHLY;BYMONTHDAY=1"
    assert water.next_expected == date(2023, 7, 1)
    assert water.active


def test_a_cancelled_subscription_is_inactive_with_low_confidence() -> None:
    rows = [occ(d, -899, "DISNEY PLUS", "card") for d in months(date(2022, 1, 12), 14, 12)]
    last = rows[-1].day  # 12 February 2023

    still = only(detect(rows, today=last + timedelta(days=20)), "disney plus")
    assert still.active
    assert still.evidence.missed == 0

    gone = only(detect(rows, today=last + timedelta(days=125)), "disney plus")  # four months on
    assert not gone.active
    assert gone.evidence.missed >= 3
    assert gone.confidence < 0.15 < still.confidence
    assert gone.next_expected == date(2023, 3, 12)  # when it was due


def test_weekly_series_and_costs_round_half_up() -> None:
    mondays = [date(2023, 1, 2) + timedelta(days=7 * k) for k in range(20)]
    rows = [occ(d, -100, "POCKET MONEY") for d in mondays]
    yearly = [occ(d, -1002, "DOMAIN RENEWAL") for d in months(date(2019, 5, 9), 5, 9, step=12)]
    found = detect(rows + yearly, today=date(2023, 5, 22))

    weekly = only(found, "pocket money")
    assert weekly.cadence is Cadence.WEEKLY
    assert weekly.rrule == "FREQ=WEEKLY;BYDAY=MO"
    assert weekly.monthly_cost_minor == -433  # 1.00 × 52 / 12 = 4.333...
    assert weekly.yearly_cost_minor == -5200
    domain = only(found, "domain renewal")
    assert domain.cadence is Cadence.YEARLY
    assert domain.monthly_cost_minor == -84  # 10.02 / 12 = 0.835, half away from zero


def test_subscription_totals_add_up_active_subscriptions_by_currency() -> None:
    rows = [occ(d, -999, "SPOTIFY", "card") for d in months(date(2022, 1, 5), 24, 5)]
    rows += [occ(d, -1299, "NETFLIX", "card", "USD") for d in months(date(2022, 1, 9), 24, 9)]
    rows += [occ(d, -500, "OLD MAGAZINE", "card") for d in months(date(2022, 1, 9), 6, 9)]
    rows += [occ(d, -120000, "RENT") for d in months(date(2022, 1, 1), 24, 1)]
    found = detect(rows, today=date(2024, 1, 6))

    assert only(found, "rent").kind is Kind.BILL
    assert not only(found, "old magazine").active
    assert subscription_totals(found) == {"GBP": (-999, -11988), "USD": (-1299, -15588)}


def test_the_order_of_the_input_does_not_matter() -> None:
    rows = [occ(d, -1599, "NETFLIX.COM") for d in jittered(months(date(2022, 1, 15), 20, 15), 7)]
    rows += noise(8, date(2022, 1, 1), date(2023, 9, 1))
    shuffled = rows[:]
    random.Random(9).shuffle(shuffled)
    today = date(2023, 9, 1)
    assert detect(shuffled, today=today) == detect(rows, today=today)


def test_fewer_than_two_occurrences_are_refused() -> None:
    with pytest.raises(ValueError, match="at least two"):
        detect([], today=date(2024, 1, 1), min_occurrences=1)


# --- properties -----------------------------------------------------------------------

_STEPS = {
    Cadence.WEEKLY: 7,
    Cadence.BIWEEKLY: 14,
    Cadence.MONTHLY: 1,
    Cadence.QUARTERLY: 3,
    Cadence.YEARLY: 12,
}


def planted_dates(cadence: Cadence, start: date, count: int) -> list[date]:
    if cadence in (Cadence.WEEKLY, Cadence.BIWEEKLY):
        return [start + timedelta(days=_STEPS[cadence] * k) for k in range(count)]
    return list(months(start, count, start.day, _STEPS[cadence]))


@st.composite
def histories(draw: st.DrawFn) -> tuple[Cadence, list[Occurrence], list[Occurrence]]:
    """A clean series (exact dates, one amount) among random spending, some of it at the
    series' payee at amounts at least three times larger."""
    cadence = draw(st.sampled_from(list(Cadence)))
    start = draw(st.dates(min_value=date(2015, 1, 1), max_value=date(2023, 12, 31)))
    count = draw(st.integers(min_value=3, max_value=40 if cadence is not Cadence.YEARLY else 8))
    amount = draw(st.integers(min_value=1, max_value=500_000))
    sign = draw(st.sampled_from([-1, 1]))
    series = [
        occ(d, sign * amount, "ACME SERVICES", "a") for d in planted_dates(cadence, start, count)
    ]
    first, last = series[0].day, series[-1].day
    span = (last - first).days + 60
    seed = draw(st.integers(min_value=0, max_value=2**32))
    rng = random.Random(seed)
    others = []
    for _ in range(draw(st.integers(min_value=0, max_value=300))):
        day = first - timedelta(days=30) + timedelta(days=rng.randint(0, span))
        if rng.random() < 0.1:  # the same payee, a much larger amount
            others.append(occ(day, sign * amount * rng.randint(3, 50), "ACME SERVICES", "a"))
        else:
            payee = rng.choice(["ACME SERVICES", "CORNER SHOP", "PETROL", "CAFE"])
            account = rng.choice(["a", "b"]) if payee != "ACME SERVICES" else "b"
            others.append(occ(day, rng.choice([-1, 1]) * rng.randint(1, 900_000), payee, account))
    return cadence, series, others


@settings(max_examples=150, deadline=None)
@given(histories())
def test_a_planted_series_is_always_found_whole(
    history: tuple[Cadence, list[Occurrence], list[Occurrence]],
) -> None:
    cadence, series, others = history
    rows = series + others
    random.Random(len(rows)).shuffle(rows)
    found = detect(rows, today=series[-1].day + timedelta(days=1))

    mine = [s for s in found if set(s.occurrence_ids) & {o.id for o in series}]
    assert len(mine) == 1
    assert mine[0].cadence is cadence
    assert mine[0].occurrence_ids == ids(series)
    assert mine[0].active
    assert first_date_of_rule(mine[0]) == mine[0].next_expected
    every_id = [i for s in found for i in s.occurrence_ids]
    assert len(every_id) == len(set(every_id))


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=2**32), st.integers(min_value=50, max_value=800))
def test_no_transaction_is_in_two_series(seed: int, size: int) -> None:
    rng = random.Random(seed)
    rows = []
    for _ in range(size):
        day = date(2022, 1, 1) + timedelta(days=rng.randint(0, 730))
        amount = (
            rng.choice([-999, -1599, -350, -4500, 250000])
            if rng.random() < 0.5
            else (-rng.randint(100, 20000))
        )
        rows.append(occ(day, amount, rng.choice(["A", "B", "C"]), rng.choice(["x", "y"])))
    for cadence in Cadence:
        start = date(2022, 1, 1) + timedelta(days=rng.randint(0, 60))
        for d in planted_dates(cadence, start, 20 if cadence is not Cadence.YEARLY else 2):
            rows.append(occ(d, -999, "A", "x"))
    found = detect(rows, today=date(2024, 1, 1))
    every_id = [i for s in found for i in s.occurrence_ids]
    assert len(every_id) == len(set(every_id))
    assert all(0.0 <= s.confidence <= 1.0 for s in found)
