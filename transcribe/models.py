"""Catalog tables of transcription: transcripts, staged segment results, lines, versions, flags.

The full-text index is not mapped here: it is dialect-specific (an FTS5 table kept in step
by triggers on SQLite, a generated tsvector column with a GIN index on PostgreSQL) and is
created by migration 0003.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from archive.catalog.models import Base
from archive.catalog.types import utcnow


class TranscriptState(enum.StrEnum):
    OPEN = "open"  # segments are being transcribed; lines are provisional
    COMPLETE = "complete"  # every segment transcribed, the latest version sealed


class Transcript(Base):
    """One per recording: its language and which version is current."""

    __tablename__ = "transcripts"
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"), primary_key=True)
    window_id: Mapped[str] = mapped_column(ForeignKey("windows.id"), index=True)
    language: Mapped[str | None] = mapped_column(String(8))
    language_source: Mapped[str] = mapped_column(String(16), default="")
    state: Mapped[str] = mapped_column(String(16), default=TranscriptState.OPEN.value)
    current_version: Mapped[int] = mapped_column(Integer, default=0)
    # A worker sealing a version claims it here, so a second one leaves it alone; a claim
    # older than the stale limit is taken over (the first worker died).
    pending_digest: Mapped[str | None] = mapped_column(String(64))
    pending_since: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TranscriptChunk(Base):
    """The staged result of one segment; never shown as is, only through stitched lines."""

    __tablename__ = "transcript_chunks"
    __table_args__ = (UniqueConstraint("recording_id", "seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    segment_sha256: Mapped[str] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(8))
    detected: Mapped[bool] = mapped_column(default=False)
    duration_ms: Mapped[int] = mapped_column(BigInteger)
    speech_ms: Mapped[int] = mapped_column(BigInteger)
    lines: Mapped[list[Any]] = mapped_column(JSON)  # [ChunkLine.as_dict(), ...]
    producer_digest: Mapped[str] = mapped_column(String(64))
    producer: Mapped[dict[str, Any]]
    elapsed_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TranscriptLine(Base):
    """A visible, searchable line: provisional (version 0) or of a sealed version."""

    __tablename__ = "transcript_lines"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"))
    window_id: Mapped[str] = mapped_column(ForeignKey("windows.id"))
    version: Mapped[int] = mapped_column(Integer, default=0)
    seq: Mapped[int] = mapped_column(Integer)
    offset_ms: Mapped[int] = mapped_column(BigInteger)
    end_offset_ms: Mapped[int] = mapped_column(BigInteger)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)
    tokens: Mapped[str] = mapped_column(Text)  # jieba tokens, space-separated, indexed
    words: Mapped[list[Any]] = mapped_column(JSON)  # [[offset_ms, end_ms, text, p‰], ...]


class TranscriptVersion(Base):
    """A sealed transcript document: the machine's, or a person's correction of it."""

    __tablename__ = "transcript_versions"
    __table_args__ = (UniqueConstraint("recording_id", "number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # machine | correction
    author: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    parent_number: Mapped[int | None] = mapped_column(Integer)
    source_digest: Mapped[str] = mapped_column(String(64))  # the staged results it covers
    language: Mapped[str | None] = mapped_column(String(8))
    model_name: Mapped[str] = mapped_column(String(200))
    model_sha256: Mapped[str] = mapped_column(String(64))
    document_sha256: Mapped[str] = mapped_column(String(64))
    objects: Mapped[dict[str, Any]]  # file name -> {"key", "version_id", "sha256", "size"}
    log_index: Mapped[int] = mapped_column(Integer)
    tree_head_id: Mapped[int] = mapped_column(ForeignKey("tree_heads.id"))
    line_count: Mapped[int] = mapped_column(Integer)
    timestamp_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TranscriptFlag(Base):
    """A flag raised by a phrase (a moment) or by a missing notice (a session)."""

    __tablename__ = "transcript_flags"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"))
    window_id: Mapped[str] = mapped_column(ForeignKey("windows.id"))
    session_id: Mapped[str | None] = mapped_column(ForeignKey("sessions.id"))
    kind: Mapped[str] = mapped_column(String(32))
    phrase: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    offset_ms: Mapped[int] = mapped_column(BigInteger)
    end_offset_ms: Mapped[int] = mapped_column(BigInteger)
    started_at: Mapped[datetime]
    weight: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_transcript_lines_recording_offset", TranscriptLine.recording_id,
      TranscriptLine.offset_ms)
Index("ix_transcript_lines_started_at", TranscriptLine.started_at, TranscriptLine.window_id)
Index("ix_transcript_lines_window_started", TranscriptLine.window_id, TranscriptLine.started_at)
Index("ix_transcript_flags_recording_kind", TranscriptFlag.recording_id, TranscriptFlag.kind)
Index("ix_transcript_flags_started_at", TranscriptFlag.started_at)
