"""Recurring detection: bills, subscriptions and income found in a transaction history.

A *series* is a run of transactions on one account, in one currency, in one direction
(money out or money in), at one payee, that fall on the dates of a regular schedule
with similar amounts. The detector proposes each series with a guess of what it is (a
subscription, a bill or an income), when the next one is due, what it costs a month
and a year, the price changes it went through, and how sure it is.

Definitions:
- Payees are compared by `payee_key`: case-folded, without reference numbers, digits
  and punctuation ("NETFLIX.COM 866-579 REF 4411" and "Netflix.com" are one payee).
- A cadence is weekly, every two weeks, monthly, quarterly or yearly. Its *schedule*
  is a run of dates, its *slots*: every 7 or 14 days, or one day of the month every 1,
  3 or 12 months; a day past a month's end is that month's last day (a bill of the
  31st is due on 28 February and 30 April).
- An occurrence fills a slot when it is within the cadence's *tolerance* of the slot's
  date (3 days weekly, 5 biweekly and monthly, 6 quarterly, 7 yearly), the schedule
  being moved by the series' habitual offset (due on the 1st, booked on the 2nd):
  dates wandering ±3 days around their due date stay in. One slot may be missed
  between two occurrences; two in a row end a chain.
- Look-alikes of a chain are the other occurrences of its group that could have
  been members: at one of its amounts (±0.5 %) for a chain of fixed amounts; for one
  of varying amounts, within its range (10th to 90th percentile, ±15 %), or, to judge
  chance, within the factor 3 around its median that the chain builder allows.

How it works (O(n log n) over n occurrences):
1. Occurrences are grouped by (account, currency, direction, payee key) and sorted by
   date. Zero amounts are ignored.
2. Fixed amounts. In a group, the occurrences of exactly one amount are chained slot
   by slot for each cadence: each chain starts from the earliest occurrence no chain
   has taken, and each slot takes the occurrence nearest its date. The windows follow
   the chain's offset (the median of its last five), two days wider until it has three
   occurrences; a chain that missed some slots (at most half) and whose first
   occurrence is off its median date is built again on a fixed grid through that date,
   and the longer is kept. Chains of a cadence whose ends meet (one of the three slots
   after one's end holds the other's start), amounts within a factor of 1.5, are
   joined: a price change (15.99, then 17.99) keeps its series. The chains kept (step
   4) are then filled: a missed slot whose window holds a single occurrence within a
   factor of 3 of its neighbours joins (a December salary with a bonus), and so does,
   at either end, a single occurrence within a factor of 1.5 of the five nearest
   (this year's renewal at its new price); chains that now meet are joined again.
3. Varying amounts (utilities, payroll with overtime, yearly premiums). What step 2
   left of the group is chained again, each slot taking the occurrence nearest in
   amount to the median of the chain's last three, within a factor of 1.5 (of 3 when
   it is alone in the window: a card's repayment).
   In both steps a cadence is not tried where there are more than 1.5 occurrences a
   slot on average (a supermarket visited twice a week has no weekly series).
4. Each chain of at least `min_occurrences` gets a pattern score (below); those
   scoring at least ACCEPT are kept, best first by score times occurrences, none
   sharing an occurrence with one kept before.

Confidence = regularity × coverage × stability × exclusivity × count × (1 − chance)
× recency, each factor in [0, 1]; all but recency make the pattern score:
- regularity: 1 − (mean absolute deviation, in days, of the dates from the fitted
  schedule and offset) / tolerance. Dates picked at random in the windows score ~0.5.
- coverage: occurrences / slots from the first to the last.
- stability: 1 − the median relative change between consecutive amounts
  (|b − a| / max(|a|, |b|)); fixed prices with a price change score 1.
- exclusivity: 1 / (1 + max(0, ρ − 0.25)), ρ the look-alikes from a slot before the
  first to a slot after the last per occurrence of the chain. A coffee bought at 3.45
  three times a week makes no weekly series.
- count: 1 − 2^−(n − 1) for n occurrences (3 → 0.75, 5 → 0.94).
- chance: how many chains as long and as regular the look-alikes would form by chance,
  at most 1: 20,000 × (B + n) × h^(n − 1), where B look-alikes lie within a year
  either side, h = 1 − e^(−rate × (2w + 1)) is the chance that a slot holds one within
  w days (w the chain's widest deviation, rate = B / days; h is 1 − (1 − h)² when
  the chain skips slots). The factor 20,000 stands for the many payees, amounts and
  cadences a history is searched at; a series at a payee without look-alikes has 0.
- recency: 0.5^missed, missed counting the slots after the last occurrence whose
  window closed before `today`. Two or more missed: the series is inactive (cancelled
  or ended); it is still reported, with its low confidence.

What a series reports:
- amount_minor: the median of the recent occurrences (those of the series' last year,
  at least the last three, and since its last price change), half-up; signed.
  amount_min_minor and amount_max_minor: the range of the same occurrences.
- price_changes: a step between two runs of at least two (±0.5 %) equal amounts, in a
  series of which at least three quarters of the occurrences are in such runs. A
  single odd amount is not a change.
- kind: income for money in; else a subscription for a steady amount (in runs as
  above, or moving by 2 % or less at a time, like a price in another currency),
  weekly, monthly or yearly, of at most 300 major units a payment and 150 a month;
  otherwise a bill.
- monthly_cost_minor and yearly_cost_minor: amount_minor × 52/12, 26/12, 1, 1/3 or 1/12
  a month and × 52, 26, 12, 4 or 1 a year by cadence, half-up; signed.
- rrule: an RFC 5545 rule that yields next_expected and the dates after it when
  started there (DTSTART = next_expected), in the forms of `coffer.core.recurrence`:
  "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", "FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1"
  (the last day of the month), "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=4".

Deterministic: the same occurrences give the same series in the same order, whatever
the order of the input.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from fractions import Fraction
from functools import lru_cache
from typing import Literal

from coffer.core.money import MoneyError, currency

ACCEPT = 0.5  # the least pattern score of a series
_STEP_RATIO = 1.5  # the largest amount ratio between neighbours of a varying series
_LONE_RATIO = 3.0  # ... when the neighbour is alone in its slot's window
_SAME = 200  # amounts within 1/200 (0.5 %) of each other are the same price
_BACKGROUND_DAYS = 365  # look-alikes are counted this far either side of a chain
_CHANCE_TRIALS = 20_000.0  # payees × amounts × cadences searched, roughly
_BUSY = 1.5  # occurrences a slot above which a cadence is not tried
_EARLY = 2  # days added to the tolerance until a chain has three occurrences
_SUBSCRIPTION_MAX = 300  # major units per payment
_SUBSCRIPTION_MONTHLY_MAX = 150  # major units a month


class Cadence(StrEnum):
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"

    @property
    def nominal_days(self) -> float:
        """The average length of one interval in days (a month is 365.25 / 12)."""
        return _NOMINAL_DAYS[self]


_NOMINAL_DAYS = {
    Cadence.WEEKLY: 7.0,
    Cadence.BIWEEKLY: 14.0,
    Cadence.MONTHLY: 365.25 / 12,
    Cadence.QUARTERLY: 365.25 / 4,
    Cadence.YEARLY: 365.25,
}


class Kind(StrEnum):
    SUBSCRIPTION = "subscription"
    BILL = "bill"
    INCOME = "income"


Direction = Literal["out", "in"]


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One transaction as the detector sees it."""

    id: Hashable
    day: date
    amount_minor: int  # signed: negative is money out
    payee: str  # merchant name or payee text as printed
    account: Hashable
    currency: str


