"""The transcription pipeline: segment results staged, stitched, published, sealed, corrected."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from archive.catalog.models import Recording, Segment, Window
from archive.evidence.canonical import canonical_json
from archive.evidence.vocabulary import RecordingState
from archive.services import Archive
from transcribe import service
from transcribe.clean import ChunkLine, CleanRules, clean_result
from transcribe.document import (
    SourceSegment,
    VersionInfo,
    apply_edits,
    build_document,
    lines_from_document,
    render_vtt,
    text_diff,
)
from transcribe.engine import EngineIdentity, Transcriber
from transcribe.errors import TranscriptNotReadyError
from transcribe.flags import PhraseBook, find_flags, missing_notices
from transcribe.models import Transcript, TranscriptChunk, TranscriptState, TranscriptVersion
from transcribe.settings import TranscribeSettings
from transcribe.stitch import Line, stitch

logger = logging.getLogger(__name__)

CLAIM_STALE_S = 600  # a sealing claim older than this is taken over


@dataclass(frozen=True)
class SegmentOutcome:
    recording_id: str
    seq: int
    skipped: bool  # an up-to-date result existed: nothing was done
    lines: int = 0
    language: str | None = None
    requeue: tuple[int, ...] = ()  # segments to redo in the recording's language
    ready: bool = False  # every segment of the closed recording has a result


@dataclass(frozen=True)
class _Staged:
    """One segment's cleaned result, ready to be staged."""

    language: str | None
    source: str
    detected: bool
    duration_ms: int
    speech_ms: int
    lines: list[ChunkLine]
    identity: EngineIdentity
    digest: str
    elapsed_ms: int


@dataclass(frozen=True)
class VersionOutcome:
    recording_id: str
    number: int
    document_sha256: str
    lines: int
    flags: int


