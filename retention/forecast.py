"""Capacity forecast: stored bytes per jurisdiction for the coming months, and when it fills.

The projection is pure (`project`): what is stored now, minus what existing recordings' rules
release on known dates, plus what new recordings add at the recent rate and keep for as long
as recent recordings were kept. Recordings that are held or whose end is not known (open cases)
are counted as kept for the whole horizon. Nothing is ever deleted to make room: a store that
would fill is a warning to add capacity.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from archive.catalog.models import Jurisdiction
from archive.evidence.errors import InvalidInputError
from archive.evidence.vocabulary import JurisdictionLevel
from archive.services import Archive
from retention.facts import chunks, decide_many, floor_of, load_rules, placements, recording_ids
from retention.policy import Status

MAX_MONTHS = 120
_DAY = 86400.0


@dataclass(frozen=True)
class SeriesInput:
    """One jurisdiction's facts for the projection."""

    group: str
    name: str
    current_bytes: int
    releases: Sequence[tuple[datetime, int]]  # (date, bytes) of existing recordings
    rate_per_day: float  # bytes recorded per day, recently
    profile: Sequence[tuple[int | None, float]]  # (days kept after recording, byte share);
    # None: kept beyond any horizon


@dataclass(frozen=True)
class Forecast:
    start: datetime
    points: list[datetime]
    series: dict[str, list[int]]  # group -> bytes at each point
    names: dict[str, str]
    total: list[int]
    rates: dict[str, float]  # group -> bytes per day
    capacity: int | None
    warnings: list[str] = field(default_factory=list)


def add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def project(inputs: Sequence[SeriesInput], *, start: datetime, months: int,
            capacity: int | None, warn_fraction: float) -> Forecast:
    """Bytes stored at `start` and at each of the next `months` month boundaries."""
    if not 1 <= months <= MAX_MONTHS:
        raise InvalidInputError(f"got {months} months, expected 1-{MAX_MONTHS}",
                                reason="bad_months")
    points = [add_months(start, k) for k in range(months + 1)]
    series: dict[str, list[int]] = {}
    for entry in inputs:
        values = []
        for point in points:
            released = sum(size for when, size in entry.releases if when <= point)
            elapsed = (point - start).total_seconds() / _DAY
            added = 0.0
            for period, share in entry.profile:
                kept_days = elapsed if period is None else min(elapsed, float(period))
                added += entry.rate_per_day * share * kept_days
            values.append(max(0, entry.current_bytes - released + round(added)))
        series[entry.group] = values
    total = [sum(values[i] for values in series.values()) for i in range(len(points))]
    forecast = Forecast(start=start, points=points, series=series,
                        names={e.group: e.name for e in inputs}, total=total,
                        rates={e.group: e.rate_per_day for e in inputs}, capacity=capacity)
    forecast.warnings.extend(_warnings(forecast, warn_fraction))
    return forecast


def _warnings(forecast: Forecast, warn_fraction: float) -> list[str]:
    capacity = forecast.capacity
    if capacity is None:
        return []
    warnings = []
    threshold = capacity * warn_fraction
    for label, limit in ((f"{round(warn_fraction * 100)} % of its capacity", threshold),
                         ("its capacity", float(capacity))):
        for point, value in zip(forecast.points, forecast.total, strict=True):
            if value >= limit:
                when = "now" if point == forecast.start else f"by {point.date().isoformat()}"
                warnings.append(f"the store reaches {label} {when} ({human_bytes(value)} of "
                                f"{human_bytes(capacity)}): add capacity; nothing is deleted "
                                "to make room")
                break
    return warnings


def human_bytes(value: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def group_of(path: str, level: JurisdictionLevel) -> str:
    """The ancestor at `level` of a jurisdiction path, or the node itself when it is higher."""
    parts = [p for p in path.split("/") if p]
    index = list(JurisdictionLevel).index(level)
    return parts[min(index, len(parts) - 1)]


def gather(archive: Archive, *, now: datetime, level: JurisdictionLevel, scope_path: str,
           window_days: int) -> list[SeriesInput]:
    """Per-jurisdiction inputs from the catalog: sizes, decisions, recent recording rate."""
    floor = floor_of(archive.settings)
    recent_from = now - timedelta(days=window_days)
    current: dict[str, int] = {}
    releases: dict[str, list[tuple[datetime, int]]] = {}
    recent: dict[str, int] = {}
    kept: dict[str, dict[int | None, int]] = {}
    with archive.catalog.read() as db:
        rules = load_rules(db)
        names = {i: n for i, n in db.execute(select(Jurisdiction.id, Jurisdiction.name))}
        ids = recording_ids(db, scope_path=scope_path)
        for chunk in chunks(ids):
            decisions = decide_many(db, chunk, rules=rules, floor=floor, now=now)
            where = placements(db, chunk)
            for rid, decision in decisions.items():
                place = where[rid]
                group = group_of(place.jurisdiction_path, level)
                size = place.total_bytes
                current[group] = current.get(group, 0) + size
                status = decision.status(now)
                fixed = status in (Status.KEPT, Status.DUE)
                if fixed:
                    releases.setdefault(group, []).append((max(decision.retain_until, now), size))
                if place.started_at >= recent_from:
                    recent[group] = recent.get(group, 0) + size
                    end = place.ended_at or place.started_at
                    period = (decision.retain_until - end).days if fixed else None
                    bucket = kept.setdefault(group, {})
                    bucket[period] = bucket.get(period, 0) + size
    inputs = []
    for group in sorted(current):
        shares = kept.get(group, {})
        weight = sum(shares.values())
        profile = [(period, size / weight) for period, size in shares.items()] if weight else []
        inputs.append(SeriesInput(group=group, name=names.get(group, group),
                                  current_bytes=current[group],
                                  releases=releases.get(group, []),
                                  rate_per_day=recent.get(group, 0) / window_days,
                                  profile=profile))
    return inputs
