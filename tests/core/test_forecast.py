from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coffer.core.forecast import Breach, DayPoint, Flow, ForecastError, LowPoint, forecast

JUNE_1 = date(2026, 6, 1)


def june(day: int) -> date:
    return date(2026, 6, day)


def test_daily_balances_with_bills_and_income() -> None:
    rent = Flow(june(3), "checking", -120000, "Rent", "bill:1")
    salary = Flow(june(5), "checking", 250000, "Salary", "income:1")
    phone = Flow(june(5), "checking", -4500, "Phone", "bill:2")
    result = forecast(JUNE_1, 7, {"checking": 100000}, [rent, salary, phone])

    points = result.points("checking")
    assert [p.day for p in points] == [june(d) for d in range(1, 8)]
    assert [p.balance for p in points] == [100000, 100000, -20000, -20000, 225500, 225500, 225500]
    assert points[2] == DayPoint(day=june(3), balance=-20000, flows=(rent,))
    assert points[4].flows == (salary, phone)  # in the order given
    assert points[0].flows == ()
    assert result.closing("checking") == 225500
    assert result.end == june(7)
    assert result.first_breach("checking") == Breach(day=june(3), balance=-20000, threshold=0)
    assert result.lowest("checking") == LowPoint(day=june(3), balance=-20000)


def test_breach_is_strictly_below_the_threshold() -> None:
    flows = [Flow(june(2), "a", -500), Flow(june(3), "a", -1)]
    result = forecast(JUNE_1, 5, {"a": 1500}, flows, threshold={"a": 1000})
    assert [p.balance for p in result.points("a")] == [1500, 1000, 999, 999, 999]
    assert result.first_breach("a") == Breach(day=june(3), balance=999, threshold=1000)
    assert result.threshold("a") == 1000

    exactly_at = forecast(JUNE_1, 5, {"a": 1500}, flows[:1], threshold={"a": 1000})
    assert exactly_at.first_breach("a") is None


def test_threshold_defaults_to_zero_and_may_be_negative() -> None:
    flows = [Flow(june(2), "card", -30000)]
    assert forecast(JUNE_1, 3, {"card": 0}, flows).first_breach("card") == Breach(
        day=june(2), balance=-30000, threshold=0
    )
    overdraft = forecast(JUNE_1, 3, {"card": 0}, flows, threshold={"card": -50000})
    assert overdraft.first_breach("card") is None


def test_a_day_is_judged_by_its_end_of_day_balance() -> None:
    flows = [Flow(june(2), "a", -5000, "Bill"), Flow(june(2), "a", 6000, "Salary")]
    result = forecast(JUNE_1, 3, {"a": 100}, flows)
    assert result.first_breach("a") is None
    assert result.lowest("a") == LowPoint(day=JUNE_1, balance=100)


def test_already_below_on_the_first_day() -> None:
    result = forecast(JUNE_1, 3, {"a": -10}, [])
    assert result.first_breach("a") == Breach(day=JUNE_1, balance=-10, threshold=0)


def test_lowest_is_the_first_day_of_the_minimum() -> None:
    flows = [Flow(june(2), "a", -100), Flow(june(3), "a", 100), Flow(june(4), "a", -100)]
    result = forecast(JUNE_1, 5, {"a": 100}, flows)
    assert result.lowest("a") == LowPoint(day=june(2), balance=0)


def test_flows_outside_the_horizon_are_ignored() -> None:
    flows = [
        Flow(date(2026, 5, 31), "a", -1000),
        Flow(JUNE_1, "a", 1),
        Flow(june(10), "a", 2),
        Flow(june(11), "a", -1000),
    ]
    result = forecast(JUNE_1, 10, {"a": 0}, flows)
    assert result.end == june(10)
    assert result.closing("a") == 3
    assert result.points("a")[0].balance == 1


def test_accounts_are_kept_apart() -> None:
    flows = [
        Flow(june(2), 1, -700, "Insurance"),
        Flow(june(2), 2, 700, "Transfer in"),
        Flow(june(4), 2, -2000, "Card bill"),
    ]
    result = forecast(JUNE_1, 5, {1: 500, 2: 0}, flows, threshold={1: 0, 2: -1000})
    assert result.accounts == [1, 2]
    assert result.closing(1) == -200
    assert result.closing(2) == -1300
    assert result.breaches() == {
        1: Breach(day=june(2), balance=-200, threshold=0),
        2: Breach(day=june(4), balance=-1300, threshold=-1000),
    }
    assert forecast(JUNE_1, 5, {1: 500}, []).breaches() == {}


