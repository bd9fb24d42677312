"""The tenancy rules, exercised through the service on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from coffer.auth.models import User
from coffer.db.session import Database
from coffer.errors import Conflict, Forbidden, NotFound, RuleViolation, ValidationFailed
from coffer.tenancy import service
from coffer.tenancy.models import Invitation, Membership, Role, Tenant
from tests.tenancy.conftest import MakePerson, audit_events, invite_and_join, new_token


@pytest.fixture
def alice(person: MakePerson) -> User:
    return person("Alice")


@pytest.fixture
def bob(person: MakePerson) -> User:
    return person("Bob")


def _home(user: User) -> uuid.UUID:
    """The personal household's id."""
    assert user.personal_tenant_id is not None
    return user.personal_tenant_id


# --- tenants --------------------------------------------------------------------------


def test_create_tenant_makes_the_creator_owner_and_their_personal_household(
    database: Database, alice: User
) -> None:
    with database.unit_of_work(user_id=alice.id) as session:
        tenants = service.list_user_tenants(session, user_id=alice.id)
        membership = session.scalar(select(Membership).where(Membership.user_id == alice.id))
    assert [(t.id, role) for t, role in tenants] == [(_home(alice), Role.owner)]
    assert tenants[0][0].name == "Alice's household"
    assert membership is not None
    assert membership.role == "owner"
    event, categories = audit_events(database, alice, _home(alice))
    assert categories.action == "category.defaults_created"
    assert categories.new_values == {"count": 62}
    assert categories.actor_id == alice.id
    assert event.action == "tenant.created"
    assert event.actor_id == alice.id
    assert event.new_values == {
        "name": "Alice's household",
        "kind": "household",
        "base_currency": "USD",
        "locale": "en_US",
    }


def test_create_tenant_rejects_bad_details_naming_each_field(
    database: Database, alice: User
) -> None:
    with database.unit_of_work(user_id=alice.id) as session:
        user = session.get(User, alice.id)
        assert user is not None
        with pytest.raises(ValidationFailed) as caught:
            service.create_tenant(
                session, creator=user, name="  ", base_currency="XYZ1", locale="zz_ZZ"
            )
    fields = [e["field"] for e in caught.value.errors or []]
    assert fields == ["name", "base_currency", "locale"]


def test_list_user_tenants_puts_the_personal_household_first_then_by_name(
    database: Database, alice: User
) -> None:
    with database.unit_of_work(user_id=alice.id) as session:
        user = session.get(User, alice.id)
        assert user is not None
        service.create_tenant(session, creator=user, name="Zebra club")
        service.create_tenant(session, creator=user, name="beach house")
    with database.unit_of_work(user_id=alice.id) as session:
        names = [t.name for t, _ in service.list_user_tenants(session, user_id=alice.id)]
        assert session.get(User, alice.id).personal_tenant_id == _home(alice)  # type: ignore[union-attr]
    assert names == ["Alice's household", "beach house", "Zebra club"]


def test_get_member_tenant_hides_other_households(
    database: Database, alice: User, bob: User
) -> None:
    with database.unit_of_work(user_id=alice.id) as session:
        tenant, role = service.get_member_tenant(session, user_id=alice.id, tenant_id=_home(alice))
        assert (tenant.id, role) == (_home(alice), Role.owner)
        with pytest.raises(NotFound):
            service.get_member_tenant(session, user_id=alice.id, tenant_id=_home(bob))


