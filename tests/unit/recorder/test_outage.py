"""Exit classification, one gap per outage, backoff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from archive.evidence.vocabulary import GapCause
from recorder.outage import Outage, StopReason, begin, classify_exit, end, next_backoff

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(("kwargs", "cause"), [
    ({"stop_reason": None, "stderr_tail": ["rtsp://x: Connection refused"],
      "seconds_since_growth": 0.1}, GapCause.CAMERA_UNREACHABLE),
    ({"stop_reason": None, "stderr_tail": ["video:45kB audio:24kB"],
      "seconds_since_growth": 0.05}, GapCause.CAMERA_UNREACHABLE),
    ({"stop_reason": None, "stderr_tail": ["rtsp://x: Connection timed out"],
      "seconds_since_growth": 4.2}, GapCause.STREAM_STALLED),
    ({"stop_reason": None, "stderr_tail": [], "seconds_since_growth": 6.0},
     GapCause.STREAM_STALLED),
    ({"stop_reason": StopReason.STALL, "stderr_tail": [], "seconds_since_growth": 20},
     GapCause.STREAM_STALLED),
    ({"stop_reason": None, "stderr_tail": ["seg-000003.ts: No space left on device"],
      "seconds_since_growth": 0.1}, GapCause.DISK_FULL),
])
def test_classify_exit(kwargs: dict[str, object], cause: GapCause) -> None:
    got, detail = classify_exit(returncode=0, socket_timeout_s=5, disk_low=False,
                                **kwargs)  # type: ignore[arg-type]
    assert got is cause
    assert detail


def test_failures_during_an_outage_keep_its_first_cause() -> None:
    outage, gap = begin(None, at=T0, cause=GapCause.STREAM_STALLED, detail="timed out")
    assert gap is None
    outage, gap = begin(outage, at=T0 + timedelta(seconds=9), cause=GapCause.CAMERA_UNREACHABLE,
                        detail="refused")
    assert gap is None
    assert outage.started_at == T0 and outage.cause is GapCause.STREAM_STALLED
    assert outage.attempts == 1 and "refused" in outage.detail
    final = end(outage, at=T0 + timedelta(seconds=12))
    assert (final.started_at, final.ended_at, final.cause) == (
        T0, T0 + timedelta(seconds=12), GapCause.STREAM_STALLED)


def test_a_decision_ends_the_failure_outage_and_starts_its_own() -> None:
    outage = Outage(started_at=T0, cause=GapCause.CAMERA_UNREACHABLE, detail="refused")
    new, gap = begin(outage, at=T0 + timedelta(seconds=5), cause=GapCause.STOPPED_BY_PERSON,
                     detail="maintenance", person="张三")
    assert gap is not None and gap.cause is GapCause.CAMERA_UNREACHABLE
    assert gap.ended_at == new.started_at == T0 + timedelta(seconds=5)
    assert new.person == "张三"


def test_gap_never_ends_before_it_starts() -> None:
    gap = end(Outage(started_at=T0, cause=GapCause.DISK_FULL), at=T0 - timedelta(seconds=1))
    assert gap.ended_at == gap.started_at
    assert gap.as_payload()["cause"] == "disk_full"


def test_backoff_doubles_to_its_cap() -> None:
    waits = []
    value = None
    for _ in range(6):
        value = next_backoff(value, initial=0.5, maximum=5)
        waits.append(value)
    assert waits == [0.5, 1.0, 2.0, 4.0, 5, 5]
