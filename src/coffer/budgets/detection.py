"""Recurring series found in a household's history, proposed as bills, and the
subscriptions view.

`detect_for_household` reads the last two years of transactions (transfers between
the household's own accounts left out; the payee is the merchant's name when there is
one, else the payee text), runs `coffer.core.recurring.detect` over them, and keeps
each series as a `RecurringCandidate`, identified across runs by a fingerprint of its
account, payee key, cadence and rough amount. A dismissed series is never proposed
again (nor one with the same account, payee and cadence and a neighbouring amount),
and a series already paying a bill (one of its transactions is linked, or an active
bill has the same payee, direction and currency) is not proposed.

Accepting a candidate (optionally with edits) creates a bill with source "detected"
and links the series' transactions to the due dates they fall near, as paid; the rest
of the history is matched as for any new bill.

The subscriptions view lists the active subscriptions with their monthly and yearly
cost in the household's base currency (the yearly cost counts the due dates of the
next 365 days; the monthly cost is a twelfth of it), and the price increases seen: in
the detected series, and between consecutive paid due dates of a subscription.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from coffer.audit.service import record
from coffer.budgets import bills
from coffer.budgets.models import (
    Bill,
    BillKind,
    BillOccurrence,
    BillSource,
    BillStatus,
    CandidateStatus,
    MatchedBy,
    RecurringCandidate,
)
from coffer.core import recurrence
from coffer.core import recurring as core
from coffer.errors import NotFound, field_error
from coffer.ledger.common import decimal_text
from coffer.ledger.fx import Converter
from coffer.ledger.models import Account, LedgerTransaction, Merchant
from coffer.tenancy.models import Tenant

HISTORY_DAYS = 731
# Amounts within one step of this ratio share a fingerprint bucket.
AMOUNT_STEP = math.log(1.25)
PRICE_LOOKBACK_DAYS = 400


# --- reading the history --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Row:
    id: str  # as the database writes it: turned into a UUID only for a series' members
    account_id: uuid.UUID
    currency: str
    posted_on: date
    amount_minor: int
    payee: str

    @property
    def uid(self) -> uuid.UUID:
        return uuid.UUID(self.id)


def _history(session: Session, tenant_id: uuid.UUID, today: date) -> list[_Row]:
    """The history detection reads. Ids come as text: building a UUID for each of
    100,000 rows costs more than the detection itself."""
    accounts = {
        account.id: account.currency
        for account in session.scalars(select(Account).where(Account.tenant_id == tenant_id))
    }
    query = (
        select(
            cast(LedgerTransaction.id, String),
            cast(LedgerTransaction.account_id, String),
            LedgerTransaction.posted_on,
            LedgerTransaction.amount_minor,
            LedgerTransaction.payee,
            Merchant.name,
        )
        .outerjoin(Merchant, Merchant.id == LedgerTransaction.merchant_id)
        .where(
            LedgerTransaction.tenant_id == tenant_id,
            LedgerTransaction.posted_on >= today - timedelta(days=HISTORY_DAYS),
            LedgerTransaction.posted_on <= today,
            LedgerTransaction.transfer_group_id.is_(None),
            LedgerTransaction.amount_minor != 0,
        )
    )
    account_of: dict[str, uuid.UUID] = {}
    rows: list[_Row] = []
    for id_, account_text, posted, amount, payee, merchant in session.execute(query):
        name = (merchant or payee or "").strip()
        if not name:
            continue
        account_id = account_of.get(account_text)
        if account_id is None:
            account_id = account_of[account_text] = uuid.UUID(account_text)
        code = accounts.get(account_id)
        if code is not None:
            rows.append(_Row(id_, account_id, code, posted, amount, name))
    return rows


def _categories(
    session: Session, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """The categories of these transactions (uncategorised ones left out)."""
    found: list[uuid.UUID] = []
    for start in range(0, len(ids), 500):
        found.extend(
            category
            for category in session.scalars(
                select(LedgerTransaction.category_id).where(
                    LedgerTransaction.tenant_id == tenant_id,
                    LedgerTransaction.id.in_(list(ids[start : start + 500])),
                )
            )
            if category is not None
        )
    return found


def fingerprint(account_id: uuid.UUID | None, payee: str, cadence: str, amount_minor: int) -> str:
    bucket = round(math.log(max(abs(amount_minor), 1)) / AMOUNT_STEP)
    return f"{account_id or '-'}|{bills.payee_key(payee)[:120]}|{cadence}|{bucket}"


def _prefix_and_bucket(print_: str) -> tuple[str, int]:
    prefix, _, bucket = print_.rpartition("|")
    try:
        return prefix, int(bucket)
    except ValueError:
        return print_, 0


# --- running the detector -------------------------------------------------------------------


@dataclass
class DetectRun:
    found: int = 0
    proposed: list[RecurringCandidate] = field(default_factory=list)


def _covered(
    bill_list: Sequence[Bill], account_id: uuid.UUID, currency: str, payee: str, income: bool
) -> bool:
    key = bills.payee_key(payee)
    for bill in bill_list:
        if bill.currency != currency or (bill.kind == BillKind.income.value) != income:
            continue
        if bill.account_id is not None and bill.account_id != account_id:
            continue
        if bills.payee_score(bills.payee_key(bill.payee), None, (key,), None) >= 0.8:
            return True
    return False


def detect_for_household(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None = None,
    today: date,
) -> DetectRun:
    """Find the household's recurring series and keep the new ones as proposals; returns
    how many series the detector found and the candidates now proposed."""
    rows = _history(session, tenant_id, today)
    run = DetectRun()
    by_id: dict[Hashable, _Row] = {row.id: row for row in rows}
    occurrences = [
        core.Occurrence(
            id=row.id,
            day=row.posted_on,
            amount_minor=row.amount_minor,
            payee=row.payee,
            account=row.account_id,
            currency=row.currency,
        )
        for row in rows
    ]
    # Series that ended (two or more payments missed) are history, not bills to plan.
    series_list = [s for s in core.detect(occurrences, today=today) if s.active]
    run.found = len(series_list)
    existing = {
        c.fingerprint: c
        for c in session.scalars(
            select(RecurringCandidate).where(RecurringCandidate.tenant_id == tenant_id)
        )
    }
    dismissed = [
        _prefix_and_bucket(c.fingerprint)
        for c in existing.values()
        if c.status == CandidateStatus.dismissed.value
    ]
    linked = set(
        session.scalars(
            select(BillOccurrence.transaction_id).where(
                BillOccurrence.tenant_id == tenant_id, BillOccurrence.transaction_id.is_not(None)
            )
        )
    )
    active_bills = bills.list_bills(
        session, tenant_id=tenant_id, statuses=[BillStatus.active.value, BillStatus.paused.value]
    )
    proposed = [c for c in existing.values() if c.status == CandidateStatus.proposed.value]
    seen: set[uuid.UUID | None] = set()
    for series in series_list:
        members = [by_id[i] for i in series.occurrence_ids if i in by_id]
        if len(members) < 2:
            continue
        account_id, currency = members[0].account_id, series.currency
        typical = abs(series.amount_minor)
        income = series.direction == "in"
        cadence = series.cadence.value
        print_ = fingerprint(account_id, series.payee, cadence, typical)
        candidate = existing.get(print_)
        if candidate is not None and candidate.status != CandidateStatus.proposed.value:
            continue
        prefix, bucket = _prefix_and_bucket(print_)
        if any(p == prefix and abs(b - bucket) <= 1 for p, b in dismissed):
            continue
        if candidate is None:
            # The same series whose amount moved to a neighbouring bucket (a price
            # change): keep its proposal, under the new fingerprint.
            for other in proposed:
                p, b = _prefix_and_bucket(other.fingerprint)
                if p == prefix and abs(b - bucket) <= 1 and other.id not in seen:
                    candidate = other
                    existing.pop(other.fingerprint, None)
                    other.fingerprint = print_
                    existing[print_] = other
                    break
        if candidate is not None and candidate.id in seen:
            continue
        member_ids = [m.uid for m in members]
        if any(i in linked for i in member_ids) or _covered(
            active_bills, account_id, currency, series.payee, income
        ):
            continue
        categories = _categories(session, tenant_id, member_ids)
        values: dict[str, Any] = {
            "payee": series.payee[:200],
            "account_id": account_id,
            "category_id": max(set(categories), key=categories.count) if categories else None,
            "kind": series.kind.value,
            "cadence": cadence,
            "rrule": series.rrule,
            "currency": currency,
            "amount_minor": typical,
            "amount_min_minor": min(abs(series.amount_min_minor), abs(series.amount_max_minor)),
            "amount_max_minor": max(abs(series.amount_min_minor), abs(series.amount_max_minor)),
            "monthly_cost_minor": abs(series.monthly_cost_minor),
            "last_seen": members[-1].posted_on,
            "next_expected": series.next_expected,
            "confidence": round(float(series.confidence), 3),
            "occurrences": len(members),
            "transaction_ids": [str(i) for i in member_ids],
            "price_changes": [
                {
                    "day": change.day.isoformat(),
                    "old_minor": abs(change.old_minor),
                    "new_minor": abs(change.new_minor),
                }
                for change in series.price_changes
            ],
        }
        if candidate is None:
            candidate = RecurringCandidate(
                tenant_id=tenant_id,
                fingerprint=print_,
                status=CandidateStatus.proposed.value,
                **values,
            )
            session.add(candidate)
            existing[print_] = candidate
        else:
            for key, value in values.items():
                setattr(candidate, key, value)
        session.flush()
        seen.add(candidate.id)
        run.proposed.append(candidate)
    # A proposal whose series is no longer found (it ended, or became a bill) goes.
    for stale in proposed:
        if stale.id not in seen:
            session.delete(stale)
    session.flush()
    record(
        session,
        action="bill.detection_ran",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="recurring_candidate",
        new={"found": run.found, "proposed": len(run.proposed)},
    )
    run.proposed.sort(key=lambda c: (-c.confidence, c.payee.lower()))
    return run


# --- candidates ---------------------------------------------------------------------------


def list_candidates(
    session: Session, *, tenant_id: uuid.UUID, status: str = CandidateStatus.proposed.value
) -> list[RecurringCandidate]:
    query = select(RecurringCandidate).where(
        RecurringCandidate.tenant_id == tenant_id, RecurringCandidate.status == status
    )
    found = list(session.scalars(query))
    found.sort(key=lambda c: (-c.confidence, c.payee.lower()))
    return found


def get_candidate(
    session: Session, *, tenant_id: uuid.UUID, candidate_id: uuid.UUID
) -> RecurringCandidate:
    found = session.scalar(
        select(RecurringCandidate).where(
            RecurringCandidate.tenant_id == tenant_id, RecurringCandidate.id == candidate_id
        )
    )
    if found is None:
        raise NotFound("No detected series with this id in this household.")
    return found


def _first_seen(session: Session, tenant_id: uuid.UUID, candidate: RecurringCandidate) -> date:
    ids = [uuid.UUID(i) for i in candidate.transaction_ids or []]
    if not ids:
        return candidate.last_seen
    days = session.scalars(
        select(LedgerTransaction.posted_on).where(
            LedgerTransaction.tenant_id == tenant_id, LedgerTransaction.id.in_(ids)
        )
    ).all()
    return min(days) if days else candidate.last_seen


_MONTHS_STEP = {"monthly": 1, "quarterly": 3, "yearly": 12}
_DAYS_STEP = {"weekly": 7, "biweekly": 14}


def first_due_of(candidate: RecurringCandidate, first_seen: date) -> date:
    """A start date for the series' rule whose first due date is the one nearest its first
    payment: the rule is written to start at `next_expected`, so the start keeps its
    phase (the week of a two-weekly rule, the month of a quarterly one)."""
    anchor = candidate.next_expected
    if anchor is None:
        return first_seen
    if candidate.cadence in _DAYS_STEP:
        step = _DAYS_STEP[candidate.cadence]
        back = round((anchor - first_seen).days / step)
        return anchor - timedelta(days=step * back)
    step = _MONTHS_STEP.get(candidate.cadence, 1)
    gap = (anchor.year * 12 + anchor.month) - (first_seen.year * 12 + first_seen.month)
    index = anchor.year * 12 + anchor.month - 1 - round(gap / step) * step
    return date(index // 12, index % 12 + 1, 1)


def schedule_words(candidate: RecurringCandidate) -> str:
    """The series' rule in words, read from its last payment."""
    try:
        return recurrence.describe(candidate.rrule, candidate.next_expected or candidate.last_seen)
    except recurrence.RecurrenceError:
        return candidate.cadence


