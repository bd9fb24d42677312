"""Savings goals: create, change, delete; contributions; progress and its projections.

Every function takes the session first and keyword-only arguments after it, reads and
writes only the tenant's rows, raises coffer.errors types naming the field at fault,
audits every write of money and never commits (the caller's unit of work does).

Definitions, so every page and the API agree:

- A goal is kept in the household's base currency. Its *saved* amount is, by source:
  - `account`: the linked account's balance today, converted to the base currency at
    today's rate (an account in debt counts as 0 saved);
  - `contributions`: the sum of its recorded contributions (manual ones and ones
    linked to a transaction of the household), withdrawals being negative.
  - `debt` (the seam for "pay off a debt" goals, once debts exist): progress would be
    the amount paid off, read from the debts service in `_saved_minor`; nothing else
    here changes. It is not built yet.
- *left* is target - saved, never below 0.
- *Monthly needed*, *pace*, *projected completion*, *percent* and the milestone
  amounts are core.goals' (see its docstring): what is left over the calendar months
  to the target date, rounded up; the average net saving per month over the last three
  whole months (the contributions made then, or the linked account's change over
  them); the month the goal is reached at that pace (None when it is not positive).
- *Milestones* 25/50/75/100 %: reached when saved is at least that share of the target;
  the day each was reached is known from contributions (the first day the running sum
  got there), not from an account's balance.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypedDict

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from coffer.audit.service import changes, record
from coffer.budgets.models import GoalContribution, GoalStatus, SavingsGoal
from coffer.core import goals as core_goals
from coffer.errors import Conflict, NotFound, field_error
from coffer.ledger import service as ledger
from coffer.ledger.common import clean_text, decimal_text, minor, required_name
from coffer.ledger.models import Account, LedgerTransaction
from coffer.tenancy.models import Tenant

NAME_MAX = 200
NOTE_MAX = 500
PRIORITIES = range(1, 6)  # 1 is the most important
PACE_MONTHS = 3


class GoalSource(StrEnum):
    account = "account"
    contributions = "contributions"
    # debt = "debt": progress read from a debt's payoff, once debts exist (see above).


class GoalPatch(TypedDict, total=False):
    name: str
    target: Decimal
    target_date: date | None
    account_id: uuid.UUID | None
    priority: int
    status: GoalStatus
    notes: str | None


@dataclass(frozen=True, slots=True)
class Milestone:
    percent: int
    amount_minor: int
    reached: bool
    reached_on: date | None  # None when reached but the day is not known


@dataclass(frozen=True, slots=True)
class GoalProgress:
    goal: SavingsGoal
    source: GoalSource
    saved_minor: int
    left_minor: int
    percent: int
    monthly_needed_minor: int | None  # None without a target date
    pace_minor: int  # average saved per month over the last PACE_MONTHS whole months
    projected_on: date | None
    on_track: bool | None  # None without a target date
    milestones: list[Milestone]
    unconverted: bool = False  # the account's currency has no rate to the base yet

    @property
    def currency(self) -> str:
        return self.goal.currency


# --- reading ---------------------------------------------------------------------------


def _scoped_goals(tenant_id: uuid.UUID) -> Select[SavingsGoal]:
    return select(SavingsGoal).where(SavingsGoal.tenant_id == tenant_id)


def get_goal(session: Session, *, tenant_id: uuid.UUID, goal_id: uuid.UUID) -> SavingsGoal:
    goal = session.scalar(_scoped_goals(tenant_id).where(SavingsGoal.id == goal_id))
    if goal is None:
        raise NotFound("No savings goal with this id in this household.")
    return goal


def list_goals(
    session: Session, *, tenant_id: uuid.UUID, status: GoalStatus | None = None
) -> list[SavingsGoal]:
    """Goals by priority (1 first), then target date (soonest first), then name."""
    query = _scoped_goals(tenant_id)
    if status is not None:
        query = query.where(SavingsGoal.status == status.value)
    query = query.order_by(
        SavingsGoal.priority,
        SavingsGoal.target_date.is_(None),
        SavingsGoal.target_date,
        SavingsGoal.name,
    )
    return list(session.scalars(query))


def list_contributions(
    session: Session, *, tenant_id: uuid.UUID, goal_id: uuid.UUID
) -> list[GoalContribution]:
    get_goal(session, tenant_id=tenant_id, goal_id=goal_id)
    query = (
        select(GoalContribution)
        .where(GoalContribution.tenant_id == tenant_id, GoalContribution.goal_id == goal_id)
        .order_by(GoalContribution.day.desc(), GoalContribution.created_at.desc())
    )
    return list(session.scalars(query))


def get_contribution(
    session: Session, *, tenant_id: uuid.UUID, goal_id: uuid.UUID, contribution_id: uuid.UUID
) -> GoalContribution:
    found = session.scalar(
        select(GoalContribution).where(
            GoalContribution.tenant_id == tenant_id,
            GoalContribution.goal_id == goal_id,
            GoalContribution.id == contribution_id,
        )
    )
    if found is None:
        raise NotFound("No contribution with this id on this goal.")
    return found


# --- validation ------------------------------------------------------------------------


def _base_currency(session: Session, tenant_id: uuid.UUID) -> str:
    code = session.scalar(select(Tenant.base_currency).where(Tenant.id == tenant_id))
    if code is None:
        raise NotFound("No such household.")
    return code


def _check_name(
    session: Session, tenant_id: uuid.UUID, name: str, *, exclude: uuid.UUID | None = None
) -> str:
    cleaned = required_name(name, max_length=NAME_MAX)
    query = _scoped_goals(tenant_id).where(func.lower(SavingsGoal.name) == cleaned.lower())
    if exclude is not None:
        query = query.where(SavingsGoal.id != exclude)
    if session.scalar(query) is not None:
        raise field_error("name", "another goal already has this name")
    return cleaned


def _check_target(target: Decimal, code: str) -> int:
    amount = minor(target, code, field="target")
    if amount <= 0:
        raise field_error("target", "must be more than zero")
    return amount


def _check_priority(priority: int) -> int:
    if isinstance(priority, bool) or not isinstance(priority, int) or priority not in PRIORITIES:
        raise field_error("priority", "must be a whole number from 1 (first) to 5")
    return priority


def _check_account(session: Session, tenant_id: uuid.UUID, account_id: uuid.UUID | None) -> None:
    if account_id is None:
        return
    found = session.scalar(
        select(Account.id).where(Account.tenant_id == tenant_id, Account.id == account_id)
    )
    if found is None:
        raise field_error("account_id", "no account with this id in this household")


def snapshot(goal: SavingsGoal) -> dict[str, Any]:
    return {
        "name": goal.name,
        "target": decimal_text(goal.target_minor, goal.currency),
        "currency": goal.currency,
        "target_date": goal.target_date,
        "account_id": goal.account_id,
        "priority": goal.priority,
        "status": goal.status,
        "notes": goal.notes,
    }


def _contribution_snapshot(row: GoalContribution, code: str) -> dict[str, Any]:
    return {
        "goal_id": row.goal_id,
        "day": row.day,
        "amount": decimal_text(row.amount_minor, code),
        "transaction_id": row.transaction_id,
        "note": row.note,
    }


# --- writing goals ---------------------------------------------------------------------


def create_goal(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    name: str,
    target: Decimal,
    target_date: date | None = None,
    account_id: uuid.UUID | None = None,
    priority: int = 3,
    status: GoalStatus = GoalStatus.active,
    notes: str | None = None,
) -> SavingsGoal:
    code = _base_currency(session, tenant_id)
    _check_account(session, tenant_id, account_id)
    goal = SavingsGoal(
        tenant_id=tenant_id,
        name=_check_name(session, tenant_id, name),
        target_minor=_check_target(target, code),
        currency=code,
        target_date=target_date,
        account_id=account_id,
        priority=_check_priority(priority),
        status=GoalStatus(status).value,
        notes=clean_text(notes, field="notes"),
    )
    session.add(goal)
    session.flush()
    record(
        session,
        action="goal.created",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="savings_goal",
        entity_id=goal.id,
        new=snapshot(goal),
    )
    return goal


def update_goal(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    goal_id: uuid.UUID,
    values: GoalPatch,
) -> SavingsGoal:
    goal = get_goal(session, tenant_id=tenant_id, goal_id=goal_id)
    before = snapshot(goal)
    # Checked all before any is applied: a refused change changes nothing.
    name = (
        _check_name(session, tenant_id, values["name"], exclude=goal.id)
        if "name" in values
        else goal.name
    )
    target = (
        _check_target(values["target"], goal.currency) if "target" in values else goal.target_minor
    )
    if "account_id" in values:
        _check_account(session, tenant_id, values["account_id"])
    priority = _check_priority(values["priority"]) if "priority" in values else goal.priority
    notes = clean_text(values["notes"], field="notes") if "notes" in values else goal.notes
    goal.name, goal.target_minor, goal.priority, goal.notes = name, target, priority, notes
    if "target_date" in values:
        goal.target_date = values["target_date"]
    if "account_id" in values:
        goal.account_id = values["account_id"]
    if "status" in values:
        goal.status = GoalStatus(values["status"]).value
    session.flush()
    old, new = changes(before, snapshot(goal))
    if new:
        record(
            session,
            action="goal.updated",
            actor_id=actor_id,
            tenant_id=tenant_id,
            entity_type="savings_goal",
            entity_id=goal.id,
            old=old,
            new=new,
        )
    return goal


def delete_goal(
    session: Session, *, tenant_id: uuid.UUID, actor_id: uuid.UUID | None, goal_id: uuid.UUID
) -> None:
    """The goal and its contributions (the transactions they link to stay)."""
    goal = get_goal(session, tenant_id=tenant_id, goal_id=goal_id)
    record(
        session,
        action="goal.deleted",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="savings_goal",
        entity_id=goal.id,
        old=snapshot(goal),
    )
    session.execute(
        delete(GoalContribution).where(
            GoalContribution.tenant_id == tenant_id, GoalContribution.goal_id == goal.id
        )
    )
    session.delete(goal)
    session.flush()


# --- writing contributions -------------------------------------------------------------


def _linked_transaction(
    session: Session, tenant_id: uuid.UUID, transaction_id: uuid.UUID
) -> tuple[LedgerTransaction, str]:
    row = session.execute(
        select(LedgerTransaction, Account.currency)
        .join(Account, Account.id == LedgerTransaction.account_id)
        .where(
            LedgerTransaction.tenant_id == tenant_id,
            Account.tenant_id == tenant_id,
            LedgerTransaction.id == transaction_id,
        )
    ).first()
    if row is None:
        raise field_error("transaction_id", "no transaction with this id in this household")
    return row[0], row[1]


def _amount_from_transaction(
    session: Session, tenant_id: uuid.UUID, txn: LedgerTransaction, txn_code: str, code: str
) -> int:
    """The transaction's size in the goal's currency (money moved towards the goal is
    positive whichever side of a transfer is linked)."""
    convert = ledger.Converter(session, tenant_id=tenant_id, to_ccy=code)
    converted = convert(abs(txn.amount_minor), txn_code, txn.posted_on)
    if converted is None:
        raise field_error(
            "amount",
            f"no {txn_code} to {code} exchange rate for {txn.posted_on.isoformat()}: "
            "give the amount",
        )
    return converted


def _check_linked_once(
    session: Session,
    tenant_id: uuid.UUID,
    goal_id: uuid.UUID,
    transaction_id: uuid.UUID,
    exclude: uuid.UUID | None = None,
) -> None:
    query = select(GoalContribution.id).where(
        GoalContribution.tenant_id == tenant_id,
        GoalContribution.goal_id == goal_id,
        GoalContribution.transaction_id == transaction_id,
    )
    if exclude is not None:
        query = query.where(GoalContribution.id != exclude)
    if session.scalar(query) is not None:
        raise Conflict(
            "transaction_id: this transaction is already a contribution to this goal.",
            errors=[{"field": "transaction_id", "message": "already counted towards this goal"}],
        )


def _contribution_amount(amount: Decimal, code: str) -> int:
    value = minor(amount, code, field="amount")
    if value == 0:
        raise field_error("amount", "must not be zero (negative takes money back out)")
    return value


def add_contribution(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    goal_id: uuid.UUID,
    amount: Decimal | None = None,
    day: date | None = None,
    transaction_id: uuid.UUID | None = None,
    note: str | None = None,
) -> GoalContribution:
    """Money put towards a goal. Linked to a transaction, the amount and day default to
    the transaction's (its size in the goal's currency, on its day)."""
    goal = get_goal(session, tenant_id=tenant_id, goal_id=goal_id)
    code = goal.currency
    if transaction_id is not None:
        txn, txn_code = _linked_transaction(session, tenant_id, transaction_id)
        _check_linked_once(session, tenant_id, goal.id, transaction_id)
        if amount is None:
            value = _amount_from_transaction(session, tenant_id, txn, txn_code, code)
        else:
            value = _contribution_amount(amount, code)
        day = day or txn.posted_on
    else:
        if amount is None:
            raise field_error("amount", "give an amount, or link a transaction")
        value = _contribution_amount(amount, code)
    row = GoalContribution(
        tenant_id=tenant_id,
        goal_id=goal.id,
        day=day or date.today(),
        amount_minor=value,
        transaction_id=transaction_id,
        note=clean_text(note, field="note", max_length=NOTE_MAX),
    )
    session.add(row)
    session.flush()
    record(
        session,
        action="goal.contribution_added",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="goal_contribution",
        entity_id=row.id,
        new=_contribution_snapshot(row, code),
    )
    return row


class ContributionPatch(TypedDict, total=False):
    amount: Decimal
    day: date
    transaction_id: uuid.UUID | None
    note: str | None


def update_contribution(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    goal_id: uuid.UUID,
    contribution_id: uuid.UUID,
    values: ContributionPatch,
) -> GoalContribution:
    goal = get_goal(session, tenant_id=tenant_id, goal_id=goal_id)
    row = get_contribution(
        session, tenant_id=tenant_id, goal_id=goal_id, contribution_id=contribution_id
    )
    before = _contribution_snapshot(row, goal.currency)
    amount = (
        _contribution_amount(values["amount"], goal.currency)
        if "amount" in values
        else row.amount_minor
    )
    note = (
        clean_text(values["note"], field="note", max_length=NOTE_MAX)
        if "note" in values
        else row.note
    )
    if "transaction_id" in values and values["transaction_id"] is not None:
        _linked_transaction(session, tenant_id, values["transaction_id"])
        _check_linked_once(session, tenant_id, goal.id, values["transaction_id"], row.id)
    row.amount_minor, row.note = amount, note
    if "transaction_id" in values:
        row.transaction_id = values["transaction_id"]
    if "day" in values:
        row.day = values["day"]
    session.flush()
    old, new = changes(before, _contribution_snapshot(row, goal.currency))
    if new:
        record(
            session,
            action="goal.contribution_updated",
            actor_id=actor_id,
            tenant_id=tenant_id,
            entity_type="goal_contribution",
            entity_id=row.id,
            old=old,
            new=new,
        )
    return row


def delete_contribution(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    goal_id: uuid.UUID,
    contribution_id: uuid.UUID,
) -> None:
    goal = get_goal(session, tenant_id=tenant_id, goal_id=goal_id)
    row = get_contribution(
        session, tenant_id=tenant_id, goal_id=goal_id, contribution_id=contribution_id
    )
    record(
        session,
        action="goal.contribution_deleted",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="goal_contribution",
        entity_id=row.id,
        old=_contribution_snapshot(row, goal.currency),
    )
    session.delete(row)
    session.flush()


# --- progress --------------------------------------------------------------------------


def source_of(goal: SavingsGoal) -> GoalSource:
    return GoalSource.account if goal.account_id is not None else GoalSource.contributions


def milestones(
    target_minor: int, saved_minor: int, history: Sequence[tuple[date, int]] | None
) -> list[Milestone]:
    """core.goals' 25/50/75/100 % marks; `history` is (day, amount) of contributions in
    day order, giving the day each mark was first reached (None: not known)."""
    marks = []
    for mark in core_goals.milestones(target_minor, saved_minor):
        reached_on: date | None = None
        if history is not None and mark.reached:
            running = 0
            for day, value in history:
                running += value
                if running >= mark.amount:
                    reached_on = day
                    break
        marks.append(Milestone(mark.percent, mark.amount, mark.reached, reached_on))
    return marks


def _contribution_history(
    session: Session, tenant_id: uuid.UUID, goal_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[date, int]]]:
    history: dict[uuid.UUID, list[tuple[date, int]]] = {g: [] for g in goal_ids}
    if not goal_ids:
        return history
    rows = session.execute(
        select(GoalContribution.goal_id, GoalContribution.day, GoalContribution.amount_minor)
        .where(GoalContribution.tenant_id == tenant_id, GoalContribution.goal_id.in_(goal_ids))
        .order_by(GoalContribution.goal_id, GoalContribution.day, GoalContribution.created_at)
    )
    for goal_id, day, amount in rows:
        history[goal_id].append((day, int(amount)))
    return history


@dataclass(frozen=True, slots=True)
class _Saved:
    now: int
    # (day, amount) moves towards the goal that its pace is measured on.
    moves: list[tuple[date, int]]
    unconverted: bool = False


def _month_end_before(day: date, months_back: int) -> date:
    """The last day of the month `months_back` months before `day`'s month."""
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1) - timedelta(days=1)


