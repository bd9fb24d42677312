"""Regenerate src/coffer/core/data/iso4217.json from the `iso4217` package.

The pure core reads the JSON with the standard library only. Run after upgrading the
package: `pip install iso4217==<version> && python scripts/gen_currencies.py`.
Funds and metals without a minor unit (XAU, XDR, ...) are left out: Coffer keeps
money, not precious-metal positions, in currencies.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import iso4217

OUT = Path(__file__).resolve().parents[1] / "src" / "coffer" / "core" / "data" / "iso4217.json"


def main() -> None:
    table = {
        c.code: {"minor_units": c.exponent, "name": c.currency_name}
        for c in iso4217.Currency
        if c.exponent is not None
    }
    OUT.write_text(
        json.dumps(
            {"source": f"iso4217 {version('iso4217')}", "currencies": dict(sorted(table.items()))},
            indent=1,
            ensure_ascii=False,
        )
        + "\n"
    )
    print(f"{len(table)} currencies written to {OUT}")


if __name__ == "__main__":
    main()