def _unique_name(session: Session, tenant_id: uuid.UUID, wanted: str) -> str:
    taken = {
        name.lower()
        for name in session.scalars(select(Bill.name).where(Bill.tenant_id == tenant_id))
    }
    if wanted.lower() not in taken:
        return wanted
    number = 2
    while f"{wanted} ({number})".lower() in taken:
        number += 1
    return f"{wanted} ({number})"


def accept(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    candidate_id: uuid.UUID,
    edits: dict[str, Any] | None = None,
    today: date,
) -> Bill:
    """Create a bill from a proposed series (with the person's edits: name, kind, amount
    range, category, rrule, first due date, autopay) and link its payments."""
    candidate = get_candidate(session, tenant_id=tenant_id, candidate_id=candidate_id)
    if candidate.status != CandidateStatus.proposed.value:
        raise field_error("candidate_id", f"this series is already {candidate.status}")
    edits = dict(edits or {})
    code = candidate.currency
    first_due = edits.get("first_due") or first_due_of(
        candidate, _first_seen(session, tenant_id, candidate)
    )
    name = edits.get("name") or _unique_name(session, tenant_id, candidate.payee[:200])
    bill = bills.create_bill(
        session,
        tenant_id=tenant_id,
        actor_id=actor_id,
        name=name,
        payee=candidate.payee[:200],
        kind=edits.get("kind") or candidate.kind,
        amount_min=edits.get("amount_min")
        or Decimal(decimal_text(candidate.amount_min_minor, code)),
        amount_max=edits.get("amount_max")
        or Decimal(decimal_text(candidate.amount_max_minor, code)),
        currency=code,
        account_id=candidate.account_id,
        category_id=edits.get("category_id", candidate.category_id),
        rrule=edits.get("rrule") or candidate.rrule,
        first_due=first_due,
        autopay=bool(edits.get("autopay", False)),
        source=BillSource.detected,
        today=today,
        match_history=False,
    )
    linked = _link_series(session, tenant_id, bill, candidate)
    bills.match_transactions(
        session,
        tenant_id=tenant_id,
        actor_id=actor_id,
        bill_ids=[bill.id],
        since=max(bill.first_due, today - timedelta(days=HISTORY_DAYS)),
        today=today,
    )
    candidate.status = CandidateStatus.accepted.value
    candidate.bill_id = bill.id
    session.flush()
    record(
        session,
        action="recurring_candidate.accepted",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="recurring_candidate",
        entity_id=candidate.id,
        new={"bill_id": bill.id, "linked": linked, "edits": sorted(edits)},
    )
    return bill


