"""Generate a realistic, reproducible household transaction history (for benchmarks).

    .venv/bin/python bench/generate.py --rows 1000000 --years 5 --seed 7 --out bench/data/h7.csv

One run writes one household's history: every account it holds, rows in date order,
streamed as they are made (memory stays small whatever --rows is). The same arguments
always give byte-identical output.

CSV columns (header row first; UTF-8; the JSONL format has the same keys):

    date      YYYY-MM-DD, the booking date
    amount    signed decimal string with two decimals: "-12.50" is money out, "2500.00" in
    payee     the payee text as a bank prints it (upper case, store numbers, card digits,
              dates, truncation; or a clean merchant name for app-style banks)
    memo      the bank's free-text note, often empty ("DIRECT DEBIT", "REF 48213377", ...)
    category  the ground truth: the category id this household gave the row
    account   the household's account id ("current", "credit-card", "savings", ...)

What it models: recurring salary (monthly in the UK style, fortnightly in the US
style), rent or mortgage, utilities with winter peaks, council tax, phone and
broadband, subscriptions with yearly price steps, insurance, gym; groceries at two to
four chains with the household's local store numbers and now and then a new one;
restaurants (chains and independents, new ones appearing over time), a long tail of
small local businesses (named by owner or place and trade, "PATEL'S BAKERY", many seen
once), coffee,
takeaway, transport and fuel, Amazon and PayPal across many categories, pharmacies
(health or personal care), clothing, DIY, pets, children, cash, person-to-person
payments, charity, holidays abroad (foreign merchants labelled as travel), transfers
between the household's own accounts written as two rows, card repayments, interest,
fees and occasional refunds. Spending rises with weekends, December and summer;
prices inflate 2-6 % a year by category. The household's own labelling is imperfect:
about 2 % of discretionary rows carry a plausible alternative category, ambiguous
merchants are split by what was bought, and once or twice in its history the
household changes how it files something (coffee split from dining, takeaway from
dining, Amazon lumped into shopping) so older labels mislead.

What it simplifies: one currency per household (GBP or USD, two decimals); merchant
and city names come from fixed lists (the categoriser's normaliser knows some of the
big cities too, and none of the merchant names); payee formats are a handful of bank
styles rather than the long tail of real ones; amounts are log-normal per kind; there
are no split transactions, pending/cleared pairs, duplicates or foreign-currency
columns; no transaction has a time of day.
"""

from __future__ import annotations

import argparse
import csv
import heapq
import itertools
import json
import math
import random
import string
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, TextIO

COLUMNS = ("date", "amount", "payee", "memo", "category", "account")

# ---------------------------------------------------------------------------------------
# Merchant data. Each entry: the forms a bank prints for that merchant (first form the
# most common), typical amount (major units) and log-normal spread.

UK_CITIES = [
    "LONDON",
    "MANCHESTER",
    "BRISTOL",
    "LEEDS",
    "READING",
    "GUILDFORD",
    "YORK",
    "BATH",
    "CAMBRIDGE",
    "BRIGHTON",
    "CHELTENHAM",
    "NORWICH",
    "ST ALBANS",
    "EXETER",
]
US_CITIES = [
    ("NEW YORK", "NY"),
    ("BROOKLYN", "NY"),
    ("SAN FRANCISCO", "CA"),
    ("OAKLAND", "CA"),
    ("AUSTIN", "TX"),
    ("CHICAGO", "IL"),
    ("SEATTLE", "WA"),
    ("BOISE", "ID"),
    ("ITHACA", "NY"),
    ("PORTLAND", "OR"),
    ("DENVER", "CO"),
    ("MADISON", "WI"),
    ("ASHEVILLE", "NC"),
    ("BOULDER", "CO"),
]
ABROAD = [
    ("NICE", "FR"),
    ("BARCELONA", "ES"),
    ("LISBON", "PT"),
    ("ROMA", "IT"),
    ("BERLIN", "DE"),
    ("AMSTERDAM", "NL"),
    ("DUBLIN", "IE"),
    ("CANCUN", "MX"),
]
ABROAD_MERCHANTS = [
    "CARREFOUR MARKET",
    "RESTAURANTE EL PUERTO",
    "TRATTORIA DA MARIO",
    "BOULANGERIE PAUL",
    "FARMACIA CENTRAL",
    "TAXI METRO",
    "CAFE DE FLORE",
    "SUPERMERCADO DIA",
    "MUSEO NACIONAL",
    "PINGO DOCE",
    "ALBERT HEIJN",
    "EDEKA MARKT",
    "GELATERIA ROMA",
    "HOTEL DEL MAR",
    "OXXO TIENDA",
]

