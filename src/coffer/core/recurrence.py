"""When bills recur: RFC 5545 RRULE strings, read with python-dateutil.

A recurrence is a rule such as "FREQ=MONTHLY;BYMONTHDAY=15" (an optional "RRULE:"
prefix is accepted) together with a start date, `dtstart`, kept beside it. Bills fall
on dates, not times, so:
- the rule runs from midnight of `dtstart`, and every occurrence is a date;
- FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY; time-of-day parts (BYHOUR,
  BYMINUTE, BYSECOND) are refused;
- an UNTIL written with a time ("20261231T235959Z") counts by its date alone, and
  that date is included;
- the start date is never part of the text (no DTSTART line), and the text is one
  RRULE only (no EXDATE, RDATE or second line).

As dateutil does, `dtstart` is an occurrence only when it matches the rule: "FREQ=
MONTHLY;BYMONTHDAY=15" started on 3 March first falls on 15 March. When a rule does
not say which day, it takes it from `dtstart` ("FREQ=MONTHLY" started on 15 March
falls on the 15th). Week-based rules with an INTERVAL count weeks from the week of
`dtstart` (weeks start on Monday unless WKST says otherwise).

A rule that never produces a date on or after `dtstart` (COUNT=0, UNTIL before the
start, 30 February) is refused. The rule library finds that out by searching up to the
year 9999, which takes seconds for a rule whose parts filter every day away, so the
parts are checked first and contradictions are refused at once: a day of the month
that none of the rule's months has, a BYSETPOS beyond the dates a period can offer,
and parts bills never use (BYYEARDAY, BYWEEKNO, ...). What is left to the search is
a contradiction between BYSETPOS and a combination of days (the 1st and 2nd of a
month both Mondays), which costs it about half a second for a monthly rule and a
second and a half for a weekly one.

Presets build the rules a person usually means. `monthly_on_day(31)` falls on the
last day of shorter months (28 or 29 February, 30 April): it is written with
BYMONTHDAY and BYSETPOS, because BYMONTHDAY=31 alone skips those months.
Weekdays are numbered as `date.weekday()`: 0 is Monday, 6 is Sunday.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time

from dateutil.rrule import rrule, rrulestr


class RecurrenceError(ValueError):
    """A recurrence rule that cannot be used; the message says why."""


_FREQUENCIES = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY")
_TOO_FINE = ("HOURLY", "MINUTELY", "SECONDLY")
_TIME_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")
_WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_BUSINESS_DAYS = frozenset(_WEEKDAY_CODES[:5])
_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}


# --- reading rules --------------------------------------------------------------------


def _positive_int(name: str, value: str) -> None:
    if not value.isdigit() or int(value) < 1:
        raise RecurrenceError(f"{name} must be a whole number of at least 1, not {value!r}")


def _parts(text: str) -> dict[str, str]:
    """The rule's NAME=VALUE parts, upper-cased, checked and normalised (see module doc)."""
    if not isinstance(text, str):
        raise RecurrenceError(f"a recurrence rule must be text, not {text!r}")
    body = text.strip()
    if "\n" in body or "\r" in body:
        raise RecurrenceError("give one RRULE line only (no DTSTART, EXDATE or RDATE lines)")
    upper = body.upper()
    if "DTSTART" in upper:
        raise RecurrenceError("DTSTART cannot be part of the rule; the start date is given apart")
    if upper.startswith("RRULE:"):
        upper = upper[len("RRULE:") :].strip()
    if ":" in upper:
        raise RecurrenceError(f"{text!r} is not an RRULE (expected e.g. 'FREQ=MONTHLY')")
    if upper.endswith(";"):
        upper = upper[:-1]
    if not upper:
        raise RecurrenceError("the recurrence rule is empty")

    parts: dict[str, str] = {}
    for piece in upper.split(";"):
        name, equals, value = (s.strip() for s in piece.partition("="))
        if not equals or not name or not value:
            raise RecurrenceError(f"{piece.strip()!r} in {text!r} is not of the form NAME=VALUE")
        if name in parts:
            raise RecurrenceError(f"{name} appears twice in {text!r}")
        parts[name] = value

    freq = parts.get("FREQ")
    if freq is None:
        raise RecurrenceError(f"{text!r} has no FREQ (e.g. FREQ=MONTHLY)")
    if freq in _TOO_FINE:
        raise RecurrenceError(f"FREQ={freq} is finer than a day; bills recur DAILY at most")
    if freq not in _FREQUENCIES:
        raise RecurrenceError(f"FREQ={freq} is not one of {', '.join(_FREQUENCIES)}")
    for name in _TIME_PARTS:
        if name in parts:
            raise RecurrenceError(f"{name} sets a time of day; bills recur on dates only")
    if "COUNT" in parts and "UNTIL" in parts:
        raise RecurrenceError("give COUNT or UNTIL, not both")
    for name in ("INTERVAL", "COUNT"):
        if name in parts:
            _positive_int(name, parts[name])
    if "UNTIL" in parts:
        until = parts["UNTIL"].partition("T")[0]
        if len(until) != 8 or not until.isdigit():
            raise RecurrenceError(f"UNTIL must be a date written YYYYMMDD, not {parts['UNTIL']!r}")
        parts["UNTIL"] = until
    _check_possible(parts)
    return parts


