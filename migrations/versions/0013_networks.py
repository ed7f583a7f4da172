"""Networks: member organisations, coordinators, and each plan's sharing.

Why: the people this tracker serves work in networks (UCLG's CIB working group across six
regions, ICLD's municipalities) that want to see their members' plans rolled up, while each
member decides what it shares. A ``network`` has members through ``membership`` (an organisation
may belong to several). A ``coordinator`` belongs to a network rather than an organisation: the
person's row names the network and no organisation (``organisation_id`` becomes nullable; a
check constraint holds exactly one of the two, the network exactly for coordinators), so nothing
that reaches an organisation through its people reaches a coordinator. Each plan gains its
``sharing`` (``private`` for every existing plan: nothing is shared that was not before) and the
secret of its public link. Changing a plan's sharing is a security event: the kind's check
constraint grows by one value. Organisations already keep their country and region (0001).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
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
    "report_public",
    "report_private",
]
NEW_KINDS = ["plan_sharing"]
KIND_CHECK = "ck_security_event_security_event_kind"
ROLES = ["admin", "editor", "viewer"]
ROLE_CHECK = "ck_user_account_role"
HOME = (
    "(role = 'coordinator' AND network_id IS NOT NULL AND organisation_id IS NULL)"
    " OR (role <> 'coordinator' AND network_id IS NULL AND organisation_id IS NOT NULL)"
)


def _in(column: str, values: list[str]) -> str:
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def upgrade():
    op.create_table(
        "network",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network")),
        sa.UniqueConstraint("name", name=op.f("uq_network_name")),
    )
    op.create_table(
        "membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_id"], ["network.id"], name=op.f("fk_membership_network_id_network")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisation.id"], name=op.f("fk_membership_organisation_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership")),
        sa.UniqueConstraint(
            "network_id", "organisation_id", name=op.f("uq_membership_network_id_organisation_id")
        ),
    )
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_membership_network_id"), ["network_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_membership_organisation_id"), ["organisation_id"], unique=False)

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(ROLE_CHECK), type_="check")
        batch_op.alter_column(
            "role", existing_type=sa.String(length=6), type_=sa.String(length=11), existing_nullable=False
        )
        batch_op.create_check_constraint(op.f(ROLE_CHECK), _in("role", [*ROLES, "coordinator"]))
        batch_op.alter_column("organisation_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("network_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_user_account_network_id_network"), "network", ["network_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_user_account_network_id"), ["network_id"], unique=False)
        batch_op.create_check_constraint(op.f("ck_user_account_home"), HOME)

    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "sharing",
                sa.Enum(
                    "private",
                    "network",
                    "public",
                    name="sharing",
                    native_enum=False,
                    create_constraint=True,
                    length=7,
                ),
                server_default="private",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("public_token", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_plan_public_token"), ["public_token"])

    with op.batch_alter_table("security_event", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(KIND_CHECK), type_="check")
        batch_op.create_check_constraint(op.f(KIND_CHECK), _in("kind", KINDS + NEW_KINDS))


def downgrade():
    op.execute(sa.text("DELETE FROM security_event WHERE " + _in("kind", NEW_KINDS)))
    with op.batch_alter_table("security_event", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(KIND_CHECK), type_="check")
        batch_op.create_check_constraint(op.f(KIND_CHECK), _in("kind", KINDS))

    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_plan_public_token"), type_="unique")
        batch_op.drop_column("public_token")
        batch_op.drop_constraint(op.f("ck_plan_sharing"), type_="check")
        batch_op.drop_column("sharing")

    # Coordinators have no organisation to go back to: their accounts, tokens and events go.
    coordinators = "SELECT id FROM user_account WHERE role = 'coordinator'"
    for table, column in (
        ("api_token", "user_id"),
        ("idempotency_key", "user_id"),
        ("security_event", "user_id"),
        ("security_event", "actor_id"),
    ):
        op.execute(sa.text(f"DELETE FROM {table} WHERE {column} IN ({coordinators})"))
    for table in ("history_entry", "status_change"):
        op.execute(sa.text(f"UPDATE {table} SET user_id = NULL WHERE user_id IN ({coordinators})"))
    op.execute(sa.text("DELETE FROM user_account WHERE role = 'coordinator'"))
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_user_account_home"), type_="check")
        batch_op.drop_index(batch_op.f("ix_user_account_network_id"))
        batch_op.drop_constraint(batch_op.f("fk_user_account_network_id_network"), type_="foreignkey")
        batch_op.drop_column("network_id")
        batch_op.alter_column("organisation_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(op.f(ROLE_CHECK), type_="check")
        batch_op.alter_column(
            "role", existing_type=sa.String(length=11), type_=sa.String(length=6), existing_nullable=False
        )
        batch_op.create_check_constraint(op.f(ROLE_CHECK), _in("role", ROLES))

    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_membership_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_membership_network_id"))
    op.drop_table("membership")
    op.drop_table("network")