def _account_saved(
    session: Session,
    tenant_id: uuid.UUID,
    goals: list[SavingsGoal],
    today: date,
) -> dict[uuid.UUID, _Saved]:
    """Saved now (the balance, converted; a debt counts as 0) and the balance's change
    over the last PACE_MONTHS whole months, as one move dated in the last of them."""
    ids = {g.account_id for g in goals if g.account_id is not None}
    if not ids:
        return {}
    accounts = {
        a.id: a
        for a in session.scalars(
            select(Account).where(Account.tenant_id == tenant_id, Account.id.in_(ids))
        )
    }
    window_end = _month_end_before(today, 0)  # the end of last month
    window_start = _month_end_before(today, PACE_MONTHS)
    saved: dict[uuid.UUID, _Saved] = {}
    for goal in goals:
        account = accounts.get(goal.account_id) if goal.account_id else None
        if account is None:
            continue
        convert = ledger.Converter(session, tenant_id=tenant_id, to_ccy=goal.currency)
        code = account.currency
        now = convert(
            ledger.balance(session, tenant_id=tenant_id, account=account, on=today), code, today
        )
        if now is None:
            saved[goal.id] = _Saved(0, [], unconverted=True)
            continue
        moves: list[tuple[date, int]] = []
        # An account opened within the window counts from its opening balance.
        end = ledger.balance(session, tenant_id=tenant_id, account=account, on=window_end)
        start = ledger.balance(session, tenant_id=tenant_id, account=account, on=window_start)
        change = convert(end - start, code, window_end)
        if change is not None:
            moves.append((window_end, change))
        saved[goal.id] = _Saved(max(now, 0), moves)
    return saved


