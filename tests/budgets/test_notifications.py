"""Notifications through the service, on SQLite and PostgreSQL: dedupe, preferences,
mark read, the scanner with fakes of its sources, and privacy between two members of
one household (also under row-level security as the application role)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, pool, select, text
from sqlalchemy.exc import DBAPIError

from coffer.budgets import bills, budgets, goals, notifications
from coffer.budgets.models import Notification, NotificationKind
from coffer.budgets.notifications import Message
from coffer.db.types import configure_encryption
from coffer.errors import NotFound
from coffer.tenancy import service as tenancy_service
from coffer.tenancy.models import Role
from tests.conftest import ENCRYPTION_KEY, PostgresDB
from tests.ledger.conftest import Book, make_book

TODAY = date(2026, 4, 15)


@pytest.fixture(autouse=True)
def _encryption() -> None:
    configure_encryption([ENCRYPTION_KEY])


@pytest.fixture
def book(database: Any) -> Book:
    return make_book(database, "Alice")


def _member(database: Any, owner: Book, name: str) -> Book:
    """Another person, member of `owner`'s household, acting in it."""
    person = make_book(database, name)
    with owner.uow() as s:
        token = tenancy_service.create_invitation(
            s, actor_id=owner.user.id, tenant_id=owner.tenant_id, role=Role.member
        ).token
    with database.unit_of_work(user_id=person.user.id) as s:
        tenancy_service.accept_invitation(s, user=person.user, token=token)
    return Book(database=database, user=person.user, tenant_id=owner.tenant_id)


def _message(key: str = "k1", kind: NotificationKind = NotificationKind.bill_upcoming) -> Message:
    return Message(kind, f"Title {key}", "Body", "/bills", key)


def _notify(book: Book, message: Message) -> bool:
    with book.uow() as s:
        return notifications.notify(
            s, tenant_id=book.tenant_id, user_id=book.user.id, message=message
        )


def _rows(book: Book) -> list[Notification]:
    with book.uow() as s:
        return notifications.list_notifications(s, tenant_id=book.tenant_id, user_id=book.user.id)


def test_the_same_event_notifies_once(book: Book) -> None:
    assert _notify(book, _message("bill:1")) is True
    assert _notify(book, _message("bill:1")) is False
    assert _notify(book, _message("bill:2")) is True
    assert sorted(r.dedupe_key for r in _rows(book)) == ["bill:1", "bill:2"]


def test_preferences_turn_a_kind_off(book: Book) -> None:
    with book.uow() as s:
        prefs = notifications.set_preferences(
            s,
            tenant_id=book.tenant_id,
            user_id=book.user.id,
            choices={NotificationKind.goal_milestone: False},
        )
    assert {p.kind: p.in_app for p in prefs}[NotificationKind.goal_milestone] is False
    assert all(p.in_app for p in prefs if p.kind != NotificationKind.goal_milestone)
    assert _notify(book, _message("g1", NotificationKind.goal_milestone)) is False
    assert _notify(book, _message("b1", NotificationKind.budget_alert)) is True
    with book.uow() as s:
        notifications.set_preferences(
            s,
            tenant_id=book.tenant_id,
            user_id=book.user.id,
            choices={NotificationKind.goal_milestone: True},
        )
    assert _notify(book, _message("g1", NotificationKind.goal_milestone)) is True


def test_sending_goes_through_every_sender(book: Book) -> None:
    sent: list[tuple[str, str]] = []

    class Recorder:
        channel = "email"  # no preference column yet: on by default

        def send(self, session: Any, *, tenant_id: Any, user_id: Any, message: Message) -> bool:
            sent.append((self.channel, message.dedupe_key))
            return True

    with book.uow() as s:
        assert notifications.notify(
            s,
            tenant_id=book.tenant_id,
            user_id=book.user.id,
            message=_message("e1"),
            senders=[notifications.InAppSender(), Recorder()],
        )
    assert sent == [("email", "e1")]
    assert [r.dedupe_key for r in _rows(book)] == ["e1"]


def test_mark_read_one_and_all(book: Book, database: Any) -> None:
    for key in ("a", "b", "c"):
        _notify(book, _message(key))
    rows = _rows(book)
    with book.uow() as s:
        scope = {"tenant_id": book.tenant_id, "user_id": book.user.id}
        assert notifications.unread_count(s, **scope) == 3
        assert notifications.mark_read(s, **scope, ids=[rows[0].id]) == 1
        assert notifications.mark_read(s, **scope, ids=[rows[0].id]) == 0  # already read
        assert notifications.unread_count(s, **scope) == 2
        unread = notifications.list_notifications(s, **scope, unread_only=True)
        assert len(unread) == 2
    ordered = _rows(book)
    assert ordered[-1].id == rows[0].id  # read ones after the unread
    stranger = make_book(database, "Mallory")
    _notify(stranger, _message("theirs"))
    theirs = _rows(stranger)[0]
    with pytest.raises(NotFound), book.uow() as s:
        notifications.mark_read(
            s, tenant_id=book.tenant_id, user_id=book.user.id, ids=[rows[1].id, theirs.id]
        )
    with book.uow() as s:
        scope = {"tenant_id": book.tenant_id, "user_id": book.user.id}
        assert notifications.unread_count(s, **scope) == 2  # nothing changed
        assert notifications.mark_all_read(s, **scope) == 2
        assert notifications.unread_count(s, **scope) == 0
    assert _rows(stranger)[0].read_at is None


@dataclass
class FakeAlert:
    title: str
    body: str
    link: str
    dedupe_key: str
    user_id: uuid.UUID | None


@dataclass
class FakeReminder:
    title: str
    body: str
    link: str
    dedupe_key: str
    kind: str