def test_update_tenant_normalises_and_audits_only_what_changed(
    database: Database, alice: User
) -> None:
    with database.unit_of_work(user_id=alice.id) as session:
        tenant = service.update_tenant(
            session,
            actor_id=alice.id,
            tenant_id=_home(alice),
            name=" The Examples ",
            base_currency="eur",
            locale="de-DE",
        )
        assert (tenant.name, tenant.base_currency, tenant.locale) == (
            "The Examples",
            "EUR",
            "de_DE",
        )
        assert tenant.details_reviewed_at is not None
    # Saving again without a change reviews the details but writes no event.
    with database.unit_of_work(user_id=alice.id) as session:
        service.update_tenant(
            session, actor_id=alice.id, tenant_id=_home(alice), name="The Examples"
        )
    updates = [
        e for e in audit_events(database, alice, _home(alice)) if e.action == "tenant.updated"
    ]
    assert len(updates) == 1
    assert updates[0].old_values == {
        "name": "Alice's household",
        "base_currency": "USD",
        "locale": "en_US",
    }
    assert updates[0].new_values == {
        "name": "The Examples",
        "base_currency": "EUR",
        "locale": "de_DE",
    }


@pytest.mark.parametrize("role", [Role.member, Role.viewer, Role.advisor])
def test_only_managers_update_the_household(
    database: Database, alice: User, bob: User, role: Role
) -> None:
    invite_and_join(database, owner=alice, tenant_id=_home(alice), user=bob, role=role)
    with database.unit_of_work(user_id=bob.id) as session, pytest.raises(Forbidden):
        service.update_tenant(session, actor_id=bob.id, tenant_id=_home(alice), name="Mine now")


def test_update_tenant_of_a_stranger_is_not_found(
    database: Database, alice: User, bob: User
) -> None:
    with database.unit_of_work(user_id=bob.id) as session, pytest.raises(NotFound):
        service.update_tenant(session, actor_id=bob.id, tenant_id=_home(alice), name="Mine now")


# --- roles ----------------------------------------------------------------------------


def test_owner_changes_a_role_and_the_change_is_audited(
    database: Database, alice: User, bob: User
) -> None:
    invite_and_join(database, owner=alice, tenant_id=_home(alice), user=bob, role=Role.viewer)
    with database.unit_of_work(user_id=alice.id) as session:
        member = service.change_role(
            session, actor_id=alice.id, tenant_id=_home(alice), user_id=bob.id, role=Role.member
        )
    assert (member.name, member.role) == ("Bob", Role.member)
    event = audit_events(database, alice, _home(alice))[-1]
    assert event.action == "membership.role_changed"
    assert event.entity_id == str(bob.id)
    assert (event.old_values, event.new_values) == ({"role": "viewer"}, {"role": "member"})


def test_admin_cannot_grant_owner_or_admin(
    database: Database, alice: User, bob: User, person: MakePerson
) -> None:
    carol = person("Carol")
    invite_and_join(database, owner=alice, tenant_id=_home(alice), user=bob, role=Role.admin)
    invite_and_join(database, owner=alice, tenant_id=_home(alice), user=carol, role=Role.member)
    for role in (Role.owner, Role.admin):
        with database.unit_of_work(user_id=bob.id) as session, pytest.raises(Forbidden):
            service.change_role(
                session, actor_id=bob.id, tenant_id=_home(alice), user_id=carol.id, role=role
            )
    # Nor demote an owner.
    with database.unit_of_work(user_id=bob.id) as session, pytest.raises(Forbidden):
        service.change_role(
            session, actor_id=bob.id, tenant_id=_home(alice), user_id=alice.id, role=Role.viewer
        )
    # What admins may do: move people between member, viewer and advisor.
    with database.unit_of_work(user_id=bob.id) as session:
        member = service.change_role(
            session, actor_id=bob.id, tenant_id=_home(alice), user_id=carol.id, role=Role.advisor
        )
    assert member.role is Role.advisor


def test_members_cannot_change_roles(database: Database, alice: User, bob: User) -> None:
    invite_and_join(database, owner=alice, tenant_id=_home(alice), user=bob, role=Role.member)
    with database.unit_of_work(user_id=bob.id) as session, pytest.raises(Forbidden):
        service.change_role(
            session, actor_id=bob.id, tenant_id=_home(alice), user_id=bob.id, role=Role.owner
        )


