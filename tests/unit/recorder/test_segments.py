"""The segment list and segment times."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from recorder.segments import (
    ListEntry,
    anchor_of,
    closed_times,
    is_segment_file,
    orphan_times,
    parse_segment_list,
    segment_number,
)


def test_parse_keeps_a_torn_last_line_for_later() -> None:
    text = "seg-000000.ts,0.000000,2.004611\nseg-000001.ts,2.004611,4.0046"
    assert parse_segment_list(text) == [ListEntry("seg-000000.ts", 0.0, 2.004611)]
    assert parse_segment_list("") == []


def test_parse_refuses_a_malformed_line() -> None:
    with pytest.raises(ValueError, match="expected name,start,end"):
        parse_segment_list("seg-000000.ts,0.0\n")


def test_names() -> None:
    assert is_segment_file("seg-000012.ts") and not is_segment_file("segments.csv")
    assert segment_number("seg-000012.ts") == 12


def test_times_from_the_anchor_are_contiguous() -> None:
    first, second = ListEntry("a", 0.0, 2.0046), ListEntry("b", 2.0046, 4.0046)
    anchor = anchor_of(first, mtime=1_800_000_002.0046)
    a, b = closed_times(first, anchor), closed_times(second, anchor)
    assert a.ended_at == b.started_at
    assert a.started_at == datetime.fromtimestamp(1_800_000_000, UTC)


def test_orphan_runs_from_the_previous_end_to_its_last_write() -> None:
    previous = datetime(2026, 11, 2, 1, 0, 10, tzinfo=UTC)
    times = orphan_times(previous_end=previous, run_media_start=None,
                         mtime=previous.timestamp() + 1.5)
    assert times.started_at == previous
    assert (times.ended_at - times.started_at).total_seconds() == pytest.approx(1.5)
    with pytest.raises(ValueError, match="previous segment"):
        orphan_times(previous_end=None, run_media_start=None, mtime=0.0)
