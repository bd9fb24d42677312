"""Browser tests: a real Coffer server in a thread, driven by Debian's Chromium.

Playwright cannot download browsers here; it drives /usr/bin/chromium. Without it the
browser tests are skipped with one clear line, unless CI is set: then they fail.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from coffer.config import Settings

CHROMIUM = os.environ.get("COFFER_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM}; browser tests skipped"
        if os.environ.get("CI"):
            pytest.fail(message.replace("skipped", "required in CI"), pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test process keeps its own handlers
        pass


@pytest.fixture
def live_server(settings: Settings) -> Iterator[str]:
    """The app on a free loopback port, for as long as the test runs."""
    from coffer.main import create_app

    app = create_app(settings)
    port = _free_port()
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def check_accessibility(page: Any, name: str) -> None:
    """Run axe-core on the page; fail on any WCAG 2.1 A/AA violation."""
    from axe_playwright_python.sync_playwright import Axe

    # Colours mid-transition (a theme switch, a focused button) are not what users see
    # for long: measure the settled page.
    page.emulate_media(reduced_motion="reduce")
    page.wait_for_timeout(100)
    results = Axe().run(
        page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}}
    )
    violations = results.response.get("violations", [])
    summary = [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}x, e.g. {v['nodes'][0]['target']})"
        for v in violations
    ]
    assert not violations, f"accessibility violations on {name}:\n" + "\n".join(summary)


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
