"""Invitations by link: made by owners and admins, opened by whoever holds the link.

The raw token exists once, in the answer to its creation; only its SHA-256 is stored.
Other modules reach these functions through coffer.tenancy.service.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coffer.audit.service import record
from coffer.auth.models import User
from coffer.config import get_settings
from coffer.db.base import utcnow
from coffer.db.session import set_context
from coffer.errors import Conflict, NotFound, RuleViolation, ValidationFailed
from coffer.tenancy.access import check_may_assign, membership_of, require_manager, scoped
from coffer.tenancy.models import Invitation, Membership, Role, Tenant

TOKEN_BYTES = 32
INVALID_LINK = "This invitation link is not valid. Check that it was copied whole."


class InvitationStatus(StrEnum):
    pending = "pending"
    accepted = "accepted"
    expired = "expired"
    revoked = "revoked"


@dataclass(frozen=True, slots=True)
class InvitationView:
    invitation: Invitation
    status: InvitationStatus
    inviter_name: str


@dataclass(frozen=True, slots=True)
class NewInvitation:
    """A freshly made invitation; `token` exists only here and is never stored."""

    invitation: Invitation
    token: str

    @property
    def path(self) -> str:
        return invitation_path(self.token)


@dataclass(frozen=True, slots=True)
class InvitationPreview:
    invitation: Invitation
    tenant: Tenant
    inviter_name: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_path(token: str) -> str:
    """Where the person invited opens the invitation (a page, not the API)."""
    return f"/invitations/{token}"


def invitation_status(invitation: Invitation, *, now: datetime | None = None) -> InvitationStatus:
    if invitation.revoked_at is not None:
        return InvitationStatus.revoked
    if invitation.accepted_at is not None:
        return InvitationStatus.accepted
    if invitation.expires_at <= (now or utcnow()):
        return InvitationStatus.expired
    return InvitationStatus.pending


# --- for owners and admins ------------------------------------------------------------


def _clean_email(email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        message = "Enter a valid email address, or leave it empty."
        raise ValidationFailed(
            f"email: {message}", errors=[{"field": "email", "message": message}]
        ) from exc


def _check_not_member_email(session: Session, tenant_id: uuid.UUID, email: str) -> None:
    member = session.scalar(
        scoped(Membership, tenant_id)
        .join(User, User.id == Membership.user_id)
        .where(func.lower(User.email) == email)
    )
    if member is not None:
        raise Conflict(f"{email} is already a member of this household.")


def create_invitation(
    session: Session,
    *,
    actor_id: uuid.UUID,
    tenant_id: uuid.UUID,
    role: Role = Role.member,
    email: str | None = None,
    valid_for: timedelta | None = None,
) -> NewInvitation:
    """An invitation link. If an email is given, only the account with it can accept."""
    actor_role = require_manager(session, tenant_id, actor_id)
    check_may_assign(actor_role, role)
    clean_email = _clean_email(email)
    if clean_email:
        _check_not_member_email(session, tenant_id, clean_email)
    if valid_for is None:
        valid_for = timedelta(days=get_settings().invitation_days)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    invitation = Invitation(
        tenant_id=tenant_id,
        role=role.value,
        email=clean_email,
        token_hash=hash_token(token),
        invited_by=actor_id,
        expires_at=utcnow() + valid_for,
    )
    session.add(invitation)
    session.flush()
    record(
        session,
        action="invitation.created",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="invitation",
        entity_id=invitation.id,
        new={"role": role, "email": clean_email, "expires_at": invitation.expires_at},
    )
    return NewInvitation(invitation=invitation, token=token)


def list_invitations(
    session: Session, *, actor_id: uuid.UUID, tenant_id: uuid.UUID
) -> list[InvitationView]:
    """Every invitation of the tenant, newest first (owners and admins)."""
    require_manager(session, tenant_id, actor_id)
    rows = session.execute(
        scoped(Invitation, tenant_id)
        .join(User, User.id == Invitation.invited_by)
        .add_columns(User.name)
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    ).all()
    now = utcnow()
    return [InvitationView(inv, invitation_status(inv, now=now), name) for inv, name in rows]


def revoke_invitation(
    session: Session, *, actor_id: uuid.UUID, tenant_id: uuid.UUID, invitation_id: uuid.UUID
) -> Invitation:
    """Withdraw an unused invitation; withdrawing it again changes nothing."""
    actor_role = require_manager(session, tenant_id, actor_id)
    invitation = session.scalar(scoped(Invitation, tenant_id).where(Invitation.id == invitation_id))
    if invitation is None:
        raise NotFound("No such invitation in this household.")
    check_may_assign(actor_role, Role(invitation.role))
    status = invitation_status(invitation)
    if status is InvitationStatus.accepted:
        raise RuleViolation(
            "This invitation has already been used. To undo it, remove the member instead."
        )
    if status is InvitationStatus.revoked:
        return invitation
    invitation.revoked_at = utcnow()
    record(
        session,
        action="invitation.revoked",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="invitation",
        entity_id=invitation.id,
        old={"status": status},
        new={"status": InvitationStatus.revoked},
    )
    return invitation


# --- for the person holding the link --------------------------------------------------


def _find_invitation(session: Session, token: str) -> Invitation:
    if not token or len(token) > 128:
        raise NotFound(INVALID_LINK)
    token_hash = hash_token(token)
    # On PostgreSQL the policies reveal an invitation (and its tenant) only to whoever
    # presents its token, so the token goes into the transaction's context first.
    set_context(session, invitation_token_hash=token_hash)
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == token_hash))
    if invitation is None:
        raise NotFound(INVALID_LINK)
    return invitation


def _lock(session: Session, invitation: Invitation) -> Invitation:
    """The invitation again, locked: two people accepting one link at the same moment
    are served one after the other, and the second finds it used."""
    locked = session.scalar(
        select(Invitation)
        .where(Invitation.id == invitation.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    # On PostgreSQL a lock needs the UPDATE policy, which admits only usable invitations.
    if locked is None:
        raise RuleViolation("This invitation was used or withdrawn a moment ago.")
    return locked


def _check_usable(invitation: Invitation, tenant: Tenant) -> None:
    status = invitation_status(invitation)
    if status is InvitationStatus.revoked:
        raise RuleViolation(
            f"This invitation to {tenant.name} was withdrawn. Ask for a new link if you "
            "still want to join."
        )
    if status is InvitationStatus.accepted:
        raise RuleViolation(
            f"This invitation to {tenant.name} has already been used. Each link works once; "
            "ask for a new one."
        )
    if status is InvitationStatus.expired:
        raise RuleViolation(
            f"This invitation to {tenant.name} expired on "
            f"{invitation.expires_at:%Y-%m-%d}. Ask for a new link."
        )


def preview_invitation(session: Session, *, token: str) -> InvitationPreview:
    """Who invites to what, for the person holding the link; refuses unusable links."""
    invitation = _find_invitation(session, token)
    tenant = session.get(Tenant, invitation.tenant_id)
    if tenant is None:  # deleted together with its invitations; only a race gets here
        raise NotFound(INVALID_LINK)
    _check_usable(invitation, tenant)
    inviter = session.get(User, invitation.invited_by)
    return InvitationPreview(invitation, tenant, inviter.name if inviter else "Someone")


def accept_invitation(session: Session, *, user: User, token: str) -> tuple[Tenant, Role]:
    """Join the invitation's tenant with its role. The caller has set the user context."""
    preview = preview_invitation(session, token=token)
    tenant = preview.tenant
    invitation = _lock(session, preview.invitation)
    _check_usable(invitation, tenant)
    if membership_of(session, tenant.id, user.id) is not None:
        raise Conflict(f"You are already a member of {tenant.name}.")
    if invitation.email and invitation.email != user.email.lower():
        raise RuleViolation(
            f"This invitation is for {invitation.email}. Sign in with that address to accept it."
        )
    role = Role(invitation.role)
    # The membership first: the PostgreSQL policy admits it only while the invitation
    # is still unused, and the audit policy only once the user belongs to the tenant.
    session.add(Membership(tenant_id=tenant.id, user_id=user.id, role=role.value))
    session.flush()
    invitation.accepted_at = utcnow()
    invitation.accepted_by = user.id
    record(
        session,
        action="membership.joined",
        actor_id=user.id,
        tenant_id=tenant.id,
        entity_type="membership",
        entity_id=user.id,
        new={"role": role, "invitation_id": invitation.id},
    )
    session.flush()
    return tenant, role
