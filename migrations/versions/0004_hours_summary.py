"""Logged hours summed by plan, year, action and person, kept current with every time entry.

Why: the dashboard, the API and the reports sum logged hours by year, action, pillar and person.
Summing every time entry on each request grows with the entries (200,000 in the benchmark); the
summary holds one row per plan, year, action (0 for overall management) and person, updated in the
same transaction as the entries. Existing entries are summed into it here.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "hours_summary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("hours", sa.BigInteger(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_hours_summary_plan_id_plan")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_hours_summary_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hours_summary")),
        sa.UniqueConstraint(
            "plan_id", "year", "action_id", "user_id", name=op.f("uq_hours_summary_plan_id_year_action_id_user_id")
        ),
    )
    entry = sa.table(
        "time_entry",
        sa.column("plan_id", sa.Integer),
        sa.column("action_id", sa.Integer),
        sa.column("user_id", sa.Integer),
        sa.column("spent_on", sa.Date),
        sa.column("hours", sa.BigInteger),
    )
    summary = sa.table(
        "hours_summary",
        *(sa.column(name, sa.Integer) for name in ("plan_id", "year", "action_id", "user_id", "entries")),
        sa.column("hours", sa.BigInteger),
    )
    year = sa.cast(sa.extract("year", entry.c.spent_on), sa.Integer)
    action = sa.func.coalesce(entry.c.action_id, 0)
    op.execute(
        summary.insert().from_select(
            ["plan_id", "year", "action_id", "user_id", "hours", "entries"],
            sa.select(entry.c.plan_id, year, action, entry.c.user_id, sa.func.sum(entry.c.hours), sa.func.count())
            .group_by(entry.c.plan_id, year, action, entry.c.user_id),
        )
    )


def downgrade():
    op.drop_table("hours_summary")
