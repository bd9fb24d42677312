"""Every report's figures equal the sums of the raw transactions they claim to cover.

Each example builds a household with two accounts in the base currency (USD) and one
in EUR, rates for some days only (stored in either direction), income and expense
categories with children, split transactions, transfers (one leg sometimes given a
category), tags and merchants; then runs every report under a random filter and
compares it with a reference computed here from the raw rows, converted with the
ledger's own `convert`. The fast path (the monthly aggregate) and the row path (partial
months, foreign accounts, tag filters) are both exercised.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from coffer.core.money import from_minor
from coffer.db.session import Database
from coffer.ledger import service as ledger
from coffer.ledger.errors import MissingRate
from coffer.ledger.models import (
    Account,
    AccountType,
    Category,
    CategoryKind,
    LedgerTransaction,
    TransactionSplit,
    TransactionTag,
)
from coffer.reports import service
from coffer.reports.engine import month_end, months_between
from coffer.reports.service import ReportFilter
from tests.ledger.conftest import PROPERTY_SETTINGS, Book, make_book

START = date(2025, 11, 1)
TODAY = date(2026, 4, 30)
BASE = "USD"

offsets = st.integers(min_value=0, max_value=170)
cents = st.integers(min_value=-90_000, max_value=90_000).filter(lambda c: c != 0)
rates = st.sampled_from([Decimal("1.0837"), Decimal("0.9137"), Decimal("1.1")])


@dataclass
class Household:
    book: Book
    accounts: list[Account]
    categories: list[uuid.UUID | None]  # None: uncategorised
    tags: list[uuid.UUID]
    merchants: list[str | None]


def _day(offset: int) -> date:
    return START + timedelta(days=offset)


plain = st.tuples(
    st.just("plain"),
    st.integers(0, 2),
    offsets,
    cents,
    st.integers(0, 5),
    st.sets(st.integers(0, 1)),
    st.integers(0, 2),
)
split = st.tuples(
    st.just("split"),
    st.integers(0, 2),
    offsets,
    st.lists(st.tuples(cents, st.integers(0, 5)), min_size=2, max_size=3),
    st.sets(st.integers(0, 1)),
    st.integers(0, 2),
)
transfer = st.tuples(
    st.just("transfer"),
    st.integers(0, 2),
    st.integers(1, 2),
    offsets,
    st.integers(1, 90_000),
    rates,
    st.booleans(),
)
operations = st.lists(st.one_of(plain, plain, split, transfer), min_size=1, max_size=14)
rate_days = st.lists(st.tuples(offsets, rates, st.booleans()), max_size=5, unique_by=lambda r: r[0])


def build(database: Database, ops: list[Any], fx: list[Any]) -> Household:
    book = make_book(database)
    accounts = [
        book.account("Checking", BASE, opening_balance=Decimal("1000.00"), opening_on=START),
        book.account(
            "Card",
            BASE,
            type=AccountType.credit_card,
            opening_balance=Decimal("-20.00"),
            opening_on=date(2025, 12, 10),
        ),
        book.account("Euro", "EUR", opening_balance=Decimal("100.00"), opening_on=START),
    ]
    with book.uow() as s:
        salary = ledger.create_category(s, **book.scope, name="Salary", kind=CategoryKind.income)
        bonus = ledger.create_category(
            s, **book.scope, name="Bonus", kind=CategoryKind.income, parent_id=salary.id
        )
        food = ledger.create_category(s, **book.scope, name="Food", kind=CategoryKind.expense)
        groceries = ledger.create_category(
            s, **book.scope, name="Groceries", kind=CategoryKind.expense, parent_id=food.id
        )
        rent = ledger.create_category(s, **book.scope, name="Rent", kind=CategoryKind.expense)
        tags = [ledger.create_tag(s, **book.scope, name=n).id for n in ("trip", "work")]
        for offset, rate, reverse in fx:
            pair = ("USD", "EUR") if reverse else ("EUR", "USD")
            ledger.add_rate(
                s,
                **book.scope,
                rate_on=_day(offset),
                base=pair[0],
                quote=pair[1],
                rate=(Decimal(1) / rate).quantize(Decimal("0.000001")) if reverse else rate,
            )
    household = Household(
        book=book,
        accounts=accounts,
        categories=[None, salary.id, bonus.id, food.id, groceries.id, rent.id],
        tags=tags,
        merchants=[None, "Corner Shop", "Big Market"],
    )
    with book.uow() as s:
        for op in ops:
            _apply(s, household, op)
    return household


def _apply(s: Session, h: Household, op: Any) -> None:
    scope = h.book.scope
    code = {a.id: a.currency for a in h.accounts}
    if op[0] == "plain":
        _, account, offset, amount, category, tags, merchant = op
        account_id = h.accounts[account].id
        ledger.post_transaction(
            s,
            **scope,
            account_id=account_id,
            posted_on=_day(offset),
            amount=from_minor(amount, code[account_id]),
            category_id=h.categories[category],
            tag_ids=[h.tags[t] for t in tags],
            merchant=h.merchants[merchant],
        )
    elif op[0] == "split":
        _, account, offset, lines, tags, merchant = op
        account_id = h.accounts[account].id
        total = sum(amount for amount, _ in lines)
        if total == 0:
            return
        ledger.post_transaction(
            s,
            **scope,
            account_id=account_id,
            posted_on=_day(offset),
            amount=from_minor(total, code[account_id]),
            tag_ids=[h.tags[t] for t in tags],
            merchant=h.merchants[merchant],
            splits=[
                ledger.SplitLine(from_minor(amount, code[account_id]), h.categories[category])
                for amount, category in lines
            ],
        )
    else:
        _, source, step, offset, amount, rate, categorise = op
        target = (source + step) % 3
        source_account, target_account = h.accounts[source], h.accounts[target]
        cross = source_account.currency != target_account.currency
        made = ledger.create_transfer(
            s,
            **scope,
            from_account_id=source_account.id,
            to_account_id=target_account.id,
            posted_on=_day(offset),
            amount=from_minor(amount, source_account.currency),
            fx_rate=rate if cross else None,
        )
        if categorise:
            ledger.update_transaction(
                s,
                **scope,
                transaction_id=made.sent.id,
                values={"category_id": h.categories[3]},
            )


# --- the reference --------------------------------------------------------------------


@dataclass
class Raw:
    tenant_id: uuid.UUID
    txns: list[LedgerTransaction]
    lines: dict[uuid.UUID, list[tuple[uuid.UUID | None, int]]]
    tags: dict[uuid.UUID, set[uuid.UUID]]
    categories: dict[uuid.UUID, Category]
    accounts: dict[uuid.UUID, Account]


def load(s: Session, tenant_id: uuid.UUID) -> Raw:
    txns = list(
        s.scalars(select(LedgerTransaction).where(LedgerTransaction.tenant_id == tenant_id))
    )
    lines: dict[uuid.UUID, list[tuple[uuid.UUID | None, int]]] = defaultdict(list)
    for line in s.scalars(select(TransactionSplit).where(TransactionSplit.tenant_id == tenant_id)):
        lines[line.transaction_id].append((line.category_id, line.amount_minor))
    tags: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for link in s.scalars(select(TransactionTag).where(TransactionTag.tenant_id == tenant_id)):
        tags[link.transaction_id].add(link.tag_id)
    categories = {
        c.id: c for c in s.scalars(select(Category).where(Category.tenant_id == tenant_id))
    }
    accounts = {a.id: a for a in s.scalars(select(Account).where(Account.tenant_id == tenant_id))}
    return Raw(tenant_id, txns, lines, tags, categories, accounts)


def covered(
    raw: Raw, f: ReportFilter, start: date, end: date
) -> Iterable[tuple[LedgerTransaction, uuid.UUID | None, int]]:
    """The non-transfer lines the report claims to cover, found the plain way."""
    wanted: set[uuid.UUID] | None = None
    if f.category_ids:
        wanted = set(f.category_ids) | {
            c.id for c in raw.categories.values() if c.parent_id in f.category_ids
        }
    for t in raw.txns:
        if t.transfer_group_id is not None or not start <= t.posted_on <= end:
            continue
        if f.account_ids and t.account_id not in f.account_ids:
            continue
        if f.tag_ids and not raw.tags[t.id] & set(f.tag_ids):
            continue
        lines = raw.lines[t.id] if t.is_split else [(t.category_id, t.amount_minor)]
        for category_id, amount in lines:
            if wanted is None or category_id in wanted:
                yield t, category_id, amount


def convert(
    s: Session, tenant_id: uuid.UUID, raw: Raw, groups: dict[tuple[uuid.UUID, date, Any], int]
) -> tuple[dict[Any, int], set[tuple[str, date]]]:
    """Sums by key, each (currency, day, key) sum converted once with the ledger's own
    conversion; days without a rate are collected."""
    per_currency: dict[tuple[str, date, Any], int] = defaultdict(int)
    for (account_id, day, key), amount in groups.items():
        per_currency[(raw.accounts[account_id].currency, day, key)] += amount
    result: dict[Any, int] = defaultdict(int)
    missing: set[tuple[str, date]] = set()
    for (code, day, key), amount in per_currency.items():
        if code == BASE:
            result[key] += amount
            continue
        if amount == 0:
            continue
        try:
            result[key] += ledger.convert(
                s, tenant_id=tenant_id, amount_minor=amount, from_ccy=code, to_ccy=BASE, on=day
            )
        except MissingRate:
            missing.add((code, day))
    return result, missing


def kind(raw: Raw, category_id: uuid.UUID | None) -> str:
    if category_id is None:
        return "uncategorised"
    return "income" if raw.categories[category_id].kind == "income" else "spending"


def signed(raw: Raw, category_id: uuid.UUID | None, amount: int) -> int:
    return -amount if kind(raw, category_id) == "spending" else amount


def top(raw: Raw, category_id: uuid.UUID) -> uuid.UUID:
    parent = raw.categories[category_id].parent_id
    return parent if parent is not None else category_id


def nonzero(values: dict[Any, int]) -> dict[Any, int]:
    return {k: v for k, v in values.items() if v}


# --- the property ---------------------------------------------------------------------


@st.composite
def filters(draw: st.DrawFn, household_size: tuple[int, int, int]) -> dict[str, Any]:
    month_starts = [0, 30, 61, 92, 123, 151]
    date_from = draw(st.one_of(st.none(), offsets, st.sampled_from(month_starts)))
    date_to = draw(st.one_of(st.none(), offsets))
    if date_from is not None and date_to is not None and date_to < date_from:
        date_from, date_to = date_to, date_from
    accounts, categories, tags = household_size
    return {
        "date_from": date_from,
        "date_to": date_to,
        "accounts": draw(st.sets(st.integers(0, accounts - 1), max_size=2)),
        "categories": draw(st.sets(st.integers(1, categories - 1), max_size=2)),
        "tags": draw(st.sets(st.integers(0, tags - 1), max_size=1)),
    }


# Shrinking examples of a whole household takes minutes; the failing one is printed as is.
REPORT_SETTINGS = settings(PROPERTY_SETTINGS, phases=[Phase.explicit, Phase.reuse, Phase.generate])


@REPORT_SETTINGS
@given(ops=operations, fx=rate_days, chosen=filters((3, 6, 2)))
def test_every_report_equals_its_transactions(
    database: Database, ops: list[Any], fx: list[Any], chosen: dict[str, Any]
) -> None:
    h = build(database, ops, fx)
    f = ReportFilter(
        date_from=None if chosen["date_from"] is None else _day(chosen["date_from"]),
        date_to=None if chosen["date_to"] is None else _day(chosen["date_to"]),
        account_ids=tuple(h.accounts[i].id for i in sorted(chosen["accounts"])),
        category_ids=tuple(
            c for c in (h.categories[i] for i in sorted(chosen["categories"])) if c is not None
        ),
        tag_ids=tuple(h.tags[i] for i in sorted(chosen["tags"])),
    )
    tenant_id = h.book.tenant_id
    args = {"tenant_id": tenant_id, "base_currency": BASE, "filters": f, "today": TODAY}
    with h.book.uow() as s:
        raw = load(s, tenant_id)
        summary = service.monthly_summary(s, **args)
        start, end = summary.header.date_from, summary.header.date_to
        if f.date_from is not None:
            assert start == f.date_from
        if f.date_to is not None:
            assert end == f.date_to
        lines = list(covered(raw, f, start, end))
        _check_summary(s, raw, summary, lines)
        _check_statement(s, raw, service.income_statement(s, **args), lines)
        _check_cash_flow(s, raw, service.cash_flow(s, **args), lines)
        _check_merchants(s, raw, service.top_merchants(s, **args, limit=100), lines)
        _check_tags(s, raw, f, service.spending_by_tag(s, **args), lines)
        if not f.category_ids:
            food = h.categories[3]
            assert food is not None
            trend = service.category_trend(s, **args, category_id=food)
            _check_trend(s, raw, f, trend, food)
        if not f.category_ids and not f.tag_ids:
            _check_net_worth(s, raw, f, service.net_worth_history(s, **args))


def _check_summary(s: Session, raw: Raw, report: service.MonthlySummary, lines: list[Any]) -> None:
    groups: dict[tuple[uuid.UUID, date, Any], int] = defaultdict(int)
    for t, category_id, amount in lines:
        key = (category_id, t.posted_on.replace(day=1))
        groups[(t.account_id, t.posted_on, key)] += amount
    sums, missing = convert(s, raw.tenant_id, raw, groups)
    assert set(report.header.missing_rates) == missing
    expected_rows: dict[tuple[uuid.UUID, date], int] = defaultdict(int)
    expected_kind: dict[tuple[str, date], int] = defaultdict(int)
    for (category_id, month), amount in sums.items():
        value = signed(raw, category_id, amount)
        expected_kind[(kind(raw, category_id), month)] += value
        if category_id is not None:
            expected_rows[(category_id, month)] += value
            if raw.categories[category_id].parent_id is not None:
                expected_rows[(top(raw, category_id), month)] += value
    got_rows: dict[tuple[uuid.UUID, date], int] = defaultdict(int)
    for section in (report.income, report.spending):
        for row in section.categories:
            for child in [row, *row.children]:
                for month, figure in zip(report.months, child.months, strict=True):
                    got_rows[(child.category_id, month)] += figure.amount_minor
                assert child.total.amount_minor == sum(f.amount_minor for f in child.months)
    assert nonzero(got_rows) == nonzero(expected_rows)
    for name, section in (("income", report.income), ("spending", report.spending)):
        for month, figure in zip(report.months, section.months, strict=True):
            assert figure.amount_minor == expected_kind.get((name, month), 0), (name, month)
    for month, figure in zip(report.months, report.uncategorised.months, strict=True):
        assert figure.amount_minor == expected_kind.get(("uncategorised", month), 0)
    for i, figure in enumerate(report.net.months):
        parts = (report.income.months[i], report.spending.months[i], report.uncategorised.months[i])
        assert (
            figure.amount_minor
            == parts[0].amount_minor - parts[1].amount_minor + parts[2].amount_minor
        )
    assert report.months == months_between(report.header.date_from, report.header.date_to)


def _check_statement(
    s: Session, raw: Raw, report: service.IncomeStatement, lines: list[Any]
) -> None:
    groups: dict[tuple[uuid.UUID, date, Any], int] = defaultdict(int)
    for t, category_id, amount in lines:
        groups[(t.account_id, t.posted_on, category_id)] += amount
    sums, _ = convert(s, raw.tenant_id, raw, groups)
    expected: dict[str, int] = defaultdict(int)
    for category_id, amount in sums.items():
        expected[kind(raw, category_id)] += signed(raw, category_id, amount)
    assert report.income_total.amount_minor == expected["income"]
    assert report.spending_total.amount_minor == expected["spending"]
    assert report.uncategorised.amount_minor == expected["uncategorised"]
    assert report.net.amount_minor == (
        expected["income"] - expected["spending"] + expected["uncategorised"]
    )
    for rows in (report.income, report.spending):
        for row in rows:
            own = sums.get(row.category_id, 0) + sum(
                sums.get(c.category_id, 0) for c in row.children
            )
            assert row.amount.amount_minor == signed(raw, row.category_id, own)


def _check_cash_flow(s: Session, raw: Raw, report: service.CashFlow, lines: list[Any]) -> None:
    groups: dict[tuple[uuid.UUID, date, Any], int] = defaultdict(int)
    for t, category_id, amount in lines:
        direction = "in" if amount > 0 else "out"
        groups[(t.account_id, t.posted_on, (t.posted_on.replace(day=1), direction))] += amount
        if category_id is None and amount < 0:
            groups[(t.account_id, t.posted_on, "uncategorised out")] += amount
    sums, missing = convert(s, raw.tenant_id, raw, groups)
    assert report.uncategorised_out.amount_minor == -sums.pop("uncategorised out", 0)
    assert set(report.header.missing_rates) == missing
    for m in report.months:
        assert m.money_in.amount_minor == sums.get((m.month, "in"), 0)
        assert m.money_out.amount_minor == -sums.get((m.month, "out"), 0)
        assert m.net.amount_minor == m.money_in.amount_minor - m.money_out.amount_minor
    assert report.net.amount_minor == sum(sums.values())


def _check_merchants(s: Session, raw: Raw, report: service.TopMerchants, lines: list[Any]) -> None:
    groups: dict[tuple[uuid.UUID, date, Any], int] = defaultdict(int)
    for t, category_id, amount in lines:
        if t.merchant_id is not None and kind(raw, category_id) != "income":
            groups[(t.account_id, t.posted_on, t.merchant_id)] -= amount
    sums, _ = convert(s, raw.tenant_id, raw, groups)
    got = {m.merchant_id: m.spending.amount_minor for m in report.merchants}
    assert nonzero(got) == nonzero(sums)
    assert report.total == sum(sums.values())
    spent = [m.spending.amount_minor for m in report.merchants]
    assert spent == sorted(spent, reverse=True)


def _check_tags(
    s: Session, raw: Raw, f: ReportFilter, report: service.SpendingByTag, lines: list[Any]
) -> None:
    groups: dict[tuple[uuid.UUID, date, Any], int] = defaultdict(int)
    for t, category_id, amount in lines:
        for tag_id in raw.tags[t.id]:
            if f.tag_ids and tag_id not in f.tag_ids:
                continue
            value = signed(raw, category_id, amount)
            groups[(t.account_id, t.posted_on, (tag_id, kind(raw, category_id)))] += value
    sums, _ = convert(s, raw.tenant_id, raw, groups)
    got: dict[Any, int] = {}
    for row in report.tags:
        got[(row.tag_id, "spending")] = row.spending.amount_minor
        got[(row.tag_id, "income")] = row.income.amount_minor
        got[(row.tag_id, "uncategorised")] = row.uncategorised.amount_minor
    assert nonzero(got) == nonzero(sums)


def _check_trend(
    s: Session, raw: Raw, f: ReportFilter, report: service.CategoryTrend, food: uuid.UUID
) -> None:
    trend_filter = ReportFilter(account_ids=f.account_ids, category_ids=(food,), tag_ids=f.tag_ids)
    start, end = report.header.date_from, report.header.date_to
    assert start.day == 1
    assert end == month_end(end.replace(day=1))
    groups: dict[tuple[uuid.UUID, date, Any], int] = defaultdict(int)
    for t, category_id, amount in covered(raw, trend_filter, start, end):
        groups[(t.account_id, t.posted_on, (category_id, t.posted_on.replace(day=1)))] -= amount
    sums, _ = convert(s, raw.tenant_id, raw, groups)
    per_month: dict[date, int] = defaultdict(int)
    for (_, month), amount in sums.items():
        per_month[month] += amount
    for point in report.points:
        assert point.amount.amount_minor == per_month.get(point.month, 0)
    in_scope = [t for t in raw.txns if not f.account_ids or t.account_id in f.account_ids]
    first = min((t.posted_on.replace(day=1) for t in in_scope), default=None)
    for before, after in zip(report.points, report.points[1:], strict=False):
        if first is None or before.month < first:
            assert after.month_over_month is None
        else:
            assert after.month_over_month is not None
            assert after.month_over_month.amount_minor == (
                after.amount.amount_minor - before.amount.amount_minor
            )


def _check_net_worth(
    s: Session, raw: Raw, f: ReportFilter, report: service.NetWorthHistory
) -> None:
    accounts = [a for a in raw.accounts.values() if not f.account_ids or a.id in f.account_ids]
    missing: set[tuple[str, date]] = set()
    by_id = {row.account_id: row for row in report.accounts}
    assert set(by_id) == {a.id for a in accounts}
    for i, point in enumerate(report.points):
        last_day = month_end(point.month)
        total = 0
        for account in accounts:
            native = sum(
                t.amount_minor
                for t in raw.txns
                if t.account_id == account.id and t.posted_on <= last_day
            )
            if account.opening_on <= last_day:
                native += account.opening_balance_minor
            try:
                converted: int | None = ledger.convert(
                    s,
                    tenant_id=account.tenant_id,
                    amount_minor=native,
                    from_ccy=account.currency,
                    to_ccy=BASE,
                    on=last_day,
                )
            except MissingRate:
                converted = None
                if native:
                    missing.add((account.currency, last_day))
            if native == 0:
                converted = 0
            assert by_id[account.id].balances_minor[i] == converted, (account.name, point.month)
            total += converted or 0
        assert point.net_worth.amount_minor == total
        assert point.assets + point.liabilities == total
        assert point.assets >= 0 >= point.liabilities
    assert set(report.header.missing_rates) == missing
