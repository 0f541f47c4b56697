"""Spool disk full: the agent alerts and stops taking media, deletes nothing unconfirmed, and
resumes once uploads have freed space; the pause is one disk_full gap.

The spool is a real 16 MiB tmpfs where mounting is allowed (root); elsewhere the agent's
max_spool_bytes quota stands in for the small disk.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from recorder.control import call, read_control_file, read_secret
from tests.integration.recorder.conftest import RecorderWorld, wait_until

MiB = 1024 * 1024


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    spool = tmp_path / "small-spool"
    spool.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(spool)],
                             capture_output=True, check=False).returncode == 0
    if mounted:
        limits = {"min_free_bytes": 6 * MiB, "resume_margin_bytes": 3 * MiB}
    else:
        limits = {"max_spool_bytes": 5 * MiB, "resume_margin_bytes": 2 * MiB}
    try:
        yield spool, limits
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(spool)], check=False)


def _status(spool: Path) -> dict[str, Any]:
    try:
        found = read_control_file(spool)
        secret = read_secret(Path(found["secret_file"]))
        data: dict[str, Any] = call(found["url"], "GET", "/status", secret=secret,
                                    timeout_s=5)
        return data
    except Exception:
        return {}


def test_spool_disk_full_stops_media_and_loses_nothing(
        world: RecorderWorld, small_disk: tuple[Path, dict[str, Any]]) -> None:
    spool, limits = small_disk
    camera = world.camera("--pattern", "snow", "--bitrate", "3000")
    world.api.stop()  # nothing is confirmed: the backlog fills the disk
    agent = world.agent([{"id": "cam1", "window_id": "wh-w1", "source": camera.url()}],
                        spool_dir=spool, **limits)
    wait_until(lambda: _status(spool).get("disk", {}).get("full"), timeout=90,
               what="the disk to fill")
    assert "disk_full" in _status(spool)["alerts"]
    wait_until(lambda: not _status(spool)["cameras"][0]["recording"], timeout=15,
               what="ffmpeg to stop")
    held = agent.segments()
    time.sleep(4)
    assert len(agent.segments()) == len(held), "no new media while the disk is full"
    assert all(Path(s["path"]).exists() for s in held), "nothing unconfirmed is deleted"
    assert "ALERT spool disk full" in agent.log_text()

    world.api.start()
    resumed_after = time.time()
    wait_until(lambda: sum(1 for s in agent.segments() if datetime.fromisoformat(
        s["started_at"]) > datetime.fromtimestamp(resumed_after, UTC)) >= 2, timeout=90,
        what="recording to resume")
    agent.stop()
    (rid,) = world.check_everything_arrived(agent)
    (gap,) = world.gaps(rid)
    assert gap.cause.value == "disk_full"
    segments = world.archive_segments(rid)
    assert max(s.ended_at for s in segments if s.ended_at <= gap.started_at) == gap.started_at
    assert min(s.started_at for s in segments if s.started_at >= gap.ended_at) == gap.ended_at
    assert not any(s.partial for s in segments)
