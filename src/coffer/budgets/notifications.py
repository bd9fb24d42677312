"""In-app notifications: sending through one interface, the notification centre, the
per-kind preferences, and the scanner that finds what to notify.

Sending. Everything goes through `notify`, which asks each `Sender` in turn; a sender
is a channel (`in_app` today; email and push come later as senders of their own and a
preference column each). `notify` honours the person's preference for the kind and
channel (no preference row: yes) and the event's `dedupe_key`, so the same event never
notifies the same person twice, whichever way and however often it is found.

Privacy. A notification belongs to one person (row-level security keeps it to them on
PostgreSQL, so even the application cannot write one for somebody else): everything
here takes the person's `user_id`, and the scanner notifies the person it runs for.

When the scanner runs. `refresh` runs for the person looking when any page of the
household is opened (the page hook in coffer.budgets.pages_notifications, just before
the header bell's count), when they open the notification centre, and on POST
/api/v1/notifications/refresh; at most once every REFRESH_SECONDS per person and
process (`force` skips the wait). It is cheap by construction: the budget status
of the current period, the bills due within their reminder days, the goals' progress,
a 30-day forecast; and one query for the dedupe keys already sent. A source that fails
is logged and skipped, so one broken source never hides the others.

What it finds:
- budget alerts (budgets.alerts: 80 % and 100 % of a budget; a personal budget's alert
  goes to its person only);
- bill reminders (bills.reminders: due within the bill's reminder days, or missed);
- goal milestones: the highest of 25/50/75/100 % an active goal has reached, once each;
- forecast warnings: an account whose balance would go below its threshold within 30
  days, at most once a week per account (the dedupe key names the ISO week).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coffer.budgets import bills as bills_service
from coffer.budgets import budgets as budgets_service
from coffer.budgets import forecast as forecast_service
from coffer.budgets import goals as goals_service
from coffer.budgets.models import (
    GoalStatus,
    Notification,
    NotificationKind,
    NotificationPreference,
)
from coffer.core.money import from_minor
from coffer.errors import NotFound, field_error
from coffer.ledger.common import rowcount
from coffer.tenancy.models import Tenant
from coffer.web.templating import write_day, write_money

log = structlog.get_logger("coffer.notifications")

REFRESH_SECONDS = 300
FORECAST_WARNING_DAYS = 30
MAX_LIST = 200
IN_APP = "in_app"

KIND_LABELS: dict[NotificationKind, str] = {
    NotificationKind.budget_alert: "Budgets at 80 % and 100 %",
    NotificationKind.bill_upcoming: "Bills coming up",
    NotificationKind.bill_missed: "Bills that look unpaid",
    NotificationKind.goal_milestone: "Savings goal milestones",
    NotificationKind.forecast_warning: "Low balance ahead",
}


@dataclass(frozen=True, slots=True)
class Message:
    """One event to tell a person about."""

    kind: NotificationKind
    title: str
    body: str
    link: str | None
    dedupe_key: str


class Sender(Protocol):
    """A channel notifications go out through. `send` returns whether it sent (False
    when this event was already sent to this person through this channel)."""

    channel: str

    def send(
        self, session: Session, *, tenant_id: uuid.UUID, user_id: uuid.UUID, message: Message
    ) -> bool: ...


class InAppSender:
    """Stores the notification for the notification centre."""

    channel = IN_APP

    def send(
        self, session: Session, *, tenant_id: uuid.UUID, user_id: uuid.UUID, message: Message
    ) -> bool:
        if _sent(session, tenant_id, user_id, [message.dedupe_key]):
            return False
        try:
            # A savepoint: another request may store the same event at the same moment.
            with session.begin_nested():
                session.add(
                    Notification(
                        tenant_id=tenant_id,
                        user_id=user_id,
                        kind=message.kind.value,
                        dedupe_key=message.dedupe_key[:200],
                        title=message.title[:300],
                        body=message.body,
                        link=message.link,
                        created_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:
            return False
        return True


SENDERS: list[Sender] = [InAppSender()]


def _sent(
    session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID, keys: Sequence[str]
) -> set[str]:
    if not keys:
        return set()
    rows = session.scalars(
        select(Notification.dedupe_key).where(
            Notification.tenant_id == tenant_id,
            Notification.user_id == user_id,
            Notification.dedupe_key.in_([k[:200] for k in keys]),
        )
    )
    return set(rows)


# --- preferences -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Preference:
    kind: NotificationKind
    label: str
    in_app: bool


def _preference_rows(
    session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> dict[str, NotificationPreference]:
    rows = session.scalars(
        select(NotificationPreference).where(
            NotificationPreference.tenant_id == tenant_id,
            NotificationPreference.user_id == user_id,
        )
    )
    return {row.kind: row for row in rows}


def preferences(session: Session, *, tenant_id: uuid.UUID, user_id: uuid.UUID) -> list[Preference]:
    """Every kind with the person's choice (no row: on)."""
    rows = _preference_rows(session, tenant_id, user_id)
    return [
        Preference(kind, KIND_LABELS[kind], rows[kind.value].in_app if kind.value in rows else True)
        for kind in NotificationKind
    ]


