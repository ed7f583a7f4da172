"""A per-plan data version, ordered by commit, for the cached figures.

Why: the dashboard, its charts and the API's action list were cached under the plan's newest
history id. PostgreSQL hands ids out in the order transactions start writing, not the order
they commit, so a reader could cache figures under id N+1 while the change holding id N was not
yet committed; they stayed wrong until the next write. A counter on the plan, bumped by an
``UPDATE`` in the transaction of every change (the row lock orders writers by commit), cannot
run ahead of a change it counts. Existing plans start from their number of history rows, so
no figure cached under an old key is mistaken for a new one.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("data_version", sa.BigInteger(), server_default="0", nullable=False))
    op.execute(
        "UPDATE plan SET data_version = "
        "(SELECT COUNT(*) FROM history_entry WHERE history_entry.plan_id = plan.id)"
    )


def downgrade():
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_column("data_version")
