"""The audit log is append-only in the database itself, not only by convention."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from coffer.audit.service import record
from coffer.db.session import Database


def test_sqlite_trigger_refuses_update_and_delete(database: Database, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip(
            "PostgreSQL refuses these by privileges and policies (tests/tenancy/test_rls.py)"
        )
    with database.unit_of_work() as session:
        record(session, action="test.event", actor_id=None)
    for statement in (
        "UPDATE audit_event SET action = 'forged'",
        "DELETE FROM audit_event",
    ):
        with database.unit_of_work() as session, pytest.raises(DatabaseError, match="append-only"):
            session.execute(text(statement))
    with database.unit_of_work() as session:
        actions = session.execute(text("SELECT action FROM audit_event")).scalars().all()
    assert actions == ["test.event"]
