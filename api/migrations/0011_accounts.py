"""accounts: one-time account links, role grants awaiting a second person, since when each
person holds their role, and API tokens that expire

Revision ID: 0011
Revises: 0005

Tokens issued before this revision expire 90 days after they were made (the default
lifetime); each person's role counts from when the account was made.
"""

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

import archive.catalog.types

revision = "0011"
down_revision = "0005"
branch_labels = None
depends_on = None

_DAYS = 90


def _time(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, archive.catalog.types.UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(_time("role_since", nullable=True))
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(_time("expires_at", nullable=True))
    bind = op.get_bind()
    users = sa.table("users", sa.column("id", sa.String), _time("created_at"),
                     _time("role_since", nullable=True))
    bind.execute(users.update().values(role_since=users.c.created_at))
    tokens = sa.table("api_tokens", sa.column("id", sa.String), _time("created_at"),
                      _time("expires_at", nullable=True))
    for token_id, created in bind.execute(sa.select(tokens.c.id, tokens.c.created_at)).all():
        bind.execute(tokens.update().where(tokens.c.id == token_id)
                     .values(expires_at=created + timedelta(days=_DAYS)))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("role_since", existing_type=archive.catalog.types.UtcDateTime(
            timezone=True), nullable=False)

    op.create_table(
        "account_links",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        _time("created_at"),
        _time("expires_at"),
        _time("used_at", nullable=True),
        sa.Column("used_ip", sa.String(length=64), nullable=False),
        _time("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("account_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_links_user_id"), ["user_id"],
                              unique=False)

    op.create_table(
        "role_grants",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("jurisdiction_id", sa.String(length=64), nullable=False),
        sa.Column("new_account", sa.Boolean(), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        _time("requested_at"),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        _time("decided_at", nullable=True),
        sa.ForeignKeyConstraint(["jurisdiction_id"], ["jurisdictions.id"]),
        sa.ForeignKeyConstraint(["requested_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("role_grants", schema=None) as batch_op:
        batch_op.create_index("ix_role_grants_user_state", ["user_id", "state"], unique=False)


def downgrade() -> None:
    op.drop_table("role_grants")
    op.drop_table("account_links")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("role_since")
