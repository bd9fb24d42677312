"""The demo household's savings goals and forecast threshold: an emergency fund that
follows the savings account, a summer trip with a date and monthly contributions (one
of them the transfer that paid it, linked), an open-ended car fund, and a 5,000.00
cushion on the joint checking account, which the forecast warns about when the
December bills would take the balance below it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from coffer.budgets import forecast, goals
from coffer.demo import DemoContext, demo_loader
from coffer.ledger.models import Account, LedgerTransaction


def _month_start(today: date, offset: int) -> date:
    index = today.year * 12 + today.month - 1 + offset
    return date(index // 12, index % 12 + 1, 1)


def _latest_transfer_out(session: Session, account: Account) -> LedgerTransaction | None:
    return session.scalar(
        select(LedgerTransaction)
        .where(
            LedgerTransaction.tenant_id == account.tenant_id,
            LedgerTransaction.account_id == account.id,
            LedgerTransaction.transfer_group_id.is_not(None),
            LedgerTransaction.amount_minor < 0,
        )
        .order_by(LedgerTransaction.posted_on.desc())
        .limit(1)
    )


@demo_loader(order=40)
def load_goals(session: Session, ctx: DemoContext) -> None:
    owner, tenant_id = ctx.require_owner()
    checking = ctx.shared.get("checking")
    savings = ctx.shared.get("savings")
    today = ctx.today
    if isinstance(savings, Account):
        goals.create_goal(
            session,
            tenant_id=tenant_id,
            actor_id=owner.id,
            name="Emergency fund",
            target=Decimal("60000.00"),
            account_id=savings.id,
            priority=1,
            notes="Six months of the household's essentials.",
        )
    trip = goals.create_goal(
        session,
        tenant_id=tenant_id,
        actor_id=owner.id,
        name="Summer in Portugal",
        target=Decimal("4800.00"),
        target_date=date(today.year + 1, 6, 30),
        priority=2,
    )
    for offset in range(-5, 0):
        goals.add_contribution(
            session,
            tenant_id=tenant_id,
            actor_id=owner.id,
            goal_id=trip.id,
            amount=Decimal("400.00"),
            day=_month_start(today, offset) + timedelta(days=1),
            note="Monthly top-up",
        )
    if isinstance(checking, Account):
        transfer = _latest_transfer_out(session, checking)
        if transfer is not None:
            goals.add_contribution(
                session,
                tenant_id=tenant_id,
                actor_id=owner.id,
                goal_id=trip.id,
                transaction_id=transfer.id,
                amount=Decimal("250.00"),
                note="Part of the last move to savings",
            )
        forecast.set_threshold(
            session,
            tenant_id=tenant_id,
            actor_id=owner.id,
            account_id=checking.id,
            threshold=Decimal("5000.00"),
        )
    car = goals.create_goal(
        session,
        tenant_id=tenant_id,
        actor_id=owner.id,
        name="Replace the car",
        target=Decimal("12000.00"),
        priority=3,
    )
    for offset, amount in ((-3, "500.00"), (-2, "500.00"), (-1, "650.00")):
        goals.add_contribution(
            session,
            tenant_id=tenant_id,
            actor_id=owner.id,
            goal_id=car.id,
            amount=Decimal(amount),
            day=_month_start(today, offset) + timedelta(days=14),
        )
