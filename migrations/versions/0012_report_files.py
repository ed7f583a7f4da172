"""Frozen report files in the database, when REPORT_STORAGE=database.

Why: a published report's files lived only on the disk of the server that published it, so a
second server (or a database moved to another host) answered 503 for every report. With
``REPORT_STORAGE=database`` the bytes are rows of this table, written in the transaction that
publishes the report and checked against the assessment's recorded checksums on every read. A
new table: nothing to backfill (``flask --app tracker reports move --to database`` copies
reports published as files).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "report_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"], ["assessment.id"], name=op.f("fk_report_file_assessment_id_assessment")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_file")),
        sa.UniqueConstraint("assessment_id", "name", name=op.f("uq_report_file_assessment_id_name")),
    )


def downgrade():
    op.drop_table("report_file")
