"""archive.ingest.presence.decide: one "recorder offline" gap per outage and block, extended, ended.

(The presence check lives in archive/ but belongs to the recorder work; its I/O part is
tested in tests/integration/recorder/test_presence.py.)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from archive.ingest.presence import Action, KnownGap, Span, decide, parse_intervals

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
BLOCK = Span(T0 - timedelta(hours=1), T0 + timedelta(hours=2))


def _m(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _decide(now: datetime, known: list[KnownGap], *, last: datetime = T0,
            ok_since: datetime | None = None, blocks: list[Span] | None = None) -> list[Action]:
    return decide(now=now, last_heartbeat_at=last, heartbeat_ok_since=ok_since, timeout_s=60,
                  open_intervals=[BLOCK] if blocks is None else blocks,
                  recording_started_at=T0 - timedelta(hours=1), known=known)


def test_within_the_timeout_nothing_happens() -> None:
    assert _decide(_m(0.9), []) == []


def test_silence_creates_one_gap_then_extends_it() -> None:
    (first,) = _decide(_m(2), [])
    assert first == Action(None, T0, _m(2), ongoing=True)
    known = [KnownGap("g1", T0, _m(2), ongoing=True)]
    (again,) = _decide(_m(3), known)
    assert again == Action("g1", T0, _m(3), ongoing=True)
    assert _decide(_m(2), known) == []  # the same minute twice: nothing new


def test_silence_is_clipped_to_opening_hours_and_split_by_block() -> None:
    morning = Span(T0 - timedelta(hours=1), _m(60))
    afternoon = Span(_m(180), _m(300))
    actions = _decide(_m(200), [], blocks=[morning, afternoon])
    assert [(a.started_at, a.ended_at, a.ongoing) for a in actions] == [
        (T0, _m(60), False), (_m(180), _m(200), True)]
    assert _decide(_m(120), [KnownGap("g1", T0, _m(60), False)],
                   blocks=[morning, afternoon]) == []


def test_closed_hours_write_nothing() -> None:
    assert _decide(_m(30), [], blocks=[Span(_m(60), _m(120))]) == []
    assert _decide(_m(30), [], blocks=[]) == []


def test_heartbeats_back_end_the_gap_where_they_resumed() -> None:
    known = [KnownGap("g1", T0, _m(5), ongoing=True)]
    (final,) = _decide(_m(7), known, last=_m(6.9), ok_since=_m(6.5))
    assert final == Action("g1", T0, _m(6.5), ongoing=False)
    assert _decide(_m(8), [KnownGap("g1", T0, _m(6.5), False)], last=_m(7.9)) == []


def test_a_new_silence_finishes_the_earlier_one() -> None:
    known = [KnownGap("g1", T0, _m(5), ongoing=True)]
    actions = _decide(_m(12), known, last=_m(10), ok_since=_m(6))
    assert Action("g1", T0, _m(6), ongoing=False) in actions
    assert Action(None, _m(10), _m(12), ongoing=True) in actions


def test_parse_intervals_of_one_window() -> None:
    status = {"cameras": [
        {"window_id": "w1", "open_intervals": [[T0.isoformat(), _m(60).isoformat()],
                                               [_m(30).isoformat(), _m(90).isoformat()]]},
        {"window_id": "w2", "open_intervals": [[T0.isoformat(), _m(5).isoformat()]]},
        {"window_id": "w1", "open_intervals": [["bad", "x"]]}]}
    assert parse_intervals(status, "w1") == [Span(T0, _m(90))]
    assert parse_intervals(None, "w1") == []