def set_preferences(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    choices: dict[NotificationKind, bool],
) -> list[Preference]:
    rows = _preference_rows(session, tenant_id, user_id)
    for kind, wanted in choices.items():
        kind = NotificationKind(kind)
        row = rows.get(kind.value)
        if row is None:
            session.add(
                NotificationPreference(
                    tenant_id=tenant_id, user_id=user_id, kind=kind.value, in_app=bool(wanted)
                )
            )
        else:
            row.in_app = bool(wanted)
    session.flush()
    return preferences(session, tenant_id=tenant_id, user_id=user_id)


def _enabled(row: NotificationPreference | None, channel: str) -> bool:
    if row is None:
        return True
    return bool(getattr(row, channel, True))


# --- sending ---------------------------------------------------------------------------


def notify(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    message: Message,
    senders: Sequence[Sender] | None = None,
) -> bool:
    """Tell one person about one event through every channel they want it on; True when
    any channel sent it (False: turned off, or already sent)."""
    row = _preference_rows(session, tenant_id, user_id).get(message.kind.value)
    sent = False
    for sender in SENDERS if senders is None else senders:
        if _enabled(row, sender.channel):
            sent = (
                sender.send(session, tenant_id=tenant_id, user_id=user_id, message=message) or sent
            )
    return sent


# --- the notification centre -----------------------------------------------------------


def _own(tenant_id: uuid.UUID, user_id: uuid.UUID) -> list[object]:
    return [Notification.tenant_id == tenant_id, Notification.user_id == user_id]


def list_notifications(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    unread_only: bool = False,
    limit: int = 50,
) -> list[Notification]:
    """The person's notifications: unread first, then newest first."""
    if not 1 <= limit <= MAX_LIST:
        raise field_error("limit", f"must be between 1 and {MAX_LIST}")
    query = select(Notification).where(*_own(tenant_id, user_id))  # type: ignore[arg-type]
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    query = query.order_by(
        Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id
    ).limit(limit)
    return list(session.scalars(query))


def unread_count(session: Session, *, tenant_id: uuid.UUID, user_id: uuid.UUID) -> int:
    """One COUNT on the inbox index (tenant, person, read_at)."""
    query = select(func.count()).where(
        *_own(tenant_id, user_id),  # type: ignore[arg-type]
        Notification.read_at.is_(None),
    )
    return int(session.scalar(query) or 0)


def mark_read(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    ids: Iterable[uuid.UUID],
    now: datetime | None = None,
) -> int:
    """Mark these of the person's notifications read; NotFound (nothing changed) when
    any id is not one of theirs. Returns how many were unread."""
    wanted = set(ids)
    if not wanted:
        raise field_error("ids", "name at least one notification")
    own = set(
        session.scalars(
            select(Notification.id).where(
                *_own(tenant_id, user_id),  # type: ignore[arg-type]
                Notification.id.in_(wanted),
            )
        )
    )
    if own != wanted:
        raise NotFound(
            "ids: no notification of yours with one of these ids.",
            errors=[{"field": "ids", "message": "no notification of yours with one of these ids"}],
        )
    result = session.execute(
        update(Notification)
        .where(
            *_own(tenant_id, user_id),  # type: ignore[arg-type]
            Notification.id.in_(wanted),
            Notification.read_at.is_(None),
        )
        .values(read_at=now or datetime.now(UTC))
    )
    return rowcount(result)


def mark_all_read(
    session: Session, *, tenant_id: uuid.UUID, user_id: uuid.UUID, now: datetime | None = None
) -> int:
    result = session.execute(
        update(Notification)
        .where(*_own(tenant_id, user_id), Notification.read_at.is_(None))  # type: ignore[arg-type]
        .values(read_at=now or datetime.now(UTC))
    )
    return rowcount(result)


# --- the scanner -----------------------------------------------------------------------


