"""Export selections and package paths: what is refused before anything is read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from archive.evidence.errors import InvalidInputError
from archive.export.offline.layout import (
    ExportRequest,
    Interval,
    Selection,
    check_path,
    safe_name,
    segment_path,
)

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(("selection", "match"), [
    (Selection(), "exactly one"),
    (Selection(case="c", session_ids=("s",)), "exactly one"),
    (Selection(case="  "), "case number is empty"),
    (Selection(session_ids=("a", "a")), "twice"),
    (Selection(window_id="w"), "both --from and --to"),
    (Selection(window_id="w", since=T0, until=T0), "empty time range"),
    (Selection(window_id="w", since=T0, until=T0 - timedelta(seconds=1)), "empty time range"),
    (Selection(window_id="w", since=datetime(2026, 11, 2), until=T0), "no UTC offset"),
    (Selection(since=T0, until=T0 + timedelta(hours=1)), "exactly one"),
])
def test_bad_selections_are_refused_with_a_clear_message(selection: Selection,
                                                          match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        selection.validate()


def test_a_reason_is_required() -> None:
    request = ExportRequest(selection=Selection(case="c"), reason=" ", actor="operator:x")
    with pytest.raises(InvalidInputError, match="needs a reason"):
        request.validate()


def test_time_range_is_described_in_utc() -> None:
    east8 = timezone(timedelta(hours=8))
    selection = Selection(window_id="w", since=datetime(2026, 11, 2, 9, tzinfo=east8),
                          until=datetime(2026, 11, 2, 10, tzinfo=east8))
    selection.validate()
    assert selection.as_dict() == {"window": "w", "from": "2026-11-02T01:00:00.000000Z",
                                   "to": "2026-11-02T02:00:00.000000Z"}


@pytest.mark.parametrize(("start", "end", "expected"), [
    (T0 - timedelta(seconds=60), T0, False),  # ends exactly where the interval starts
    (T0 - timedelta(seconds=60), T0 + timedelta(seconds=1), True),
    (T0 + timedelta(seconds=59), T0 + timedelta(seconds=120), True),
    (T0 + timedelta(seconds=60), T0 + timedelta(seconds=120), False),  # starts at its end
])
def test_whole_segments_overlapping_an_interval_are_selected(start: datetime, end: datetime,
                                                             expected: bool) -> None:
    assert Interval(T0, T0 + timedelta(seconds=60)).overlaps(start, end) is expected


def test_open_ended_sessions_cover_everything_after_their_start() -> None:
    assert Interval(T0, None).overlaps(T0 + timedelta(days=1), T0 + timedelta(days=2))
    assert not Interval(T0, None).overlaps(T0 - timedelta(hours=1), T0)


@pytest.mark.parametrize("name", ["..", "a/b", "a b", "é", "", "x" * 121])
def test_unsafe_names_never_become_paths(name: str) -> None:
    with pytest.raises(InvalidInputError, match=r"got file name .*, expected \[A-Za-z0-9\._-\]"):
        safe_name(name)


def test_paths_are_checked_and_segments_keep_their_extension() -> None:
    assert segment_path("abc", 7, "recordings/abc/segments/000007.ts") == \
        "data/recordings/abc/segments/000007.ts"
    for bad in ("/etc/passwd", "data/../x", "data//x"):
        with pytest.raises(InvalidInputError, match="expected safe relative components"):
            check_path(bad)
