"""`aidrec record`: one recording of a source for a fixed time, uploaded and closed."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recorder.agent import Agent
from recorder.archive_client import HttpArchive
from recorder.config import parse_config
from recorder.errors import ArchiveRejectedError, ArchiveUnavailableError, RecorderError

logger = logging.getLogger(__name__)

CAMERA_ID = "once"


@dataclass(frozen=True)
class OnceResult:
    recording_id: str | None
    segments: int
    gaps: int
    pending: int  # items still in the spool (archive unreachable)
    seal_state: str | None
    spool_dir: Path


def record_once(
    *, source: str, duration_s: float, window_id: str, archive_url: str, token: str,
    spool_dir: Path, segment_s: int = 10, case_number: str | None = None,
    stage: str | None = None, staff_id: str | None = None, kind: str = "auto",
    upload_timeout_s: float = 120.0, seal_timeout_s: float = 60.0,
    socket_timeout_s: float = 5.0,
) -> OnceResult:
    """Record `source` for `duration_s` into one recording, tag it, close it, upload it.

    Raises:
        RecorderError: the configuration is invalid.
    """
    config = parse_config({
        "agent": {"archive_url": archive_url, "token": token, "spool_dir": str(spool_dir),
                  "heartbeat_interval_s": 15, "min_free_bytes": 0,
                  "shutdown_upload_grace_s": 0,
                  "upload_backoff_max_s": 5},
        "cameras": [{"id": CAMERA_ID, "window_id": window_id, "source": source, "kind": kind,
                     "segment_s": segment_s, "socket_timeout_s": socket_timeout_s,
                     "restart_backoff_max_s": 2, "schedule": {"mode": "always"}}],
    }, origin="record")
    agent = Agent(config)
    camera = agent.cameras[CAMERA_ID]
    agent.start(control=False, heartbeats=False)
    try:
        if case_number or stage or staff_id:
            camera.open_session(case_number=case_number, stage=stage, staff_id=staff_id,
                                attributes={"source": "aidrec record"})
        time.sleep(duration_s)
        agent.stop_cameras()
        camera.finish()
        drained = agent.drain(upload_timeout_s)
        if not drained:
            logger.error("archive did not confirm everything within %.0f s; the spool at %s "
                         "keeps it", upload_timeout_s, spool_dir)
        rec = agent.spool.latest_recording(CAMERA_ID)
        items = agent.spool.items(CAMERA_ID)
        remote = rec.remote_id if rec else None
    finally:
        agent.stop()
    seal_state = _wait_sealed(archive_url, token, remote, seal_timeout_s) if remote else None
    return OnceResult(
        recording_id=remote,
        segments=sum(1 for i in items if i.kind.value == "segment"),
        gaps=sum(1 for i in items if i.kind.value == "gap"),
        pending=sum(1 for i in items if i.state.value == "pending"),
        seal_state=seal_state, spool_dir=spool_dir)


def _wait_sealed(archive_url: str, token: str, recording_id: str,
                 timeout_s: float) -> str | None:
    client = HttpArchive(archive_url, token, timeout_s=10)
    deadline = time.monotonic() + timeout_s
    state: str | None = None
    try:
        while True:
            try:
                data: dict[str, Any] = client.get_recording(recording_id)
                state = str(data["seal_state"])
            except (ArchiveUnavailableError, ArchiveRejectedError, RecorderError) as exc:
                logger.warning("cannot read the recording's seal state: %s", exc.message)
            if state == "sealed" or time.monotonic() > deadline:
                return state
            time.sleep(1.0)
    finally:
        client.close()
