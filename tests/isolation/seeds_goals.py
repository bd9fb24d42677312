"""The isolation probe's seeder for goals."""

from __future__ import annotations

from tests.isolation.seeds import SeedContext, seeder  # noqa: F401
