"""The demo household's bills: some entered by hand, others found in its history.

By hand (a loader, in the demo's unit of work): the electricity (a range, paid
automatically), the preschool tuition, the property tax (twice a year, a custom
RRULE), the water (every other month; its summer bills are above the range given, so
they wait in review), the home insurance (yearly) and the car registration, due in a
few weeks and not yet in the history. Their past payments are matched as the history arrives: the
last month's entries when the bill is created, the two years imported by the ledger's
follow-ups by the import's own matching.

Found (a follow-up after the imports, since detection reads the committed history):
detection runs over the two years, and the streaming subscriptions, the internet, the
phone and the main salary are accepted as bills (their past payments linked); the rest
stays proposed on /bills/detected for the visitor to accept or dismiss.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coffer.budgets import bills, detection
from coffer.budgets.models import BillKind, CandidateStatus, RecurringCandidate
from coffer.demo import DemoContext, demo_follow_up, demo_loader
from coffer.ledger.models import Account

# Found series accepted as bills: payee (as detected) -> the bill's name and kind.
ACCEPTED = {
    "Netflix": ("Netflix", BillKind.subscription),
    "Spotify": ("Spotify", BillKind.subscription),
    "Comcast Xfinity": ("Internet (Xfinity)", BillKind.bill),
    "T-Mobile": ("Phones (T-Mobile)", BillKind.bill),
    "Northwind Health": ("Alex's salary", BillKind.income),
}


def _yearly_from(today: date, month: int, day: int) -> date:
    """The last `month`/`day` on or before today (the rule's start date)."""
    this_year = date(today.year, month, day)
    return this_year if this_year <= today else date(today.year - 1, month, day)


@demo_loader(order=45)
def load_bills(session: Session, ctx: DemoContext) -> None:
    owner, tenant_id = ctx.require_owner()
    checking: Account | None = ctx.shared.get("checking")
    if checking is None:
        return
    categories: dict[str, uuid.UUID] = ctx.shared.get("categories", {})
    start = ctx.today - timedelta(days=700)
    month_start = date(start.year, start.month, 1)

    def add(**fields: Any) -> None:
        category = fields.pop("category", None)
        bills.create_bill(
            session,
            tenant_id=tenant_id,
            actor_id=owner.id,
            account_id=checking.id,
            category_id=categories.get(category) if category else None,
            today=ctx.today,
            **fields,
        )

    add(
        name="Electricity",
        payee="Evergreen Power",
        amount_min=Decimal("80.00"),
        amount_max=Decimal("240.00"),
        rrule=bills.preset_rule("monthly", month_start.replace(day=8)),
        first_due=month_start.replace(day=8),
        autopay=True,
        category="Electricity",
        notes="Higher in summer (air conditioning).",
    )
    add(
        name="Preschool tuition",
        payee="Little Acorns Preschool",
        amount_min=Decimal("1450.00"),
        rrule=bills.preset_rule("monthly", month_start.replace(day=3)),
        first_due=month_start.replace(day=3),
        category="Childcare",
    )
    add(
        name="Property tax",
        payee="San Mateo County Tax Collector",
        amount_min=Decimal("4286.17"),
        rrule="FREQ=YEARLY;BYMONTH=4,12;BYMONTHDAY=10",
        first_due=month_start,
        reminder_days=14,
        category="Taxes",
        notes="Two instalments: 10 April and 10 December.",
    )
    add(
        name="Home insurance",
        payee="Lemonade Insurance",
        amount_min=Decimal("1184.00"),
        rrule=bills.preset_rule("yearly", date(2024, 9, 3)),
        first_due=_yearly_from(start, 9, 3),
        reminder_days=10,
        category="Home insurance",
    )
    # Every other month; summer bills run above the usual range, so some payments are
    # doubtful matches waiting on /bills/review.
    even = (
        month_start
        if month_start.month % 2 == 0
        else month_start.replace(day=28) + timedelta(days=4)
    )
    add(
        name="Water and sewer",
        payee="City of San Mateo Utilities",
        amount_min=Decimal("80.00"),
        amount_max=Decimal("125.00"),
        rrule="FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=18",
        first_due=even.replace(day=1),
        category="Water",
    )
    registration = ctx.today + timedelta(days=19)
    add(
        name="Car registration",
        payee="California DMV",
        amount_min=Decimal("280.00"),
        amount_max=Decimal("330.00"),
        rrule=bills.preset_rule("yearly", registration),
        first_due=registration,
        reminder_days=14,
        notes="Renew online; the smog check comes first.",
    )


@demo_follow_up(order=40)
def detect_demo_bills(session: Session, ctx: DemoContext) -> bool:
    owner, tenant_id = ctx.require_owner()
    done = session.scalar(
        select(func.count())
        .select_from(RecurringCandidate)
        .where(RecurringCandidate.tenant_id == tenant_id)
    )
    if done:
        return False
    run = detection.detect_for_household(
        session, tenant_id=tenant_id, actor_id=owner.id, today=ctx.today
    )
    for candidate in run.proposed:
        wanted = ACCEPTED.get(candidate.payee)
        if wanted is None or candidate.status != CandidateStatus.proposed.value:
            continue
        name, kind = wanted
        detection.accept(
            session,
            tenant_id=tenant_id,
            actor_id=owner.id,
            candidate_id=candidate.id,
            edits={"name": name, "kind": kind},
            today=ctx.today,
        )
    return True