UK: dict[str, Any] = {  # "grocery": (chain, forms) pairs; the rest: payee names
    "grocery": [
        ("TESCO", ["TESCO STORES", "TESCO EXPRESS", "TESCO EXTRA", "TESCO METRO"]),
        ("SAINSBURYS", ["SAINSBURYS S/MKTS", "SAINSBURY'S LOCAL", "JS ONLINE GROCERY"]),
        ("ASDA", ["ASDA STORES", "ASDA SUPERSTORE", "ASDA EXPRESS"]),
        ("LIDL", ["LIDL GB"]),
        ("ALDI", ["ALDI STORES", "ALDI"]),
        ("WAITROSE", ["WAITROSE", "LITTLE WAITROSE"]),
        ("MORRISONS", ["WM MORRISONS STORE", "MORRISONS DAILY"]),
        ("COOP", ["CO-OP GROUP FOOD", "COOP FOOD", "SOUTHERN CO-OP"]),
        ("M&S", ["M&S SIMPLY FOOD", "MARKS & SPENCER", "M AND S FOOD"]),
    ],
    "coffee": ["STARBUCKS", "COSTA COFFEE", "PRET A MANGER", "CAFFE NERO", "GAIL'S BAKERY"],
    "dining_chain": [
        "NANDOS",
        "PIZZA EXPRESS",
        "WAGAMAMA",
        "FIVE GUYS",
        "DISHOOM",
        "WETHERSPOON",
        "FRANKIE & BENNYS",
        "GREGGS",
        "MCDONALDS",
        "LEON",
    ],
    "takeaway": ["DELIVEROO", "JUST EAT", "UBER *EATS", "DOMINOS PIZZA"],
    "transit": ["TFL TRAVEL CH", "TRAINLINE", "GWR TICKETS", "NATIONAL EXPRESS", "LIME*RIDE"],
    "taxi": ["UBER *TRIP", "BOLT.EU", "ADDISON LEE"],
    "fuel": ["SHELL", "BP", "ESSO", "TESCO PFS", "TEXACO"],
    "parking": ["NCP LTD", "RINGGO", "PAYBYPHONE"],
    "pharmacy": ["BOOTS", "SUPERDRUG", "LLOYDS PHARMACY"],
    "clothing": ["PRIMARK", "NEXT RETAIL", "H&M", "UNIQLO", "ZARA", "TK MAXX", "JOHN LEWIS"],
    "diy": ["B&Q", "WICKES", "SCREWFIX", "IKEA", "DUNELM"],
    "entertainment": [
        "ODEON CINEMAS",
        "VUE ENTERTAINMENT",
        "TICKETMASTER",
        "STEAMGAMES.COM",
        "EVERYMAN CINEMA",
    ],
    "electronics": ["CURRYS", "ARGOS", "APPLE STORE"],
    "books": ["WATERSTONES", "WHSMITH", "FOYLES"],
    "pets": ["PETS AT HOME", "VETS4PETS", "ZOOPLUS"],
    "kids": ["SMYTHS TOYS", "MOTHERCARE", "PARENTPAY", "THE ENTERTAINER"],
    "amazon": ["AMAZON.CO.UK*", "AMZN MKTP UK*", "AMAZON.CO.UK", "AMZNMKTPLACE"],
    "airline": ["BRITISH AIRWAYS", "EASYJET", "RYANAIR", "JET2.COM"],
    "hotel": ["BOOKING.COM", "AIRBNB", "PREMIER INN", "TRAVELODGE"],
    "energy": ["BRITISH GAS", "OCTOPUS ENERGY", "EDF ENERGY", "OVO ENERGY"],
    "water": ["THAMES WATER", "SEVERN TRENT", "ANGLIAN WATER"],
    "telecom": ["VODAFONE LTD", "EE LIMITED", "BT GROUP PLC", "VIRGIN MEDIA", "SKY DIGITAL"],
    "insurance": ["AVIVA INSURANCE", "DIRECT LINE INS", "ADMIRAL INSURANCE", "LV INSURANCE"],
    "gym": ["PUREGYM", "THE GYM GROUP", "DAVID LLOYD"],
    "lender": ["NATIONWIDE BS", "HALIFAX MORTGAGE", "SANTANDER MTG"],
    "landlord": ["FOXTONS LETTINGS", "J HARRIS RENT", "OPENRENT"],
    "charity": ["OXFAM", "BRITISH RED CROSS", "CANCER RESEARCH UK", "JUSTGIVING"],
    "card_issuer": ["AMEX", "BARCLAYCARD", "HSBC CREDIT CARD"],
    "employer": ["ACME ANALYTICS LTD", "NHS TRUST", "BRIGHTWELL COUNCIL", "NORTHSTAR LOGISTICS"],
}
US: dict[str, Any] = {
    "grocery": [
        ("WHOLEFOODS", ["WHOLEFDS MKT", "WHOLE FOODS MARKET"]),
        ("TRADERJOES", ["TRADER JOE S", "TRADER JOE'S"]),
        ("SAFEWAY", ["SAFEWAY", "SAFEWAY FUEL"]),
        ("KROGER", ["KROGER", "KROGER FUEL"]),
        ("COSTCO", ["COSTCO WHSE", "COSTCO.COM"]),
        ("WALMART", ["WAL-MART SUPERCENTER", "WALMART.COM", "WM SUPERCENTER"]),
        ("TARGET", ["TARGET T-", "TARGET.COM"]),
        ("PUBLIX", ["PUBLIX SUPER MAR"]),
        ("HEB", ["H-E-B", "HEB GROCERY"]),
    ],
    "coffee": ["STARBUCKS", "DUNKIN", "PEETS COFFEE", "SQ *BLUE BOTTLE COFFEE", "TST* PHILZ"],
    "dining_chain": [
        "CHIPOTLE",
        "SHAKE SHACK",
        "SWEETGREEN",
        "PANERA BREAD",
        "IN-N-OUT",
        "OLIVE GARDEN",
        "CHICK-FIL-A",
        "TACO BELL",
        "MCDONALD'S",
        "SUBWAY",
    ],
    "takeaway": ["DOORDASH", "GRUBHUB", "UBER *EATS", "DOMINO'S"],
    "transit": ["MTA*NYCT PAYGO", "BART CLIPPER", "AMTRAK", "LIME*RIDE", "CITIBIKE"],
    "taxi": ["UBER *TRIP", "LYFT *RIDE"],
    "fuel": ["SHELL OIL", "CHEVRON", "EXXONMOBIL", "COSTCO GAS", "76 FUEL"],
    "parking": ["SP+ PARKING", "PARKMOBILE", "LAZ PARKING"],
    "pharmacy": ["CVS/PHARMACY", "WALGREENS", "RITE AID"],
    "clothing": ["OLD NAVY", "GAP", "UNIQLO", "NORDSTROM", "TJ MAXX", "H&M"],
    "diy": ["THE HOME DEPOT", "LOWE'S", "IKEA", "ACE HARDWARE", "BED BATH & BEYOND"],
    "entertainment": [
        "AMC THEATRES",
        "REGAL CINEMAS",
        "TICKETMASTER",
        "STEAMGAMES.COM",
        "FANDANGO",
    ],
    "electronics": ["BEST BUY", "APPLE STORE", "B&H PHOTO"],
    "books": ["BARNES & NOBLE", "POWELL'S BOOKS", "HALF PRICE BOOKS"],
    "pets": ["PETSMART", "PETCO", "CHEWY.COM", "BANFIELD PET HOSP"],
    "kids": ["BUY BUY BABY", "CARTER'S", "KIDS FOOT LOCKER", "LEGO STORE"],
    "amazon": ["AMZN MKTP US*", "AMAZON.COM*", "AMAZON.COM", "AMZN DIGITAL*"],
    "airline": ["DELTA AIR", "UNITED", "SOUTHWEST", "JETBLUE"],
    "hotel": ["MARRIOTT", "HILTON HOTELS", "AIRBNB", "EXPEDIA"],
    "energy": ["PG&E", "CON EDISON", "DUKE ENERGY", "XCEL ENERGY"],
    "water": ["CITY WATER UTIL", "AMERICAN WATER"],
    "telecom": ["VERIZON WIRELESS", "AT&T", "COMCAST XFINITY", "T-MOBILE"],
    "insurance": ["GEICO", "STATE FARM", "PROGRESSIVE INS", "ALLSTATE"],
    "gym": ["PLANET FITNESS", "EQUINOX", "24 HOUR FITNESS"],
    "lender": ["WELLS FARGO HOME MTG", "CHASE MORTGAGE", "ROCKET MORTGAGE"],
    "landlord": ["GREYSTAR RENT", "AVALON BAY", "ZILLOW RENT"],
    "charity": ["UNICEF USA", "AMERICAN RED CROSS", "GOFUNDME", "ACLU"],
    "card_issuer": ["AMEX", "CHASE CARD", "CITI CARD"],
    "employer": ["ACME ANALYTICS INC", "MERCY HOSPITAL", "CITY OF SPRINGFIELD", "NORTHSTAR CORP"],
}
SUBSCRIPTIONS = [
    "NETFLIX.COM",
    "SPOTIFY",
    "DISNEY PLUS",
    "APPLE.COM/BILL",
    "AMAZON PRIME*",
    "GOOGLE *YOUTUBE",
    "AUDIBLE",
    "NYTIMES",
    "ADOBE *CREATIVE",
    "DROPBOX*",
]
INDIE_FIRST = ["THE", "LA", "EL", "LITTLE", "OLD", "BLUE", "GOLDEN", "RED", "GREEN", "ROYAL"]
INDIE_MID = [
    "LION",
    "OAK",
    "HARBOUR",
    "LOTUS",
    "OLIVE",
    "BAMBOO",
    "CROWN",
    "FIG",
    "DRAGON",
    "SPICE",
    "ANCHOR",
    "SAFFRON",
    "MAPLE",
    "SWAN",
    "PEPPER",
    "TIGER",
    "VINE",
    "ORCHID",
]
INDIE_LAST = [
    "KITCHEN",
    "GRILL",
    "PIZZERIA",
    "BISTRO",
    "TAVERN",
    "SUSHI",
    "TAQUERIA",
    "CANTINA",
    "RAMEN",
    "DINER",
    "BRASSERIE",
    "THAI",
    "CURRY HOUSE",
    "ARMS",
    "INN",
]
FIRST_NAMES = [
    "JAMES",
    "SARAH",
    "TOM",
    "PRIYA",
    "LUCY",
    "DAN",
    "MARIA",
    "OWEN",
    "CHLOE",
    "SAM",
    "AISHA",
    "BEN",
    "ELLA",
    "RAJ",
    "NINA",
    "MARK",
]
# The long tail: small independent businesses, named by owner or place plus what they
# do, as real ones are. Each: the trade words, the category, median amount, spread.
LOCAL_TRADES = [
    (["HAIR SALON", "HAIR STUDIO", "BARBERS", "BARBER SHOP"], "personal_care", 28, 0.4),
    (["DENTAL CARE", "DENTAL PRACTICE", "PHYSIOTHERAPY", "OPTICIANS"], "health", 70, 0.6),
    (["FLORIST", "FLOWERS", "GIFT SHOP", "CARDS & GIFTS"], "gifts", 25, 0.5),
    (["BAKERY", "DELI", "FISH & CHIPS", "NOODLE BAR", "CAFE", "TEA ROOM"], "dining", 12, 0.5),
    (["GARAGE", "MOTORS", "TYRES", "CAR WASH"], "car", 90, 0.9),
    (["HARDWARE", "TIMBER", "PAINT & DECOR", "GARDEN CENTRE"], "home_improvement", 30, 0.8),
    (["BOOKSHOP", "BOOKS", "COMICS"], "books", 14, 0.5),
    (["TOYS", "KIDS CLUB", "SOFT PLAY"], "kids", 18, 0.6),
    (["PET SUPPLIES", "VETERINARY", "DOG GROOMING"], "pets", 40, 0.7),
    (["BUTCHERS", "GREENGROCER", "FARM SHOP", "CHEESE SHOP"], "groceries", 18, 0.6),
    (["CINEMA", "THEATRE", "BOWLING", "ESCAPE ROOMS"], "entertainment", 22, 0.5),
    (["BOUTIQUE", "SHOES", "TAILORS", "VINTAGE"], "clothing", 45, 0.6),
    (["DRY CLEANERS", "LAUNDERETTE", "KEY CUTTING"], "household", 15, 0.5),
]
OWNERS = [
    "SMITH",
    "PATEL",
    "JONES",
    "KHAN",
    "MURPHY",
    "NOVAK",
    "GARCIA",
    "CHEN",
    "OKAFOR",
    "EVANS",
    "ROSSI",
    "MULLER",
    "SILVA",
    "BROWN",
    "WALSH",
    "HUGHES",
    "PARK",
    "OLSEN",
    "HIGH STREET",
    "MARKET",
    "RIVERSIDE",
    "STATION",
    "VILLAGE",
    "CORNER",
    "PARKSIDE",
]
MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]

