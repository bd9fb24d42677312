"""Foundation: users, refresh tokens, tenants, memberships, invitations, audit log,
idempotency records; row-level security on PostgreSQL, an append-only audit log on both.

Revision ID: 80ea36de5322
Revises:
Create Date: 2026-11-22 02:44:55.750965
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from coffer.db import rls

revision: str = "80ea36de5322"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "user_account",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("security_stamp", sa.String(length=64), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("failed_login_count", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("personal_tenant_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("email", name=op.f("uq_user_account_email")),
    )
    op.create_table(
        "refresh_token",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_refresh_token_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_token_token_hash")),
    )
    with op.batch_alter_table("refresh_token", schema=None) as batch_op:
        batch_op.create_index("ix_refresh_token_family", ["family_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_refresh_token_user_id"), ["user_id"], unique=False)

    op.create_table(
        "tenant",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("base_currency", sa.String(length=3), nullable=False),
        sa.Column("locale", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("details_reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('household', 'group')", name=op.f("ck_tenant_kind")),
        sa.CheckConstraint("length(base_currency) = 3", name=op.f("ck_tenant_base_currency")),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user_account.id"],
            name=op.f("fk_tenant_created_by_user_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant")),
    )
    # user_account and tenant refer to each other: this key comes once both exist.
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.create_foreign_key(
            op.f("fk_user_account_personal_tenant_id_tenant"),
            "tenant",
            ["personal_tenant_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "audit_event",
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity_type", sa.String(length=64), nullable=True),
        sa.Column("entity_id", sa.String(length=64), nullable=True),
        sa.Column("old_values", sa.JSON(), nullable=True),
        sa.Column("new_values", sa.JSON(), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user_account.id"], name=op.f("fk_audit_event_actor_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_audit_event_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_event_actor_occurred", ["actor_id", "occurred_at"], unique=False
        )
        batch_op.create_index(
            "ix_audit_event_tenant_occurred", ["tenant_id", "occurred_at"], unique=False
        )

    op.create_table(
        "idempotency_record",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_idempotency_record_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_idempotency_record_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_record")),
        sa.UniqueConstraint(
            "tenant_id", "user_id", "key", name=op.f("uq_idempotency_record_tenant_id_user_id_key")
        ),
    )
    op.create_table(
        "invitation",
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by", sa.Uuid(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_by", sa.Uuid(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "role IN ('owner', 'admin', 'member', 'viewer', 'advisor')",
            name=op.f("ck_invitation_role"),
        ),
        sa.ForeignKeyConstraint(
            ["accepted_by"],
            ["user_account.id"],
            name=op.f("fk_invitation_accepted_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"],
            ["user_account.id"],
            name=op.f("fk_invitation_invited_by_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_invitation_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
        sa.UniqueConstraint(
            "tenant_id", "token_hash", name=op.f("uq_invitation_tenant_id_token_hash")
        ),
    )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.create_index("ix_invitation_token_hash", ["token_hash"], unique=False)

    op.create_table(
        "membership",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "role IN ('owner', 'admin', 'member', 'viewer', 'advisor')",
            name=op.f("ck_membership_role"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_membership_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_membership_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership")),
        sa.UniqueConstraint("tenant_id", "user_id", name=op.f("uq_membership_tenant_id_user_id")),
    )
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.create_index("ix_membership_user_id", ["user_id"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        _postgresql_security()
    else:
        _sqlite_append_only_audit()


def _sqlite_append_only_audit() -> None:
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
            "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
        )


def _postgresql_security() -> None:
    op.execute(rls.FUNCTIONS_SQL)
    for table in ("idempotency_record",):
        for statement in rls.tenant_table_policies(table):
            op.execute(statement)
    me = "coffer_current_user_id()"
    manager = f"coffer_user_role(tenant_id) IN {rls.MANAGER_ROLES}"
    token = "coffer_invitation_token()"
    # Only owners grant, change or take away the owner role: an admin may act on a row
    # (a membership, an invitation) only when its role is not owner, before and after.
    grantor = (
        "(coffer_user_role(tenant_id) = 'owner' "
        "OR (coffer_user_role(tenant_id) = 'admin' AND role <> 'owner'))"
    )

    # Idempotency records are private to the user who made the request.
    op.execute(
        f"CREATE POLICY idempotency_record_own ON idempotency_record AS RESTRICTIVE "
        f"USING (user_id = {me}) WITH CHECK (user_id = {me})"
    )

    statements = [
        *rls.enable("tenant"),
        # A tenant is visible to its members, to its creator (before the first membership
        # exists) and to whoever presents one of its invitation tokens.
        "CREATE POLICY tenant_select ON tenant FOR SELECT USING ("
        "id IN (SELECT coffer_user_tenant_ids()) OR "
        "(created_by = " + me + " AND NOT coffer_tenant_has_members(id)) OR "
        "id IN (SELECT i.tenant_id FROM invitation i WHERE i.token_hash = " + token + "))",
        f"CREATE POLICY tenant_insert ON tenant FOR INSERT WITH CHECK (created_by = {me})",
        f"CREATE POLICY tenant_update ON tenant FOR UPDATE "
        f"USING (coffer_user_role(id) IN {rls.MANAGER_ROLES}) "
        f"WITH CHECK (coffer_user_role(id) IN {rls.MANAGER_ROLES})",
        "CREATE POLICY tenant_delete ON tenant FOR DELETE USING (coffer_user_role(id) = 'owner')",
        *rls.enable("membership"),
        "CREATE POLICY membership_select ON membership FOR SELECT "
        "USING (tenant_id IN (SELECT coffer_user_tenant_ids()))",
        # Owners grant any role, admins any but owner; a creator makes themself the first
        # owner; an invitee joins with the role of an invitation whose token they hold.
        "CREATE POLICY membership_insert ON membership FOR INSERT WITH CHECK ("
        "coffer_user_role(tenant_id) = 'owner' "
        "OR (coffer_user_role(tenant_id) = 'admin' AND role <> 'owner') "
        f"OR (user_id = {me} AND role = 'owner' AND NOT coffer_tenant_has_members(tenant_id) "
        f"    AND tenant_id IN (SELECT t.id FROM tenant t WHERE t.created_by = {me})) "
        f"OR (user_id = {me} AND EXISTS (SELECT 1 FROM invitation i "
        "    WHERE i.tenant_id = membership.tenant_id AND i.role = membership.role "
        f"    AND i.token_hash = {token} AND i.accepted_at IS NULL "
        "    AND i.revoked_at IS NULL AND i.expires_at > now())))",
        f"CREATE POLICY membership_update ON membership FOR UPDATE "
        f"USING {grantor} WITH CHECK {grantor}",
        f"CREATE POLICY membership_delete ON membership FOR DELETE USING ({grantor} OR user_id = {me})",
        *rls.enable("invitation"),
        f"CREATE POLICY invitation_select ON invitation FOR SELECT USING ({manager} OR token_hash = {token})",
        f"CREATE POLICY invitation_insert ON invitation FOR INSERT WITH CHECK {grantor}",
        # The holder of a token may only accept a usable invitation, as themself; any
        # other change (role, expiry, un-revoking) is for owners, and admins below owner.
        f"CREATE POLICY invitation_update ON invitation FOR UPDATE "
        f"USING ({grantor} OR (token_hash = {token} AND accepted_at IS NULL "
        "    AND revoked_at IS NULL AND expires_at > now())) "
        f"WITH CHECK ({grantor} OR (token_hash = {token} AND accepted_by = {me} "
        "    AND accepted_at IS NOT NULL))",
        f"CREATE POLICY invitation_delete ON invitation FOR DELETE USING ({manager})",
        *rls.enable("audit_event"),
        # Owners and admins read their tenant's log; everyone reads their own personal
        # events. Anyone may append to a tenant they belong to, or a personal event of
        # their own (or, before sign-in, an anonymous one), always as themself or as no
        # one (system actions): nobody can write in another user's name. No UPDATE or
        # DELETE policy.
        "CREATE POLICY audit_event_select ON audit_event FOR SELECT USING ("
        f"(tenant_id IS NOT NULL AND {manager}) OR (tenant_id IS NULL AND actor_id = {me}))",
        "CREATE POLICY audit_event_insert ON audit_event FOR INSERT WITH CHECK ("
        "(tenant_id IS NOT NULL AND tenant_id IN (SELECT coffer_user_tenant_ids()) "
        f"  AND (actor_id = {me} OR actor_id IS NULL)) OR "
        f"(tenant_id IS NULL AND (actor_id = {me} OR actor_id IS NULL)))",
    ]
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP TABLE IF EXISTS membership, invitation, idempotency_record, audit_event, refresh_token CASCADE"
        )
        op.execute("DROP TABLE IF EXISTS tenant, user_account CASCADE")
        op.execute(
            "DROP FUNCTION IF EXISTS coffer_user_tenant_ids, coffer_writer_tenant_ids, coffer_user_role, coffer_tenant_has_members, coffer_invitation_token, coffer_current_user_id"
        )
        return
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_index("ix_membership_user_id")

    op.drop_table("membership")
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_index("ix_invitation_token_hash")

    op.drop_table("invitation")
    op.drop_table("idempotency_record")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_tenant_occurred")
        batch_op.drop_index("ix_audit_event_actor_occurred")

    op.drop_table("audit_event")
    op.drop_table("tenant")
    with op.batch_alter_table("refresh_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refresh_token_user_id"))
        batch_op.drop_index("ix_refresh_token_family")

    op.drop_table("refresh_token")
    op.drop_table("user_account")
