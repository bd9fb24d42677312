"""QIF dates: "1/15/2024", "01/15/24", "1/15'24" (Quicken's apostrophe for 2000 and on),
"15/01/2024" from UK software, " 1/ 5'24" with spaces for zeros, and ISO "2024-01-15".

Whether 03/04/2024 is March or April depends on the program that wrote the file and
nothing in it says which. The order is read from the file's own dates (any day past the
12th settles it) or given as a hint; when neither settles it, the file is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

MONTH_FIRST = "mdy"
DAY_FIRST = "dmy"
ORDERS = (MONTH_FIRST, DAY_FIRST)

_PATTERN = re.compile(
    r"\s*(?P<a>\d{1,4})\s*[/.\-]\s*(?P<b>\d{1,2})\s*(?P<sep>['/.\-])\s*(?P<c>\d{1,4})\s*"
)


class QifDateError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class RawDate:
    """A date's three numbers before the order is known."""

    first: int
    second: int
    year: int
    iso: bool  # year first, so the order is not in question

    def resolve(self, order: str) -> date:
        if self.iso:
            return date(self.year, self.first, self.second)
        month, day = (
            (self.first, self.second) if order == MONTH_FIRST else (self.second, self.first)
        )
        return date(self.year, month, day)


def split_date(text: str) -> RawDate:
    match = _PATTERN.fullmatch(text)
    if not match:
        raise QifDateError(f"{text.strip()!r} is not a date")
    a, b, c = match["a"], int(match["b"]), match["c"]
    if len(a) == 4:
        return RawDate(b, int(c), int(a), iso=True)
    return RawDate(int(a), b, _year(c, apostrophe=match["sep"] == "'"), iso=False)


def _year(text: str, *, apostrophe: bool) -> int:
    number = int(text)
    if len(text) == 4:
        return number
    if len(text) != 2 and not apostrophe:
        raise QifDateError(f"{text!r} is not a year")
    if apostrophe:  # Quicken writes 2000 and later as '00, '24
        return 2000 + number
    return number + (1900 if number >= 69 else 2000)  # the POSIX pivot strptime uses


def infer_order(dates: list[RawDate], hint: str | None) -> str:
    """The date order of a file: the hint if given, else what its dates prove."""
    if hint is not None:
        if hint not in ORDERS:
            raise QifDateError(f"the date order must be one of {', '.join(ORDERS)}")
        return hint
    day_first = any(d.first > 12 for d in dates if not d.iso)
    month_first = any(d.second > 12 for d in dates if not d.iso)
    if day_first and month_first:
        raise QifDateError("the file mixes month/day and day/month dates")
    if day_first:
        return DAY_FIRST
    if month_first or all(d.iso or d.first == d.second for d in dates):
        return MONTH_FIRST
    example = next(d for d in dates if not d.iso and d.first != d.second)
    raise QifDateError(
        f"dates such as {example.first:02}/{example.second:02}/{example.year} could be "
        "month/day or day/month; choose the date order"
    )
