"""Month-end balances of accounts over recent months, for trend lines.

Read from the monthly aggregate only: one query for everything before the window (a
sum per account) and one for the months inside it, so the cost does not grow with an
account's history. A month-end balance is the opening balance plus every amount
posted up to the end of that month; months before the account's opening month have
no point.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coffer.ledger.common import month_of
from coffer.ledger.models import Account, AccountMonth


@dataclass(frozen=True, slots=True)
class MonthEnd:
    month: date  # the first day of the month
    balance_minor: int  # the balance at the end of that month


def month_starts(last: date, count: int) -> list[date]:
    """`count` month starts ending with the month of `last`, oldest first."""
    year, month = last.year, last.month
    months: list[date] = []
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


def month_end_balances(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    accounts: Sequence[Account],
    months: int = 12,
    today: date | None = None,
) -> dict[uuid.UUID, list[MonthEnd]]:
    """Each account's balance at the end of each of the last `months` months (the
    current month included), oldest first."""
    if not accounts or months < 1:
        return {a.id: [] for a in accounts}
    window = month_starts(month_of(today or date.today()), months)
    start, end = window[0], window[-1]
    ids = [a.id for a in accounts]
    am = AccountMonth
    before: dict[uuid.UUID, int] = {
        account_id: int(total)
        for account_id, total in session.execute(
            select(am.account_id, func.sum(am.total_minor))
            .where(am.tenant_id == tenant_id, am.account_id.in_(ids), am.month < start)
            .group_by(am.account_id)
        )
    }
    within: dict[uuid.UUID, dict[date, int]] = defaultdict(dict)
    for account_id, month, total in session.execute(
        select(am.account_id, am.month, func.sum(am.total_minor))
        .where(
            am.tenant_id == tenant_id,
            am.account_id.in_(ids),
            am.month >= start,
            am.month <= end,
        )
        .group_by(am.account_id, am.month)
    ):
        within[account_id][month] = int(total)
    result: dict[uuid.UUID, list[MonthEnd]] = {}
    for account in accounts:
        running = account.opening_balance_minor + before.get(account.id, 0)
        opened = month_of(account.opening_on)
        points: list[MonthEnd] = []
        for month in window:
            running += within[account.id].get(month, 0)
            if month >= opened:
                points.append(MonthEnd(month, running))
        result[account.id] = points
    return result
