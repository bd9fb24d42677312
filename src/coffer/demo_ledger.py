"""The demo household's money: two years of a family's finances, ending on the day loaded.

The Riveras keep a joint checking account, savings, a credit card, a cash wallet, a
mortgage on their house, a Roth IRA and a euro account for travel. They moved to
Coffer from another budgeting app: two years of checking and card history arrive as
that app's exports (imported with the "actual" preset), and last month's card
transactions as the bank's own CSV, through the saved import format, the rules and the
merchant aliases. What a person would enter by hand is entered through the ledger
service: transfers (mortgage, savings, card payments, cash, between currencies),
split receipts, tagged holiday spending, interest, valuations and the cash wallet.

Everything is planned first, without a database (`build_plan`): a seeded random
generator walks the days from `today - HISTORY_DAYS` to `today`, so a given day always
gives the same dates and amounts. Then:

- the loader (one unit of work with the rest of the demo) writes accounts, FX rates,
  tags, rules, aliases, the saved import format and the hand-entered transactions;
- three follow-ups (a unit of work each, because an import reads committed rows only)
  import the checking history and reconcile it month by month, do the same for the
  card, and import last month's card CSV, left committed so it can be undone.

A follow-up finds its account by name and its plan from the checking account's opening
day, so one interrupted load is finished by the next with the same figures.
"""

from __future__ import annotations

import csv
import io
import random
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coffer.core.money import from_minor
from coffer.db.session import set_context
from coffer.demo import DemoContext, demo_follow_up, demo_loader
from coffer.imports import aliases as alias_service
from coffer.imports import formats as format_service
from coffer.imports import rules as rule_service
from coffer.imports import service as import_service
from coffer.imports.limits import ImportLimits
from coffer.imports.models import ImportBatch
from coffer.imports.storage import UploadStore
from coffer.ledger import service as ledger
from coffer.ledger.models import Account, AccountType, TransactionStatus

SEED = 20_241_122
HISTORY_DAYS = 731  # two calendar years, whichever day they end on
STATEMENT_DAYS = 30  # the last month comes from the bank's CSV
PENDING_DAYS = 4  # newer transactions have not cleared yet
RECONCILED_MONTHS = 12  # monthly statements reconciled before the switch to Coffer

# Keys used in the plan -> (name, type, currency, opening balance, extra account fields)
ACCOUNTS: dict[str, tuple[str, AccountType, str, str, dict[str, Any]]] = {
    "checking": (
        "Joint checking",
        AccountType.checking,
        "USD",
        "8240.35",
        {"institution": "Harbor Bank", "last_four": "4821"},
    ),
    "savings": (
        "Emergency savings",
        AccountType.savings,
        "USD",
        "18500.00",
        {"institution": "Harbor Bank", "last_four": "7730", "interest_rate": Decimal("4.10")},
    ),
    "card": (
        "Harbor Visa Signature",
        AccountType.credit_card,
        "USD",
        "-1184.52",
        {
            "institution": "Harbor Bank",
            "last_four": "3317",
            "credit_limit": Decimal("12000.00"),
            "interest_rate": Decimal("22.49"),
        },
    ),
    "cash": ("Cash wallet", AccountType.cash, "USD", "120.00", {}),
    "mortgage": (
        "Mortgage: 14 Alder Lane",
        AccountType.mortgage,
        "USD",
        "-318400.00",
        {
            "institution": "Cedar Home Loans",
            "last_four": "0926",
            "interest_rate": Decimal("5.375"),
            "notes": "30-year fixed, taken out in 2022.",
        },
    ),
    "house": (
        "14 Alder Lane",
        AccountType.property,
        "USD",
        "465000.00",
        {"notes": "Estimated market value, updated once a year."},
    ),
    "retirement": (
        "Alex's Roth IRA",
        AccountType.retirement,
        "USD",
        "61200.00",
        {"institution": "Summit Investments", "last_four": "5402"},
    ),
    "euro": (
        "Euro savings",
        AccountType.savings,
        "EUR",
        "850.00",
        {"institution": "Harbor Bank", "last_four": "1188", "include_in_budget": True},
    ),
}

HISTORY_FILES = {
    "checking": "joint-checking-export.csv",
    "card": "harbor-visa-export.csv",
}
STATEMENT_FILE = "harbor-visa-last-month.csv"
IMPORT_FORMAT = "Harbor Visa (CSV)"
IMPORT_FORMAT_MAPPING = {
    "date_column": "Transaction Date",
    "date_format": "%m/%d/%Y",
    "amount_column": "Amount",
    "payee_column": "Description",
    "memo_columns": ["Memo"],
    "delimiter": ",",
}

