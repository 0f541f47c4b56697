"""Interruptions of a recording: why ffmpeg stopped, and the gap each outage becomes. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from archive.evidence.vocabulary import GapCause

# Causes the agent decides on; they replace a failure that is going on.
DECIDED = frozenset({GapCause.DISK_FULL, GapCause.STOPPED_BY_PERSON})


class StopReason(StrEnum):
    """Why the agent itself ended an ffmpeg run."""

    STALL = "stall"  # watchdog: no segment growth
    DISK_FULL = "disk_full"
    PERSON = "person"  # a named person stopped the camera
    SCHEDULE = "schedule"  # the opening block ended
    SHUTDOWN = "shutdown"  # the agent is stopping
    CRASH = "crash"  # found at start: the previous agent died with this run going


@dataclass(frozen=True)
class Outage:
    """A time without media on an open recording, not yet reported."""

    started_at: datetime
    cause: GapCause
    detail: str = ""
    person: str | None = None
    attempts: int = 0


@dataclass(frozen=True)
class GapRecord:
    started_at: datetime
    ended_at: datetime
    cause: GapCause
    detail: str
    person: str | None = None

    def as_payload(self) -> dict[str, str | None]:
        return {"started_at": self.started_at.isoformat(), "ended_at": self.ended_at.isoformat(),
                "cause": self.cause.value, "detail": self.detail[:2000], "person": self.person}


_TIMEOUT_MARKS = ("timed out", "timeout")
_DISK_MARKS = ("no space left on device",)


def classify_exit(
    *, stop_reason: StopReason | None, returncode: int | None, stderr_tail: Sequence[str],
    seconds_since_growth: float, socket_timeout_s: float, disk_low: bool,
) -> tuple[GapCause, str]:
    """The cause of a run's end that the agent did not plan, and a one-line detail."""
    last = _last_error_line(stderr_tail)
    text = " ".join(stderr_tail[-20:]).lower()
    if stop_reason is StopReason.STALL:
        return GapCause.STREAM_STALLED, (f"no segment grew for {seconds_since_growth:.0f} s; "
                                         "ffmpeg stopped by the watchdog")
    if stop_reason is StopReason.DISK_FULL or disk_low or any(m in text for m in _DISK_MARKS):
        return GapCause.DISK_FULL, f"spool disk full ({last or 'limit reached'})"
    code = f"rc {returncode}" if returncode is not None else "no exit code"
    if any(m in text for m in _TIMEOUT_MARKS) or seconds_since_growth >= socket_timeout_s:
        return GapCause.STREAM_STALLED, (f"stream stalled {seconds_since_growth:.0f} s before "
                                         f"ffmpeg exited ({code}): {last or 'no error'}")
    return GapCause.CAMERA_UNREACHABLE, f"ffmpeg exited ({code}): {last or 'end of stream'}"


def _last_error_line(lines: Sequence[str]) -> str:
    for line in reversed(lines):
        low = line.lower()
        if any(w in low for w in ("error", "refused", "timed out", "failed", "invalid",
                                  "not found", "unreachable", "no route", "no space",
                                  "end of file", "broken pipe", "unauthorized")):
            return line.strip()[:300]
    return ""


def begin(current: Outage | None, *, at: datetime, cause: GapCause, detail: str,
          person: str | None = None) -> tuple[Outage, GapRecord | None]:
    """Record that media stopped at `at`; returns the outage and a gap to report now, if any.

    A failure during an outage keeps the outage's first cause (one outage, one gap); a
    decision (disk full, a person's stop) ends the outage going on and starts its own.
    """
    if current is None:
        return Outage(started_at=at, cause=cause, detail=detail, person=person), None
    if cause in DECIDED and cause is not current.cause:
        gap = end(current, at=at)
        return Outage(started_at=max(at, current.started_at), cause=cause, detail=detail,
                      person=person), gap
    return replace(current, attempts=current.attempts + 1,
                   detail=_merge_detail(current, detail)), None


def _merge_detail(current: Outage, detail: str) -> str:
    first = current.detail.split(" | then ", 1)[0]
    if not detail or detail == first:
        return first
    return f"{first} | then {current.attempts + 1} failed restart(s), last: {detail}"[:2000]


def end(outage: Outage, *, at: datetime) -> GapRecord:
    """The gap an outage becomes once media is back (or the recording ends) at `at`."""
    return GapRecord(started_at=outage.started_at, ended_at=max(at, outage.started_at),
                     cause=outage.cause, detail=outage.detail, person=outage.person)


def next_backoff(previous: float | None, *, initial: float, maximum: float) -> float:
    """0 → initial → 2x … capped at maximum."""
    if previous is None or previous <= 0:
        return min(initial, maximum)
    return min(previous * 2, maximum)
