"""Logged hours summed by action and by person, per plan and year, kept current with every entry.

Why: the dashboard, the API and the reports sum logged hours by year, action, pillar and person.
Summing every time entry on each request grows with the entries (200,000 in the benchmark). Two
narrow summaries stay small whatever the number of entries: by action (at most actions x years
rows; action 0 is overall management) and by person (at most people x years x 2). They are
updated in the same transaction as the entries. Existing entries are summed into them here.

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
        "action_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("hours", sa.BigInteger(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_action_hours_plan_id_plan")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_hours")),
        sa.UniqueConstraint(
            "plan_id", "year", "action_id", name=op.f("uq_action_hours_plan_id_year_action_id")
        ),
    )
    op.create_table(
        "person_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("management", sa.Boolean(), nullable=False),
        sa.Column("hours", sa.BigInteger(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_person_hours_plan_id_plan")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_person_hours_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_hours")),
        sa.UniqueConstraint(
            "plan_id",
            "year",
            "user_id",
            "management",
            name=op.f("uq_person_hours_plan_id_year_user_id_management"),
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
    year = sa.cast(sa.extract("year", entry.c.spent_on), sa.Integer)
    action = sa.func.coalesce(entry.c.action_id, 0)
    management = entry.c.action_id.is_(None)
    action_hours = sa.table(
        "action_hours", *(sa.column(n) for n in ("plan_id", "year", "action_id", "hours", "entries"))
    )
    person_hours = sa.table(
        "person_hours",
        *(sa.column(n) for n in ("plan_id", "year", "user_id", "management", "hours", "entries")),
    )
    op.execute(
        action_hours.insert().from_select(
            ["plan_id", "year", "action_id", "hours", "entries"],
            sa.select(entry.c.plan_id, year, action, sa.func.sum(entry.c.hours), sa.func.count()).group_by(
                entry.c.plan_id, year, action
            ),
        )
    )
    op.execute(
        person_hours.insert().from_select(
            ["plan_id", "year", "user_id", "management", "hours", "entries"],
            sa.select(
                entry.c.plan_id,
                year,
                entry.c.user_id,
                management,
                sa.func.sum(entry.c.hours),
                sa.func.count(),
            ).group_by(entry.c.plan_id, year, entry.c.user_id, management),
        )
    )


def downgrade():
    op.drop_table("person_hours")
    op.drop_table("action_hours")
