"""Bills, subscriptions and recurring income: what is due when, and what paid it.

A bill falls due on the dates of its RRULE (read by `coffer.core.recurrence`) from
`first_due` to `ends_on`. What happened on a due date is a `BillOccurrence` row (paid
by a linked transaction, a doubtful automatic match waiting for review, or skipped);
a due date without a row takes its status from today:

- upcoming: due after today;
- due: due today;
- late: past due, but a payment could still arrive inside the match window
  (`match_window_days` after the due date);
- missed: the match window has passed and nothing paid it.

Paused and cancelled bills keep their history (the rows) but have no open due dates.

Matching a transaction to a due date (`match_transactions`) scores three things: the
payee (the same merchant, or the normalised payee text equal to, containing or
sharing most words with the bill's), the amount (inside the bill's range, or within a
tolerance of it), and the date (inside the match window either side of a due date).
A confident match links the transaction (status paid, matched by "automatic"); a
doubtful one (amount only near the range, or the payee only sharing words) waits in
review for the person to confirm or reject. A rejected transaction is never proposed
for that bill again. Each transaction pays at most one due date, and each due date
is paid by at most one transaction.

Every function takes the session first and keyword-only arguments after it, filters
by tenant, raises coffer.errors types naming the field at fault, audits every write,
and never commits: the caller's unit of work does.
"""

from __future__ import annotations

import bisect
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypedDict

import structlog
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coffer.audit.service import changes, record
from coffer.budgets.models import (
    Bill,
    BillKind,
    BillOccurrence,
    BillSource,
    BillStatus,
    MatchedBy,
    OccurrenceStatus,
)
from coffer.core import recurrence, recurring
from coffer.core.money import from_minor
from coffer.errors import Conflict, NotFound, ValidationFailed, field_error
from coffer.ledger.common import (
    check_currency,
    clean_text,
    decimal_text,
    get_or_404,
    minor,
    required_name,
)
from coffer.ledger.models import Account, Category, LedgerTransaction, Merchant
from coffer.tenancy.models import Tenant
from coffer.web.templating import write_day, write_money

NAME_MAX = 200
PAYEE_MAX = 200
RRULE_MAX = 500
# A doubtful match: the amount is outside the bill's range by at most this share.
AMOUNT_TOLERANCE = Decimal("0.15")
# How far back the upcoming list and the matcher look for unpaid due dates.
LOOKBACK_DAYS = 45
MAX_RANGE_DAYS = 400
# A transaction can sit in at most this many "rejected" lists per bill.
MAX_REJECTED = 500

UPCOMING, DUE, LATE, MISSED = "upcoming", "due", "late", "missed"
PAID, REVIEW, SKIPPED = (
    OccurrenceStatus.paid.value,
    OccurrenceStatus.review.value,
    OccurrenceStatus.skipped.value,
)
OPEN_STATUSES = frozenset({UPCOMING, DUE, LATE, MISSED})
STATUS_LABELS = {
    PAID: "Paid",
    REVIEW: "Check the match",
    SKIPPED: "Skipped",
    UPCOMING: "Upcoming",
    DUE: "Due today",
    LATE: "Late",
    MISSED: "Missed",
}

log = structlog.get_logger("coffer.bills")


class BillPatch(TypedDict, total=False):
    name: str
    payee: str
    merchant_id: uuid.UUID | None
    kind: BillKind | str
    amount_min: Decimal
    amount_max: Decimal | None
    currency: str
    account_id: uuid.UUID | None
    category_id: uuid.UUID | None
    rrule: str
    first_due: date
    ends_on: date | None
    autopay: bool
    reminder_days: int
    match_window_days: int
    notes: str | None


# --- reading rules ------------------------------------------------------------------------


