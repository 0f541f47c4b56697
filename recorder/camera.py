"""One camera: its recordings, the segments ffmpeg closes, and the outages between them.

Every second of a recording is in a segment or in a gap: an outage starts where the last
segment ended and becomes one gap when media is back (or the recording closes). A recording
covers one opening block (a local day for `always`, an interview for `on_demand`); after a
restart of the agent within the block the same recording goes on.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from archive.evidence.vocabulary import GapCause
from recorder import outage as outages
from recorder.clock import Clock
from recorder.config import CameraConfig
from recorder.errors import ControlError, RecorderError
from recorder.ffmpeg_args import build_record_args, plan_codecs, source_kind
from recorder.outage import StopReason
from recorder.probe import probe_source, redact
from recorder.schedule import Interval, Mode, block_at, open_intervals
from recorder.segments import (
    ListEntry,
    anchor_of,
    closed_times,
    is_segment_file,
    orphan_times,
    segment_number,
    wall,
)
from recorder.spool import ItemKind, RecordingRow, RunRow, Spool, seal_file
from recorder.supervisor import (
    RunEnd,
    RunMonitor,
    SegmentSupervisor,
    SupervisorSettings,
    stop_leftover,
)

logger = logging.getLogger(__name__)

INTERVIEW_HORIZON = timedelta(days=7)


@dataclass(frozen=True)
class Block:
    """The span one recording covers; `end` None: until the interview ends."""

    start: datetime
    end: datetime | None


@dataclass
class CameraFigures:
    """Live state for status and metrics (the spool holds the durable part)."""

    recording: bool = False
    current_segment: str | None = None
    segments_closed: int = 0
    last_closed_at: datetime | None = None
    last_probe: str | None = None
    last_exit: str | None = None


class CameraRecorder:
    """Implements the supervisor's hooks for one camera, and the window's control verbs."""

    def __init__(self, *, camera: CameraConfig, spool: Spool, clock: Clock,
                 disk_full: Callable[[], bool], wake_uploader: Callable[[], None],
                 ffmpeg_bin: str = "ffmpeg", ffprobe_bin: str = "ffprobe",
                 rtsp_timeout_option: str = "timeout") -> None:
        self.camera = camera
        self.spool = spool
        self.clock = clock
        self.disk_full = disk_full
        self.wake_uploader = wake_uploader
        self.ffmpeg_bin = ffmpeg_bin
        self.ffprobe_bin = ffprobe_bin
        self.rtsp_timeout_option = rtsp_timeout_option
        self.schedule = camera.schedule.to_schedule()
        self.figures = CameraFigures()
        self._lock = threading.RLock()
        self._running: RunRow | None = None
        self.supervisor = SegmentSupervisor(
            name=camera.id, hooks=self,
            settings=SupervisorSettings(stall_timeout_s=camera.stall_timeout_s,
                                        backoff_initial_s=camera.restart_backoff_initial_s,
                                        backoff_max_s=camera.restart_backoff_max_s))

    @property
    def id(self) -> str:
        return self.camera.id

    def run(self, stop: threading.Event) -> None:
        """Recover what a previous agent left, then record until `stop`."""
        self.recover()
        self.supervisor.run(stop)
        with self._lock:
            self.figures.recording = False

    # Blocks and recordings ----------------------------------------------------------------

    def block_at(self, now: datetime) -> Block | None:
        if self.schedule.mode is Mode.ON_DEMAND:
            interview = self.spool.camera_state(self.id).interview
            return Block(datetime.fromisoformat(interview["at"]), None) if interview else None
        block = block_at(self.schedule, now)
        return Block(block.start, block.end) if block else None

    def open_intervals(self, now: datetime) -> list[Interval]:
        """When this camera must record, from an hour ago to a week ahead (for presence)."""
        if self.schedule.mode is Mode.ON_DEMAND:
            block = self.block_at(now)
            return [Interval(block.start, now + INTERVIEW_HORIZON)] if block else []
        return open_intervals(self.schedule, now - timedelta(hours=1), now + INTERVIEW_HORIZON)

    def tick(self) -> StopReason | None:
        """Close a recording whose block is over, open one for the current block; and say
        whether to record now."""
        with self._lock:
            now = self.clock.now()
            block = self.block_at(now)
            rec = self.spool.current_recording(self.id)
            if rec is not None and not self._same_block(rec, block):
                if self._running is not None and self.schedule.mode is not Mode.ALWAYS:
                    return StopReason.SCHEDULE  # stop ffmpeg first; closed next tick
                if self._running is None:
                    self._close(rec, now=now)
                    rec = None
            if block is None:
                return StopReason.SCHEDULE
            if rec is None:
                rec = self._open(block, now=now)
            reason = self._stop_reason()
            if reason is not None and self._running is None:
                self._begin_decided_outage(rec, reason, now=now)
            return reason

    def _same_block(self, rec: RecordingRow, block: Block | None) -> bool:
        return block is not None and rec.block_start == block.start

    def _stop_reason(self) -> StopReason | None:
        if self.disk_full():
            return StopReason.DISK_FULL
        if self.spool.camera_state(self.id).stopped:
            return StopReason.PERSON
        return None

    def _open(self, block: Block, *, now: datetime) -> RecordingRow:
        rec = self.spool.open_recording(camera_id=self.id, window_id=self.camera.window_id,
                                        block_start=block.start, block_end=block.end, now=now)
        logger.info("recording opened locally", extra={"camera": self.id, "local_id": rec.id})
        self.wake_uploader()
        return rec

    def _close(self, rec: RecordingRow, *, now: datetime) -> None:
        """End a recording whose block is over: a last gap if media was out, then close."""
        end_at = min(now, rec.block_end) if rec.block_end else now
        gap = None
        if rec.outage is not None:
            gap = outages.end(rec.outage, at=max(end_at, rec.outage.started_at))
            ended = gap.ended_at
        else:
            ended = rec.last_media_end or rec.started_at or end_at
        self._end_sessions(rec, at=ended)
        self.spool.close_recording(rec, ended_at=ended, now=now, gap=gap)
        logger.info("recording closed locally", extra={"camera": self.id, "local_id": rec.id})
        self.wake_uploader()

    def _begin_decided_outage(self, rec: RecordingRow, reason: StopReason, *,
                              now: datetime) -> None:
        """While not recording because of a decision, the outage carries that decision."""
        cause, detail, person = self._decided(reason)
        if rec.outage is not None and rec.outage.cause is cause:
            return
        at = self._outage_start(rec, had_media=False, now=now)
        self._begin(rec, at=at, cause=cause, detail=detail, person=person, now=now)

    def _decided(self, reason: StopReason) -> tuple[GapCause, str, str | None]:
        if reason is StopReason.DISK_FULL:
            return (GapCause.DISK_FULL,
                    "spool disk full: stopped taking media until uploads free space", None)
        if reason is StopReason.PERSON:
            stopped = self.spool.camera_state(self.id).stopped or {}
            return (GapCause.STOPPED_BY_PERSON, f"stopped by {stopped.get('person')}: "
                    f"{stopped.get('reason')}", stopped.get("person"))
        if reason is StopReason.CRASH:
            return (GapCause.RECORDER_RESTARTED, "agent restarted after an unclean stop (crash, "
                    "kill or power loss); the unfinished segment is kept as partial", None)
        return GapCause.RECORDER_RESTARTED, "agent stopped", None

    def _outage_start(self, rec: RecordingRow, *, had_media: bool, now: datetime) -> datetime:
        if rec.outage is not None and not had_media:
            return rec.outage.started_at
        if rec.last_media_end is not None:
            return rec.last_media_end
        return rec.started_at or rec.created_at

    def _begin(self, rec: RecordingRow, *, at: datetime, cause: GapCause, detail: str,
               person: str | None, now: datetime) -> None:
        if rec.started_at is None:
            # No media yet in this recording: it starts with the outage.
            self.spool.set_started(rec.id, at)
            self.wake_uploader()
        new, gap = outages.begin(rec.outage, at=at, cause=cause, detail=detail, person=person)
        if gap is not None:
            self.spool.add_gap(rec, gap, now=now, outage=new)
        else:
            self.spool.set_outage(rec.id, new)
        if rec.outage is None or gap is not None:
            logger.warning("outage began: %s (%s)", cause.value, detail,
                           extra={"camera": self.id, "local_id": rec.id})

    # Runs ---------------------------------------------------------------------------------

    def prepare_run(self) -> tuple[RunRow, list[str]]:
        probe = probe_source(self.camera, ffprobe_bin=self.ffprobe_bin,
                             rtsp_timeout_option=self.rtsp_timeout_option)
        plan = plan_codecs(source_kind(self.camera), probe)
        with self._lock:
            self.figures.last_probe = (f"video {probe.video_codec} -> {plan.video}, audio "
                                       f"{probe.audio_codec} -> {plan.audio}")
            rec = self.spool.current_recording(self.id)
            if rec is None:
                raise RecorderError("no open recording to record into", reason="no_recording")
            run = self.spool.new_run(rec, now=self.clock.now())
        argv = build_record_args(self.camera, plan, run.dir, ffmpeg_bin=self.ffmpeg_bin,
                                 timeout_option=self.rtsp_timeout_option)
        return run, argv

    def run_started(self, run: RunRow, pid: int) -> None:
        self.spool.set_run_pid(run.id, pid)
        with self._lock:
            self._running = run
            self.figures.recording = True
        logger.info("ffmpeg started (pid %d)", pid, extra={"camera": self.id, "run": run.id})

    def start_failed(self, error: RecorderError) -> None:
        """The source could not even be probed: the outage goes on (or begins)."""
        with self._lock:
            self.figures.last_exit = redact(error.message)
            rec = self.spool.current_recording(self.id)
            if rec is None:
                return
            now = self.clock.now()
            cause = GapCause.CAMERA_UNREACHABLE
            if "timed out" in error.message.lower() or "invalid data" in error.message.lower():
                cause = GapCause.STREAM_STALLED if rec.outage is None else rec.outage.cause
            self._begin(rec, at=self._outage_start(rec, had_media=False, now=now), cause=cause,
                        detail=redact(error.message), person=None, now=now)

    def segment_closed(self, run: RunRow, entry: ListEntry) -> None:
        path = run.dir / entry.filename
        with self._lock:
            if self.spool.run_has_file(run.id, entry.filename):
                return
            if not path.exists():
                logger.error("listed segment %s is missing", path, extra={"camera": self.id})
                return
            anchor = self.spool.get_run(run.id).anchor
            if anchor is None:
                anchor = anchor_of(entry, path.stat().st_mtime)
                self.spool.set_run_anchor(run.id, anchor)
            times = closed_times(entry, anchor)
            self._spool_segment(run, path, times.started_at, times.ended_at, partial=False,
                                closed_at=path.stat().st_mtime)
            self.figures.current_segment = None

    def _spool_segment(self, run: RunRow, path: Path, started_at: datetime,
                       ended_at: datetime, *, partial: bool, closed_at: float) -> None:
        sha256, size = seal_file(path)
        now = self.clock.now()
        rec = self.spool.get_recording(run.recording_id)
        if rec.state != "open":
            rec = self._recording_for_late_segment(rec, now=now)
        if (self.schedule.mode is Mode.ALWAYS and rec.block_end is not None
                and started_at >= rec.block_end):
            rec = self._roll_over(rec, run, started_at, now=now)
        gap = outages.end(rec.outage, at=started_at) if rec.outage is not None else None
        item = self.spool.add_segment(rec=rec, run_id=run.id, path=path, sha256=sha256,
                                      size=size, started_at=started_at, ended_at=ended_at,
                                      partial=partial, closed_at=closed_at, now=now, gap=gap)
        if item is not None:
            self.figures.segments_closed += 1
            self.figures.last_closed_at = now
            logger.info("segment sealed", extra={"camera": self.id, "seq": item.seq,
                                                 "sha256": sha256, "partial": partial})
        self.wake_uploader()

    def _recording_for_late_segment(self, rec: RecordingRow, *, now: datetime) -> RecordingRow:
        # A segment of a closed recording (closed while its file was still being
        # listed): it goes into the camera's current recording, never lost.
        current = self.spool.current_recording(self.id)
        if current is not None:
            return current
        block = self.block_at(now) or Block(now, None)
        return self._open(block, now=now)

    def _roll_over(self, rec: RecordingRow, run: RunRow, started_at: datetime, *,
                   now: datetime) -> RecordingRow:
        """`always`: the day changed while ffmpeg ran on; a new recording from this segment."""
        self._end_sessions(rec, at=rec.last_media_end or started_at)
        self.spool.close_recording(rec, ended_at=rec.last_media_end or started_at, now=now)
        block = self.block_at(started_at) or Block(started_at, None)
        new = self._open(block, now=now)
        self.spool.set_started(new.id, started_at)
        return self.spool.get_recording(new.id)

    def run_ended(self, run: RunRow, end: RunEnd) -> None:
        with self._lock:
            self._collect_orphans(run)
            now = self.clock.now()
            self.spool.end_run(run.id, now=now, returncode=end.returncode)
            self._running = None
            self.figures.recording = False
            self.figures.current_segment = None
            rec = self.spool.current_recording(self.id)
            if rec is None or end.stop_reason is StopReason.SCHEDULE:
                return
            if end.stop_reason in (StopReason.DISK_FULL, StopReason.PERSON,
                                   StopReason.SHUTDOWN, StopReason.CRASH):
                assert end.stop_reason is not None
                cause, detail, person = self._decided(end.stop_reason)
            else:
                cause, detail = outages.classify_exit(
                    stop_reason=end.stop_reason, returncode=end.returncode,
                    stderr_tail=end.tail, seconds_since_growth=end.seconds_since_growth,
                    socket_timeout_s=self.camera.socket_timeout_s, disk_low=self.disk_full())
                detail = redact(detail)
                person = None
            self.figures.last_exit = detail
            at = self._outage_start(rec, had_media=end.had_media, now=now)
            self._begin(rec, at=at, cause=cause, detail=detail, person=person, now=now)

    def _collect_orphans(self, run: RunRow) -> int:
        """Files ffmpeg never listed (it was killed): hashed and spooled as partial."""
        try:
            names = sorted((n for n in os.listdir(run.dir) if is_segment_file(n)),
                           key=segment_number)
        except FileNotFoundError:
            return 0
        count = 0
        for name in names:
            path = run.dir / name
            if self.spool.run_has_file(run.id, name):
                continue
            if path.stat().st_size == 0:
                path.unlink()  # opened, never written: no media to keep
                continue
            fresh = self.spool.get_run(run.id)
            previous = self.spool.run_last_segment_end(run.id)
            media_start = wall(fresh.anchor, 0.0) if fresh.anchor is not None else run.started_at
            times = orphan_times(previous_end=previous, run_media_start=media_start,
                                 mtime=path.stat().st_mtime)
            logger.warning("orphan segment %s kept as partial", name,
                           extra={"camera": self.id, "run": run.id})
            self._spool_segment(run, path, times.started_at, times.ended_at, partial=True,
                                closed_at=path.stat().st_mtime)
            count += 1
        return count

    def recover(self) -> None:
        """After a crash: list what ffmpeg closed, keep its orphans, note the restart."""
        for run in self.spool.running_runs(self.id):
            stop_leftover(run.pid, run.dir)
            monitor = RunMonitor(run.dir, started=0.0)
            for entry in monitor.poll():
                self.segment_closed(run, entry)
            self.run_ended(run, RunEnd(
                returncode=None, stop_reason=StopReason.CRASH, tail=[],
                seconds_since_growth=0.0, had_media=True))

    def finish(self) -> None:
        """Close the current recording now, after ffmpeg was stopped on purpose."""
        with self._lock:
            rec = self.spool.current_recording(self.id)
            if rec is None:
                return
            if (rec.outage is not None and rec.outage.cause is GapCause.RECORDER_RESTARTED
                    and rec.outage.started_at == rec.last_media_end):
                # The agent's own planned end, not an interruption.
                self.spool.set_outage(rec.id, None)
                rec = self.spool.get_recording(rec.id)
            self._close(rec, now=self.clock.now())

    @property
    def running_run(self) -> RunRow | None:
        return self._running

    # Window verbs -------------------------------------------------------------------------

    def open_session(self, *, case_number: str | None, stage: str | None,
                     staff_id: str | None, attributes: dict[str, Any]) -> int:
        """Tag the live recording with a session (an interview starts recording on_demand).

        Raises:
            ControlError: the camera is outside its opening hours.
        """
        with self._lock:
            now = self.clock.now()
            state = self.spool.camera_state(self.id)
            if self.schedule.mode is Mode.ON_DEMAND and state.interview is None:
                state = replace(state, interview={"at": now.isoformat()})
                self.spool.save_camera_state(state)
            rec = self._live_recording(now)
            self._end_sessions(rec, at=now)
            payload = {"started_at": now.isoformat(), "case_number": case_number,
                       "stage": stage, "staff_id": staff_id, "attributes": attributes}
            item_id = self.spool.add_item(camera_id=self.id, recording_id=rec.id,
                                          kind=ItemKind.SESSION, payload=payload, now=now)
            state = self.spool.camera_state(self.id)
            self.spool.save_camera_state(replace(state, session_items=[item_id]))
            self.wake_uploader()
            return item_id

    def end_session(self) -> list[int]:
        """End the open session(s); an interview room stops recording."""
        with self._lock:
            now = self.clock.now()
            rec = self.spool.current_recording(self.id)
            ended = self._end_sessions(rec, at=now) if rec is not None else []
            state = self.spool.camera_state(self.id)
            if self.schedule.mode is Mode.ON_DEMAND and state.interview is not None:
                self.spool.save_camera_state(replace(state, interview=None))
            self.wake_uploader()
            return ended

    def _end_sessions(self, rec: RecordingRow, *, at: datetime) -> list[int]:
        state = self.spool.camera_state(self.id)
        ended = []
        for session_item in state.session_items:
            opened = self.spool.get_item(session_item)
            if opened.recording_id != rec.id:
                continue
            started = datetime.fromisoformat(opened.payload["started_at"])
            ended.append(self.spool.add_item(
                camera_id=self.id, recording_id=rec.id, kind=ItemKind.SESSION_END,
                payload={"session_item": session_item,
                         "ended_at": max(at, started).isoformat()}, now=self.clock.now()))
        if state.session_items:
            self.spool.save_camera_state(replace(self.spool.camera_state(self.id),
                                                 session_items=[]))
        return ended

    def add_marker(self, label: str) -> int:
        with self._lock:
            now = self.clock.now()
            rec = self._live_recording(now)
            item_id = self.spool.add_item(camera_id=self.id, recording_id=rec.id,
                                          kind=ItemKind.MARKER,
                                          payload={"at": now.isoformat(), "label": label},
                                          now=now)
            self.wake_uploader()
            return item_id

    def _live_recording(self, now: datetime) -> RecordingRow:
        block = self.block_at(now)
        if block is None:
            raise ControlError(f"camera {self.id} is not recording (outside its opening "
                               "hours)", reason="not_recording")
        rec = self.spool.current_recording(self.id)
        if rec is None or not self._same_block(rec, block):
            self.tick()  # the supervisor has not caught up with the block yet
            rec = self.spool.current_recording(self.id)
        if rec is None:
            raise ControlError(f"camera {self.id} has no open recording", reason="not_recording")
        return rec

    def stop_by_person(self, *, person: str, reason: str) -> None:
        """A named person stops this camera; the stop is a gap with their name and reason."""
        if not person.strip() or not reason.strip():
            raise ControlError("a stop needs the person's name and a reason",
                               reason="no_person")
        with self._lock:
            state = self.spool.camera_state(self.id)
            self.spool.save_camera_state(replace(state, stopped={
                "person": person.strip(), "reason": reason.strip(),
                "at": self.clock.now().isoformat()}))
        logger.warning("camera stopped by %s: %s", person, reason, extra={"camera": self.id})

    def resume(self) -> bool:
        with self._lock:
            state = self.spool.camera_state(self.id)
            if state.stopped is None:
                return False
            self.spool.save_camera_state(replace(state, stopped=None))
        logger.warning("camera resumed", extra={"camera": self.id})
        return True

