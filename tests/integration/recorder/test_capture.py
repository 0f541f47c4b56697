"""The agent against live RTSP cameras and the real archive: capture, codecs, the window's
verbs (tag, mark), status and metrics, and a named person's stop."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import ffmpeg
from sqlalchemy import select

from archive.catalog.models import Marker, Session
from tests.integration.recorder.conftest import ROOT, AgentProcess, RecorderWorld, wait_until

CASE = "云援〔2026〕0123号"


def aidrec(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "archive", *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, check=False)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def _codecs(world: RecorderWorld, recording_id: str, tmp: Path) -> tuple[str, str]:
    segment = world.archive_segments(recording_id)[1]
    data = world.archive.store.read_verified(segment.object_key,
                                             version_id=segment.version_id,
                                             sha256_hex=segment.sha256)
    path = tmp / f"{recording_id}.ts"
    path.write_bytes(data)
    streams = {s["codec_type"]: s["codec_name"] for s in ffmpeg.probe(str(path))["streams"]}
    return streams["video"], streams["audio"]


def _at(moment: float) -> datetime:
    return datetime.fromtimestamp(moment, UTC)


def _count_after(agent: AgentProcess, camera_id: str, moment: float) -> int:
    start = datetime.fromtimestamp(moment, UTC)
    return sum(1 for s in agent.segments() if s["camera_id"] == camera_id
               and datetime.fromisoformat(s["started_at"]) > start)


def test_two_cameras_tagged_marked_and_stopped_by_a_named_person(
        world: RecorderWorld, tmp_path: Path) -> None:
    camera = world.camera()
    agent = world.agent([
        {"id": "cam1", "window_id": "wh-w1", "source": camera.url("cam")},
        {"id": "cam2", "window_id": "wh-w1", "source": camera.url("g711")},
    ])
    config = str(agent.config_path)
    wait_until(lambda: agent.confirmed_segments() >= 4, timeout=40, what="recording")

    tagged = json.loads(aidrec("tag", "--window", "wh-w1", "--case", CASE, "--stage",
                               "consultation", "--staff", "s-001", "--config", config).stdout)
    assert len(tagged["sessions"]) == 2  # one per camera of the window
    aidrec("mark", "--window", "wh-w1", "--label", "申请人出示材料", "--config", config)
    refused = aidrec("tag", "--window", "gd-w1", "--config", config, check=False)
    assert refused.returncode == 2 and "no_window" in refused.stderr

    status = json.loads(aidrec("recorder", "status", "--json", "--config", config).stdout)
    assert status["running"] and [c["recording"] for c in status["cameras"]] == [True, True]
    assert all(c["current_segment"] for c in status["cameras"])
    assert status["cameras"][0]["recording_id"] and status["cameras"][0]["last_upload_at"]
    assert "audio pcm_alaw -> aac" in status["cameras"][1]["last_probe"]
    metrics = aidrec("recorder", "status", "--metrics", "--config", config).stdout
    assert 'aidrec_recorder_recording{camera="cam1",window="wh-w1"} 1.0' in metrics
    assert "aidrec_recorder_spool_backlog_bytes" in metrics
    text = aidrec("recorder", "status", "--config", config).stdout
    assert "camera cam2 (window wh-w1, always): recording" in text

    time.sleep(2)
    aidrec("tag", "--window", "wh-w1", "--end", "--config", config)
    refused = aidrec("recorder", "stop", "--camera", "cam1", "--person", "", "--reason", "x",
                     "--config", config, check=False)
    assert refused.returncode == 2
    stop_began = time.time()
    aidrec("recorder", "stop", "--camera", "cam1", "--person", "张三", "--reason",
           "更换镜头", "--config", config)
    stop_done = time.time()
    time.sleep(4)
    resume_began = time.time()
    aidrec("recorder", "resume", "--camera", "cam1", "--config", config)
    resume_done = time.time()
    wait_until(lambda: _count_after(agent, "cam1", resume_done) >= 2, timeout=40,
               what="cam1 back")
    agent.stop()

    world.check_everything_arrived(agent)
    # The cameras open their recordings concurrently: map them by camera, not by order.
    by_camera = {r["camera_id"]: r["remote_id"]
                 for r in agent.query("SELECT camera_id, remote_id FROM recordings")}
    cam1, cam2 = by_camera["cam1"], by_camera["cam2"]
    assert _codecs(world, cam1, tmp_path) == ("h264", "aac")  # copied
    assert _codecs(world, cam2, tmp_path) == ("h264", "aac")  # G.711 encoded to AAC
    (stop_gap,) = world.gaps(cam1)
    assert stop_gap.cause.value == "stopped_by_person"
    assert stop_gap.person == "张三" and "更换镜头" in stop_gap.detail
    # From ffmpeg's stop (the agent looks every 2 s) to media after the resume.
    assert _at(stop_began) <= stop_gap.started_at <= _at(stop_done + 3)
    # Media is back after the agent's next look (2 s), the RTSP connect and the first
    # keyframe (GOP 2 s): up to ~6 s on a busy 2-core box.
    assert _at(resume_began) <= stop_gap.ended_at <= _at(resume_done + 6)
    assert world.gaps(cam2) == []
    with world.archive.catalog.read() as db:
        sessions = list(db.scalars(select(Session)))
        markers = list(db.scalars(select(Marker)))
    assert sorted(s.recording_id for s in sessions) == sorted([cam1, cam2])
    assert all(s.stage is not None and s.stage.value == "consultation" for s in sessions)
    assert all(s.case_id and s.staff_id == "s-001" and s.ended_at for s in sessions)
    assert [m.label for m in markers] == ["申请人出示材料"] * 2
