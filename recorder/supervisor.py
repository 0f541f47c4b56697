"""ffmpeg under supervision: restarted on any exit with backoff, stalls bounded by a watchdog.

ffmpeg never reconnects, and exits with status 0 both when the camera goes away and when
its socket times out, so every exit ends the run and a new run starts after a backoff.
The socket timeout bounds a silent camera; segment growth is watched as a second guard.
Children are stopped terminate → wait → kill, and the last 100 lines of their output are
logged when they die.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import random
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from recorder.errors import ProbeError, RecorderError
from recorder.ffmpeg_args import SEGMENT_LIST, SEGMENT_PATTERN
from recorder.outage import StopReason, next_backoff
from recorder.segments import ListEntry, parse_segment_list
from recorder.spool import RunRow

logger = logging.getLogger(__name__)

TAIL_LINES = 100
TAIL_BYTES = 64 * 1024
FFMPEG_LOG = "ffmpeg.log"
TAIL_EVERY = 60  # during a long outage, log the full tail once per this many failed starts
POLL_S = 0.5  # how often a run directory is looked at: closes are seen within this
STOP_TIMEOUT_S = 10.0
PR_SET_PDEATHSIG = 1

_prctl: Callable[..., int] | None
_signal: Callable[..., int] | None
try:
    _libc = ctypes.CDLL(None, use_errno=True)
    _prctl, _signal = _libc.prctl, _libc.signal
except (OSError, AttributeError):  # not Linux
    _prctl = _signal = None


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the agent dies, so ffmpeg closes and lists its
    segment (SIGPIPE ignored, so a write to a vanished reader cannot kill it first)."""
    if _prctl is not None and _signal is not None:
        _signal(int(signal.SIGPIPE), 1)  # SIG_IGN
        _prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))


class FfmpegProcess:
    """One ffmpeg child, its messages in a log file beside its segments (a file, not a pipe:
    if the agent dies, ffmpeg must still be able to write while it closes its segment)."""

    def __init__(self, argv: Sequence[str], *, name: str, log_path: Path) -> None:
        self.argv = list(argv)
        self.name = name
        self.log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> int:
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True,
                preexec_fn=_die_with_parent)  # only signal(2) and prctl(2) in the child
        return self._process.pid

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def poll(self) -> int | None:
        return self._process.poll() if self._process is not None else None

    def tail(self) -> list[str]:
        """The last 100 lines ffmpeg wrote."""
        try:
            with self.log_path.open("rb") as handle:
                handle.seek(max(0, self.log_path.stat().st_size - TAIL_BYTES))
                text = handle.read().decode(errors="replace")
        except OSError:
            return []
        lines = [ln.rstrip() for ln in text.replace("\r", "\n").splitlines() if ln.strip()]
        return lines[-TAIL_LINES:]

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> int | None:
        """terminate → wait → kill; SIGTERM lets ffmpeg close and list its last segment."""
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                logger.error("ffmpeg ignored SIGTERM for %.0f s; killing it", timeout_s,
                             extra={"camera": self.name})
                process.kill()
                process.wait(5)
        return process.returncode


class RunMonitor:
    """Watches one run directory: newly listed (closed) segments, and whether media grows.

    Cheap enough to run twice a second per camera: two stat calls, and a read of the
    list only when it grew.
    """

    def __init__(self, run_dir: Path, *, started: float) -> None:
        self.run_dir = run_dir
        self.list_path = run_dir / SEGMENT_LIST
        self._offset = 0
        self._pending = ""
        self._listed = 0
        self._growth_at = started
        self._last_size: tuple[int, int] | None = None
        self.saw_media = False

    def poll(self) -> list[ListEntry]:
        """Entries listed since the last poll; also notes media growth."""
        entries = self._read_list()
        if entries:
            self._listed += len(entries)
            self.saw_media = True  # a listed segment is not growth: ffmpeg lists on exit too
        # ffmpeg numbers a run's files from 0, so the one being written follows the listed.
        current = self.run_dir / (SEGMENT_PATTERN % self._listed)
        try:
            size = current.stat().st_size
        except FileNotFoundError:
            return entries
        if size > 0 and (self._listed, size) != self._last_size:
            self._last_size = (self._listed, size)
            self._growth_at = time.monotonic()
            self.saw_media = True
        return entries

    def _read_list(self) -> list[ListEntry]:
        try:
            size = self.list_path.stat().st_size
        except FileNotFoundError:
            return []
        if size <= self._offset:
            return []
        with self.list_path.open("rb") as handle:
            handle.seek(self._offset)
            chunk = handle.read().decode()
        self._offset += len(chunk.encode())
        text = self._pending + chunk
        cut = text.rfind("\n") + 1
        self._pending = text[cut:]
        return parse_segment_list(text[:cut])

    def seconds_since_growth(self) -> float:
        return time.monotonic() - self._growth_at


@dataclass(frozen=True)
class RunEnd:
    """How a run ended, for the camera to classify and record."""

    returncode: int | None
    stop_reason: StopReason | None  # None: ffmpeg exited by itself
    tail: list[str]
    seconds_since_growth: float
    had_media: bool


