"""Imports and jobs: import batches (uploads), saved CSV formats, category rules,
merchant aliases, the learned categoriser's state and its marks on transactions, and
background jobs; row-level security on PostgreSQL for every one of them.

ledger_transaction.import_batch_id gets no foreign key: rewriting SQLite's largest table
to add one would cost every existing installation a long migration, and on PostgreSQL
the check would add a lookup to every imported row, while no code deletes a batch (only
the tenant, which takes its transactions with it).

Revision ID: c0ffee1a2b3c
Revises: 17ace639dfcb
Create Date: 2026-11-22 03:27:35.224497
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from coffer.db import rls

revision: str = "c0ffee1a2b3c"
down_revision: str | None = "17ace639dfcb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here: later migrations add their own tables to row-level security.
IMPORT_TABLES = (
    "categoriser_state",
    "import_format",
    "job",
    "rule",
    "import_batch",
    "merchant_alias",
    "category_suggestion",
)


def upgrade() -> None:
    op.create_table(
        "categoriser_state",
        sa.Column("model", sa.JSON(), nullable=False),
        sa.Column("examples", sa.Integer(), nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_categoriser_state_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categoriser_state")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_categoriser_state_tenant_id")),
    )
    op.create_table(
        "import_format",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_import_format_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_format")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_import_format_tenant_id_name")),
    )
    op.create_table(
        "job",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=True),
        sa.Column("done", sa.BigInteger(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed')", name=op.f("ck_job_status")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user_account.id"],
            name=op.f("fk_job_created_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_job_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
    )
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.create_index("ix_job_tenant_created", ["tenant_id", "created_at"], unique=False)

    op.create_table(
        "rule",
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("stop_processing", sa.Boolean(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_rule_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule")),
    )
    with op.batch_alter_table("rule", schema=None) as batch_op:
        batch_op.create_index("ix_rule_position", ["tenant_id", "position"], unique=False)

    op.create_table(
        "import_batch",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("preset", sa.String(length=32), nullable=True),
        sa.Column("mapping", sa.JSON(), nullable=True),
        sa.Column("date_order", sa.String(length=3), nullable=True),
        sa.Column("stored_path", sa.String(length=500), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("parsed_count", sa.Integer(), nullable=False),
        sa.Column("added_count", sa.Integer(), nullable=False),
        sa.Column("duplicate_count", sa.Integer(), nullable=False),
        sa.Column("fuzzy_count", sa.Integer(), nullable=False),
        sa.Column("skipped_count", sa.Integer(), nullable=False),
        sa.Column("suggested_count", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("last_error", sa.JSON(), nullable=True),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "status IN ('uploaded', 'queued', 'committed', 'undoing', 'undone')",
            name=op.f("ck_import_batch_status"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_import_batch_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user_account.id"],
            name=op.f("fk_import_batch_created_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["job.id"], name=op.f("fk_import_batch_job_id_job"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_import_batch_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batch")),
    )
    with op.batch_alter_table("import_batch", schema=None) as batch_op:
        batch_op.create_index(
            "ix_import_batch_account", ["tenant_id", "account_id", "sha256"], unique=False
        )
        batch_op.create_index(
            "ix_import_batch_tenant_created", ["tenant_id", "created_at"], unique=False
        )

    op.create_table(
        "merchant_alias",
        sa.Column("pattern", sa.String(length=200), nullable=False),
        sa.Column("match", sa.String(length=8), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "match IN ('exact', 'contains', 'regex')", name=op.f("ck_merchant_alias_match")
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchant.id"],
            name=op.f("fk_merchant_alias_merchant_id_merchant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_merchant_alias_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merchant_alias")),
        sa.UniqueConstraint(
            "tenant_id", "match", "pattern", name=op.f("uq_merchant_alias_tenant_id_match_pattern")
        ),
    )
    op.create_table(
        "category_suggestion",
        sa.Column("transaction_id", sa.Uuid(), nullable=False),
        sa.Column("import_batch_id", sa.Uuid(), nullable=False),
        sa.Column("category_id", sa.Uuid(), nullable=False),
        sa.Column("confidence_bp", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["category.id"],
            name=op.f("fk_category_suggestion_category_id_category"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["import_batch_id"],
            ["import_batch.id"],
            name=op.f("fk_category_suggestion_import_batch_id_import_batch"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_category_suggestion_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transaction.id"],
            name=op.f("fk_category_suggestion_transaction_id_ledger_transaction"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category_suggestion")),
        sa.UniqueConstraint(
            "tenant_id",
            "transaction_id",
            name=op.f("uq_category_suggestion_tenant_id_transaction_id"),
        ),
    )
    with op.batch_alter_table("category_suggestion", schema=None) as batch_op:
        batch_op.create_index(
            "ix_category_suggestion_batch", ["tenant_id", "import_batch_id"], unique=False
        )
        batch_op.create_index(
            "ix_category_suggestion_transaction", ["transaction_id"], unique=False
        )

    if op.get_bind().dialect.name == "postgresql":
        for table in IMPORT_TABLES:
            for statement in rls.tenant_table_policies(table):
                op.execute(statement)
        # Whoever started a job may always record how it ended, even after losing the
        # right to write (a job refused for that reason must still say so).
        me = "coffer_current_user_id()"
        op.execute(
            "CREATE POLICY job_update_own ON job FOR UPDATE "
            f"USING (created_by = {me} AND tenant_id IN (SELECT coffer_user_tenant_ids())) "
            f"WITH CHECK (created_by = {me} AND tenant_id IN (SELECT coffer_user_tenant_ids()))"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Policies go with their tables.
        op.execute(f"DROP TABLE IF EXISTS {', '.join(reversed(IMPORT_TABLES))} CASCADE")
        return
    with op.batch_alter_table("category_suggestion", schema=None) as batch_op:
        batch_op.drop_index("ix_category_suggestion_transaction")
        batch_op.drop_index("ix_category_suggestion_batch")

    op.drop_table("category_suggestion")
    op.drop_table("merchant_alias")
    with op.batch_alter_table("import_batch", schema=None) as batch_op:
        batch_op.drop_index("ix_import_batch_tenant_created")
        batch_op.drop_index("ix_import_batch_account")

    op.drop_table("import_batch")
    with op.batch_alter_table("rule", schema=None) as batch_op:
        batch_op.drop_index("ix_rule_position")

    op.drop_table("rule")
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_index("ix_job_tenant_created")

    op.drop_table("job")
    op.drop_table("import_format")
    op.drop_table("categoriser_state")
