"""The tenant-scoping helper and the role rules the tenancy services share.

Every query of a tenant table in tenancy starts from `scoped`, which filters by tenant
first; on PostgreSQL row-level security is the backstop behind it.

Role rules: owners may do anything; admins manage members, viewers and advisors (never
the owner or admin roles); members write data but manage nothing; viewers and advisors
only read.
"""

from __future__ import annotations

import uuid
from typing import TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from coffer.errors import Forbidden, NotFound
from coffer.tenancy.models import Invitation, Membership, Role

_Scoped = TypeVar("_Scoped", Membership, Invitation)

# Roles an admin may grant, change or invite; owner and admin are for owners to hand out.
ADMIN_ASSIGNABLE = frozenset({Role.member, Role.viewer, Role.advisor})

NOT_A_MEMBER = "No household or group with this id is shared with you."
NOT_A_MANAGER = "Only owners and admins can manage this household's members and invitations."


def scoped(model: type[_Scoped], tenant_id: uuid.UUID) -> Select[_Scoped]:
    """The start of every query of a tenant table: rows of this tenant only."""
    return select(model).where(model.tenant_id == tenant_id)


def membership_of(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID) -> Membership | None:
    return session.scalar(scoped(Membership, tenant_id).where(Membership.user_id == user_id))


def role_of(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID) -> Role:
    """The user's role, or NotFound: a non-member must not learn that the tenant exists."""
    membership = membership_of(session, tenant_id, user_id)
    if membership is None:
        raise NotFound(NOT_A_MEMBER)
    return Role(membership.role)


def require_manager(session: Session, tenant_id: uuid.UUID, actor_id: uuid.UUID) -> Role:
    role = role_of(session, tenant_id, actor_id)
    if not role.can_manage:
        raise Forbidden(NOT_A_MANAGER)
    return role


def check_may_assign(actor_role: Role, *roles: Role) -> None:
    """Owners hand out any role; admins only member, viewer and advisor."""
    if actor_role is Role.owner:
        return
    if not actor_role.can_manage:
        raise Forbidden(NOT_A_MANAGER)
    for role in roles:
        if role not in ADMIN_ASSIGNABLE:
            raise Forbidden(f"Only an owner can grant or remove the {role.value} role.")


def assignable_roles(actor_role: Role) -> list[Role]:
    """The roles this actor may hand out, in the order a picker shows them."""
    if actor_role is Role.owner:
        return list(Role)
    if actor_role.can_manage:
        return [role for role in Role if role in ADMIN_ASSIGNABLE]
    return []


def owner_count(session: Session, tenant_id: uuid.UUID) -> int:
    query = scoped(Membership, tenant_id).where(Membership.role == Role.owner.value)
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0
