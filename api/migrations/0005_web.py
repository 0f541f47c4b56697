"""web service: access log (append-only, hash-chained) and its sealed heads, login sessions,
login attempts, playback grants, reviews, notes, complaints and their sessions; an index of
sessions by recording and start

Revision ID: 0005
Revises: 0003

The access log refuses UPDATE and DELETE with triggers on both databases; a person with
the database owner's rights can drop them, which is why the log is also hash-chained and its
head sealed daily (archive/audit_seal.py).
"""

import sqlalchemy as sa
from alembic import op

import archive.catalog.types

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = [
    "CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log "
    "BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END",
    "CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log "
    "BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END",
]
_POSTGRES_TRIGGERS = [
    "CREATE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'access_log is append-only'; END $$",
    "CREATE TRIGGER access_log_no_change BEFORE UPDATE OR DELETE ON access_log "
    "FOR EACH ROW EXECUTE FUNCTION access_log_append_only()",
    "CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only()",
]


def _time(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, archive.catalog.types.UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "access_log",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        _time("at"),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.String(length=200), nullable=False),
        sa.Column("recording_id", sa.String(length=32), nullable=True),
        sa.Column("session_id", sa.String(length=32), nullable=True),
        sa.Column("window_id", sa.String(length=64), nullable=True),
        sa.Column("scope_path", sa.String(length=1000), nullable=False),
        sa.Column("reason_kind", sa.String(length=16), nullable=True),
        sa.Column("reason_ref", sa.String(length=200), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.create_index("ix_access_log_user_at", ["user_id", "at"], unique=False)
        batch_op.create_index("ix_access_log_session", ["session_id"], unique=False)
        batch_op.create_index("ix_access_log_recording", ["recording_id"], unique=False)
        batch_op.create_index("ix_access_log_at", ["at"], unique=False)

    op.create_table(
        "access_log_heads",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("objects", sa.JSON(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("tree_head_id", sa.Integer(), nullable=False),
        _time("timestamp_at"),
        _time("sealed_at"),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["tree_head_id"], ["tree_heads.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("access_log_heads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_log_heads_size"), ["size"], unique=False)

    op.create_table(
        "login_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        _time("created_at"),
        _time("last_seen_at"),
        _time("expires_at"),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        _time("ended_at", nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_sessions_user_id"), ["user_id"],
                              unique=False)

    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        _time("at"),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_login_attempts_username_at", ["username", "at"], unique=False)
        batch_op.create_index("ix_login_attempts_ip_at", ["ip", "at"], unique=False)

    op.create_table(
        "playback_grants",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("recording_id", sa.String(length=32), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=True),
        sa.Column("first_seq", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        _time("range_start"),
        _time("range_end"),
        sa.Column("reason_kind", sa.String(length=16), nullable=False),
        sa.Column("reason_ref", sa.String(length=200), nullable=False),
        _time("created_at"),
        _time("expires_at"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["recording_id"], ["recordings.id"]),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("playback_grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_playback_grants_user_id"), ["user_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_playback_grants_recording_id"), ["recording_id"],
                              unique=False)

    op.create_table(
        "reviews",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("reviewer_id", sa.String(length=64), nullable=False),
        sa.Column("checklist", sa.String(length=64), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("maximum", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        _time("created_at"),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"]),
        sa.ForeignKeyConstraint(["reviewer_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviews_session_id"), ["session_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reviews_reviewer_id"), ["reviewer_id"],
                              unique=False)

    op.create_table(
        "session_notes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("author_id", sa.String(length=64), nullable=False),
        sa.Column("offset_ms", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _time("created_at"),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"]),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("session_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_session_notes_session_id"), ["session_id"],
                              unique=False)

    op.create_table(
        "complaints",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("jurisdiction_id", sa.String(length=64), nullable=False),
        sa.Column("complainant", sa.String(length=200), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("accept_due", sa.Date(), nullable=False),
        sa.Column("close_due", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        _time("accepted_at", nullable=True),
        _time("closed_at", nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        _time("created_at"),
        sa.ForeignKeyConstraint(["jurisdiction_id"], ["jurisdictions.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_complaints_jurisdiction_id"), ["jurisdiction_id"],
                              unique=False)
        batch_op.create_index("ix_complaints_state_due", ["state", "accept_due"], unique=False)

    op.create_table(
        "complaint_sessions",
        sa.Column("complaint_id", sa.String(length=32), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("recording_id", sa.String(length=32), nullable=False),
        sa.Column("linked_by", sa.String(length=64), nullable=False),
        _time("linked_at"),
        sa.Column("hold_ref", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaints.id"]),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"]),
        sa.ForeignKeyConstraint(["recording_id"], ["recordings.id"]),
        sa.ForeignKeyConstraint(["linked_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("complaint_id", "session_id"),
    )
    with op.batch_alter_table("complaint_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_complaint_sessions_recording_id"),
                              ["recording_id"], unique=False)
        batch_op.create_index("ix_complaint_sessions_session", ["session_id"], unique=False)

    # Sessions by recording and start: the dashboard's probe for each flag's session.
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index("ix_sessions_recording_started", ["recording_id", "started_at"],
                              unique=False)

    triggers = _SQLITE_TRIGGERS if op.get_bind().dialect.name == "sqlite" else _POSTGRES_TRIGGERS
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS access_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS access_log_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS access_log_no_change ON access_log")
        op.execute("DROP TRIGGER IF EXISTS access_log_no_truncate ON access_log")
        op.execute("DROP FUNCTION IF EXISTS access_log_append_only()")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_sessions_recording_started")
    for table in ("complaint_sessions", "complaints", "session_notes", "reviews",
                  "playback_grants", "login_attempts", "login_sessions", "access_log_heads",
                  "access_log"):
        op.drop_table(table)