class RunHooks(Protocol):
    """What the supervisor asks of the camera it records."""

    def tick(self) -> StopReason | None:
        """Housekeeping; a reason not to record now (None: record)."""
        ...

    def prepare_run(self) -> tuple[RunRow, list[str]]:
        """Probe the source, spool a new run; its argv. Raises ProbeError."""
        ...

    def run_started(self, run: RunRow, pid: int) -> None: ...

    def segment_closed(self, run: RunRow, entry: ListEntry) -> None: ...

    def run_ended(self, run: RunRow, end: RunEnd) -> None: ...

    def start_failed(self, error: RecorderError) -> None: ...


@dataclass(frozen=True)
class SupervisorSettings:
    stall_timeout_s: float
    backoff_initial_s: float
    backoff_max_s: float
    poll_s: float = POLL_S
    tick_s: float = 2.0


class SegmentSupervisor:
    """Keeps one camera's ffmpeg running while the camera should record."""

    def __init__(self, *, name: str, hooks: RunHooks, settings: SupervisorSettings) -> None:
        self.name = name
        self.hooks = hooks
        self.settings = settings
        self.process: FfmpegProcess | None = None
        self.restarts = 0
        self.failures = 0  # consecutive runs that ended without media

    def run(self, stop: threading.Event) -> None:
        backoff: float | None = None
        while not stop.is_set():
            try:
                reason = self.hooks.tick()
            except Exception:
                logger.exception("camera housekeeping failed", extra={"camera": self.name})
                stop.wait(1.0)
                continue
            if reason is not None:
                backoff = None
                stop.wait(self.settings.poll_s * 2)
                continue
            try:
                ended = self._one_run(stop)
            except ProbeError as exc:
                self.failures += 1
                level = logging.WARNING if self.failures <= 1 else logging.INFO
                logger.log(level, "cannot start ffmpeg (%d failed starts): %s", self.failures,
                           exc.message, extra={"camera": self.name})
                self.hooks.start_failed(exc)
                ended = None
            except Exception:
                logger.exception("ffmpeg run failed", extra={"camera": self.name})
                ended = None
            if ended is not None and ended.stop_reason not in (None, StopReason.STALL):
                backoff = None  # a planned stop: no waiting
                continue
            if ended is not None and ended.had_media:
                backoff = None
            backoff = next_backoff(backoff, initial=self.settings.backoff_initial_s,
                                   maximum=self.settings.backoff_max_s)
            self.restarts += 1
            # Jitter: cameras that failed together (a switch rebooted) must not retry in
            # lockstep; some sources refuse simultaneous sessions.
            stop.wait(backoff * random.uniform(0.75, 1.25))  # noqa: S311 - not security

    def _one_run(self, stop: threading.Event) -> RunEnd:
        run, argv = self.hooks.prepare_run()
        process = FfmpegProcess(argv, name=self.name, log_path=run.dir / FFMPEG_LOG)
        monitor = RunMonitor(run.dir, started=time.monotonic())
        pid = process.start()
        self.process = process
        stop_reason: StopReason | None = None
        next_tick = time.monotonic() + self.settings.tick_s
        try:
            self.hooks.run_started(run, pid)
            while True:
                for entry in monitor.poll():
                    self.hooks.segment_closed(run, entry)
                if process.poll() is not None:
                    break
                if stop.is_set():
                    stop_reason = StopReason.SHUTDOWN
                    break
                if time.monotonic() >= next_tick:
                    next_tick = time.monotonic() + self.settings.tick_s
                    wanted = self.hooks.tick()
                    if wanted is not None:
                        stop_reason = wanted
                        break
                if monitor.seconds_since_growth() > self.settings.stall_timeout_s:
                    stop_reason = StopReason.STALL
                    logger.warning("no segment growth for %.0f s; stopping ffmpeg",
                                   monitor.seconds_since_growth(), extra={"camera": self.name})
                    break
                stop.wait(self.settings.poll_s)
        except Exception:
            # A spool or hook error must not leave the run unaccounted for: stop ffmpeg and
            # end the run as a failure (its files are listed or kept as partial below).
            logger.exception("supervision of the run failed; restarting ffmpeg",
                             extra={"camera": self.name})
        finally:
            returncode = process.stop()
            self.process = None
        growth = monitor.seconds_since_growth()
        for entry in monitor.poll():
            self.hooks.segment_closed(run, entry)
        tail = process.tail()
        if stop_reason is None or stop_reason is StopReason.STALL:
            self.failures = 0 if monitor.saw_media else self.failures + 1
            if self.failures <= 1 or self.failures % TAIL_EVERY == 0:
                logger.warning("ffmpeg exited (rc %s); last %d lines:\n%s", returncode,
                               len(tail), "\n".join(tail), extra={"camera": self.name})
            else:
                logger.info("ffmpeg exited again (rc %s, %d failed starts): %s", returncode,
                            self.failures, tail[-1] if tail else "", extra={"camera": self.name})
        end = RunEnd(returncode=returncode, stop_reason=stop_reason, tail=tail,
                     seconds_since_growth=growth, had_media=monitor.saw_media)
        self.hooks.run_ended(run, end)
        return end


def stop_leftover(pid: int | None, run_dir: Path) -> bool:
    """Stop an ffmpeg a killed agent left writing into run_dir (checked by its cmdline)."""
    if pid is None:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    if str(run_dir) not in cmdline:
        return False
    logger.warning("stopping ffmpeg %d left running by a previous agent", pid)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists() or _is_zombie(pid):
            return True
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    return True


def _is_zombie(pid: int) -> bool:
    try:
        return " Z " in Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
