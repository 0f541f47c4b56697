"""Recordings ingested through the archive get sealed, searchable, flagged transcripts.

Real stack (SeaweedFS, TSA, SQLite and PostgreSQL), real `base` weights, espeak-ng speech.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from archive.access import people as access
from archive.evidence.vocabulary import Role
from archive.ingest.service import Actor
from archive.jobs import build_jobs
from archive.services import Archive
from archive.settings import Settings
from tests.integration.transcribe.conftest import Clip, English, Mandarin
from tests.support import Tree, Uploader, bootstrap_tree
from transcribe import service
from transcribe.engine import EngineResult, WhisperTranscriber
from transcribe.models import Transcript, TranscriptChunk, TranscriptFlag, TranscriptLine
from transcribe.script import to_simplified
from transcribe.search import SearchFilters, search_lines
from transcribe.verify import verify_transcript

START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def tree(archive: Archive) -> Tree:
    return bootstrap_tree(archive)


@pytest.fixture
def client(transcribing_settings: Settings, archive: Archive) -> Iterator[TestClient]:
    jobs = build_jobs(transcribing_settings, immediate=True, archive_factory=lambda: archive)
    with TestClient(create_app(transcribing_settings, archive=archive, jobs=jobs)) as client:
        yield client


def _token(archive: Archive, user: str, jurisdiction: str, role: Role) -> str:
    with archive.catalog.write() as db:
        access.create_user(db, id=user, name=user, role=role, jurisdiction_id=jurisdiction)
        return access.create_api_token(db, user_id=user)


def test_mandarin_recording_is_sealed_searchable_and_flagged(
    archive: Archive, client: TestClient, tree: Tree, mandarin: Mandarin
) -> None:
    up = Uploader(client, tree.token, tree.window_id, clock=START)
    up.open()
    for clip in mandarin.segments:
        assert up.put(clip.data, seconds=clip.seconds).status_code == 200
    r = client.post(f"/api/v1/ingest/recordings/{up.recording_id}/sessions",
                    headers=up.headers,
                    json={"started_at": START.isoformat(), "ended_at": up.clock.isoformat(),
                          "case_number": "云援〔2026〕0123号", "stage": "consultation",
                          "staff_id": "s-001"})
    assert r.status_code == 201, r.text
    session_id = r.json()["id"]
    assert up.close().status_code == 200  # no one asks for a transcript: the close seals it

    with archive.catalog.read() as db:
        transcript = db.get_one(Transcript, up.recording_id)
        chunks = {c.seq: c for c in db.scalars(select(TranscriptChunk).where(
            TranscriptChunk.recording_id == up.recording_id))}
        lines = service.visible_lines(db, recording_id=up.recording_id)
    assert transcript.state == "complete" and transcript.current_version == 1
    assert (transcript.language, transcript.language_source) == ("zh", "detected")
    assert sorted(chunks) == [0, 1, 2]
    assert chunks[2].lines == [] and chunks[2].speech_ms == 0  # silence gives no text
    text = "".join(line.text for line in lines)
    assert text and to_simplified(text) == text  # simplified script only
    assert "收费" in text

    report = verify_transcript(archive, up.recording_id)
    assert report.ok, report.to_json()

    # The fee question raised a money flag at the moment it was said.
    with archive.catalog.read() as db:
        flags = list(db.scalars(select(TranscriptFlag).where(
            TranscriptFlag.recording_id == up.recording_id)))
    money = [f for f in flags if f.kind == "money"]
    assert len(money) == 1 and money[0].phrase == "收费"
    assert abs(money[0].offset_ms / 1000 - mandarin.fee_at_s) < 1.0, money[0].offset_ms
    assert money[0].started_at == START + timedelta(milliseconds=money[0].offset_ms)
    # Nobody said the session is recorded.
    assert [(f.kind, f.session_id) for f in flags if f.phrase == ""] == [
        ("notice_missing", session_id)]

    # Search finds a two-character word and opens at its second, with the session's facts.
    supervisor = _token(archive, "sup-wh", "wh", Role.SUPERVISOR)
    r = client.get("/api/v1/search", params={"q": "收费", "reason_kind": "routine"},
                   headers={"Authorization": f"Bearer {supervisor}"})
    assert r.status_code == 200, r.text
    hits = r.json()["hits"]
    assert len(hits) == 1
    hit = hits[0]
    assert hit["open"]["recording_id"] == up.recording_id
    assert abs(hit["open"]["offset_s"] - mandarin.fee_at_s) < 1.0
    assert (hit["session_id"], hit["case_number"], hit["stage"], hit["staff_id"]) == (
        session_id, "云援〔2026〕0123号", "consultation", "s-001")
    assert hit["flags"] == ["money"] and hit["provisional"] is False
    with archive.catalog.read() as db:
        page = search_lines(db, query="法律", principal_path="/",
                            filters=SearchFilters(case_number="云援〔2026〕0123号"))
    assert [h.recording_id for h in page.hits] == [up.recording_id], [x.text for x in lines]
    assert page.hits[0].offset_ms < 3000

    # The other county's supervisor sees nothing; window staff may not search.
    other = _token(archive, "sup-gd", "gd", Role.SUPERVISOR)
    r = client.get("/api/v1/search", params={"q": "收费", "reason_kind": "routine"},
                   headers={"Authorization": f"Bearer {other}"})
    assert r.status_code == 200 and r.json()["hits"] == []
    staff = _token(archive, "staff-wh", "wh", Role.WINDOW_STAFF)
    r = client.get("/api/v1/search", params={"q": "收费", "reason_kind": "routine"},
                   headers={"Authorization": f"Bearer {staff}"})
    assert r.status_code == 403

    # The supervisors' queue puts the session first, with its flags.
    r = client.get("/api/v1/search/queue", headers={"Authorization": f"Bearer {supervisor}"})
    assert r.status_code == 200, r.text
    first = r.json()[0]
    assert first["session_id"] == session_id
    assert first["flags"] == {"money": 1, "notice_missing": 1}


def _wer(reference: str, hypothesis: str) -> float:
    ref = re.findall(r"[a-z']+", reference.lower())
    hyp = re.findall(r"[a-z']+", hypothesis.lower())
    d = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        prev, d[0] = d[0], i
        for j, h in enumerate(hyp, start=1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (r != h))
    return d[len(hyp)] / len(ref)


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_english_import_is_accurate_and_stitched_across_segments(
    archive: Archive, transcribing_settings: Settings, tree: Tree, english: English
) -> None:
    from archive.ingest.importer import import_files

    jobs = build_jobs(transcribing_settings, immediate=True, archive_factory=lambda: archive)
    result = import_files(archive, [c.path for c in english.segments],
                          actor=Actor(id="operator:test", jurisdiction_id=None),
                          window_id=tree.window_id, case_number=None, stage=None,
                          staff_id=None, started_at=START, jobs=jobs)
    with archive.catalog.read() as db:
        transcript = db.get_one(Transcript, result.recording_id)
        lines = service.visible_lines(db, recording_id=result.recording_id)
        flags = list(db.scalars(select(TranscriptFlag).where(
            TranscriptFlag.recording_id == result.recording_id)))
    assert transcript.current_version == 1 and transcript.language == "en"
    text = " ".join(line.text for line in lines)
    # base on espeak speech: 0 errors uncut; the cut inside a phrase costs ~13 % here.
    assert _wer(english.script, text) <= 0.2, text
    boundary_ms = round(english.segments[0].seconds * 1000)
    across = [line for line in lines if line.offset_ms < boundary_ms < line.end_offset_ms]
    assert across, [(line.offset_ms, line.end_offset_ms, line.text) for line in lines]
    assert all(a.offset_ms <= b.offset_ms for a, b in itertools.pairwise(lines))
    refusal = [f for f in flags if f.kind == "refusal"]
    assert [f.phrase for f in refusal] == ["come back next time"]
    assert abs(refusal[0].offset_ms / 1000 - english.refusal_at_s) < 1.0
    assert not [f for f in flags if f.kind == "notice_missing"]  # "this session is recorded"
    assert verify_transcript(archive, result.recording_id).ok


def _lines_count(archive: Archive, recording_id: str) -> int:
    with archive.catalog.read() as db:
        return int(db.scalar(select(func.count()).select_from(TranscriptLine).where(
            TranscriptLine.recording_id == recording_id)) or 0)


def test_failed_job_is_retried_and_never_half_visible_then_corrected(
    archive: Archive, transcribing_settings: Settings, tree: Tree, hello: Clip, quiet: Clip,
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from archive.catalog.models import Window
    from archive.evidence.vocabulary import RecordingOrigin
    from archive.ingest import service as ingest

    with archive.catalog.write() as db:
        db.get_one(Window, tree.window_id).language = "en"  # the window's language wins
    jobs = build_jobs(transcribing_settings, immediate=True, archive_factory=lambda: archive)
    actor = Actor(id="operator:test", jurisdiction_id=None)
    recording = ingest.open_recording(archive.catalog, actor=actor, window_id=tree.window_id,
                                      started_at=START, origin=RecordingOrigin.IMPORT,
                                      retention_days=180)
    real_publish = service.publish_flags
    failures: list[int] = []

    def publish_then_fail(*args: object, **kwargs: object) -> None:
        real_publish(*args, **kwargs)  # type: ignore[arg-type]
        if not failures:
            failures.append(_lines_count(archive, recording.id))  # from another connection
            raise RuntimeError("worker lost its database connection")

    monkeypatch.setattr(service, "publish_flags", publish_then_fail)
    prev, moment = recording.chain_head, START
    from archive.evidence.digest import sha256_file

    for seq, clip in enumerate((hello, quiet)):
        sha, size = sha256_file(clip.path)
        meta = ingest.SegmentMeta(seq=seq, sha256=sha, prev_hash=prev, started_at=moment,
                                  ended_at=moment + timedelta(seconds=clip.seconds),
                                  partial=False, content_type="video/mp2t")
        with clip.path.open("rb") as body:
            stored = ingest.put_segment(archive.catalog, archive.store, actor=actor,
                                        recording_id=recording.id, meta=meta, body=body,
                                        size=size, body_sha256=sha)
        prev, moment = stored.chain_hash, meta.ended_at
        jobs.emit("segment_stored", recording.id, seq)
    assert failures == [0]  # while the failing job ran, nothing of it was visible
    with archive.catalog.read() as db:
        chunks = list(db.scalars(select(TranscriptChunk).where(
            TranscriptChunk.recording_id == recording.id)))
        transcript = db.get_one(Transcript, recording.id)
    assert sorted(c.seq for c in chunks) == [0, 1]  # the retry succeeded, once
    assert (transcript.language, transcript.language_source) == ("en", "window")
    lines_before = _lines_count(archive, recording.id)
    assert lines_before >= 1

    # Transcribing a segment again changes nothing.
    jobs.emit("segment_stored", recording.id, 0)
    with archive.catalog.read() as db:
        again = list(db.scalars(select(TranscriptChunk).where(
            TranscriptChunk.recording_id == recording.id)))
    assert [(c.id, c.created_at) for c in again] == [(c.id, c.created_at) for c in chunks]
    assert _lines_count(archive, recording.id) == lines_before

    ingest.close_recording(archive.catalog, actor=actor, recording_id=recording.id,
                           ended_at=moment)
    jobs.emit("recording_closed", recording.id)
    jobs.emit("recording_closed", recording.id)  # twice: still one version
    with archive.catalog.read() as db:
        versions = service.list_versions(db, recording_id=recording.id)
    assert [v.number for v in versions] == [1]

    # A person's correction is a new sealed version with a diff; version 1 stays as it was.
    from archive.settings import load_section
    from transcribe.jobs import build_pipeline
    from transcribe.settings import TranscribeSettings

    pipeline = build_pipeline(archive, load_section(TranscribeSettings, transcribing_settings))
    outcome = pipeline.correct(recording.id, edits={1: "Hello, how may I help you today?"},
                               author="sup-wh", reason="misheard")
    assert outcome.number == 2
    with archive.catalog.read() as db:
        versions = service.list_versions(db, recording_id=recording.id)
        page = search_lines(db, query="may", principal_path="/")
    assert [(v.number, v.kind, v.parent_number) for v in versions] == [
        (1, "machine", None), (2, "correction", 1)]
    document = pipeline._read_document(versions[1])
    assert document["version"]["parent_sha256"] == versions[0].document_sha256
    assert any(row.startswith("+[") and "may I help" in row for row in document["diff"])
    assert [h.recording_id for h in page.hits] == [recording.id]
    assert verify_transcript(archive, recording.id, number=1).ok
    assert verify_transcript(archive, recording.id, number=2).ok


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_language_fixed_meanwhile_by_another_worker_is_followed(
    archive: Archive, transcribing_settings: Settings, tree: Tree, hello: Clip,
    engine: WhisperTranscriber
) -> None:
    """Two workers detect at once; the first to commit fixes the recording's language and
    the other redoes its segment in that language."""
    from archive.ingest.importer import import_files
    from archive.settings import load_section
    from transcribe.jobs import build_pipeline
    from transcribe.settings import TranscribeSettings

    result = import_files(archive, [hello.path],
                          actor=Actor(id="operator:t", jurisdiction_id=None),
                          window_id=tree.window_id, case_number=None, stage=None,
                          staff_id=None, started_at=START, jobs=None)
    service.ensure_transcript(archive.catalog, recording_id=result.recording_id,
                              window_id=tree.window_id)
    languages: list[str | None] = []

    class Racing:
        """The real engine; during its first call another worker fixes the language."""

        identity = engine.identity

        def transcribe(self, audio: bytes, *, language: str | None) -> EngineResult:
            languages.append(language)
            if len(languages) == 1:
                with archive.catalog.write() as db:
                    transcript = db.get_one(Transcript, result.recording_id)
                    transcript.language, transcript.language_source = "zh", "detected"
            return engine.transcribe(audio, language=language)

    pipeline = build_pipeline(archive, load_section(TranscribeSettings, transcribing_settings),
                              transcriber=lambda: Racing())  # type: ignore[arg-type,return-value]
    outcome = pipeline.transcribe_segment(result.recording_id, 0)
    assert languages == [None, "zh"]
    assert outcome.language == "zh"
    with archive.catalog.read() as db:
        (chunk,) = db.scalars(select(TranscriptChunk).where(
            TranscriptChunk.recording_id == result.recording_id))
    assert chunk.language == "zh" and not chunk.detected
