#!/usr/bin/env python3
"""Verify (or refresh) the checksums of Coffer's vendored front-end files.

Coffer ships its third-party browser files (htmx, ...) inside the Python
package so that running it never needs Node or a CDN.  Each file is pinned in
``src/coffer/web/static/vendor/manifest.json`` with the npm package and version
it came from and its sha256.  This script is the one place that checks the
files on disk still match what the manifest says.

Usage::

    python scripts/vendor_static.py            # verify; exit 1 on any problem
    python scripts/vendor_static.py --update   # rewrite every sha256 from disk

How to upgrade a vendored file (Node is only needed on the maintainer's
machine, never to run Coffer)::

    cd /tmp && npm pack htmx.org@2 && tar xzf htmx.org-*.tgz
    cp package/dist/htmx.min.js  <repo>/src/coffer/web/static/vendor/htmx.min.js
    cp package/LICENSE           <repo>/src/coffer/web/static/vendor/htmx.LICENSE
    # edit "version" in manifest.json, then:
    python scripts/vendor_static.py --update

Standard library only, so it runs before any dependency is installed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
VENDOR_DIR = REPO_ROOT / "src" / "coffer" / "web" / "static" / "vendor"
MANIFEST = VENDOR_DIR / "manifest.json"
REQUIRED_KEYS = ("package", "version", "sha256", "license")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(65536), b""):
            digest.update(chunk)
    return digest.hexdigest()


def is_unlisted_allowed(path: Path) -> bool:
    """Files that live in vendor/ without a manifest entry: the manifest itself
    and the licence texts that accompany each vendored file."""
    return path.name == "manifest.json" or "LICENSE" in path.name.upper()


def load_manifest(manifest: Path = MANIFEST) -> dict:
    with manifest.open(encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        raise ValueError(f"{manifest}: expected an object with a 'files' object")
    return data


def check(vendor_dir: Path = VENDOR_DIR, manifest: Path = MANIFEST) -> list[str]:
    """Return a list of human-readable problems; empty means all good."""
    problems: list[str] = []
    files = load_manifest(manifest)["files"]
    for name, entry in sorted(files.items()):
        missing = [key for key in REQUIRED_KEYS if not entry.get(key)]
        if missing:
            problems.append(f"{name}: manifest entry lacks {', '.join(missing)}")
        path = vendor_dir / name
        if not path.is_file():
            problems.append(f"{name}: listed in manifest but missing on disk")
            continue
        actual = sha256_of(path)
        if actual != entry.get("sha256"):
            problems.append(f"{name}: sha256 is {actual}, manifest says {entry.get('sha256')}")
    for path in sorted(vendor_dir.rglob("*")):
        if not path.is_file() or is_unlisted_allowed(path):
            continue
        rel = path.relative_to(vendor_dir).as_posix()
        if rel not in files:
            problems.append(f"{rel}: present in vendor/ but not listed in manifest")
    return problems


def update(vendor_dir: Path = VENDOR_DIR, manifest: Path = MANIFEST) -> list[str]:
    """Recompute every listed file's sha256 and rewrite the manifest."""
    data = load_manifest(manifest)
    changed: list[str] = []
    for name, entry in sorted(data["files"].items()):
        path = vendor_dir / name
        if not path.is_file():
            raise FileNotFoundError(f"{name}: listed in manifest but missing on disk")
        digest = sha256_of(path)
        if entry.get("sha256") != digest:
            entry["sha256"] = digest
            changed.append(name)
    manifest.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--update",
        action="store_true",
        help="recompute the sha256 of every file listed in the manifest",
    )
    args = parser.parse_args(argv)

    if args.update:
        try:
            changed = update()
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        for name in changed:
            print(f"updated {name}")
        if not changed:
            print("manifest already up to date")

    try:
        problems = check()
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"ok: {len(load_manifest()['files'])} vendored file(s) match {MANIFEST.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
