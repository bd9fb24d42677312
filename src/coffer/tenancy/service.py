"""Tenants, memberships and roles: the business rules; invitations live in
coffer.tenancy.invitations and are re-exported here, so other domains import one module.

Functions take a session and keyword-only arguments, never commit, and raise the
errors of coffer.errors. Queries of tenant tables start from access.scoped (tenant
first). A tenant always keeps at least one owner, and nobody leaves or is removed from
their own personal household, which is where Coffer takes them by default.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coffer.audit.service import changes, record
from coffer.auth.models import User
from coffer.db.base import utcnow
from coffer.errors import Forbidden, NotFound, RuleViolation, ValidationFailed
from coffer.ledger.categories import ensure_default_categories
from coffer.tenancy.access import (
    NOT_A_MEMBER,
    assignable_roles,
    check_may_assign,
    membership_of,
    owner_count,
    require_manager,
    scoped,
)
from coffer.tenancy.invitations import (
    InvitationPreview,
    InvitationStatus,
    InvitationView,
    NewInvitation,
    accept_invitation,
    create_invitation,
    hash_token,
    invitation_path,
    invitation_status,
    list_invitations,
    preview_invitation,
    revoke_invitation,
)
from coffer.tenancy.locales import normalise_currency, normalise_locale
from coffer.tenancy.models import Membership, Role, Tenant, TenantKind

__all__ = [
    "InvitationPreview",
    "InvitationStatus",
    "InvitationView",
    "Member",
    "NewInvitation",
    "accept_invitation",
    "assignable_roles",
    "change_role",
    "create_invitation",
    "create_tenant",
    "get_member",
    "get_member_tenant",
    "hash_token",
    "invitation_path",
    "invitation_status",
    "leave_tenant",
    "list_invitations",
    "list_members",
    "list_user_tenants",
    "preview_invitation",
    "remove_member",
    "revoke_invitation",
    "update_tenant",
]

NAME_MAX = 200
ROLE_ORDER = {role: rank for rank, role in enumerate(Role)}


@dataclass(frozen=True, slots=True)
class Member:
    user_id: uuid.UUID
    name: str
    email: str
    role: Role
    joined_at: datetime
    # This tenant is the member's personal household: they can never be removed from it.
    home_here: bool = False


def _clean_name(value: str) -> str | None:
    cleaned = value.strip()
    return cleaned if 1 <= len(cleaned) <= NAME_MAX else None


# Each editable detail: how to clean it (None when invalid) and what to say when invalid.
_DETAILS: dict[str, tuple[Callable[[str], str | None], str]] = {
    "name": (_clean_name, f"Enter a name of 1 to {NAME_MAX} characters."),
    "base_currency": (normalise_currency, "Choose an ISO 4217 currency code, like EUR or USD."),
    "locale": (normalise_locale, "Choose a language and country, like en_US or de_DE."),
}


def _check_details(**given: str | None) -> dict[str, str]:
    """The cleaned values of the fields given, or ValidationFailed naming every bad field."""
    values: dict[str, str] = {}
    errors: list[dict[str, str]] = []
    for field, raw in given.items():
        if raw is None:
            continue
        clean, message = _DETAILS[field]
        cleaned = clean(raw)
        if cleaned is None:
            errors.append({"field": field, "message": message})
        else:
            values[field] = cleaned
    if errors:
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        raise ValidationFailed(detail, errors=errors)
    return values


# --- tenants --------------------------------------------------------------------------


def create_tenant(
    session: Session,
    *,
    creator: User,
    name: str,
    kind: TenantKind = TenantKind.household,
    base_currency: str = "USD",
    locale: str = "en_US",
    default_categories: bool = True,
) -> Tenant:
    """A new tenant with its creator as owner. The caller has set the user context.

    The first household a user creates becomes their personal household. A household
    starts with the default categories unless `default_categories` is false.
    """
    values = _check_details(name=name, base_currency=base_currency, locale=locale)
    # The creator must exist before the tenant that refers to it; the explicit flushes
    # also order the rows as the PostgreSQL policies need them: the tenant, then its
    # first owner, then audit events (admitted only for tenants the user belongs to).
    session.flush()
    tenant = Tenant(kind=TenantKind(kind).value, created_by=creator.id, **values)
    session.add(tenant)
    session.flush()
    session.add(Membership(tenant_id=tenant.id, user_id=creator.id, role=Role.owner.value))
    session.flush()
    if creator.personal_tenant_id is None and tenant.kind == TenantKind.household.value:
        creator.personal_tenant_id = tenant.id
    record(
        session,
        action="tenant.created",
        actor_id=creator.id,
        tenant_id=tenant.id,
        entity_type="tenant",
        entity_id=tenant.id,
        new={"name": tenant.name, "kind": tenant.kind, **values},
    )
    if default_categories and tenant.kind == TenantKind.household.value:
        ensure_default_categories(session, tenant_id=tenant.id, actor_id=creator.id)
    return tenant


def list_user_tenants(session: Session, *, user_id: uuid.UUID) -> list[tuple[Tenant, Role]]:
    """The user's tenants with their role: the personal household first, then by name."""
    # One statement: every page and API call asks this.
    rows = session.execute(
        select(Tenant, Membership.role, User.personal_tenant_id)
        .join(Membership, Membership.tenant_id == Tenant.id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.user_id == user_id)
    ).all()
    personal = rows[0][2] if rows else None
    pairs = [(tenant, Role(role)) for tenant, role, _ in rows]
    pairs.sort(key=lambda pair: (pair[0].id != personal, pair[0].name.casefold(), pair[0].id))
    return pairs


