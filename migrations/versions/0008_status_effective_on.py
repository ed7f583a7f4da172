"""A status change carries the day it took effect as well as when it was recorded.

Why: the biennial report reads each action's status at the start and the end of its period
from the status changes, and until now a change counted from the moment it was typed in. The
plan's own record of what happened before the tracker ("completed in 2023", "ongoing since
2024") could not be entered, so a report over 2024-2025 said every action was "not yet in the
tracker" at its start, and once published such figures are frozen. ``effective_on`` is the day
a change took effect: the day it was recorded unless an editor records it "as of" an earlier
day. Existing rows took effect when they were recorded, so the column is backfilled from
``at`` (its UTC day) and then made NOT NULL. Downgrading drops the column and with it any
back-dating, which cannot be expressed without it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("status_change", schema=None) as batch_op:
        batch_op.add_column(sa.Column("effective_on", sa.Date(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text("UPDATE status_change SET effective_on = (at AT TIME ZONE 'UTC')::date"))
    else:
        # SQLite keeps the UTC timestamp as text, 'YYYY-MM-DD HH:MM:SS...'.
        op.execute(sa.text("UPDATE status_change SET effective_on = date(at)"))
    with op.batch_alter_table("status_change", schema=None) as batch_op:
        batch_op.alter_column("effective_on", existing_type=sa.Date(), nullable=False)


def downgrade():
    with op.batch_alter_table("status_change", schema=None) as batch_op:
        batch_op.drop_column("effective_on")
