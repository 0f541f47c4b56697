"""Opening hours: when a camera must record. Pure functions of a schedule and a time."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(
    r"^\s*(?P<days>[a-z]{3}(?:\s*-\s*[a-z]{3})?(?:\s*,\s*[a-z]{3}(?:\s*-\s*[a-z]{3})?)*)\s+"
    r"(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$"
)


class Mode(StrEnum):
    ALWAYS = "always"  # records round the clock, one recording per local calendar day
    HOURS = "hours"  # records during the opening hours, one recording per opening block
    ON_DEMAND = "on_demand"  # interview rooms: records while an interview is open


@dataclass(frozen=True)
class Interval:
    """A half-open UTC time range [start, end)."""

    start: datetime
    end: datetime

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True)
class WeeklySpan:
    """Local opening time on some weekdays, e.g. mon-fri 08:30-12:00."""

    days: frozenset[int]  # 0 = Monday
    start: time
    end: time  # 24:00 is written as time.max


@dataclass(frozen=True)
class Schedule:
    mode: Mode
    timezone: str
    spans: tuple[WeeklySpan, ...] = ()
    closed_dates: frozenset[date] = frozenset()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def parse_span(text: str) -> WeeklySpan:
    """Parse "mon-fri 08:30-12:00" (day ranges and lists, 24-hour local times).

    Raises:
        ValueError: the text is not of that form, or the span ends before it starts.
    """
    match = _SPAN.match(text.lower())
    if match is None:
        raise ValueError(f"got {text!r}, expected e.g. 'mon-fri 08:30-12:00'")
    days: set[int] = set()
    for part in match["days"].split(","):
        ends = [p.strip() for p in part.split("-")]
        for name in ends:
            if name not in DAYS:
                raise ValueError(f"unknown day {name!r} in {text!r}; use {', '.join(DAYS)}")
        first, last = DAYS.index(ends[0]), DAYS.index(ends[-1])
        if last < first:
            raise ValueError(f"day range {part.strip()!r} runs backwards in {text!r}")
        days.update(range(first, last + 1))
    start, end = _clock(match["start"], text), _clock(match["end"], text)
    if end != time.max and end <= start:
        raise ValueError(f"span {text!r} ends before it starts")
    return WeeklySpan(days=frozenset(days), start=start, end=end)


def _clock(value: str, text: str) -> time:
    hours, minutes = (int(x) for x in value.split(":"))
    if (hours, minutes) == (24, 0):
        return time.max
    if hours > 23 or minutes > 59:
        raise ValueError(f"time {value!r} out of range in {text!r}")
    return time(hours, minutes)


def open_intervals(schedule: Schedule, start: datetime, end: datetime) -> list[Interval]:
    """Opening blocks that overlap [start, end), merged where they touch, in UTC.

    `always` gives one block per local calendar day; `on_demand` gives none (the
    interviews decide).
    """
    if schedule.mode is Mode.ON_DEMAND:
        return []
    zone = schedule.zone
    first_day = start.astimezone(zone).date() - timedelta(days=1)
    last_day = end.astimezone(zone).date() + timedelta(days=1)
    blocks: list[Interval] = []
    day = first_day
    while day <= last_day:
        if day not in schedule.closed_dates:
            blocks.extend(_day_blocks(schedule, day, zone))
        day += timedelta(days=1)
    merged = _merge(sorted(blocks, key=lambda b: b.start),
                    touch=schedule.mode is not Mode.ALWAYS)
    return [b for b in merged if b.end > start and b.start < end]


def _day_blocks(schedule: Schedule, day: date, zone: ZoneInfo) -> Iterable[Interval]:
    midnight = datetime.combine(day, time(), zone)
    next_midnight = datetime.combine(day + timedelta(days=1), time(), zone)
    if schedule.mode is Mode.ALWAYS:
        yield Interval(midnight.astimezone(UTC), next_midnight.astimezone(UTC))
        return
    for span in schedule.spans:
        if day.weekday() not in span.days:
            continue
        begin = datetime.combine(day, span.start, zone)
        finish = next_midnight if span.end == time.max else datetime.combine(day, span.end, zone)
        yield Interval(begin.astimezone(UTC), finish.astimezone(UTC))


def _merge(blocks: Sequence[Interval], *, touch: bool) -> list[Interval]:
    merged: list[Interval] = []
    for block in blocks:
        if merged and (block.start < merged[-1].end or (touch and block.start == merged[-1].end)):
            last = merged[-1]
            merged[-1] = Interval(last.start, max(last.end, block.end))
        else:
            merged.append(block)
    return merged


def block_at(schedule: Schedule, now: datetime) -> Interval | None:
    """The opening block `now` falls in, or None when closed (always None for on_demand)."""
    for block in open_intervals(schedule, now - timedelta(seconds=1), now + timedelta(seconds=1)):
        if block.contains(now):
            return block
    return None


def next_opening(schedule: Schedule, now: datetime, *, horizon_days: int = 14) -> datetime | None:
    """When the next block starts after `now` (None: not within the horizon)."""
    for block in open_intervals(schedule, now, now + timedelta(days=horizon_days)):
        if block.start > now:
            return block.start
    return None
