"""Demo data: a realistic household to explore Coffer with, loaded on first run.

Each capability adds its own part without editing this file: it writes a module
`coffer/<capability>/demo.py` (found and imported by `load_demo`) with loaders
decorated `@demo_loader(order=...)`. Loaders run in ascending order inside one unit
of work, each getting the session and the DemoContext earlier loaders filled in:

    # coffer/ledger/demo.py
    @demo_loader(order=20)
    def _accounts(session: Session, ctx: DemoContext) -> None:
        checking = ledger_service.create_account(session, tenant_id=ctx.tenant_id, ...)
        ctx.shared["checking"] = checking

Loading is idempotent: when the demo owner already exists no loader runs. The
foundation loader (order 0) creates the people and the household. A top-level module
`coffer/demo_<part>.py` is found the same way (the ledger's part is coffer/demo_ledger.py).

Some work cannot share that unit of work: an import reads through a second connection,
which sees only committed rows. Such a step is a follow-up, decorated
`@demo_follow_up(order=...)`: it runs after the loaders commit, in a unit of work of its
own, and must check first whether its work is done (returning False then, True when
it did something). Follow-ups run on every load, also when the household exists, so a
load interrupted between the loaders and a follow-up is finished by the next one and
reported in `DemoResult.finished`; a load with nothing left to do changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from coffer.auth.models import User
from coffer.auth.service import get_user_by_email, register_user
from coffer.config import get_settings
from coffer.db.session import Database, set_context
from coffer.discovery import import_capability_modules
from coffer.tenancy import service as tenancy_service
from coffer.tenancy.models import Role

DEMO_EMAIL = "demo@coffer.example"
# Documented in the README: a demo login is only useful if people can read it. Every
# demo person shares it. It passes the password policy (length, not a common password,
# no name or email in it).
DEMO_PASSWORD = "maple-harbor-lantern-27"  # noqa: S105 - public by design
DEMO_HOUSEHOLD = "The Rivera household"


@dataclass(frozen=True, slots=True)
class DemoPerson:
    key: str
    email: str
    name: str
    role: Role


OWNER = DemoPerson("owner", DEMO_EMAIL, "Alex Rivera", Role.owner)
PARTNER = DemoPerson("partner", "sam.rivera@coffer.example", "Sam Rivera", Role.member)
ADVISOR = DemoPerson("advisor", "priya.shah@coffer.example", "Priya Shah", Role.advisor)
# Invited but not yet joined, so the members page shows a pending invitation.
INVITEE = DemoPerson("invitee", "lucia.rivera@coffer.example", "Lucía Rivera", Role.viewer)


@dataclass
class DemoContext:
    """What the loaders share. The foundation loader sets the owner and household."""

    today: date
    # The data directory (where an import keeps the file it was given).
    data_dir: Path = field(default_factory=lambda: get_settings().data_dir)
    owner: User | None = None
    tenant_id: uuid.UUID | None = None
    people: dict[str, User] = field(default_factory=dict)
    # Objects one loader makes for a later one ("checking" account, "groceries" category).
    shared: dict[str, Any] = field(default_factory=dict)

    def require_owner(self) -> tuple[User, uuid.UUID]:
        if self.owner is None or self.tenant_id is None:
            raise RuntimeError("the foundation demo loader has not run")
        return self.owner, self.tenant_id

    def act_as_owner(self, session: Session) -> None:
        """Give the session the owner's context again (a loader may have switched it)."""
        owner, tenant_id = self.require_owner()
        set_context(session, user_id=owner.id, tenant_id=tenant_id)


DemoLoader = Callable[[Session, DemoContext], None]
# Returns whether it did anything (False: its work was done already).
DemoFollowUp = Callable[[Session, DemoContext], bool]


@dataclass(frozen=True, slots=True)
class _Registered:
    order: int
    name: str
    load: DemoLoader


_LOADERS: dict[str, _Registered] = {}


@dataclass(frozen=True, slots=True)
class _FollowUp:
    order: int
    name: str
    run: DemoFollowUp


_FOLLOW_UPS: dict[str, _FollowUp] = {}


def demo_loader(*, order: int) -> Callable[[DemoLoader], DemoLoader]:
    """Register a loader; lower orders run first. Registering a name twice replaces it
    (a module imported twice must not load its data twice)."""

    def register(load: DemoLoader) -> DemoLoader:
        name = f"{load.__module__}.{load.__qualname__}"
        _LOADERS[name] = _Registered(order, name, load)
        return load

    return register


