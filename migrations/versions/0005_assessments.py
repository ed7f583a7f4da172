"""Biennial assessments of a plan and the staff survey's indicators.

Why: actions 3.4.1 and 3.4.2 call for a staff survey and an assessment report every two years,
published for transparency. An assessment holds what people write (period, survey summary,
achievements, areas for improvement, next steps); the figures come from the history. Publishing
freezes the figures and the workbook as files under REPORTS_DIR, and the row keeps where they lie
and their SHA-256 checksums, so that a published report can be shown to be unchanged. A public
report opens without signing in at a link whose secret part is ``public_token``; the check
constraint keeps drafts from ever being public. Indicators keep ``plan_id`` beside
``assessment_id`` so that their history rows belong to the plan like every other record's.
New tables only: nothing existing changes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("respondents", sa.Integer(), nullable=True),
        sa.Column("response_rate", sa.BigInteger(), nullable=True),
        sa.Column("achievements", sa.Text(), nullable=False),
        sa.Column("improvements", sa.Text(), nullable=False),
        sa.Column("next_steps", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("report_dir", sa.String(length=200), nullable=True),
        sa.Column("figures_sha256", sa.String(length=64), nullable=True),
        sa.Column("workbook_sha256", sa.String(length=64), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("public_token", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_assessment_period")),
        sa.CheckConstraint(
            "public = false OR published_at IS NOT NULL", name=op.f("ck_assessment_public_when_published")
        ),
        sa.CheckConstraint("respondents IS NULL OR respondents >= 0", name=op.f("ck_assessment_respondents")),
        sa.CheckConstraint(
            "response_rate IS NULL OR (response_rate >= 0 AND response_rate <= 10000)",
            name=op.f("ck_assessment_response_rate"),
        ),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_assessment_plan_id_plan")),
        sa.ForeignKeyConstraint(
            ["published_by_id"], ["user_account.id"], name=op.f("fk_assessment_published_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment")),
        sa.UniqueConstraint("public_token", name=op.f("uq_assessment_public_token")),
    )
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessment_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "survey_indicator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("previous", sa.BigInteger(), nullable=True),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"], ["assessment.id"], name=op.f("fk_survey_indicator_assessment_id_assessment")
        ),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_survey_indicator_plan_id_plan")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_indicator")),
        sa.UniqueConstraint("assessment_id", "name", name=op.f("uq_survey_indicator_assessment_id_name")),
    )
    with op.batch_alter_table("survey_indicator", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_indicator_assessment_id"), ["assessment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_survey_indicator_plan_id"), ["plan_id"], unique=False)


def downgrade():
    with op.batch_alter_table("survey_indicator", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_indicator_plan_id"))
        batch_op.drop_index(batch_op.f("ix_survey_indicator_assessment_id"))

    op.drop_table("survey_indicator")
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_plan_id"))

    op.drop_table("assessment")
