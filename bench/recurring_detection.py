#!/usr/bin/env python3
"""How well and how fast does the recurring detector find bills and subscriptions?

    .venv/bin/python bench/recurring_detection.py                 # 100,000 rows, seeds 11 12 13
    .venv/bin/python bench/recurring_detection.py --transactions 20000 --seeds 1 2 --verbose
    .venv/bin/python bench/recurring_detection.py --json /tmp/recurring.json

For each seed it generates households (10,000 transactions each over five years, so
100,000 transactions are ten households) with planted series, runs
`coffer.core.recurring.detect` once over all their transactions together, and matches
what it found with what was planted:

    a detected series matches a planted one when both are on the same account at the
    same payee key, with the same cadence, and they share at least 80 % of the planted
    series' transactions and 80 % of the detected series' transactions (each planted
    series matches one detected series at most);
    precision = matched detected series / all detected series (active or not);
    recall = matched planted series / all planted series.

A planted series with fewer than three transactions in the history (one begun in the
last weeks) is not counted in recall; a detection of it counts against precision. Per
cadence, precision is by the detected cadence and recall by the planted one. "kind ok"
is the share of matched series whose kind (subscription, bill, income) is the one the
generator gave (the detector only guesses it: a fixed 45.00 broadband bill looks like a
subscription). The time is the median of --repeat calls of `detect` over all the
transactions after one warm-up call, wall clock and CPU time of the process, with the
load average beside it (the machine may be shared). --verbose lists what the false
detections are made of and which planted series were missed.

What the generator models. Each household has a current account, a credit card and
sometimes a joint account, and draws about twenty series from a catalogue:
- subscriptions charged to a card (streaming, music, news, software, a weekly veg box,
  the lottery): fixed amounts, price rises of 5-30 % now and then (six months apart at
  least), booked on the day or one to three days later; some priced in dollars, their
  amount moving with the exchange rate;
- two subscriptions at one payee (Apple: storage and music) amid app purchases at the
  same payee, some at the very same prices (0.99, 2.99); a subscription under the
  payee of the household's shopping (Amazon Prime amid Amazon purchases);
- bills by direct debit or standing order: rent or mortgage and loans (fixed, changing
  once a year), broadband and phone (fixed, price rises), energy (monthly, seasonal with
  noise), gas and water (quarterly, varying), car, home and pet insurance (yearly, a new
  premium every year, or monthly), the credit card's monthly repayment (varying a lot),
  a cleaner (weekly or fortnightly), pocket money (weekly), a childminder (fortnightly,
  varying); a debit due on a weekend is taken on the Monday (or the Friday, by bank),
  and ±1 day now and then;
- income: a monthly salary (last working day before a fixed day, a raise each April
  and sometimes a December bonus), a fortnightly Friday payroll (fixed, or varying
  with overtime), a lodger's weekly rent, quarterly dividends, a monthly pension, a
  partner's monthly transfer;
- series start and end inside the history (a third start late, a quarter end early),
  one slot in thirty or so is missed (never two in a row); a series due on the 29th to
  31st falls on the month's last day in shorter months;
- payee texts as banks print them, some with a reference that changes every time
  ("SPOTIFY P1A2B3C4D5", "AMAZON.CO.UK*2K3L45AB").
Most rows are noise: two or three supermarkets each visited every 3-10 days (amounts
log-normal around 45), a corner shop, coffee and canteen lunches at a handful of fixed
prices on most weekdays, travel fares (half at the daily cap, the same amount day
after day), restaurants and takeaways, fuel every 6-16 days (sometimes exactly 50.00
or 60.00), cash withdrawals of round amounts every 5-25 days, Amazon purchases,
payments to friends (often round amounts), a long tail of payees seen once, refunds,
and now and then a one-off at the payee of a planted series (a roaming add-on, a
personal-training session, a catch-up energy payment).

What it simplifies: every series has one of the five cadences (no four-weekly
benefits, no council tax in ten instalments a year, no "every weekday" series); each
household spends in one currency; amounts are log-normal, seasonal cosines or fixed
prices with steps; a payee's text varies only by reference numbers (no truncation, no
merchant renamed or merged); there are no transfers between a household's own
accounts, pending/cleared pairs or duplicates; the noise rates are scaled to reach the
transaction count, so the households are busy (about five and a half rows a day).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import statistics
import string
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from coffer.core.recurring import Cadence, Occurrence, Series, detect, payee_key

START = date(2020, 1, 1)
YEARS = 5
PER_HOUSEHOLD = 10_000
MONTHS = {Cadence.MONTHLY: 1, Cadence.QUARTERLY: 3, Cadence.YEARLY: 12}
PERIOD_DAYS = {
    Cadence.WEEKLY: 7,
    Cadence.BIWEEKLY: 14,
    Cadence.MONTHLY: 30,
    Cadence.QUARTERLY: 91,
    Cadence.YEARLY: 365,
}

Amounts = Callable[[list[date]], list[int]]
Shift = Callable[[date], int]


@dataclass
class Planted:
    account: str
    payee: str
    cadence: Cadence
    kind: str  # subscription, bill, income
    ids: list[int] = field(default_factory=list)


@dataclass
class Row:
    id: int
    day: date
    amount: int
    payee: str
    account: str
    label: str  # "planted:<n>" or the kind of noise


# --- schedules and amounts ------------------------------------------------------------


def month_day(year: int, month: int, day: int) -> date:
    """`day` of the month, or its last day when the month is shorter."""
    after = date(year + month // 12, month % 12 + 1, 1)
    return date(year, month, min(day, (after - timedelta(days=1)).day))


def add_months(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + n
    return index // 12, index % 12 + 1


def due_dates(cadence: Cadence, first: date, last: date, day: int) -> list[date]:
    """Due dates from first to last: weekly kinds every 7 or 14 days from first; monthly
    kinds on `day` (31: the month's end) of first's month and every 1, 3 or 12 months."""
    if cadence not in MONTHS:
        return [
            first + timedelta(days=k)
            for k in range(0, (last - first).days + 1, PERIOD_DAYS[cadence])
        ]
    out = []
    year, month = first.year, first.month
    while (current := month_day(year, month, day)) <= last:
        if current >= first:
            out.append(current)
        year, month = add_months(year, month, MONTHS[cadence])
    return out


def price(rng: random.Random, low: int, high: int, ends: Sequence[int] = (99,)) -> int:
    """A shop price from low to high whole units, ending in .99 or the like."""
    return rng.randint(low, high) * 100 + rng.choice(ends)


def rise(rng: random.Random, amount: int) -> int:
    """A price rise of 5-30 %, to a price ending in 9 (or in 0 or 50 like the old one)."""
    raised = amount * (1 + rng.uniform(0.05, 0.30))
    if amount % 10 == 0:
        return math.ceil(raised / 50) * 50
    return math.ceil((raised + 1) / 10) * 10 - 1


def fixed(rng: random.Random, base: int, chance: float = 0.25) -> Amounts:
    """A fixed price rising now and then (about `chance` a year, six months apart)."""

    def amounts(dates: list[date]) -> list[int]:
        out, current, since = [], base, dates[0]
        for d in dates:
            if (d - since).days > 180 and rng.random() < chance * 30 / 365.25:
                current, since = rise(rng, current), d
            out.append(current)
        return out

    return amounts


def yearly_step(rng: random.Random, base: int, low: float, high: float) -> Amounts:
    """Fixed within a year from April, changed by low..high every April (rent, pay)."""

    def amounts(dates: list[date]) -> list[int]:
        out, current, year = [], float(base), None
        for d in dates:
            key = d.year if d.month >= 4 else d.year - 1
            if year is not None and key != year:
                current = round(current * (1 + rng.uniform(low, high)), -2)
            year = key
            out.append(int(current))
        return out

    return amounts


def seasonal(rng: random.Random, base: int, swing: float, noise: float) -> Amounts:
    """Higher in winter by `swing`, with log-normal noise (energy)."""

    def amounts(dates: list[date]) -> list[int]:
        return [
            max(
                100,
                round(
                    base
                    * (1 + swing * math.cos(math.pi * (d.month - 1) / 6))
                    * rng.lognormvariate(0, noise)
                ),
            )
            for d in dates
        ]

    return amounts


def drifting(rng: random.Random, base: int, low: float, high: float) -> Amounts:
    """A new amount every time, drifting by low..high (a yearly premium, dividends)."""

    def amounts(dates: list[date]) -> list[int]:
        out, current = [], float(base)
        for _ in dates:
            out.append(int(current))
            current *= 1 + rng.uniform(low, high)
        return out

    return amounts


def exchanged(rng: random.Random, foreign: int) -> Amounts:
    """A price in another currency at a rate wandering about 1 % a month, plus a fee."""

    def amounts(dates: list[date]) -> list[int]:
        out, rate = [], rng.uniform(0.75, 0.85)
        for _ in dates:
            rate *= rng.lognormvariate(0, 0.012)
            out.append(round(foreign * rate * 1.0299))
        return out

    return amounts


def noisy(rng: random.Random, base: int, sigma: float) -> Amounts:
    def amounts(dates: list[date]) -> list[int]:
        return [max(100, int(base * rng.lognormvariate(0, sigma))) for _ in dates]

    return amounts


def reference(rng: random.Random, length: int = 8) -> str:
    alphabet = string.ascii_uppercase + string.digits
    return "".join(rng.choices(alphabet, k=length - 2)) + str(rng.randint(10, 99))


def constant(name: str) -> Callable[[], str]:
    return lambda: name


# --- households -----------------------------------------------------------------------

STREAMING = [
    ("NETFLIX.COM", 6, 17),
    ("SPOTIFY", 9, 16),
    ("DISNEY PLUS", 5, 11),
    ("YOUTUBEPREMIUM", 11, 13),
    ("AUDIBLE UK", 7, 8),
    ("NOW TV", 9, 25),
    ("PATREON* MEMBERSHIP", 3, 9),
    ("DUOLINGO", 6, 12),
]
YEARLY_SUBSCRIPTIONS = [
    ("MICROSOFT*365", 59, 79),
    ("DROPBOX", 99, 119),
    ("NATIONAL TRUST", 72, 90),
    ("123-REG DOMAINS", 12, 19),
    ("ADOBE SYSTEMS", 119, 239),
    ("RAC MEMBERSHIP", 45, 110),
]
SUPERMARKETS = [
    "TESCO STORES",
    "SAINSBURYS S/MKTS",
    "ASDA STORES",
    "LIDL GB",
    "WAITROSE",
    "ALDI STORES",
    "CO-OP FOOD",
]
RESTAURANTS = ["DISHOOM", "WAGAMAMA", "NANDOS", "ZIZZI", "PIZZA EXPRESS", "FRANCO MANCA"]
WORDS = [
    "BLUE",
    "OAK",
    "RIVER",
    "MARKET",
    "STUDIO",
    "HOUSE",
    "GARDEN",
    "BAKERY",
    "BOOKS",
    "CYCLES",
    "HARDWARE",
    "GIFTS",
    "VINTAGE",
    "PHARMACY",
    "LOCKSMITH",
    "FLORIST",
    "BARBER",
    "TAILOR",
    "OPTICIANS",
    "GALLERY",
]
OWNERS = ["PATEL'S", "THE", "SMITH &", "KAY", "NORTH", "OLD", "NEW"]


class Household:
    def __init__(self, rng: random.Random, number: int, first_id: int) -> None:
        self.rng = rng
        self.next_id = first_id
        self.start = START
        self.end = date(START.year + YEARS, 1, 1) - timedelta(days=1)
        self.rows: list[Row] = []
        self.planted: list[Planted] = []
        self.current = f"h{number}-current"
        self.card = f"h{number}-card"
        self.joint = f"h{number}-joint" if rng.random() < 0.5 else self.current
        self.weekend_to_friday = rng.random() < 0.3

    # rows and dates

    def emit(self, day: date, amount: int, payee: str, account: str, label: str) -> int:
        if not self.start <= day <= self.end or amount == 0:
            return -1
        self.rows.append(Row(self.next_id, day, amount, payee, account, label))
        self.next_id += 1
        return self.next_id - 1

    def by_card(self, _due: date) -> int:
        """A card charge is booked on the day or one to three days later."""
        return self.rng.choices([0, 1, 2, 3], weights=[70, 18, 8, 4])[0]

    def by_debit(self, due: date) -> int:
        """A debit due on a weekend is taken on the Monday (or the Friday, by bank), then
        ±1 day now and then; never more than 3 days from the due date."""
        shift = 0
        if due.weekday() == 5:
            shift = -1 if self.weekend_to_friday else 2
        elif due.weekday() == 6:
            shift = -2 if self.weekend_to_friday else 1
        if self.rng.random() < 0.08:
            shift += self.rng.choice([-1, 1])
        return max(-3, min(3, shift))

    def by_payroll(self, due: date) -> int:
        """Pay falls on the working day before a weekend."""
        if due.weekday() >= 5:
            return 4 - due.weekday()
        return -1 if self.rng.random() < 0.03 else 0

    def lifespan(self, shortest_days: int) -> tuple[date, date]:
        """Most series run through the history; a third start late, a quarter end early."""
        first, last = self.start, self.end
        if self.rng.random() < 0.33:
            first += timedelta(days=self.rng.randint(0, int((last - first).days * 0.75)))
        if self.rng.random() < 0.25:
            room = (self.end - first).days - shortest_days
            if room > 0:
                last = first + timedelta(days=shortest_days + self.rng.randint(0, room))
        return first, last

    def plant(
        self,
        payee: Callable[[], str],
        account: str,
        cadence: Cadence,
        kind: str,
        amounts: Amounts,
        shift: Shift,
        *,
        day: int | None = None,
        weekday: int | None = None,
        miss: float = 0.03,
    ) -> None:
        rng = self.rng
        first, last = self.lifespan(PERIOD_DAYS[cadence] * 4)
        if cadence not in MONTHS:
            if weekday is None:
                weekday = rng.choice([0, 1, 2, 3, 4, 4, 5])
            weeks = rng.randint(0, PERIOD_DAYS[cadence] // 7 - 1)
            first += timedelta(days=(weekday - first.weekday()) % 7 + 7 * weeks)
        elif cadence is not Cadence.MONTHLY:
            year, month = add_months(first.year, first.month, rng.randint(0, MONTHS[cadence] - 1))
            first = date(year, month, 1)
        if day is None:
            common = [1, 1, 1, 5, 10, 15, 15, 20, 25, 28, 30, 31]
            day = rng.choice(common) if rng.random() < 0.6 else rng.randint(1, 31)
        dates = due_dates(cadence, first, last, day)
        if not dates:
            return
        planted = Planted(account, payee(), cadence, kind)
        label = f"planted:{len(self.planted)}"
        sign = 1 if kind == "income" else -1
        skipped = True  # never the first
        for i, (due, value) in enumerate(zip(dates, amounts(dates), strict=True)):
            if not skipped and i < len(dates) - 1 and rng.random() < miss:
                skipped = True
                continue
            skipped = False
            booked = due + timedelta(days=shift(due))
            row_id = self.emit(booked, sign * value, payee(), account, label)
            if row_id >= 0:
                planted.ids.append(row_id)
        self.planted.append(planted)

    def one_offs(self, payee: str, account: str, rate: float, amount: Callable[[], int]) -> None:
        """Purchases now and then at a planted series' payee, `rate` a day on average."""
        day = self.start
        while day <= self.end:
            if self.rng.random() < rate:
                label = "apps" if payee.startswith("APPLE") else "same-payee one-off"
                self.emit(day, -amount(), payee, account, label)
            day += timedelta(days=1)

    # the catalogue

    def subscriptions(self) -> None:
        rng, card, debit = self.rng, self.by_card, self.by_debit
        for name, low, high in rng.sample(STREAMING, rng.randint(2, 5)):
            if name == "SPOTIFY":

                def payee(name: str = name) -> str:
                    return f"{name} {reference(rng, 10)}"

            else:

                def payee(name: str = name) -> str:
                    if rng.random() < 0.9:
                        return name
                    return f"{name} {rng.randint(100, 999)}-{rng.randint(1000, 9999)}"

            base = price(rng, low, high)
            self.plant(
                payee, self.card, Cadence.MONTHLY, "subscription", fixed(rng, base, 0.3), card
            )
        for name in rng.sample(
            ["GITHUB.COM", "MIDJOURNEY INC", "OPENAI *CHATGPT SUBSCR"], rng.choice([0, 0, 1, 1, 2])
        ):
            dollars = rng.choice([400, 1000, 2000])
            amounts = exchanged(rng, dollars)
            self.plant(constant(name), self.card, Cadence.MONTHLY, "subscription", amounts, card)
        if rng.random() < 0.6:
            apple = constant("APPLE.COM/BILL")
            storage = fixed(rng, rng.choice([99, 299, 899]))
            self.plant(apple, self.card, Cadence.MONTHLY, "subscription", storage, card)
            if rng.random() < 0.7:
                music = fixed(rng, rng.choice([1099, 1699]))
                self.plant(apple, self.card, Cadence.MONTHLY, "subscription", music, card)
            self.one_offs(
                "APPLE.COM/BILL", self.card, 0.04, lambda: rng.choice([99, 199, 299, 499, 999])
            )
        if rng.random() < 0.5:
            cadence, base = rng.choice(
                [
                    (Cadence.MONTHLY, 799),
                    (Cadence.MONTHLY, 899),
                    (Cadence.YEARLY, 7900),
                    (Cadence.YEARLY, 9500),
                ]
            )
            prime = fixed(rng, base, 0.15)
            self.plant(self.amazon, self.card, cadence, "subscription", prime, card)
        for name, low, high in rng.sample(YEARLY_SUBSCRIPTIONS, rng.randint(0, 3)):
            amounts = fixed(rng, price(rng, low, high), 0.3)
            self.plant(constant(name), self.card, Cadence.YEARLY, "subscription", amounts, card)
        if rng.random() < 0.35:
            name = rng.choice(["RIVERFORD ORGANIC", "ABEL AND COLE", "ODDBOX"])
            box = fixed(rng, price(rng, 12, 28, (0, 50, 95)), 0.2)
            self.plant(constant(name), self.card, Cadence.WEEKLY, "subscription", box, card)
        if rng.random() < 0.2:
            paper = fixed(rng, rng.choice([350, 420, 550]), 0.2)
            self.plant(
                constant("THE GUARDIAN NEWSPAPER"),
                self.current,
                Cadence.WEEKLY,
                "subscription",
                paper,
                debit,
            )
        if rng.random() < 0.25:
            lottery = fixed(rng, rng.choice([200, 400, 500]), 0.1)
            self.plant(
                constant("NATIONAL LOTTERY"),
                self.card,
                Cadence.WEEKLY,
                "subscription",
                lottery,
                card,
            )
        if rng.random() < 0.3:
            name = rng.choice(["WINDOW CLEAN CO", "THE ECONOMIST", "PRIVATE EYE"])
            amounts = fixed(rng, price(rng, 15, 60, (0, 50)), 0.2)
            self.plant(
                constant(name), self.current, Cadence.QUARTERLY, "subscription", amounts, debit
            )
        if rng.random() < 0.6:
            gym = rng.choice(
                ["PUREGYM LTD", "THE GYM GROUP", "DAVID LLOYD CLUBS", "ANYTIME FITNESS"]
            )
            amounts = fixed(rng, price(rng, 18, 90, (0, 99)), 0.2)
            self.plant(constant(gym), self.current, Cadence.MONTHLY, "subscription", amounts, debit)
            self.one_offs(gym, self.current, 0.01, lambda: rng.choice([1000, 2500, 3000]))
        phone = rng.choice(["VODAFONE LTD", "EE LIMITED", "O2 UK", "THREE"])
        amounts = fixed(rng, price(rng, 8, 45, (0, 99)), 0.25)
        self.plant(constant(phone), self.current, Cadence.MONTHLY, "subscription", amounts, debit)
        self.one_offs(phone, self.current, 0.01, lambda: rng.choice([500, 1000, 1500]))

    def bills(self) -> None:
        rng, debit = self.rng, self.by_debit
        housing = rng.choice(["LANDLORD J MORRIS", "NATIONWIDE BS MORTGAGE", "HALIFAX MORTGAGE"])
        rent = yearly_step(rng, rng.randint(70, 220) * 1000, 0.0, 0.05)
        day = rng.choice([1, 1, 1, 28, 15])
        self.plant(constant(housing), self.joint, Cadence.MONTHLY, "bill", rent, debit, day=day)

        energy = rng.choice(["OCTOPUS ENERGY", "EDF ENERGY", "E.ON NEXT", "OVO ENERGY"])

        def energy_payee() -> str:
            return f"{energy} {reference(rng, 9)}" if rng.random() < 0.5 else energy

        use = seasonal(rng, rng.randint(50, 160) * 100, rng.uniform(0.1, 0.35), 0.08)
        self.plant(energy_payee, self.joint, Cadence.MONTHLY, "bill", use, debit)
        self.one_offs(energy, self.joint, 0.005, lambda: rng.randint(2000, 30000))
        if rng.random() < 0.6:
            gas = seasonal(rng, rng.randint(100, 300) * 100, 0.3, 0.1)
            self.plant(constant("BRITISH GAS"), self.joint, Cadence.QUARTERLY, "bill", gas, debit)
        water = constant(rng.choice(["THAMES WATER", "ANGLIAN WATER", "SEVERN TRENT"]))
        if rng.random() < 0.5:
            amounts = noisy(rng, rng.randint(90, 200) * 100, 0.1)
            self.plant(water, self.joint, Cadence.QUARTERLY, "bill", amounts, debit)
        else:
            amounts = yearly_step(rng, rng.randint(25, 60) * 100, 0.02, 0.08)
            self.plant(water, self.joint, Cadence.MONTHLY, "bill", amounts, debit)
        broadband = rng.choice(["BT GROUP PLC", "VIRGIN MEDIA", "SKY DIGITAL", "TALKTALK"])
        amounts = fixed(rng, price(rng, 25, 80, (0, 99)), 0.4)
        self.plant(constant(broadband), self.joint, Cadence.MONTHLY, "bill", amounts, debit)
        insurers = ["ADMIRAL INSURANCE", "AVIVA HOME INS", "DIRECT LINE INS", "LV= PET COVER"]
        for name in rng.sample(insurers, rng.randint(1, 3)):
            if rng.random() < 0.7:
                premium = drifting(rng, rng.randint(20000, 90000), -0.08, 0.15)
                self.plant(constant(name), self.current, Cadence.YEARLY, "bill", premium, debit)
            else:
                premium = yearly_step(rng, rng.randint(1500, 6000), -0.05, 0.12)
                self.plant(constant(name), self.current, Cadence.MONTHLY, "bill", premium, debit)
        if rng.random() < 0.4:
            loan = fixed(rng, rng.randint(10000, 45000), 0.0)
            self.plant(constant("ZOPA LOAN"), self.current, Cadence.MONTHLY, "bill", loan, debit)
        if rng.random() < 0.6:
            repayment = noisy(rng, rng.randint(400, 1500) * 100, 0.25)
            self.plant(
                constant("AMEX CARD PAYMENT"),
                self.current,
                Cadence.MONTHLY,
                "bill",
                repayment,
                debit,
            )
        if rng.random() < 0.15:
            licence = fixed(rng, rng.choice([1325, 1329]), 0.2)
            self.plant(
                constant("TV LICENCE MBP"), self.current, Cadence.MONTHLY, "bill", licence, debit
            )
        if rng.random() < 0.3:
            cadence = rng.choice([Cadence.WEEKLY, Cadence.BIWEEKLY])
            wage = fixed(rng, rng.choice([4000, 4500, 5000, 6000]), 0.2)
            self.plant(
                constant("MRS D COOPER CLEANING"), self.current, cadence, "bill", wage, debit
            )
        if rng.random() < 0.25:
            child = rng.choice(["SAM", "ALEX", "JO"])
            money = fixed(rng, rng.choice([500, 1000, 1500]), 0.3)
            self.plant(
                constant(f"{child} POCKET MONEY"),
                self.joint,
                Cadence.WEEKLY,
                "subscription",
                money,
                debit,
            )
        if rng.random() < 0.2:
            care = noisy(rng, rng.randint(250, 600) * 100, 0.12)
            self.plant(
                constant("LITTLE STARS CHILDMINDING"),
                self.joint,
                Cadence.BIWEEKLY,
                "bill",
                care,
                debit,
            )

    def income(self) -> None:
        rng, debit, pay = self.rng, self.by_debit, self.by_payroll
        employer = rng.choice(
            ["ACME ANALYTICS LTD", "NORTHWIND TRADING", "CONTOSO UK", "GLOBEX PLC"]
        )
        steps = yearly_step(rng, rng.randint(180_000, 600_000), 0.02, 0.06)

        def salary(dates: list[date]) -> list[int]:
            return [
                amount * rng.choice([13, 15, 20]) // 10
                if d.month == 12 and rng.random() < 0.3
                else amount
                for amount, d in zip(steps(dates), dates, strict=True)
            ]

        day = rng.choice([25, 28, 31, 20, 15])
        self.plant(
            constant(f"{employer} SALARY"),
            self.current,
            Cadence.MONTHLY,
            "income",
            salary,
            pay,
            day=day,
        )
        if rng.random() < 0.45:
            payroll = rng.choice(
                ["INITECH PAYROLL", "HOOLI INC PAYROLL", "UMBRELLA CORP DIRECT DEP"]
            )
            base = rng.randint(90, 220) * 1000
            amounts = noisy(rng, base, 0.04) if rng.random() < 0.5 else fixed(rng, base, 0.3)

            def payslip() -> str:
                return f"{payroll} PPD ID {rng.randint(1000000, 9999999)}"

            self.plant(payslip, self.joint, Cadence.BIWEEKLY, "income", amounts, pay, weekday=4)
        if rng.random() < 0.2:
            rent = fixed(rng, rng.randint(90, 180) * 100, 0.3)
            self.plant(
                constant("LODGER K NOWAK"), self.current, Cadence.WEEKLY, "income", rent, debit
            )
        if rng.random() < 0.35:
            dividends = drifting(rng, rng.randint(50, 800) * 100, -0.1, 0.15)
            self.plant(
                constant("VANGUARD DIVIDEND"),
                self.current,
                Cadence.QUARTERLY,
                "income",
                dividends,
                debit,
            )
        if rng.random() < 0.15:
            pension = yearly_step(rng, rng.randint(400, 1500) * 100, 0.02, 0.05)
            self.plant(
                constant("AVIVA PENSION"), self.current, Cadence.MONTHLY, "income", pension, pay
            )
        if rng.random() < 0.2:
            share = fixed(rng, rng.randint(2, 12) * 5000, 0.2)
            self.plant(
                constant("M JONES HOUSEKEEPING"),
                self.joint,
                Cadence.MONTHLY,
                "income",
                share,
                debit,
                day=1,
            )

    def amazon(self) -> str:
        return f"AMAZON.CO.UK*{reference(self.rng)}"

    # noise

    def noise(self, scale: float) -> None:
        """Everyday spending; `scale` multiplies the rates of all but the supermarkets,
        fuel and cash."""
        rng = self.rng

        def lognormal(median: int, sigma: float) -> int:
            return max(1, int(median * rng.lognormvariate(0, sigma)))

        def either() -> str:
            return self.card if rng.random() < 0.6 else self.current

        for name in rng.sample(SUPERMARKETS, rng.randint(2, 3)):
            store = f"{name} {rng.randint(1000, 9999)}"
            day = self.start + timedelta(days=rng.randint(0, 10))
            while day <= self.end:
                self.emit(day, -lognormal(4500, 0.6), store, either(), "groceries")
                day += timedelta(days=rng.randint(3, 10))
        visits: list[tuple[str, list[str], float, Callable[[], int]]] = [
            ("corner shop", ["SPAR", "ONE STOP", "COSTCUTTER"], 0.25, lambda: lognormal(800, 0.6)),
            (
                "coffee",
                ["PRET A MANGER", "COSTA COFFEE", "STARBUCKS", "CAFFE NERO"],
                0.35,
                lambda: rng.choice([295, 320, 345, 380, 345, 345]),
            ),
            (
                "canteen",
                ["BAXTERSTORM CATERING", "COMPASS GROUP CANTEEN"],
                0.25,
                lambda: rng.choice([450, 520, 610, 520]),
            ),
            (
                "travel",
                ["TFL TRAVEL CHARGE", "TRAINLINE.COM"],
                0.4,
                lambda: 810 if rng.random() < 0.5 else lognormal(450, 0.5),
            ),
            (
                "restaurants",
                [f"RESTAURANT {r}" for r in RESTAURANTS],
                0.12,
                lambda: lognormal(3800, 0.5),
            ),
            ("takeaway", ["DELIVEROO", "JUST EAT", "UBER EATS"], 0.1, lambda: lognormal(2400, 0.4)),
            (
                "p2p",
                ["J SMITH", "A PATEL", "M GARCIA", "L CHEN", "S O'BRIEN"],
                0.06,
                lambda: rng.choice([1000, 2000, 2500, 5000, lognormal(3000, 0.8)]),
            ),
        ]
        for label, names, rate, amount in visits:
            weekdays_only = label in ("coffee", "canteen", "travel")
            day = self.start
            while day <= self.end:
                if (not weekdays_only or day.weekday() < 5) and rng.random() < rate * scale:
                    name = rng.choice(names[:2] if rng.random() < 0.6 else names)
                    account = self.current if label == "p2p" else either()
                    self.emit(day, -amount(), name, account, label)
                day += timedelta(days=1)
        day = self.start
        while day <= self.end:
            if rng.random() < 0.2 * scale:
                self.emit(day, -lognormal(2500, 0.8), self.amazon(), either(), "amazon")
            for _ in range(self.poisson(0.35 * scale)):
                self.emit(day, -lognormal(3000, 1.0), self.stranger(), either(), "one-off")
            if rng.random() < 0.02 * scale:
                refund = rng.choice(["REFUND AMAZON", "TESCO STORES REFUND", "HMRC TAX REFUND"])
                self.emit(day, lognormal(2500, 0.8), refund, either(), "refund")
            day += timedelta(days=1)
        fuel = [f"SHELL {n}" for n in ("4411", "7720")]
        day = self.start + timedelta(days=rng.randint(0, 16))
        while day <= self.end:
            litres = rng.choice([5000, 6000]) if rng.random() < 0.3 else lognormal(5500, 0.25)
            self.emit(day, -litres, rng.choice(fuel), either(), "fuel")
            day += timedelta(days=rng.randint(6, 16))
        day = self.start + timedelta(days=rng.randint(0, 25))
        while day <= self.end:
            bank = rng.choice(["NATWEST", "HSBC", "BARCLAYS"])
            cash = rng.choice([2000, 3000, 4000, 5000, 10000])
            self.emit(day, -cash, f"CASH {bank} {rng.randint(1000, 9999)}", self.current, "cash")
            day += timedelta(days=rng.randint(5, 25))

    def stranger(self) -> str:
        """A payee seen once ("PATEL'S FLORIST GALLERY")."""
        first, second = self.rng.sample(WORDS, 2)
        return f"{self.rng.choice(OWNERS)} {first} {second}"

    def poisson(self, mean: float) -> int:
        limit, k, p = math.exp(-mean), 0, self.rng.random()
        while p > limit:
            k += 1
            p *= self.rng.random()
        return k


def household(rng: random.Random, number: int, first_id: int, target: int) -> Household:
    """A household of exactly `target` transactions (noise scaled to reach it, then
    random noise rows dropped or one-offs added)."""
    h = Household(rng, number, first_id)
    h.subscriptions()
    h.bills()
    h.income()
    planted = len(h.rows)
    trial = Household(random.Random(rng.random()), number, 0)
    trial.noise(1.0)
    h.noise(max(0.05, (target - planted) / max(1, len(trial.rows))))
    noise = [i for i, row in enumerate(h.rows) if not row.label.startswith("planted")]
    if len(h.rows) > target:
        drop = set(rng.sample(noise, min(len(h.rows) - target, len(noise))))
        h.rows = [row for i, row in enumerate(h.rows) if i not in drop]
    while len(h.rows) < target:
        day = h.start + timedelta(days=rng.randint(0, (h.end - h.start).days))
        h.emit(day, -rng.randint(100, 20000), h.stranger(), h.card, "one-off")
    kept = {row.id for row in h.rows}
    for p in h.planted:
        p.ids = [i for i in p.ids if i in kept]
    return h


def generate(transactions: int, seed: int) -> tuple[list[Row], list[Planted]]:
    rng = random.Random(seed)
    count = max(1, round(transactions / PER_HOUSEHOLD))
    rows: list[Row] = []
    planted: list[Planted] = []
    next_id = 1
    for number in range(count):
        share = transactions // count + (1 if number < transactions % count else 0)
        h = household(rng, number, next_id, share)
        next_id = h.next_id
        rows.extend(h.rows)
        planted.extend(h.planted)
    return rows, planted


# --- scoring --------------------------------------------------------------------------


def score(
    rows: list[Row], planted: list[Planted], found: list[Series], least: int
) -> dict[str, Any]:
    by_id = {row.id: row for row in rows}
    truth = [p for p in planted if len(p.ids) >= least]
    owner: dict[int, int] = {}
    for n, p in enumerate(truth):
        keys = {payee_key(by_id[i].payee) for i in p.ids}
        if len(keys) != 1:
            raise SystemExit(f"generator bug: planted series {p.payee} has payee keys {keys}")
        for i in p.ids:
            owner[i] = n
    matched: set[int] = set()
    kinds: list[bool] = []
    detected_by: Counter[str] = Counter()
    matched_by: Counter[str] = Counter()
    false_positives: Counter[str] = Counter()
    for s in found:
        detected_by[s.cadence.value] += 1
        ids = {i for i in s.occurrence_ids if isinstance(i, int)}  # ours are ints
        best = None
        for n, shared in Counter(owner[i] for i in ids if i in owner).most_common():
            p = truth[n]
            if (
                n not in matched
                and p.account == s.account
                and payee_key(p.payee) == s.payee_key
                and p.cadence is s.cadence
                and shared >= 0.8 * len(p.ids)
                and shared >= 0.8 * len(ids)
            ):
                best = n
                break
        if best is None:
            label = Counter(by_id[i].label for i in ids).most_common(1)[0][0]
            if label.startswith("planted"):
                n = owner.get(min(ids), -1)
                other = n >= 0 and truth[n].cadence is not s.cadence
                label = (
                    "a planted series at another cadence" if other else "part of a planted series"
                )
            false_positives[f"{label} ({s.cadence.value})"] += 1
            continue
        matched.add(best)
        matched_by[s.cadence.value] += 1
        kinds.append(truth[best].kind == s.kind.value)
    planted_by = Counter(p.cadence.value for p in truth)
    recalled_by = Counter(truth[n].cadence.value for n in matched)
    missed = Counter(
        f"{p.kind} {p.cadence.value} {payee_key(p.payee)}"
        for n, p in enumerate(truth)
        if n not in matched
    )

    def ratio(part: int, whole: int) -> float:
        return part / whole if whole else 1.0

    return {
        "planted": len(truth),
        "detected": len(found),
        "precision": ratio(sum(matched_by.values()), len(found)),
        "recall": ratio(len(matched), len(truth)),
        "kind_accuracy": ratio(sum(kinds), len(kinds)),
        "by_cadence": {
            c.value: {
                "planted": planted_by[c.value],
                "detected": detected_by[c.value],
                "precision": ratio(matched_by[c.value], detected_by[c.value]),
                "recall": ratio(recalled_by[c.value], planted_by[c.value]),
            }
            for c in Cadence
        },
        "false_positives": dict(false_positives.most_common()),
        "missed": dict(missed.most_common()),
    }


@dataclass
class Result:
    seed: int
    transactions: int
    figures: dict[str, Any]
    wall_ms: list[float]
    cpu_ms: list[float]
    load_average: list[float]


def run(seed: int, transactions: int, repeat: int, least: int) -> Result:
    rows, planted = generate(transactions, seed)
    occurrences = [Occurrence(r.id, r.day, r.amount, r.payee, r.account, "GBP") for r in rows]
    today = max(r.day for r in rows) + timedelta(days=1)
    found = detect(occurrences, today=today, min_occurrences=least)  # warm-up
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        again = detect(occurrences, today=today, min_occurrences=least)
        cpu.append((time.process_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
        if again != found:
            raise SystemExit("detect gave a different answer on the same input")
    return Result(
        seed=seed,
        transactions=len(rows),
        figures=score(rows, planted, found, least),
        wall_ms=[round(x, 1) for x in wall],
        cpu_ms=[round(x, 1) for x in cpu],
        load_average=[round(x, 2) for x in os.getloadavg()],
    )


def report(results: list[Result], verbose: bool) -> None:
    print(
        f"{'seed':>5} {'rows':>8} {'planted':>8} {'detected':>9} {'precision':>9} "
        f"{'recall':>7} {'kind ok':>8} {'wall ms':>8} {'cpu ms':>7}  load 1/5/15 min"
    )
    for r in results:
        f = r.figures
        print(
            f"{r.seed:>5} {r.transactions:>8} {f['planted']:>8} {f['detected']:>9} "
            f"{f['precision']:>9.3f} {f['recall']:>7.3f} {f['kind_accuracy']:>8.3f} "
            f"{statistics.median(r.wall_ms):>8.0f} {statistics.median(r.cpu_ms):>7.0f}  "
            f"{' '.join(str(x) for x in r.load_average)}"
        )
    print("\nprecision / recall (detected / planted) by cadence")
    print(f"{'cadence':>10} " + " ".join(f"{'seed ' + str(r.seed):>24}" for r in results))
    for cadence in Cadence:
        cells = []
        for r in results:
            c = r.figures["by_cadence"][cadence.value]
            cells.append(
                f"{c['precision']:.3f} / {c['recall']:.3f} ({c['detected']}/{c['planted']})"
            )
        print(f"{cadence.value:>10} " + " ".join(f"{cell:>24}" for cell in cells))
    if verbose:
        for r in results:
            print(f"\nseed {r.seed}: false detections {r.figures['false_positives']}")
            print(f"seed {r.seed}: missed {r.figures['missed']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transactions", type=int, default=100_000, help="rows per seed")
    parser.add_argument("--seeds", type=int, nargs="+", default=[11, 12, 13])
    parser.add_argument("--repeat", type=int, default=5, help="timed calls of detect per seed")
    parser.add_argument("--min-occurrences", type=int, default=3)
    parser.add_argument("--json", type=Path, help="write the results to this file")
    parser.add_argument("--verbose", action="store_true", help="list false detections and misses")
    args = parser.parse_args(argv)

    results = [
        run(seed, args.transactions, args.repeat, args.min_occurrences) for seed in args.seeds
    ]
    report(results, args.verbose)
    if args.json:
        payload = {
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "results": [asdict(r) for r in results],
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
