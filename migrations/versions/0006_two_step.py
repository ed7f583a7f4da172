"""Two-step sign-in: each person's authenticator secret, and three more security event kinds.

Why: ASVS level 2 asks for more than a password to sign in (V6.3.3). A person's authenticator
secret (base32, RFC 6238), sealed with Fernet under a key kept outside the database (about
140 characters, hence 255), and the time step of the last accepted code (so that a code is
accepted once) live on the user. Enrolling, an admin's reset and an admin confirming who they
are before changing accounts are recorded as security events, so the kind's check constraint
grows by three values. Existing users keep signing in as before until two-step sign-in is
required (MFA_REQUIRED, on in production), when they set it up at their next sign-in.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

KINDS = [
    "signin_succeeded",
    "signin_failed",
    "signin_throttled",
    "signed_out",
    "session_expired",
    "user_created",
    "role_changed",
    "user_deactivated",
    "user_reactivated",
    "password_reset",
    "password_changed",
    "token_created",
    "token_revoked",
    "forbidden",
]
NEW_KINDS = ["two_step_enabled", "two_step_reset", "confirmed"]
CHECK = "ck_security_event_security_event_kind"


def _kinds_check(kinds: list[str]) -> str:
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


def upgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("security_event", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(CHECK), type_="check")
        batch_op.create_check_constraint(op.f(CHECK), _kinds_check(KINDS + NEW_KINDS))


def downgrade():
    op.execute(
        sa.text("DELETE FROM security_event WHERE kind IN (" + ", ".join(f"'{k}'" for k in NEW_KINDS) + ")")
    )
    with op.batch_alter_table("security_event", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(CHECK), type_="check")
        batch_op.create_check_constraint(op.f(CHECK), _kinds_check(KINDS))
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_secret")
