"""Row-level security on PostgreSQL: the SQL the migrations apply.

Who may see a row is decided by membership: `coffer_user_tenant_ids()` lists the
tenants of the user named by `app.user_id`, `coffer_writer_tenant_ids()` those where
that user may write (owner, admin, member), and `coffer_user_role(t)` gives that user's
role in tenant t. All are SECURITY DEFINER functions owned by the migration role
(which has BYPASSRLS), so policies on `membership` can consult `membership` without
recursing. The context is read with NULLIF(..., ''): after a transaction ends
current_setting() returns '' rather than NULL, and no context must mean no rows.

Policies test `tenant_id IN (SELECT coffer_..._tenant_ids())` rather than calling a
function with the row's tenant: PostgreSQL runs the uncorrelated subquery once per
statement and probes its hashed result per row, where a function of the row's column
runs (a SECURITY DEFINER call, ~14 µs) for every row, which is most of a bulk insert's
cost (docs/performance.md, "Import throughput").

These helpers are called from migrations; a migration that has shipped keeps calling
them with the same arguments, so change their output only together with a new
migration that re-applies it.
"""

from __future__ import annotations

WRITER_ROLES = "('owner', 'admin', 'member')"
MANAGER_ROLES = "('owner', 'admin')"

FUNCTIONS_SQL = """
CREATE OR REPLACE FUNCTION coffer_current_user_id() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('app.user_id', true), '')::uuid $$;

CREATE OR REPLACE FUNCTION coffer_invitation_token() RETURNS text
    LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('app.invitation_token', true), '') $$;

CREATE OR REPLACE FUNCTION coffer_user_tenant_ids() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT tenant_id FROM membership WHERE user_id = coffer_current_user_id() $$;

CREATE OR REPLACE FUNCTION coffer_writer_tenant_ids() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT tenant_id FROM membership
          WHERE user_id = coffer_current_user_id() AND role IN ('owner', 'admin', 'member') $$;

CREATE OR REPLACE FUNCTION coffer_user_role(tid uuid) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT role FROM membership
          WHERE tenant_id = tid AND user_id = coffer_current_user_id() $$;

CREATE OR REPLACE FUNCTION coffer_tenant_has_members(tid uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT EXISTS (SELECT 1 FROM membership WHERE tenant_id = tid) $$;
"""
# coffer_writer_tenant_ids() spells out WRITER_ROLES.
assert f"role IN {WRITER_ROLES} $$" in FUNCTIONS_SQL


def enable(table: str) -> list[str]:
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
    ]


def tenant_table_policies(table: str) -> list[str]:
    """The standard policies: members read, writers (owner, admin, member) write.

    Every policy that admits a write has a WITH CHECK, so an UPDATE cannot move a row
    into a tenant the user may not write. Both tests are uncorrelated subqueries, so
    they are evaluated once per statement, not once per row.
    """
    member = "tenant_id IN (SELECT coffer_user_tenant_ids())"
    writer = "tenant_id IN (SELECT coffer_writer_tenant_ids())"
    return [
        *enable(table),
        f"CREATE POLICY {table}_select ON {table} FOR SELECT USING ({member})",
        f"CREATE POLICY {table}_insert ON {table} FOR INSERT WITH CHECK ({writer})",
        f"CREATE POLICY {table}_update ON {table} FOR UPDATE "
        f"USING ({writer}) WITH CHECK ({writer})",
        f"CREATE POLICY {table}_delete ON {table} FOR DELETE USING ({writer})",
    ]


def member_table_policies(table: str) -> list[str]:
    """Every member reads and writes: for rows that belong to one person rather than to
    the household (a viewer's own saved searches), which a further restrictive policy
    keeps to that person."""
    member = "tenant_id IN (SELECT coffer_user_tenant_ids())"
    return [
        *enable(table),
        f"CREATE POLICY {table}_member ON {table} USING ({member}) WITH CHECK ({member})",
    ]


def grant_sql(app_role: str) -> list[str]:
    """Privileges of the application role: data access, never ownership."""
    role = quote_ident(app_role)
    return [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {role}",
        # The audit log is append-only, for the application at least.
        f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM {role}",
    ]


def quote_ident(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"unexpected role name {name!r}")
    return f'"{name}"'
