"""retention: rules, per-recording state, legal holds, disposal batches and certificates

Revision ID: 0004
Revises: 0003

Tables of retention/models.py and archive/disposal.py (disposal certificates and the objects
they dispose of, which verification reads). Nothing in them is ever deleted by the
application: rules are retired, holds released, batches cancelled.
"""

from alembic import op
import sqlalchemy as sa
import archive.catalog.types


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('disposal_batches',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('scope_path', sa.String(length=1000), nullable=False),
    sa.Column('state', sa.Enum('proposed', 'approved', 'done', 'cancelled', name='batchstate', native_enum=False, length=32), nullable=False),
    sa.Column('required_approvals', sa.Integer(), nullable=False),
    sa.Column('proposed_by', sa.String(length=64), nullable=False),
    sa.Column('proposed_at', archive.catalog.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('approved_at', archive.catalog.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', archive.catalog.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by', sa.String(length=64), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('legal_holds',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.Enum('complaint', 'inspection', 'court', name='holdkind', native_enum=False, length=32), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('scope_path', sa.String(length=1000), nullable=False),
    sa.Column('placed_by', sa.String(length=64), nullable=False),
    sa.Column('placed_at', archive.catalog.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('released_by', sa.String(length=64), nullable=True),
    sa.Column('released_at', archive.catalog.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('release_reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('retention_leases',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('holder', sa.String(length=64), nullable=False),
    sa.Column('expires_at', archive.catalog.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('retention_rules',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('category', sa.Enum('no_session', 'session', 'case', 'flagged', 'import', name='rulecategory', native_enum=False, length=32), nullable=False),
    sa.Column('case_type', sa.String(length=64), nullable=True),
    sa.Column('stage', sa.Enum('consultation', 'application', 'acceptance', 'review', 'assignment', 'handling', 'closing', 'archiving', 'evaluation', name='stage', native_enum=False, length=32), nullable=True),
    sa.Column('years', sa.Integer(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', archive.catalog.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('retired_at', archive.catalog.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('retired_by', sa.String(length=64), nullable=True),
    sa.Column('retire_reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('legal_hold_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('hold_id', sa.String(length=32), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('at', archive.catalog.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hold_id'], ['legal_holds.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('legal_hold_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_legal_hold_events_hold_id'), ['hold_id'], unique=False)

    op.create_table('disposal_approvals',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('batch_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', archive.catalog.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['disposal_batches.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('batch_id', 'user_id')
    )
    with op.batch_alter_table('disposal_approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disposal_approvals_batch_id'), ['batch_id'], unique=False)

    op.create_table('disposal_certificates',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('recording_id', sa.String(length=32), nullable=False),
    sa.Column('document_sha256', sa.String(length=64), nullable=False),
    sa.Column('document', sa.LargeBinary(), nullable=False),
    sa.Column('objects', sa.JSON(), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('tree_head_id', sa.Integer(), nullable=False),
    sa.Column('timestamp_at', archive.catalog.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('issued_at', archive.catalog.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', archive.catalog.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', archive.catalog.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], ),
    sa.ForeignKeyConstraint(['tree_head_id'], ['tree_heads.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('disposal_certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disposal_certificates_recording_id'), ['recording_id'], unique=False)

    op.create_table('disposal_items',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('batch_id', sa.String(length=32), nullable=False),
    sa.Column('recording_id', sa.String(length=32), nullable=False),
    sa.Column('state', sa.Enum('pending', 'certifying', 'certified', 'done', 'skipped', name='itemstate', native_enum=False, length=32), nullable=False),
    sa.Column('rule', sa.String(length=200), nullable=False),
    sa.Column('retain_until', archive.catalog.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('segment_count', sa.Integer(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('certificate_id', sa.String(length=32), nullable=True),
    sa.Column('document', sa.LargeBinary(), nullable=True),
    sa.Column('skip_reason', sa.String(length=64), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('updated_at', archive.catalog.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['disposal_batches.id'], ),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('batch_id', 'recording_id')
    )
    with op.batch_alter_table('disposal_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disposal_items_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_disposal_items_recording_id'), ['recording_id'], unique=False)

    op.create_table('legal_hold_items',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('hold_id', sa.String(length=32), nullable=False),
    sa.Column('recording_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.Enum('active', 'disposed', name='holditemstatus', native_enum=False, length=32), nullable=False),
    sa.Column('certificate_id', sa.String(length=32), nullable=True),
    sa.Column('store', sa.Enum('pending', 'on', 'off', name='storesync', native_enum=False, length=32), nullable=False),
    sa.Column('store_synced_at', archive.catalog.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('store_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['hold_id'], ['legal_holds.id'], ),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('hold_id', 'recording_id')
    )
    with op.batch_alter_table('legal_hold_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_legal_hold_items_hold_id'), ['hold_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_legal_hold_items_recording_id'), ['recording_id'], unique=False)

    op.create_table('recording_retention',
    sa.Column('recording_id', sa.String(length=32), nullable=False),
    sa.Column('retain_until', archive.catalog.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('locks_until', archive.catalog.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('locks_checked_at', archive.catalog.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('rule', sa.String(length=200), nullable=False),
    sa.Column('open_ended', sa.Boolean(), nullable=False),
    sa.Column('decided_at', archive.catalog.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('decided_revision', sa.Integer(), nullable=False),
    sa.Column('disposing_certificate', sa.String(length=32), nullable=True),
    sa.Column('disposed_at', archive.catalog.types.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], ),
    sa.PrimaryKeyConstraint('recording_id')
    )
    op.create_table('disposed_objects',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('certificate_id', sa.String(length=32), nullable=False),
    sa.Column('recording_id', sa.String(length=32), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=True),
    sa.Column('key', sa.String(length=500), nullable=False),
    sa.Column('version_id', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('deleted_at', archive.catalog.types.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['certificate_id'], ['disposal_certificates.id'], ),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key', 'version_id')
    )
    with op.batch_alter_table('disposed_objects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disposed_objects_certificate_id'), ['certificate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_disposed_objects_recording_id'), ['recording_id'], unique=False)


def downgrade() -> None:
    for table in (
        "disposed_objects",
        "recording_retention",
        "legal_hold_items",
        "disposal_items",
        "disposal_certificates",
        "disposal_approvals",
        "legal_hold_events",
        "retention_rules",
        "retention_leases",
        "legal_holds",
        "disposal_batches",
    ):
        op.drop_table(table)