def test_refresh_gathers_every_source_once(
    book: Book, database: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    partner = _member(database, book, "Sam")

    def alerts(session: Any, *, tenant_id: uuid.UUID, today: date) -> list[FakeAlert]:
        return [
            FakeAlert("Groceries at 80 %", "b", "/budgets", "budget:g:80", None),
            FakeAlert("Sam's fun money at 100 %", "b", "/budgets", "budget:s:100", partner.user.id),
        ]

    def reminders(session: Any, *, tenant_id: uuid.UUID, today: date) -> list[FakeReminder]:
        return [
            FakeReminder("Rent is due", "b", "/bills/1", "bill:1:up", "upcoming"),
            FakeReminder("Gym looks unpaid", "b", "/bills/2", "bill:2:missed", "missed"),
        ]

    monkeypatch.setattr(budgets, "alerts", alerts)
    monkeypatch.setattr(bills, "reminders", reminders)
    with book.uow() as s:
        goal = goals.create_goal(s, **book.scope, name="Car", target=Decimal("1000"))
        goals.add_contribution(
            s, **book.scope, goal_id=goal.id, amount=Decimal("600"), day=date(2026, 4, 1)
        )

    def refresh(who: Book, force: bool = True) -> int:
        with who.uow() as s:
            return notifications.refresh(
                s, tenant_id=who.tenant_id, user_id=who.user.id, today=TODAY, force=force
            )

    assert refresh(book) == 4
    kinds = {r.dedupe_key: r.kind for r in _rows(book)}
    assert kinds == {
        "budget:g:80": "budget_alert",
        "bill:1:up": "bill_upcoming",
        "bill:2:missed": "bill_missed",
        f"goal:{goal.id}:50": "goal_milestone",
    }
    assert refresh(book) == 0  # nothing new
    assert refresh(book, force=False) == 0  # and not looked at again so soon
    # The partner gets their own copies, and their personal budget's alert.
    assert refresh(partner) == 5
    assert "budget:s:100" in {r.dedupe_key for r in _rows(partner)}
    assert "budget:s:100" not in {r.dedupe_key for r in _rows(book)}


def test_refresh_survives_a_failing_source(book: Book, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(session: Any, *, tenant_id: uuid.UUID, today: date) -> list[FakeAlert]:
        raise RuntimeError("boom")

    monkeypatch.setattr(budgets, "alerts", broken)
    monkeypatch.setattr(bills, "reminders", broken)
    with book.uow() as s:
        goal = goals.create_goal(s, **book.scope, name="Car", target=Decimal("100"))
        goals.add_contribution(
            s, **book.scope, goal_id=goal.id, amount=Decimal("100"), day=date(2026, 4, 1)
        )
        assert (
            notifications.refresh(
                s, tenant_id=book.tenant_id, user_id=book.user.id, today=TODAY, force=True
            )
            == 1
        )
    assert [r.title for r in _rows(book)] == ["Car: goal reached"]


def test_one_member_never_sees_anothers_notifications(book: Book, database: Any) -> None:
    partner = _member(database, book, "Sam")
    _notify(book, _message("mine"))
    assert _rows(partner) == []
    with partner.uow() as s:
        assert notifications.unread_count(s, tenant_id=book.tenant_id, user_id=partner.user.id) == 0
        assert (
            notifications.mark_all_read(s, tenant_id=book.tenant_id, user_id=partner.user.id) == 0
        )
    assert _rows(book)[0].read_at is None


@pytest.fixture
def app_engine(backend: str, request: pytest.FixtureRequest) -> Iterator[Engine]:
    if backend != "postgres":
        pytest.skip("row-level security exists only on PostgreSQL")
    pg: PostgresDB = request.getfixturevalue("postgres_db")
    engine = create_engine(pg.app_url, poolclass=pool.NullPool)
    yield engine
    engine.dispose()


def _raw(engine: Engine, who: Book, sql: str, params: dict[str, Any] | None = None) -> Any:
    with engine.connect() as conn, conn.begin() as tx:
        conn.execute(text("SELECT set_config('app.user_id', :u, true)"), {"u": str(who.user.id)})
        result = conn.execute(text(sql), params or {})
        out = result.all() if result.returns_rows else result.rowcount
        tx.rollback()
        return out


def test_rls_keeps_notifications_to_their_person(
    book: Book, database: Any, app_engine: Engine
) -> None:
    partner = _member(database, book, "Sam")
    _notify(book, _message("mine"))
    with book.uow() as s:
        notifications.set_preferences(
            s,
            tenant_id=book.tenant_id,
            user_id=book.user.id,
            choices={NotificationKind.bill_missed: False},
        )
    assert len(_raw(app_engine, book, "SELECT * FROM notification")) == 1
    for table in ("notification", "notification_preference"):
        assert _raw(app_engine, partner, f"SELECT * FROM {table}") == []
        assert _raw(app_engine, partner, f"DELETE FROM {table}") == 0
    assert _raw(app_engine, partner, "UPDATE notification SET read_at = now()") == 0
    forged = (
        "INSERT INTO notification (id, tenant_id, user_id, kind, dedupe_key, title, body, "
        "created_at) VALUES (:id, :t, :u, 'bill_missed', 'forged', 'x', '', now())"
    )
    with pytest.raises(DBAPIError, match="row-level security"):
        _raw(
            app_engine,
            partner,
            forged,
            {"id": uuid.uuid4(), "t": book.tenant_id, "u": book.user.id},
        )
    with database.unit_of_work(user_id=book.user.id, tenant_id=book.tenant_id) as s:
        assert s.scalar(select(Notification.read_at)) is None