# (merchant as the old app named it, the card's descriptor, category)
Shop = tuple[str, str, str]
GROCERS: list[Shop] = [
    ("Trader Joe's", "TRADER JOE S #552 SAN MATEO CA", "Groceries"),
    ("Safeway", "SAFEWAY #1783 SAN MATEO CA", "Groceries"),
    ("Whole Foods Market", "WHOLEFDS SMT 10234", "Groceries"),
    ("Aldi", "ALDI 72031 SAN MATEO CA", "Groceries"),
    ("Sprouts Farmers Market", "SPROUTS FARMERS MKT#412", "Groceries"),
]
DINNERS: list[Shop] = [
    ("Olive & Thyme Bistro", "OLIVE & THYME BISTRO", "Restaurants"),
    ("Tacos El Grullense", "SQ *TACOS EL GRULLENSE", "Restaurants"),
    ("Pasta Moon", "PASTA MOON 0231", "Restaurants"),
    ("Sushi Sam's", "SUSHI SAMS EDOMAE 2201", "Restaurants"),
    ("The Patio Grill", "TST* THE PATIO GRILL", "Restaurants"),
    ("Curry Up Now", "CURRY UP NOW 0112", "Restaurants"),
]
LUNCHES: list[Shop] = [
    ("Sweetgreen", "SWEETGREEN 0431 SAN MATEO", "Restaurants"),
    ("Chipotle", "CHIPOTLE 2231", "Restaurants"),
    ("Mendocino Farms", "MENDOCINO FARMS #18", "Restaurants"),
]
COFFEE: list[Shop] = [
    ("Blue Bottle Coffee", "SQ *BLUE BOTTLE COFFEE", "Coffee & snacks"),
    ("Starbucks", "STARBUCKS STORE 10652", "Coffee & snacks"),
    ("Peet's Coffee", "PEETS 11203 SAN MATEO", "Coffee & snacks"),
]
TAKEAWAY: list[Shop] = [
    ("Uber Eats", "UBER EATS 8005928996 CA", "Takeaway"),
    ("DoorDash", "DOORDASH*THAI BASIL", "Takeaway"),
]
RIDES: list[Shop] = [
    ("Uber", "UBER *TRIP HELP.UBER.COM", "Taxi & ride share"),
    ("Lyft", "LYFT *RIDE 4PM", "Taxi & ride share"),
]
FUEL: list[Shop] = [
    ("Shell", "SHELL 57444123", "Fuel"),
    ("Chevron", "CHEVRON 0203844", "Fuel"),
    ("Arco", "ARCO #42198 AMPM", "Fuel"),
]
OCCASIONAL: list[tuple[float, Shop, int, int]] = [
    # (chance a day, shop, smallest and largest amount in whole dollars)
    (0.03, ("Target", "TARGET 00021345", "Household supplies"), 18, 95),
    (0.04, ("CVS Pharmacy", "CVS/PHARMACY #09876", "Pharmacy"), 7, 48),
    (0.02, ("Walgreens", "WALGREENS #4410", "Pharmacy"), 6, 35),
    (0.025, ("Uniqlo", "UNIQLO #0112", "Clothing"), 25, 140),
    (0.012, ("REI", "REI #12 SAN CARLOS", "Clothing"), 40, 190),
    (0.02, ("Kepler's Books", "KEPLER'S BOOKS 1010", "Books & music"), 12, 38),
    (0.02, ("Michaels", "MICHAELS #4567", "Hobbies"), 12, 60),
    (0.03, ("ParkMobile", "PARKMOBILE 8774727275", "Parking & tolls"), 3, 12),
]
AMAZON = ("Amazon", "AMZN MKTP US*{ref}")
AMAZON_CATEGORIES = ["Household supplies", "Books & music", "Electronics", "Clothes & toys"]
SUBSCRIPTIONS: list[tuple[int, Shop, str, str, int | None]] = [
    # (day of month, shop, price, price from the second year, months it lasts)
    (7, ("Netflix", "NETFLIX.COM", "Subscriptions"), "15.49", "17.99", None),
    (14, ("Spotify", "SPOTIFY P3A1B2C4D", "Subscriptions"), "16.99", "19.99", None),
    (19, ("Apple iCloud", "APPLE.COM/BILL", "Subscriptions"), "2.99", "9.99", None),
    (23, ("Disney+", "DISNEY PLUS", "Subscriptions"), "13.99", "13.99", 12),
]

