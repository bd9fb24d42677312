"""Dashboard cards of bills (registered when coffer.budgets.cards is imported).

"Bills due soon": the active bills' and subscriptions' due dates of the next 30 days
that are not paid or skipped yet, and the late and missed ones of the last weeks (those
first), with how many and how much goes out (in the base currency, at today's rate, a
range counted at its top). Incomes are left out. None when the household has no active
bill.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from coffer.budgets import bills
from coffer.budgets.models import BillKind, BillStatus
from coffer.core.money import from_minor
from coffer.ledger.fx import Converter
from coffer.reports.dashboard import CardContext, dashboard_card

DAYS = 30
SHOWN = 5


@dataclass(frozen=True, slots=True)
class DueRow:
    name: str
    href: str
    due_on: date
    status: str
    label: str
    amount: Decimal
    currency: str
    income: bool


@dataclass(frozen=True, slots=True)
class BillsDue:
    rows: list[DueRow]  # the first few: attention first, then by date
    count: int  # unpaid due dates in the next DAYS days
    attention: int  # late, missed or to check
    total_out: Decimal | None  # base currency; None when a rate is missing
    currency: str
    review: int
    days: int = DAYS
    href: str = "/bills"


@dashboard_card(key="bills_due", title="Bills due soon", order=32, href="/bills")
def bills_due(session: Session, ctx: CardContext) -> BillsDue | None:
    tenant_id = ctx.tenant_id
    if not bills.list_bills(session, tenant_id=tenant_id, statuses=[BillStatus.active.value]):
        return None
    found = bills.upcoming(session, tenant_id=tenant_id, today=ctx.today, days=DAYS)
    # Money going out: incomes are the forecast's business, not "bills due".
    unpaid = [
        o
        for o in found
        if o.status not in (bills.PAID, bills.SKIPPED) and o.bill.kind != BillKind.income.value
    ]
    convert = Converter(session, tenant_id=tenant_id, to_ccy=ctx.base_currency)
    total: int | None = 0
    for occ in unpaid:
        if occ.due_on < ctx.today:
            continue
        converted = convert(occ.bill.amount_max_minor, occ.bill.currency, ctx.today)
        total = None if converted is None or total is None else total + converted
    rows = [
        DueRow(
            name=o.bill.name,
            href=f"/bills/{o.bill.id}",
            due_on=o.due_on,
            status=o.status,
            label=o.label,
            amount=o.expected,
            currency=o.bill.currency,
            income=o.bill.kind == BillKind.income.value,
        )
        for o in unpaid[:SHOWN]
    ]
    return BillsDue(
        rows=rows,
        count=len([o for o in unpaid if o.due_on >= ctx.today]),
        attention=len([o for o in found if o.needs_attention]),
        total_out=from_minor(total, ctx.base_currency) if total is not None else None,
        currency=ctx.base_currency,
        review=bills.review_count(session, tenant_id=tenant_id),
    )
