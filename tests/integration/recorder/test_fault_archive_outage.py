"""The archive down for 5 minutes while recording goes on: nothing lost, no gap, the backlog
uploaded in order once it is back. AIDREC_TEST_ARCHIVE_OUTAGE_S shortens it for local runs;
`make test` runs the full 300 s."""

from __future__ import annotations

import os
import time
from pathlib import Path

from recorder.control import call, read_control_file, read_secret
from tests.integration.recorder.conftest import RecorderWorld, wait_until

OUTAGE_S = float(os.environ.get("AIDREC_TEST_ARCHIVE_OUTAGE_S", "300"))


def test_archive_down_for_five_minutes_loses_nothing(world: RecorderWorld) -> None:
    camera = world.camera()
    agent = world.agent([{"id": "cam1", "window_id": "wh-w1", "source": camera.url()}])
    wait_until(lambda: agent.confirmed_segments() >= 2, timeout=40, what="recording")
    world.api.stop()
    down_at = time.time()
    confirmed_before = agent.confirmed_segments()
    time.sleep(OUTAGE_S / 2)
    found = read_control_file(agent.spool_dir)
    secret = read_secret(Path(found["secret_file"]))
    status = call(found["url"], "GET", "/status", secret=secret, timeout_s=5)["cameras"][0]
    assert status["recording"] and status["backlog"]["segments"] >= OUTAGE_S / 2 / 2 - 3
    assert status["upload_error"]
    time.sleep(max(0.0, OUTAGE_S - (time.time() - down_at)))
    spooled = len(agent.segments())
    assert agent.confirmed_segments() == confirmed_before
    assert spooled - confirmed_before >= OUTAGE_S / 2 - 5  # 2 s segments kept recording
    world.api.start()
    back_at = time.time()
    wait_until(lambda: agent.confirmed_segments() >= spooled, timeout=120,
               what="the backlog to upload")
    caught_up_s = time.time() - back_at
    agent.stop()
    (rid,) = world.check_everything_arrived(agent)
    assert world.gaps(rid) == []
    segments = world.archive_segments(rid)
    assert [s.seq for s in sorted(segments, key=lambda s: s.received_at)] == \
        list(range(len(segments)))
    assert caught_up_s < 60, f"backlog of {spooled} segments took {caught_up_s:.0f} s"
