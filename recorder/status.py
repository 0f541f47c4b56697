"""What the agent reports: per camera recording state, spool backlog, uploads and gaps.

The same dictionary is the heartbeat's status (the archive's presence check reads each
camera's `open_intervals`), the JSON of `aidrec recorder status`, and, rendered, the
Prometheus metrics.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Gauge, generate_latest

if TYPE_CHECKING:
    from recorder.agent import Agent
    from recorder.camera import CameraRecorder
    from recorder.config import RecorderConfig

STATUS_VERSION = 1


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def camera_status(agent: Agent, camera: CameraRecorder, now: datetime) -> dict[str, Any]:
    spool = agent.spool
    lane = agent.lanes[camera.id]
    rec = spool.current_recording(camera.id)
    count, size = spool.backlog(camera.id)
    last_gap = spool.last_gap(camera.id)
    last_upload = spool.last_confirmed_segment(camera.id)
    stuck = spool.stuck_item(camera.id)
    state = spool.camera_state(camera.id)
    process = camera.supervisor.process
    current = None
    if process is not None and camera.figures.recording:
        current = _current_segment(camera)
    return {
        "id": camera.id,
        "window_id": camera.camera.window_id,
        "mode": camera.schedule.mode.value,
        "recording": camera.figures.recording,
        "ffmpeg_pid": process.pid if process is not None else None,
        "current_segment": current,
        "recording_id": rec.remote_id if rec else None,
        "local_recording": rec.id if rec else None,
        "segments_closed": camera.figures.segments_closed,
        "restarts": camera.supervisor.restarts,
        "last_probe": camera.figures.last_probe,
        "last_exit": camera.figures.last_exit,
        "backlog": {"segments": count, "bytes": size,
                    "items": spool.pending_items(camera.id)},
        "last_upload_at": _iso(lane.status.last_upload_at) or (
            datetime.fromtimestamp(last_upload.confirmed_at).astimezone().isoformat()
            if last_upload and last_upload.confirmed_at else None),
        "upload_error": (stuck.last_error if stuck else None) or lane.status.last_error,
        "upload_blocked": lane.status.blocked_reason,
        "outage": ({"since": _iso(rec.outage.started_at), "cause": rec.outage.cause.value,
                    "detail": rec.outage.detail} if rec and rec.outage else None),
        "last_gap": last_gap.payload if last_gap else None,
        "stopped": state.stopped,
        "open_intervals": [[b.start.isoformat(), b.end.isoformat()]
                           for b in camera.open_intervals(now)],
    }


def _current_segment(camera: CameraRecorder) -> str | None:
    run = camera.running_run
    if run is None:
        return None
    try:
        names = sorted(p.name for p in run.dir.glob("seg-*.ts"))
    except OSError:
        return None
    return names[-1] if names else None


def agent_status(agent: Agent) -> dict[str, Any]:
    now = agent.clock.now()
    cameras = [camera_status(agent, cam, now) for cam in agent.cameras.values()]
    alerts = []
    if agent.disk.full:
        alerts.append("disk_full")
    for cam in cameras:
        if cam["upload_blocked"]:
            alerts.append(f"upload_blocked:{cam['id']}")
        if cam["outage"] and cam["outage"]["cause"] != "stopped_by_person":
            alerts.append(f"{cam['outage']['cause']}:{cam['id']}")
    return {
        "version": STATUS_VERSION,
        "device_id": agent.config.agent.device_id,
        "at": now.isoformat(),
        "up_since": agent.up_since.isoformat(),
        "heartbeat_ok_since": _iso(agent.heartbeat.ok_since),
        "heartbeat_interval_s": agent.config.agent.heartbeat_interval_s,
        "disk": {"full": agent.disk.full, "free_bytes": agent.disk.free_bytes,
                 "spooled_bytes": agent.disk.spooled_bytes},
        "alerts": alerts,
        "cameras": cameras,
    }


def spool_status(config: RecorderConfig) -> dict[str, Any]:
    """What the spool says while the agent is not running: nothing records, what waits."""
    from recorder.spool import Spool

    spool = Spool(config.agent.spool_dir)
    try:
        cameras = []
        for camera in config.cameras:
            rec = spool.current_recording(camera.id)
            count, size = spool.backlog(camera.id)
            last_gap = spool.last_gap(camera.id)
            last_upload = spool.last_confirmed_segment(camera.id)
            cameras.append({
                "id": camera.id, "window_id": camera.window_id,
                "mode": camera.schedule.mode.value, "recording": False,
                "current_segment": None, "recording_id": rec.remote_id if rec else None,
                "backlog": {"segments": count, "bytes": size,
                            "items": spool.pending_items(camera.id)},
                "last_upload_at": (datetime.fromtimestamp(last_upload.confirmed_at)
                                   .astimezone().isoformat()
                                   if last_upload and last_upload.confirmed_at else None),
                "upload_error": None,
                "outage": ({"since": _iso(rec.outage.started_at),
                            "cause": rec.outage.cause.value, "detail": rec.outage.detail}
                           if rec and rec.outage else None),
                "last_gap": last_gap.payload if last_gap else None})
    finally:
        spool.close()
    return {"running": False, "device_id": config.agent.device_id, "alerts": ["agent_down"],
            "cameras": cameras}


def heartbeat_status(agent: Agent) -> dict[str, Any]:
    status = agent_status(agent)
    # The heartbeat that is being sent proves the agent is up now.
    status["heartbeat_ok_since"] = status["heartbeat_ok_since"] or status["at"]
    return status


def prometheus_text(status: dict[str, Any]) -> bytes:
    """Render a status dictionary as Prometheus metrics."""
    registry = CollectorRegistry()

    def gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(name, doc, labels, registry=registry)

    recording = gauge("aidrec_recorder_recording", "1 while ffmpeg records", ("camera", "window"))
    backlog = gauge("aidrec_recorder_spool_backlog_segments", "unconfirmed segments", ("camera",))
    backlog_b = gauge("aidrec_recorder_spool_backlog_bytes", "unconfirmed bytes", ("camera",))
    items = gauge("aidrec_recorder_spool_backlog_items", "unconfirmed items", ("camera",))
    closed = gauge("aidrec_recorder_segments_closed", "segments sealed since start", ("camera",))
    restarts = gauge("aidrec_recorder_ffmpeg_restarts", "ffmpeg restarts since start",
                     ("camera",))
    last_upload = gauge("aidrec_recorder_last_upload_timestamp_seconds",
                        "when the archive last confirmed a segment", ("camera",))
    outage = gauge("aidrec_recorder_outage", "1 while media is out", ("camera", "cause"))
    blocked = gauge("aidrec_recorder_upload_blocked", "1 while the archive refuses media",
                    ("camera",))
    for cam in status["cameras"]:
        cid = cam["id"]
        recording.labels(cid, cam["window_id"]).set(1 if cam["recording"] else 0)
        backlog.labels(cid).set(cam["backlog"]["segments"])
        backlog_b.labels(cid).set(cam["backlog"]["bytes"])
        items.labels(cid).set(cam["backlog"]["items"])
        closed.labels(cid).set(cam["segments_closed"])
        restarts.labels(cid).set(cam["restarts"])
        if cam["last_upload_at"]:
            last_upload.labels(cid).set(datetime.fromisoformat(cam["last_upload_at"]).timestamp())
        if cam["outage"]:
            outage.labels(cid, cam["outage"]["cause"]).set(1)
        blocked.labels(cid).set(1 if cam["upload_blocked"] else 0)
    gauge("aidrec_recorder_disk_full", "1 while no media is taken for lack of space").set(
        1 if status["disk"]["full"] else 0)
    gauge("aidrec_recorder_disk_free_bytes", "free bytes on the spool disk").set(
        status["disk"]["free_bytes"])
    gauge("aidrec_recorder_heartbeat_ok", "1 while heartbeats reach the archive").set(
        1 if status.get("heartbeat_ok_since") else 0)
    gauge("aidrec_recorder_up", "1 while the agent runs").set(1 if status.get("running", True)
                                                               else 0)
    return bytes(generate_latest(registry))
