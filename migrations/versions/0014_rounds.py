"""Reporting rounds with their frozen submissions; plan templates and pillar guidance.

Why: a network's coordinator runs reporting rounds (``reporting_round``: title, year, due date,
closed or not; one title per network). Each member submits one plan to a round
(``round_submission``, unique per round and organisation, so a second submission is refused
even when two arrive at once): the plan's figures (JSON) and workbook (.xlsx) as they were that
day, stored in the row in the transaction that records the submission, each with its SHA-256
checksum, checked on every read. Nothing in a submission is ever updated.

A new plan can start from a template (the ICLEI plan's four pillars, the CIB toolkit's five
sections), each pillar with a short guidance text saying what it is for. The guidance is kept on
the pillar (``pillar.guidance``, empty for the pillars that exist: they had none). The shipped
templates are files in ``seed/templates/``; the ones an organisation's admin uploads are rows of
``plan_template``, that organisation's only, holding the JSON as it was validated.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("pillar", schema=None) as batch_op:
        batch_op.add_column(sa.Column("guidance", sa.Text(), server_default="", nullable=False))

    op.create_table(
        "plan_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_plan_template_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["user_account.id"], name=op.f("fk_plan_template_uploaded_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_template")),
        sa.UniqueConstraint("organisation_id", "name", name=op.f("uq_plan_template_organisation_id_name")),
    )
    with op.batch_alter_table("plan_template", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_template_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "reporting_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_id"], ["network.id"], name=op.f("fk_reporting_round_network_id_network")
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_id"], ["user_account.id"], name=op.f("fk_reporting_round_opened_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reporting_round")),
        sa.UniqueConstraint("network_id", "title", name=op.f("uq_reporting_round_network_id_title")),
    )
    with op.batch_alter_table("reporting_round", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reporting_round_network_id"), ["network_id"], unique=False)

    op.create_table(
        "round_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("submitted_by_id", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("plan_title", sa.String(length=300), nullable=False),
        sa.Column("figures", sa.LargeBinary(), nullable=False),
        sa.Column("figures_sha256", sa.String(length=64), nullable=False),
        sa.Column("workbook", sa.LargeBinary(), nullable=False),
        sa.Column("workbook_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_round_submission_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_round_submission_plan_id_plan")),
        sa.ForeignKeyConstraint(
            ["round_id"], ["reporting_round.id"], name=op.f("fk_round_submission_round_id_reporting_round")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["user_account.id"],
            name=op.f("fk_round_submission_submitted_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_submission")),
        sa.UniqueConstraint(
            "round_id", "organisation_id", name=op.f("uq_round_submission_round_id_organisation_id")
        ),
    )
    with op.batch_alter_table("round_submission", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_round_submission_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_round_submission_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_round_submission_round_id"), ["round_id"], unique=False)


def downgrade():
    with op.batch_alter_table("round_submission", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_round_submission_round_id"))
        batch_op.drop_index(batch_op.f("ix_round_submission_plan_id"))
        batch_op.drop_index(batch_op.f("ix_round_submission_organisation_id"))
    op.drop_table("round_submission")
    with op.batch_alter_table("reporting_round", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reporting_round_network_id"))
    op.drop_table("reporting_round")
    with op.batch_alter_table("plan_template", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_template_organisation_id"))
    op.drop_table("plan_template")
    with op.batch_alter_table("pillar", schema=None) as batch_op:
        batch_op.drop_column("guidance")