# The parts a bill's rule may use besides FREQ, INTERVAL, COUNT, UNTIL and WKST.
_DATE_PARTS = ("BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS")
_KNOWN_PARTS = frozenset({"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST", *_DATE_PARTS})
# The longest each month can be (February in a leap year).
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _numbers(name: str, value: str, low: int, high: int) -> list[int]:
    found = []
    for item in value.split(","):
        text = item.strip()
        number = int(text) if text.lstrip("+-").isdigit() else None
        if number is None or number == 0 or not low <= abs(number) <= high:
            raise RecurrenceError(
                f"{name} values are whole numbers from 1 to {high} or -1 to -{high}"
            )
        found.append(number)
    return found


def _check_possible(parts: dict[str, str]) -> None:
    """Refuse, at once, the parts bills do not use and the rules that can never fall on
    a date because their parts contradict each other (30 February, the sixth Monday of
    a month). Finding that out by searching takes the rule library seconds: it walks
    every day up to the year 9999 before it gives up."""
    unknown = sorted(set(parts) - _KNOWN_PARTS)
    if unknown:
        raise RecurrenceError(
            f"{', '.join(unknown)} is not used for bills; a rule may use "
            "FREQ, INTERVAL, COUNT, UNTIL, WKST, BYDAY, BYMONTHDAY, BYMONTH and BYSETPOS"
        )
    months = _numbers("BYMONTH", parts["BYMONTH"], 1, 12) if "BYMONTH" in parts else None
    if months is not None and any(m < 0 for m in months):
        raise RecurrenceError("BYMONTH values are months from 1 to 12")
    days = _numbers("BYMONTHDAY", parts["BYMONTHDAY"], 1, 31) if "BYMONTHDAY" in parts else None
    if days is not None and months is not None:
        longest = max(_MONTH_DAYS[m - 1] for m in months)
        if all(abs(d) > longest for d in days):
            listed = ", ".join(_MONTH_NAMES[m - 1] for m in months)
            raise RecurrenceError(f"no day {parts['BYMONTHDAY']} exists in {listed}")
    if "BYSETPOS" in parts:
        positions = _numbers("BYSETPOS", parts["BYSETPOS"], 1, 366)
        most = _candidates_per_period(parts, days)
        if all(abs(p) > most for p in positions):
            raise RecurrenceError(
                f"BYSETPOS={parts['BYSETPOS']} asks for more dates than each "
                f"{parts['FREQ'].lower()} period has ({most} at most)"
            )


def _candidates_per_period(parts: dict[str, str], days: list[int] | None) -> int:
    """An upper bound of the dates one period of the rule offers BYSETPOS to choose from."""
    freq = parts["FREQ"]
    weekdays = [w.strip() for w in parts.get("BYDAY", "").split(",") if w.strip()]
    if freq == "DAILY":
        return 1
    # Each listed day of the month falls at most once in a week or a month, each
    # weekday once in a week and up to five times in a month (once with a position).
    by_day = len(days) if days is not None else None
    if freq == "WEEKLY":
        in_week = min(len(weekdays), 7) if weekdays else (7 if days is not None else 1)
        return min(in_week, by_day) if by_day is not None else in_week
    if freq == "MONTHLY":
        in_month = sum(1 if w[:-2] else 5 for w in weekdays) if weekdays else None
        bounds = [b for b in (by_day, in_month) if b is not None]
        return min(bounds) if bounds else 1
    return 366


def _body(parts: dict[str, str]) -> str:
    return ";".join(f"{name}={value}" for name, value in parts.items())


