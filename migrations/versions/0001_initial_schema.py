"""Initial schema: the whole domain of the product brief.

Why: the tracker holds organisations, their users and API tokens, plans with ordered pillars and
actions (timeline, cadence, status, budgets), recurring occurrences, yearly allocation lines, time
entries, and the history that records every change and every status change with its note.

Hours and money are whole hundredths in BIGINT columns (exact sums on SQLite and PostgreSQL);
enums are text with CHECK constraints (the same on both backends); every record people edit has a
``version`` column for optimistic locking.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=100), nullable=False),
        sa.Column(
            "region",
            sa.Enum(
                "Latin America",
                "West and Central Africa",
                "East and Southern Africa",
                "North Africa and Middle East",
                "Asia Pacific",
                "North America & Europe",
                name="region",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation")),
        sa.UniqueConstraint("name", name=op.f("uq_organisation_name")),
    )
    op.create_table(
        "plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("start_year", sa.Integer(), nullable=False),
        sa.Column("end_year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("end_year >= start_year", name=op.f("ck_plan_period")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisation.id"], name=op.f("fk_plan_organisation_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan")),
        sa.UniqueConstraint("organisation_id", "title", name=op.f("uq_plan_organisation_id_title")),
        sa.UniqueConstraint("uid", name=op.f("uq_plan_uid")),
    )
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum("admin", "editor", "viewer", name="role", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("session_nonce", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_user_account_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("email", name=op.f("uq_user_account_email")),
    )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_user_account_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "allocation_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "management",
                "implementation",
                name="allocation_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("hours", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("hours >= 0", name=op.f("ck_allocation_line_hours")),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_allocation_line_plan_id_plan")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation_line")),
        sa.UniqueConstraint("plan_id", "year", "name", name=op.f("uq_allocation_line_plan_id_year_name")),
    )
    with op.batch_alter_table("allocation_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_allocation_line_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_api_token_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_user_id"), ["user_id"], unique=False)

    op.create_table(
        "history_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("entity", sa.String(length=50), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "created", "updated", "deleted", name="change_kind", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("field", sa.String(length=100), nullable=True),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_history_entry_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_history_entry_plan_id_plan")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_history_entry_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history_entry")),
    )
    with op.batch_alter_table("history_entry", schema=None) as batch_op:
        batch_op.create_index("ix_history_entry_plan_at", ["plan_id", "at"], unique=False)
        batch_op.create_index("ix_history_entry_record", ["entity", "entity_id", "at"], unique=False)

    op.create_table(
        "pillar",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_pillar_plan_id_plan")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pillar")),
        sa.UniqueConstraint("plan_id", "name", name=op.f("uq_pillar_plan_id_name")),
    )
    with op.batch_alter_table("pillar", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pillar_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("pillar_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("objectives", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "completed", "ongoing", "upcoming", name="status", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("start_year", sa.Integer(), nullable=False),
        sa.Column("end_year", sa.Integer(), nullable=True),
        sa.Column(
            "cadence",
            sa.Enum(
                "once",
                "ongoing",
                "yearly",
                "every two years",
                name="cadence",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("timeline_text", sa.String(length=300), nullable=False),
        sa.Column("resources_text", sa.Text(), nullable=False),
        sa.Column("resources_amount", sa.BigInteger(), nullable=True),
        sa.Column("resources_currency", sa.String(length=3), nullable=True),
        sa.Column("responsible", sa.Text(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(resources_amount IS NULL) = (resources_currency IS NULL)", name=op.f("ck_action_money")
        ),
        sa.CheckConstraint("end_year IS NULL OR end_year >= start_year", name=op.f("ck_action_timeline")),
        sa.ForeignKeyConstraint(["pillar_id"], ["pillar.id"], name=op.f("fk_action_pillar_id_pillar")),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_action_plan_id_plan")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action")),
        sa.UniqueConstraint("plan_id", "code", name=op.f("uq_action_plan_id_code")),
    )
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_pillar_id"), ["pillar_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_action_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "occurrence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["action_id"], ["action.id"], name=op.f("fk_occurrence_action_id_action")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_occurrence")),
        sa.UniqueConstraint("action_id", "year", name=op.f("uq_occurrence_action_id_year")),
    )
    with op.batch_alter_table("occurrence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_occurrence_action_id"), ["action_id"], unique=False)

    op.create_table(
        "planned_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("hours", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("hours >= 0", name=op.f("ck_planned_hours_hours")),
        sa.ForeignKeyConstraint(["action_id"], ["action.id"], name=op.f("fk_planned_hours_action_id_action")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planned_hours")),
        sa.UniqueConstraint("action_id", "year", name=op.f("uq_planned_hours_action_id_year")),
    )
    with op.batch_alter_table("planned_hours", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_planned_hours_action_id"), ["action_id"], unique=False)

    op.create_table(
        "status_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column(
            "from_status",
            sa.Enum(
                "completed",
                "ongoing",
                "upcoming",
                name="from_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "completed",
                "ongoing",
                "upcoming",
                name="to_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["action_id"], ["action.id"], name=op.f("fk_status_change_action_id_action")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_status_change_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_change")),
    )
    with op.batch_alter_table("status_change", schema=None) as batch_op:
        batch_op.create_index("ix_status_change_action_at", ["action_id", "at"], unique=False)

    op.create_table(
        "time_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("spent_on", sa.Date(), nullable=False),
        sa.Column("hours", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("hours > 0", name=op.f("ck_time_entry_hours")),
        sa.ForeignKeyConstraint(["action_id"], ["action.id"], name=op.f("fk_time_entry_action_id_action")),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_time_entry_plan_id_plan")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_time_entry_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_entry")),
    )
    with op.batch_alter_table("time_entry", schema=None) as batch_op:
        batch_op.create_index("ix_time_entry_action_spent_on", ["action_id", "spent_on"], unique=False)
        batch_op.create_index("ix_time_entry_plan_spent_on", ["plan_id", "spent_on"], unique=False)
        batch_op.create_index("ix_time_entry_user_spent_on", ["user_id", "spent_on"], unique=False)


def downgrade():
    with op.batch_alter_table("time_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_time_entry_user_spent_on")
        batch_op.drop_index("ix_time_entry_plan_spent_on")
        batch_op.drop_index("ix_time_entry_action_spent_on")

    op.drop_table("time_entry")
    with op.batch_alter_table("status_change", schema=None) as batch_op:
        batch_op.drop_index("ix_status_change_action_at")

    op.drop_table("status_change")
    with op.batch_alter_table("planned_hours", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_planned_hours_action_id"))

    op.drop_table("planned_hours")
    with op.batch_alter_table("occurrence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_occurrence_action_id"))

    op.drop_table("occurrence")
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_plan_id"))
        batch_op.drop_index(batch_op.f("ix_action_pillar_id"))

    op.drop_table("action")
    with op.batch_alter_table("pillar", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pillar_plan_id"))

    op.drop_table("pillar")
    with op.batch_alter_table("history_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_history_entry_record")
        batch_op.drop_index("ix_history_entry_plan_at")

    op.drop_table("history_entry")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_user_id"))

    op.drop_table("api_token")
    with op.batch_alter_table("allocation_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allocation_line_plan_id"))

    op.drop_table("allocation_line")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_account_organisation_id"))

    op.drop_table("user_account")
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_organisation_id"))

    op.drop_table("plan")
    op.drop_table("organisation")