def _money_writer(session: Session, tenant_id: uuid.UUID) -> Callable[[int, str], str]:
    """Amounts as the household's locale writes them ("$2,250.00"), for stored text."""
    locale = session.scalar(select(Tenant.locale).where(Tenant.id == tenant_id)) or "en_US"

    def write(amount_minor: int, code: str) -> str:
        return write_money(from_minor(amount_minor, code), code, locale)

    return write


Gatherer = Callable[[Session, uuid.UUID, uuid.UUID, date], list[Message]]


def _budget_alerts(
    session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID, today: date
) -> list[Message]:
    return [
        Message(NotificationKind.budget_alert, a.title, a.body, a.link, a.dedupe_key)
        for a in budgets_service.alerts(session, tenant_id=tenant_id, today=today)
        if a.user_id is None or a.user_id == user_id
    ]


def _bill_reminders(
    session: Session, tenant_id: uuid.UUID, _user_id: uuid.UUID, today: date
) -> list[Message]:
    kinds = {"upcoming": NotificationKind.bill_upcoming, "missed": NotificationKind.bill_missed}
    return [
        Message(kinds[r.kind], r.title, r.body, r.link, r.dedupe_key)
        for r in bills_service.reminders(session, tenant_id=tenant_id, today=today)
        if r.kind in kinds
    ]


def _goal_milestones(
    session: Session, tenant_id: uuid.UUID, _user_id: uuid.UUID, today: date
) -> list[Message]:
    goals = goals_service.list_goals(session, tenant_id=tenant_id, status=GoalStatus.active)
    money = _money_writer(session, tenant_id)
    found = []
    for p in goals_service.progress_many(session, tenant_id=tenant_id, goals=goals, today=today):
        reached = [m for m in p.milestones if m.reached]
        if not reached:
            continue
        top = reached[-1]
        goal, code = p.goal, p.goal.currency
        saved = money(p.saved_minor, code)
        if top.percent == 100:
            title = f"{goal.name}: goal reached"
            body = f"You have saved {saved}, the whole target. Well done."
        else:
            title = f"{goal.name}: {top.percent} % saved"
            body = f"{saved} of {money(goal.target_minor, code)} is put aside."
        found.append(
            Message(
                NotificationKind.goal_milestone,
                title,
                body,
                f"/goals/{goal.id}",
                f"goal:{goal.id}:{top.percent}",
            )
        )
    return found


def _forecast_warnings(
    session: Session, tenant_id: uuid.UUID, _user_id: uuid.UUID, today: date
) -> list[Message]:
    result = forecast_service.forecast(
        session, tenant_id=tenant_id, today=today, days=FORECAST_WARNING_DAYS
    )
    year, week, _ = today.isocalendar()
    money = _money_writer(session, tenant_id)
    locale = session.scalar(select(Tenant.locale).where(Tenant.id == tenant_id))
    found = []
    for item in result.breaches:
        assert item.breach is not None
        code = item.currency
        found.append(
            Message(
                NotificationKind.forecast_warning,
                f"{item.account.name} may go below {money(item.breach.threshold, code)} on "
                f"{write_day(item.breach.day, locale)}",
                f"The forecast has it at {money(item.breach.balance, code)} that day, after "
                "the bills and spending expected by then. Moving money in before then "
                "keeps it above.",
                f"/forecast#account-{item.account.id}",
                f"forecast:{item.account.id}:{year}-W{week:02d}",
            )
        )
    return found


GATHERERS: list[Gatherer] = [_budget_alerts, _bill_reminders, _goal_milestones, _forecast_warnings]

_LAST_REFRESH: dict[tuple[uuid.UUID, uuid.UUID], float] = {}


def refresh(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    today: date,
    force: bool = False,
    gatherers: Sequence[Gatherer] | None = None,
) -> int:
    """Find what to tell this person today and notify them; returns how many new
    notifications were sent. At most once every REFRESH_SECONDS unless `force`."""
    key = (tenant_id, user_id)
    clock = time.monotonic()
    if not force and clock - _LAST_REFRESH.get(key, -REFRESH_SECONDS) < REFRESH_SECONDS:
        return 0
    _LAST_REFRESH[key] = clock
    messages: list[Message] = []
    for gather in GATHERERS if gatherers is None else gatherers:
        try:
            with session.begin_nested():
                messages.extend(gather(session, tenant_id, user_id, today))
        except Exception:
            log.exception("notification source failed", source=gather.__name__)
    already = _sent(session, tenant_id, user_id, [m.dedupe_key for m in messages])
    sent = 0
    for message in messages:
        if message.dedupe_key[:200] in already:
            continue
        already.add(message.dedupe_key[:200])
        if notify(session, tenant_id=tenant_id, user_id=user_id, message=message):
            sent += 1
    return sent