RULES: list[tuple[str, list[dict[str, Any]], str, bool]] = [
    # (name, conditions, category, stop processing)
    (
        "Aldi is groceries",
        [{"field": "payee", "op": "contains", "value": "ALDI"}],
        "Groceries",
        False,
    ),
    (
        "Trader Joe's is groceries",
        [{"field": "payee", "op": "contains", "value": "TRADER JOE"}],
        "Groceries",
        False,
    ),
    (
        "Supermarkets",
        [{"field": "payee", "op": "regex", "value": r"SAFEWAY|WHOLE ?F(OO)?DS|SPROUTS"}],
        "Groceries",
        False,
    ),
    (
        "Salaries",
        [
            {"field": "payee", "op": "regex", "value": r"^(NORTHWIND HEALTH|BRIGHTLINE DESIGN)"},
            {"field": "memo", "op": "contains", "value": "payroll"},
            {"field": "amount", "op": "between", "min": "1000.00"},
        ],
        "Salary",
        False,
    ),
    (
        "Fuel stations",
        [{"field": "payee", "op": "regex", "value": r"^(SHELL|CHEVRON|ARCO)\b"}],
        "Fuel",
        False,
    ),
    (
        "Streaming and cloud",
        [{"field": "payee", "op": "regex", "value": r"NETFLIX|SPOTIFY|APPLE\.COM/BILL|iCloud"}],
        "Subscriptions",
        False,
    ),
    (
        "Coffee shops",
        [{"field": "payee", "op": "regex", "value": r"BLUE BOTTLE|STARBUCKS|PEET"}],
        "Coffee & snacks",
        False,
    ),
    (
        "Uber Eats is takeaway",
        [{"field": "payee", "op": "contains", "value": "UBER EATS"}],
        "Takeaway",
        True,
    ),
    (
        "Rides",
        [{"field": "payee", "op": "regex", "value": r"^(UBER|LYFT)\b"}],
        "Taxi & ride share",
        False,
    ),
    (
        "Pharmacies",
        [{"field": "payee", "op": "regex", "value": r"CVS|WALGREENS"}],
        "Pharmacy",
        False,
    ),
]
ALIASES: list[tuple[str, str, str]] = [
    # (pattern, how it matches, merchant)
    ("TRADER JOE S", "contains", "Trader Joe's"),
    ("WHOLEFDS", "contains", "Whole Foods Market"),
    ("SPROUTS FARMERS", "contains", "Sprouts Farmers Market"),
    ("AMZN MKTP", "contains", "Amazon"),
    ("NETFLIX.COM", "exact", "Netflix"),
    (r"^APPLE\.COM/BILL", "regex", "Apple iCloud"),
    ("DOORDASH", "contains", "DoorDash"),
    ("PEETS", "contains", "Peet's Coffee"),
    ("STARBUCKS", "contains", "Starbucks"),
    ("SUSHI SAMS", "contains", "Sushi Sam's"),
    ("CVS/PHARMACY", "contains", "CVS Pharmacy"),
    (r"^REI #", "regex", "REI"),
]


# --- the plan -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """A transaction entered through the ledger service."""

    account: str
    on: date
    cents: int  # signed, in the account's minor unit
    payee: str
    category: str | None
    memo: str | None = None
    merchant: str | None = None
    tags: tuple[str, ...] = ()
    splits: tuple[tuple[str, int], ...] = ()  # (category, cents); they sum to `cents`
    by: str = "owner"


@dataclass(frozen=True, slots=True)
class Move:
    """A transfer; `cents` leaves `source` in its currency."""

    source: str
    target: str
    on: date
    cents: int
    memo: str


@dataclass(frozen=True, slots=True)
class FileRow:
    """A row of an exported file."""

    on: date
    cents: int
    payee: str
    category: str | None = None
    notes: str = ""


@dataclass
class LedgerPlan:
    today: date
    start: date  # the opening day of every account
    switch_on: date  # the first day of the bank's CSV; the exports end the day before
    holiday_tag: str
    getaway_tag: str
    entries: list[Entry] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    history: dict[str, list[FileRow]] = field(default_factory=lambda: {"checking": [], "card": []})
    statement: list[FileRow] = field(default_factory=list)
    rates: list[tuple[date, Decimal]] = field(default_factory=list)  # EUR in USD

    @property
    def tags(self) -> list[str]:
        return [self.holiday_tag, self.getaway_tag, "Home improvement"]

    def statement_days(self) -> list[date]:
        """Month ends to reconcile: the last RECONCILED_MONTHS before the switch."""
        days: list[date] = []
        month_start = self.switch_on.replace(day=1)
        while len(days) < RECONCILED_MONTHS:
            end = month_start - timedelta(days=1)
            if end < self.start + timedelta(days=31):
                break
            days.append(end)
            month_start = end.replace(day=1)
        return sorted(days)


def _cents(text: str) -> int:
    return int(Decimal(text) * 100)


def _month_day(year: int, month: int, day: int) -> date:
    """`day` of the month, or the month's last day when it is shorter."""
    last = ((date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)).day
    return date(year, month, min(day, last))


def _months(start: date, end: date) -> Iterator[tuple[int, int]]:
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


