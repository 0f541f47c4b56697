"""Upload lanes against an in-memory archive: order, retries, lost answers, refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive.evidence.vocabulary import GapCause
from recorder.errors import ArchiveRejectedError, ArchiveUnavailableError
from recorder.outage import GapRecord
from recorder.spool import ItemKind, ItemState, Spool, seal_file
from recorder.uploader import UploadLane
from tests.unit.recorder.fakes import FakeArchive, FakeClock

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def _setup(tmp_path: Path) -> tuple[Spool, FakeArchive, UploadLane, Path]:
    spool = Spool(tmp_path)
    archive = FakeArchive()
    lane = UploadLane(camera_id="cam1", spool=spool, archive=archive, clock=FakeClock(T0),
                      backoff_initial_s=0.1, backoff_max_s=1)
    rec = spool.open_recording(camera_id="cam1", window_id="w1", block_start=T0,
                               block_end=None, now=T0)
    run = spool.new_run(rec, now=T0)
    return spool, archive, lane, run.dir


def _add(spool: Spool, run_dir: Path, n: int, data: bytes) -> Path:
    path = run_dir / f"seg-{n:06d}.ts"
    path.write_bytes(data)
    sha, size = seal_file(path)
    rec = spool.current_recording("cam1")
    assert rec is not None
    spool.add_segment(rec=rec, run_id=int(run_dir.name[4:]), path=path, sha256=sha, size=size,
                      started_at=T0 + timedelta(seconds=2 * n),
                      ended_at=T0 + timedelta(seconds=2 * n + 2), partial=False, closed_at=0,
                      now=T0)
    return path


def _drain(lane: UploadLane) -> None:
    while lane.step():
        pass


def test_items_go_in_order_and_files_go_after_confirmation(tmp_path: Path) -> None:
    spool, archive, lane, run_dir = _setup(tmp_path)
    assert not lane.step()  # the opening waits for the recording's start
    paths = [_add(spool, run_dir, n, f"seg{n}".encode()) for n in range(3)]
    rec = spool.current_recording("cam1")
    assert rec is not None
    spool.add_gap(rec, GapRecord(T0, T0, GapCause.CAMERA_UNREACHABLE, "x"), now=T0, outage=None)
    _drain(lane)
    assert archive.calls == ["open", "segment", "segment", "segment", "gap"]
    stored = archive.recordings["r1"]["segments"]
    assert [s["sha256"] for s in stored] == [i.sha256 for i in spool.segments()]
    assert not any(p.exists() for p in paths)
    assert spool.pending_items("cam1") == 0


def test_archive_down_keeps_everything_then_resumes(tmp_path: Path) -> None:
    spool, archive, lane, run_dir = _setup(tmp_path)
    path = _add(spool, run_dir, 0, b"zero")
    archive.down = True
    with pytest.raises(ArchiveUnavailableError, match="archive down"):
        lane.step()
    assert path.exists() and spool.next_item("cam1") is not None
    assert spool.next_item("cam1").attempts == 1  # type: ignore[union-attr]
    archive.down = False
    _drain(lane)
    assert not path.exists() and len(archive.recordings) == 1


def test_lost_answers_create_no_twin_and_repeat_as_confirmation(tmp_path: Path) -> None:
    spool, archive, lane, run_dir = _setup(tmp_path)
    _add(spool, run_dir, 0, b"zero")
    archive.lose_next_answer = True
    with pytest.raises(ArchiveUnavailableError, match="answer lost"):
        lane.step()  # the archive opened it, the answer was lost
    lane.step()
    assert len(archive.recordings) == 1 and "find" in archive.calls
    archive.lose_next_answer = True
    with pytest.raises(ArchiveUnavailableError, match="answer lost"):
        lane.step()  # the segment was stored, the answer was lost
    assert lane.step()  # the repeat answers created=false with the same hash
    assert spool.segments()[0].state is ItemState.CONFIRMED
    assert len(archive.recordings["r1"]["segments"]) == 1


def test_refused_media_blocks_and_is_never_dropped(tmp_path: Path) -> None:
    spool, _archive, lane, run_dir = _setup(tmp_path)
    path = _add(spool, run_dir, 0, b"zero")
    path.write_bytes(b"changed after hashing")
    assert lane.step()  # the opening
    for _ in range(2):
        with pytest.raises(ArchiveRejectedError, match="digest mismatch"):
            lane.step()
    item = spool.segments()[0]
    assert item.state is ItemState.PENDING and path.exists()
    assert lane.status.blocked_reason is not None


def test_refused_metadata_is_set_aside(tmp_path: Path) -> None:
    spool, archive, lane, run_dir = _setup(tmp_path)
    _add(spool, run_dir, 0, b"zero")
    rec = spool.current_recording("cam1")
    assert rec is not None
    spool.add_item(camera_id="cam1", recording_id=rec.id, kind=ItemKind.MARKER,
                   payload={"at": T0.isoformat(), "label": "x"}, now=T0)
    _add(spool, run_dir, 1, b"one")

    def refuse(recording_id: str, body: dict[str, object]) -> str:
        raise ArchiveRejectedError("bad label", reason="bad_label", status=400)

    archive.add_marker = refuse  # type: ignore[method-assign]
    _drain(lane)
    states = [(i.kind, i.state) for i in spool.items()]
    assert (ItemKind.MARKER, ItemState.REJECTED) in states
    assert len(archive.recordings["r1"]["segments"]) == 2
