"""Jinja2 rendering for pages.

`render` adds what every page needs: the CSRF token, the theme, flash messages, and
whatever the page dependencies placed in `request.state.page_context` (the signed-in
user, their tenants, the active tenant). This module knows no domain: the domains put
their objects there.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.numbers import (
    format_currency,
    format_decimal,
    get_decimal_symbol,
    get_group_symbol,
)
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape

from coffer import __version__
from coffer.core import money
from coffer.web.csrf import csrf_token

FLASH_KEY = "flash"
THEMES = frozenset({"auto", "light", "dark"})


def init_templates(app: FastAPI, directories: list[Path]) -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader([str(d) for d in directories]),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["coffer_version"] = __version__
    env.filters["money"] = _money_filter
    env.filters["amount"] = _amount_filter
    env.filters["day"] = _day_filter
    templates = Jinja2Templates(env=env)
    app.state.templates = templates
    return templates


DEFAULT_LOCALE = "en_US"


def _locale(context: Any) -> str:
    return str(context.get("tenant_locale") or DEFAULT_LOCALE)


@pass_context
def _money_filter(context: Any, value: Decimal | str | int | None, currency: str) -> str:
    """`{{ amount|money("EUR") }}`: the amount with its currency, as the household's
    locale writes it (`€1,234.50`, `1.234,50 €`); exact, never through a float."""
    if value is None or value == "":
        return ""
    exact = Decimal(value).quantize(money.currency(currency).quantum)
    return _money_style(currency, _locale(context)).format(exact)


@pass_context
def _amount_filter(context: Any, value: Decimal | str | int | None, currency: str) -> str:
    """`{{ amount|amount("EUR") }}`: the number alone, with the currency's minor unit."""
    if value is None or value == "":
        return ""
    exact = Decimal(value).quantize(money.currency(currency).quantum)
    return _amount_style(currency, _locale(context)).format(exact)


def write_money(value: Decimal, currency: str, locale: str | None) -> str:
    """An amount with its currency as `locale` writes it, exactly as the `money` filter
    does: for text written outside a template (a notification, a message)."""
    exact = Decimal(value).quantize(money.currency(currency).quantum)
    return _money_style(currency, locale or DEFAULT_LOCALE).format(exact)


def write_day(value: date, locale: str | None, style: str = "medium") -> str:
    """A date as `locale` writes it, as the `day` filter does."""
    return _format_day(value, style, locale or DEFAULT_LOCALE)


def _babel_money(currency: str, locale: str) -> Callable[[Decimal], str]:
    # No quantization by Babel: it would round to CLDR's digits, which for a few
    # currencies are fewer than ISO 4217's, and a ledger never hides a cent.
    return functools.partial(
        format_currency, currency=currency, locale=locale, decimal_quantization=False
    )


def _babel_amount(currency: str, locale: str) -> Callable[[Decimal], str]:
    digits = money.currency(currency).minor_units
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return functools.partial(format_decimal, format=pattern, locale=locale)


@functools.lru_cache(maxsize=512)
def _money_style(currency: str, locale: str) -> NumberStyle:
    return NumberStyle.learn(_babel_money(currency, locale), currency, locale)


@functools.lru_cache(maxsize=512)
def _amount_style(currency: str, locale: str) -> NumberStyle:
    return NumberStyle.learn(_babel_amount(currency, locale), currency, locale)


# Numbers on which a learnt style must write exactly what Babel writes before it is
# trusted: grouping of long and short numbers, small ones, zero, both signs.
_PROBES = tuple(
    Decimal(text)
    for text in (
        "1234567.891",
        "987654321012.5",
        "1234.5",
        "12345.67",
        "100000",
        "12.34",
        "0.01",
        "0",
    )
)


