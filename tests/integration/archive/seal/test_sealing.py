"""Seals when the TSA is down, sealing on schedule, and sealed derived documents."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive.catalog.models import Recording
from archive.devstack.ephemeral import EphemeralStack, free_port
from archive.evidence.errors import SigningUnavailableError
from archive.evidence.report import Report
from archive.evidence.vocabulary import SealState
from archive.ingest.importer import import_files
from archive.ingest.service import Actor
from archive.jobs import build_jobs
from archive.seal.sealer import recordings_due
from archive.services import Archive
from archive.settings import Settings
from archive.verify.documents import SealedDocument
from tests.support import bootstrap_tree, make_media

OPERATOR = Actor("operator:test", None)


def _state(archive: Archive, recording_id: str) -> SealState:
    with archive.catalog.read() as db:
        recording = db.get(Recording, recording_id)
        assert recording is not None
        return recording.seal_state


def test_tsa_down_leaves_awaiting_seal_and_the_job_seals_later(
    test_stack: EphemeralStack, settings: Settings, tmp_path: Path,
) -> None:
    dead_tsa = f"http://127.0.0.1:{free_port()}/"
    offline = Archive.from_settings(test_stack.settings(
        home=settings.home, catalog_url=settings.resolved_catalog_url, tsa_url=dead_tsa))
    offline.catalog.migrate()
    tree = bootstrap_tree(offline)
    clip = make_media(tmp_path / "a.ts", seconds=1)
    result = import_files(offline, [clip], actor=OPERATOR, window_id=tree.window_id,
                          case_number=None, stage=None, staff_id=None)
    assert result.sealed is False
    assert _state(offline, result.recording_id) is SealState.AWAITING_SEAL
    report = offline.verifier().verify_recording(result.recording_id)
    assert not report.ok
    assert any("awaiting" in c.detail for c in report.checks if not c.ok)
    with pytest.raises(SigningUnavailableError, match="got no timestamp from "):
        offline.sealer.seal_recording(result.recording_id, now=datetime.now(UTC))
    assert _state(offline, result.recording_id) is SealState.AWAITING_SEAL

    # The TSA is back: the worker's scheduled job finds the closed recording and seals it.
    online = Archive.from_settings(settings)
    jobs = build_jobs(settings, immediate=True, archive_factory=lambda: online)
    jobs.tasks["seal_due"]()
    assert _state(online, result.recording_id) is SealState.SEALED
    assert online.verifier().verify_recording(result.recording_id).ok
    offline.close()
    online.close()


def test_running_recordings_are_sealed_every_interval(archive: Archive, tmp_path: Path) -> None:
    from archive.evidence.vocabulary import RecordingOrigin
    from archive.ingest import service as ingest

    tree = bootstrap_tree(archive)
    started = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    rec = ingest.open_recording(archive.catalog, actor=OPERATOR, window_id=tree.window_id,
                                started_at=started, origin=RecordingOrigin.LIVE,
                                retention_days=180)
    data = b"segment" * 100
    digest = hashlib.sha256(data).hexdigest()
    import io

    ingest.put_segment(archive.catalog, archive.store, actor=OPERATOR, recording_id=rec.id,
                       meta=ingest.SegmentMeta(seq=0, sha256=digest, prev_hash=rec.chain_head,
                                               started_at=started,
                                               ended_at=started + timedelta(seconds=5),
                                               partial=False, content_type="video/mp2t"),
                       body=io.BytesIO(data), size=len(data), body_sha256=digest)
    with archive.catalog.read() as db:
        recording = db.get(Recording, rec.id)
        assert recording is not None
        created = recording.created_at
    interval = archive.settings.archive.seal_interval_s
    assert rec.id not in recordings_due(archive.catalog, now=created + timedelta(seconds=5),
                                        interval_s=interval)
    due_at = created + timedelta(seconds=interval)
    assert rec.id in recordings_due(archive.catalog, now=due_at, interval_s=interval)
    archive.sealer.seal_recording(rec.id, now=due_at)
    assert rec.id not in recordings_due(archive.catalog, now=due_at + timedelta(hours=1),
                                        interval_s=interval)
    assert archive.sealer.seal_recording(rec.id, now=due_at) is None  # nothing new: idempotent
    assert archive.verifier().verify_recording(rec.id).ok


def test_sealed_document_verifies_and_detects_other_bytes(archive: Archive) -> None:
    bootstrap_tree(archive)
    now = datetime.now(UTC)
    seal = archive.sealer.seal_document(kind="transcript", ref="r1/v1", prefix="docs/r1/v1",
                                        name="transcript", data=b'{"lines":[]}',
                                        retain_until=now + timedelta(days=1), now=now)
    verifier = archive.verifier()
    document = SealedDocument(kind="transcript", ref="r1/v1", name="transcript",
                              sha256=seal.sha256, objects=seal.objects,
                              log_index=seal.log_index, tree_head_id=seal.tree_head_id)
    report = Report(target="transcript r1/v1")
    assert verifier.verify_document(report, document) == {"lines": []}
    assert report.ok, report.to_json()

    other = replace(document, sha256=hashlib.sha256(b"other").hexdigest())
    report = Report(target="transcript r1/v1")
    verifier.verify_document(report, other)
    assert not report.ok
    assert {c.name for c in report.checks if not c.ok} == {"document hash", "log inclusion"}


def test_file_recorded_long_ago_is_imported_and_locked_from_now(archive: Archive,
                                                                tmp_path: Path) -> None:
    """A lock date in the past is refused by the store: old evidence counts from its import."""
    tree = bootstrap_tree(archive)
    two_years_ago = datetime.now(UTC) - timedelta(days=730)
    clip = make_media(tmp_path / "old.ts", seconds=1)
    result = import_files(archive, [clip], actor=OPERATOR, window_id=tree.window_id,
                          case_number="云援〔2024〕0001号", stage=None, staff_id=None,
                          started_at=two_years_ago)
    assert result.sealed
    with archive.catalog.read() as db:
        recording = db.get(Recording, result.recording_id)
        assert recording is not None
        assert recording.started_at == two_years_ago
        assert recording.retain_until >= datetime.now(UTC) + timedelta(days=179)
    assert archive.verifier().verify_recording(result.recording_id).ok
