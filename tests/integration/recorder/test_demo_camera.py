"""`aidrec up --demo`'s recorder: a registered demo window recorded by a virtual camera."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from sqlalchemy import select

from archive.catalog.models import Recording
from archive.devstack.demo_camera import demo_pid_path, start_demo_camera
from tests.integration.recorder.conftest import RecorderWorld, wait_until


def _recording(world: RecorderWorld) -> Recording | None:
    with world.archive.catalog.read() as db:
        return db.scalars(select(Recording).where(Recording.window_id == "demo-w1")).first()


def test_demo_registers_its_window_and_records_it(world: RecorderWorld) -> None:
    settings = world.settings.model_copy(update={"public_url": world.api.url})
    start_demo_camera(settings)
    pid = int(demo_pid_path(settings).read_text())
    try:
        start_demo_camera(settings)  # already running: nothing new
        assert int(demo_pid_path(settings).read_text()) == pid
        wait_until(lambda: (rec := _recording(world)) is not None and rec.segment_count >= 1,
                   timeout=60, what="a demo segment in the archive")
    finally:
        os.kill(pid, signal.SIGTERM)
        wait_until(lambda: not Path(f"/proc/{pid}").exists() or
                   " Z " in Path(f"/proc/{pid}/stat").read_text(), timeout=40,
                   what="the demo recorder to stop")
    assert (settings.home / "demo" / "recorder.token").stat().st_mode & 0o777 == 0o600
