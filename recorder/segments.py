"""ffmpeg's segment list and segment times. Pure: parsing and arithmetic only.

A segment is closed when its line appears in the CSV list (ffmpeg writes and flushes the
line when it closes the file, also for the last segment on a clean exit). The list gives
each segment's start and end in stream seconds; a run's anchor maps stream seconds to
wall-clock time: anchor = mtime of the first closed file - its end (its last bytes are
written when the next keyframe arrives, which is its end).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime

from recorder.ffmpeg_args import SEGMENT_PATTERN

SEGMENT_PREFIX = SEGMENT_PATTERN.split("%", 1)[0]
SEGMENT_SUFFIX = ".ts"


@dataclass(frozen=True)
class ListEntry:
    """One closed segment: file name and its start and end in stream seconds."""

    filename: str
    start: float
    end: float

    @property
    def duration(self) -> float:
        return max(0.0, self.end - self.start)


def parse_segment_list(text: str) -> list[ListEntry]:
    """Entries of complete lines (ending in a newline); a torn last line is left for later.

    Raises:
        ValueError: a complete line is not `name,start,end`.
    """
    complete = text[: text.rfind("\n") + 1] if "\n" in text else ""
    entries: list[ListEntry] = []
    for row in csv.reader(io.StringIO(complete)):
        if not row:
            continue
        if len(row) != 3:
            raise ValueError(f"got segment list line {row!r}, expected name,start,end")
        entries.append(ListEntry(row[0], float(row[1]), float(row[2])))
    return entries


def is_segment_file(name: str) -> bool:
    return name.startswith(SEGMENT_PREFIX) and name.endswith(SEGMENT_SUFFIX)


def segment_number(name: str) -> int:
    """seg-000012.ts -> 12 (files sort by it, in the order ffmpeg wrote them)."""
    return int(name.removeprefix(SEGMENT_PREFIX).removesuffix(SEGMENT_SUFFIX))


def anchor_of(entry: ListEntry, mtime: float) -> float:
    """Wall-clock epoch seconds of stream time 0 in this run, from one closed segment."""
    return mtime - entry.end


def wall(anchor: float, offset: float) -> datetime:
    """Stream seconds -> aware UTC time."""
    return datetime.fromtimestamp(anchor + offset, UTC)


@dataclass(frozen=True)
class SegmentTimes:
    started_at: datetime
    ended_at: datetime


def closed_times(entry: ListEntry, anchor: float) -> SegmentTimes:
    return SegmentTimes(wall(anchor, entry.start), wall(anchor, entry.end))


def orphan_times(*, previous_end: datetime | None, run_media_start: datetime | None,
                 mtime: float) -> SegmentTimes:
    """Times of a file ffmpeg never closed: from where the previous one ended to its last write.

    Raises:
        ValueError: neither a previous segment nor the run's start is known.
    """
    ended = datetime.fromtimestamp(mtime, UTC)
    started = previous_end or run_media_start
    if started is None:
        raise ValueError("an orphan needs the previous segment's end or the run's start")
    return SegmentTimes(min(started, ended), ended)
