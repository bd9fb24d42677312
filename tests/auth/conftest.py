"""Fixtures of the auth tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from coffer.db.session import Database


@pytest.fixture
def owner_db(database_urls: dict[str, str]) -> Iterator[Database]:
    """The database as its owner sees it: on PostgreSQL, past row-level security, to check
    rows the application role may not read back (anonymous audit events, say)."""
    db = Database(database_urls["owner"])
    yield db
    db.dispose()
