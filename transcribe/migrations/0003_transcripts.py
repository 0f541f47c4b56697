"""transcripts, staged segment results, lines with a full-text index, versions, flags

Revision ID: 0003
Revises: 0002

The full-text index holds jieba tokens (transcribe/tokens.py), space-separated in
transcript_lines.tokens. SQLite: an external-content FTS5 table kept in step by triggers.
PostgreSQL: a generated tsvector of those tokens, verbatim (array_to_tsvector: no parser,
no stemming, no locale), under a GIN index.
"""

import sqlalchemy as sa
from alembic import op

import archive.catalog.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_SQLITE_FTS = [
    "CREATE VIRTUAL TABLE transcript_lines_fts USING fts5(tokens, content='transcript_lines', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 0', detail=none, "
    "columnsize=0)",
    "CREATE TRIGGER transcript_lines_ai AFTER INSERT ON transcript_lines BEGIN "
    "INSERT INTO transcript_lines_fts(rowid, tokens) VALUES (new.id, new.tokens); END",
    "CREATE TRIGGER transcript_lines_ad AFTER DELETE ON transcript_lines BEGIN "
    "INSERT INTO transcript_lines_fts(transcript_lines_fts, rowid, tokens) "
    "VALUES ('delete', old.id, old.tokens); END",
    "CREATE TRIGGER transcript_lines_au AFTER UPDATE OF tokens ON transcript_lines BEGIN "
    "INSERT INTO transcript_lines_fts(transcript_lines_fts, rowid, tokens) "
    "VALUES ('delete', old.id, old.tokens); "
    "INSERT INTO transcript_lines_fts(rowid, tokens) VALUES (new.id, new.tokens); END",
]
_POSTGRES_FTS = [
    "ALTER TABLE transcript_lines ADD COLUMN tsv tsvector GENERATED ALWAYS AS "
    "(array_to_tsvector(array_remove(string_to_array(tokens, ' '), ''))) STORED",
    "CREATE INDEX ix_transcript_lines_tsv ON transcript_lines USING gin (tsv)",
]


def _time(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, archive.catalog.types.UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "transcripts",
        sa.Column("recording_id", sa.String(length=32), nullable=False),
        sa.Column("window_id", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("language_source", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("pending_digest", sa.String(length=64), nullable=True),
        _time("pending_since", nullable=True),
        _time("created_at"),
        _time("updated_at"),
        sa.ForeignKeyConstraint(["recording_id"], ["recordings.id"]),
        sa.ForeignKeyConstraint(["window_id"], ["windows.id"]),
        sa.PrimaryKeyConstraint("recording_id"),
    )
    with op.batch_alter_table("transcripts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transcripts_window_id"), ["window_id"], unique=False)

    op.create_table(
        "transcript_chunks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recording_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("segment_sha256", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("detected", sa.Boolean(), nullable=False),
        sa.Column("duration_ms", sa.BigInteger(), nullable=False),
        sa.Column("speech_ms", sa.BigInteger(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("producer_digest", sa.String(length=64), nullable=False),
        sa.Column("producer", sa.JSON(), nullable=False),
        sa.Column("elapsed_ms", sa.BigInteger(), nullable=False),
        _time("created_at"),
        sa.ForeignKeyConstraint(["recording_id"], ["recordings.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("recording_id", "seq"),
    )
    with op.batch_alter_table("transcript_chunks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transcript_chunks_recording_id"), ["recording_id"],
                              unique=False)

    op.create_table(
        "transcript_lines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recording_id", sa.String(length=32), nullable=False),
        sa.Column("window_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("offset_ms", sa.BigInteger(), nullable=False),
        sa.Column("end_offset_ms", sa.BigInteger(), nullable=False),
        _time("started_at"),
        _time("ended_at"),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("tokens", sa.Text(), nullable=False),
        sa.Column("words", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["recording_id"], ["recordings.id"]),
        sa.ForeignKeyConstraint(["window_id"], ["windows.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("transcript_lines", schema=None) as batch_op:
        batch_op.create_index("ix_transcript_lines_recording_offset",
                              ["recording_id", "offset_ms"], unique=False)
        batch_op.create_index("ix_transcript_lines_started_at", ["started_at", "window_id"],
                              unique=False)
        batch_op.create_index("ix_transcript_lines_window_started", ["window_id", "started_at"],
                              unique=False)

    op.create_table(
        "transcript_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recording_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("parent_number", sa.Integer(), nullable=True),
        sa.Column("source_digest", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("model_name", sa.String(length=200), nullable=False),
        sa.Column("model_sha256", sa.String(length=64), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("objects", sa.JSON(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("tree_head_id", sa.Integer(), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        _time("timestamp_at"),
        _time("created_at"),
        sa.ForeignKeyConstraint(["recording_id"], ["recordings.id"]),
        sa.ForeignKeyConstraint(["tree_head_id"], ["tree_heads.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("recording_id", "number"),
    )
    with op.batch_alter_table("transcript_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transcript_versions_recording_id"),
                              ["recording_id"], unique=False)

    op.create_table(
        "transcript_flags",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recording_id", sa.String(length=32), nullable=False),
        sa.Column("window_id", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("phrase", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("offset_ms", sa.BigInteger(), nullable=False),
        sa.Column("end_offset_ms", sa.BigInteger(), nullable=False),
        _time("started_at"),
        sa.Column("weight", sa.Integer(), nullable=False),
        _time("created_at"),
        sa.ForeignKeyConstraint(["recording_id"], ["recordings.id"]),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"]),
        sa.ForeignKeyConstraint(["window_id"], ["windows.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("transcript_flags", schema=None) as batch_op:
        batch_op.create_index("ix_transcript_flags_recording_kind", ["recording_id", "kind"],
                              unique=False)
        batch_op.create_index("ix_transcript_flags_started_at", ["started_at"], unique=False)

    statements = _SQLITE_FTS if op.get_bind().dialect.name == "sqlite" else _POSTGRES_FTS
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("transcript_lines_au", "transcript_lines_ad", "transcript_lines_ai"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS transcript_lines_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_transcript_lines_tsv")
    for table in ("transcript_flags", "transcript_versions", "transcript_lines",
                  "transcript_chunks", "transcripts"):
        op.drop_table(table)