def _link_series(
    session: Session, tenant_id: uuid.UUID, bill: Bill, candidate: RecurringCandidate
) -> int:
    """Link each of the series' transactions to the nearest free due date within the
    bill's match window (the same way); returns how many were linked."""
    ids = [uuid.UUID(i) for i in candidate.transaction_ids or []]
    if not ids:
        return 0
    taken = set(
        session.scalars(
            select(BillOccurrence.transaction_id).where(
                BillOccurrence.tenant_id == tenant_id, BillOccurrence.transaction_id.in_(ids)
            )
        )
    )
    txns = session.execute(
        select(LedgerTransaction.id, LedgerTransaction.posted_on, LedgerTransaction.amount_minor)
        .where(LedgerTransaction.tenant_id == tenant_id, LedgerTransaction.id.in_(ids))
        .order_by(LedgerTransaction.posted_on)
    ).all()
    if not txns:
        return 0
    window = timedelta(days=bill.match_window_days)
    days = bills.due_dates(bill, txns[0][1] - window, txns[-1][1] + window)
    used: set[date] = set()
    income = bill.kind == BillKind.income.value
    linked = 0
    for txn_id, posted, amount in txns:
        if txn_id in taken or (amount > 0) != income:
            continue
        near = [
            d for d in days if abs((d - posted).days) <= bill.match_window_days and d not in used
        ]
        if not near:
            continue
        due = min(near, key=lambda d: abs((d - posted).days))
        used.add(due)
        session.add(
            BillOccurrence(
                tenant_id=tenant_id,
                bill_id=bill.id,
                due_on=due,
                status=bills.PAID,
                transaction_id=txn_id,
                matched_by=MatchedBy.automatic.value,
                confidence=candidate.confidence,
            )
        )
        linked += 1
    session.flush()
    return linked


