"""Properties of budgets on random households (SQLite and PostgreSQL):

- a period's actual equals the plain sum of the transactions it covers (the budget's
  category and children, its accounts, no transfers, split lines under their own
  category, foreign amounts converted at their day's rate), for every kind of period,
  through both the monthly aggregate and the line-by-line path;
- rollover carries exactly the remainder from period to period, with the amount
  changing along the way, and the past keeping the amounts it had.

The households are the reports' random ones (tests/reports/test_properties.py).
"""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from coffer.budgets import budgets as service
from coffer.core.money import from_minor
from coffer.core.periods import (
    Period,
    PeriodKind,
    PeriodRule,
    RolloverMode,
    carry,
    period_containing,
)
from coffer.db.session import Database
from coffer.reports.engine import ReportFilter
from tests.ledger.conftest import PROPERTY_SETTINGS, _encryption
from tests.reports.test_properties import (
    START,
    build,
    convert,
    covered,
    load,
    operations,
    rate_days,
    signed,
)

__all__ = ["_encryption"]

SETTINGS = settings(PROPERTY_SETTINGS, phases=[Phase.explicit, Phase.reuse, Phase.generate])
# Categories of the reports' households: 1 Salary, 2 Bonus (in Salary), 3 Food,
# 4 Groceries (in Food), 5 Rent.
CATEGORY = st.integers(1, 5)


@st.composite
def rules(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["month", "month_from_day", "weekly", "biweekly"]))
    found: dict[str, Any] = {"period_kind": kind}
    if kind == "month_from_day":
        found["start_day"] = draw(st.integers(1, 31))
    if kind in ("weekly", "biweekly"):
        found["anchor"] = START + timedelta(days=draw(st.integers(-20, 200)))
    return found


def _rule(config: dict[str, Any]) -> PeriodRule:
    return PeriodRule(
        PeriodKind(config["period_kind"]), config.get("start_day"), config.get("anchor")
    )


@SETTINGS
@given(
    ops=operations,
    fx=rate_days,
    config=rules(),
    category=CATEGORY,
    accounts=st.sets(st.integers(0, 2), max_size=2),
    on=st.integers(0, 175),
)
def test_a_periods_actual_is_the_sum_of_its_transactions(
    database: Database,
    ops: list[Any],
    fx: list[Any],
    config: dict[str, Any],
    category: int,
    accounts: set[int],
    on: int,
) -> None:
    h = build(database, ops, fx)
    category_id = h.categories[category]
    assert category_id is not None
    account_ids = [h.accounts[i].id for i in sorted(accounts)]
    day = START + timedelta(days=on)
    with h.book.uow() as s:
        budget = service.create_budget(
            s,
            **h.book.scope,
            category_id=category_id,
            amount=Decimal("100.00"),
            account_ids=account_ids,
            starts_on=START,
            today=START,
            **config,
        )
        report = service.status(
            s, tenant_id=h.book.tenant_id, on=day, budget_ids=[budget.id], history=4
        )
        status = report.budgets[0]
        raw = load(s, h.book.tenant_id)
        f = ReportFilter(account_ids=tuple(account_ids), category_ids=(category_id,))
        periods = [p.period for p in status.history] + [status.period]
        actuals = [p.actual for p in status.history] + [status.actual]
        for period, actual in zip(periods, actuals, strict=True):
            groups: dict[tuple[uuid.UUID, date, Any], int] = defaultdict(int)
            for t, line_category, amount in covered(raw, f, period.start, period.end):
                groups[(t.account_id, t.posted_on, line_category)] += signed(
                    raw, line_category, amount
                )
            sums, _missing = convert(s, h.book.tenant_id, raw, groups)
            assert actual == sum(sums.values()), (period, config)
        assert status.period == period_containing(_rule(config), day)


amount_changes = st.lists(
    st.tuples(st.integers(0, 170), st.integers(0, 50_000)), min_size=0, max_size=4
)


@SETTINGS
@given(
    ops=operations,
    fx=rate_days,
    config=rules(),
    category=st.sampled_from([3, 4, 5]),
    mode=st.sampled_from(["surplus", "surplus_and_overspending"]),
    first=st.integers(0, 50_000),
    changes=amount_changes,
)
def test_rollover_carries_exactly_the_remainder(
    database: Database,
    ops: list[Any],
    fx: list[Any],
    config: dict[str, Any],
    category: int,
    mode: str,
    first: int,
    changes: list[tuple[int, int]],
) -> None:
    h = build(database, ops, fx)
    category_id = h.categories[category]
    rule = _rule(config)
    end = START + timedelta(days=175)
    with h.book.uow() as s:
        budget = service.create_budget(
            s,
            **h.book.scope,
            category_id=category_id,
            amount=from_minor(first, "USD"),
            rollover=mode,
            starts_on=START,
            today=START,
            **config,
        )
        # The amount a period has: the last change made in a period at or before it.
        applied: dict[date, int] = {period_containing(rule, START).start: first}
        for offset, amount in sorted(changes):
            when = START + timedelta(days=offset)
            service.update_budget(
                s,
                **h.book.scope,
                budget_id=budget.id,
                values={"amount": from_minor(amount, "USD")},
                today=when,
            )
            applied[period_containing(rule, when).start] = amount
        status = service.status(
            s, tenant_id=h.book.tenant_id, on=end, budget_ids=[budget.id], history=36
        ).budgets[0]
    chain = [*status.history]
    periods = [p.period for p in chain] + [status.period]
    chained = [p for p in chain if p.period.start >= period_containing(rule, START).start]
    # Every period's amount is the one that applied then.
    for p in chained:
        expected = max(d for d in applied if d <= p.period.start)
        assert p.budgeted == applied[expected]
    # Each period receives exactly what the one before carried out.
    rows: list[tuple[int, int, int, int]] = [
        (p.budgeted, p.carried_in, p.actual, p.carried_out) for p in chained
    ]
    rows.append((status.budgeted, status.carried_in, status.actual, 0))
    for before, after in itertools.pairwise(rows):
        budgeted, carried_in, actual, carried_out = before
        assert carried_out == carry(RolloverMode(mode), budgeted + carried_in, actual)
        assert after[1] == carried_out
    if mode == "surplus_and_overspending" and chained:
        # Over the whole chain nothing is lost: what is left is all budgets less all spending.
        total_budgeted = sum(r[0] for r in rows)
        total_spent = sum(r[2] for r in rows)
        assert status.left == total_budgeted - total_spent
    assert periods == sorted(periods, key=lambda p: p.start)
    assert all(isinstance(p, Period) for p in periods)