class _Planner:
    def __init__(self, today: date) -> None:
        self.rng = random.Random(SEED)  # noqa: S311 - made-up figures, not secrets
        start = today - timedelta(days=HISTORY_DAYS)
        holiday = (today - timedelta(days=470)).replace(day=9)
        getaway = (today - timedelta(days=125)).replace(day=14)
        self.plan = LedgerPlan(
            today=today,
            start=start,
            switch_on=today - timedelta(days=STATEMENT_DAYS - 1),
            holiday_tag=f"Holiday {holiday.year}",
            getaway_tag=f"Weekend away {getaway.year}",
        )
        self.holiday = (holiday, holiday + timedelta(days=9))
        self.getaway = (getaway, getaway + timedelta(days=2))
        self.card_by_month: dict[tuple[int, int], int] = defaultdict(int)
        self.mortgage_balance = -_cents(ACCOUNTS["mortgage"][3])  # owed, in cents
        self.savings_balance = _cents(ACCOUNTS["savings"][3])

    def money(self, low: float, high: float) -> int:
        return self.rng.randint(round(low * 100), round(high * 100))

    def away(self, on: date) -> bool:
        return self.holiday[0] <= on <= self.holiday[1] or self.getaway[0] <= on <= self.getaway[1]

    # -- where a transaction goes --

    def card(self, on: date, cents: int, shop: Shop, category: str | None = None) -> None:
        """A card purchase: in the old app's export, or last month in the bank's CSV."""
        name, descriptor, default = shop
        self.card_by_month[(on.year, on.month)] += cents
        if on < self.plan.switch_on:
            self.plan.history["card"].append(FileRow(on, cents, name, category or default))
        else:
            self.plan.statement.append(FileRow(on, cents, descriptor))

    def card_entry(self, entry: Entry) -> None:
        self.card_by_month[(entry.on.year, entry.on.month)] += entry.cents
        self.plan.entries.append(entry)

    def checking(
        self, on: date, cents: int, payee: str, category: str | None, notes: str = ""
    ) -> None:
        if on < self.plan.switch_on:
            self.plan.history["checking"].append(FileRow(on, cents, payee, category, notes))
        else:
            self.plan.entries.append(Entry("checking", on, cents, payee, category, notes or None))

    def move(self, source: str, target: str, on: date, cents: int, memo: str) -> None:
        self.plan.moves.append(Move(source, target, on, cents, memo))

    # -- the days --

    def build(self) -> LedgerPlan:
        plan = self.plan
        self.rates()
        fuel_due = plan.start + timedelta(days=3)
        day = plan.start
        week = 0
        while day <= plan.today:
            if day.weekday() == 5:
                week += 1
            if not self.away(day):
                self.everyday(day, week)
                if day >= fuel_due:
                    self.card(day, -self.money(38, 78), self.rng.choice(FUEL))
                    fuel_due = day + timedelta(days=self.rng.randint(8, 13))
            self.monthly(day)
            self.yearly(day)
            day += timedelta(days=1)
        self.trips()
        self.big_purchases()
        self.card_payments()
        plan.entries.sort(key=lambda e: e.on)
        plan.moves.sort(key=lambda m: m.on)
        for rows in (*plan.history.values(), plan.statement):
            rows.sort(key=lambda r: r.on)
        return plan

    def rates(self) -> None:
        rate = Decimal("1.0850")
        for year, month in _months(self.plan.start, self.plan.today):
            rate += Decimal(self.rng.randint(-180, 200)) / 10_000
            rate = min(max(rate, Decimal("1.0300")), Decimal("1.1900"))
            self.plan.rates.append((date(year, month, 1), rate))

    def everyday(self, day: date, week: int) -> None:
        rng, weekday = self.rng, day.weekday()
        if weekday == 5:  # Saturday: the big shop; every fifth week at Costco, split
            if week % 5 == 0 and day < self.plan.switch_on:
                groceries, supplies = self.money(140, 260), self.money(35, 120)
                self.card_entry(
                    Entry(
                        "card",
                        day,
                        -(groceries + supplies),
                        "COSTCO WHSE #0144 REDWOOD CITY",
                        None,
                        merchant="Costco",
                        splits=(("Groceries", -groceries), ("Household supplies", -supplies)),
                        by="partner",
                    )
                )
            elif rng.random() < 0.9:
                self.card(day, -self.money(85, 215), rng.choice(GROCERS))
            if week % 3 == 0:
                self.plan.entries.append(
                    Entry(
                        "cash",
                        day,
                        -self.money(14, 46),
                        "San Mateo farmers market",
                        "Groceries",
                        by="partner",
                    )
                )
            if rng.random() < 0.1:
                self.card(
                    day,
                    -self.money(28, 72),
                    ("AMC Theatres", "AMC THEATRES #2215", "Entertainment"),
                )
        if weekday == 2 and rng.random() < 0.45:
            self.card(day, -self.money(14, 60), rng.choice(GROCERS))
        if weekday == 4 and rng.random() < 0.7:
            self.card(day, -self.money(48, 145), rng.choice(DINNERS))
        if weekday in (1, 3) and rng.random() < 0.35:
            self.card(day, -self.money(12, 28), rng.choice(LUNCHES))
        if weekday < 5 and rng.random() < 0.3:
            self.card(day, -self.money(4.5, 11), rng.choice(COFFEE))
        if weekday == 6 and rng.random() < 0.3:
            self.card(day, -self.money(24, 58), rng.choice(TAKEAWAY))
        if rng.random() < 0.05:
            self.card(day, -self.money(11, 38), rng.choice(RIDES))
        if rng.random() < 0.08:
            ref = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(9))
            category = rng.choice(AMAZON_CATEGORIES)
            if day.month == 12 and day.day < 20 and rng.random() < 0.6:
                category = "Gifts"
            self.card(day, -self.money(9, 140), (AMAZON[0], AMAZON[1].format(ref=ref), category))
        for chance, shop, low, high in OCCASIONAL:
            if rng.random() < chance:
                self.card(day, -self.money(low, high), shop)

    def monthly(self, day: date) -> None:
        plan = self.plan
        second_year = day >= plan.start + timedelta(days=365)
        month_index = (day.year - plan.start.year) * 12 + day.month - plan.start.month
        if day.day == 1:
            self.move("checking", "savings", day, 150_000, "Monthly savings")
            plan.entries.append(
                Entry("cash", day, -4000, "Mateo", "Pocket money", "Pocket money", by="partner")
            )
        if day.day == 3:
            self.move("checking", "retirement", day, 50_000, "Roth IRA contribution")
            self.checking(day, -145_000, "Little Acorns Preschool", "Childcare", "Monthly tuition")
        if day.day == 5:
            self.mortgage(day)
        if day.day == 2:
            self.checking(day, -8900, "Riverside Fitness", "Fitness", "Membership dues")
            if day.month % 2 == 0:
                self.move("checking", "cash", day, 20_000, "ATM withdrawal")
        if day.day == 8:
            self.checking(day, -self.electricity(day), "Evergreen Power", "Electricity", "Autopay")
        if day.day == 12:
            self.checking(day, -self.gas(day), "Bay Gas & Heat", "Gas & heating", "Autopay")
        if day.day == 18 and day.month % 2 == 0:
            summer = day.month in (6, 8, 10)
            water = self.money(118, 165) if summer else self.money(82, 112)
            self.checking(day, -water, "City of San Mateo Utilities", "Water", "Water and sewer")
        if day.day == 10:
            self.checking(day, -12_000, "Riverside Swim School", "Activities", "Lessons for Mateo")
        if day.day == 20:
            self.checking(day, -(8499 if second_year else 7999), "Comcast Xfinity", "Internet")
        if day.day == 24:
            self.checking(day, -14_000, "T-Mobile", "Phone", "Autopay, 3 lines")
        if day.day == 16:
            self.checking(day, -(15_120 if second_year else 14_260), "GEICO", "Car insurance")
        if day.day == 15:
            pay = _cents("3871.60") if second_year else _cents("3760.00")
            self.checking(day, pay, "Brightline Design", "Salary", "Payroll")
        if day.day == 28:
            pay = _cents("5588.40") if second_year else _cents("5402.15")
            self.checking(day, pay, "Northwind Health", "Salary", "Payroll")
        if day.weekday() == 0 and day.day <= 7:
            self.card(
                day, -self.money(60, 90), ("Clipper", "CLIPPER 877-878-8883", "Public transport")
            )
        for pay_day, shop, price, later, months in SUBSCRIPTIONS:
            if day.day == pay_day and (months is None or month_index < months):
                self.card(day, -_cents(later if second_year else price), shop)
        last = _month_day(day.year, day.month, 31)
        if day == last:
            self.savings_interest(day)
            if day.month in (3, 6, 9, 12):
                dividends = self.money(180, 420)
                plan.entries.append(
                    Entry(
                        "retirement",
                        day,
                        dividends,
                        "Summit Investments",
                        "Interest & dividends",
                        "Quarterly dividends",
                    )
                )
                change = self.money(-2600, 4800)
                plan.entries.append(
                    Entry(
                        "retirement",
                        day,
                        change,
                        "Summit Investments",
                        None,
                        "Market value change this quarter",
                    )
                )

    def electricity(self, day: date) -> int:
        base = self.money(82, 118)
        if day.month in (7, 8, 9):
            base += self.money(60, 115)  # air conditioning
        elif day.month in (12, 1, 2):
            base += self.money(20, 45)
        return base

    def gas(self, day: date) -> int:
        if day.month in (11, 12, 1, 2, 3):
            return self.money(118, 192)
        if day.month in (4, 10):
            return self.money(58, 84)
        return self.money(26, 41)

    def mortgage(self, day: date) -> None:
        payment = _cents("1862.41")
        balance = self.mortgage_balance
        interest = (balance * 5375 + 600_000) // 1_200_000  # 5.375 % a year, half-up
        self.mortgage_balance = balance - payment + interest
        self.move("checking", "mortgage", day, payment, "Mortgage payment")
        self.plan.entries.append(
            Entry(
                "mortgage",
                day,
                -interest,
                "Cedar Home Loans",
                "Mortgage payments",
                "Interest for the month",
            )
        )

    def savings_interest(self, day: date) -> None:
        # Deposits of 1,500 a month (less the water heater) at 4.10 % a year.
        self.savings_balance += 150_000
        interest = (self.savings_balance * 410 + 60_000) // 120_000
        self.savings_balance += interest
        self.plan.entries.append(
            Entry(
                "savings",
                day,
                interest,
                "Harbor Bank",
                "Interest & dividends",
                "Interest paid",
            )
        )

    def yearly(self, day: date) -> None:
        plan = self.plan
        if (day.month, day.day) in ((12, 10), (4, 10)):
            self.checking(
                day, -_cents("4286.17"), "San Mateo County Tax Collector", "Taxes", "Property tax"
            )
        if (day.month, day.day) == (3, 14):
            self.checking(day, _cents("4800.00"), "Northwind Health", "Bonus", "Annual bonus")
        if (day.month, day.day) == (9, 3):
            self.checking(day, -_cents("1184.00"), "Lemonade Insurance", "Home insurance")
        if (day.month, day.day) in ((5, 20), (11, 18)) and day < plan.switch_on:
            self.card(
                day,
                -self.money(140, 260),
                ("Bayside Dental Group", "BAYSIDE DENTAL GRP", "Doctor & dentist"),
            )
        if (day.month, day.day) in ((2, 9), (8, 9)):
            self.card(
                day, -self.money(79, 115), ("Jiffy Lube", "JIFFY LUBE #1934", "Car maintenance")
            )
        if day in (plan.start + timedelta(days=365), plan.start + timedelta(days=730)):
            value = 1_400_000 if day < plan.start + timedelta(days=400) else 950_000
            plan.entries.append(
                Entry("house", day, value, "Zillow", None, "Annual valuation estimate")
            )
        if (day.month, day.day) in ((4, 2), (10, 2)) and day < plan.switch_on:
            self.card(day, _cents("34.99"), ("Amazon", "AMZN MKTP US REFUND", "Refunds"))

    def trips(self) -> None:
        plan = self.plan
        leave, back = self.holiday
        tag = (plan.holiday_tag,)
        self.card_entry(
            Entry(
                "card",
                leave - timedelta(days=61),
                -_cents("1842.60"),
                "TAP AIR PORTUGAL 0472",
                "Travel & holidays",
                "Flights SFO-LIS for four",
                merchant="TAP Air Portugal",
                tags=tag,
            )
        )
        self.move("checking", "euro", leave - timedelta(days=14), 240_000, "Holiday money")
        spends = [
            (0, "Hotel Lisboa Plaza", "Travel & holidays", 620, 780, "owner"),
            (1, "Pingo Doce Lisboa", "Groceries", 25, 60, "partner"),
            (1, "Pastelaria Benard", "Coffee & snacks", 9, 22, "partner"),
            (2, "Museu Calouste Gulbenkian", "Entertainment", 30, 48, "owner"),
            (2, "Taberna da Rua das Flores", "Restaurants", 58, 96, "owner"),
            (3, "CP Comboios de Portugal", "Public transport", 22, 44, "owner"),
            (4, "Casa Guedes Porto", "Restaurants", 31, 52, "partner"),
            (4, "Hotel Porto Ribeira", "Travel & holidays", 410, 520, "owner"),
            (5, "Livraria Lello", "Books & music", 18, 40, "partner"),
            (6, "Pingo Doce Porto", "Groceries", 30, 70, "partner"),
            (7, "Cantinho do Avillez", "Restaurants", 85, 140, "owner"),
            (8, "Galp Lisboa", "Fuel", 45, 70, "owner"),
            (9, "Aeroporto de Lisboa Duty Free", "Gifts", 25, 80, "partner"),
        ]
        for offset, payee, category, low, high, by in spends:
            plan.entries.append(
                Entry(
                    "euro",
                    leave + timedelta(days=offset),
                    -self.money(low, high),
                    payee,
                    category,
                    tags=tag,
                    by=by,
                )
            )
        self.move("euro", "checking", back + timedelta(days=6), 30_000, "Leftover holiday euros")
        start, _end = self.getaway
        away = (plan.getaway_tag,)
        for offset, payee, merchant, category, cents in (
            (0, "CHEVRON TRUCKEE 0288", "Chevron", "Fuel", self.money(55, 72)),
            (0, "TAHOE LAKESIDE LODGE", "Tahoe Lakeside Lodge", "Travel & holidays", 61_200),
            (1, "TAHOE PIZZA CO", "Tahoe Pizza Co", "Restaurants", self.money(48, 74)),
            (1, "KAYAK RENTALS KINGS BEACH", "Kings Beach Kayaks", "Entertainment", 9_600),
            (2, "SAFEWAY #1610 TRUCKEE", "Safeway", "Groceries", self.money(35, 70)),
        ):
            self.card_entry(
                Entry(
                    "card",
                    start + timedelta(days=offset),
                    -cents,
                    payee,
                    category,
                    merchant=merchant,
                    tags=away,
                )
            )

    def big_purchases(self) -> None:
        plan = self.plan
        sofa = plan.start + timedelta(days=140)
        self.card_entry(
            Entry(
                "card",
                sofa,
                -_cents("1649.00"),
                "ARTICLE.COM 8883221",
                "Furniture",
                "Sofa for the living room",
                merchant="Article",
                tags=("Home improvement",),
            )
        )
        heater = plan.start + timedelta(days=480)
        self.move(
            "savings", "checking", heater - timedelta(days=1), 150_000, "For the water heater"
        )
        self.checking(
            heater,
            -_cents("1485.00"),
            "Bayview Plumbing",
            "Maintenance & repairs",
            "New water heater",
        )
        laptop = plan.start + timedelta(days=300)
        self.card(laptop, -_cents("1499.00"), ("Apple Store", "APPLE STORE R014", "Electronics"))
        tires = plan.start + timedelta(days=560)
        self.card(tires, -_cents("782.36"), ("Firestone", "FIRESTONE #034521", "Car maintenance"))

    def card_payments(self) -> None:
        """On the 22nd, the previous month's card spending is paid from checking."""
        plan = self.plan
        owed = -_cents(ACCOUNTS["card"][3])
        for year, month in _months(plan.start, plan.today):
            pay_day = date(year, month, 22)
            if not plan.start <= pay_day <= plan.today:
                continue
            previous = (year, month - 1) if month > 1 else (year - 1, 12)
            owed -= self.card_by_month.get(previous, 0)
            if owed > 0:
                self.move("checking", "card", pay_day, owed, "Card payment")
                owed = 0