def _midnight(day: date, name: str) -> datetime:
    if isinstance(day, datetime) or not isinstance(day, date):
        raise RecurrenceError(f"{name} must be a date, not {day!r}")
    return datetime.combine(day, time())


def _build(parts: dict[str, str], text: str, dtstart: date) -> rrule:
    start = _midnight(dtstart, "dtstart")
    try:
        rule = rrulestr(_body(parts), dtstart=start)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise RecurrenceError(f"{text!r} is not a valid RRULE: {exc}") from exc
    first: datetime | None = rule.after(start, inc=True)
    if first is None:
        raise RecurrenceError(f"{text!r} produces no date on or after {dtstart.isoformat()}")
    return rule


def parse_rule(text: str, dtstart: date) -> rrule:
    """The dateutil rule for `text` starting on `dtstart`; RecurrenceError if unusable."""
    return _build(_parts(text), text, dtstart)


def occurrences(text: str, dtstart: date, start: date, end: date) -> list[date]:
    """Every date the rule falls on from `start` to `end`, both inclusive, in order."""
    first, last = _midnight(start, "start"), _midnight(end, "end")
    if last < first:
        raise RecurrenceError(f"end ({end}) is before start ({start})")
    found: list[datetime] = parse_rule(text, dtstart).between(first, last, inc=True)
    return [moment.date() for moment in found]


def next_occurrence(text: str, dtstart: date, after: date, inclusive: bool = True) -> date | None:
    """The first date the rule falls on after `after` (or on it, when `inclusive`);
    None when the rule has ended."""
    found: datetime | None = parse_rule(text, dtstart).after(
        _midnight(after, "after"), inc=inclusive
    )
    return None if found is None else found.date()


# --- presets --------------------------------------------------------------------------


def _weekday_code(weekday: int) -> str:
    if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
        raise RecurrenceError(f"weekday must be 0 (Monday) to 6 (Sunday), not {weekday!r}")
    return _WEEKDAY_CODES[weekday]


def _whole(name: str, value: int, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise RecurrenceError(f"{name} must be a whole number from {low} to {high}, not {value!r}")
    return value


def monthly_on_day(day: int) -> str:
    """Monthly on `day` (1–31); in months without that day, on the month's last day."""
    _whole("day", day, 1, 31)
    if day <= 28:
        return f"FREQ=MONTHLY;BYMONTHDAY={day}"
    candidates = ",".join(str(d) for d in range(28, day + 1))
    return f"FREQ=MONTHLY;BYMONTHDAY={candidates};BYSETPOS=-1"


def last_business_day() -> str:
    """Monthly on the last Monday-to-Friday of the month (public holidays are not known)."""
    return "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"


def weekly_on(weekday: int) -> str:
    """Every week on `weekday` (0 = Monday … 6 = Sunday)."""
    return f"FREQ=WEEKLY;BYDAY={_weekday_code(weekday)}"


def every_n_weeks(n: int, weekday: int) -> str:
    """Every `n` weeks on `weekday`, counted from the week of the rule's start date."""
    _whole("n", n, 1, 520)
    if n == 1:
        return weekly_on(weekday)
    return f"FREQ=WEEKLY;INTERVAL={n};BYDAY={_weekday_code(weekday)}"


def yearly_on(month: int, day: int) -> str:
    """Every year on `day` `month`; 29 February falls on 28 February in common years."""
    _whole("month", month, 1, 12)
    _whole("day", day, 1, calendar.monthrange(2024, month)[1])  # 2024: a leap year
    if (month, day) == (2, 29):
        return "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=28,29;BYSETPOS=-1"
    return f"FREQ=YEARLY;BYMONTH={month};BYMONTHDAY={day}"


# --- plain English --------------------------------------------------------------------


def _ints(value: str | None) -> list[int] | None:
    if value is None:
        return None
    try:
        return [int(piece) for piece in value.split(",")]
    except ValueError:
        return None


def _and_join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _every(freq: str, interval: int) -> str:
    unit = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}[freq]
    if interval == 1:
        return "Daily" if freq == "DAILY" else freq.capitalize()
    return f"Every {interval} {unit}s"


def _on_day_of_month(day: int) -> str:
    if day == -1:
        return "on the last day"
    if day > 28:
        return f"on day {day}, in months that have it"
    return f"on day {day}"


