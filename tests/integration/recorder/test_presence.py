"""The archive's presence check against a real agent's heartbeats: one "recorder offline"
gap per silence, extended while it lasts, ended where heartbeats resumed."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from archive.catalog.models import Device, Gap
from archive.ingest.presence import ONGOING, check_presence
from archive.jobs import build_jobs
from tests.integration.recorder.conftest import RecorderWorld, wait_until

TIMEOUT_S = 3.0


def _device(world: RecorderWorld) -> Device:
    with world.archive.catalog.read() as db:
        device = db.get(Device, "wh-rec1")
        assert device is not None
        return device


def _gaps(world: RecorderWorld) -> list[Gap]:
    with world.archive.catalog.read() as db:
        return list(db.scalars(select(Gap)))


def test_silent_recorder_gets_one_offline_gap(world: RecorderWorld,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    camera = world.camera()
    agent = world.agent([{"id": "cam1", "window_id": "wh-w1", "source": camera.url()}],
                        heartbeat_interval_s=1)
    wait_until(lambda: agent.confirmed_segments() >= 1, timeout=40, what="recording")
    wait_until(lambda: _device(world).last_status, timeout=10, what="a heartbeat")
    status = _device(world).last_status
    assert status is not None and status["cameras"][0]["open_intervals"]
    assert check_presence(world.archive, now=datetime.now(UTC), timeout_s=TIMEOUT_S) == 0

    agent.kill_all()
    last = _device(world).last_heartbeat_at
    assert last is not None
    time.sleep(TIMEOUT_S + 2)
    assert check_presence(world.archive, now=datetime.now(UTC), timeout_s=TIMEOUT_S) == 1
    time.sleep(1)
    assert check_presence(world.archive, now=datetime.now(UTC), timeout_s=TIMEOUT_S) == 1
    (gap,) = _gaps(world)
    assert gap.cause.value == "recorder_offline" and gap.started_at == last
    assert ONGOING in gap.detail

    agent.start()
    restarted = datetime.now(UTC)
    wait_until(lambda: (_device(world).last_heartbeat_at or last) > restarted, timeout=30,
               what="heartbeats again")
    heard = datetime.now(UTC)
    assert check_presence(world.archive, now=datetime.now(UTC), timeout_s=TIMEOUT_S) == 1
    assert check_presence(world.archive, now=datetime.now(UTC), timeout_s=TIMEOUT_S) == 0
    offline = [g for g in _gaps(world) if g.cause.value == "recorder_offline"]
    assert len(offline) == 1
    assert ONGOING not in offline[0].detail
    # It ends where the agent's heartbeats got through again.
    assert restarted <= offline[0].ended_at <= heard

    monkeypatch.setenv("AIDREC_TRANSCRIBE__ENABLED", "false")
    jobs = build_jobs(world.settings, immediate=True, archive_factory=lambda: world.archive)
    assert "presence_check" in jobs.tasks
