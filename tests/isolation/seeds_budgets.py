"""The isolation probe's seeder for budgets."""

from __future__ import annotations

from tests.isolation.seeds import SeedContext, seeder  # noqa: F401
