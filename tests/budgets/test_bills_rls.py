"""Row-level security of bills, their due dates and detected series, proven with raw SQL
as the application role (PostgreSQL only; the service filters are bypassed)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, create_engine, pool
from sqlalchemy.exc import DBAPIError

from coffer.budgets import bills, detection
from coffer.db.session import Database
from coffer.tenancy.models import Role
from tests.conftest import PostgresDB
from tests.ledger.conftest import _encryption, make_book
from tests.ledger.test_rls import _join, _run

__all__ = ["_encryption"]

pytestmark = pytest.mark.postgres_only
TODAY = date(2026, 12, 3)


@pytest.fixture
def app_engine(backend: str, postgres_db: PostgresDB) -> Iterator[Engine]:
    if backend != "postgres":
        pytest.skip("row-level security exists only on PostgreSQL")
    engine = create_engine(postgres_db.app_url, poolclass=pool.NullPool)
    yield engine
    engine.dispose()


def test_strangers_see_no_bills_and_viewers_cannot_change_them(
    database: Database, app_engine: Engine
) -> None:
    alice, mallory, viola = make_book(database), make_book(database), make_book(database)
    account = alice.account("Checking", "USD")
    paying = alice.post(account.id, "-50.00", payee="Evergreen Power", posted_on=date(2026, 11, 8))
    for months in range(6, 0, -1):
        alice.post(
            account.id,
            "-9.99",
            payee="Tunely Music",
            posted_on=date(2026, 12 - months, 12),
        )
    with alice.uow() as s:
        bill = bills.create_bill(
            s,
            **alice.scope,
            name="Power",
            payee="Evergreen Power",
            amount_min=Decimal("40.00"),
            amount_max=Decimal("60.00"),
            rrule="FREQ=MONTHLY;BYMONTHDAY=8",
            first_due=date(2026, 11, 8),
            account_id=account.id,
            today=TODAY,
        )
        bill_id = bill.id
        detection.detect_for_household(s, tenant_id=alice.tenant_id, today=TODAY)
    _join(database, alice, viola, Role.viewer)
    tables = ("bill", "bill_occurrence", "recurring_candidate")
    for table in tables:
        assert len(_run(app_engine, alice, f"SELECT * FROM {table}")) == 1, table
        assert len(_run(app_engine, viola, f"SELECT * FROM {table}")) == 1, table
        assert _run(app_engine, mallory, f"SELECT * FROM {table}") == [], table
        assert _run(app_engine, viola, f"DELETE FROM {table}") == 0, table
        assert _run(app_engine, mallory, f"UPDATE {table} SET tenant_id = tenant_id") == 0
    forged = (
        "INSERT INTO bill_occurrence (id, tenant_id, bill_id, due_on, status, transaction_id, "
        "matched_by, created_at, updated_at) VALUES (gen_random_uuid(), :t, :b, :d, 'paid', "
        ":x, 'user', now(), now())"
    )
    params = {
        "t": alice.tenant_id,
        "b": bill_id,
        "d": date(2026, 12, 8),
        "x": paying,
    }
    for intruder in (viola, mallory):
        with pytest.raises(DBAPIError, match="row-level security"):
            _run(app_engine, intruder, forged, params)
    # A writer cannot move a bill into a household they do not write to.
    with pytest.raises(DBAPIError, match="row-level security"):
        _run(app_engine, alice, "UPDATE bill SET tenant_id = :m", {"m": mallory.tenant_id})
