"""Agent faults: SIGKILL mid-segment (with its ffmpeg, as a crash or power cut does), and a
restart with a backlog the archive has not confirmed."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archive.catalog.models import Gap, Segment
from tests.integration.recorder.conftest import ROOT, RecorderWorld, wait_until

TOLERANCE_S = 2.0
STARTUP_S = 20.0


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _ends_at_the_restart(gap: Gap, segments: list[Segment], restarted: float) -> None:
    """The gap ends exactly where the new process's first segment starts, which is after the
    restart by the agent's start-up (interpreter, probe, first keyframe; slower under load)."""
    first = min((s for s in segments if s.started_at >= gap.ended_at), key=lambda s: s.started_at)
    assert first.started_at == gap.ended_at
    assert _at(restarted) <= gap.ended_at <= _at(restarted + STARTUP_S)


@pytest.mark.parametrize("with_ffmpeg", [True, False], ids=["crash", "agent-only"])
def test_agent_killed_mid_segment_loses_at_most_a_second(world: RecorderWorld,
                                                        with_ffmpeg: bool) -> None:
    """crash: agent and ffmpeg SIGKILLed together (power cut, OOM kill of the service): the
    unfinished file is an orphan, kept as partial. agent-only: ffmpeg gets SIGTERM from the
    kernel (PR_SET_PDEATHSIG) and closes its segment, or, when its exit is cut short (its
    progress pipe is gone), leaves an orphan kept as partial; either way nothing is lost."""
    camera = world.camera()
    agent = world.agent([{"id": "cam1", "window_id": "wh-w1", "source": camera.url(),
                          "segment_s": 4}])
    wait_until(lambda: agent.confirmed_segments() >= 2, timeout=40, what="recording")
    # Kill about 2 s into a segment.
    closed = len(agent.segments())
    wait_until(lambda: len(agent.segments()) > closed, timeout=10, what="a segment close")
    time.sleep(2)
    killed = agent.kill_all() if with_ffmpeg else agent.kill()
    orphans = sorted(Path(agent.spool_dir, "media", "cam1").glob("run-*/seg-*.ts"))
    assert orphans, "the segment being written must be on disk"
    time.sleep(3)
    agent.start()
    restarted = time.time()
    wait_until(lambda: sum(1 for s in agent.segments()
                           if datetime.fromisoformat(s["started_at"]) > _at(restarted)) >= 2,
               timeout=40, what="recording after the restart")
    agent.stop()
    (rid,) = world.check_everything_arrived(agent)
    segments = world.archive_segments(rid)
    partial = [s for s in segments if s.partial]
    (gap,) = world.gaps(rid)
    assert gap.cause.value == "recorder_restarted"
    last = max((s for s in segments if s.ended_at <= gap.started_at), key=lambda s: s.ended_at)
    assert last.ended_at == gap.started_at
    if with_ffmpeg:
        assert partial == [last]
    else:
        assert partial in ([], [last])
    # At most 1 s of media lost: the last file holds everything up to the kill (ffmpeg
    # alone may write on for the moment it takes to close).
    assert (_at(killed) - last.ended_at).total_seconds() <= 1.0
    assert last.ended_at <= _at(killed + (0.2 if with_ffmpeg else 3.0))
    _ends_at_the_restart(gap, segments, restarted)
    assert not any(Path(agent.spool_dir, "media").rglob("*.ts")), "confirmed files deleted"


def test_agent_restarted_with_a_backlog_uploads_it_in_order(world: RecorderWorld) -> None:
    camera = world.camera()
    world.api.stop()
    cameras = [{"id": "cam1", "window_id": "wh-w1", "source": camera.url()}]
    agent = world.agent(cameras)
    wait_until(lambda: len(agent.segments()) >= 5, timeout=40, what="a backlog")
    stopping = time.time()
    agent.stop()  # SIGTERM: ffmpeg closes its segment, then a short grace for uploads
    stopped = time.time()
    backlog = agent.segments()
    assert backlog and all(s["state"] == "pending" for s in backlog)
    assert all(Path(s["path"]).exists() for s in backlog)
    down = subprocess.run([sys.executable, "-m", "archive", "recorder", "status", "--json",
                           "--config", str(agent.config_path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)
    assert down.returncode == 3, down.stderr
    report = json.loads(down.stdout)
    assert not report["running"] and "agent_down" in report["alerts"]
    assert report["cameras"][0]["backlog"]["segments"] == len(backlog)
    world.api.start()
    time.sleep(2)
    agent.start()
    restarted = time.time()
    wait_until(lambda: all(s["state"] == "confirmed" for s in agent.segments()[:len(backlog)]),
               timeout=60, what="the backlog")
    wait_until(lambda: sum(1 for s in agent.segments()
                           if datetime.fromisoformat(s["started_at"]) > _at(restarted)) >= 2,
               timeout=40, what="recording after the restart")
    agent.stop()
    (rid,) = world.check_everything_arrived(agent)
    segments = world.archive_segments(rid)
    # In order: the archive received them by sequence.
    assert [s.seq for s in sorted(segments, key=lambda s: s.received_at)] == \
        list(range(len(segments)))
    gaps = world.gaps(rid)
    assert [g.cause.value for g in gaps] == ["recorder_restarted"] * len(gaps)
    # One for this restart, one for the final stop of the test (the recording stays open).
    first = gaps[0]
    assert _at(stopping) <= first.started_at <= _at(stopped)
    _ends_at_the_restart(first, segments, restarted)
