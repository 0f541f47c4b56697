"""Camera faults injected by pid: killed and restarted, frozen longer than the socket timeout.

Each outage must be exactly one gap with the right cause, starting within 2 s of the fault
and ending where media is back; every closed segment must reach the archive with its hash
and an unbroken chain.
"""

from __future__ import annotations

import os
import signal
import time
from datetime import UTC, datetime

from tests.integration.recorder.conftest import RecorderWorld, wait_until

TOLERANCE_S = 2.0


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _segments_after(agent: object, moment: float) -> int:
    rows = agent.segments()  # type: ignore[attr-defined]
    return sum(1 for s in rows if datetime.fromisoformat(s["started_at"]) > _at(moment))


def test_camera_killed_and_restarted_is_one_camera_unreachable_gap(
        world: RecorderWorld) -> None:
    camera = world.camera()
    agent = world.agent([{"id": "cam1", "window_id": "wh-w1", "source": camera.url()}])
    wait_until(lambda: agent.confirmed_segments() >= 2, timeout=40, what="recording")
    killed = camera.kill()
    time.sleep(6)
    camera.start()
    back = time.time()
    wait_until(lambda: _segments_after(agent, back) >= 2, timeout=40, what="media back")
    agent.stop()
    (rid,) = world.check_everything_arrived(agent)
    (gap,) = world.gaps(rid)
    assert gap.cause.value == "camera_unreachable", gap.detail
    assert abs((gap.started_at - _at(killed)).total_seconds()) <= TOLERANCE_S
    # The gap ends where the first segment after the restart starts...
    segments = world.archive_segments(rid)
    first_back = min((s for s in segments if s.started_at >= gap.ended_at),
                     key=lambda s: s.started_at)
    assert first_back.started_at == gap.ended_at
    # ...which is within 2 s of the camera answering again, plus the restart backoff the agent
    # may be waiting out at that moment (at most 1 s in these tests).
    assert -TOLERANCE_S <= (gap.ended_at - _at(back)).total_seconds() <= TOLERANCE_S + 1.0
    last_before = max((s for s in segments if s.ended_at <= gap.started_at),
                      key=lambda s: s.ended_at)
    assert last_before.ended_at == gap.started_at


def test_camera_frozen_longer_than_the_timeout_is_one_stream_stalled_gap(
        world: RecorderWorld) -> None:
    camera = world.camera()
    agent = world.agent([{"id": "cam1", "window_id": "wh-w1", "source": camera.url()}])
    wait_until(lambda: agent.confirmed_segments() >= 2, timeout=40, what="recording")
    frozen = time.time()
    os.kill(camera.pid, signal.SIGSTOP)  # a pulled cable: the socket stays open
    time.sleep(10)  # 5x the 2 s socket timeout: ffmpeg gives up after ~2x
    os.kill(camera.pid, signal.SIGCONT)
    thawed = time.time()
    wait_until(lambda: _segments_after(agent, thawed) >= 2, timeout=40, what="media back")
    agent.stop()
    (rid,) = world.check_everything_arrived(agent)
    (gap,) = world.gaps(rid)
    assert gap.cause.value == "stream_stalled", gap.detail
    assert abs((gap.started_at - _at(frozen)).total_seconds()) <= TOLERANCE_S
    assert -TOLERANCE_S <= (gap.ended_at - _at(thawed)).total_seconds() <= TOLERANCE_S
