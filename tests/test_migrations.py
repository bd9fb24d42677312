"""One migration history for both databases, and it matches the models exactly: a
column, index or constraint declared in one place and not the other is a failure."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

import coffer.models  # noqa: F401 - registers every table
from coffer.db.base import Base


def _significant(diff: Any) -> bool:
    # SQLite cannot report some server-side details faithfully; types are compared
    # by the migration tests of each capability.
    kind = diff[0][0] if isinstance(diff, list) else diff[0]
    return kind not in {"modify_type", "modify_default", "modify_comment"}


def test_the_migrated_schema_matches_the_models(database_urls: dict[str, str]) -> None:
    engine = create_engine(database_urls["owner"])
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": False, "render_as_batch": True}
            )
            diffs = [d for d in compare_metadata(context, Base.metadata) if _significant(d)]
    finally:
        engine.dispose()
    assert diffs == []
