"""device token idle clock; case numbers unique per jurisdiction

Revision ID: 0009
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa
import archive.catalog.types


revision = "0009"
down_revision = "0002"
branch_labels = None
depends_on = None

# SQLite reflects the old unnamed UNIQUE(number) without a name; batch mode names it by this.
SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            "token_issued_at", archive.catalog.types.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column(
            "last_used_at", archive.catalog.types.UtcDateTime(timezone=True), nullable=True))
    # A token already out counts as issued now: an upgrade locks no working recorder out.
    op.execute(sa.text("UPDATE devices SET token_issued_at = CURRENT_TIMESTAMP"))
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.alter_column("token_issued_at", nullable=False)

    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("cases", naming_convention=SQLITE_NAMES) as batch_op:
            batch_op.drop_constraint("uq_cases_number", type_="unique")
            batch_op.create_unique_constraint("uq_cases_jurisdiction_number",
                                              ["jurisdiction_id", "number"])
            batch_op.create_index(batch_op.f("ix_cases_number"), ["number"], unique=False)
    else:
        op.drop_constraint("cases_number_key", "cases", type_="unique")
        op.create_unique_constraint("uq_cases_jurisdiction_number", "cases",
                                    ["jurisdiction_id", "number"])
        op.create_index(op.f("ix_cases_number"), "cases", ["number"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_number"))
        batch_op.drop_constraint("uq_cases_jurisdiction_number", type_="unique")
        batch_op.create_unique_constraint("cases_number_key", ["number"])
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("token_issued_at")
