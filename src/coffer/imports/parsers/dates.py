"""Date formats: fast parsers for strftime-style formats, and detection from samples.

Bank files repeat the same date on many rows and span a few years, so each parser
caches what it has parsed: a million-row file costs a few thousand real parses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime

# Candidates for "auto", most specific first. Formats that read the same text as
# different dates (day/month against month/day) are what detection must refuse.
CANDIDATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d",
    "%Y%m%d",
    "%d.%m.%Y",
    "%d.%m.%y",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d/%m/%y",
    "%m/%d/%y",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%d %b %Y",
    "%d-%b-%Y",
    "%b %d, %Y",
)

_CACHE_LIMIT = 8192
_NUMERIC = re.compile(r"(%[dmYy])([./-])(%[dmYy])\2(%[dmYy])")
_ISO_PREFIX = "%Y-%m-%d"


class DateFormatError(ValueError):
    """A date format that cannot be used or detected; the message says why."""


def date_parser(fmt: str) -> Callable[[str], date]:
    """A function reading `fmt` dates; it raises ValueError on text that does not fit."""
    return cached_date_parser(fmt)[1]


def cached_date_parser(fmt: str) -> tuple[dict[str, date], Callable[[str], date]]:
    """The parser and its cache, for hot loops that look the cache up before calling."""
    slow = _uncached_parser(fmt)
    cache: dict[str, date] = {}

    def parse(text: str) -> date:
        found = cache.get(text)
        if found is None:
            found = slow(text.strip())
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            cache[text] = found
        return found

    return cache, parse


def _uncached_parser(fmt: str) -> Callable[[str], date]:
    if fmt == _ISO_PREFIX:
        return _iso_date
    if fmt.startswith(_ISO_PREFIX + "T") or fmt.startswith(_ISO_PREFIX + " "):
        return _iso_timestamp(fmt)
    numeric = _NUMERIC.fullmatch(fmt)
    if numeric:
        return _split_parser(numeric.group(2), (numeric[1], numeric[3], numeric[4]))
    if not _names_a_whole_date(fmt):
        raise DateFormatError(f"{fmt!r} must name a day, a month and a year")
    try:
        datetime.strptime(datetime(2024, 1, 31).strftime(fmt), fmt)
    except ValueError as exc:
        raise DateFormatError(f"{fmt!r} is not a usable date format") from exc
    return lambda text: datetime.strptime(text, fmt).date()


def _names_a_whole_date(fmt: str) -> bool:
    return (
        "%d" in fmt
        and any(code in fmt for code in ("%m", "%b", "%B"))
        and any(code in fmt for code in ("%Y", "%y"))
    )


def _iso_date(text: str) -> date:
    if len(text) != 10:
        raise ValueError(text)
    return date.fromisoformat(text)


def _iso_timestamp(fmt: str) -> Callable[[str], date]:
    # The local calendar day is the first ten characters; converting the time to UTC
    # would move late-evening transactions to the next day.
    def parse(text: str) -> date:
        datetime.strptime(text, fmt)
        return date.fromisoformat(text[:10])

    return parse


def _split_parser(sep: str, order: tuple[str, str, str]) -> Callable[[str], date]:
    """Day, month and year separated by one character; leading zeros are optional."""
    year_at = order.index("%Y") if "%Y" in order else order.index("%y")
    two_digit = "%y" in order
    month_at, day_at = order.index("%m"), order.index("%d")

    def parse(text: str) -> date:
        parts = text.split(sep)
        if len(parts) != 3 or not all(p.isdigit() and p.isascii() for p in parts):
            raise ValueError(text)
        year = parts[year_at]
        if len(year) != (2 if two_digit else 4) or len(parts[month_at]) > 2:
            raise ValueError(text)
        if len(parts[day_at]) > 2:
            raise ValueError(text)
        number = int(year)
        if two_digit:  # the POSIX pivot strptime uses: 69-99 are 19xx
            number += 1900 if number >= 69 else 2000
        return date(number, int(parts[month_at]), int(parts[day_at]))

    return parse


def fits(fmt: str, values: Iterable[str]) -> bool:
    """Whether `fmt` reads every one of `values`."""
    listed = list(values)
    return _fit_count(fmt, listed) == len(listed)


def _fit_count(fmt: str, values: list[str]) -> int:
    parse = _uncached_parser(fmt)
    count = 0
    for value in values:
        try:
            parse(value.strip())
        except ValueError:
            continue
        count += 1
    return count


def detect_date_format(values: Iterable[str]) -> str:
    """The one candidate format that reads the most values (a typo on one row must not
    stop detection; that row is reported when it is read).

    Raises DateFormatError when no format reads any value, or when several read as many
    (dates such as 03/04/2024 with no day past the 12th): a guess could shift every date
    of the file.
    """
    sample = [v.strip() for v in values if v.strip()]
    if not sample:
        raise DateFormatError("there are no dates to detect the format from")
    counts = {fmt: _fit_count(fmt, sample) for fmt in CANDIDATE_FORMATS}
    best = max(counts.values())
    if best == 0:
        raise DateFormatError(f"{sample[0]!r} is not a date in any known format; choose one")
    matching = [fmt for fmt, count in counts.items() if count == best]
    if len(matching) > 1:
        # Even when the sample reads the same either way (01/01), the rest of the file
        # may not: a second format reading as many dates is an ambiguity to refuse.
        shown = " or ".join(describe(fmt) for fmt in matching)
        example = next((v for v in sample if _differs(v, matching)), sample[0])
        raise DateFormatError(f"dates such as {example!r} could be {shown}; choose the date format")
    return matching[0]


def _differs(value: str, formats: list[str]) -> bool:
    """Whether every one of `formats` reads `value`, and not all as the same day."""
    try:
        readings = {_uncached_parser(fmt)(value) for fmt in formats}
    except ValueError:
        return False
    return len(readings) > 1


def describe(fmt: str) -> str:
    """A person's reading of a format: "%d/%m/%Y" is "DD/MM/YYYY"."""
    words = {"%d": "DD", "%m": "MM", "%Y": "YYYY", "%y": "YY", "%b": "Mon"}
    for code, word in words.items():
        fmt = fmt.replace(code, word)
    return fmt