def _on_date(month: int, day: int) -> str:
    text = f"on {day} {_MONTH_NAMES[month - 1]}"
    return text + ", in leap years" if (month, day) == (2, 29) else text


def _weekdays(value: str) -> list[str] | None:
    codes = value.split(",")
    if not all(code in _WEEKDAY_CODES for code in codes):
        return None
    return [_WEEKDAY_NAMES[_WEEKDAY_CODES.index(code)] for code in codes]


def _monthly_phrase(rest: dict[str, str], dtstart: date) -> str | None:
    names = set(rest)
    days = _ints(rest.get("BYMONTHDAY"))
    setpos = _ints(rest.get("BYSETPOS"))
    if not names:
        return _on_day_of_month(dtstart.day)
    if names == {"BYMONTHDAY"} and days is not None and len(days) == 1:
        day = days[0]
        return _on_day_of_month(day) if 1 <= day <= 31 or day == -1 else None
    if names == {"BYMONTHDAY", "BYSETPOS"} and days and setpos == [-1]:
        if sorted(days) == list(range(28, 32)):
            return "on the last day"
        if sorted(days) in (list(range(28, 30)), list(range(28, 31))):
            return f"on day {max(days)}, or the last day of shorter months"
        return None
    if names == {"BYDAY", "BYSETPOS"} and setpos in ([1], [-1]):
        if set(rest["BYDAY"].split(",")) == _BUSINESS_DAYS:
            assert setpos is not None
            return f"on the {_ORDINALS[setpos[0]]} business day"
        return None
    if names == {"BYDAY"} and "," not in rest["BYDAY"]:
        code = rest["BYDAY"][-2:]
        position = _ints(rest["BYDAY"][:-2])
        if code in _WEEKDAY_CODES and position and position[0] in _ORDINALS:
            weekday = _WEEKDAY_NAMES[_WEEKDAY_CODES.index(code)]
            return f"on the {_ORDINALS[position[0]]} {weekday}"
    return None


def _yearly_phrase(rest: dict[str, str], dtstart: date) -> str | None:
    names = set(rest)
    months = _ints(rest.get("BYMONTH"))
    days = _ints(rest.get("BYMONTHDAY"))
    if not names:
        return _on_date(dtstart.month, dtstart.day)
    if not months or len(months) != 1 or not 1 <= months[0] <= 12:
        return None
    if names == {"BYMONTH"}:
        return _on_date(months[0], dtstart.day)
    if names == {"BYMONTH", "BYMONTHDAY"} and days and len(days) == 1 and days[0] >= 1:
        return _on_date(months[0], days[0])
    if (
        names == {"BYMONTH", "BYMONTHDAY", "BYSETPOS"}
        and months == [2]
        and sorted(days or []) == [28, 29]
        and _ints(rest["BYSETPOS"]) == [-1]
    ):
        return "on the last day of February"
    return None


def _phrase(parts: dict[str, str], dtstart: date) -> str | None:
    freq = parts["FREQ"]
    rest = {
        name: value
        for name, value in parts.items()
        if name not in ("FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST")
    }
    every = _every(freq, int(parts.get("INTERVAL", "1")))
    on: str | None
    if freq == "DAILY":
        on = "" if not rest else None
    elif freq == "WEEKLY":
        if not rest:
            on = f"on {_WEEKDAY_NAMES[dtstart.weekday()]}"
        elif set(rest) == {"BYDAY"} and (names := _weekdays(rest["BYDAY"])):
            on = f"on {_and_join(names)}"
        else:
            on = None
    elif freq == "MONTHLY":
        on = _monthly_phrase(rest, dtstart)
    else:
        on = _yearly_phrase(rest, dtstart)
    if on is None:
        return None
    text = f"{every} {on}" if on else every

    if "COUNT" in parts:
        count = int(parts["COUNT"])
        text += ", once" if count == 1 else f", {count} times"
    if "UNTIL" in parts:
        until = datetime.strptime(parts["UNTIL"], "%Y%m%d").date()
        text += f", until {until.day} {_MONTH_NAMES[until.month - 1]} {until.year}"
    return text


def describe(text: str, dtstart: date) -> str:
    """Plain English for common rules ("Monthly on day 15", "Every 2 weeks on Friday").

    Rules it has no words for come back as their RRULE text (upper case, no prefix).
    The rule is checked first, so a bad rule raises RecurrenceError.
    """
    parts = _parts(text)
    _build(parts, text, dtstart)
    return _phrase(parts, dtstart) or _body(parts)