@dataclass(frozen=True, slots=True)
class PriceChange:
    day: date  # the first occurrence at the new amount
    old_minor: int
    new_minor: int


@dataclass(frozen=True, slots=True)
class Evidence:
    """The factors of a series' confidence (see the module docstring)."""

    regularity: float
    coverage: float
    stability: float
    exclusivity: float
    count: float
    chance: float  # expected number of look-alike chains formed by chance, at most 1
    recency: float
    missed: int  # slots due after the last occurrence whose window has passed

    @property
    def pattern(self) -> float:
        """How sure the detector is that the occurrences form a series, recency aside."""
        return (
            self.regularity
            * self.coverage
            * self.stability
            * self.exclusivity
            * self.count
            * (1.0 - self.chance)
        )


@dataclass(frozen=True, slots=True)
class Series:
    payee_key: str
    payee: str  # the most common spelling among the occurrences
    account: Hashable
    currency: str
    direction: Direction
    cadence: Cadence
    kind: Kind
    interval_days: float  # the median gap between consecutive occurrences
    rrule: str  # to be started at next_expected
    amount_minor: int  # the expected amount, signed
    amount_min_minor: int  # the range of the recent occurrences, signed, min <= max
    amount_max_minor: int
    first_day: date
    last_day: date
    next_expected: date  # the slot after the last occurrence (in the past when overdue)
    occurrence_ids: tuple[Hashable, ...]  # in date order
    confidence: float  # in [0, 1]
    active: bool  # fewer than two slots missed since the last occurrence
    price_changes: tuple[PriceChange, ...]
    monthly_cost_minor: int  # signed, like amount_minor
    yearly_cost_minor: int
    evidence: Evidence


# --- payee key ------------------------------------------------------------------------

_JOIN = re.compile(r"(?<=[^\W\d_])['’](?=[^\W\d_])")  # sainsbury's
_REFERENCE = re.compile(r"\b(?:ref(?:erence)?|mandate)\b\W*\w*")
_TOKEN = re.compile(r"[^\W_]+")


def payee_key(payee: str) -> str:
    """The payee as the detector compares it: case-folded, without reference numbers,
    digits and punctuation, spaces collapsed.

    A word after "ref", "reference" or "mandate" is a reference and goes away
    with it; a word of four or more characters holding a digit (a store number, a card
    reference, a date such as 12MAR) goes; digits of shorter words go ("O2" is "o").
    A payee of nothing else keeps its case-folded text.

    >>> payee_key("NETFLIX.COM 866-579-7172 REF AB12CD")
    'netflix com'
    """
    text = _REFERENCE.sub(" ", _JOIN.sub("", payee.casefold()))
    words: list[str] = []
    for token in _TOKEN.findall(text):
        if token.isalpha():
            words.append(token)
        elif len(token) < 4 and not token.isdigit():
            words.append("".join(c for c in token if not c.isdigit()))
    return " ".join(words) if words else " ".join(payee.casefold().split())


# --- schedules ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Rule:
    cadence: Cadence
    step: int  # days, or months when in_months
    in_months: bool
    tolerance: int  # days either side of a slot's date
    per_year: int

    @property
    def reach(self) -> tuple[int, int]:
        """Days from a slot's date to the earliest and latest date the next two slots'
        windows can hold (before the series' offset is known)."""
        if self.in_months:
            return 28 * self.step - self.tolerance, 31 * self.step * 2 + self.tolerance
        return self.step - self.tolerance, 2 * self.step + self.tolerance

    @property
    def span(self) -> int:
        """One interval in whole days (rounded)."""
        return round(_NOMINAL_DAYS[self.cadence])


_RULES = (
    _Rule(Cadence.WEEKLY, 7, False, 3, 52),
    _Rule(Cadence.BIWEEKLY, 14, False, 5, 26),
    _Rule(Cadence.MONTHLY, 1, True, 5, 12),
    _Rule(Cadence.QUARTERLY, 3, True, 6, 4),
    _Rule(Cadence.YEARLY, 12, True, 7, 1),
)
_RULE = {rule.cadence: rule for rule in _RULES}
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _month_length(month_index: int) -> int:
    year, month0 = divmod(month_index, 12)
    if month0 == 1 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _MONTH_DAYS[month0]