def get_member_tenant(
    session: Session, *, user_id: uuid.UUID, tenant_id: uuid.UUID
) -> tuple[Tenant, Role]:
    """The tenant and the user's role in it; NotFound alike for strangers and missing ids."""
    row = session.execute(
        select(Tenant, Membership.role)
        .join(Membership, Membership.tenant_id == Tenant.id)
        .where(Tenant.id == tenant_id, Membership.user_id == user_id)
    ).first()
    if row is None:
        raise NotFound(NOT_A_MEMBER)
    return row[0], Role(row[1])


def update_tenant(
    session: Session,
    *,
    actor_id: uuid.UUID,
    tenant_id: uuid.UUID,
    name: str | None = None,
    base_currency: str | None = None,
    locale: str | None = None,
) -> Tenant:
    """Change the household's details (owners and admins); audits what changed."""
    tenant, role = get_member_tenant(session, user_id=actor_id, tenant_id=tenant_id)
    if not role.can_manage:
        raise Forbidden("Only owners and admins can change the household's details.")
    values = _check_details(name=name, base_currency=base_currency, locale=locale)
    before = {key: getattr(tenant, key) for key in values}
    for key, value in values.items():
        setattr(tenant, key, value)
    # Saving the form counts as reviewing the details, even when nothing changed.
    tenant.details_reviewed_at = utcnow()
    old, new = changes(before, values)
    if new:
        record(
            session,
            action="tenant.updated",
            actor_id=actor_id,
            tenant_id=tenant.id,
            entity_type="tenant",
            entity_id=tenant.id,
            old=old,
            new=new,
        )
    return tenant


# --- members --------------------------------------------------------------------------


def list_members(session: Session, *, tenant_id: uuid.UUID) -> list[Member]:
    """Members by role (owners first), then name. The caller has checked membership."""
    rows = session.execute(
        scoped(Membership, tenant_id)
        .join(User, User.id == Membership.user_id)
        .add_columns(User.name, User.email, User.personal_tenant_id)
    ).all()
    members = [
        Member(m.user_id, name, email, Role(m.role), m.created_at, home == tenant_id)
        for m, name, email, home in rows
    ]
    members.sort(key=lambda m: (ROLE_ORDER[m.role], m.name.casefold(), m.email))
    return members


def get_member(session: Session, *, tenant_id: uuid.UUID, user_id: uuid.UUID) -> Member:
    for member in list_members(session, tenant_id=tenant_id):
        if member.user_id == user_id:
            return member
    raise NotFound("This person is not a member of the household.")


def _target(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID) -> Membership:
    membership = membership_of(session, tenant_id, user_id)
    if membership is None:
        raise NotFound("This person is not a member of the household.")
    return membership


def _check_not_last_owner(session: Session, membership: Membership, message: str) -> None:
    if membership.role == Role.owner.value and owner_count(session, membership.tenant_id) <= 1:
        raise RuleViolation(message)


def _check_not_personal(session: Session, membership: Membership, message: str) -> None:
    personal = session.scalar(select(User.personal_tenant_id).where(User.id == membership.user_id))
    if personal == membership.tenant_id:
        raise RuleViolation(message)


def change_role(
    session: Session,
    *,
    actor_id: uuid.UUID,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    role: Role,
) -> Member:
    actor_role = require_manager(session, tenant_id, actor_id)
    target = _target(session, tenant_id, user_id)
    old_role = Role(target.role)
    if old_role is role:
        return get_member(session, tenant_id=tenant_id, user_id=user_id)
    check_may_assign(actor_role, old_role, role)
    _check_not_last_owner(
        session,
        target,
        "A household always needs an owner: make someone else an owner before changing this role.",
    )
    target.role = role.value
    record(
        session,
        action="membership.role_changed",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="membership",
        entity_id=user_id,
        old={"role": old_role},
        new={"role": role},
    )
    return get_member(session, tenant_id=tenant_id, user_id=user_id)


def remove_member(
    session: Session, *, actor_id: uuid.UUID, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    """Remove someone (owners and admins); removing yourself is leaving."""
    if user_id == actor_id:
        leave_tenant(session, user_id=actor_id, tenant_id=tenant_id)
        return
    actor_role = require_manager(session, tenant_id, actor_id)
    target = _target(session, tenant_id, user_id)
    check_may_assign(actor_role, Role(target.role))
    _check_not_last_owner(session, target, "A household always needs an owner.")
    _check_not_personal(
        session,
        target,
        "This is their personal household: they can be given another role, not removed.",
    )
    record(
        session,
        action="membership.removed",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="membership",
        entity_id=user_id,
        old={"role": target.role},
    )
    session.delete(target)
    session.flush()


def leave_tenant(session: Session, *, user_id: uuid.UUID, tenant_id: uuid.UUID) -> None:
    membership = membership_of(session, tenant_id, user_id)
    if membership is None:
        raise NotFound(NOT_A_MEMBER)
    _check_not_personal(
        session,
        membership,
        "This is your personal household, so it stays yours. You can leave households "
        "you were invited to.",
    )
    _check_not_last_owner(
        session,
        membership,
        "You are the only owner. Make someone else an owner before you leave.",
    )
    record(
        session,
        action="membership.left",
        actor_id=user_id,
        tenant_id=tenant_id,
        entity_type="membership",
        entity_id=user_id,
        old={"role": membership.role},
    )
    # The event is written while the user still belongs to the tenant: on PostgreSQL
    # the audit policy admits events only for one's own tenants.
    session.flush()
    session.delete(membership)
    session.flush()
