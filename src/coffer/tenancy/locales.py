"""Currencies and locales a household may choose, from Babel's CLDR data.

Validation accepts every ISO 4217 code Babel knows (historic ones too, so an old
import in a retired currency still has a home); the pickers offer only the currencies
in use today and the locales that name a country, which is what a person looks for.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.localedata import locale_identifiers
from babel.numbers import get_currency_name, get_territory_currencies, list_currencies

# Labels are in English until the interface itself is translated.
LABEL_LOCALE = "en"


@lru_cache(maxsize=1)
def _iso_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def normalise_currency(code: str) -> str | None:
    """The upper-case ISO 4217 code, or None when Babel does not know it."""
    candidate = code.strip().upper()
    return candidate if candidate in _iso_currencies() else None


def normalise_locale(identifier: str) -> str | None:
    """The canonical identifier ("en-us" -> "en_US"), or None when it is not a locale."""
    candidate = identifier.strip().replace("-", "_")
    if not candidate or len(candidate) > 20:
        return None
    try:
        return str(Locale.parse(candidate))
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def currency_label(code: str) -> str:
    return f"{code} — {get_currency_name(code, locale=LABEL_LOCALE)}"


def locale_label(identifier: str) -> str:
    try:
        return Locale.parse(identifier).get_display_name(LABEL_LOCALE) or identifier
    except (UnknownLocaleError, ValueError):
        return identifier


@lru_cache(maxsize=1)
def _current_currencies() -> tuple[str, ...]:
    today = date.today()
    codes: set[str] = set()
    for territory in get_global("territory_currencies"):
        codes.update(get_territory_currencies(territory, today, tender=True))
    return tuple(sorted(codes & _iso_currencies()))


@lru_cache(maxsize=1)
def _country_locales() -> tuple[tuple[str, str], ...]:
    choices = []
    for identifier in locale_identifiers():
        try:
            locale = Locale.parse(identifier)
        except (UnknownLocaleError, ValueError):
            continue
        if locale.territory and not locale.variant:
            choices.append((str(locale), locale.get_display_name(LABEL_LOCALE) or str(locale)))
    return tuple(sorted(set(choices), key=lambda choice: choice[1].casefold()))


def currency_choices(current: str | None = None) -> list[tuple[str, str]]:
    """(code, label) pairs for a select; the current value stays listed even if retired."""
    codes = list(_current_currencies())
    if current and current not in codes and normalise_currency(current):
        codes.append(current)
        codes.sort()
    return [(code, currency_label(code)) for code in codes]


def locale_choices(current: str | None = None) -> list[tuple[str, str]]:
    """(identifier, label) pairs for a select, sorted by the label a person reads."""
    choices = list(_country_locales())
    if current and current not in {value for value, _ in choices} and normalise_locale(current):
        choices.insert(0, (current, locale_label(current)))
    return choices