@dataclass(frozen=True, slots=True)
class NumberStyle:
    """How one locale writes amounts of one currency, learnt once from Babel.

    Babel formats a number in about 30 microseconds, and a register page writes a
    hundred amounts. Most locales write an amount as a fixed text, the digits grouped
    by three, and another fixed text (`$` and nothing, `-$` and nothing, nothing and
    `\xa0€`), which Python's own formatting reproduces at a fraction of the cost.
    `learn` derives those texts from Babel's output and keeps the style only if it
    writes every probe exactly as Babel does; for the other locales (grouping by two
    after the first three, no grouping below 10,000, other digits) `fallback` is Babel
    itself.
    """

    digits: int
    group: str
    decimal: str
    positive: tuple[str, str]
    negative: tuple[str, str]
    fallback: Callable[[Decimal], str] | None = None

    @classmethod
    def learn(cls, babel: Callable[[Decimal], str], currency: str, locale: str) -> NumberStyle:
        digits = money.currency(currency).minor_units
        quantum = money.currency(currency).quantum
        group, decimal_sign = get_group_symbol(locale), get_decimal_symbol(locale)
        probe = Decimal("1234567.891").quantize(quantum)
        style = None
        pieces = [
            _around(babel(sign * probe), _grouped(probe, digits, group, decimal_sign))
            for sign in (1, -1)
        ]
        if pieces[0] is not None and pieces[1] is not None:
            style = cls(digits, group, decimal_sign, pieces[0], pieces[1])
            for value in _PROBES:
                for exact in (value.quantize(quantum), -value.quantize(quantum)):
                    if style.format(exact) != babel(exact):
                        style = None
                        break
                if style is None:
                    break
        return style or cls(digits, group, decimal_sign, ("", ""), ("", ""), fallback=babel)

    def format(self, exact: Decimal) -> str:
        if self.fallback is not None:
            return self.fallback(exact)
        before, after = self.negative if exact < 0 else self.positive
        return before + _grouped(abs(exact), self.digits, self.group, self.decimal) + after


def _grouped(value: Decimal, digits: int, group: str, decimal_sign: str) -> str:
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\x00").replace(".", decimal_sign).replace("\x00", group)


def _around(written: str, number: str) -> tuple[str, str] | None:
    """The texts before and after `number` in `written`, if it appears exactly once."""
    parts = written.split(number)
    return (parts[0], parts[1]) if len(parts) == 2 else None


@pass_context
def _day_filter(context: Any, value: date | datetime | None, style: str = "medium") -> str:
    """`{{ txn.posted_on|day }}`: a date as the household's locale writes it."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return _format_day(value, style, _locale(context))


@functools.lru_cache(maxsize=8192)
def _format_day(value: date, style: str, locale: str) -> str:
    # A page of a register writes the same few days many times; Babel takes tens of
    # microseconds for each.
    return format_date(value, format=style, locale=locale)


def flash(request: Request, level: str, text: str) -> None:
    """Queue a message shown on the next page rendered for this browser."""
    messages = list(request.session.get(FLASH_KEY, []))
    messages.append({"level": level, "text": text})
    request.session[FLASH_KEY] = messages


def _pop_flashes(request: Request) -> list[dict[str, str]]:
    return list(request.session.pop(FLASH_KEY, []))


def page_context(request: Request) -> dict[str, Any]:
    context: dict[str, Any] = dict(getattr(request.state, "page_context", {}))
    theme = request.cookies.get("coffer_theme", "auto")
    context.setdefault("current_user", None)
    context.setdefault("tenants", [])
    context.setdefault("active_tenant", None)
    context["theme"] = theme if theme in THEMES else "auto"
    context["csrf_token"] = csrf_token(request)
    context["messages"] = _pop_flashes(request)
    return context


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    merged = {**page_context(request), **(context or {})}
    return templates.TemplateResponse(request, name, merged, status_code=status_code)


def add_page_context(request: Request, **values: Any) -> None:
    """Called by page dependencies (signed-in user, tenants) before a route renders."""
    existing = dict(getattr(request.state, "page_context", {}))
    existing.update(values)
    request.state.page_context = existing


def render_error_page(request: Request, *, status: int, title: str, detail: str) -> HTMLResponse:
    """The HTML answer to an error on a page route (see coffer.web.errors)."""
    return render(
        request,
        "errors/error.html",
        {"status": status, "title": title, "detail": detail},
        status_code=status,
    )
