"""A camera's recordings, outages and gaps, driven by hand: no ffmpeg, a frozen clock."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from archive.evidence.vocabulary import GapCause
from recorder.camera import CameraRecorder
from recorder.config import CameraConfig
from recorder.errors import ControlError, ProbeError
from recorder.outage import StopReason
from recorder.segments import ListEntry
from recorder.spool import ItemKind, RunRow, Spool
from recorder.supervisor import RunEnd
from tests.unit.recorder.fakes import FakeClock

# Monday 2026-11-02 08:30 in Shanghai.
OPEN = datetime(2026, 11, 2, 0, 30, tzinfo=UTC)
HOURS = {"mode": "hours", "hours": ["mon-fri 08:30-12:00"]}


class Rig:
    """A camera with a real spool and a hand-driven ffmpeg."""

    def __init__(self, tmp: Path, schedule: dict[str, Any], now: datetime = OPEN) -> None:
        self.clock = FakeClock(now)
        self.spool = Spool(tmp / "spool")
        self.full = False
        camera = CameraConfig.model_validate({"id": "cam1", "window_id": "w1",
                                              "source": "rtsp://c/1", "segment_s": 2,
                                              "socket_timeout_s": 2, "schedule": schedule})
        self.cam = CameraRecorder(camera=camera, spool=self.spool, clock=self.clock,
                                  disk_full=lambda: self.full, wake_uploader=lambda: None)
        self.run: RunRow | None = None
        self.offset = 0.0

    def start_run(self) -> RunRow:
        assert self.cam.tick() is None
        rec = self.spool.current_recording("cam1")
        assert rec is not None
        self.run = self.spool.new_run(rec, now=self.clock.now())
        self.cam.run_started(self.run, pid=os.getpid())
        self.offset = 0.0
        return self.run

    def segment(self, seconds: float = 2.0) -> None:
        """ffmpeg closes a segment `seconds` long, ending now + seconds."""
        assert self.run is not None
        self.clock.advance(seconds)
        name = f"seg-{int(self.offset // 2):06d}.ts"
        path = self.run.dir / name
        path.write_bytes(os.urandom(64))
        mtime = self.clock.now().timestamp()
        os.utime(path, (mtime, mtime))
        self.cam.segment_closed(self.run, ListEntry(name, self.offset, self.offset + seconds))
        self.offset += seconds

    def end_run(self, stop: StopReason | None = None, tail: list[str] | None = None,
                growth: float = 0.05, media: bool = True) -> None:
        assert self.run is not None
        self.cam.run_ended(self.run, RunEnd(returncode=0, stop_reason=stop,
                                            tail=tail or ["Connection refused"],
                                            seconds_since_growth=growth, had_media=media))
        self.run = None

    def items(self, kind: ItemKind) -> list[Any]:
        return [i for i in self.spool.items() if i.kind is kind]


def test_camera_lost_and_back_is_one_gap_between_the_segments(tmp_path: Path) -> None:
    rig = Rig(tmp_path, HOURS)
    rig.start_run()
    rig.segment()
    rig.segment()
    last_end = rig.clock.now()
    rig.end_run(tail=["rtsp://u:secret@c/1: Connection refused"])
    rec = rig.spool.current_recording("cam1")
    assert rec is not None and rec.outage is not None
    assert rec.outage.started_at == last_end and rec.outage.cause is GapCause.CAMERA_UNREACHABLE
    assert "secret" not in rec.outage.detail
    rig.clock.advance(5)
    rig.cam.start_failed(ProbeError("Connection refused"))  # still down: same outage
    rig.clock.advance(3)
    rig.start_run()
    rig.segment()
    (gap,) = rig.items(ItemKind.GAP)
    assert gap.payload["cause"] == "camera_unreachable"
    assert datetime.fromisoformat(gap.payload["started_at"]) == last_end
    first_back = rig.items(ItemKind.SEGMENT)[-1]
    assert datetime.fromisoformat(gap.payload["ended_at"]) == first_back.started_at
    assert [s.seq for s in rig.items(ItemKind.SEGMENT)] == [0, 1, 2]
    rec = rig.spool.current_recording("cam1")
    assert rec is not None and rec.outage is None


def test_camera_down_at_opening_starts_the_recording_with_a_gap(tmp_path: Path) -> None:
    rig = Rig(tmp_path, HOURS)
    assert rig.cam.tick() is None
    rig.cam.start_failed(ProbeError("Connection refused"))
    rec = rig.spool.current_recording("cam1")
    assert rec is not None and rec.started_at == OPEN
    rig.clock.advance(10)
    rig.start_run()
    rig.segment()
    (gap,) = rig.items(ItemKind.GAP)
    assert gap.payload["started_at"] == OPEN.isoformat()


def test_stall_is_classified_and_survives_restarts(tmp_path: Path) -> None:
    rig = Rig(tmp_path, HOURS)
    rig.start_run()
    rig.segment()
    rig.end_run(tail=["Connection timed out"], growth=4.1)
    rig.clock.advance(2)
    rig.cam.start_failed(ProbeError("Invalid data found when processing input"))
    rig.start_run()
    rig.segment()
    (gap,) = rig.items(ItemKind.GAP)
    assert gap.payload["cause"] == "stream_stalled"


def test_block_end_closes_the_recording_and_the_next_block_opens_another(
        tmp_path: Path) -> None:
    rig = Rig(tmp_path, HOURS, now=datetime(2026, 11, 2, 3, 59, 56, tzinfo=UTC))
    rig.start_run()
    rig.segment()
    rig.segment()
    assert rig.cam.tick() is StopReason.SCHEDULE  # 12:00: stop ffmpeg first
    rig.end_run(stop=StopReason.SCHEDULE)
    assert rig.cam.tick() is StopReason.SCHEDULE
    (close,) = rig.items(ItemKind.CLOSE)
    assert close.payload["ended_at"] == rig.clock.now().isoformat()
    assert rig.items(ItemKind.GAP) == []
    rig.clock.advance(20 * 3600 + 29 * 60 + 58)  # Tuesday 08:29:58
    assert rig.cam.tick() is StopReason.SCHEDULE
    rig.clock.advance(3)
    assert rig.cam.tick() is None
    assert len(rig.spool.recordings("cam1")) == 2


def test_block_end_during_an_outage_ends_the_gap_at_closing_time(tmp_path: Path) -> None:
    rig = Rig(tmp_path, HOURS, now=datetime(2026, 11, 2, 3, 59, 50, tzinfo=UTC))
    rig.start_run()
    rig.segment()
    rig.end_run()
    rig.clock.advance(30)
    rig.cam.tick()
    (gap,) = rig.items(ItemKind.GAP)
    assert gap.payload["ended_at"] == datetime(2026, 11, 2, 4, 0, tzinfo=UTC).isoformat()
    assert rig.items(ItemKind.CLOSE)[0].payload["ended_at"] == gap.payload["ended_at"]


def test_stop_needs_a_person_and_becomes_their_gap(tmp_path: Path) -> None:
    rig = Rig(tmp_path, HOURS)
    rig.start_run()
    rig.segment()
    with pytest.raises(ControlError, match="person"):
        rig.cam.stop_by_person(person="", reason="x")
    rig.cam.stop_by_person(person="张三", reason="更换摄像头")
    assert rig.cam.tick() is StopReason.PERSON
    rig.end_run(stop=StopReason.PERSON)
    rig.clock.advance(60)
    assert rig.cam.tick() is StopReason.PERSON
    assert rig.cam.resume()
    rig.start_run()
    rig.segment()
    (gap,) = rig.items(ItemKind.GAP)
    assert gap.payload["cause"] == "stopped_by_person"
    assert gap.payload["person"] == "张三" and "更换摄像头" in gap.payload["detail"]


def test_disk_full_stops_taking_media(tmp_path: Path) -> None:
    rig = Rig(tmp_path, HOURS)
    rig.start_run()
    rig.segment()
    rig.full = True
    assert rig.cam.tick() is StopReason.DISK_FULL
    rig.end_run(stop=StopReason.DISK_FULL)
    rig.clock.advance(20)
    rig.full = False
    rig.start_run()
    rig.segment()
    (gap,) = rig.items(ItemKind.GAP)
    assert gap.payload["cause"] == "disk_full"


def test_orphans_are_kept_as_partial(tmp_path: Path) -> None:
    rig = Rig(tmp_path, HOURS)
    run = rig.start_run()
    rig.segment()
    orphan = run.dir / "seg-000001.ts"
    orphan.write_bytes(b"half a segment")
    (run.dir / "seg-000002.ts").write_bytes(b"")  # opened, never written
    rig.clock.advance(1.2)
    os.utime(orphan, (rig.clock.now().timestamp(),) * 2)
    rig.end_run()
    first, partial = rig.items(ItemKind.SEGMENT)
    assert partial.partial and not first.partial
    assert partial.started_at == first.ended_at
    assert partial.ended_at == rig.clock.now()
    assert not (run.dir / "seg-000002.ts").exists()


def test_recover_after_a_crash(tmp_path: Path) -> None:
    rig = Rig(tmp_path, HOURS)
    run = rig.start_run()
    rig.segment()
    # The agent dies: a listed segment it never spooled, and an orphan.
    (run.dir / "seg-000001.ts").write_bytes(b"listed")
    os.utime(run.dir / "seg-000001.ts", (rig.clock.now().timestamp() + 2,) * 2)
    (run.dir / "segments.csv").write_text("seg-000000.ts,0.0,2.0\nseg-000001.ts,2.0,4.0\n")
    (run.dir / "seg-000002.ts").write_bytes(b"orphan")
    rig.clock.advance(10)
    again = CameraRecorder(camera=rig.cam.camera, spool=rig.spool, clock=rig.clock,
                           disk_full=lambda: False, wake_uploader=lambda: None)
    again.recover()
    segments = rig.items(ItemKind.SEGMENT)
    assert [(s.seq, s.partial) for s in segments] == [(0, False), (1, False), (2, True)]
    rec = rig.spool.current_recording("cam1")
    assert rec is not None and rec.outage is not None
    assert rec.outage.cause is GapCause.RECORDER_RESTARTED
    assert rig.spool.running_runs("cam1") == []


def test_on_demand_interview_starts_and_ends_the_recording(tmp_path: Path) -> None:
    rig = Rig(tmp_path, {"mode": "on_demand"})
    assert rig.cam.tick() is StopReason.SCHEDULE
    rig.cam.open_session(case_number="云援〔2026〕0123号", stage="handling", staff_id="s1",
                         attributes={})
    rig.start_run()
    rig.segment()
    rig.cam.add_marker("出示证件")
    ended = rig.cam.end_session()
    assert len(ended) == 1
    assert rig.cam.tick() is StopReason.SCHEDULE
    rig.end_run(stop=StopReason.SCHEDULE)
    rig.cam.tick()
    kinds = [i.kind for i in rig.spool.items()]
    assert kinds == [ItemKind.OPEN, ItemKind.SESSION, ItemKind.SEGMENT, ItemKind.MARKER,
                     ItemKind.SESSION_END, ItemKind.CLOSE]


def test_tagging_outside_opening_hours_is_refused(tmp_path: Path) -> None:
    rig = Rig(tmp_path, HOURS, now=datetime(2026, 11, 2, 12, 0, tzinfo=UTC))
    with pytest.raises(ControlError, match="not recording"):
        rig.cam.open_session(case_number=None, stage=None, staff_id=None, attributes={})


def test_always_rolls_over_at_midnight_without_a_restart(tmp_path: Path) -> None:
    # 23:59:57 in Shanghai.
    rig = Rig(tmp_path, {"mode": "always"}, now=datetime(2026, 11, 2, 15, 59, 57, tzinfo=UTC))
    rig.start_run()
    rig.segment()  # ends 23:59:59
    rig.segment()  # starts 23:59:59: still the old day
    rig.segment()  # starts 00:00:01: the new day's recording
    first, second = rig.spool.recordings("cam1")
    assert first.state == "closed" and second.state == "open"
    assert second.started_at == first.ended_at
    assert [s.seq for s in rig.items(ItemKind.SEGMENT)] == [0, 1, 0]