def test_a_one_day_horizon() -> None:
    bill = Flow(JUNE_1, "a", -3)
    result = forecast(JUNE_1, 1, {"a": 10}, [bill])
    assert result.points("a") == (DayPoint(day=JUNE_1, balance=7, flows=(bill,)),)
    assert result.end == JUNE_1


NOT_AN_INT: Any = 1.5
NOT_A_DATE: Any = datetime(2026, 6, 2)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: forecast(JUNE_1, 0, {"a": 0}, []), "days must be"),
        (lambda: forecast(JUNE_1, True, {"a": 0}, []), "days must be"),
        (lambda: forecast(NOT_A_DATE, 3, {"a": 0}, []), "start must be a date"),
        (lambda: forecast(date(9999, 12, 1), 90, {"a": 0}, []), "end of the calendar"),
        (lambda: forecast(JUNE_1, 3, {"a": NOT_AN_INT}, []), "opening balance of 'a'"),
        (lambda: forecast(JUNE_1, 3, {"a": 0}, [Flow(june(2), "b", -1, "Gym")]), "'b'"),
        (lambda: forecast(JUNE_1, 3, {"a": 0}, [Flow(june(2), "a", NOT_AN_INT, "Gym")]), "Gym"),
        (
            lambda: forecast(JUNE_1, 3, {"a": 0}, [Flow(NOT_A_DATE, "a", 1, "Gym")]),
            "must be a date",
        ),
        (lambda: forecast(JUNE_1, 3, {"a": 0}, [], threshold={"b": 0}), "threshold given"),
        (lambda: forecast(JUNE_1, 3, {"a": 0}, [], threshold={"a": NOT_AN_INT}), "threshold of"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call: object, message: str) -> None:
    assert callable(call)
    with pytest.raises(ForecastError, match=message):
        call()


def test_asking_about_an_unknown_account() -> None:
    result = forecast(JUNE_1, 3, {"a": 0}, [])
    for ask in (result.points, result.first_breach, result.lowest, result.closing):
        with pytest.raises(ForecastError, match="no account 'z'"):
            ask("z")


# --- properties -----------------------------------------------------------------------

ACCOUNTS = ["checking", "savings", "card"]
amounts = st.integers(min_value=-(10**9), max_value=10**9)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[date, int, dict[str, int], list[Flow[str]], dict[str, int]]:
    start = draw(st.dates(date(2000, 1, 1), date(2100, 1, 1)))
    days = draw(st.integers(1, 120))
    opening = {name: draw(amounts) for name in draw(st.sets(st.sampled_from(ACCOUNTS), min_size=1))}
    flows = draw(
        st.lists(
            st.builds(
                Flow,
                day=st.integers(-10, days + 10).map(lambda n: start + timedelta(days=n)),
                account=st.sampled_from(sorted(opening)),
                amount_minor=amounts,
                label=st.text(max_size=5),
            ),
            max_size=40,
        )
    )
    thresholds = draw(st.dictionaries(st.sampled_from(sorted(opening)), amounts))
    return start, days, opening, flows, thresholds


@given(scenarios())
def test_balances_are_exact_and_the_first_breach_is_the_first_day_below(
    scenario: tuple[date, int, dict[str, int], list[Flow[str]], dict[str, int]],
) -> None:
    start, days, opening, flows, thresholds = scenario
    result = forecast(start, days, opening, flows, threshold=thresholds)
    end = start + timedelta(days=days - 1)
    assert sorted(result.accounts) == sorted(opening)
    for account in opening:
        in_horizon = [f for f in flows if f.account == account and start <= f.day <= end]
        assert result.closing(account) == opening[account] + sum(f.amount_minor for f in in_horizon)

        points = result.points(account)
        assert len(points) == days
        assert [p.day for p in points] == [start + timedelta(days=n) for n in range(days)]
        previous = opening[account]
        for point in points:
            assert point.balance == previous + sum(f.amount_minor for f in point.flows)
            assert list(point.flows) == [f for f in in_horizon if f.day == point.day]
            previous = point.balance

        limit = thresholds.get(account, 0)
        below = [p for p in points if p.balance < limit]
        breach = result.first_breach(account)
        if below:
            assert breach == Breach(day=below[0].day, balance=below[0].balance, threshold=limit)
        else:
            assert breach is None

        low = result.lowest(account)
        assert low.balance == min(p.balance for p in points)
        assert low.day == next(p.day for p in points if p.balance == low.balance)
