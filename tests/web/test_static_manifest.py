"""The vendored front-end files are exactly what the manifest pins.

Coffer ships third-party browser files inside the package; the manifest records
where each came from and its sha256, so a tampered or half-upgraded file is a
failing test rather than a surprise in a browser.  To refresh the hashes after
an intentional upgrade run ``python scripts/vendor_static.py --update``.

Standard library and pytest only: files are found relative to this test file.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).parents[2]
VENDOR_DIR = REPO_ROOT / "src" / "coffer" / "web" / "static" / "vendor"
MANIFEST = VENDOR_DIR / "manifest.json"
REQUIRED_KEYS = ("package", "version", "sha256", "license")


def _manifest_files() -> dict[str, dict[str, str]]:
    data = json.loads(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(data.get("files"), dict), "manifest.json needs a 'files' object"
    return data["files"]


def _is_unlisted_allowed(path: Path) -> bool:
    # The manifest itself and the licence texts kept beside each vendored file.
    return path.name == "manifest.json" or "LICENSE" in path.name.upper()


def test_manifest_lists_at_least_htmx() -> None:
    files = _manifest_files()
    assert "htmx.min.js" in files
    assert files["htmx.min.js"]["package"] == "htmx.org"


@pytest.mark.parametrize("name", sorted(_manifest_files()))
def test_listed_file_present_with_matching_sha256(name: str) -> None:
    entry = _manifest_files()[name]
    for key in REQUIRED_KEYS:
        assert entry.get(key), f"manifest entry {name!r} lacks {key!r}"
    path = VENDOR_DIR / name
    assert path.is_file(), f"{name} is listed in manifest.json but missing"
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    assert actual == entry["sha256"], (
        f"{name}: sha256 {actual} differs from manifest {entry['sha256']}; "
        "if the change is intended run scripts/vendor_static.py --update"
    )


def test_every_vendored_file_is_listed() -> None:
    listed = set(_manifest_files())
    unlisted = sorted(
        path.relative_to(VENDOR_DIR).as_posix()
        for path in VENDOR_DIR.rglob("*")
        if path.is_file()
        and not _is_unlisted_allowed(path)
        and path.relative_to(VENDOR_DIR).as_posix() not in listed
    )
    assert not unlisted, f"files in static/vendor not listed in manifest.json: {unlisted}"