def test_the_last_owner_cannot_be_demoted(database: Database, alice: User) -> None:
    with database.unit_of_work(user_id=alice.id) as session, pytest.raises(RuleViolation):
        service.change_role(
            session, actor_id=alice.id, tenant_id=_home(alice), user_id=alice.id, role=Role.admin
        )


def test_an_owner_can_step_down_once_there_is_another_owner(
    database: Database, alice: User, bob: User
) -> None:
    invite_and_join(database, owner=alice, tenant_id=_home(alice), user=bob, role=Role.owner)
    with database.unit_of_work(user_id=alice.id) as session:
        member = service.change_role(
            session, actor_id=alice.id, tenant_id=_home(alice), user_id=alice.id, role=Role.admin
        )
    assert member.role is Role.admin


# --- removing and leaving -------------------------------------------------------------


def test_remove_member_is_audited(database: Database, alice: User, bob: User) -> None:
    invite_and_join(database, owner=alice, tenant_id=_home(alice), user=bob, role=Role.member)
    with database.unit_of_work(user_id=alice.id) as session:
        service.remove_member(session, actor_id=alice.id, tenant_id=_home(alice), user_id=bob.id)
    with database.unit_of_work(user_id=alice.id) as session:
        members = service.list_members(session, tenant_id=_home(alice))
    assert [m.name for m in members] == ["Alice"]
    event = audit_events(database, alice, _home(alice))[-1]
    assert (event.action, event.entity_id) == ("membership.removed", str(bob.id))
    assert (event.old_values, event.new_values) == ({"role": "member"}, None)


def test_the_last_owner_cannot_be_removed_or_leave(
    database: Database, alice: User, bob: User
) -> None:
    with database.unit_of_work(user_id=bob.id) as session:
        user = session.get(User, bob.id)
        assert user is not None
        shared = service.create_tenant(session, creator=user, name="Shared flat").id
    invite_and_join(database, owner=bob, tenant_id=shared, user=alice, role=Role.admin)
    with database.unit_of_work(user_id=alice.id) as session, pytest.raises(Forbidden):
        service.remove_member(session, actor_id=alice.id, tenant_id=shared, user_id=bob.id)
    with database.unit_of_work(user_id=bob.id) as session, pytest.raises(RuleViolation):
        service.leave_tenant(session, user_id=bob.id, tenant_id=shared)


def test_nobody_leaves_or_loses_their_personal_household(
    database: Database, alice: User, bob: User
) -> None:
    invite_and_join(database, owner=alice, tenant_id=_home(alice), user=bob, role=Role.owner)
    with database.unit_of_work(user_id=alice.id) as session, pytest.raises(RuleViolation):
        service.leave_tenant(session, user_id=alice.id, tenant_id=_home(alice))
    with database.unit_of_work(user_id=bob.id) as session, pytest.raises(RuleViolation):
        service.remove_member(session, actor_id=bob.id, tenant_id=_home(alice), user_id=alice.id)


def test_a_member_leaves_and_the_log_says_so(database: Database, alice: User, bob: User) -> None:
    invite_and_join(database, owner=alice, tenant_id=_home(alice), user=bob, role=Role.viewer)
    with database.unit_of_work(user_id=bob.id) as session:
        service.remove_member(session, actor_id=bob.id, tenant_id=_home(alice), user_id=bob.id)
    with database.unit_of_work(user_id=bob.id) as session:
        assert [t.id for t, _ in service.list_user_tenants(session, user_id=bob.id)] == [_home(bob)]
    event = audit_events(database, alice, _home(alice))[-1]
    assert (event.action, event.actor_id, event.old_values) == (
        "membership.left",
        bob.id,
        {"role": "viewer"},
    )


# --- invitations ----------------------------------------------------------------------


