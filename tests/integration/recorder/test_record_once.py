"""`aidrec record`: a sealed, verifiable recording from the simulated camera, a virtual camera
and a file played live."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from archive.catalog.models import Session
from tests.integration.recorder.conftest import ROOT, RecorderWorld
from tests.support import make_media


def _record(world: RecorderWorld, source: str, *extra: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-m", "archive", "record", "--source", source, "--duration", "6",
         "--window", "wh-w1", "--segment-s", "2", "--archive-url", world.api.url,
         "--token", world.tree.token, "--spool-dir", str(world.tmp / "spool-once"), "--json",
         *extra], cwd=ROOT, capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    summary: dict[str, object] = json.loads(result.stdout)
    return summary


def test_record_from_the_rtsp_camera_is_sealed_and_verifies(world: RecorderWorld) -> None:
    camera = world.camera()
    summary = _record(world, camera.url(), "--case", "云援〔2026〕0007号", "--stage",
                      "application", "--staff", "s-002")
    assert summary["seal_state"] == "sealed" and summary["pending"] == 0
    assert summary["gaps"] == 0 and int(summary["segments"]) >= 3  # type: ignore[call-overload]
    recording_id = str(summary["recording_id"])
    report = world.archive.verifier().verify_recording(recording_id)
    assert report.ok, [(c.name, c.detail) for c in report.checks if not c.ok]
    with world.archive.catalog.read() as db:
        (session,) = db.scalars(select(Session).where(Session.recording_id == recording_id))
    assert session.stage is not None and session.stage.value == "application"
    assert session.ended_at is not None
    assert not any(Path(world.tmp / "spool-once" / "media").rglob("*.ts"))


@pytest.mark.parametrize("kind", ["virtual", "file"])
def test_record_a_virtual_camera_and_a_file_played_live(world: RecorderWorld,
                                                        kind: str) -> None:
    source = ("lavfi:testsrc2=size=320x240:rate=15" if kind == "virtual"
              else str(make_media(world.tmp / "clip.ts", seconds=3)))
    summary = _record(world, source)
    assert summary["seal_state"] == "sealed" and summary["gaps"] == 0
    report = world.archive.verifier().verify_recording(str(summary["recording_id"]))
    assert report.ok
