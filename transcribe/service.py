"""Catalog reads and writes of transcription; every function takes the session it works in."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError as DBIntegrityError
from sqlalchemy.orm import Session as DBSession

from archive.catalog.db import Catalog
from archive.catalog.models import Recording, Segment, Session
from archive.evidence.canonical import canonical_json
from transcribe.clean import ChunkLine
from transcribe.errors import TranscriptNotFoundError
from transcribe.flags import FlagHit, SessionSpan
from transcribe.models import (
    Transcript,
    TranscriptChunk,
    TranscriptFlag,
    TranscriptLine,
    TranscriptVersion,
)
from transcribe.stitch import Chunk, Line, LineWord
from transcribe.tokens import index_text


def ensure_transcript(catalog: Catalog, *, recording_id: str, window_id: str) -> None:
    """Create the recording's transcript row unless it exists (safe against a racing twin)."""
    with catalog.read() as db:
        if db.get(Transcript, recording_id) is not None:
            return
    try:
        with catalog.write() as db:
            if db.get(Transcript, recording_id) is None:
                db.add(Transcript(recording_id=recording_id, window_id=window_id))
    except DBIntegrityError:
        pass  # another worker created it between our read and our write


def lock_transcript(db: DBSession, *, recording_id: str) -> Transcript:
    """The transcript row, locked until the transaction ends (PostgreSQL; SQLite's writer
    already holds the database lock)."""
    transcript = db.scalar(select(Transcript).where(Transcript.recording_id == recording_id)
                           .with_for_update())
    if transcript is None:
        raise TranscriptNotFoundError(f"recording {recording_id} has no transcript")
    return transcript


def get_transcript_or_raise(db: DBSession, *, recording_id: str) -> Transcript:
    transcript = db.get(Transcript, recording_id)
    if transcript is None:
        raise TranscriptNotFoundError(f"recording {recording_id} has no transcript")
    return transcript


def get_version_or_raise(db: DBSession, *, recording_id: str,
                         number: int | None = None) -> TranscriptVersion:
    """A sealed version; the current one when `number` is None."""
    if number is None:
        number = get_transcript_or_raise(db, recording_id=recording_id).current_version
    version = db.scalar(select(TranscriptVersion).where(
        TranscriptVersion.recording_id == recording_id, TranscriptVersion.number == number))
    if version is None:
        raise TranscriptNotFoundError(f"recording {recording_id} has no sealed transcript "
                                      f"version {number}", reason="no_version")
    return version


def list_versions(db: DBSession, *, recording_id: str) -> list[TranscriptVersion]:
    return list(db.scalars(select(TranscriptVersion).where(
        TranscriptVersion.recording_id == recording_id).order_by(TranscriptVersion.number)))


def latest_version(db: DBSession, *, recording_id: str) -> TranscriptVersion | None:
    return db.scalar(select(TranscriptVersion).where(
        TranscriptVersion.recording_id == recording_id)
        .order_by(TranscriptVersion.number.desc()).limit(1))


def load_chunks(db: DBSession, *, recording_id: str) -> list[tuple[TranscriptChunk, Segment]]:
    """Staged results with their segments, in order; results of replaced bytes left out."""
    rows = db.execute(select(TranscriptChunk, Segment).join(Segment, (
        Segment.recording_id == TranscriptChunk.recording_id) & (
        Segment.seq == TranscriptChunk.seq)).where(
        TranscriptChunk.recording_id == recording_id).order_by(TranscriptChunk.seq))
    return [(chunk, segment) for chunk, segment in rows
            if chunk.segment_sha256 == segment.sha256]


def to_chunk(chunk: TranscriptChunk, segment: Segment) -> Chunk:
    return Chunk(seq=chunk.seq, started_at=segment.started_at, duration_ms=chunk.duration_ms,
                 lines=tuple(ChunkLine.from_dict(item) for item in chunk.lines))


def source_digest(rows: Sequence[tuple[TranscriptChunk, Segment]]) -> str:
    """Names exactly the staged results a version is made from."""
    return hashlib.sha256(canonical_json([
        {"seq": c.seq, "sha256": c.segment_sha256, "producer": c.producer_digest,
         "language": c.language, "lines": c.lines} for c, _ in rows])).hexdigest()


def missing_segments(db: DBSession, *, recording_id: str) -> list[int]:
    """Seqs of the recording's segments without a result for their current bytes."""
    done = {(c.seq, c.segment_sha256) for c in db.scalars(select(TranscriptChunk).where(
        TranscriptChunk.recording_id == recording_id))}
    return [seq for seq, sha in db.execute(select(Segment.seq, Segment.sha256).where(
        Segment.recording_id == recording_id).order_by(Segment.seq)) if (seq, sha) not in done]