def test_invitation_stores_only_the_hash_and_audits_without_the_token(
    database: Database, alice: User
) -> None:
    with database.unit_of_work(user_id=alice.id) as session:
        made = service.create_invitation(
            session,
            actor_id=alice.id,
            tenant_id=_home(alice),
            role=Role.viewer,
            email=" Sam@Example.com ",
        )
        token, invitation_id = made.token, made.invitation.id
        assert made.path == f"/invitations/{token}"
    with database.unit_of_work(user_id=alice.id) as session:
        stored = session.get(Invitation, invitation_id)
        assert stored is not None
        assert stored.token_hash == service.hash_token(token) != token
        assert stored.email == "sam@example.com"
    event = audit_events(database, alice, _home(alice))[-1]
    assert event.action == "invitation.created"
    assert event.new_values is not None
    assert event.new_values["role"] == "viewer"
    assert token not in str(event.new_values)


def test_invitation_rules_for_who_may_invite(
    database: Database, alice: User, bob: User, person: MakePerson
) -> None:
    invite_and_join(database, owner=alice, tenant_id=_home(alice), user=bob, role=Role.admin)
    with database.unit_of_work(user_id=bob.id) as session, pytest.raises(Forbidden):
        service.create_invitation(session, actor_id=bob.id, tenant_id=_home(alice), role=Role.owner)
    carol = person("Carol")
    invite_and_join(database, owner=alice, tenant_id=_home(alice), user=carol, role=Role.viewer)
    with database.unit_of_work(user_id=carol.id) as session, pytest.raises(Forbidden):
        service.create_invitation(
            session, actor_id=carol.id, tenant_id=_home(alice), role=Role.viewer
        )
    with database.unit_of_work(user_id=alice.id) as session, pytest.raises(ValidationFailed):
        service.create_invitation(
            session, actor_id=alice.id, tenant_id=_home(alice), email="not an address"
        )
    with database.unit_of_work(user_id=alice.id) as session, pytest.raises(Conflict):
        service.create_invitation(
            session, actor_id=alice.id, tenant_id=_home(alice), email="BOB@example.com"
        )


def test_preview_and_accept(database: Database, alice: User, bob: User) -> None:
    token = new_token(database, alice, _home(alice), role=Role.advisor)
    with database.unit_of_work(user_id=bob.id) as session:
        preview = service.preview_invitation(session, token=token)
        assert (preview.tenant.name, preview.inviter_name, preview.invitation.role) == (
            "Alice's household",
            "Alice",
            "advisor",
        )
    with database.unit_of_work(user_id=bob.id) as session:
        tenant, role = service.accept_invitation(session, user=bob, token=token)
    assert (tenant.id, role) == (_home(alice), Role.advisor)
    with database.unit_of_work(user_id=alice.id) as session:
        [view] = service.list_invitations(session, actor_id=alice.id, tenant_id=_home(alice))
        assert view.status is service.InvitationStatus.accepted
        assert view.invitation.accepted_by == bob.id
        assert view.inviter_name == "Alice"
    event = audit_events(database, alice, _home(alice))[-1]
    assert (event.action, event.actor_id, event.entity_id) == (
        "membership.joined",
        bob.id,
        str(bob.id),
    )
    assert event.new_values is not None
    assert event.new_values["role"] == "advisor"


def test_unknown_token_is_not_found(database: Database, bob: User) -> None:
    with database.unit_of_work(user_id=bob.id) as session, pytest.raises(NotFound):
        service.preview_invitation(session, token="no-such-token")


def test_used_invitation_cannot_be_reused(
    database: Database, alice: User, bob: User, person: MakePerson
) -> None:
    token = new_token(database, alice, _home(alice))
    with database.unit_of_work(user_id=bob.id) as session:
        service.accept_invitation(session, user=bob, token=token)
    carol = person("Carol")
    with (
        database.unit_of_work(user_id=carol.id) as session,
        pytest.raises(RuleViolation, match="already been used"),
    ):
        service.accept_invitation(session, user=carol, token=token)


