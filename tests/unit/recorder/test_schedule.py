"""Opening hours: parsing, blocks, merging, holidays, time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from recorder.schedule import Mode, Schedule, block_at, next_opening, open_intervals, parse_span

SHANGHAI = "Asia/Shanghai"


def _hours(*spans: str, closed: tuple[date, ...] = ()) -> Schedule:
    return Schedule(Mode.HOURS, SHANGHAI, tuple(parse_span(s) for s in spans), frozenset(closed))


@pytest.mark.parametrize(("text", "days", "start", "end"), [
    ("mon-fri 08:30-12:00", {0, 1, 2, 3, 4}, time(8, 30), time(12)),
    ("sat 09:00-11:30", {5}, time(9), time(11, 30)),
    ("mon,wed-thu 14:00-17:30", {0, 2, 3}, time(14), time(17, 30)),
    ("SUN 00:00-24:00", {6}, time(0), time.max),
])
def test_parse_span(text: str, days: set[int], start: time, end: time) -> None:
    span = parse_span(text)
    assert (set(span.days), span.start, span.end) == (days, start, end)


@pytest.mark.parametrize("text", ["mon-fri", "xyz 08:00-09:00", "fri-mon 08:00-09:00",
                                  "mon 12:00-08:00", "mon 25:00-26:00", "mon 8-9"])
def test_parse_span_refuses(text: str) -> None:
    with pytest.raises(ValueError, match=r"expected|unknown day|backwards|before it starts|range"):
        parse_span(text)


def test_block_at_converts_local_hours_to_utc() -> None:
    schedule = _hours("mon-fri 08:30-12:00", "mon-fri 14:00-17:30")
    # Monday 2026-11-02 10:00 in Shanghai is 02:00 UTC.
    block = block_at(schedule, datetime(2026, 11, 2, 2, 0, tzinfo=UTC))
    assert block is not None
    assert block.start == datetime(2026, 11, 2, 0, 30, tzinfo=UTC)
    assert block.end == datetime(2026, 11, 2, 4, 0, tzinfo=UTC)
    assert block_at(schedule, datetime(2026, 11, 2, 5, 0, tzinfo=UTC)) is None  # lunch
    assert block_at(schedule, datetime(2026, 11, 7, 2, 0, tzinfo=UTC)) is None  # Saturday


def test_block_ends_exclusive_and_touching_spans_merge() -> None:
    schedule = _hours("mon 08:00-12:00", "mon 12:00-18:00")
    blocks = open_intervals(schedule, datetime(2026, 11, 1, tzinfo=UTC),
                            datetime(2026, 11, 3, tzinfo=UTC))
    assert len(blocks) == 1
    assert blocks[0].end == datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    assert block_at(schedule, blocks[0].end) is None


def test_closed_dates_have_no_blocks() -> None:
    schedule = _hours("mon-fri 08:30-12:00", closed=(date(2026, 11, 2),))
    assert block_at(schedule, datetime(2026, 11, 2, 2, 0, tzinfo=UTC)) is None
    assert block_at(schedule, datetime(2026, 11, 3, 2, 0, tzinfo=UTC)) is not None


def test_always_is_one_block_per_local_day() -> None:
    schedule = Schedule(Mode.ALWAYS, SHANGHAI)
    block = block_at(schedule, datetime(2026, 11, 2, 17, 0, tzinfo=UTC))  # 01:00 on the 3rd
    assert block is not None
    assert block.start == datetime(2026, 11, 2, 16, 0, tzinfo=UTC)
    assert (block.end - block.start).total_seconds() == 86400


def test_on_demand_has_no_blocks_and_next_opening() -> None:
    assert open_intervals(Schedule(Mode.ON_DEMAND, SHANGHAI), datetime(2026, 1, 1, tzinfo=UTC),
                          datetime(2026, 2, 1, tzinfo=UTC)) == []
    schedule = _hours("mon-fri 08:30-12:00")
    friday_evening = datetime(2026, 11, 6, 12, 0, tzinfo=UTC)
    assert next_opening(schedule, friday_evening) == datetime(2026, 11, 9, 0, 30, tzinfo=UTC)