# Plausible alternatives a person files a row under, for the ~2 % inconsistent labels.
CONFUSABLE = {
    "groceries": "household",
    "household": "shopping",
    "dining": "takeaway",
    "takeaway": "dining",
    "coffee": "dining",
    "shopping": "gifts",
    "gifts": "shopping",
    "health": "personal_care",
    "personal_care": "health",
    "clothing": "shopping",
    "entertainment": "subscriptions",
    "transport": "travel",
    "electronics": "shopping",
    "books": "entertainment",
    "home_improvement": "household",
    "kids": "shopping",
    "pets": "shopping",
    "fuel": "transport",
}
RANDOM_ALNUM = string.ascii_uppercase + string.digits


@dataclass(slots=True)
class Account:
    name: str
    style: str  # how this bank prints payees: uk_bank, uk_app, us_card, us_debit
    card_digits: str
    width: int  # the bank truncates payees to this many characters


@dataclass(slots=True)
class Profile:
    """Everything random about one household, drawn once from the seed."""

    region: str
    city: str
    state: str
    accounts: list[Account]
    chains: list[tuple[str, list[str], float]]  # key, forms, weight
    local_stores: dict[str, list[str]]
    restaurants: list[str]
    friends: list[tuple[str, str]]  # name, what payments to them usually are
    subs: list[tuple[str, int]]  # payee, monthly price (minor)
    lunch_at_supermarket: bool  # small weekday supermarket buys filed as dining
    coffee_label: str
    local_shops: list[tuple[str, str, float, float]] = field(default_factory=list)
    drift: dict[str, date] = field(default_factory=dict)


