"""Ledger: accounts, categories, merchants, tags, transactions with split lines and
tags, FX rates, reconciliations, saved filters and the monthly aggregate; row-level
security on PostgreSQL.

Amounts are BIGINT minor units; rates are exact decimals kept as text (SQLite's
NUMERIC is a float). Uniqueness over a nullable column is two partial unique indexes.
ledger_transaction.import_batch_id gets its foreign key with the imports migration.

Revision ID: 17ace639dfcb
Revises: 80ea36de5322
Create Date: 2026-11-22 03:05:06.375620
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from coffer.db import rls

revision: str = "17ace639dfcb"
down_revision: str | None = "80ea36de5322"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here: later migrations add their own tables to row-level security.
LEDGER_TABLES = (
    "account",
    "category",
    "merchant",
    "tag",
    "ledger_transaction",
    "transaction_split",
    "transaction_tag",
    "fx_rate",
    "reconciliation",
    "saved_filter",
    "account_month",
)


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=24), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("opening_balance_minor", sa.BigInteger(), nullable=False),
        sa.Column("opening_on", sa.Date(), nullable=False),
        sa.Column("institution", sa.String(length=200), nullable=True),
        sa.Column("last_four", sa.String(length=4), nullable=True),
        sa.Column("account_number", sa.Text(), nullable=True),
        sa.Column("credit_limit_minor", sa.BigInteger(), nullable=True),
        sa.Column("interest_rate", sa.String(length=64), nullable=True),
        sa.Column("include_in_budget", sa.Boolean(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "type IN ('checking', 'savings', 'credit_card', 'cash', 'loan', 'mortgage', 'investment', 'retirement', 'property', 'vehicle', 'other_asset', 'other_liability')",
            name=op.f("ck_account_type"),
        ),
        sa.CheckConstraint("length(currency) = 3", name=op.f("ck_account_currency")),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_account_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_account_tenant_id_name")),
    )
    op.create_table(
        "category",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("colour", sa.String(length=7), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("kind IN ('income', 'expense')", name=op.f("ck_category_kind")),
        sa.CheckConstraint(
            "parent_id IS NULL OR parent_id <> id", name=op.f("ck_category_not_own_parent")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["category.id"],
            name=op.f("fk_category_parent_id_category"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_category_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category")),
    )
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.create_index(
            "uq_category_child_name",
            ["tenant_id", "parent_id", "name"],
            unique=True,
            sqlite_where=sa.text("parent_id IS NOT NULL"),
            postgresql_where=sa.text("parent_id IS NOT NULL"),
        )
        batch_op.create_index(
            "uq_category_top_name",
            ["tenant_id", "name"],
            unique=True,
            sqlite_where=sa.text("parent_id IS NULL"),
            postgresql_where=sa.text("parent_id IS NULL"),
        )

    op.create_table(
        "fx_rate",
        sa.Column("rate_on", sa.Date(), nullable=False),
        sa.Column("base", sa.String(length=3), nullable=False),
        sa.Column("quote", sa.String(length=3), nullable=False),
        sa.Column("rate", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("base <> quote", name=op.f("ck_fx_rate_distinct_currencies")),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_fx_rate_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fx_rate")),
        sa.UniqueConstraint(
            "tenant_id",
            "base",
            "quote",
            "rate_on",
            name=op.f("uq_fx_rate_tenant_id_base_quote_rate_on"),
        ),
    )
    op.create_table(
        "merchant",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_merchant_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merchant")),
        sa.UniqueConstraint("tenant_id", "key", name=op.f("uq_merchant_tenant_id_key")),
    )
    op.create_table(
        "saved_filter",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("query", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_saved_filter_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_saved_filter_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_filter")),
        sa.UniqueConstraint(
            "tenant_id", "user_id", "name", name=op.f("uq_saved_filter_tenant_id_user_id_name")
        ),
    )
    op.create_table(
        "tag",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("colour", sa.String(length=7), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_tag_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tag")),
        sa.UniqueConstraint("tenant_id", "key", name=op.f("uq_tag_tenant_id_key")),
    )
    op.create_table(
        "account_month",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("category_id", sa.Uuid(), nullable=True),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_account_month_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["category_id"], ["category.id"], name=op.f("fk_account_month_category_id_category")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_account_month_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_month")),
    )
    with op.batch_alter_table("account_month", schema=None) as batch_op:
        batch_op.create_index(
            "ix_account_month_month", ["tenant_id", "month", "category_id"], unique=False
        )
        batch_op.create_index(
            "uq_account_month_category",
            ["tenant_id", "account_id", "month", "category_id"],
            unique=True,
            sqlite_where=sa.text("category_id IS NOT NULL"),
            postgresql_where=sa.text("category_id IS NOT NULL"),
        )
        batch_op.create_index(
            "uq_account_month_uncategorised",
            ["tenant_id", "account_id", "month"],
            unique=True,
            sqlite_where=sa.text("category_id IS NULL"),
            postgresql_where=sa.text("category_id IS NULL"),
        )

    op.create_table(
        "ledger_transaction",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("payee", sa.String(length=500), nullable=True),
        sa.Column("merchant_id", sa.Uuid(), nullable=True),
        sa.Column("memo", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("category_id", sa.Uuid(), nullable=True),
        sa.Column("is_split", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("transfer_group_id", sa.Uuid(), nullable=True),
        sa.Column("fx_rate", sa.String(length=64), nullable=True),
        sa.Column("import_batch_id", sa.Uuid(), nullable=True),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("fingerprint", sa.String(length=128), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'cleared', 'reconciled')",
            name=op.f("ck_ledger_transaction_status"),
        ),
        sa.CheckConstraint(
            "NOT (is_split AND category_id IS NOT NULL)",
            name=op.f("ck_ledger_transaction_split_uncategorised"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_ledger_transaction_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["category.id"],
            name=op.f("fk_ledger_transaction_category_id_category"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchant.id"],
            name=op.f("fk_ledger_transaction_merchant_id_merchant"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_ledger_transaction_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_transaction")),
    )
    with op.batch_alter_table("ledger_transaction", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_transaction_category",
            ["tenant_id", "category_id", "posted_on"],
            unique=False,
        )
        batch_op.create_index(
            "ix_ledger_transaction_import_batch",
            ["tenant_id", "import_batch_id"],
            unique=False,
            sqlite_where=sa.text("import_batch_id IS NOT NULL"),
            postgresql_where=sa.text("import_batch_id IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_ledger_transaction_merchant", ["tenant_id", "merchant_id"], unique=False
        )
        batch_op.create_index(
            "ix_ledger_transaction_pending",
            ["tenant_id", "account_id", "posted_on"],
            unique=False,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
        batch_op.create_index(
            "ix_ledger_transaction_posted", ["tenant_id", "posted_on", "id"], unique=False
        )
        batch_op.create_index(
            "ix_ledger_transaction_register",
            ["tenant_id", "account_id", "posted_on", "id", "amount_minor"],
            unique=False,
        )
        batch_op.create_index(
            "ix_ledger_transaction_transfer",
            ["tenant_id", "transfer_group_id"],
            unique=False,
            sqlite_where=sa.text("transfer_group_id IS NOT NULL"),
            postgresql_where=sa.text("transfer_group_id IS NOT NULL"),
        )
        batch_op.create_index(
            "uq_ledger_transaction_fingerprint",
            ["tenant_id", "account_id", "fingerprint"],
            unique=True,
            sqlite_where=sa.text("fingerprint IS NOT NULL"),
            postgresql_where=sa.text("fingerprint IS NOT NULL"),
        )

    op.create_table(
        "reconciliation",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("statement_on", sa.Date(), nullable=False),
        sa.Column("statement_balance_minor", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reconciled_count", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "status IN ('in_progress', 'completed')", name=op.f("ck_reconciliation_status")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_reconciliation_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_reconciliation_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation")),
    )
    with op.batch_alter_table("reconciliation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reconciliation_account", ["tenant_id", "account_id", "statement_on"], unique=False
        )
        batch_op.create_index(
            "uq_reconciliation_open",
            ["tenant_id", "account_id"],
            unique=True,
            sqlite_where=sa.text("status = 'in_progress'"),
            postgresql_where=sa.text("status = 'in_progress'"),
        )

    op.create_table(
        "transaction_split",
        sa.Column("transaction_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Uuid(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("memo", sa.String(length=500), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["category.id"],
            name=op.f("fk_transaction_split_category_id_category"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_transaction_split_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transaction.id"],
            name=op.f("fk_transaction_split_transaction_id_ledger_transaction"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transaction_split")),
    )
    with op.batch_alter_table("transaction_split", schema=None) as batch_op:
        batch_op.create_index(
            "ix_transaction_split_category", ["tenant_id", "category_id"], unique=False
        )
        # By transaction alone: the cascade of a deleted transaction looks rows up so.
        batch_op.create_index("ix_transaction_split_transaction", ["transaction_id"], unique=False)

    op.create_table(
        "transaction_tag",
        sa.Column("transaction_id", sa.Uuid(), nullable=False),
        sa.Column("tag_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tag.id"], name=op.f("fk_transaction_tag_tag_id_tag"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_transaction_tag_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transaction.id"],
            name=op.f("fk_transaction_tag_transaction_id_ledger_transaction"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transaction_tag")),
        sa.UniqueConstraint(
            "tenant_id",
            "transaction_id",
            "tag_id",
            name=op.f("uq_transaction_tag_tenant_id_transaction_id_tag_id"),
        ),
    )
    with op.batch_alter_table("transaction_tag", schema=None) as batch_op:
        batch_op.create_index(
            "ix_transaction_tag_tag", ["tenant_id", "tag_id", "transaction_id"], unique=False
        )
        batch_op.create_index("ix_transaction_tag_transaction", ["transaction_id"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        _postgresql_security()


def _postgresql_security() -> None:
    for table in LEDGER_TABLES:
        if table == "saved_filter":
            continue
        for statement in rls.tenant_table_policies(table):
            op.execute(statement)
    # Saved filters are private to the person who saved them, and any member (a viewer
    # or an advisor too) may keep their own.
    for statement in rls.member_table_policies("saved_filter"):
        op.execute(statement)
    me = "coffer_current_user_id()"
    op.execute(
        f"CREATE POLICY saved_filter_own ON saved_filter AS RESTRICTIVE "
        f"USING (user_id = {me}) WITH CHECK (user_id = {me})"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Policies go with their tables.
        op.execute(f"DROP TABLE IF EXISTS {', '.join(reversed(LEDGER_TABLES))} CASCADE")
        return
    with op.batch_alter_table("transaction_tag", schema=None) as batch_op:
        batch_op.drop_index("ix_transaction_tag_tag")

    op.drop_table("transaction_tag")
    with op.batch_alter_table("transaction_split", schema=None) as batch_op:
        batch_op.drop_index("ix_transaction_split_transaction")
        batch_op.drop_index("ix_transaction_split_category")

    op.drop_table("transaction_split")
    with op.batch_alter_table("reconciliation", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_reconciliation_open",
            sqlite_where=sa.text("status = 'in_progress'"),
            postgresql_where=sa.text("status = 'in_progress'"),
        )
        batch_op.drop_index("ix_reconciliation_account")

    op.drop_table("reconciliation")
    with op.batch_alter_table("ledger_transaction", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_ledger_transaction_fingerprint",
            sqlite_where=sa.text("fingerprint IS NOT NULL"),
            postgresql_where=sa.text("fingerprint IS NOT NULL"),
        )
        batch_op.drop_index(
            "ix_ledger_transaction_transfer",
            sqlite_where=sa.text("transfer_group_id IS NOT NULL"),
            postgresql_where=sa.text("transfer_group_id IS NOT NULL"),
        )
        batch_op.drop_index("ix_ledger_transaction_register")
        batch_op.drop_index("ix_ledger_transaction_posted")
        batch_op.drop_index(
            "ix_ledger_transaction_pending",
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
        batch_op.drop_index("ix_ledger_transaction_merchant")
        batch_op.drop_index(
            "ix_ledger_transaction_import_batch",
            sqlite_where=sa.text("import_batch_id IS NOT NULL"),
            postgresql_where=sa.text("import_batch_id IS NOT NULL"),
        )
        batch_op.drop_index("ix_ledger_transaction_category")

    op.drop_table("ledger_transaction")
    with op.batch_alter_table("account_month", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_account_month_uncategorised",
            sqlite_where=sa.text("category_id IS NULL"),
            postgresql_where=sa.text("category_id IS NULL"),
        )
        batch_op.drop_index(
            "uq_account_month_category",
            sqlite_where=sa.text("category_id IS NOT NULL"),
            postgresql_where=sa.text("category_id IS NOT NULL"),
        )
        batch_op.drop_index("ix_account_month_month")

    op.drop_table("account_month")
    op.drop_table("tag")
    op.drop_table("saved_filter")
    op.drop_table("merchant")
    op.drop_table("fx_rate")
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_category_top_name",
            sqlite_where=sa.text("parent_id IS NULL"),
            postgresql_where=sa.text("parent_id IS NULL"),
        )
        batch_op.drop_index(
            "uq_category_child_name",
            sqlite_where=sa.text("parent_id IS NOT NULL"),
            postgresql_where=sa.text("parent_id IS NOT NULL"),
        )

    op.drop_table("category")
    op.drop_table("account")
