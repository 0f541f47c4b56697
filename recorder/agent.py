"""The agent: cameras, upload lanes, the disk guard, heartbeats and the control API together."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from recorder import status as status_mod
from recorder.archive_client import ArchivePort, HttpArchive
from recorder.camera import CameraRecorder
from recorder.clock import Clock, SystemClock
from recorder.config import RecorderConfig
from recorder.disk import DiskGuard, DiskLimits
from recorder.errors import ArchiveRejectedError, ArchiveUnavailableError, ControlError
from recorder.probe import timeout_option
from recorder.spool import Spool
from recorder.uploader import UploadLane

logger = logging.getLogger(__name__)

JOIN_TIMEOUT_S = 30.0
TIDY_EVERY_S = 60.0
KEEP_HISTORY = timedelta(days=7)  # confirmed items kept for status, then forgotten


@dataclass
class HeartbeatState:
    last_ok_at: datetime | None = None
    ok_since: datetime | None = None  # first success after the last failure
    last_error: str | None = None


class Agent:
    """Everything one recorder box runs; `start()` then `stop()` (or `run_until`)."""

    def __init__(self, config: RecorderConfig, *, clock: Clock | None = None,
                 archive: ArchivePort | None = None) -> None:
        self.config = config
        self.clock = clock or SystemClock()
        agent = config.agent
        self.spool = Spool(agent.spool_dir)
        self._own_archive = archive is None
        self.archive: ArchivePort = archive or HttpArchive(
            agent.archive_url, agent.bearer_token(), timeout_s=agent.request_timeout_s)
        self.disk = DiskGuard(agent.spool_dir, DiskLimits(
            min_free_bytes=agent.min_free_bytes, max_spool_bytes=agent.max_spool_bytes,
            resume_margin_bytes=agent.resume_margin_bytes))
        option = timeout_option(agent.ffmpeg)
        self.lanes: dict[str, UploadLane] = {}
        self.cameras: dict[str, CameraRecorder] = {}
        for camera in config.cameras:
            lane = UploadLane(camera_id=camera.id, spool=self.spool, archive=self.archive,
                              clock=self.clock, backoff_initial_s=agent.upload_backoff_initial_s,
                              backoff_max_s=agent.upload_backoff_max_s,
                              archive_camera_id=camera.archive_camera_id)
            self.lanes[camera.id] = lane
            self.cameras[camera.id] = CameraRecorder(
                camera=camera, spool=self.spool, clock=self.clock, disk_full=self.disk.is_full,
                wake_uploader=lane.wake, ffmpeg_bin=agent.ffmpeg, ffprobe_bin=agent.ffprobe,
                rtsp_timeout_option=option)
        self.up_since = self.clock.now()
        self.heartbeat = HeartbeatState()
        self.camera_stop = threading.Event()
        self.upload_stop = threading.Event()
        self.service_stop = threading.Event()
        self._threads: dict[str, list[threading.Thread]] = {"cameras": [], "lanes": [],
                                                            "services": []}
        self.control: object | None = None

    # Life cycle ---------------------------------------------------------------------------

    def start(self, *, control: bool = True, heartbeats: bool = True) -> None:
        """Start every thread; returns at once."""
        self.spool.delete_confirmed_leftovers()
        self._check_disk()
        self._spawn("services", "disk-guard", self._disk_loop)
        if heartbeats:
            self._spawn("services", "heartbeat", self._heartbeat_loop)
        for camera_id, lane in self.lanes.items():
            self._spawn("lanes", f"upload-{camera_id}", lane.run)
        for camera_id, camera in self.cameras.items():
            self._spawn("cameras", f"camera-{camera_id}", camera.run)
        if control:
            from recorder.control import ControlServer

            server = ControlServer(self, host=self.config.agent.control_host,
                                   port=self.config.agent.control_port)
            server.start()
            self.control = server
        logger.info("agent started with %d camera(s)", len(self.cameras))

    def _spawn(self, group: str, name: str, target: Callable[[threading.Event], None]) -> None:
        stop = {"cameras": self.camera_stop, "lanes": self.upload_stop,
                "services": self.service_stop}[group]
        thread = threading.Thread(target=target, args=(stop,), name=name, daemon=True)
        thread.start()
        self._threads[group].append(thread)

    def stop_cameras(self) -> None:
        """Stop ffmpeg everywhere (each closes and lists its last segment)."""
        self.camera_stop.set()
        for thread in self._threads["cameras"]:
            thread.join(JOIN_TIMEOUT_S)

    def drain(self, timeout_s: float, *, give_up_on_failure: bool = False) -> bool:
        """Wait until the archive has confirmed everything spooled; False on timeout (or, with
        give_up_on_failure, as soon as every waiting lane has failed again)."""
        deadline = time.monotonic() + timeout_s
        failures = {c: lane.status.failures for c, lane in self.lanes.items()}
        while time.monotonic() < deadline:
            waiting = [c for c in self.cameras if self.spool.pending_items(c) > 0]
            if not waiting:
                return True
            if give_up_on_failure and all(
                    self.lanes[c].status.failures > failures[c] for c in waiting):
                return False
            for lane in self.lanes.values():
                lane.wake()
            time.sleep(0.2)
        return False

    def stop(self) -> None:
        """Stop cameras, give uploads a short grace, then stop them and the services; the
        spool keeps whatever is still unconfirmed for the next start."""
        self.stop_cameras()
        grace = self.config.agent.shutdown_upload_grace_s
        if grace > 0 and self._threads["lanes"] and not self.drain(
                grace, give_up_on_failure=True):
            logger.warning("stopping with unconfirmed items in the spool; they are uploaded "
                           "after the next start")
        self.upload_stop.set()
        self.service_stop.set()
        for group in ("lanes", "services"):
            for thread in self._threads[group]:
                thread.join(JOIN_TIMEOUT_S)
        if self.control is not None:
            self.control.stop()  # type: ignore[attr-defined]
        if self._own_archive and isinstance(self.archive, HttpArchive):
            self.archive.close()
        self.spool.close()
        logger.info("agent stopped")

    # Services -----------------------------------------------------------------------------

    def _check_disk(self) -> None:
        _, pending = self.spool.backlog()
        self.disk.check(pending)

    def _disk_loop(self, stop: threading.Event) -> None:
        next_tidy = 0.0
        while not stop.wait(self.config.agent.disk_check_interval_s):
            try:
                self._check_disk()
                if time.monotonic() >= next_tidy:
                    next_tidy = time.monotonic() + TIDY_EVERY_S
                    self.spool.remove_empty_run_dirs()
                    self.spool.prune(before=self.clock.now() - KEEP_HISTORY)
            except Exception:
                logger.exception("disk check failed")

    def _heartbeat_loop(self, stop: threading.Event) -> None:
        while True:
            self.send_heartbeat()
            if stop.wait(self.config.agent.heartbeat_interval_s):
                return

    def send_heartbeat(self) -> bool:
        try:
            self.archive.heartbeat(status_mod.heartbeat_status(self))
        except (ArchiveUnavailableError, ArchiveRejectedError) as exc:
            if self.heartbeat.last_error is None:
                logger.warning("heartbeat failed: %s", exc.message)
            self.heartbeat.last_error = exc.message
            self.heartbeat.ok_since = None
            return False
        except Exception:
            logger.exception("heartbeat failed")
            return False
        now = self.clock.now()
        if self.heartbeat.ok_since is None:
            self.heartbeat.ok_since = now
        self.heartbeat.last_ok_at = now
        self.heartbeat.last_error = None
        return True

    # Window verbs -------------------------------------------------------------------------

    def cameras_of(self, window_id: str) -> list[CameraRecorder]:
        """Raises: ControlError when no camera of this agent records the window."""
        cameras = [c for c in self.cameras.values() if c.camera.window_id == window_id]
        if not cameras:
            raise ControlError(f"no camera of this agent records window {window_id}",
                               reason="no_window")
        return cameras

    def camera(self, camera_id: str) -> CameraRecorder:
        if camera_id not in self.cameras:
            raise ControlError(f"no camera {camera_id} on this agent", reason="no_camera")
        return self.cameras[camera_id]
