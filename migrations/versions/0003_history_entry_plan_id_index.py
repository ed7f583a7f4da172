"""An index to find a plan's newest history row at once.

Why: the dashboard and its charts are cached under the plan's data version, which is the id of
the plan's newest history row. Every dashboard view reads it; with millions of history rows,
``max(id) WHERE plan_id = ?`` must be one index lookup, not a scan of the plan's rows.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("history_entry", schema=None) as batch_op:
        batch_op.create_index("ix_history_entry_plan_id_id", ["plan_id", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("history_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_history_entry_plan_id_id")