def check_rule(text: str, first_due: date, *, field_name: str = "rrule") -> str:
    """The rule text, tidied (no "RRULE:" prefix), or a field error saying what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise field_error(field_name, "must not be empty; give an RRULE like FREQ=MONTHLY")
    cleaned = text.strip()
    if cleaned.upper().startswith("RRULE:"):
        cleaned = cleaned[len("RRULE:") :].strip()
    if len(cleaned) > RRULE_MAX:
        raise field_error(field_name, f"must be at most {RRULE_MAX} characters")
    try:
        recurrence.parse_rule(cleaned, first_due)
    except recurrence.RecurrenceError as exc:
        raise field_error(field_name, str(exc)) from exc
    return cleaned.upper()


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _several_dates(rule: str) -> str | None:
    """Words for a yearly rule on one day of several months ("FREQ=YEARLY;BYMONTH=4,12;
    BYMONTHDAY=10": "Yearly on 10 April and 10 December"), which core.recurrence leaves
    as RRULE text."""
    parts = dict(piece.partition("=")[::2] for piece in rule.split(";"))
    if set(parts) != {"FREQ", "BYMONTH", "BYMONTHDAY"} or parts["FREQ"] != "YEARLY":
        return None
    try:
        months = [int(m) for m in parts["BYMONTH"].split(",")]
        day = int(parts["BYMONTHDAY"])
    except ValueError:
        return None
    if not 1 <= day <= 28 or not all(1 <= m <= 12 for m in months):
        return None
    dates = [f"{day} {_MONTHS[m - 1]}" for m in sorted(months)]
    return "Yearly on " + (
        ", ".join(dates[:-1]) + " and " + dates[-1] if len(dates) > 1 else dates[0]
    )


def describe(bill: Bill) -> str:
    """ "Monthly on day 15": the bill's rule in words (its RRULE when there are none)."""
    try:
        words = recurrence.describe(bill.rrule, bill.first_due)
    except recurrence.RecurrenceError:
        return bill.rrule
    if words == bill.rrule:
        return _several_dates(bill.rrule) or words
    return words


@dataclass(frozen=True, slots=True)
class Preset:
    key: str
    label: str


PRESETS = (
    Preset("monthly", "Monthly on a day of the month"),
    Preset("last_business_day", "Monthly on the last business day"),
    Preset("every_2_weeks", "Every 2 weeks on a weekday"),
    Preset("weekly", "Every week on a weekday"),
    Preset("yearly", "Yearly on a date"),
    Preset("custom", "Custom RRULE"),
)


def preset_rule(key: str, first_due: date) -> str:
    """The RRULE a preset means for a bill first due on `first_due` (its day, weekday or
    date); a field error for an unknown preset."""
    if key == "monthly":
        return recurrence.monthly_on_day(first_due.day)
    if key == "last_business_day":
        return recurrence.last_business_day()
    if key == "every_2_weeks":
        return recurrence.every_n_weeks(2, first_due.weekday())
    if key == "weekly":
        return recurrence.weekly_on(first_due.weekday())
    if key == "yearly":
        return recurrence.yearly_on(first_due.month, first_due.day)
    raise field_error("preset", "choose one of the repeat options in the list")


def due_dates(bill: Bill, start: date, end: date) -> list[date]:
    """The bill's due dates from `start` to `end` (inclusive), within first_due..ends_on."""
    start = max(start, bill.first_due)
    if bill.ends_on is not None:
        end = min(end, bill.ends_on)
    if end < start:
        return []
    try:
        return recurrence.occurrences(bill.rrule, bill.first_due, start, end)
    except recurrence.RecurrenceError:
        return []


# --- bills ------------------------------------------------------------------------------


def snapshot(bill: Bill) -> dict[str, Any]:
    return {
        "name": bill.name,
        "payee": bill.payee,
        "merchant_id": bill.merchant_id,
        "kind": bill.kind,
        "amount_min": decimal_text(bill.amount_min_minor, bill.currency),
        "amount_max": decimal_text(bill.amount_max_minor, bill.currency),
        "currency": bill.currency,
        "account_id": bill.account_id,
        "category_id": bill.category_id,
        "rrule": bill.rrule,
        "first_due": bill.first_due,
        "ends_on": bill.ends_on,
        "autopay": bill.autopay,
        "reminder_days": bill.reminder_days,
        "match_window_days": bill.match_window_days,
        "status": bill.status,
        "notes": bill.notes,
    }


def get_bill(session: Session, *, tenant_id: uuid.UUID, bill_id: uuid.UUID) -> Bill:
    found = session.scalar(select(Bill).where(Bill.tenant_id == tenant_id, Bill.id == bill_id))
    if found is None:
        raise NotFound("No bill with this id in this household.")
    return found


def list_bills(
    session: Session, *, tenant_id: uuid.UUID, statuses: Iterable[str] | None = None
) -> list[Bill]:
    query = select(Bill).where(Bill.tenant_id == tenant_id)
    if statuses is not None:
        query = query.where(Bill.status.in_(list(statuses)))
    return list(session.scalars(query.order_by(func.lower(Bill.name), Bill.id)))


def _base_currency(session: Session, tenant_id: uuid.UUID) -> str:
    code = session.scalar(select(Tenant.base_currency).where(Tenant.id == tenant_id))
    return code or "USD"


def _kind(value: BillKind | str) -> str:
    try:
        return BillKind(value).value
    except ValueError as exc:
        raise field_error("kind", "must be bill, subscription or income") from exc


def _whole(value: int, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise field_error(name, f"must be a whole number from {low} to {high}")
    return value


def _check_name(session: Session, tenant_id: uuid.UUID, name: str, own: uuid.UUID | None) -> str:
    cleaned = required_name(name, max_length=NAME_MAX)
    query = select(Bill.id).where(
        Bill.tenant_id == tenant_id, func.lower(Bill.name) == cleaned.lower()
    )
    if own is not None:
        query = query.where(Bill.id != own)
    if session.scalar(query) is not None:
        raise field_error("name", "a bill with this name already exists")
    return cleaned


def _apply(session: Session, bill: Bill, values: BillPatch, *, creating: bool) -> None:
    """Check `values` and set them on `bill`; a ValidationFailed naming every field at fault
    (nothing is set when any is refused)."""
    tenant_id = bill.tenant_id
    problems: list[dict[str, str]] = []

    def attempt(fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (ValidationFailed, NotFound) as exc:
            problems.extend(exc.errors or [{"field": "", "message": exc.detail}])
            return None

    new: dict[str, Any] = {}
    if "name" in values:
        new["name"] = attempt(_check_name, session, tenant_id, values["name"], bill.id)
    if "payee" in values:
        new["payee"] = attempt(required_name, values["payee"], field="payee", max_length=PAYEE_MAX)
    if "kind" in values:
        new["kind"] = attempt(_kind, values["kind"])
    if "merchant_id" in values:
        merchant_id = values["merchant_id"]
        if merchant_id is not None:
            attempt(
                get_or_404,
                session,
                Merchant,
                tenant_id=tenant_id,
                id=merchant_id,
                field="merchant_id",
            )
        new["merchant_id"] = merchant_id
    account: Account | None = None
    if "account_id" in values:
        account_id = values["account_id"]
        if account_id is not None:
            account = attempt(
                get_or_404, session, Account, tenant_id=tenant_id, id=account_id, field="account_id"
            )
        new["account_id"] = account_id
    elif bill.account_id is not None:
        account = session.get(Account, bill.account_id)
    if "category_id" in values:
        category_id = values["category_id"]
        if category_id is not None:
            attempt(
                get_or_404,
                session,
                Category,
                tenant_id=tenant_id,
                id=category_id,
                field="category_id",
            )
        new["category_id"] = category_id

    # The currency: given, else the account's, else the household's.
    code: str | None = None
    if values.get("currency"):
        code = attempt(check_currency, str(values["currency"]), field="currency")
    elif creating:
        code = account.currency if account is not None else _base_currency(session, tenant_id)
    else:
        code = bill.currency
    if code and account is not None and account.currency != code:
        problems.append(
            {
                "field": "currency",
                "message": f"must be the account's currency ({account.currency})",
            }
        )
    if code:
        new["currency"] = code
        low_value = values.get("amount_min")
        high_value = values.get("amount_max")
        if "amount_min" in values or "amount_max" in values or "currency" in values:
            low = (
                attempt(minor, low_value, code, field="amount_min")
                if low_value is not None
                else bill.amount_min_minor
            )
            high = (
                attempt(minor, high_value, code, field="amount_max")
                if high_value is not None
                else (low if creating else bill.amount_max_minor)
            )
            if low is not None and low <= 0:
                problems.append(
                    {"field": "amount_min", "message": "must be more than zero (kind says the way)"}
                )
            elif low is not None and high is not None and high < low:
                problems.append(
                    {"field": "amount_max", "message": "must be at least the smallest amount"}
                )
            new["amount_min_minor"], new["amount_max_minor"] = low, high

    first_due = values.get("first_due", bill.first_due)
    if "first_due" in values and not isinstance(first_due, date):
        problems.append({"field": "first_due", "message": "must be a date"})
        first_due = None
    if "rrule" in values or "first_due" in values:
        if first_due is None:
            problems.append({"field": "first_due", "message": "give the first due date"})
        else:
            new["rrule"] = attempt(check_rule, values.get("rrule", bill.rrule), first_due)
            new["first_due"] = first_due
    if "ends_on" in values:
        new["ends_on"] = values["ends_on"]
    ends_on = new.get("ends_on", bill.ends_on)
    if ends_on is not None and first_due is not None and ends_on < first_due:
        problems.append({"field": "ends_on", "message": "must not be before the first due date"})
    if "autopay" in values:
        new["autopay"] = bool(values["autopay"])
    if "reminder_days" in values:
        new["reminder_days"] = attempt(_whole, values["reminder_days"], "reminder_days", 0, 60)
    if "match_window_days" in values:
        new["match_window_days"] = attempt(
            _whole, values["match_window_days"], "match_window_days", 0, 15
        )
    if "notes" in values:
        new["notes"] = attempt(clean_text, values["notes"], field="notes")
    if problems:
        detail = "; ".join(
            f"{p['field']}: {p['message']}" if p["field"] else p["message"] for p in problems
        )
        raise ValidationFailed(detail, errors=problems)
    for key, value in new.items():
        setattr(bill, key, value)


def create_bill(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    name: str,
    payee: str,
    amount_min: Decimal,
    rrule: str,
    first_due: date,
    kind: BillKind | str = BillKind.bill,
    amount_max: Decimal | None = None,
    currency: str | None = None,
    merchant_id: uuid.UUID | None = None,
    account_id: uuid.UUID | None = None,
    category_id: uuid.UUID | None = None,
    ends_on: date | None = None,
    autopay: bool = False,
    reminder_days: int = 3,
    match_window_days: int = 5,
    notes: str | None = None,
    source: BillSource = BillSource.manual,
    today: date | None = None,
    match_history: bool = True,
) -> Bill:
    """A new active bill. Transactions already in the ledger that pay its past due dates
    are matched to them (as an import's would be)."""
    bill = Bill(
        tenant_id=tenant_id,
        status=BillStatus.active.value,
        source=source.value,
        amount_min_minor=0,
        amount_max_minor=0,
        rejected_transaction_ids=[],
    )
    values: BillPatch = {
        "name": name,
        "payee": payee,
        "kind": kind,
        "merchant_id": merchant_id,
        "amount_min": amount_min,
        "amount_max": amount_max,
        "account_id": account_id,
        "category_id": category_id,
        "rrule": rrule,
        "first_due": first_due,
        "ends_on": ends_on,
        "autopay": autopay,
        "reminder_days": reminder_days,
        "match_window_days": match_window_days,
        "notes": notes,
    }
    if currency:
        values["currency"] = currency
    _apply(session, bill, values, creating=True)
    session.add(bill)
    session.flush()
    record(
        session,
        action="bill.created",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="bill",
        entity_id=bill.id,
        new=snapshot(bill),
    )
    day = today or date.today()
    if match_history and bill.first_due <= day:
        match_transactions(
            session,
            tenant_id=tenant_id,
            bill_ids=[bill.id],
            since=max(bill.first_due, day - timedelta(days=MAX_RANGE_DAYS)),
            today=day,
        )
    return bill


def update_bill(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    bill_id: uuid.UUID,
    values: BillPatch,
) -> Bill:
    bill = get_bill(session, tenant_id=tenant_id, bill_id=bill_id)
    before = snapshot(bill)
    _apply(session, bill, values, creating=False)
    session.flush()
    old, new = changes(before, snapshot(bill))
    if new:
        record(
            session,
            action="bill.updated",
            actor_id=actor_id,
            tenant_id=tenant_id,
            entity_type="bill",
            entity_id=bill.id,
            old=old,
            new=new,
        )
    return bill


def set_status(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    bill_id: uuid.UUID,
    status: BillStatus | str,
) -> Bill:
    """Pause, resume (active) or cancel a bill; its history stays."""
    bill = get_bill(session, tenant_id=tenant_id, bill_id=bill_id)
    try:
        wanted = BillStatus(status).value
    except ValueError as exc:
        raise field_error("status", "must be active, paused or cancelled") from exc
    if wanted != bill.status:
        old = bill.status
        bill.status = wanted
        session.flush()
        record(
            session,
            action=f"bill.{wanted}",
            actor_id=actor_id,
            tenant_id=tenant_id,
            entity_type="bill",
            entity_id=bill.id,
            old={"status": old},
            new={"status": wanted},
        )
    return bill


def delete_bill(
    session: Session, *, tenant_id: uuid.UUID, actor_id: uuid.UUID | None, bill_id: uuid.UUID
) -> None:
    """Delete a bill and its occurrences (the transactions stay)."""
    bill = get_bill(session, tenant_id=tenant_id, bill_id=bill_id)
    record(
        session,
        action="bill.deleted",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="bill",
        entity_id=bill.id,
        old=snapshot(bill),
    )
    session.execute(
        delete(BillOccurrence).where(
            BillOccurrence.tenant_id == tenant_id, BillOccurrence.bill_id == bill.id
        )
    )
    session.delete(bill)
    session.flush()


# --- occurrences ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One due date of one bill and what happened on it."""

    bill: Bill
    due_on: date
    status: str
    transaction_id: uuid.UUID | None = None
    paid_minor: int | None = None  # the linked transaction's amount, positive
    paid_on: date | None = None
    payee: str | None = None  # the linked transaction's payee
    matched_by: str | None = None
    confidence: float | None = None

    @property
    def label(self) -> str:
        if self.status == LATE and self.bill.autopay:
            return "Payment expected"
        return STATUS_LABELS[self.status]

    @property
    def needs_attention(self) -> bool:
        return self.status in (LATE, MISSED, REVIEW)

    @property
    def expected(self) -> Decimal:
        """The amount to expect: a fixed amount, or the top of the range."""
        return from_minor(self.bill.amount_max_minor, self.bill.currency)

    @property
    def signed_expected(self) -> Decimal:
        return self.expected if self.bill.kind == BillKind.income.value else -self.expected


def open_status(bill: Bill, due_on: date, today: date) -> str:
    """The status of a due date that has no row (see the module docstring)."""
    if due_on > today:
        return UPCOMING
    if due_on == today:
        return DUE
    if today <= due_on + timedelta(days=bill.match_window_days):
        return LATE
    return MISSED


def _rows(
    session: Session, tenant_id: uuid.UUID, bill_ids: Sequence[uuid.UUID], start: date, end: date
) -> dict[tuple[uuid.UUID, date], tuple[BillOccurrence, LedgerTransaction | None]]:
    if not bill_ids:
        return {}
    query = (
        select(BillOccurrence, LedgerTransaction)
        .outerjoin(
            LedgerTransaction,
            (LedgerTransaction.id == BillOccurrence.transaction_id)
            & (LedgerTransaction.tenant_id == BillOccurrence.tenant_id),
        )
        .where(
            BillOccurrence.tenant_id == tenant_id,
            BillOccurrence.bill_id.in_(list(bill_ids)),
            BillOccurrence.due_on >= start,
            BillOccurrence.due_on <= end,
        )
    )
    return {(row.bill_id, row.due_on): (row, txn) for row, txn in session.execute(query)}


def _occurrence(
    bill: Bill,
    due_on: date,
    found: tuple[BillOccurrence, LedgerTransaction | None] | None,
    today: date,
) -> Occurrence:
    if found is None:
        return Occurrence(bill, due_on, open_status(bill, due_on, today))
    row, txn = found
    return Occurrence(
        bill,
        due_on,
        row.status,
        transaction_id=row.transaction_id,
        paid_minor=abs(txn.amount_minor) if txn is not None else None,
        paid_on=txn.posted_on if txn is not None else None,
        payee=txn.payee if txn is not None else None,
        matched_by=row.matched_by if row.status != SKIPPED else None,
        confidence=row.confidence,
    )


def occurrences(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    start: date,
    end: date,
    today: date,
    bills: Sequence[Bill] | None = None,
) -> list[Occurrence]:
    """Every due date of `bills` (default: all of the household's) from `start` to `end`,
    by date then name. Bills that are not active show only the dates that have a row."""
    if end < start:
        raise field_error("end", "must not be before the start")
    if (end - start).days > MAX_RANGE_DAYS * 3:
        raise field_error("end", f"ask for at most {MAX_RANGE_DAYS * 3} days at a time")
    chosen = list(bills) if bills is not None else list_bills(session, tenant_id=tenant_id)
    rows = _rows(session, tenant_id, [b.id for b in chosen], start, end)
    found: list[Occurrence] = []
    for bill in chosen:
        days = set(due_dates(bill, start, end)) if bill.status == BillStatus.active.value else set()
        days |= {due for (bill_id, due) in rows if bill_id == bill.id}
        for due in days:
            found.append(_occurrence(bill, due, rows.get((bill.id, due)), today))
    found.sort(key=lambda o: (o.due_on, o.bill.name.lower()))
    return found


def upcoming(
    session: Session, *, tenant_id: uuid.UUID, today: date, days: int = 30
) -> list[Occurrence]:
    """What needs an eye in the next `days`: late, missed (up to LOOKBACK_DAYS back) and
    doubtful matches first, then what is due, by date. Paid and skipped past dates are
    left out."""
    if not 1 <= days <= 366:
        raise field_error("days", "must be from 1 to 366")
    found = occurrences(
        session,
        tenant_id=tenant_id,
        start=today - timedelta(days=LOOKBACK_DAYS),
        end=today + timedelta(days=days),
        today=today,
        bills=list_bills(session, tenant_id=tenant_id, statuses=[BillStatus.active.value]),
    )
    kept = [o for o in found if o.due_on >= today or o.status in (LATE, MISSED, REVIEW)]
    return sorted(kept, key=lambda o: (0 if o.needs_attention else 1, o.due_on, o.bill.name))


def bill_history(
    session: Session, *, tenant_id: uuid.UUID, bill: Bill, today: date, ahead: int = 90
) -> list[Occurrence]:
    """A bill's due dates, newest first: from its first due date (at most a year and a
    bit back) to `ahead` days from today."""
    start = max(bill.first_due, today - timedelta(days=MAX_RANGE_DAYS))
    found = occurrences(
        session,
        tenant_id=tenant_id,
        start=min(start, today),
        end=today + timedelta(days=ahead),
        today=today,
        bills=[bill],
    )
    return list(reversed(found))


def _is_due_date(bill: Bill, due_on: date) -> bool:
    return due_on in due_dates(bill, due_on, due_on)


def _row(
    session: Session, tenant_id: uuid.UUID, bill_id: uuid.UUID, due_on: date
) -> BillOccurrence | None:
    return session.scalar(
        select(BillOccurrence).where(
            BillOccurrence.tenant_id == tenant_id,
            BillOccurrence.bill_id == bill_id,
            BillOccurrence.due_on == due_on,
        )
    )


def _check_direction(bill: Bill, txn: LedgerTransaction) -> None:
    if bill.kind == BillKind.income.value and txn.amount_minor <= 0:
        raise field_error("transaction_id", "is money going out; an income is paid by money in")
    if bill.kind != BillKind.income.value and txn.amount_minor >= 0:
        raise field_error(
            "transaction_id", f"is money coming in; a {bill.kind} is paid by money going out"
        )


def _occurrence_audit(
    session: Session,
    *,
    action: str,
    actor_id: uuid.UUID | None,
    bill: Bill,
    due_on: date,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
) -> None:
    record(
        session,
        action=action,
        actor_id=actor_id,
        tenant_id=bill.tenant_id,
        entity_type="bill",
        entity_id=bill.id,
        old={"due_on": due_on, **(old or {})},
        new={"due_on": due_on, **(new or {})},
    )


def link_transaction(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    bill_id: uuid.UUID,
    due_on: date,
    transaction_id: uuid.UUID,
) -> BillOccurrence:
    """Mark a due date paid by this transaction (of this household, going the bill's way,
    not already paying another due date)."""
    bill = get_bill(session, tenant_id=tenant_id, bill_id=bill_id)
    if not _is_due_date(bill, due_on):
        raise field_error("due_on", f"{due_on.isoformat()} is not a due date of {bill.name}")
    txn = get_or_404(
        session, LedgerTransaction, tenant_id=tenant_id, id=transaction_id, field="transaction_id"
    )
    _check_direction(bill, txn)
    other = session.execute(
        select(BillOccurrence, Bill)
        .join(Bill, Bill.id == BillOccurrence.bill_id)
        .where(
            BillOccurrence.tenant_id == tenant_id,
            BillOccurrence.transaction_id == txn.id,
            or_(BillOccurrence.bill_id != bill.id, BillOccurrence.due_on != due_on),
        )
    ).first()
    if other is not None:
        linked, owner = other
        raise Conflict(
            f"transaction_id: this transaction already pays {owner.name} "
            f"due on {linked.due_on.isoformat()}; unlink it there first.",
            errors=[
                {
                    "field": "transaction_id",
                    "message": f"already pays {owner.name} due on {linked.due_on.isoformat()}",
                }
            ],
        )
    row = _row(session, tenant_id, bill.id, due_on)
    old = {"status": row.status, "transaction_id": row.transaction_id} if row else None
    if row is None:
        row = BillOccurrence(tenant_id=tenant_id, bill_id=bill.id, due_on=due_on)
        session.add(row)
    row.status, row.transaction_id = PAID, txn.id
    row.matched_by, row.confidence = MatchedBy.user.value, None
    session.flush()
    _occurrence_audit(
        session,
        action="bill.paid",
        actor_id=actor_id,
        bill=bill,
        due_on=due_on,
        old=old,
        new={
            "status": PAID,
            "transaction_id": txn.id,
            "amount": decimal_text(txn.amount_minor, bill.currency),
        },
    )
    return row


def _existing_row(
    session: Session, tenant_id: uuid.UUID, bill: Bill, due_on: date
) -> BillOccurrence:
    row = _row(session, tenant_id, bill.id, due_on)
    if row is None:
        raise NotFound(f"Nothing is recorded for {bill.name} due on {due_on.isoformat()}.")
    return row


def reopen(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    bill_id: uuid.UUID,
    due_on: date,
) -> None:
    """Unlink the paying transaction, or undo a skip: the due date is open again."""
    bill = get_bill(session, tenant_id=tenant_id, bill_id=bill_id)
    row = _existing_row(session, tenant_id, bill, due_on)
    old = {"status": row.status, "transaction_id": row.transaction_id}
    session.delete(row)
    session.flush()
    _occurrence_audit(
        session, action="bill.reopened", actor_id=actor_id, bill=bill, due_on=due_on, old=old
    )


def skip(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    bill_id: uuid.UUID,
    due_on: date,
) -> BillOccurrence:
    """This due date does not happen (a free month, a holiday): neither late nor missed."""
    bill = get_bill(session, tenant_id=tenant_id, bill_id=bill_id)
    if not _is_due_date(bill, due_on):
        raise field_error("due_on", f"{due_on.isoformat()} is not a due date of {bill.name}")
    row = _row(session, tenant_id, bill.id, due_on)
    if row is not None and row.status == PAID:
        raise field_error("due_on", "is paid; unlink its transaction before skipping it")
    old = {"status": row.status, "transaction_id": row.transaction_id} if row else None
    if row is None:
        row = BillOccurrence(tenant_id=tenant_id, bill_id=bill.id, due_on=due_on)
        session.add(row)
    row.status, row.transaction_id = SKIPPED, None
    row.matched_by, row.confidence = MatchedBy.user.value, None
    session.flush()
    _occurrence_audit(
        session,
        action="bill.skipped",
        actor_id=actor_id,
        bill=bill,
        due_on=due_on,
        old=old,
        new={"status": SKIPPED},
    )
    return row


def confirm_match(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    bill_id: uuid.UUID,
    due_on: date,
) -> BillOccurrence:
    """The person agrees with a doubtful match: the due date is paid."""
    bill = get_bill(session, tenant_id=tenant_id, bill_id=bill_id)
    row = _existing_row(session, tenant_id, bill, due_on)
    if row.status != REVIEW:
        raise field_error("due_on", "has no match waiting for review")
    row.status, row.matched_by = PAID, MatchedBy.user.value
    session.flush()
    _occurrence_audit(
        session,
        action="bill.match_confirmed",
        actor_id=actor_id,
        bill=bill,
        due_on=due_on,
        old={"status": REVIEW},
        new={"status": PAID, "transaction_id": row.transaction_id},
    )
    return row


def reject_match(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    bill_id: uuid.UUID,
    due_on: date,
) -> None:
    """The person says the proposed transaction does not pay this bill: the due date is
    open again, and the transaction is never proposed for this bill again."""
    bill = get_bill(session, tenant_id=tenant_id, bill_id=bill_id)
    row = _existing_row(session, tenant_id, bill, due_on)
    if row.status != REVIEW:
        raise field_error("due_on", "has no match waiting for review")
    rejected = str(row.transaction_id)
    kept = [t for t in (bill.rejected_transaction_ids or []) if t != rejected]
    bill.rejected_transaction_ids = [*kept, rejected][-MAX_REJECTED:]
    session.delete(row)
    session.flush()
    _occurrence_audit(
        session,
        action="bill.match_rejected",
        actor_id=actor_id,
        bill=bill,
        due_on=due_on,
        old={"status": REVIEW, "transaction_id": rejected},
    )


def review_queue(session: Session, *, tenant_id: uuid.UUID, today: date) -> list[Occurrence]:
    """Every doubtful automatic match waiting for the person, oldest due date first."""
    query = (
        select(BillOccurrence, LedgerTransaction, Bill)
        .join(Bill, Bill.id == BillOccurrence.bill_id)
        .outerjoin(LedgerTransaction, LedgerTransaction.id == BillOccurrence.transaction_id)
        .where(BillOccurrence.tenant_id == tenant_id, BillOccurrence.status == REVIEW)
        .order_by(BillOccurrence.due_on, Bill.name)
    )
    return [
        _occurrence(bill, row.due_on, (row, txn), today)
        for row, txn, bill in session.execute(query)
    ]


def review_count(session: Session, *, tenant_id: uuid.UUID) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(BillOccurrence)
            .where(BillOccurrence.tenant_id == tenant_id, BillOccurrence.status == REVIEW)
        )
        or 0
    )


# --- matching ---------------------------------------------------------------------------


def payee_key(text: str | None) -> str:
    """A payee reduced for comparison, as the recurring detector reduces it (case-folded,
    no reference numbers, digits or punctuation)."""
    if not text or not text.strip():
        return ""
    return recurring.payee_key(text)


def payee_score(
    bill_key: str,
    bill_merchant: uuid.UUID | None,
    txn_keys: Sequence[str],
    txn_merchant: uuid.UUID | None,
) -> float:
    """1 for the same merchant or payee, 0.8 when one contains the other, 0.6 when they
    share at least half their words, else 0."""
    if bill_merchant is not None and bill_merchant == txn_merchant:
        return 1.0
    if not bill_key:
        return 0.0
    best = 0.0
    bill_words = set(bill_key.split())
    for key in txn_keys:
        if not key:
            continue
        if key == bill_key:
            return 1.0
        if min(len(key), len(bill_key)) >= 3 and (bill_key in key or key in bill_key):
            best = max(best, 0.8)
            continue
        words = set(key.split())
        shared = len(words & bill_words)
        if shared and shared * 2 >= min(len(words), len(bill_words)):
            best = max(best, 0.6)
    return best


def _slack(bill: Bill) -> int:
    return int(Decimal(bill.amount_max_minor) * AMOUNT_TOLERANCE)


def amount_score(bill: Bill, amount_minor: int) -> float:
    """1 inside the bill's range, 0.5 within AMOUNT_TOLERANCE of it, 0 otherwise."""
    paid = abs(amount_minor)
    if bill.amount_min_minor <= paid <= bill.amount_max_minor:
        return 1.0
    slack = _slack(bill)
    if bill.amount_min_minor - slack <= paid <= bill.amount_max_minor + slack:
        return 0.5
    return 0.0


@dataclass(frozen=True, slots=True)
class Proposal:
    bill: Bill
    due_on: date
    transaction_id: uuid.UUID
    confidence: float
    confident: bool


@dataclass
class MatchResult:
    paid: int = 0
    review: int = 0
    proposals: list[Proposal] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Txn:
    id: uuid.UUID
    account_id: uuid.UUID
    currency: str
    posted_on: date
    amount_minor: int
    merchant_id: uuid.UUID | None
    keys: tuple[str, ...]
    payee: str | None = None


def _candidate_query(tenant_id: uuid.UUID) -> Any:
    linked = select(BillOccurrence.transaction_id).where(
        BillOccurrence.tenant_id == tenant_id, BillOccurrence.transaction_id.is_not(None)
    )
    return (
        select(
            LedgerTransaction.id,
            LedgerTransaction.account_id,
            Account.currency,
            LedgerTransaction.posted_on,
            LedgerTransaction.amount_minor,
            LedgerTransaction.merchant_id,
            LedgerTransaction.payee,
            Merchant.name,
        )
        .join(Account, Account.id == LedgerTransaction.account_id)
        .outerjoin(Merchant, Merchant.id == LedgerTransaction.merchant_id)
        .where(
            LedgerTransaction.tenant_id == tenant_id,
            LedgerTransaction.amount_minor != 0,
            LedgerTransaction.id.not_in(linked),
        )
    )


def _narrowed(query: Any, bills: Sequence[Bill]) -> Any:
    """Only transactions some bill could take: its currency, its account (when every
    bill has one), its direction, and an amount within reach of its range."""
    query = query.where(Account.currency.in_(sorted({b.currency for b in bills})))
    accounts = {b.account_id for b in bills}
    if None not in accounts:
        query = query.where(LedgerTransaction.account_id.in_(list(accounts)))
    low = min(b.amount_min_minor - _slack(b) for b in bills)
    high = max(b.amount_max_minor + _slack(b) for b in bills)
    incomes = {b.kind == BillKind.income.value for b in bills}
    within_in = LedgerTransaction.amount_minor.between(max(low, 1), high)
    within_out = LedgerTransaction.amount_minor.between(-high, -max(low, 1))
    if incomes == {True}:
        return query.where(within_in)
    if incomes == {False}:
        return query.where(within_out)
    return query.where(or_(within_in, within_out))


def _load(session: Session, query: Any) -> list[_Txn]:
    found = []
    # Payees repeat (a history holds a few hundred of them): reduce each once.
    known: dict[tuple[str | None, str | None], tuple[str, ...]] = {}
    for id_, account_id, code, posted, amount, merchant_id, payee, merchant in session.execute(
        query
    ):
        keys = known.get((payee, merchant))
        if keys is None:
            keys = known[(payee, merchant)] = tuple(
                sorted({payee_key(payee), payee_key(merchant)} - {""})
            )
        found.append(_Txn(id_, account_id, code, posted, amount, merchant_id, keys, payee))
    return found


@dataclass(frozen=True, slots=True)
class _Spec:
    """What matching reads of a bill, read once (not through the ORM for every pair)."""

    bill: Bill
    id: uuid.UUID
    account_id: uuid.UUID | None
    currency: str
    income: bool
    window: int
    low: int
    high: int
    slack: int
    key: str
    merchant_id: uuid.UUID | None
    rejected: frozenset[str]

    @classmethod
    def of(cls, bill: Bill) -> _Spec:
        return cls(
            bill,
            bill.id,
            bill.account_id,
            bill.currency,
            bill.kind == BillKind.income.value,
            bill.match_window_days,
            bill.amount_min_minor,
            bill.amount_max_minor,
            _slack(bill),
            payee_key(bill.payee),
            bill.merchant_id,
            frozenset(bill.rejected_transaction_ids or []),
        )


def _score(spec: _Spec, txn: _Txn, gap: int, payee: float) -> tuple[float, bool] | None:
    """How sure a match is, and whether it is clear (paid) rather than doubtful."""
    paid = abs(txn.amount_minor)
    if spec.low <= paid <= spec.high:
        amount = 1.0
    elif spec.low - spec.slack <= paid <= spec.high + spec.slack:
        amount = 0.5
    else:
        return None
    closeness = 1 - 0.5 * gap / (spec.window + 1)
    confidence = round(0.5 * payee + 0.3 * amount + 0.2 * closeness, 3)
    return confidence, payee >= 0.8 and amount == 1.0


def _fits(spec: _Spec, txn: _Txn) -> bool:
    return (
        (spec.account_id is None or txn.account_id == spec.account_id)
        and txn.currency == spec.currency
        and (txn.amount_minor > 0) == spec.income
    )


def match_transactions(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    transaction_ids: Sequence[uuid.UUID] | None = None,
    import_batch_id: uuid.UUID | None = None,
    bill_ids: Sequence[uuid.UUID] | None = None,
    since: date | None = None,
    today: date | None = None,
    actor_id: uuid.UUID | None = None,
) -> MatchResult:
    """Match unlinked transactions to the open due dates of active bills (see the module
    docstring). Candidates: `transaction_ids`, or an import batch's transactions, or
    else every transaction posted since `since` (default: LOOKBACK_DAYS before today).
    """
    day = today or date.today()
    query = select(Bill).where(Bill.tenant_id == tenant_id, Bill.status == BillStatus.active.value)
    if bill_ids is not None:
        query = query.where(Bill.id.in_(list(bill_ids)))
    bills = list(session.scalars(query))
    result = MatchResult()
    if not bills:
        return result
    candidates = _candidate_query(tenant_id)
    if transaction_ids is not None:
        if not transaction_ids:
            return result
        candidates = candidates.where(LedgerTransaction.id.in_(list(transaction_ids)))
    elif import_batch_id is not None:
        candidates = candidates.where(LedgerTransaction.import_batch_id == import_batch_id)
    else:
        candidates = candidates.where(
            LedgerTransaction.posted_on >= (since or day - timedelta(days=LOOKBACK_DAYS))
        )
    txns = _load(session, _narrowed(candidates, bills))
    if not txns:
        return result
    first = min(t.posted_on for t in txns)
    last = max(t.posted_on for t in txns)
    taken_rows = _rows(
        session,
        tenant_id,
        [b.id for b in bills],
        first - timedelta(days=16),
        last + timedelta(days=16),
    )
    txns.sort(key=lambda t: t.posted_on)
    posted = [t.posted_on for t in txns]
    pairs: list[tuple[float, int, bool, Bill, date, _Txn]] = []
    for bill in bills:
        spec = _Spec.of(bill)
        window = timedelta(days=spec.window)
        payees: dict[tuple[tuple[str, ...], uuid.UUID | None], float] = {}
        # Each open due date looks only at the transactions inside its window.
        for due in due_dates(bill, first - window, last + window):
            if (spec.id, due) in taken_rows:
                continue
            low = bisect.bisect_left(posted, due - window)
            high = bisect.bisect_right(posted, due + window)
            for txn in txns[low:high]:
                if not _fits(spec, txn) or (spec.rejected and str(txn.id) in spec.rejected):
                    continue
                seen = (txn.keys, txn.merchant_id)
                payee = payees.get(seen)
                if payee is None:
                    payee = payees[seen] = payee_score(
                        spec.key, spec.merchant_id, txn.keys, txn.merchant_id
                    )
                if not payee:
                    continue
                gap = abs((txn.posted_on - due).days)
                found = _score(spec, txn, gap, payee)
                if found is not None:
                    pairs.append((found[0], -gap, found[1], bill, due, txn))
    pairs.sort(key=lambda p: (p[0], p[1]), reverse=True)
    used_txns: set[uuid.UUID] = set()
    used_dues: set[tuple[uuid.UUID, date]] = set()
    by_bill: dict[uuid.UUID, int] = defaultdict(int)
    rows: list[BillOccurrence] = []
    for confidence, _gap, confident, bill, due, txn in pairs:
        if txn.id in used_txns or (bill.id, due) in used_dues:
            continue
        used_txns.add(txn.id)
        used_dues.add((bill.id, due))
        status = PAID if confident else REVIEW
        rows.append(
            BillOccurrence(
                tenant_id=tenant_id,
                bill_id=bill.id,
                due_on=due,
                status=status,
                transaction_id=txn.id,
                matched_by=MatchedBy.automatic.value,
                confidence=confidence,
            )
        )
        by_bill[bill.id] += 1
        if confident:
            result.paid += 1
        else:
            result.review += 1
        result.proposals.append(Proposal(bill, due, txn.id, confidence, confident))
    if result.proposals:
        # Another matching run at the same moment (two imports, an import and the
        # button) may have linked some of these due dates or transactions first: the
        # unique indexes refuse the second, and then this run leaves its matches to
        # the next one rather than failing the import or the request it runs in.
        try:
            with session.begin_nested():
                session.add_all(rows)
                session.flush()
        except IntegrityError:
            log.warning("bill matching met a concurrent run", tenant_id=str(tenant_id))
            return MatchResult()
        for bill in bills:
            if by_bill.get(bill.id):
                record(
                    session,
                    action="bill.matched",
                    actor_id=actor_id,
                    tenant_id=tenant_id,
                    entity_type="bill",
                    entity_id=bill.id,
                    new={
                        "matches": [
                            {
                                "due_on": p.due_on,
                                "transaction_id": p.transaction_id,
                                "status": PAID if p.confident else REVIEW,
                                "confidence": p.confidence,
                            }
                            for p in result.proposals
                            if p.bill.id == bill.id
                        ]
                    },
                )
    return result


@dataclass(frozen=True, slots=True)
class Suggestion:
    transaction_id: uuid.UUID
    posted_on: date
    amount: Decimal
    currency: str
    payee: str | None
    confidence: float


def suggestions(
    session: Session, *, tenant_id: uuid.UUID, bill: Bill, due_on: date, limit: int = 8
) -> list[Suggestion]:
    """Unlinked transactions that could pay this due date: the right way, the bill's
    currency and account, within twice the match window, the likeliest first."""
    reach = timedelta(days=max(bill.match_window_days * 2, 7))
    query = _candidate_query(tenant_id).where(
        LedgerTransaction.posted_on >= due_on - reach,
        LedgerTransaction.posted_on <= due_on + reach,
        Account.currency == bill.currency,
        (LedgerTransaction.amount_minor > 0)
        if bill.kind == BillKind.income.value
        else (LedgerTransaction.amount_minor < 0),
    )
    if bill.account_id is not None:
        query = query.where(LedgerTransaction.account_id == bill.account_id)
    key = payee_key(bill.payee)
    ranked: list[tuple[float, _Txn]] = []
    for txn in _load(session, query.limit(2000)):
        payee = payee_score(key, bill.merchant_id, txn.keys, txn.merchant_id)
        amount = amount_score(bill, txn.amount_minor)
        gap = abs((txn.posted_on - due_on).days)
        closeness = 1 - 0.5 * gap / (reach.days + 1)
        ranked.append((round(0.5 * payee + 0.3 * amount + 0.2 * closeness, 3), txn))
    ranked.sort(key=lambda r: (r[0], r[1].posted_on), reverse=True)
    return [
        Suggestion(
            txn.id,
            txn.posted_on,
            from_minor(txn.amount_minor, txn.currency),
            txn.currency,
            txn.payee,
            confidence,
        )
        for confidence, txn in ranked[:limit]
    ]


# --- for the notification scanner and the forecast ------------------------------------


@dataclass(frozen=True, slots=True)
class BillReminder:
    bill_id: uuid.UUID
    name: str
    due_on: date
    kind: str  # "upcoming" (due within the bill's reminder days) or "missed"
    amount: Decimal
    currency: str
    title: str
    body: str
    link: str
    dedupe_key: str


def _amount_words(bill: Bill, locale: str | None) -> str:
    low, high = (
        write_money(from_minor(minor, bill.currency), bill.currency, locale)
        for minor in (bill.amount_min_minor, bill.amount_max_minor)
    )
    return low if low == high else f"{low} to {high}"


def reminders(session: Session, *, tenant_id: uuid.UUID, today: date) -> list[BillReminder]:
    """What to remind the household of today: each active bill's unpaid due dates within
    its reminder days ahead (today included), and due dates missed in the last
    LOOKBACK_DAYS. The dedupe key names the event, so the scanner notifies once."""
    found: list[BillReminder] = []
    bills = list_bills(session, tenant_id=tenant_id, statuses=[BillStatus.active.value])
    if not bills:
        return found
    horizon = max(b.reminder_days for b in bills)
    locale = session.scalar(select(Tenant.locale).where(Tenant.id == tenant_id))
    for occ in occurrences(
        session,
        tenant_id=tenant_id,
        start=today - timedelta(days=LOOKBACK_DAYS),
        end=today + timedelta(days=horizon),
        today=today,
        bills=bills,
    ):
        bill = occ.bill
        if occ.status in (UPCOMING, DUE) and occ.due_on <= today + timedelta(
            days=bill.reminder_days
        ):
            kind = "upcoming"
            when = "today" if occ.due_on == today else f"on {write_day(occ.due_on, locale)}"
            verb = "arrives" if bill.kind == BillKind.income.value else "is due"
            title = f"{bill.name} {verb} {when}"
            body = f"{_amount_words(bill, locale)} to {bill.payee}" + (
                " (paid automatically)" if bill.autopay else ""
            )
            if bill.kind == BillKind.income.value:
                body = f"{_amount_words(bill, locale)} from {bill.payee}"
        elif occ.status == MISSED:
            kind = "missed"
            title = f"{bill.name} due on {write_day(occ.due_on, locale)} looks unpaid"
            body = (
                f"No payment of {_amount_words(bill, locale)} was found within "
                f"{bill.match_window_days} days of the due date. Link the payment, or skip "
                "this date if it did not happen."
            )
        else:
            continue
        found.append(
            BillReminder(
                bill_id=bill.id,
                name=bill.name,
                due_on=occ.due_on,
                kind=kind,
                amount=occ.expected,
                currency=bill.currency,
                title=title,
                body=body,
                link=f"/bills/{bill.id}",
                dedupe_key=f"bill:{bill.id}:{occ.due_on.isoformat()}:{kind}",
            )
        )
    return found


@dataclass(frozen=True, slots=True)
class ScheduledFlow:
    bill_id: uuid.UUID
    name: str
    account_id: uuid.UUID | None
    currency: str
    day: date
    amount_minor: int  # signed: income +, bills and subscriptions -


def scheduled_flows(
    session: Session, *, tenant_id: uuid.UUID, start: date, end: date
) -> list[ScheduledFlow]:
    """Each active bill's expected amounts from `start` to `end`, signed, for the forecast.

    Due dates already paid or skipped are left out (the payment is in the ledger, or it
    does not happen); a range counts at its top (the careful guess)."""
    if end < start:
        return []
    bills = list_bills(session, tenant_id=tenant_id, statuses=[BillStatus.active.value])
    rows = _rows(session, tenant_id, [b.id for b in bills], start, end)
    flows: list[ScheduledFlow] = []
    for bill in bills:
        sign = 1 if bill.kind == BillKind.income.value else -1
        for due in due_dates(bill, start, end):
            if (bill.id, due) in rows:
                continue
            flows.append(
                ScheduledFlow(
                    bill.id,
                    bill.name,
                    bill.account_id,
                    bill.currency,
                    due,
                    sign * bill.amount_max_minor,
                )
            )
    flows.sort(key=lambda f: (f.day, f.name))
    return flows