@dataclass
class TranscriptionPipeline:
    """Does the I/O around the pure parts; one per worker process."""

    archive: Archive
    settings: TranscribeSettings
    transcriber: Callable[[], Transcriber]  # loads the model on first use
    phrasebook: PhraseBook
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    @property
    def rules(self) -> CleanRules:
        s = self.settings
        return CleanRules(no_speech_threshold=s.no_speech_threshold,
                          log_prob_threshold=s.log_prob_threshold,
                          drop_no_speech_prob=s.drop_no_speech_prob,
                          loop_min_repeats=s.loop_min_repeats)

    # -- 1. one segment ------------------------------------------------------------------

    def transcribe_segment(self, recording_id: str, seq: int, *,
                           force: bool = False) -> SegmentOutcome:
        """Transcribe one stored segment and publish the recording's lines in one transaction.

        Idempotent: a segment whose result is up to date (same bytes, model, parameters and
        language) is left alone unless `force`.
        """
        catalog = self.archive.catalog
        with catalog.read() as db:
            segment = db.scalar(select(Segment).where(Segment.recording_id == recording_id,
                                                      Segment.seq == seq))
            if segment is None:
                from archive.evidence.errors import NotFoundError

                raise NotFoundError(f"recording {recording_id} has no segment {seq}",
                                    reason="no_segment")
            recording = db.get_one(Recording, recording_id)
            window = db.get_one(Window, recording.window_id)
            existing = db.scalar(select(TranscriptChunk).where(
                TranscriptChunk.recording_id == recording_id, TranscriptChunk.seq == seq))
            transcript = db.get(Transcript, recording_id)
            fixed = (transcript.language, transcript.language_source) if transcript else None
        engine = self.transcriber()
        digest = producer_digest(engine.identity)
        wanted, source = self._language(window.language, fixed)
        if (existing is not None and not force and existing.segment_sha256 == segment.sha256
                and existing.producer_digest == digest
                and (wanted is None or existing.speech_ms == 0
                     or existing.language == wanted)):
            return SegmentOutcome(recording_id, seq, skipped=True, language=existing.language)
        service.ensure_transcript(catalog, recording_id=recording_id,
                                  window_id=recording.window_id)
        data = self.archive.store.read_verified(segment.object_key,
                                                version_id=segment.version_id,
                                                sha256_hex=segment.sha256)
        for _attempt in range(2):
            started = time.monotonic()
            result = engine.transcribe(data, language=wanted)
            lines = clean_result(result, self.rules)
            elapsed_ms = round((time.monotonic() - started) * 1000)
            staged = _Staged(language=result.language if lines or wanted else None,
                             source=source if wanted else "detected",
                             detected=result.detected and bool(lines),
                             duration_ms=result.duration_ms, speech_ms=result.speech_ms,
                             lines=lines, identity=engine.identity, digest=digest,
                             elapsed_ms=elapsed_ms)
            outcome = self._store_segment(recording_id, segment, staged)
            if outcome is not None:
                logger.info("segment transcribed", extra={
                    "recording_id": recording_id, "seq": seq, "lines": outcome.lines,
                    "language": outcome.language, "elapsed_ms": elapsed_ms})
                return outcome
            # Another segment fixed the recording's language meanwhile: redo in it.
            with catalog.read() as db:
                transcript = service.get_transcript_or_raise(db, recording_id=recording_id)
                wanted, source = self._language(window.language, (transcript.language,
                                                                  transcript.language_source))
        raise TranscriptNotReadyError(f"language of recording {recording_id} kept changing")

    def _language(self, window_language: str | None,
                  fixed: tuple[str | None, str] | None) -> tuple[str | None, str]:
        if window_language:
            return window_language, "window"
        if self.settings.language:
            return self.settings.language, "configured"
        if fixed is not None and fixed[0]:
            return fixed[0], fixed[1]
        return None, "detected"

    def _store_segment(self, recording_id: str, segment: Segment,
                       staged: _Staged) -> SegmentOutcome | None:
        language, source, detected = staged.language, staged.source, staged.detected
        requeue: list[int] = []
        with self.archive.catalog.write() as db:
            transcript = service.lock_transcript(db, recording_id=recording_id)
            if detected:
                if transcript.language is None:
                    transcript.language, transcript.language_source = language, "detected"
                    requeue = [c.seq for c in db.scalars(select(TranscriptChunk).where(
                        TranscriptChunk.recording_id == recording_id,
                        TranscriptChunk.seq != segment.seq))
                        if c.lines and c.language not in (None, language)]
                elif transcript.language != language:
                    return None  # the caller redoes this segment in the fixed language
            elif source in {"window", "configured"} and language and (
                    transcript.language, transcript.language_source) != (language, source):
                transcript.language, transcript.language_source = language, source
            db.execute(delete(TranscriptChunk).where(
                TranscriptChunk.recording_id == recording_id,
                TranscriptChunk.seq == segment.seq))
            db.add(TranscriptChunk(
                recording_id=recording_id, seq=segment.seq, segment_sha256=segment.sha256,
                language=language, detected=detected, duration_ms=staged.duration_ms,
                speech_ms=staged.speech_ms, lines=[line.as_dict() for line in staged.lines],
                producer_digest=staged.digest, producer=staged.identity.as_manifest(),
                elapsed_ms=staged.elapsed_ms))
            db.flush()
            recording = db.get_one(Recording, recording_id)
            if transcript.state == TranscriptState.COMPLETE.value:
                transcript.state = TranscriptState.OPEN.value  # a new version will follow
            stitched = self._stitch(service.load_chunks(db, recording_id=recording_id),
                                    recording)
            service.publish_lines(db, recording=recording, lines=stitched, version=0)
            service.publish_flags(db, recording=recording,
                                  hits=find_flags(stitched, self.phrasebook),
                                  include_sessions=False)
            transcript.updated_at = self.clock()
            ready = (recording.state is RecordingState.CLOSED
                     and not service.missing_segments(db, recording_id=recording_id))
            return SegmentOutcome(recording_id, segment.seq, skipped=False,
                                  lines=len(staged.lines),
                                  language=language, requeue=tuple(requeue), ready=ready)

    def _stitch(self, rows: list[tuple[TranscriptChunk, Segment]],
                recording: Recording) -> list[Line]:
        return stitch([service.to_chunk(c, s) for c, s in rows],
                      recording_started_at=recording.started_at,
                      join_gap_ms=self.settings.join_gap_ms)

    # -- 2. the whole recording ----------------------------------------------------------

    def finalize(self, recording_id: str) -> VersionOutcome | None:
        """Seal the machine transcript of a closed, fully transcribed recording.

        Returns None when there is nothing to do: recording still open, segments missing,
        the current results already sealed, or another worker sealing them right now.
        """
        catalog = self.archive.catalog
        with catalog.read() as db:
            recording = db.get_one(Recording, recording_id)
            if recording.state is not RecordingState.CLOSED or recording.segment_count == 0:
                return None
            if service.missing_segments(db, recording_id=recording_id):
                return None
            rows = service.load_chunks(db, recording_id=recording_id)
            digest = service.source_digest(rows)
            latest = service.latest_version(db, recording_id=recording_id)
            if latest is not None and latest.source_digest == digest:
                return None
            stitched = self._stitch(rows, recording)
            sources = [SourceSegment(seq=c.seq, sha256=s.sha256, started_at=s.started_at,
                                     ended_at=s.ended_at, language=c.language) for c, s in rows]
            producers = {c.producer_digest: c.producer for c, _ in rows}
        if not self._claim(recording_id, digest):
            return None
        transcript_language = self._recording_language(recording_id)
        previous = self._read_document(latest) if latest is not None else None
        diff = text_diff(lines_from_document(previous), stitched,
                         old_label=f"version {latest.number}",
                         new_label=f"version {latest.number + 1}") if previous and latest \
            else []
        number = latest.number + 1 if latest is not None else 1
        info = VersionInfo(number=number, kind="machine", created_at=self.clock(),
                           author="aidrec", reason="machine transcript",
                           parent_sha256=latest.document_sha256 if latest else None)
        try:
            return self._seal_version(
                recording, info, stitched, sources=sources, producer={"producers": producers},
                language=transcript_language, digest=digest, diff=diff,
                model=_model_of(producers))
        except BaseException:
            self._release(recording_id, digest)  # let the retry (or another worker) seal it
            raise

    def _recording_language(self, recording_id: str) -> tuple[str | None, str]:
        with self.archive.catalog.read() as db:
            transcript = service.get_transcript_or_raise(db, recording_id=recording_id)
            return transcript.language, transcript.language_source

    def _claim(self, recording_id: str, digest: str) -> bool:
        now = self.clock()
        with self.archive.catalog.write() as db:
            transcript = service.lock_transcript(db, recording_id=recording_id)
            if (transcript.pending_digest == digest and transcript.pending_since is not None
                    and now - transcript.pending_since < timedelta(seconds=CLAIM_STALE_S)):
                return False
            transcript.pending_digest, transcript.pending_since = digest, now
            return True

    def _release(self, recording_id: str, digest: str) -> None:
        with self.archive.catalog.write() as db:
            transcript = service.lock_transcript(db, recording_id=recording_id)
            if transcript.pending_digest == digest:
                transcript.pending_digest = transcript.pending_since = None

    def _seal_version(self, recording: Recording, info: VersionInfo, lines: list[Line], *,
                      sources: list[SourceSegment], producer: Mapping[str, Any],
                      language: tuple[str | None, str], digest: str, diff: list[str],
                      model: tuple[str, str]) -> VersionOutcome | None:
        """Store WebVTT and JSON under lock, seal, then record the version and publish it."""
        store = self.archive.store
        now = info.created_at
        retain_until = max(recording.retain_until,
                           now + timedelta(days=self.settings.seal_retain_days))
        prefix = f"recordings/{recording.id}/transcripts/{info.number:04d}"
        vtt = render_vtt(lines, recording_id=recording.id,
                         recording_started_at=recording.started_at).encode()
        vtt_sha = hashlib.sha256(vtt).hexdigest()
        stored_vtt = store.put_locked(f"{prefix}/transcript.vtt", vtt, length=len(vtt),
                                      sha256_hex=vtt_sha, retain_until=retain_until,
                                      content_type="text/vtt; charset=utf-8")
        document = build_document(
            recording_id=recording.id, window_id=recording.window_id,
            recording_started_at=recording.started_at, language=language[0],
            language_source=language[1], version=info, sources=sources, producer=producer,
            lines=lines, vtt_sha256=vtt_sha, vtt_size=len(vtt), diff=diff)
        data = canonical_json(document)
        seal = self.archive.sealer.seal_document(
            kind="transcript", ref=f"{recording.id}/transcript/{info.number}", prefix=prefix,
            name="transcript", data=data, retain_until=retain_until, now=now)
        objects = dict(seal.objects)
        objects["transcript.vtt"] = {"key": stored_vtt.key, "version_id": stored_vtt.version_id,
                                     "sha256": vtt_sha, "size": len(vtt)}
        with self.archive.catalog.write() as db:
            transcript = service.lock_transcript(db, recording_id=recording.id)
            if db.scalar(select(TranscriptVersion.id).where(
                    TranscriptVersion.recording_id == recording.id,
                    TranscriptVersion.number == info.number)) is not None:
                logger.warning("transcript version sealed twice; keeping the first",
                               extra={"recording_id": recording.id, "number": info.number})
                return None
            db.add(TranscriptVersion(
                recording_id=recording.id, number=info.number, kind=info.kind,
                author=info.author, reason=info.reason,
                parent_number=info.number - 1 if info.number > 1 else None,
                source_digest=digest, language=language[0], model_name=model[0],
                model_sha256=model[1], document_sha256=seal.sha256, objects=objects,
                log_index=seal.log_index, tree_head_id=seal.tree_head_id,
                line_count=len(lines), timestamp_at=seal.timestamp_at))
            current = db.get_one(Recording, recording.id)
            service.publish_lines(db, recording=current, lines=lines, version=info.number)
            hits = find_flags(lines, self.phrasebook) + missing_notices(
                lines, service.session_spans(db, recording=current), self.phrasebook,
                within_ms=self.settings.notice_within_s * 1000)
            service.publish_flags(db, recording=current, hits=hits, include_sessions=True)
            transcript.state = TranscriptState.COMPLETE.value
            transcript.current_version = info.number
            transcript.pending_digest = transcript.pending_since = None
            transcript.updated_at = now
        logger.info("transcript sealed", extra={"recording_id": recording.id,
                                                "version": info.number, "lines": len(lines)})
        return VersionOutcome(recording.id, info.number, seal.sha256, len(lines), len(hits))

    def _read_document(self, version: TranscriptVersion) -> dict[str, Any]:
        entry = version.objects["transcript.json"]
        data = self.archive.store.read_verified(entry["key"], version_id=entry["version_id"],
                                                sha256_hex=entry["sha256"])
        document: dict[str, Any] = json.loads(data)
        return document

    # -- 3. corrections ------------------------------------------------------------------

    def correct(self, recording_id: str, *, edits: Mapping[int, str], author: str,
                reason: str) -> VersionOutcome:
        """A person's correction: a new sealed version with a diff; the old one stays.

        Raises:
            TranscriptNotReadyError: no sealed version yet.
            CorrectionError: an edit does not fit the current version.
        """
        with self.archive.catalog.read() as db:
            transcript = service.get_transcript_or_raise(db, recording_id=recording_id)
            if transcript.current_version < 1:
                raise TranscriptNotReadyError(f"recording {recording_id} has no sealed "
                                              f"transcript to correct yet")
            current = service.get_version_or_raise(db, recording_id=recording_id)
            recording = db.get_one(Recording, recording_id)
        previous = self._read_document(current)
        old_lines = lines_from_document(previous)
        new_lines = apply_edits(old_lines, edits)
        number = current.number + 1
        diff = text_diff(old_lines, new_lines, old_label=f"version {current.number}",
                         new_label=f"version {number}")
        info = VersionInfo(number=number, kind="correction", created_at=self.clock(),
                           author=author, reason=reason, parent_sha256=current.document_sha256)
        sources = [SourceSegment(seq=s["seq"], sha256=s["sha256"],
                                 started_at=_parse_iso(s["started_at"]),
                                 ended_at=_parse_iso(s["ended_at"]), language=s["language"])
                   for s in previous["source"]["segments"]]
        outcome = self._seal_version(
            recording, info, new_lines, sources=sources, producer=previous["producer"],
            language=(previous["language"]["code"], previous["language"]["source"]),
            digest=current.source_digest, diff=diff,
            model=(current.model_name, current.model_sha256))
        if outcome is None:
            raise TranscriptNotReadyError(f"version {number} of {recording_id} was written by "
                                          f"someone else meanwhile; correct again",
                                          reason="conflict")
        return outcome

    # -- 4. after a phrase-list change ---------------------------------------------------

    def reflag(self, recording_id: str) -> int:
        """Raise the recording's flags again with the current phrase lists."""
        with self.archive.catalog.write() as db:
            transcript = service.get_transcript_or_raise(db, recording_id=recording_id)
            recording = db.get_one(Recording, recording_id)
            lines = service.visible_lines(db, recording_id=recording_id)
            hits = find_flags(lines, self.phrasebook)
            complete = transcript.state == TranscriptState.COMPLETE.value
            if complete:
                hits += missing_notices(lines, service.session_spans(db, recording=recording),
                                        self.phrasebook,
                                        within_ms=self.settings.notice_within_s * 1000)
            service.publish_flags(db, recording=recording, hits=hits, include_sessions=complete)
            return len(hits)

    # -- 5. work left behind -------------------------------------------------------------

    def overdue(self, *, now: datetime) -> tuple[list[tuple[str, int]], list[str]]:
        """Segments stored long ago without a result, and closed, fully transcribed
        recordings whose transcript nobody sealed (both: events lost with a dead worker)."""
        cutoff = now - timedelta(seconds=self.settings.sweep_after_s)
        with self.archive.catalog.read() as db:
            segments = [(rid, seq) for rid, seq in db.execute(
                select(Segment.recording_id, Segment.seq)
                .outerjoin(TranscriptChunk, (TranscriptChunk.recording_id == Segment.recording_id)
                           & (TranscriptChunk.seq == Segment.seq))
                .where(TranscriptChunk.id.is_(None), Segment.received_at < cutoff)
                .order_by(Segment.received_at).limit(1000))]
            untranscribed = select(Segment.id).outerjoin(TranscriptChunk, (
                TranscriptChunk.recording_id == Segment.recording_id) & (
                TranscriptChunk.seq == Segment.seq)).where(
                Segment.recording_id == Transcript.recording_id, TranscriptChunk.id.is_(None))
            closed = list(db.scalars(
                select(Transcript.recording_id)
                .join(Recording, Recording.id == Transcript.recording_id)
                .where(Recording.state == RecordingState.CLOSED,
                       Transcript.state != TranscriptState.COMPLETE.value,
                       Transcript.updated_at < cutoff, ~untranscribed.exists())
                .limit(1000)))
        return segments, closed


def producer_digest(identity: EngineIdentity) -> str:
    return hashlib.sha256(canonical_json(identity.as_manifest())).hexdigest()


def _model_of(producers: Mapping[str, Any]) -> tuple[str, str]:
    models = sorted({(p["model"]["name"], p["model"]["sha256"]) for p in producers.values()})
    if not models:
        return "", ""
    return (models[0] if len(models) == 1 else
            ("+".join(m[0] for m in models), models[-1][1]))


def _parse_iso(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
