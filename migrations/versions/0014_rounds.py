"""Plan templates and pillar guidance.

Why: a new plan can start from a template (the ICLEI plan's four pillars, the CIB toolkit's five
sections), each pillar with a short guidance text saying what it is for. The guidance is kept on
the pillar (``pillar.guidance``, empty for the pillars that exist: they had none). The shipped
templates are files in ``seed/templates/``; the ones an organisation's admin uploads are rows of
``plan_template``, that organisation's only, holding the JSON as it was validated.

Revision ID: 0014
Revises: 0011 (until the network migration, 0013, lands)
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0011"
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


def downgrade():
    with op.batch_alter_table("plan_template", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_template_organisation_id"))
    op.drop_table("plan_template")
    with op.batch_alter_table("pillar", schema=None) as batch_op:
        batch_op.drop_column("guidance")