def test_expired_invitation_is_refused(database: Database, alice: User, bob: User) -> None:
    token = new_token(database, alice, _home(alice), valid_for=timedelta(seconds=-1))
    with (
        database.unit_of_work(user_id=bob.id) as session,
        pytest.raises(RuleViolation, match="expired"),
    ):
        service.preview_invitation(session, token=token)
    with (
        database.unit_of_work(user_id=bob.id) as session,
        pytest.raises(RuleViolation, match="expired"),
    ):
        service.accept_invitation(session, user=bob, token=token)
    with database.unit_of_work(user_id=alice.id) as session:
        [view] = service.list_invitations(session, actor_id=alice.id, tenant_id=_home(alice))
    assert view.status is service.InvitationStatus.expired


def test_revoked_invitation_is_refused_and_audited(
    database: Database, alice: User, bob: User
) -> None:
    token = new_token(database, alice, _home(alice))
    with database.unit_of_work(user_id=alice.id) as session:
        [view] = service.list_invitations(session, actor_id=alice.id, tenant_id=_home(alice))
        service.revoke_invitation(
            session, actor_id=alice.id, tenant_id=_home(alice), invitation_id=view.invitation.id
        )
        # Revoking twice changes nothing and writes no second event.
        service.revoke_invitation(
            session, actor_id=alice.id, tenant_id=_home(alice), invitation_id=view.invitation.id
        )
    with (
        database.unit_of_work(user_id=bob.id) as session,
        pytest.raises(RuleViolation, match="withdrawn"),
    ):
        service.accept_invitation(session, user=bob, token=token)
    revoked = [
        e for e in audit_events(database, alice, _home(alice)) if e.action == "invitation.revoked"
    ]
    assert len(revoked) == 1
    assert (revoked[0].old_values, revoked[0].new_values) == (
        {"status": "pending"},
        {"status": "revoked"},
    )


def test_revoking_another_households_invitation_is_not_found(
    database: Database, alice: User, bob: User
) -> None:
    new_token(database, alice, _home(alice))
    with database.unit_of_work(user_id=alice.id) as session:
        [view] = service.list_invitations(session, actor_id=alice.id, tenant_id=_home(alice))
    with database.unit_of_work(user_id=bob.id) as session, pytest.raises(NotFound):
        service.revoke_invitation(
            session, actor_id=bob.id, tenant_id=_home(bob), invitation_id=view.invitation.id
        )


def test_accepting_when_already_a_member_is_a_conflict(
    database: Database, alice: User, bob: User
) -> None:
    invite_and_join(database, owner=alice, tenant_id=_home(alice), user=bob, role=Role.member)
    token = new_token(database, alice, _home(alice))
    with database.unit_of_work(user_id=bob.id) as session, pytest.raises(Conflict):
        service.accept_invitation(session, user=bob, token=token)


def test_an_invitation_for_an_address_is_only_for_that_account(
    database: Database, alice: User, bob: User, person: MakePerson
) -> None:
    token = new_token(database, alice, _home(alice), email="bob@example.com")
    carol = person("Carol")
    with (
        database.unit_of_work(user_id=carol.id) as session,
        pytest.raises(RuleViolation, match=r"bob@example\.com"),
    ):
        service.accept_invitation(session, user=carol, token=token)
    with database.unit_of_work(user_id=bob.id) as session:
        service.accept_invitation(session, user=bob, token=token)


def test_list_members_shows_names_and_roles_owners_first(
    database: Database, alice: User, bob: User
) -> None:
    invite_and_join(database, owner=alice, tenant_id=_home(alice), user=bob, role=Role.viewer)
    with database.unit_of_work(user_id=bob.id) as session:
        members = service.list_members(session, tenant_id=_home(alice))
    assert [(m.name, m.email, m.role) for m in members] == [
        ("Alice", "alice@example.com", Role.owner),
        ("Bob", "bob@example.com", Role.viewer),
    ]


def test_tenant_rows_are_what_the_service_says(database: Database, alice: User) -> None:
    with database.unit_of_work(user_id=alice.id) as session:
        tenant = session.get(Tenant, _home(alice))
    assert tenant is not None
    assert tenant.created_by == alice.id
    assert tenant.details_reviewed_at is None
