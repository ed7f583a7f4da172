"""The language a person reads: their own choice, and their organisation's default.

Why: the interface is in English, French and Spanish. A person chooses their language on their
account page (``user_account.language``); without a choice, their browser's Accept-Language decides,
else their organisation's default (``organisation.language``), else English. Both are empty for
the rows that exist: nobody has chosen yet.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("language", sa.String(16), nullable=True))
    with op.batch_alter_table("organisation") as batch:
        batch.add_column(sa.Column("language", sa.String(16), nullable=True))


def downgrade():
    with op.batch_alter_table("organisation") as batch:
        batch.drop_column("language")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("language")
