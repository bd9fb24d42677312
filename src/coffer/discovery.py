"""Finding the modules through which capabilities plug into shared pieces.

A capability adds demo data in `coffer/<capability>/demo.py` and dashboard cards in
`coffer/<capability>/cards.py`; importing those modules registers what they declare.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil

import coffer


def import_capability_modules(submodule: str, *, top_level_prefix: str | None = None) -> None:
    """Import `coffer.<package>.<submodule>` for every package that has one, and with
    `top_level_prefix` also every top-level module `coffer.<prefix>...`."""
    for module in pkgutil.iter_modules(coffer.__path__):
        if module.ispkg:
            name = f"coffer.{module.name}.{submodule}"
            if importlib.util.find_spec(name) is not None:
                importlib.import_module(name)
        elif top_level_prefix is not None and module.name.startswith(top_level_prefix):
            importlib.import_module(f"coffer.{module.name}")