@lru_cache(maxsize=1 << 16)
def _month_day(month_index: int, day: int) -> int:
    """The ordinal of `day` (past the end: the last day) of month `month_index`
    (year * 12 + month - 1)."""
    year, month0 = divmod(month_index, 12)
    return date(year, month0 + 1, min(day, _month_length(month_index))).toordinal()


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


@dataclass(frozen=True, slots=True)
class _Grid:
    """A schedule without its offset: slot 0 is the chain's first occurrence."""

    rule: _Rule
    start: int  # ordinal of slot 0 (weekly kinds)
    month0: int  # month index of slot 0 (monthly kinds)
    day: int  # day of the month (monthly kinds), 31 for the last day

    def at(self, slot: int) -> int:
        if self.rule.in_months:
            return _month_day(self.month0 + self.rule.step * slot, self.day)
        return self.start + self.rule.step * slot


def _grid(rule: _Rule, first: date) -> _Grid:
    return _Grid(rule, first.toordinal(), _month_index(first), first.day)


# --- small numbers --------------------------------------------------------------------


def _median_int(values: Sequence[int]) -> int:
    """Median of integers; the mean of the middle two rounds half away from zero."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    total = ordered[mid - 1] + ordered[mid]
    half = (abs(total) + 1) // 2
    return -half if total < 0 else half


def _median(ordered: Sequence[float]) -> float:
    """The median of sorted numbers."""
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _round_half_up(value: Fraction) -> int:
    magnitude = abs(value)
    whole = int(magnitude + Fraction(1, 2))
    return -whole if value < 0 else whole


def _ratio(a: int, b: int) -> float:
    """How many times larger the larger magnitude is (a and b non-zero)."""
    x, y = abs(a), abs(b)
    return x / y if x >= y else y / x


def _same_price(a: int, b: int) -> bool:
    return abs(a - b) * _SAME <= max(abs(a), abs(b))


# --- chains ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Chain:
    grid: _Grid
    positions: list[int]  # into the group's date-ordered occurrences
    slots: list[int]  # slot of each position, 0 first, increasing
    score: float = 0.0
    parts: tuple[float, float, float, float, float, float] = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def _build(
    grid: _Grid,
    ords: Sequence[int],
    sizes: Sequence[int],
    free: list[bool],
    first: int,
    loose: bool,
    adapt: bool = True,
) -> tuple[list[int], list[int], list[int]]:
    """Chain occurrences slot by slot from `first` (indexes into ords, which is sorted;
    sizes are the amounts' magnitudes). Tight: every candidate has the same amount; the
    nearest to the slot's date wins. Loose: the nearest in amount to the median of the
    last three wins, within a factor of 1.5 (3 when alone in the window). `adapt`: the
    windows follow the chain's recent offset from the grid, or stay on the grid.
    Returns the positions, their slots and their offsets from the grid in days."""
    rule = grid.rule
    tolerance = rule.tolerance
    in_months, step = rule.in_months, rule.step
    start, month0, day = grid.start, grid.month0, grid.day
    month_day = _month_day
    left, right = bisect.bisect_left, bisect.bisect_right
    end = len(ords)
    positions = [first]
    slots = [0]
    offsets = [ords[first] - grid.at(0)]  # 0 unless the grid was moved
    offset = 0
    width = tolerance + _EARLY
    slot = 0
    last = first
    reference = sizes[first]
    while True:
        pick = -1
        jump = 1
        while jump <= 2:
            nominal = (
                month_day(month0 + step * (slot + jump), day)
                if in_months
                else start + step * (slot + jump)
            )
            target = nominal + offset
            lo = left(ords, target - width, last + 1)
            if lo == end or ords[lo] > target + width:
                jump += 1
                continue
            hi = right(ords, target + width, lo)
            best = 1e18
            candidates = 0
            for p in range(lo, hi):
                if not free[p]:
                    continue
                candidates += 1
                distance = ords[p] - target
                if distance < 0:
                    distance = -distance
                if loose:
                    size = sizes[p]
                    ratio = size / reference if size >= reference else reference / size
                    if ratio > _LONE_RATIO:
                        continue
                    cost = ratio - 1.0 + 0.01 * distance
                else:
                    cost = distance
                if cost < best:
                    best, pick = cost, p
            if loose and pick >= 0 and candidates > 1 and best > _STEP_RATIO - 1.0:
                size = sizes[pick]
                if (size / reference if size >= reference else reference / size) > _STEP_RATIO:
                    pick = -1
            if pick >= 0:
                positions.append(pick)
                slots.append(slot + jump)
                offsets.append(ords[pick] - nominal)
                break
            jump += 1
        if pick < 0:
            return positions, slots, offsets
        slot, last = slots[-1], pick
        # The series' habit: the median offset of the last five (the window is wider
        # while fewer than three tell it), the median size of the last three.
        if adapt:
            recent = sorted(offsets[-5:])
            offset = recent[len(recent) // 2]
        if len(offsets) >= 3:
            width = tolerance
            if loose:
                a, b, c = (sizes[q] for q in positions[-3:])
                reference = a + b + c - max(a, b, c) - min(a, b, c)
        elif loose:
            reference = sizes[pick]


def _chains(
    rule: _Rule,
    days: Sequence[date],
    ords: Sequence[int],
    amounts: Sequence[int],
    loose: bool,
    least: int,
) -> list[tuple[_Grid, list[int], list[int]]]:
    """Chains of `rule` over sorted occurrences, each occurrence in at most one,
    started from the earliest occurrence no chain has taken; those of `least` or more."""
    free = [True] * len(ords)
    sizes = [abs(a) for a in amounts]
    found = []
    near, far = rule.reach
    end = len(ords)
    for first in range(end):
        if not free[first]:
            continue
        # Quick look: is anything free where the next two slots could be?
        p = bisect.bisect_left(ords, ords[first] + near, first + 1)
        limit = ords[first] + far
        while p < end and ords[p] <= limit and not free[p]:
            p += 1
        if p == end or ords[p] > limit:
            free[first] = False
            continue
        grid = _grid(rule, days[first])
        positions, slots, offsets = _build(grid, ords, sizes, free, first, loose)
        if len(positions) >= least and len(slots) < slots[-1] + 1 <= 2 * len(slots):
            # Slots were missed: the first occurrences may have been off their dates and
            # pulled the windows with them. Try again on a grid through the chain's
            # median date, without following the chain's offset.
            offset = _median_int(offsets)
            if offset:
                moved = _grid(rule, date.fromordinal(ords[first] + offset))
                again = _build(moved, ords, sizes, free, first, loose, adapt=False)
                if len(again[0]) > len(positions):
                    grid, positions, slots = moved, again[0], again[1]
        for p in positions:
            free[p] = False
        if len(positions) >= least:
            found.append((grid, positions, slots))
    return found


@lru_cache(maxsize=1 << 16)
def _day_of_month(ordinal: int) -> tuple[int, bool]:
    """The day of the month of an ordinal, and whether it is the month's last."""
    day = date.fromordinal(ordinal)
    return day.day, day.day == _month_length(_month_index(day))


def _fit(grid: _Grid, ords: Sequence[int], slots: Sequence[int]) -> tuple[_Grid, list[int]]:
    """The schedule that best fits the occurrences, and their offsets from it. For
    monthly kinds the day of the month is chosen among the chain's first day, the most
    common day and the month's end (when a third or more fell on a last day)."""
    at = grid.at
    offsets = [o - at(s) for o, s in zip(ords, slots, strict=True)]
    if not grid.rule.in_months:
        return grid, offsets
    counts = [0] * 32
    last_days = 0
    for o in ords:
        day, last = _day_of_month(o)
        counts[day] += 1
        last_days += last
    candidates = {max(range(1, 32), key=lambda d: (counts[d], -d))}
    if last_days * 3 >= len(ords):
        candidates.add(31)
    candidates.discard(grid.day)
    best_offsets = offsets
    centre = _median_int(offsets)
    best = (sum(abs(x - centre) for x in offsets), grid.day)
    best_grid = grid
    step = grid.rule.step
    for day in sorted(candidates):
        # A day far from the grid's lies in the grid month's neighbour (the 1st for a
        # chain that began on the 30th).
        shift = -1 if day - grid.day > 15 else (1 if grid.day - day > 15 else 0)
        base = grid.month0 + shift
        trial = [o - _month_day(base + step * s, day) for o, s in zip(ords, slots, strict=True)]
        centre = _median_int(trial)
        total = (sum(abs(x - centre) for x in trial), day)
        if total < best:
            best, best_offsets = total, trial
            best_grid = _Grid(grid.rule, grid.start, base, day)
    return best_grid, best_offsets


def _pattern(
    grid: _Grid, ords: Sequence[int], amounts: Sequence[int], slots: Sequence[int]
) -> tuple[_Grid, int, float, float, float, float]:
    """Fitted schedule, the widest deviation from it (days), regularity, coverage,
    stability and count of a chain; stability is left at 0 when the others already
    put the chain below ACCEPT."""
    fitted, offsets = _fit(grid, ords, slots)
    centre = _median_int(offsets)
    deviations = [abs(x - centre) for x in offsets]
    regularity = max(0.0, 1.0 - sum(deviations) / len(deviations) / grid.rule.tolerance)
    coverage = len(ords) / (slots[-1] - slots[0] + 1)
    count = 1.0 - 0.5 ** (len(ords) - 1)
    stability = 0.0
    if regularity * coverage * count >= ACCEPT:
        changes = sorted(abs(b - a) / max(abs(a), abs(b)) for a, b in itertools.pairwise(amounts))
        stability = max(0.0, 1.0 - (_median(changes) if changes else 0.0))
    return fitted, max(deviations), regularity, coverage, stability, count


def _exclusivity(others: int, members: int) -> float:
    crowd = others / members
    return 1.0 / (1.0 + max(0.0, crowd - 0.25))


def _chance(background: int, days: int, widest: int, members: int, skips: bool) -> float:
    """The expected number of chains this long and this regular that `background`
    look-alikes over `days` would form by chance (capped at 1): each of them could
    start one, and each next slot holds one within `widest` days of its date with
    probability p = 1 - exp(-rate × window)."""
    if background == 0:
        return 0.0
    rate = background / max(days, 1)
    hit = 1.0 - math.exp(-rate * (2 * widest + 1))
    if skips:
        hit = 1.0 - (1.0 - hit) ** 2
    return min(1.0, _CHANCE_TRIALS * (background + members) * hit ** (members - 1))


def _select(candidates: list[_Chain], taken: set[int]) -> list[_Chain]:
    """Best first (score × occurrences), none sharing an occurrence with one kept."""
    kept = []
    for chain in sorted(
        candidates, key=lambda c: (-c.score * len(c.positions), c.positions[0], c.grid.rule.step)
    ):
        if taken.isdisjoint(chain.positions):
            kept.append(chain)
            taken.update(chain.positions)
    return kept


def _join(segments: list[_Chain], ords: Sequence[int], amounts: Sequence[int]) -> list[_Chain]:
    """Join chains of one cadence whose ends meet: one of the three slots after a chain's
    last occurrence holds the other's first occurrence (or its second, the first being a
    look-alike that started it a slot early), amounts within a factor of 1.5. A chain's
    last occurrence reached over a missed slot is dropped when the other chain starts
    in that slot (a look-alike took the place of the first at a new price). The slots
    between may be filled later by `_fill`."""
    if len(segments) < 2:
        return segments
    segments.sort(key=lambda c: (ords[c.positions[0]], -len(c.positions)))
    entries = sorted(
        (ords[c.positions[k]], j, k)
        for j, c in enumerate(segments)
        for k in ((0, 1) if len(c.positions) >= 3 else (0,))
    )
    entry_ords = [e[0] for e in entries]
    used = [False] * len(segments)

    def follower(grid: _Grid, positions: list[int], slots: list[int]) -> tuple[int, int, int]:
        """(segment, occurrences of it skipped, slot of its first kept), or (-1, 0, 0)."""
        recent = zip(positions[-5:], slots[-5:], strict=True)
        offset = _median_int([ords[p] - grid.at(s) for p, s in recent])
        tolerance = grid.rule.tolerance
        for jump in (1, 2, 3):
            target = grid.at(slots[-1] + jump) + offset
            lo = bisect.bisect_left(entry_ords, target - tolerance)
            hi = bisect.bisect_right(entry_ords, target + tolerance)
            best: tuple[int, int, int] | None = None  # (-length, segment, skipped)
            for at, j, k in entries[lo:hi]:
                tail = segments[j]
                if used[j] or at <= ords[positions[-1]]:
                    continue
                if _ratio(amounts[tail.positions[k]], amounts[positions[-1]]) > _STEP_RATIO:
                    continue
                option = (-(len(tail.positions) - k), j, k)
                if best is None or option < best:
                    best = option
            if best is not None:
                return best[1], best[2], slots[-1] + jump
        return -1, 0, 0

    joined = []
    for i, head in enumerate(segments):
        if used[i]:
            continue
        used[i] = True
        grid = head.grid
        positions, slots = list(head.positions), list(head.slots)
        while True:
            j, k, slot = follower(grid, positions, slots)
            if j < 0 and len(positions) >= 3 and slots[-1] - slots[-2] == 2:
                j, k, slot = follower(grid, positions[:-1], slots[:-1])
                if j >= 0 and slot == slots[-1] - 1:
                    del positions[-1], slots[-1]
                else:
                    j = -1
            if j < 0:
                break
            used[j] = True
            tail = segments[j]
            base = slot - tail.slots[k]
            positions.extend(tail.positions[k:])
            slots.extend(base + s for s in tail.slots[k:])
        joined.append(_Chain(grid, positions, slots))
    return joined


def _lone(
    target: int,
    tolerance: int,
    ords: Sequence[int],
    free: Sequence[bool],
    bounds: tuple[int, int],
    fits: Callable[[int], bool],
) -> int:
    """The only occurrence that `fits` within `tolerance` days of `target` (strictly
    between the ordinals `bounds`) when it is free, or -1 when there is none, more than
    one, or one that another series holds."""
    lo = bisect.bisect_left(ords, max(target - tolerance, bounds[0] + 1))
    hi = bisect.bisect_right(ords, min(target + tolerance, bounds[1] - 1))
    found = [p for p in range(lo, hi) if fits(p)]
    return found[0] if len(found) == 1 and free[found[0]] else -1


def _fill(
    chain: _Chain, ords: Sequence[int], amounts: Sequence[int], free: Sequence[bool]
) -> tuple[list[int], list[int]]:
    """The chain with its missed slots filled and its ends extended, where the slot's
    window holds a single free occurrence of a fitting amount: inside, within a factor
    of 3 of both neighbours (a salary with a bonus); at the ends, within a factor of
    1.5 of the median of the five nearest (this year's renewal at a new price), slot by
    slot, one slot missed at most between two."""
    at = chain.grid.at
    tolerance = chain.grid.rule.tolerance
    positions: list[int] = []
    slots: list[int] = []
    pairs = list(zip(chain.positions, chain.slots, strict=True))
    for (p, s), (q, t) in itertools.pairwise(pairs):
        positions.append(p)
        slots.append(s)
        offset = (ords[p] - at(s) + ords[q] - at(t)) // 2

        def between(x: int, p: int = p, q: int = q) -> bool:
            return (
                _ratio(amounts[x], amounts[p]) <= _LONE_RATIO
                and _ratio(amounts[x], amounts[q]) <= _LONE_RATIO
            )

        for gap in range(s + 1, t):
            bounds = (ords[positions[-1]], ords[q])
            lone = _lone(at(gap) + offset, tolerance, ords, free, bounds, between)
            if lone >= 0:
                positions.append(lone)
                slots.append(gap)
    positions.append(pairs[-1][0])
    slots.append(pairs[-1][1])
    far = 1 << 30
    for forward in (True, False):
        while True:
            edge = positions[-1] if forward else positions[0]
            near = list(zip(positions, slots, strict=True))
            near = near[-5:] if forward else near[:5]
            offset = _median_int([ords[p] - at(s) for p, s in near])
            level = _median_int([amounts[p] for p, _ in near])
            bounds = (ords[edge], far) if forward else (-far, ords[edge])

            def step(x: int, level: int = level) -> bool:
                return _ratio(amounts[x], level) <= _STEP_RATIO

            lone = slot = -1
            for jump in (1, 2):  # one slot may be missed, as inside
                slot = slots[-1] + jump if forward else slots[0] - jump
                lone = _lone(at(slot) + offset, tolerance, ords, free, bounds, step)
                if lone >= 0:
                    break
            if lone < 0:
                break
            if forward:
                positions.append(lone)
                slots.append(slot)
            else:
                positions.insert(0, lone)
                slots.insert(0, slot)
    return positions, slots


def _meets(a: _Chain, b: _Chain, ords: Sequence[int]) -> int:
    """The slot of a's schedule (one to three after its last) that holds b's first
    occurrence, or -1."""
    grid = a.grid
    if b.grid.rule is not grid.rule or ords[b.positions[0]] <= ords[a.positions[-1]]:
        return -1
    recent = zip(a.positions[-5:], a.slots[-5:], strict=True)
    offset = _median_int([ords[p] - grid.at(s) for p, s in recent])
    for jump in (1, 2, 3):
        slot = a.slots[-1] + jump
        if abs(ords[b.positions[0]] - grid.at(slot) - offset) <= grid.rule.tolerance:
            return slot
    return -1


def _rejoin(
    kept: list[_Chain],
    ords: Sequence[int],
    amounts: Sequence[int],
    rescore: Callable[[_Chain], None],
) -> list[_Chain]:
    """Join kept chains whose ends meet, amounts within a factor of 1.5, when the joined
    chain still scores (filling may have built the bridge: 40.00, 51.00, then 64.00)."""
    chains = sorted(kept, key=lambda c: ords[c.positions[0]])
    joined = True
    while joined:
        joined = False
        for i, j in itertools.permutations(range(len(chains)), 2):
            a, b = chains[i], chains[j]
            if _ratio(amounts[a.positions[-1]], amounts[b.positions[0]]) > _STEP_RATIO:
                continue
            slot = _meets(a, b, ords)
            if slot < 0:
                continue
            both = _Chain(
                a.grid,
                a.positions + b.positions,
                a.slots + [slot + s - b.slots[0] for s in b.slots],
            )
            rescore(both)
            if both.score > 0:
                chains[i] = both
                del chains[j]
                joined = True
                break
    return chains


def _score(
    chain: _Chain,
    ords: Sequence[int],
    amounts: Sequence[int],
    others: Callable[[_Chain, int, int, bool], int],
    bounds: tuple[int, int],
) -> None:
    """Fill in chain.score (the pattern score; 0 below ACCEPT) and its parts. `others`
    counts the look-alikes (occurrences that could have been members) between two
    ordinals; `bounds` are the group's first and last ordinals."""
    n = len(chain.positions)
    if n / (chain.slots[-1] - chain.slots[0] + 1) * (1.0 - 0.5 ** (n - 1)) < ACCEPT:
        chain.score = 0.0
        return
    member_ords = [ords[p] for p in chain.positions]
    member_amounts = [amounts[p] for p in chain.positions]
    grid, widest, regularity, coverage, stability, count = _pattern(
        chain.grid, member_ords, member_amounts, chain.slots
    )
    chain.grid = grid
    partial = regularity * coverage * stability * count
    if partial < ACCEPT:
        chain.score = 0.0
        return
    margin = grid.rule.span
    crowd = others(chain, member_ords[0] - margin, member_ords[-1] + margin, False)
    exclusivity = _exclusivity(crowd, len(chain.positions))
    lo = max(bounds[0], member_ords[0] - _BACKGROUND_DAYS)
    hi = min(bounds[1], member_ords[-1] + _BACKGROUND_DAYS)
    background = others(chain, lo, hi, True)
    skips = coverage < 1.0
    chance = _chance(background, hi - lo + 1, widest, len(chain.positions), skips)
    chain.parts = (regularity, coverage, stability, exclusivity, count, chance)
    score = partial * exclusivity * (1.0 - chance)
    chain.score = score if score >= ACCEPT else 0.0


def _group_series(days: Sequence[date], amounts: Sequence[int], least: int) -> list[_Chain]:
    """The series of one group (date-ordered occurrences), as chains of its positions."""
    ords = [d.toordinal() for d in days]
    kept, taken = _fixed(days, ords, amounts, least)
    rest = [p for p in range(len(ords)) if p not in taken]
    if len(rest) >= least:
        kept.extend(_varying(rest, days, ords, amounts, least))
    return kept


def _fixed(
    days: Sequence[date], ords: Sequence[int], amounts: Sequence[int], least: int
) -> tuple[list[_Chain], set[int]]:
    """Series of fixed amounts (with price changes) in a group, and the positions they
    hold."""
    by_amount: dict[int, list[int]] = defaultdict(list)
    for p, amount in enumerate(amounts):
        by_amount[amount].append(p)
    bucket_ords = {a: [ords[p] for p in ps] for a, ps in by_amount.items() if len(ps) >= 2}

    sizes = [abs(a) for a in amounts]
    distinct = sorted(set(sizes))

    def same_amount_others(chain: _Chain, lo: int, hi: int, _wide: bool) -> int:
        """Occurrences between two ordinals at one of the chain's amounts, ±0.5 %, less
        the chain's own."""
        levels: list[tuple[float, float]] = []  # merged ranges, ascending
        for size in sorted({sizes[p] for p in chain.positions}):
            low, high = size * (_SAME - 1) / _SAME, size * (_SAME + 1) / _SAME
            if levels and low <= levels[-1][1]:
                levels[-1] = (levels[-1][0], high)
            else:
                levels.append((low, high))
        if len(levels) == 1:
            first = bisect.bisect_left(distinct, levels[0][0])
            if first + 1 == len(distinct) or distinct[first + 1] > levels[0][1]:
                # One amount in range: count it in its bucket.
                series = bucket_ords.get(amounts[chain.positions[0]], [])
                inside = bisect.bisect_right(series, hi) - bisect.bisect_left(series, lo)
                return max(0, inside - len(chain.positions))
        starts = [low for low, _ in levels]
        members = set(chain.positions)
        crowd = 0
        for q in range(bisect.bisect_left(ords, lo), bisect.bisect_right(ords, hi)):
            i = bisect.bisect_right(starts, sizes[q]) - 1
            if i >= 0 and sizes[q] <= levels[i][1] and q not in members:
                crowd += 1
        return crowd

    bounds = (ords[0], ords[-1])
    candidates: list[_Chain] = []
    for rule in _RULES:
        segments = []
        for amount, positions in by_amount.items():
            if len(positions) < 2:
                continue
            b_ords = bucket_ords[amount]
            length = b_ords[-1] - b_ords[0] + 1
            if length < rule.span - rule.tolerance or len(b_ords) > _BUSY * (
                length / rule.span + 1
            ):
                continue
            b_days = [days[p] for p in positions]
            b_amounts = [amount] * len(positions)
            for grid, found, slots in _chains(rule, b_days, b_ords, b_amounts, False, 2):
                segments.append(_Chain(grid, [positions[q] for q in found], slots))
        for chain in _join(segments, ords, amounts):
            if len(chain.positions) >= least:
                _score(chain, ords, amounts, same_amount_others, bounds)
                if chain.score > 0:
                    candidates.append(chain)
    taken: set[int] = set()
    kept = _select(candidates, taken)
    free = [p not in taken for p in range(len(ords))]
    for chain in kept:
        positions, slots = _fill(chain, ords, amounts, free)
        if len(positions) > len(chain.positions):
            filled = _Chain(chain.grid, positions, slots)
            _score(filled, ords, amounts, same_amount_others, bounds)
            if filled.score > 0:
                for p in positions:
                    free[p] = False
                taken.update(positions)
                chain.grid, chain.positions, chain.slots = filled.grid, positions, slots
                chain.score, chain.parts = filled.score, filled.parts
    kept = _rejoin(
        kept, ords, amounts, lambda c: _score(c, ords, amounts, same_amount_others, bounds)
    )
    return kept, taken


def _varying(
    rest: list[int],
    days: Sequence[date],
    ords: Sequence[int],
    amounts: Sequence[int],
    least: int,
) -> list[_Chain]:
    """Series of varying amounts among the group positions `rest` (date order)."""
    r_days = [days[p] for p in rest]
    r_ords = [ords[p] for p in rest]
    r_amounts = [amounts[p] for p in rest]
    r_sizes = [abs(a) for a in r_amounts]
    length = r_ords[-1] - r_ords[0] + 1

    def in_range_others(chain: _Chain, lo: int, hi: int, wide: bool) -> int:
        """Leftovers between two ordinals in the chain's amount range (its 10th to 90th
        percentile, 15 % either side); wide: what the chain builder could have taken,
        within a factor of 3 of the chain's median."""
        sizes = sorted(r_sizes[q] for q in chain.positions)
        if wide:
            middle = sizes[len(sizes) // 2]
            low, high = middle / _LONE_RATIO, middle * _LONE_RATIO
        else:
            low = sizes[len(sizes) // 10] / 1.15
            high = sizes[-1 - len(sizes) // 10] * 1.15
        members = set(chain.positions)
        start = bisect.bisect_left(r_ords, lo)
        end = bisect.bisect_right(r_ords, hi)
        return sum(1 for q in range(start, end) if q not in members and low <= r_sizes[q] <= high)

    candidates: list[_Chain] = []
    for rule in _RULES:
        if length < rule.span * (least - 1) - rule.tolerance:
            continue
        if len(rest) > _BUSY * (length / rule.span + 1):
            continue
        for grid, found, slots in _chains(rule, r_days, r_ords, r_amounts, True, least):
            chain = _Chain(grid, found, slots)
            _score(chain, r_ords, r_amounts, in_range_others, (r_ords[0], r_ords[-1]))
            if chain.score > 0:
                candidates.append(chain)
    kept = _select(candidates, set())
    for chain in kept:
        chain.positions = [rest[q] for q in chain.positions]
    return kept


# --- describing a series --------------------------------------------------------------


def _runs(amounts: Sequence[int]) -> list[tuple[int, int]]:
    """(start index, length) of runs of near-equal consecutive amounts."""
    runs: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(amounts) + 1):
        if i == len(amounts) or not _same_price(amounts[i], amounts[start]):
            runs.append((start, i - start))
            start = i
    return runs


def _price_changes(amounts: Sequence[int]) -> tuple[bool, list[tuple[int, int, int]]]:
    """Whether the amount is steady, and where a steady amount changed: (index of the
    first occurrence at the new amount, old amount, new amount)."""
    stable_runs = [(s, n) for s, n in _runs(amounts) if n >= 2]
    if sum(n for _, n in stable_runs) * 4 < len(amounts) * 3:
        # Not in steps; steady all the same when it moves by 2 % or less at a time
        # (a price in another currency).
        moves = sorted(abs(b - a) / abs(a) for a, b in itertools.pairwise(amounts))
        return bool(moves) and moves[len(moves) // 2] <= 0.02, []
    changes = []
    for (s1, n1), (s2, n2) in itertools.pairwise(stable_runs):
        old = _median_int(amounts[s1 : s1 + n1])
        new = _median_int(amounts[s2 : s2 + n2])
        if not _same_price(old, new):
            changes.append((s2, old, new))
    return True, changes


def _rrule(rule: _Rule, grid: _Grid, nominal: date) -> str:
    if not rule.in_months:
        weekday = _WEEKDAYS[nominal.weekday()]
        if rule.cadence is Cadence.WEEKLY:
            return f"FREQ=WEEKLY;BYDAY={weekday}"
        return f"FREQ=WEEKLY;INTERVAL=2;BYDAY={weekday}"
    day = grid.day
    if rule.cadence is Cadence.YEARLY:
        longest = 29 if nominal.month == 2 else _month_length(nominal.month - 1 + 12 * 2000)
        day = min(day, longest)
        if (nominal.month, day) == (2, 29):
            return "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=28,29;BYSETPOS=-1"
        return f"FREQ=YEARLY;BYMONTH={nominal.month};BYMONTHDAY={day}"
    head = "FREQ=MONTHLY" if rule.step == 1 else f"FREQ=MONTHLY;INTERVAL={rule.step}"
    if day <= 28:
        return f"{head};BYMONTHDAY={day}"
    return f"{head};BYMONTHDAY={','.join(str(d) for d in range(28, day + 1))};BYSETPOS=-1"


def _major_units(code: str) -> int:
    try:
        return int(10 ** currency(code).minor_units)
    except MoneyError:
        return 100


def _describe(chain: _Chain, items: Sequence[Occurrence], key: str, today: date) -> Series:
    rule = chain.grid.rule
    members = [items[p] for p in chain.positions]
    days = [m.day for m in members]
    ords = [d.toordinal() for d in days]
    amounts = [m.amount_minor for m in members]
    grid, offsets = _fit(chain.grid, ords, chain.slots)
    last_slot = chain.slots[-1]
    if rule.in_months:
        # The fitted day of the month may put the last occurrence in the next or the
        # previous month of the grid's (a bill of the 1st booked on the 30th).
        month = grid.month0 + rule.step * last_slot
        month += min((0, -1, 1), key=lambda s: abs(ords[-1] - _month_day(month + s, grid.day)))

        def nominal(after: int) -> int:
            return _month_day(month + rule.step * after, grid.day)

    else:
        offset = _median_int(offsets[-8:])

        def nominal(after: int) -> int:
            return grid.at(last_slot + after) + offset

    missed = 0
    while missed < 100 and nominal(missed + 1) + rule.tolerance < today.toordinal():
        missed += 1
    next_day = date.fromordinal(nominal(1))

    steady, changes = _price_changes(amounts)
    recent_from = max(0, min(len(members) - 3, bisect.bisect_right(ords, ords[-1] - 365)))
    since = max([recent_from, *(i for i, _, _ in changes)])
    expected = _median_int(amounts[since:])
    recent = amounts[since:]
    gaps = sorted(b - a for a, b in itertools.pairwise(ords))
    mid = len(gaps) // 2
    interval = float(gaps[mid]) if len(gaps) % 2 else (gaps[mid - 1] + gaps[mid]) / 2

    direction: Direction = "in" if amounts[0] > 0 else "out"
    monthly = _round_half_up(Fraction(expected * rule.per_year, 12))
    unit = _major_units(members[0].currency)
    if direction == "in":
        kind = Kind.INCOME
    elif (
        steady
        and rule.cadence in (Cadence.WEEKLY, Cadence.MONTHLY, Cadence.YEARLY)
        and abs(expected) <= _SUBSCRIPTION_MAX * unit
        and abs(monthly) <= _SUBSCRIPTION_MONTHLY_MAX * unit
    ):
        kind = Kind.SUBSCRIPTION
    else:
        kind = Kind.BILL

    regularity, coverage, stability, exclusivity, count, chance = chain.parts
    recency = 0.5**missed
    evidence = Evidence(
        regularity, coverage, stability, exclusivity, count, chance, recency, missed
    )
    spellings = Counter(m.payee for m in reversed(members))  # ties: the latest spelling
    return Series(
        payee_key=key,
        payee=spellings.most_common(1)[0][0],
        account=members[0].account,
        currency=members[0].currency,
        direction=direction,
        cadence=rule.cadence,
        kind=kind,
        interval_days=interval,
        rrule=_rrule(rule, grid, next_day),
        amount_minor=expected,
        amount_min_minor=min(recent),
        amount_max_minor=max(recent),
        first_day=days[0],
        last_day=days[-1],
        next_expected=next_day,
        occurrence_ids=tuple(m.id for m in members),
        confidence=evidence.pattern * recency,
        active=missed < 2,
        price_changes=tuple(PriceChange(days[i], old, new) for i, old, new in changes),
        monthly_cost_minor=monthly,
        yearly_cost_minor=expected * rule.per_year,
        evidence=evidence,
    )


# --- entry points ---------------------------------------------------------------------


def detect(
    occurrences: Iterable[Occurrence], *, today: date, min_occurrences: int = 3
) -> list[Series]:
    """The recurring series in a history, ordered by payee key, first day and cadence.

    `today` decides which series are still active and scales confidence by recency;
    a series needs at least `min_occurrences` (2 or more) occurrences."""
    if min_occurrences < 2:
        raise ValueError("a series needs at least two occurrences")
    keys: dict[str, str] = {}
    groups: dict[tuple[Hashable, str, bool, str], list[Occurrence]] = defaultdict(list)
    for occurrence in occurrences:
        if occurrence.amount_minor == 0:
            continue
        raw = occurrence.payee
        key = keys.get(raw)
        if key is None:
            key = keys[raw] = payee_key(raw)
        groups[(occurrence.account, occurrence.currency, occurrence.amount_minor > 0, key)].append(
            occurrence
        )
    found: list[Series] = []
    for (_, _, _, key), items in groups.items():
        if len(items) < min_occurrences:
            continue
        items.sort(key=lambda o: (o.day, o.amount_minor, repr(o.id)))
        days = [o.day for o in items]
        amounts = [o.amount_minor for o in items]
        for chain in _group_series(days, amounts, min_occurrences):
            found.append(_describe(chain, items, key, today))
    found.sort(
        key=lambda s: (
            s.payee_key,
            s.currency,
            s.direction,
            s.first_day,
            _RULE[s.cadence].per_year,
            s.amount_minor,
            repr(s.account),
        )
    )
    return found


def subscription_totals(series: Iterable[Series]) -> dict[str, tuple[int, int]]:
    """Monthly and yearly cost (signed minor units) of the active subscriptions, by
    currency: what the subscription view adds up."""
    totals: dict[str, tuple[int, int]] = {}
    for s in series:
        if s.kind is Kind.SUBSCRIPTION and s.active:
            monthly, yearly = totals.get(s.currency, (0, 0))
            totals[s.currency] = (monthly + s.monthly_cost_minor, yearly + s.yearly_cost_minor)
    return totals
