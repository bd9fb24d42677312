"""Cash-flow forecast: each account's balance, day by day, over a horizon.

The horizon is `days` days from `start`, both ends included (days=30 from 1 June
runs to 30 June). `opening` is each account's balance at the start of `start`,
before that day's flows. A flow is one dated, signed amount on one account (a bill
negative, income positive), with a label and a source for display; flows dated
outside the horizon are ignored. Accounts are identified by any hashable key (an
id, a name), and every flow and threshold must name an account that has an opening
balance.

For each account and day, the forecast holds the end-of-day balance — the opening
plus every flow on or before that day, exactly, in integer minor units — and the
flows of that day in the order given. An account's threshold (0 unless given) is
breached on a day whose end-of-day balance is strictly below it; balances during a
day are not looked at, so a bill and a salary on the same day net out. `lowest` is
the smallest end-of-day balance, on the first day it occurs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class ForecastError(ValueError):
    """Forecast inputs that cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class Flow(Generic[K]):
    """A dated, signed amount on one account: negative money out, positive money in."""

    day: date
    account: K
    amount_minor: int
    label: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True)
class DayPoint(Generic[K]):
    """An account's balance at the end of `day`, and the flows of that day."""

    day: date
    balance: int
    flows: tuple[Flow[K], ...]


@dataclass(frozen=True, slots=True)
class Breach:
    """The first day an account ends below its threshold."""

    day: date
    balance: int
    threshold: int


@dataclass(frozen=True, slots=True)
class LowPoint:
    day: date
    balance: int


@dataclass(frozen=True)
class Forecast(Generic[K]):
    """Daily balances per account over the horizon; see the module docstring."""

    start: date
    days: int
    opening: Mapping[K, int]
    thresholds: Mapping[K, int]
    series: Mapping[K, tuple[DayPoint[K], ...]]

    @property
    def end(self) -> date:
        """The horizon's last day (inclusive)."""
        return self.start + timedelta(days=self.days - 1)

    @property
    def accounts(self) -> list[K]:
        return list(self.series)

    def points(self, account: K) -> tuple[DayPoint[K], ...]:
        """One point per day of the horizon, in order."""
        try:
            return self.series[account]
        except KeyError:
            raise ForecastError(f"the forecast has no account {account!r}") from None

    def threshold(self, account: K) -> int:
        self.points(account)
        return self.thresholds.get(account, 0)

    def closing(self, account: K) -> int:
        """The balance at the end of the horizon's last day."""
        return self.points(account)[-1].balance

    def first_breach(self, account: K) -> Breach | None:
        """The first day the end-of-day balance is strictly below the threshold, if any."""
        limit = self.threshold(account)
        for point in self.points(account):
            if point.balance < limit:
                return Breach(day=point.day, balance=point.balance, threshold=limit)
        return None

    def lowest(self, account: K) -> LowPoint:
        """The smallest end-of-day balance, on the first day it occurs."""
        low = min(self.points(account), key=lambda point: point.balance)  # min keeps the first
        return LowPoint(day=low.day, balance=low.balance)

    def breaches(self) -> dict[K, Breach]:
        """The first breach of every account that has one."""
        found = {account: self.first_breach(account) for account in self.series}
        return {account: breach for account, breach in found.items() if breach is not None}


def _whole(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ForecastError(f"{name} must be a whole number of minor units, not {value!r}")
    return value


def forecast(
    start: date,
    days: int,
    opening: Mapping[K, int],
    flows: Sequence[Flow[K]],
    threshold: Mapping[K, int] | None = None,
) -> Forecast[K]:
    """Forecast every account in `opening` for `days` days from `start` (module docstring)."""
    if isinstance(start, datetime) or not isinstance(start, date):
        raise ForecastError(f"start must be a date, not {start!r}")
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ForecastError(f"days must be a whole number of at least 1, not {days!r}")
    try:
        end = start + timedelta(days=days - 1)
    except OverflowError:
        raise ForecastError(f"{days} days from {start} runs past the end of the calendar") from None
    thresholds = dict(threshold or {})
    for account, amount in opening.items():
        _whole(f"the opening balance of {account!r}", amount)
    for account, amount in thresholds.items():
        if account not in opening:
            raise ForecastError(f"threshold given for {account!r}, which has no opening balance")
        _whole(f"the threshold of {account!r}", amount)

    by_day: defaultdict[tuple[K, date], list[Flow[K]]] = defaultdict(list)
    for flow in flows:
        if flow.account not in opening:
            raise ForecastError(
                f"flow {flow.label or flow.source or flow.day!r} is on {flow.account!r}, "
                "which has no opening balance"
            )
        _whole(f"the amount of flow {flow.label or flow.day!r}", flow.amount_minor)
        if isinstance(flow.day, datetime) or not isinstance(flow.day, date):
            raise ForecastError(f"the day of flow {flow.label!r} must be a date, not {flow.day!r}")
        if start <= flow.day <= end:
            by_day[(flow.account, flow.day)].append(flow)

    series: dict[K, tuple[DayPoint[K], ...]] = {}
    for account, balance in opening.items():
        points: list[DayPoint[K]] = []
        for offset in range(days):
            day = start + timedelta(days=offset)
            todays = tuple(by_day.get((account, day), ()))
            balance += sum(flow.amount_minor for flow in todays)
            points.append(DayPoint(day=day, balance=balance, flows=todays))
        series[account] = tuple(points)
    return Forecast(
        start=start, days=days, opening=dict(opening), thresholds=thresholds, series=series
    )