def _saved_minor(
    goal: SavingsGoal,
    history: list[tuple[date, int]],
    accounts: dict[uuid.UUID, _Saved],
    today: date,
) -> _Saved:
    """What is saved now, and the moves its pace is measured on, by the goal's source.
    A "pay off a debt" goal plugs in here: saved is the principal paid off so far,
    its moves the payments."""
    if goal.account_id is not None:
        return accounts.get(goal.id, _Saved(0, [], unconverted=True))
    upto = [(d, v) for d, v in history if d <= today]
    return _Saved(sum(v for _, v in upto), upto)


def progress_many(
    session: Session, *, tenant_id: uuid.UUID, goals: list[SavingsGoal], today: date
) -> list[GoalProgress]:
    """The progress of each goal, in the order given; one query for all contributions."""
    history = _contribution_history(
        session, tenant_id, [g.id for g in goals if g.account_id is None]
    )
    accounts = _account_saved(session, tenant_id, goals, today)
    return [_progress(goal, history.get(goal.id, []), accounts, today) for goal in goals]


def progress(
    session: Session, *, tenant_id: uuid.UUID, goal: SavingsGoal, today: date
) -> GoalProgress:
    return progress_many(session, tenant_id=tenant_id, goals=[goal], today=today)[0]


def _progress(
    goal: SavingsGoal,
    history: list[tuple[date, int]],
    accounts: dict[uuid.UUID, _Saved],
    today: date,
) -> GoalProgress:
    saved = _saved_minor(goal, history, accounts, today)
    target = goal.target_minor
    left = max(target - saved.now, 0)
    pace = core_goals.pace(saved.moves, today, PACE_MONTHS)
    needed = (
        None
        if goal.target_date is None
        else core_goals.monthly_needed(target, saved.now, today, goal.target_date)
    )
    projected = core_goals.projected_completion(target, saved.now, pace, today)
    on_track = None
    if goal.target_date is not None:
        on_track = left == 0 or (projected is not None and projected <= goal.target_date)
    return GoalProgress(
        goal=goal,
        source=source_of(goal),
        saved_minor=saved.now,
        left_minor=left,
        percent=core_goals.progress_percent(target, saved.now),
        monthly_needed_minor=needed,
        pace_minor=pace,
        projected_on=projected,
        on_track=on_track,
        milestones=milestones(target, saved.now, saved.moves if goal.account_id is None else None),
        unconverted=saved.unconverted,
    )


@dataclass(frozen=True, slots=True)
class Linkable:
    """A recent transaction a contribution could be linked to."""

    id: uuid.UUID
    posted_on: date
    payee: str | None
    amount_minor: int
    currency: str
    account: str


def linkable_transactions(
    session: Session, *, tenant_id: uuid.UUID, goal_id: uuid.UUID, limit: int = 40
) -> list[Linkable]:
    """The household's latest transactions not yet counted towards this goal, for the
    "link a transaction" choice (newest first)."""
    linked = select(GoalContribution.transaction_id).where(
        GoalContribution.tenant_id == tenant_id,
        GoalContribution.goal_id == goal_id,
        GoalContribution.transaction_id.is_not(None),
    )
    txn = LedgerTransaction
    rows = session.execute(
        select(txn.id, txn.posted_on, txn.payee, txn.amount_minor, Account.currency, Account.name)
        .join(Account, Account.id == txn.account_id)
        .where(txn.tenant_id == tenant_id, Account.tenant_id == tenant_id, txn.id.not_in(linked))
        .order_by(txn.posted_on.desc(), txn.id)
        .limit(limit)
    )
    return [Linkable(*row) for row in rows]
