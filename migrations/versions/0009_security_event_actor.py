"""The security log records who acted, beside the account an event is about.

Why: an admin deactivating someone, changing a role, resetting a password or two-step sign-in,
creating or revoking a token, or opening a report's public link was logged against the affected
account only; the admin who did it was at best a number in the detail text. ASVS V16 asks the
log to say who did what: a new nullable ``actor_id`` (the signed-in person, a user account) is
filled from now on. Older events keep it empty: who acted then was not recorded.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("security_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_security_event_actor_id_user_account"), "user_account", ["actor_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("security_event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_security_event_actor_id_user_account"), type_="foreignkey")
        batch_op.drop_column("actor_id")
