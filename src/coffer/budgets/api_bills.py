"""REST routes of bills, subscriptions and recurring income (/api/v1/bills): the bills
themselves, their due dates (upcoming, a month's calendar, one bill's history), paying
a due date by linking a transaction, automatic matching and its review, the series
detected in the history, and the subscriptions with their cost.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.orm import Session

from coffer.budgets import bills as service
from coffer.budgets import detection
from coffer.budgets.models import Bill, BillKind, BillSource, BillStatus, RecurringCandidate
from coffer.budgets.schemas_bills import (
    BillCreate,
    BillRead,
    BillUpdate,
    CalendarDay,
    CalendarRead,
    CandidateAccept,
    CandidateRead,
    DetectRead,
    MatchRead,
    MatchRequest,
    OccurrenceAction,
    OccurrenceRead,
    PriceChangeRead,
    PriceIncreaseRead,
    SubscriptionRead,
    SubscriptionsRead,
    SuggestionRead,
)
from coffer.errors import field_error
from coffer.ledger.api_common import patch_values
from coffer.ledger.common import decimal_text
from coffer.tenancy.deps import CurrentTenant, TenantContext, WritableTenant
from coffer.web.deps import SessionDep

router = APIRouter(tags=["bills"])


def _today() -> date:
    return date.today()


def bill_read(bill: Bill, today: date) -> BillRead:
    upcoming = service.due_dates(bill, today, today + timedelta(days=400))
    return BillRead(
        id=bill.id,
        name=bill.name,
        payee=bill.payee,
        merchant_id=bill.merchant_id,
        kind=BillKind(bill.kind),
        amount_min=decimal_text(bill.amount_min_minor, bill.currency),
        amount_max=decimal_text(bill.amount_max_minor, bill.currency),
        currency=bill.currency,
        account_id=bill.account_id,
        category_id=bill.category_id,
        rrule=bill.rrule,
        schedule=service.describe(bill),
        first_due=bill.first_due,
        ends_on=bill.ends_on,
        next_due=upcoming[0] if upcoming and bill.status == BillStatus.active.value else None,
        autopay=bill.autopay,
        reminder_days=bill.reminder_days,
        match_window_days=bill.match_window_days,
        status=BillStatus(bill.status),
        source=BillSource(bill.source),
        notes=bill.notes,
        created_at=bill.created_at,
        updated_at=bill.updated_at,
    )


def occurrence_read(occ: service.Occurrence) -> OccurrenceRead:
    bill = occ.bill
    return OccurrenceRead(
        bill_id=bill.id,
        bill_name=bill.name,
        kind=BillKind(bill.kind),
        due_on=occ.due_on,
        status=occ.status,
        expected_min=decimal_text(bill.amount_min_minor, bill.currency),
        expected_max=decimal_text(bill.amount_max_minor, bill.currency),
        currency=bill.currency,
        transaction_id=occ.transaction_id,
        paid_amount=decimal_text(occ.paid_minor, bill.currency)
        if occ.paid_minor is not None
        else None,
        paid_on=occ.paid_on,
        matched_by=occ.matched_by,
        confidence=occ.confidence,
    )


def candidate_read(candidate: RecurringCandidate) -> CandidateRead:
    code = candidate.currency
    return CandidateRead(
        id=candidate.id,
        payee=candidate.payee,
        kind=BillKind(candidate.kind),
        cadence=candidate.cadence,
        rrule=candidate.rrule,
        schedule=detection.schedule_words(candidate),
        currency=code,
        amount=decimal_text(candidate.amount_minor, code),
        amount_min=decimal_text(candidate.amount_min_minor, code),
        amount_max=decimal_text(candidate.amount_max_minor, code),
        monthly_cost=decimal_text(candidate.monthly_cost_minor, code),
        last_seen=candidate.last_seen,
        next_expected=candidate.next_expected,
        confidence=candidate.confidence,
        occurrences=candidate.occurrences,
        account_id=candidate.account_id,
        category_id=candidate.category_id,
        status=candidate.status,
        bill_id=candidate.bill_id,
        price_changes=[
            PriceChangeRead(
                day=date.fromisoformat(change["day"]),
                old_amount=decimal_text(int(change["old_minor"]), code),
                new_amount=decimal_text(int(change["new_minor"]), code),
            )
            for change in candidate.price_changes or []
        ],
    )


def _actor(context: TenantContext) -> dict[str, Any]:
    return {"tenant_id": context.tenant_id, "actor_id": context.user.id}


# --- lists and views (before /bills/{bill_id}) -----------------------------------------------


@router.get("/bills", response_model=list[BillRead], summary="All bills, subscriptions and incomes")
def list_bills(
    session: SessionDep,
    context: CurrentTenant,
    status_filter: Annotated[BillStatus | None, Query(alias="status")] = None,
) -> list[BillRead]:
    today = _today()
    statuses = [status_filter.value] if status_filter else None
    return [
        bill_read(b, today)
        for b in service.list_bills(session, tenant_id=context.tenant_id, statuses=statuses)
    ]


@router.get(
    "/bills/upcoming",
    response_model=list[OccurrenceRead],
    summary="Due dates needing attention: late, missed and doubtful first, then the next days",
)
def upcoming(
    session: SessionDep,
    context: CurrentTenant,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> list[OccurrenceRead]:
    found = service.upcoming(session, tenant_id=context.tenant_id, today=_today(), days=days)
    return [occurrence_read(o) for o in found]


def parse_month(month: str | None, today: date) -> date:
    if not month:
        return today.replace(day=1)
    try:
        year, number = month.split("-")
        return date(int(year), int(number), 1)
    except ValueError as exc:
        raise field_error("month", "must be a month written YYYY-MM, like 2026-12") from exc


def month_end(first: date) -> date:
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


@router.get("/bills/calendar", response_model=CalendarRead, summary="A month's due dates by day")
def calendar(
    session: SessionDep,
    context: CurrentTenant,
    month: Annotated[
        str | None, Query(max_length=7, description="YYYY-MM; default this month")
    ] = None,
) -> CalendarRead:
    today = _today()
    first = parse_month(month, today)
    found = service.occurrences(
        session, tenant_id=context.tenant_id, start=first, end=month_end(first), today=today
    )
    days: dict[date, list[OccurrenceRead]] = {}
    for occ in found:
        days.setdefault(occ.due_on, []).append(occurrence_read(occ))
    return CalendarRead(
        month=first.strftime("%Y-%m"),
        days=[CalendarDay(day=d, occurrences=items) for d, items in sorted(days.items())],
    )


@router.get(
    "/bills/review",
    response_model=list[OccurrenceRead],
    summary="Doubtful automatic matches waiting for confirmation",
)
def review(session: SessionDep, context: CurrentTenant) -> list[OccurrenceRead]:
    found = service.review_queue(session, tenant_id=context.tenant_id, today=_today())
    return [occurrence_read(o) for o in found]


@router.post(
    "/bills/match",
    response_model=MatchRead,
    summary="Match unlinked transactions to open due dates (confident: paid; doubtful: review)",
)
def match(
    session: SessionDep, context: WritableTenant, body: MatchRequest | None = None
) -> MatchRead:
    result = service.match_transactions(
        session,
        tenant_id=context.tenant_id,
        actor_id=context.user.id,
        transaction_ids=body.transaction_ids if body else None,
        today=_today(),
    )
    return MatchRead(paid=result.paid, review=result.review)


@router.get(
    "/bills/subscriptions",
    response_model=SubscriptionsRead,
    summary="Active subscriptions with their monthly and yearly cost, and price increases",
)
def subscriptions(session: SessionDep, context: CurrentTenant) -> SubscriptionsRead:
    view = detection.subscriptions(session, tenant_id=context.tenant_id, today=_today())
    code = view.base_currency
    return SubscriptionsRead(
        base_currency=code,
        monthly_total=decimal_text(view.monthly_total_minor, code),
        yearly_total=decimal_text(view.yearly_total_minor, code),
        subscriptions=[
            SubscriptionRead(
                bill_id=s.bill.id,
                name=s.bill.name,
                payee=s.bill.payee,
                schedule=service.describe(s.bill),
                currency=s.bill.currency,
                amount=decimal_text(s.bill.amount_max_minor, s.bill.currency),
                monthly_cost=decimal_text(s.monthly_minor, code)
                if s.monthly_minor is not None
                else None,
                yearly_cost=decimal_text(s.yearly_minor, code)
                if s.yearly_minor is not None
                else None,
                next_due=s.next_due,
            )
            for s in view.items
        ],
        price_increases=[
            PriceIncreaseRead(
                name=p.name,
                bill_id=p.bill_id,
                day=p.day,
                currency=p.currency,
                old_amount=decimal_text(p.old_minor, p.currency),
                new_amount=decimal_text(p.new_minor, p.currency),
            )
            for p in view.increases
        ],
    )


# --- detected series ---------------------------------------------------------------------


@router.get(
    "/bills/candidates",
    response_model=list[CandidateRead],
    summary="Series found in the history, proposed as bills, subscriptions or incomes",
)
def candidates(
    session: SessionDep,
    context: CurrentTenant,
    status_filter: Annotated[
        str, Query(alias="status", pattern="^(proposed|accepted|dismissed)$")
    ] = "proposed",
) -> list[CandidateRead]:
    found = detection.list_candidates(session, tenant_id=context.tenant_id, status=status_filter)
    return [candidate_read(c) for c in found]


@router.post(
    "/bills/candidates/detect",
    response_model=DetectRead,
    summary="Look for recurring series in the last two years of transactions",
)
def detect(session: SessionDep, context: WritableTenant) -> DetectRead:
    run = detection.detect_for_household(
        session, tenant_id=context.tenant_id, actor_id=context.user.id, today=_today()
    )
    return DetectRead(
        found=run.found,
        proposed=len(run.proposed),
        candidates=[candidate_read(c) for c in run.proposed],
    )


@router.post(
    "/bills/candidates/{candidate_id}/accept",
    response_model=BillRead,
    status_code=status.HTTP_201_CREATED,
    summary="Turn a detected series into a bill (optionally edited); its past payments link",
)
def accept(
    candidate_id: uuid.UUID,
    session: SessionDep,
    context: WritableTenant,
    body: CandidateAccept | None = None,
) -> BillRead:
    edits = body.model_dump(exclude_unset=True) if body else {}
    bill = detection.accept(
        session, **_actor(context), candidate_id=candidate_id, edits=edits, today=_today()
    )
    return bill_read(bill, _today())


@router.post(
    "/bills/candidates/{candidate_id}/dismiss",
    response_model=CandidateRead,
    summary="Not a bill: never proposed again",
)
def dismiss(candidate_id: uuid.UUID, session: SessionDep, context: WritableTenant) -> CandidateRead:
    candidate = detection.dismiss(session, **_actor(context), candidate_id=candidate_id)
    return candidate_read(candidate)


# --- one bill -----------------------------------------------------------------------------


@router.post(
    "/bills",
    response_model=BillRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create a bill, subscription or recurring income",
)
def create_bill(body: BillCreate, session: SessionDep, context: WritableTenant) -> BillRead:
    today = _today()
    bill = service.create_bill(session, **_actor(context), **body.model_dump(), today=today)
    return bill_read(bill, today)


@router.get("/bills/{bill_id}", response_model=BillRead, summary="One bill")
def get_bill(bill_id: uuid.UUID, session: SessionDep, context: CurrentTenant) -> BillRead:
    return bill_read(
        service.get_bill(session, tenant_id=context.tenant_id, bill_id=bill_id), _today()
    )


@router.patch(
    "/bills/{bill_id}", response_model=BillRead, summary="Change, pause, resume or cancel"
)
def update_bill(
    bill_id: uuid.UUID, body: BillUpdate, session: SessionDep, context: WritableTenant
) -> BillRead:
    values = patch_values(
        body, nullable=frozenset({"merchant_id", "account_id", "category_id", "ends_on", "notes"})
    )
    wanted_status = values.pop("status", None)
    bill = service.update_bill(session, **_actor(context), bill_id=bill_id, values=values)  # type: ignore[arg-type]
    if wanted_status is not None:
        bill = service.set_status(session, **_actor(context), bill_id=bill_id, status=wanted_status)
    return bill_read(bill, _today())


@router.delete(
    "/bills/{bill_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_model=None,
    summary="Delete a bill and its history (the transactions stay)",
)
def delete_bill(bill_id: uuid.UUID, session: SessionDep, context: WritableTenant) -> Response:
    service.delete_bill(session, **_actor(context), bill_id=bill_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/bills/{bill_id}/occurrences",
    response_model=list[OccurrenceRead],
    summary="A bill's due dates between two days (default: its history and the next 90 days)",
)
def bill_occurrences(
    bill_id: uuid.UUID,
    session: SessionDep,
    context: CurrentTenant,
    start: date | None = None,
    end: date | None = None,
) -> list[OccurrenceRead]:
    today = _today()
    bill = service.get_bill(session, tenant_id=context.tenant_id, bill_id=bill_id)
    if start is None and end is None:
        found = service.bill_history(session, tenant_id=context.tenant_id, bill=bill, today=today)
    else:
        found = service.occurrences(
            session,
            tenant_id=context.tenant_id,
            start=start or bill.first_due,
            end=end or today + timedelta(days=90),
            today=today,
            bills=[bill],
        )
    return [occurrence_read(o) for o in found]


def _occurrence_after(
    session: Session, context: TenantContext, bill_id: uuid.UUID, due_on: date
) -> OccurrenceRead:
    bill = service.get_bill(session, tenant_id=context.tenant_id, bill_id=bill_id)
    found = service.occurrences(
        session, tenant_id=context.tenant_id, start=due_on, end=due_on, today=_today(), bills=[bill]
    )
    if not found:
        raise field_error("due_on", f"{due_on.isoformat()} is not a due date of {bill.name}")
    return occurrence_read(found[0])


@router.post(
    "/bills/{bill_id}/occurrences/{due_on}",
    response_model=OccurrenceRead,
    summary="Link the paying transaction, unlink, skip, or confirm or reject a doubtful match",
)
def act_on_occurrence(
    bill_id: uuid.UUID,
    due_on: date,
    body: OccurrenceAction,
    session: SessionDep,
    context: WritableTenant,
) -> OccurrenceRead:
    scope = {**_actor(context), "bill_id": bill_id, "due_on": due_on}
    action = body.action.strip().lower()
    if action == "link":
        if body.transaction_id is None:
            raise field_error("transaction_id", "give the transaction that paid this due date")
        service.link_transaction(session, **scope, transaction_id=body.transaction_id)
    elif action == "unlink":
        service.reopen(session, **scope)
    elif action == "skip":
        service.skip(session, **scope)
    elif action == "confirm":
        service.confirm_match(session, **scope)
    elif action == "reject":
        service.reject_match(session, **scope)
    else:
        raise field_error("action", "must be link, unlink, skip, confirm or reject")
    return _occurrence_after(session, context, bill_id, due_on)


@router.get(
    "/bills/{bill_id}/occurrences/{due_on}/suggestions",
    response_model=list[SuggestionRead],
    summary="Unlinked transactions that could have paid this due date, likeliest first",
)
def suggestions(
    bill_id: uuid.UUID, due_on: date, session: SessionDep, context: CurrentTenant
) -> list[SuggestionRead]:
    bill = service.get_bill(session, tenant_id=context.tenant_id, bill_id=bill_id)
    found = service.suggestions(session, tenant_id=context.tenant_id, bill=bill, due_on=due_on)
    return [
        SuggestionRead(
            transaction_id=s.transaction_id,
            posted_on=s.posted_on,
            amount=str(s.amount),
            currency=s.currency,
            payee=s.payee,
            confidence=s.confidence,
        )
        for s in found
    ]
