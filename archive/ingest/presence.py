"""Recorder presence: "recorder offline" gaps when heartbeats stop during opening hours.

Each agent sends, with every heartbeat, each camera's window and the time spans it must
record (`open_intervals`, a week ahead) and since when its heartbeats have been getting
through (`heartbeat_ok_since`). Once a minute this check compares that with the silence:
a device silent for longer than `heartbeat_timeout_s` gets, on each of its open recordings,
one gap per outage and opening block, from its last heartbeat; the gap is extended while
the silence lasts and finished when heartbeats resume. Decisions are pure (`decide`);
`check_presence` reads and writes the catalog.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from archive.catalog.models import Device, Gap, Recording
from archive.evidence.vocabulary import GapCause, RecordingState
from archive.ingest import service as ingest
from archive.jobs import JobRegistry

logger = logging.getLogger(__name__)

PRESENCE = ingest.Actor(id="archive:presence", jurisdiction_id=None)
ONGOING = "[ongoing]"  # in a gap's detail while the silence lasts


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class KnownGap:
    """A presence gap already written: its start identifies the outage."""

    id: str
    started_at: datetime
    ended_at: datetime
    ongoing: bool


@dataclass(frozen=True)
class Action:
    """Create a gap (gap_id None) or move an existing gap's end."""

    gap_id: str | None
    started_at: datetime
    ended_at: datetime
    ongoing: bool


def decide(
    *, now: datetime, last_heartbeat_at: datetime, heartbeat_ok_since: datetime | None,
    timeout_s: float, open_intervals: Sequence[Span], recording_started_at: datetime,
    known: Sequence[KnownGap],
) -> list[Action]:
    """What to write for one open recording of one device; [] when nothing changes.

    Offline (silent longer than the timeout): one gap per opening block the silence
    touches, from the last heartbeat (or the block's start) to now (or the block's end).
    Online again: gaps still marked ongoing end where the heartbeats resumed.
    """
    by_start = {gap.started_at: gap for gap in known}
    actions: list[Action] = []
    if now - last_heartbeat_at <= timedelta(seconds=timeout_s):
        resumed = heartbeat_ok_since or last_heartbeat_at
        for gap in known:
            if gap.ongoing:
                end = max(gap.ended_at, min(resumed, now))
                actions.append(Action(gap.id, gap.started_at, end, ongoing=False))
        return actions
    floor = max(last_heartbeat_at, recording_started_at)
    for gap in known:
        if gap.ongoing and gap.started_at < last_heartbeat_at:
            # An earlier silence that ended before this one began (heard at least once).
            resumed = heartbeat_ok_since if heartbeat_ok_since and \
                heartbeat_ok_since > gap.started_at else last_heartbeat_at
            end = max(gap.ended_at, min(resumed, last_heartbeat_at))
            actions.append(Action(gap.id, gap.started_at, end, ongoing=False))
    for block in open_intervals:
        start, end = max(floor, block.start), min(now, block.end)
        if end <= start:
            continue
        ongoing = end < block.end
        existing = by_start.get(start)
        if existing is None:
            actions.append(Action(None, start, end, ongoing))
        elif existing.ongoing and (end > existing.ended_at or not ongoing):
            actions.append(Action(existing.id, start, max(end, existing.ended_at), ongoing))
    return actions


def parse_intervals(status: dict[str, Any] | None, window_id: str) -> list[Span]:
    """The spans the device's cameras of `window_id` must record, from its last status."""
    spans: list[Span] = []
    for camera in (status or {}).get("cameras", []):
        if not isinstance(camera, dict) or camera.get("window_id") != window_id:
            continue
        for pair in camera.get("open_intervals") or []:
            try:
                start, end = (datetime.fromisoformat(p) for p in pair)
            except (TypeError, ValueError):
                continue
            if start.tzinfo is not None and end > start:
                spans.append(Span(start.astimezone(UTC), end.astimezone(UTC)))
    return _merge(sorted(spans, key=lambda s: s.start))


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for span in spans:
        if merged and span.start <= merged[-1].end:
            merged[-1] = Span(merged[-1].start, max(merged[-1].end, span.end))
        else:
            merged.append(span)
    return merged


def _ok_since(status: dict[str, Any] | None) -> datetime | None:
    value = (status or {}).get("heartbeat_ok_since")
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def _detail(device_id: str, last: datetime, timeout_s: float, action: Action) -> str:
    text = (f"no heartbeat from recorder {device_id} since {last.isoformat()} "
            f"(timeout {timeout_s:.0f} s)")
    return f"{text} {ONGOING}" if action.ongoing else f"{text}; until {action.ended_at.isoformat()}"


def check_presence(archive: Any, *, now: datetime, timeout_s: float) -> int:
    """Write the gaps `decide` asks for, on every device's open recordings; returns how many
    gaps were created or changed."""
    catalog = archive.catalog
    plans: list[tuple[Recording, Device, list[Action]]] = []
    with catalog.read() as db:
        devices = db.scalars(select(Device).where(Device.last_heartbeat_at.is_not(None),
                                                  Device.revoked_at.is_(None))).all()
        for device in devices:
            assert device.last_heartbeat_at is not None
            recordings = db.scalars(select(Recording).where(
                Recording.device_id == device.id,
                Recording.state == RecordingState.OPEN)).all()
            for recording in recordings:
                gaps = db.scalars(select(Gap).where(
                    Gap.recording_id == recording.id, Gap.cause == GapCause.RECORDER_OFFLINE,
                    Gap.reported_by == PRESENCE.id)).all()
                known = [KnownGap(g.id, g.started_at, g.ended_at, ONGOING in g.detail)
                         for g in gaps]
                actions = decide(
                    now=now, last_heartbeat_at=device.last_heartbeat_at,
                    heartbeat_ok_since=_ok_since(device.last_status), timeout_s=timeout_s,
                    open_intervals=parse_intervals(device.last_status, recording.window_id),
                    recording_started_at=recording.started_at, known=known)
                if actions:
                    plans.append((recording, device, actions))
    changed = 0
    for recording, device, actions in plans:
        assert device.last_heartbeat_at is not None
        for action in actions:
            detail = _detail(device.id, device.last_heartbeat_at, timeout_s, action)
            if action.gap_id is None:
                ingest.report_gap(catalog, actor=PRESENCE, recording_id=recording.id,
                                  started_at=action.started_at, ended_at=action.ended_at,
                                  cause=GapCause.RECORDER_OFFLINE, detail=detail)
                logger.warning("recorder offline", extra={"recording_id": recording.id,
                                                          "device": device.id})
            else:
                _extend(catalog, action, detail, recording.id)
            changed += 1
    return changed


def _extend(catalog: Any, action: Action, detail: str, recording_id: str) -> None:
    """Move a presence gap's end; the recording awaits a new seal covering the change."""
    with catalog.write() as db:
        gap = db.get(Gap, action.gap_id)
        recording = db.get(Recording, recording_id)
        if gap is None or recording is None:
            return
        gap.ended_at = action.ended_at
        gap.detail = detail
        ingest._touch(recording)


def register(registry: JobRegistry) -> None:
    """Add the periodic presence check, once a minute."""
    from huey import crontab

    @registry.huey.periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
    def presence_check() -> None:
        changed = check_presence(registry.archive(), now=datetime.now(UTC),
                                 timeout_s=registry.settings.archive.heartbeat_timeout_s)
        if changed:
            logger.info("presence check changed %d gap(s)", changed)

    registry.add_task("presence_check", presence_check)
