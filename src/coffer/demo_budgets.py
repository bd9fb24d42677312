"""The demo household's budgets: group budgets on Food and Kids (the kids' activities
also weekly on their own), a payday month for Transport, a Leisure budget that carries
its surplus, Bills carrying overspending too, a personal budget of Sam's, an income
plan, and Shopping set from the average of its last three months, so every kind of
budget and figure shows on the budgets page."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from coffer.budgets import budgets as service
from coffer.core.periods import PeriodKind, PeriodRule, period_containing
from coffer.demo import DemoContext, demo_follow_up, demo_loader
from coffer.ledger import service as ledger

PAYDAY = 25
PLACEHOLDER = "1.00"


def _months_back(today: date, count: int) -> date:
    index = today.year * 12 + today.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


@demo_loader(order=30)
def load_budgets(session: Session, ctx: DemoContext) -> None:
    owner, tenant_id = ctx.require_owner()
    categories: dict[str, uuid.UUID] = ctx.shared.get("categories", {})
    if not categories:
        return

    def create(category: str, amount: str, **kwargs: Any) -> uuid.UUID:
        return service.create_budget(
            session,
            tenant_id=tenant_id,
            actor_id=owner.id,
            today=ctx.today,
            category_id=categories[category],
            amount=Decimal(amount),
            **kwargs,
        ).id

    create("Food", "1150.00", notes="Groceries, restaurants, takeaway and coffee together.")
    create(
        "Transport",
        "420.00",
        period_kind="month_from_day",
        start_day=PAYDAY,
        notes="From payday to payday.",
    )
    create(
        "Leisure",
        "300.00",
        rollover="surplus",
        starts_on=_months_back(ctx.today, 3),
        notes="What is not spent carries over to the next month.",
    )
    create(
        "Bills", "520.00", rollover="surplus_and_overspending", starts_on=_months_back(ctx.today, 2)
    )
    # Tuition is most of it and is paid on the 3rd: from then on the month shows a
    # budget close to its limit (the 80% warning).
    create("Kids", "1700.00", notes="Tuition, activities, clothes and pocket money.")
    create(
        "Activities",
        "45.00",
        period_kind="weekly",
        anchor=period_containing(
            PeriodRule(PeriodKind.WEEKLY, anchor=date(2024, 1, 5)), ctx.today
        ).start,
    )
    partner = ctx.people.get("partner")
    if partner is not None:
        create("Clothing", "120.00", user_id=partner.id, notes="Sam's own budget.")
    create("Salary", "9800.00", notes="Both salaries, after tax.")
    # Set from the average of the last three months once the imported history is in
    # (see set_shopping_from_history).
    create("Shopping", PLACEHOLDER)


@demo_follow_up(order=90)
def set_shopping_from_history(session: Session, ctx: DemoContext) -> bool:
    """The Shopping budget from the average of its last three months, after the card
    and checking histories are imported (they arrive after the loaders)."""
    owner, tenant_id = ctx.require_owner()
    categories = {c.name: c.id for c in ledger.list_categories(session, tenant_id=tenant_id)}
    shopping = next(
        (
            b
            for b in service.list_budgets(session, tenant_id=tenant_id)
            if b.category_id == categories.get("Shopping") and b.user_id is None
        ),
        None,
    )
    if shopping is None:
        return False
    rows = service.amounts_of(session, tenant_id=tenant_id, budget_ids=[shopping.id])
    if [r.amount_minor for r in rows[shopping.id]] != [int(Decimal(PLACEHOLDER) * 100)]:
        return False
    service.set_from_history(
        session,
        tenant_id=tenant_id,
        actor_id=owner.id,
        budget_ids=[shopping.id],
        method="average_3",
        today=ctx.today,
    )
    return True