def dismiss(
    session: Session, *, tenant_id: uuid.UUID, actor_id: uuid.UUID | None, candidate_id: uuid.UUID
) -> RecurringCandidate:
    """Not a bill: the series is never proposed again."""
    candidate = get_candidate(session, tenant_id=tenant_id, candidate_id=candidate_id)
    if candidate.status == CandidateStatus.accepted.value:
        raise field_error("candidate_id", "this series is already a bill; delete the bill instead")
    if candidate.status != CandidateStatus.dismissed.value:
        candidate.status = CandidateStatus.dismissed.value
        session.flush()
        record(
            session,
            action="recurring_candidate.dismissed",
            actor_id=actor_id,
            tenant_id=tenant_id,
            entity_type="recurring_candidate",
            entity_id=candidate.id,
            new={"payee": candidate.payee, "cadence": candidate.cadence},
        )
    return candidate


# --- subscriptions ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubscriptionCost:
    bill: Bill
    monthly_minor: int | None  # base currency; None without a rate
    yearly_minor: int | None
    next_due: date | None


@dataclass(frozen=True, slots=True)
class PriceIncrease:
    name: str
    bill_id: uuid.UUID | None
    day: date
    currency: str
    old_minor: int
    new_minor: int


@dataclass
class Subscriptions:
    base_currency: str
    items: list[SubscriptionCost]
    increases: list[PriceIncrease]

    @property
    def monthly_total_minor(self) -> int:
        return sum(i.monthly_minor or 0 for i in self.items)

    @property
    def yearly_total_minor(self) -> int:
        return sum(i.yearly_minor or 0 for i in self.items)

    @property
    def missing_rates(self) -> list[str]:
        return sorted({i.bill.currency for i in self.items if i.yearly_minor is None})


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def subscriptions(session: Session, *, tenant_id: uuid.UUID, today: date) -> Subscriptions:
    """The active subscriptions with their cost, and the price increases seen."""
    base = session.scalar(select(Tenant.base_currency).where(Tenant.id == tenant_id)) or "USD"
    convert = Converter(session, tenant_id=tenant_id, to_ccy=base)
    subs = [
        b
        for b in bills.list_bills(session, tenant_id=tenant_id, statuses=[BillStatus.active.value])
        if b.kind == BillKind.subscription.value
    ]
    items: list[SubscriptionCost] = []
    for bill in subs:
        year = bills.due_dates(bill, today, today + timedelta(days=364))
        yearly_own = bill.amount_max_minor * len(year)
        yearly = convert(yearly_own, bill.currency, today)
        monthly = _half_up(Decimal(yearly) / 12) if yearly is not None else None
        items.append(SubscriptionCost(bill, monthly, yearly, year[0] if year else None))
    items.sort(key=lambda i: (-(i.yearly_minor or 0), i.bill.name.lower()))

    increases: dict[tuple[str, date], PriceIncrease] = {}
    since = today - timedelta(days=PRICE_LOOKBACK_DAYS)
    by_bill = {b.id: b for b in subs}
    for candidate in session.scalars(
        select(RecurringCandidate).where(
            RecurringCandidate.tenant_id == tenant_id,
            RecurringCandidate.status != CandidateStatus.dismissed.value,
        )
    ):
        # An accepted series counts when its bill is an active subscription; a proposed
        # one when it looks like a subscription.
        if candidate.bill_id is not None:
            owner = by_bill.get(candidate.bill_id)
            if owner is None:
                continue
            name = owner.name
        elif candidate.kind == BillKind.subscription.value:
            name = candidate.payee
        else:
            continue
        for change in candidate.price_changes or []:
            day = date.fromisoformat(change["day"])
            old, new = abs(int(change["old_minor"])), abs(int(change["new_minor"]))
            if new > old and day >= since:
                increases[(name.lower(), day)] = PriceIncrease(
                    name, candidate.bill_id, day, candidate.currency, old, new
                )
    if subs:
        paid = session.execute(
            select(
                BillOccurrence.bill_id,
                BillOccurrence.due_on,
                LedgerTransaction.posted_on,
                LedgerTransaction.amount_minor,
            )
            .join(LedgerTransaction, LedgerTransaction.id == BillOccurrence.transaction_id)
            .where(
                BillOccurrence.tenant_id == tenant_id,
                BillOccurrence.bill_id.in_([b.id for b in subs]),
                BillOccurrence.status == bills.PAID,
                BillOccurrence.due_on >= since - timedelta(days=62),
            )
            .order_by(BillOccurrence.bill_id, BillOccurrence.due_on)
        ).all()
        previous: dict[uuid.UUID, int] = {}
        for bill_id, _due, posted, amount in paid:
            amount = abs(amount)
            before = previous.get(bill_id)
            previous[bill_id] = amount
            if before is not None and amount > before and posted >= since:
                bill = by_bill[bill_id]
                key = (bill.name.lower(), posted)
                near = [k for k in increases if k[0] == key[0] and abs((k[1] - posted).days) <= 10]
                if not near:
                    increases[key] = PriceIncrease(
                        bill.name, bill.id, posted, bill.currency, before, amount
                    )
    ordered = sorted(increases.values(), key=lambda p: p.day, reverse=True)
    return Subscriptions(base, items, ordered)
