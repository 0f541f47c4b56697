"""The asynchronous path: a real huey consumer with thread workers on SqliteHuey."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from archive.ingest.importer import import_files
from archive.ingest.service import Actor
from archive.jobs import Jobs, build_jobs
from archive.services import Archive
from archive.settings import Settings
from tests.integration.transcribe.conftest import Clip
from tests.support import bootstrap_tree
from transcribe.models import Transcript, TranscriptChunk
from transcribe.verify import verify_transcript

pytestmark = pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)


@pytest.fixture
def consumer(transcribing_settings: Settings, archive: Archive) -> Iterator[Jobs]:
    jobs = build_jobs(transcribing_settings, archive_factory=lambda: archive)
    worker = jobs.huey.create_consumer(workers=2, worker_type="thread", periodic=False,
                                       check_worker_health=False, initial_delay=0.1,
                                       max_delay=0.5)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    worker.start()  # threads; it also installs signal handlers, which we put back
    for signum, handler in handlers.items():
        signal.signal(signum, handler)
    try:
        yield jobs
    finally:
        worker.stop(graceful=True)


def test_segments_queued_by_an_import_are_transcribed_and_sealed_by_workers(
    archive: Archive, consumer: Jobs, hello: Clip, quiet: Clip
) -> None:
    tree = bootstrap_tree(archive)
    started = time.monotonic()
    result = import_files(archive, [hello.path, quiet.path, hello.path],
                          actor=Actor(id="operator:test", jurisdiction_id=None),
                          window_id=tree.window_id, case_number=None, stage=None, staff_id=None,
                          started_at=datetime(2026, 11, 3, 2, 0, tzinfo=UTC), jobs=consumer)
    assert result.sealed
    deadline = time.monotonic() + 120
    state = None
    while time.monotonic() < deadline:
        with archive.catalog.read() as db:
            transcript = db.get(Transcript, result.recording_id)
            state = transcript.state if transcript else None
        if state == "complete":
            break
        time.sleep(0.5)
    assert state == "complete", f"not sealed after {time.monotonic() - started:.0f} s"
    with archive.catalog.read() as db:
        chunks = list(db.scalars(select(TranscriptChunk).where(
            TranscriptChunk.recording_id == result.recording_id)))
    assert sorted(c.seq for c in chunks) == [0, 1, 2]
    assert [c.lines != [] for c in sorted(chunks, key=lambda c: c.seq)] == [True, False, True]
    assert verify_transcript(archive, result.recording_id).ok


def test_work_left_behind_by_a_dead_worker_is_found_and_done(
    archive: Archive, transcribing_settings: Settings, quiet: Clip
) -> None:
    """Events lost with a killed worker: the sweep finds the segments and the seal."""
    from datetime import timedelta

    from archive.settings import load_section
    from transcribe.jobs import build_pipeline
    from transcribe.settings import TranscribeSettings

    tree = bootstrap_tree(archive)
    result = import_files(archive, [quiet.path, quiet.path],
                          actor=Actor(id="operator:test", jurisdiction_id=None),
                          window_id=tree.window_id, case_number=None, stage=None, staff_id=None,
                          started_at=datetime(2026, 11, 3, 2, 0, tzinfo=UTC), jobs=None)
    pipeline = build_pipeline(archive, load_section(TranscribeSettings, transcribing_settings))
    now = datetime.now(UTC)
    assert pipeline.overdue(now=now) == ([], [])  # not overdue yet
    later = now + timedelta(seconds=pipeline.settings.sweep_after_s + 600)
    segments, closed = pipeline.overdue(now=later)
    assert segments == [(result.recording_id, 0), (result.recording_id, 1)] and closed == []
    for recording_id, seq in segments:
        pipeline.transcribe_segment(recording_id, seq)
    assert pipeline.overdue(now=later) == ([], [result.recording_id])
    version = pipeline.finalize(result.recording_id)
    assert version is not None and version.lines == 0  # silence: an empty, sealed transcript
    assert pipeline.overdue(now=later) == ([], [])
    assert verify_transcript(archive, result.recording_id).ok
