"""Security events: a record of sign-ins, sign-outs, role changes, tokens and refusals.

Why: access control must be auditable (OWASP ASVS V16): who signed in or failed to, from where,
which roles and tokens changed, and every 403. These events concern people rather than plan
records, so they get their own table beside the field-level history; the email typed at a failed
sign-in is kept even when it belongs to nobody.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "security_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
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
                name="security_event_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_security_event_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_security_event_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_event")),
    )
    with op.batch_alter_table("security_event", schema=None) as batch_op:
        batch_op.create_index("ix_security_event_organisation_at", ["organisation_id", "at"], unique=False)


def downgrade():
    with op.batch_alter_table("security_event", schema=None) as batch_op:
        batch_op.drop_index("ix_security_event_organisation_at")

    op.drop_table("security_event")