def fmt_amount(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    major, cents = divmod(abs(minor), 100)
    return f"{sign}{major}.{cents:02d}"


class Household:
    """Draws a household from the seed and streams its transactions day by day."""

    def __init__(self, seed: int, accounts: int, start: date, years: int) -> None:
        self.rng = random.Random(seed)
        self.start = start
        self.days = max(1, round(365.25 * years))
        self.profile = self._draw_profile(max(1, accounts))
        self.data = UK if self.profile.region == "UK" else US
        self.pending: list[tuple[int, int, tuple[str, int, str, str, str, str]]] = []
        self.seq = 0
        self.salary = self.rng.randint(2600, 6200) * 100
        self.housing = self.rng.randint(900, 2600) * 100
        self.has_kids = self.rng.random() < 0.45
        self.has_pet = self.rng.random() < 0.35
        self.has_car = self.rng.random() < 0.6
        self.bills = self._draw_bills()
        self.kinds, self.kind_weights = self._draw_kinds()
        self.chain_cw = list(itertools.accumulate(c[2] for c in self.profile.chains))
        self.daily = 10.0

    # -- the household ---------------------------------------------------------------
    def _draw_profile(self, n_accounts: int) -> Profile:
        rng = self.rng
        region = "UK" if rng.random() < 0.6 else "US"
        data = UK if region == "UK" else US
        if region == "UK":
            city, state = rng.choice(UK_CITIES), ""
            styles = ["uk_bank", "uk_app"]
        else:
            city, state = rng.choice(US_CITIES)
            styles = ["us_card", "us_debit"]
        names = ["current", "credit-card", "savings", "current-2"]
        accounts = []
        for i in range(n_accounts):
            name = names[i] if i < len(names) else f"credit-card-{i - 2}"
            style = rng.choice(styles) if name != "credit-card" else styles[0]
            digits = f"{rng.randint(0, 9999):04d}"
            accounts.append(Account(name, style, digits, rng.choice([18, 22, 25, 32])))
        chains = rng.sample(data["grocery"], rng.randint(2, 4))
        weighted = [(k, forms, rng.random() ** 2 + 0.05) for k, forms in chains]
        local = {
            k: [f"{rng.randint(1, 9999):04d}" for _ in range(rng.randint(1, 3))] for k, _f in chains
        }
        restaurants = [self._indie(rng) for _ in range(rng.randint(6, 14))]
        friends = [
            (
                f"{rng.choice(FIRST_NAMES)} {rng.choice(string.ascii_uppercase)}",
                rng.choice(["dining", "gifts", "household", "transfer", "entertainment"]),
            )
            for _ in range(rng.randint(2, 6))
        ]
        subs = [
            (s, rng.choice([599, 799, 999, 1099, 1299, 1599]))
            for s in rng.sample(SUBSCRIPTIONS, rng.randint(2, 6))
        ]
        profile = Profile(
            region,
            city,
            state,
            accounts,
            weighted,
            local,
            restaurants,
            friends,
            subs,
            rng.random() < 0.5,
            "coffee" if rng.random() < 0.5 else "dining",
        )
        for event in rng.sample(["coffee", "takeaway", "amazon"], rng.randint(1, 2)):
            profile.drift[event] = self.start + timedelta(
                days=int(self.days * rng.uniform(0.2, 0.97))
            )
        return profile

    @staticmethod
    def _indie(rng: random.Random) -> str:
        return f"{rng.choice(INDIE_FIRST)} {rng.choice(INDIE_MID)} {rng.choice(INDIE_LAST)}"

    def _draw_bills(self) -> list[tuple[str, str, int, int, float]]:
        """Monthly bills: payee, category, day of month, amount (minor), winter swing."""
        rng, d = self.rng, self.data
        bills = [
            (
                rng.choice(d["energy"]),
                "utilities",
                rng.randint(1, 28),
                rng.randint(60, 160) * 100,
                0.5,
            ),
            (
                rng.choice(d["water"]),
                "utilities",
                rng.randint(1, 28),
                rng.randint(25, 60) * 100,
                0.0,
            ),
            (
                rng.choice(d["telecom"]),
                "phone_internet",
                rng.randint(1, 28),
                rng.randint(30, 70) * 100,
                0.0,
            ),
            (
                rng.choice(d["telecom"]),
                "phone_internet",
                rng.randint(1, 28),
                rng.randint(10, 45) * 100,
                0.0,
            ),
            (
                rng.choice(d["insurance"]),
                "insurance",
                rng.randint(1, 28),
                rng.randint(20, 90) * 100,
                0.0,
            ),
        ]
        if self.profile.region == "UK":
            bills.append(
                (
                    f"{self.profile.city} COUNCIL",
                    "council_tax",
                    rng.randint(1, 15),
                    rng.randint(120, 260) * 100,
                    0.0,
                )
            )
        if rng.random() < 0.5:
            bills.append(
                (
                    rng.choice(d["gym"]),
                    "fitness",
                    rng.randint(1, 28),
                    rng.randint(20, 60) * 100,
                    0.0,
                )
            )
        if rng.random() < 0.4:
            bills.append(
                (
                    rng.choice(d["charity"]),
                    "charity",
                    rng.randint(1, 28),
                    rng.randint(5, 30) * 100,
                    0.0,
                )
            )
        if self.has_kids and rng.random() < 0.6:
            bills.append(
                (
                    "BRIGHT START NURSERY",
                    "childcare",
                    rng.randint(1, 5),
                    rng.randint(600, 1400) * 100,
                    0.0,
                )
            )
        sub_label = "subscriptions" if rng.random() < 0.75 else "entertainment"
        for payee, price in self.profile.subs:
            bills.append((payee, sub_label, rng.randint(1, 28), price, 0.0))
        return bills

    def _draw_kinds(self) -> tuple[list[Callable[[date], None]], list[float]]:
        rng = self.rng
        table: list[tuple[Callable[[date], None], float]] = [
            (self.groceries, 18),
            (self.dining, 7),
            (self.coffee, 6 * rng.random() + 1),
            (self.takeaway, 3 * rng.random() + 0.5),
            (self.transit, 6 * rng.random()),
            (self.taxi, 1.5),
            (self.amazon, 4 + 4 * rng.random()),
            (self.paypal, 1),
            (self.shop("pharmacy", None, 9, 0.8), 2.5),
            (self.shop("clothing", "clothing", 35, 0.8), 2),
            (self.shop("diy", "home_improvement", 30, 1.0), 1),
            (self.shop("electronics", "electronics", 60, 1.1), 0.5),
            (self.shop("entertainment", "entertainment", 18, 0.7), 1.5),
            (self.shop("books", "books", 12, 0.6), 0.6),
            (self.cash, 1.2),
            (self.p2p, 2),
            (self.local, 3),
            (self.shop("parking", "transport", 5, 0.6), 1),
        ]
        if self.has_car:
            table.append((self.fuel, 2))
        if self.has_pet:
            table.append((self.shop("pets", "pets", 25, 0.8), 1.2))
        if self.has_kids:
            table.append((self.shop("kids", "kids", 22, 0.8), 1.8))
        return [k for k, _w in table], [w * rng.uniform(0.6, 1.4) for _k, w in table]

    # -- rendering a payee as a bank prints it --------------------------------------
    def render(
        self,
        name: str,
        day: date,
        acct: Account,
        store: str = "",
        place: str | None = None,
        ref: str = "",
    ) -> str:
        """`name` as `acct`'s bank prints it: the merchant part is cut to the bank's width,
        then the bank's own wording is put around it."""
        rng, p = self.rng, self.profile
        if acct.style == "uk_app":  # clean merchant names, no references
            return name.rstrip("*").title()
        if place == "" and not store and not ref:  # a direct debit or a bank transfer
            return name[: max(acct.width, 18)].rstrip()
        city = place if place is not None else p.city
        if acct.style == "us_card" and place is None:
            city = f"{city} {p.state}"
        if acct.style in ("uk_bank", "us_card") and store and rng.random() < 0.1:
            core = f"{name}{store} {city}"  # some terminals glue the store number on
        elif acct.style == "us_card" and store:
            core = f"{name}{ref} #{store} {city}"
        else:
            core = f"{name}{ref} {store} {city}"
        core = " ".join(core.split())[: acct.width].rstrip()
        roll = rng.random()
        if acct.style == "uk_bank" and roll < 0.3:
            return f"CARD PAYMENT TO {core} ON {day:%d-%m-%Y}"
        if acct.style == "us_debit":
            if roll < 0.5:
                return f"DEBIT CARD PURCHASE XXXXX{acct.card_digits} {core}"
            return f"POS {day:%m/%d} {core}"
        return core

    def ref(self) -> str:
        return "".join(self.rng.choices(RANDOM_ALNUM, k=9))

    def card(self) -> Account:
        """The account a card purchase lands on: mostly the credit card if there is one."""
        accts = self.profile.accounts
        spend = [a for a in accts if a.name != "savings"]
        return spend[0] if len(spend) == 1 or self.rng.random() < 0.45 else self.rng.choice(spend)

    def inflate(self, minor: float, day: date, rate: float = 0.035) -> int:
        return max(1, round(minor * float((1 + rate) ** ((day - self.start).days / 365.25))))

    def amount(self, median: float, sigma: float, day: date, rate: float = 0.035) -> int:
        return self.inflate(median * 100 * self.rng.lognormvariate(0, sigma), day, rate)

    def label(self, category: str) -> str:
        """The household's imperfect filing of a discretionary row."""
        if self.rng.random() < 0.02 and category in CONFUSABLE:
            return CONFUSABLE[category]
        return category

    def emit(
        self,
        day: date,
        minor: int,
        payee: str,
        memo: str,
        category: str,
        acct: Account,
        delay: int = 0,
    ) -> None:
        self.seq += 1
        when = (day - self.start).days + delay
        row = (f"{day + timedelta(days=delay):%Y-%m-%d}", minor, payee, memo, category, acct.name)
        heapq.heappush(self.pending, (when, self.seq, row))

    def purchase(
        self,
        day: date,
        name: str,
        minor: int,
        category: str,
        store: str = "",
        refundable: bool = False,
        place: str | None = None,
        ref: str = "",
    ) -> None:
        acct = self.card()
        payee = self.render(name, day, acct, store, place, ref)
        memo = self.rng.choice(["", "", "CONTACTLESS", "POS"]) if acct.style == "uk_bank" else ""
        self.emit(day, -minor, payee, memo, category, acct)
        if refundable and self.rng.random() < 0.03:
            back = minor if self.rng.random() < 0.7 else max(1, minor // 2)
            self.emit(day, back, payee, "REFUND", category, acct, self.rng.randint(3, 20))

    # -- discretionary kinds ---------------------------------------------------------
    def groceries(self, day: date) -> None:
        rng, p = self.rng, self.profile
        key, forms, _w = rng.choices(p.chains, cum_weights=self.chain_cw)[0]
        form = forms[0] if rng.random() < 0.55 else rng.choice(forms)
        small = any(w in form for w in ("EXPRESS", "LOCAL", "METRO", "DAILY", "LITTLE"))
        store = (
            rng.choice(p.local_stores[key]) if rng.random() < 0.9 else f"{rng.randint(1, 9999):04d}"
        )
        minor = self.amount(9 if small else 48, 0.7, day, 0.05)
        category = "groceries"
        if p.lunch_at_supermarket and small and minor < 800 and day.weekday() < 5:
            category = "dining"
        elif rng.random() < 0.12:
            category, minor = "household", self.amount(14, 0.8, day)
        elif key in ("COSTCO", "WALMART", "TARGET") and rng.random() < 0.3:
            category = rng.choice(["household", "clothing", "electronics", "kids"])
            minor = self.amount(40, 0.9, day)
        elif "FUEL" in form:
            category, minor = "fuel", self.amount(45, 0.3, day, 0.05)
        self.purchase(day, form, minor, self.label(category), store)

    def dining(self, day: date) -> None:
        rng, p = self.rng, self.profile
        if rng.random() < 0.004:  # a new local place opens and becomes a regular
            p.restaurants[rng.randrange(len(p.restaurants))] = self._indie(rng)
        if rng.random() < 0.5:
            name = (
                rng.choice(p.restaurants[:4]) if rng.random() < 0.6 else rng.choice(p.restaurants)
            )
            minor = self.amount(38, 0.6, day)
        else:
            name, minor = rng.choice(self.data["dining_chain"]), self.amount(16, 0.6, day)
        self.purchase(day, name, minor, self.label("dining"))

    def coffee(self, day: date) -> None:
        category = self.profile.coffee_label
        if "coffee" in self.profile.drift:
            category = "coffee" if day >= self.profile.drift["coffee"] else "dining"
        self.purchase(
            day,
            self.rng.choice(self.data["coffee"]),
            self.amount(4.2, 0.35, day),
            self.label(category),
        )

    def takeaway(self, day: date) -> None:
        drift = self.profile.drift.get("takeaway")
        category = "dining" if drift is not None and day < drift else "takeaway"
        self.purchase(
            day,
            self.rng.choice(self.data["takeaway"]),
            self.amount(26, 0.4, day),
            self.label(category),
        )

    def transit(self, day: date) -> None:
        self.purchase(
            day,
            self.rng.choice(self.data["transit"]),
            self.amount(6, 0.8, day),
            self.label("transport"),
        )

    def taxi(self, day: date) -> None:
        self.purchase(
            day,
            self.rng.choice(self.data["taxi"]),
            self.amount(14, 0.5, day),
            self.label("transport"),
        )

    def fuel(self, day: date) -> None:
        name = self.rng.choice(self.data["fuel"])
        if self.rng.random() < 0.15:  # a sandwich or a coffee at the forecourt
            self.purchase(day, name, self.amount(5, 0.4, day), self.label("dining"))
            return
        minor = self.amount(50, 0.3, day, 0.05)
        if self.rng.random() < 0.4:
            minor = round(minor, -3)
        self.purchase(day, name, minor, self.label("fuel"), f"{self.rng.randint(1, 999):03d}")

    AMAZON_MIX = (
        ("shopping", 22, 0.9),
        ("household", 18, 0.7),
        ("electronics", 70, 1.0),
        ("books", 11, 0.5),
        ("gifts", 30, 0.7),
        ("kids", 20, 0.7),
        ("clothing", 28, 0.6),
        ("entertainment", 8, 0.6),
    )

    def amazon(self, day: date) -> None:
        rng = self.rng
        weights = [5, 3, 1, 1.5, 4 if day.month == 12 else 0.7, 2 if self.has_kids else 0, 1, 1]
        category, median, sigma = rng.choices(self.AMAZON_MIX, weights=weights)[0]
        drift = self.profile.drift.get("amazon")
        if drift is not None and day >= drift:
            category = "shopping"
        form = rng.choice(self.data["amazon"])
        self.purchase(
            day,
            form,
            self.amount(median, sigma, day),
            self.label(category),
            refundable=True,
            place="",
            ref=self.ref() if form.endswith("*") else "",
        )

    def paypal(self, day: date) -> None:
        rng = self.rng
        seller, category = rng.choice(
            [
                ("EBAY", "shopping"),
                ("EBAY", "electronics"),
                ("DEPOP", "clothing"),
                ("VINTED", "clothing"),
                ("ETSY", "gifts"),
                ("STEAM", "entertainment"),
                ("DELIVEROO", "takeaway"),
                (self.ref()[:7], "shopping"),
            ]
        )
        self.purchase(
            day,
            f"PAYPAL *{seller}",
            self.amount(25, 0.8, day),
            self.label(category),
            refundable=True,
            place="",
        )

    def shop(
        self, kind: str, category: str | None, median: float, sigma: float
    ) -> Callable[[date], None]:
        def buy(day: date) -> None:
            cat = category or ("health" if self.rng.random() < 0.55 else "personal_care")
            store = f"{self.rng.randint(1, 9999)}" if self.rng.random() < 0.5 else ""
            self.purchase(
                day,
                self.rng.choice(self.data[kind]),
                self.amount(median, sigma, day),
                self.label(cat),
                store,
                refundable=kind in ("clothing", "electronics"),
            )

        return buy

    def local(self, day: date) -> None:
        """An independent local business: a regular one, or one never seen before."""
        rng, regulars = self.rng, self.profile.local_shops
        if regulars and rng.random() < 0.6:
            name, category, median, sigma = rng.choice(regulars)
        else:
            words, category, median, sigma = rng.choice(LOCAL_TRADES)
            owner = rng.choice(OWNERS)
            owner = f"{owner}'S" if owner.isalpha() and rng.random() < 0.5 else owner
            name = f"{owner} {rng.choice(words)}"
            if len(regulars) < 12:
                regulars.append((name, category, median, sigma))
            elif rng.random() < 0.3:
                regulars[rng.randrange(len(regulars))] = (name, category, median, sigma)
        self.purchase(day, name, self.amount(median, sigma, day), self.label(category))

    def cash(self, day: date) -> None:
        acct = self.profile.accounts[0]
        where = self.rng.choice(["LINK", "NOTEMACHINE", "CARDTRONICS", self.profile.city])
        payee = self.render(f"ATM WITHDRAWAL {where}", day, acct)
        self.emit(day, -self.rng.choice([2000, 3000, 5000, 10000]), payee, "CASH", "cash", acct)

    def p2p(self, day: date) -> None:
        rng, acct = self.rng, self.profile.accounts[0]
        name, usual = rng.choice(self.profile.friends)
        category = usual if rng.random() < 0.7 else rng.choice(["dining", "gifts", "transfer"])
        if self.profile.region == "UK":
            payee = f"{name} FASTER PAYMENT" if rng.random() < 0.5 else f"TO {name}"
        else:
            payee = rng.choice([f"VENMO *{name}", f"ZELLE TO {name}"])
        minor = self.amount(30, 0.8, day)
        if rng.random() < 0.35:  # they pay the household back
            minor = -minor
        self.emit(day, -minor, payee, f"REF {rng.randint(10**7, 10**8 - 1)}", category, acct)

    def abroad(self, day: date) -> None:
        """Book a holiday today; spend abroad (labelled travel) a month or three later."""
        self.purchase(
            day,
            self.rng.choice(self.data["airline"]),
            self.amount(180, 0.5, day),
            "travel",
            place="",
            ref=" " + self.ref()[:6],
        )
        self.purchase(
            day, self.rng.choice(self.data["hotel"]), self.amount(300, 0.6, day), "travel", place=""
        )
        city, country = self.rng.choice(ABROAD)
        trip = day + timedelta(days=self.rng.randint(30, 90))
        for _ in range(self.rng.randint(3, 9) * max(1, round(self.daily / 10))):
            when = trip + timedelta(days=self.rng.randint(0, 10))
            self.purchase(
                when,
                self.rng.choice(ABROAD_MERCHANTS),
                self.amount(25, 0.9, day),
                "travel",
                place=f"{city} {country}",
            )

    # -- recurring ------------------------------------------------------------------
    def recurring(self, day: date) -> None:
        rng, p, accts = self.rng, self.profile, self.profile.accounts
        main = accts[0]
        years = (day - self.start).days / 365.25
        if self._is_payday(day):
            employer = self.data["employer"][self.seq_employer]
            raise_ = (1.03 ** int(years)) * (1.0 if self.profile.region == "UK" else 0.46)
            minor = round(self.salary * raise_ * rng.uniform(0.97, 1.03))
            text = rng.choice(
                [f"{employer} SALARY", f"BGC {employer}", f"PAYROLL {employer}"]
                if p.region == "UK"
                else [f"{employer} DIRECT DEP", f"{employer} PAYROLL PPD"]
            )
            self.emit(day, minor, self.render(text, day, main, place=""), "", "salary", main)
        if day.day == 1:
            kind = "landlord" if self.housing % 2 else "lender"
            name = self.data[kind][self.housing % len(self.data[kind])]
            self.emit(
                day,
                -self.inflate(self.housing, day, 0.02 if kind == "lender" else 0.04),
                self.render(f"SO {name}" if kind == "landlord" else name, day, main, place=""),
                "STANDING ORDER",
                "rent" if kind == "landlord" else "mortgage",
                main,
            )
        for payee, category, dom, minor, swing in self.bills:
            if day.day == dom:
                winter = 1 + swing * math.cos((day.month - 1) / 12 * 2 * math.pi)
                price = (
                    self.inflate(minor * winter, day, 0.05)
                    if swing
                    else self.inflate(minor, date(day.year, 1, 1), 0.06)
                )
                acct = accts[1] if category == "subscriptions" and len(accts) > 1 else main
                self.emit(
                    day,
                    -price,
                    self.render(payee, day, acct, place=""),
                    "DIRECT DEBIT",
                    category,
                    acct,
                )
        if rng.random() < (1 / 60 if day.month in (5, 6, 7) else 1 / 250):
            self.abroad(day)  # two or three holidays a year, mostly booked in spring
        if len(accts) > 1 and day.day == 20:  # pay the credit card off
            card = accts[1]
            amount = int(round(self.salary * rng.uniform(0.15, 0.45), -2))
            issuer = self.data["card_issuer"][len(card.card_digits) % 3]
            self.emit(
                day,
                -amount,
                self.render(f"{issuer} PAYMENT", day, main, place=""),
                "",
                "transfer",
                main,
            )
            self.emit(day, amount, "PAYMENT RECEIVED - THANK YOU", "", "transfer", card)
        if len(accts) > 2 and day.day == 27:  # save some of the salary
            save = accts[2]
            amount = int(round(self.salary * rng.uniform(0.05, 0.15), -2))
            self.emit(
                day, -amount, f"TRANSFER TO {save.card_digits}1122 SAVINGS", "", "transfer", main
            )
            self.emit(day, amount, f"TRANSFER FROM {main.card_digits}3344", "", "transfer", save)
            self.emit(day, max(1, amount // 400), "INTEREST PAID", "", "interest", save)

    @property
    def seq_employer(self) -> int:
        return self.salary // 100 % len(self.data["employer"])

    def _is_payday(self, day: date) -> bool:
        if self.profile.region == "US":
            return (day - self.start).days % 14 == 4
        target = 25 - max(0, date(day.year, day.month, 25).weekday() - 4)
        return day.day == target

    # -- the stream -----------------------------------------------------------------
    def day_weights(self) -> list[float]:
        week = [0.9, 0.9, 0.95, 1.0, 1.2, 1.4, 1.0]
        month = [0.85, 0.9, 1.0, 1.0, 1.0, 1.05, 1.1, 1.15, 1.0, 1.0, 1.05, 1.35]
        weights = []
        for i in range(self.days):
            d = self.start + timedelta(days=i)
            weights.append(week[d.weekday()] * month[d.month - 1] * self.rng.uniform(0.4, 1.6))
        return weights

    def rows(self, total: int) -> Iterator[tuple[str, int, str, str, str, str]]:
        weights = self.day_weights()
        cum, acc = [], 0.0
        for w in weights:
            acc += w
            cum.append(acc)
        self.daily = total / self.days
        amazon = self.kinds.index(self.amazon)
        month_cw = []
        for month in range(1, 13):  # Christmas shopping
            ws = list(self.kind_weights)
            ws[amazon] *= 1.8 if month in (11, 12) else 1.0
            month_cw.append(list(itertools.accumulate(ws)))
        written = 0
        for i in range(self.days):
            day = self.start + timedelta(days=i)
            self.recurring(day)
            target = round(total * cum[i] / acc) if i < self.days - 1 else total
            scheduled = sum(1 for when, _s, _r in self.pending if when <= i)
            for kind in self.rng.choices(
                self.kinds,
                cum_weights=month_cw[day.month - 1],
                k=max(0, target - written - scheduled),
            ):
                kind(day)
            while self.pending and self.pending[0][0] <= i:
                yield heapq.heappop(self.pending)[2]
                written += 1
                if written >= total:
                    return
        while self.pending and written < total:  # refunds and trips that fell past the end
            yield heapq.heappop(self.pending)[2]
            written += 1


def generate(
    rows: int, *, years: int = 5, seed: int = 1, accounts: int = 3, start: date = date(2021, 1, 1)
) -> Iterator[tuple[str, int, str, str, str, str]]:
    """Yield (date, amount_minor, payee, memo, category, account) rows in date order."""
    return Household(seed, accounts, start, years).rows(rows)


def write(rows: Iterator[tuple[str, int, str, str, str, str]], out: TextIO, fmt: str) -> int:
    count = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for day, minor, payee, memo, category, account in rows:
            writer.writerow((day, fmt_amount(minor), payee, memo, category, account))
            count += 1
    else:
        for day, minor, payee, memo, category, account in rows:
            out.write(
                json.dumps(
                    dict(
                        zip(
                            COLUMNS,
                            (day, fmt_amount(minor), payee, memo, category, account),
                            strict=True,
                        )
                    )
                )
                + "\n"
            )
            count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000, help="rows to write (exactly)")
    parser.add_argument("--years", type=int, default=5, help="years of history")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--accounts", type=int, default=3, help="accounts the household holds")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2021, 1, 1))
    parser.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    parser.add_argument("--out", default="-", help="output file, '-' for standard output")
    args = parser.parse_args(argv)
    rows = generate(
        args.rows, years=args.years, seed=args.seed, accounts=args.accounts, start=args.start
    )
    if args.out == "-":
        write(rows, sys.stdout, args.format)
    else:
        with open(args.out, "w", encoding="utf-8", newline="") as out:
            write(rows, out, args.format)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
