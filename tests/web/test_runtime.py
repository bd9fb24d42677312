"""A serving process takes its startup objects out of the garbage collector's walks."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from coffer.web import runtime


def test_startup_freezes_and_raises_the_young_threshold(app: object) -> None:
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    with TestClient(app):  # type: ignore[arg-type]
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == runtime.YOUNG_THRESHOLD