def demo_follow_up(*, order: int) -> Callable[[DemoFollowUp], DemoFollowUp]:
    """Register a follow-up (see the module's docstring); lower orders run first."""

    def register(run: DemoFollowUp) -> DemoFollowUp:
        name = f"{run.__module__}.{run.__qualname__}"
        _FOLLOW_UPS[name] = _FollowUp(order, name, run)
        return run

    return register


def discover_loaders() -> None:
    """Import every `coffer.<package>.demo` and `coffer.demo_<part>` module, so their
    loaders register."""
    import_capability_modules("demo", top_level_prefix="demo_")


def registered_loaders() -> list[str]:
    discover_loaders()
    return [entry.name for entry in sorted(_LOADERS.values(), key=lambda e: (e.order, e.name))]


def registered_follow_ups() -> list[str]:
    discover_loaders()
    return [e.name for e in sorted(_FOLLOW_UPS.values(), key=lambda e: (e.order, e.name))]


@dataclass(frozen=True, slots=True)
class DemoResult:
    created: bool
    email: str
    password: str
    # Follow-ups an earlier, interrupted load had left undone and this one finished.
    finished: tuple[str, ...] = ()


def load_demo(
    db: Database, *, today: date | None = None, data_dir: Path | None = None
) -> DemoResult:
    """Create the demo household unless it exists (the loaders: one unit of work, all or
    nothing), then run the follow-ups that are not done yet (one unit of work each)."""
    discover_loaders()
    ctx = DemoContext(today=today or date.today())
    if data_dir is not None:
        ctx.data_dir = data_dir
    created = False
    with db.unit_of_work() as session:
        if get_user_by_email(session, DEMO_EMAIL) is None:
            for entry in sorted(_LOADERS.values(), key=lambda e: (e.order, e.name)):
                entry.load(session, ctx)
                ctx.act_as_owner(session)
            created = True
    finished: list[str] = []
    for follow_up in sorted(_FOLLOW_UPS.values(), key=lambda e: (e.order, e.name)):
        with db.unit_of_work() as session:
            owner = get_user_by_email(session, DEMO_EMAIL)
            if owner is None or owner.personal_tenant_id is None:
                break
            ctx.owner, ctx.tenant_id = owner, owner.personal_tenant_id
            ctx.act_as_owner(session)
            if follow_up.run(session, ctx) and not created:
                finished.append(follow_up.name)
    return DemoResult(
        created=created, email=DEMO_EMAIL, password=DEMO_PASSWORD, finished=tuple(finished)
    )


# --- the foundation: people, household, memberships, a pending invitation -------------


def _register(session: Session, person: DemoPerson) -> User:
    return register_user(session, email=person.email, password=DEMO_PASSWORD, name=person.name)


def _join(session: Session, ctx: DemoContext, person: DemoPerson) -> User:
    """Invite a person by email as the owner, then accept as them: the audit log then
    tells the story the way it happens in real use."""
    owner, tenant_id = ctx.require_owner()
    user = _register(session, person)
    ctx.act_as_owner(session)
    invitation = tenancy_service.create_invitation(
        session, actor_id=owner.id, tenant_id=tenant_id, role=person.role, email=person.email
    )
    set_context(session, user_id=user.id)
    tenancy_service.accept_invitation(session, user=user, token=invitation.token)
    ctx.people[person.key] = user
    return user


@demo_loader(order=0)
def load_household(session: Session, ctx: DemoContext) -> None:
    owner = _register(session, OWNER)
    if owner.personal_tenant_id is None:
        raise RuntimeError("registration did not create a personal household")
    ctx.owner, ctx.tenant_id = owner, owner.personal_tenant_id
    ctx.people[OWNER.key] = owner
    ctx.act_as_owner(session)
    tenancy_service.update_tenant(
        session,
        actor_id=owner.id,
        tenant_id=ctx.tenant_id,
        name=DEMO_HOUSEHOLD,
        base_currency="USD",
        locale="en_US",
    )
    _join(session, ctx, PARTNER)
    _join(session, ctx, ADVISOR)
    ctx.act_as_owner(session)
    tenancy_service.create_invitation(
        session, actor_id=owner.id, tenant_id=ctx.tenant_id, role=INVITEE.role, email=INVITEE.email
    )