def session_spans(db: DBSession, *, recording: Recording) -> list[SessionSpan]:
    """The recording's sessions on its timeline; the whole recording when it has none."""
    spans = []
    for session in db.scalars(select(Session).where(Session.recording_id == recording.id)
                              .order_by(Session.started_at)):
        start = _ms(recording.started_at, session.started_at)
        end = _ms(recording.started_at, session.ended_at) if session.ended_at else None
        spans.append(SessionSpan(session_id=session.id, start_ms=start, end_ms=end))
    return spans or [SessionSpan(session_id=None, start_ms=0, end_ms=None)]


def _ms(start: datetime, moment: datetime) -> int:
    return round((moment - start).total_seconds() * 1000)


def _words_json(line: Line) -> list[list[object]]:
    return [[w.offset_ms, w.end_offset_ms, w.text, w.p] for w in line.words]


def publish_lines(db: DBSession, *, recording: Recording, lines: Sequence[Line],
                  version: int) -> None:
    """Make `lines` the recording's visible lines, touching only rows that change."""
    wanted = {}
    for line in lines:
        words = _words_json(line)
        wanted[(line.offset_ms, line.end_offset_ms, line.text,
                json.dumps(words, ensure_ascii=False))] = (line, words)
    existing = db.execute(select(TranscriptLine.id, TranscriptLine.offset_ms,
                                 TranscriptLine.end_offset_ms, TranscriptLine.text,
                                 TranscriptLine.words, TranscriptLine.version)
                          .where(TranscriptLine.recording_id == recording.id)).all()
    stale, keep_versions = [], []
    for row in existing:
        key = (row.offset_ms, row.end_offset_ms, row.text,
               json.dumps(row.words, ensure_ascii=False))
        if key in wanted:
            wanted.pop(key)
            if row.version != version:
                keep_versions.append(row.id)
        else:
            stale.append(row.id)
    if stale:
        db.execute(delete(TranscriptLine).where(TranscriptLine.id.in_(stale)))
    if keep_versions:
        for row_id in keep_versions:  # no token change: the full-text index is not touched
            db.get_one(TranscriptLine, row_id).version = version
    start = recording.started_at
    for line, words in wanted.values():
        db.add(TranscriptLine(
            recording_id=recording.id, window_id=recording.window_id, version=version,
            seq=line.seqs[0], offset_ms=line.offset_ms, end_offset_ms=line.end_offset_ms,
            started_at=start + timedelta(milliseconds=line.offset_ms),
            ended_at=start + timedelta(milliseconds=line.end_offset_ms), text=line.text,
            tokens=index_text(line.text), words=words))
    db.flush()


def visible_lines(db: DBSession, *, recording_id: str) -> list[Line]:
    rows = db.scalars(select(TranscriptLine).where(TranscriptLine.recording_id == recording_id)
                      .order_by(TranscriptLine.offset_ms, TranscriptLine.id))
    return [Line(offset_ms=r.offset_ms, end_offset_ms=r.end_offset_ms, text=r.text,
                 words=tuple(LineWord(int(w[0]), int(w[1]), str(w[2]), int(w[3]))
                             for w in r.words), seqs=(r.seq,)) for r in rows]


def publish_flags(db: DBSession, *, recording: Recording, hits: Sequence[FlagHit],
                  include_sessions: bool) -> None:
    """Make `hits` the recording's flags; session-level flags only when `include_sessions`
    (they are decided once the recording is complete)."""
    query = select(TranscriptFlag).where(TranscriptFlag.recording_id == recording.id)
    if not include_sessions:
        query = query.where(TranscriptFlag.session_id.is_(None),
                            TranscriptFlag.phrase != "")
    wanted = {(h.kind, h.phrase, h.offset_ms, h.end_offset_ms, h.session_id, h.text): h
              for h in hits}
    for flag in db.scalars(query):
        key = (flag.kind, flag.phrase, flag.offset_ms, flag.end_offset_ms, flag.session_id,
               flag.text)
        if wanted.pop(key, None) is None:
            db.delete(flag)
    for hit in wanted.values():
        db.add(TranscriptFlag(
            recording_id=recording.id, window_id=recording.window_id,
            session_id=hit.session_id, kind=hit.kind, phrase=hit.phrase, text=hit.text,
            offset_ms=hit.offset_ms, end_offset_ms=hit.end_offset_ms,
            started_at=recording.started_at + timedelta(milliseconds=hit.offset_ms),
            weight=hit.weight))
    db.flush()