def build_plan(today: date) -> LedgerPlan:
    """The demo's transactions for two years ending on `today` (no database)."""
    return _Planner(today).build()


def _decimal(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


# --- files ----------------------------------------------------------------------------


def history_csv(account: str, rows: list[FileRow]) -> bytes:
    """The old app's export of one account (the columns of Actual Budget's export)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Account", "Date", "Payee", "Notes", "Category", "Amount", "Cleared"])
    name = ACCOUNTS[account][0]
    for row in rows:
        writer.writerow(
            [
                name,
                row.on.isoformat(),
                row.payee,
                row.notes,
                row.category or "",
                str(_decimal(row.cents)),
                "Reconciled",
            ]
        )
    return out.getvalue().encode()


def statement_csv(rows: list[FileRow]) -> bytes:
    """The card's CSV as the bank's website exports it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Transaction Date", "Post Date", "Description", "Type", "Amount", "Memo"])
    for row in rows:
        posted = row.on + timedelta(days=1 if row.on.weekday() < 4 else 3)
        writer.writerow(
            [
                row.on.strftime("%m/%d/%Y"),
                posted.strftime("%m/%d/%Y"),
                row.payee,
                "Sale" if row.cents < 0 else "Return",
                str(_decimal(row.cents)),
                "",
            ]
        )
    return out.getvalue().encode()


# --- writing: the loader --------------------------------------------------------------


def _categories(session: Session, tenant_id: uuid.UUID) -> dict[str, uuid.UUID]:
    found: dict[str, uuid.UUID] = {}
    for category in ledger.list_categories(session, tenant_id=tenant_id):
        found.setdefault(category.name, category.id)
    return found


@demo_loader(order=20)
def load_ledger(session: Session, ctx: DemoContext) -> None:
    owner, tenant_id = ctx.require_owner()
    plan = build_plan(ctx.today)
    actor = owner.id
    accounts: dict[str, Account] = {}
    for key, (name, kind, code, opening, extra) in ACCOUNTS.items():
        accounts[key] = ledger.create_account(
            session,
            tenant_id=tenant_id,
            actor_id=actor,
            name=name,
            type=kind,
            currency=code,
            opening_balance=Decimal(opening),
            opening_on=plan.start,
            **extra,
        )
    rates = "date,base,quote,rate\n" + "".join(
        f"{day.isoformat()},EUR,USD,{rate}\n" for day, rate in plan.rates
    )
    ledger.import_rates_csv(session, tenant_id=tenant_id, actor_id=actor, content=rates)
    categories = _categories(session, tenant_id)
    tags = {
        name: ledger.create_tag(session, tenant_id=tenant_id, actor_id=actor, name=name).id
        for name in plan.tags
    }
    for name, conditions, category, stop in RULES:
        rule_service.create_rule(
            session,
            tenant_id=tenant_id,
            actor_id=actor,
            name=name,
            conditions=conditions,
            actions={"category_id": categories[category]},
            stop_processing=bool(stop),
        )
    for pattern, match, merchant in ALIASES:
        alias_service.create_alias(
            session,
            tenant_id=tenant_id,
            actor_id=actor,
            pattern=pattern,
            match=match,
            merchant=merchant,
        )
    format_service.create_format(
        session,
        tenant_id=tenant_id,
        actor_id=actor,
        name=IMPORT_FORMAT,
        mapping=IMPORT_FORMAT_MAPPING,
    )
    _write_entries(session, ctx, plan, accounts, categories, tags)
    for move in plan.moves:
        ledger.create_transfer(
            session,
            tenant_id=tenant_id,
            actor_id=actor,
            from_account_id=accounts[move.source].id,
            to_account_id=accounts[move.target].id,
            posted_on=move.on,
            amount=_decimal(move.cents),
            memo=move.memo,
            status=_status(plan, move.on),
        )
    ctx.shared.update(dict(accounts.items()))
    ctx.shared["categories"] = categories
    ctx.shared["tags"] = tags
    ctx.shared["ledger_plan"] = plan


def _status(plan: LedgerPlan, on: date) -> TransactionStatus:
    if on > plan.today - timedelta(days=PENDING_DAYS):
        return TransactionStatus.pending
    return TransactionStatus.cleared


def _write_entries(
    session: Session,
    ctx: DemoContext,
    plan: LedgerPlan,
    accounts: dict[str, Account],
    categories: dict[str, uuid.UUID],
    tags: dict[str, uuid.UUID],
) -> None:
    _, tenant_id = ctx.require_owner()
    acting = "owner"
    for entry in plan.entries:
        person = ctx.people.get(entry.by) or ctx.owner
        assert person is not None
        if entry.by != acting:
            set_context(session, user_id=person.id, tenant_id=tenant_id)
            acting = entry.by
        ledger.post_transaction(
            session,
            tenant_id=tenant_id,
            actor_id=person.id,
            account_id=accounts[entry.account].id,
            posted_on=entry.on,
            amount=_decimal(entry.cents),
            payee=entry.payee,
            merchant=entry.merchant,
            memo=entry.memo,
            category_id=categories[entry.category] if entry.category else None,
            status=_status(plan, entry.on),
            tag_ids=[tags[name] for name in entry.tags],
            splits=[
                ledger.SplitLine(amount=_decimal(cents), category_id=categories[name])
                for name, cents in entry.splits
            ]
            or None,
        )
    ctx.act_as_owner(session)


# --- writing: the follow-ups ----------------------------------------------------------


def _account(session: Session, tenant_id: uuid.UUID, key: str) -> Account | None:
    name = ACCOUNTS[key][0]
    for account in ledger.list_accounts(session, tenant_id=tenant_id):
        if account.name == name:
            return account
    return None


def _plan_of(session: Session, ctx: DemoContext) -> LedgerPlan | None:
    """The plan the loader wrote, found again from the checking account's opening day."""
    _, tenant_id = ctx.require_owner()
    checking = _account(session, tenant_id, "checking")
    if checking is None:
        return None
    today = checking.opening_on + timedelta(days=HISTORY_DAYS)
    cached = ctx.shared.get("ledger_plan")
    if isinstance(cached, LedgerPlan) and cached.today == today:
        return cached
    plan = build_plan(today)
    ctx.shared["ledger_plan"] = plan
    return plan


def _imported(session: Session, tenant_id: uuid.UUID, filename: str) -> bool:
    """Whether a file of this name was ever uploaded (imported, undone or not yet
    committed) in the household, however many imports came after it."""
    found = session.scalar(
        select(ImportBatch.id)
        .where(ImportBatch.tenant_id == tenant_id, ImportBatch.filename == filename)
        .limit(1)
    )
    return found is not None


def _import(
    session: Session,
    ctx: DemoContext,
    account: Account,
    filename: str,
    content: bytes,
    *,
    preset: str | None = None,
    import_format: str | None = None,
) -> ImportBatch:
    """Upload, map, preview and commit a file, as a person does on the import page."""
    owner, tenant_id = ctx.require_owner()
    store, limits = UploadStore(ctx.data_dir), ImportLimits()
    upload = import_service.upload_file(
        session,
        tenant_id=tenant_id,
        actor_id=owner.id,
        account_id=account.id,
        filename=filename,
        stream=io.BytesIO(content),
        store=store,
        limits=limits,
        preset=preset,
    )
    try:
        batch_id = upload.batch.id
        if import_format is not None:
            saved = next(
                f
                for f in format_service.list_formats(session, tenant_id=tenant_id)
                if f.name == import_format
            )
            import_service.set_mapping(
                session, tenant_id=tenant_id, batch_id=batch_id, import_format_id=saved.id
            )
        import_service.preview(
            session, tenant_id=tenant_id, batch_id=batch_id, store=store, limits=limits
        )
        return import_service.request_commit(
            session,
            tenant_id=tenant_id,
            actor_id=owner.id,
            batch_id=batch_id,
            store=store,
            limits=limits,
            jobs=None,
        ).batch
    except BaseException:
        store.delete(upload.batch.stored_path)  # the rollback forgets the batch
        raise


def _reconcile(session: Session, ctx: DemoContext, account: Account, days: list[date]) -> None:
    """Reconcile each monthly statement: every transaction up to it is cleared."""
    owner, tenant_id = ctx.require_owner()
    for day in days:
        closing = ledger.balance(session, tenant_id=tenant_id, account=account, on=day)
        summary = ledger.start_reconciliation(
            session,
            tenant_id=tenant_id,
            actor_id=owner.id,
            account_id=account.id,
            statement_on=day,
            statement_balance=from_minor(closing, account.currency),
        )
        ledger.finish_reconciliation(
            session,
            tenant_id=tenant_id,
            actor_id=owner.id,
            account_id=account.id,
            reconciliation_id=summary.reconciliation.id,
        )


def _history(session: Session, ctx: DemoContext, key: str) -> bool:
    _, tenant_id = ctx.require_owner()
    if _imported(session, tenant_id, HISTORY_FILES[key]):
        return False  # checked first: it is all a finished demo's load costs
    account = _account(session, tenant_id, key)
    plan = _plan_of(session, ctx)
    if account is None or plan is None:
        return False
    content = history_csv(key, plan.history[key])
    _import(session, ctx, account, HISTORY_FILES[key], content, preset="actual")
    _reconcile(session, ctx, account, plan.statement_days())
    return True


@demo_follow_up(order=20)
def import_checking_history(session: Session, ctx: DemoContext) -> bool:
    return _history(session, ctx, "checking")


@demo_follow_up(order=21)
def import_card_history(session: Session, ctx: DemoContext) -> bool:
    return _history(session, ctx, "card")


@demo_follow_up(order=22)
def import_card_statement(session: Session, ctx: DemoContext) -> bool:
    """Last month's card transactions from the bank's CSV, left committed (undoable)."""
    _, tenant_id = ctx.require_owner()
    if _imported(session, tenant_id, STATEMENT_FILE):
        return False
    account = _account(session, tenant_id, "card")
    plan = _plan_of(session, ctx)
    if account is None or plan is None:
        return False
    content = statement_csv(plan.statement)
    _import(session, ctx, account, STATEMENT_FILE, content, import_format=IMPORT_FORMAT)
    return True
