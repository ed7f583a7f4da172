"""Opening and closing a report's public link are security events.

Why: making a published assessment public lets anyone with the link read it without signing
in; that is a change of who may read the organisation's data, which ASVS V16 asks to be
logged with who did it and when, next to role changes and tokens. The history already records
the column change, but an admin reviewing the security log must see it there too. The kind's
check constraint grows by two values; no table changes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
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
    "two_step_enabled",
    "two_step_reset",
    "confirmed",
]
NEW_KINDS = ["report_public", "report_private"]
CHECK = "ck_security_event_security_event_kind"


def _kinds_check(kinds: list[str]) -> str:
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


def upgrade():
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
