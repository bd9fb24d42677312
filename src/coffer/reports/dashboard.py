"""The home dashboard: cards that each capability registers for itself.

The dashboard knows no capability. A capability adds a card by writing a module
`coffer/<capability>/cards.py` (found and imported by `discover_cards`, as the demo
loaders are) with a function decorated `@dashboard_card(...)`:

    # coffer/budgets/cards.py
    @dashboard_card(key="budget_left", title="Left to spend", order=25)
    def budget_left(session: Session, ctx: CardContext) -> BudgetLeft | None:
        ...

The contract:

- The function takes the request's session and a `CardContext` (household, person,
  role, today) and returns the card's data, any object, or None when the card has
  nothing to say for this household (it is then left out: no zeros on a new
  household). It reads only; it runs inside a savepoint of its own.
- The data is rendered by the card's own template partial, by default
  `<capability>/cards/<key>.html` in the capability's templates folder, with `data`
  (what the function returned), `card` (its `CardSpec`) and the page's context
  (`tenant_locale`, `base_currency`, so the `money`, `amount` and `day` filters work).
  The dashboard draws the card's frame and its heading (`title`, an h2 whose id is
  `card-<key>-title`); the partial draws what goes inside.
- Every figure in a partial links to what is behind it (usually `/transactions` with
  filters), and every chart has a text or table equivalent on the page: the pages must
  read without JavaScript. A chart is a `<canvas data-chart="...">` configured from a
  JSON block (see js/charts.js); no inline script or style.
- `order` places the card (lower first; the ledger's cards use 10 to 50, so others fit
  between them), `width` is "narrow" (one column), "wide" (two) or "full" (the whole
  row); on a phone every card takes the whole row. `href`, if given, makes the
  card's heading a link to the page or report behind the card.
- A card that raises, loading or rendering, does not break the dashboard: the error is
  logged and its slot says it could not be loaded.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, TypeVar, cast

import structlog
from sqlalchemy.orm import Session

from coffer.auth.models import User
from coffer.discovery import import_capability_modules
from coffer.tenancy.models import Role, Tenant

log = structlog.get_logger("coffer.dashboard")

CardWidth = Literal["narrow", "wide", "full"]
WIDTHS: frozenset[str] = frozenset({"narrow", "wide", "full"})
# Used in element ids and template names.
KEY = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


@dataclass(frozen=True, slots=True)
class CardContext:
    """What every card may use: the household, who is looking, and today; and `shared`,
    for a result several cards read (one dashboard, one computation)."""

    tenant: Tenant
    user: User
    role: Role
    today: date
    _shared: dict[Hashable, Any] = field(default_factory=dict, repr=False, compare=False)

    def shared(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()`, once per dashboard for each key: the cards that ask for the
        same key get the same result."""
        if key not in self._shared:
            self._shared[key] = compute()
        return cast(T, self._shared[key])

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.tenant.id

    @property
    def base_currency(self) -> str:
        return self.tenant.base_currency


CardLoader = Callable[[Session, CardContext], Any]
L = TypeVar("L", bound=CardLoader)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CardSpec:
    key: str
    title: str
    order: int
    width: CardWidth
    template: str
    load: CardLoader
    # Where the card's heading leads (its report or page), if anywhere.
    href: str | None = None

    @property
    def heading_id(self) -> str:
        return f"card-{self.key.replace('_', '-')}-title"


@dataclass(frozen=True, slots=True)
class CardResult:
    """A card to show: its data, or `failed` when loading it raised."""

    spec: CardSpec
    data: Any = None
    failed: bool = False


_CARDS: dict[str, CardSpec] = {}


def _capability(module: str) -> str:
    parts = module.split(".")
    if len(parts) >= 3 and parts[0] == "coffer":
        return parts[1]
    raise ValueError(f"{module} is not coffer.<capability>.cards: give the card a template")


def dashboard_card(
    *,
    key: str,
    title: str,
    order: int,
    width: CardWidth = "narrow",
    template: str | None = None,
    href: str | None = None,
) -> Callable[[L], L]:
    """Register a dashboard card (see the module's docstring). Registering a key again
    replaces the card: a module imported twice must not show its card twice."""
    if not KEY.match(key):
        raise ValueError(f"card key {key!r}: lower-case letters, digits and _ only")
    if width not in WIDTHS:
        raise ValueError(f"card width {width!r}: one of {sorted(WIDTHS)}")

    def register(load: L) -> L:
        name = template or f"{_capability(load.__module__)}/cards/{key}.html"
        _CARDS[key] = CardSpec(key, title, order, width, name, load, href)
        return load

    return register


@functools.cache
def discover_cards() -> None:
    """Import every `coffer.<package>.cards` module, so their cards register. Once per
    process: the set of modules does not change while it runs, and the dashboard is
    the page people open most."""
    import_capability_modules("cards")


def registered_cards() -> list[CardSpec]:
    discover_cards()
    return sorted(_CARDS.values(), key=lambda spec: (spec.order, spec.key))


def load_cards(session: Session, ctx: CardContext) -> list[CardResult]:
    """Every card with something to show, in order. Each loads in a savepoint, so a
    card whose query fails (on PostgreSQL that aborts the transaction) leaves the
    session usable for the cards after it."""
    results: list[CardResult] = []
    for spec in registered_cards():
        try:
            with session.begin_nested():
                data = spec.load(session, ctx)
        except Exception:
            log.exception("dashboard card failed", card=spec.key, tenant_id=str(ctx.tenant_id))
            results.append(CardResult(spec, failed=True))
            continue
        if data is not None:
            results.append(CardResult(spec, data))
    return results
