"""Applying decisions: raise the catalog's retention date, then every object's COMPLIANCE lock.

Order matters for crash safety: the catalog date is raised first (so anything written from then
on inherits it), then every object version of the recording is extended, then the state
records the store as confirmed. A run interrupted anywhere is completed by the next one. Locks
are only ever raised: the store refuses to shorten COMPLIANCE retention, and so does this code.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from archive.catalog.models import Recording
from archive.evidence.errors import ArchiveError
from archive.services import Archive
from retention.facts import chunks, floor_of, load_facts, load_rules, recording_ids
from retention.models import RecordingRetention
from retention.policy import Decision, RecordingFacts, decide, lock_target
from retention.settings import RetentionSettings

logger = logging.getLogger(__name__)

RECHECK_EVERY = timedelta(hours=1)
RECHECK_SLACK = timedelta(minutes=10)  # writers read the date a little before they store


@dataclass
class ApplyResult:
    decided: int = 0
    raised: dict[str, datetime] = field(default_factory=dict)  # recording -> new lock date
    objects_extended: int = 0
    errors: dict[str, str] = field(default_factory=dict)


def recording_prefix(recording_id: str) -> str:
    """Every object of a recording (segments, seals, transcripts) lives under this prefix."""
    return f"recordings/{recording_id}/"


def apply_retention(archive: Archive, config: RetentionSettings, *, now: datetime,
                    ids: Sequence[str] | None = None) -> ApplyResult:
    """Decide every (or the given) recording and raise locks that the rules now require."""
    result = ApplyResult()
    floor = floor_of(archive.settings)
    ahead = timedelta(days=config.open_ended_ahead_days)
    with archive.catalog.read() as db:
        rules = load_rules(db)
        todo = list(ids) if ids is not None else recording_ids(db)
    for chunk in chunks(todo):
        with archive.catalog.read() as db:
            facts = load_facts(db, chunk)
            states = {s.recording_id: s for s in db.scalars(
                select(RecordingRetention).where(RecordingRetention.recording_id.in_(chunk)))}
        for rid, fact in facts.items():
            if fact.disposed or fact.disposing:
                continue
            decision = decide(fact, rules, floor=floor, now=now)
            result.decided += 1
            target = lock_target(decision, current=fact.lock_until, ahead=ahead)
            try:
                _apply_one(archive, config, decision, target, states.get(rid), fact, now,
                           result)
            except ArchiveError as exc:
                logger.warning("retention_apply_failed",
                               extra={"recording_id": rid, "reason": exc.reason})
                result.errors[rid] = f"{exc.reason}: {exc.message}"
    return result


def _apply_one(archive: Archive, config: RetentionSettings, decision: Decision,
               target: datetime | None, state: RecordingRetention | None,
               fact: RecordingFacts, now: datetime, result: ApplyResult) -> None:
    rid = decision.recording_id
    rule = decision.governing.rule[:200]
    if (state is None or target is not None or state.rule != rule
            or state.open_ended != decision.open_ended):
        wanted, confirmed, checked = _record(archive, decision, target, rule, now, result)
    else:  # nothing new decided: no write, only the store checks below
        wanted, confirmed, checked = state.retain_until, state.locks_until, state.locks_checked_at
    if confirmed is None or confirmed < wanted:
        since = None  # every version
    elif _recent(fact.running, fact.ended_at, checked, now, config):
        since = (checked - RECHECK_SLACK) if checked else None
    else:
        return
    result.objects_extended += _extend_objects(archive, rid, wanted, since=since)
    with archive.catalog.write() as db:
        row = db.get_one(RecordingRetention, rid)
        if row.locks_until is None or row.locks_until < wanted:
            row.locks_until = wanted
        row.locks_checked_at = now
    logger.info("retention_locks_applied", extra={"recording_id": rid,
                                                  "retain_until": wanted.isoformat()})


def _record(archive: Archive, decision: Decision, target: datetime | None, rule: str,
            now: datetime,
            result: ApplyResult) -> tuple[datetime, datetime | None, datetime | None]:
    """Raise the catalog date first (later writes inherit it) and record the decision."""
    rid = decision.recording_id
    with archive.catalog.write() as db:
        recording = db.get_one(Recording, rid, with_for_update=True)
        state = db.get(RecordingRetention, rid)
        if state is None:
            # Everything stored so far was written with the catalog's date.
            state = RecordingRetention(recording_id=rid, retain_until=recording.retain_until,
                                       locks_until=recording.retain_until, decided_at=now)
            db.add(state)
        if target is not None and target > recording.retain_until:
            recording.retain_until = target
            result.raised[rid] = target
        state.retain_until = max(state.retain_until, recording.retain_until)
        state.rule = rule
        state.open_ended = decision.open_ended
        state.decided_at = now
        state.decided_revision = recording.revision
        return state.retain_until, state.locks_until, state.locks_checked_at


def _recent(running: bool, ended: datetime | None, checked: datetime | None, now: datetime,
            config: RetentionSettings) -> bool:
    """Recordings that may still receive objects (seals, transcripts) get rechecked hourly."""
    if checked is not None and now - checked < RECHECK_EVERY:
        return False
    return running or (ended is not None and now - ended <= timedelta(days=config.recheck_days))


def _extend_objects(archive: Archive, recording_id: str, until: datetime, *,
                    since: datetime | None) -> int:
    """Extend every version under the recording's prefix (modified after `since`) to `until`.

    Raises:
        ArchiveError: the first failure, after every other version was tried.
    """
    versions = [v for v in archive.store.list_versions(recording_prefix(recording_id))
                if not v.is_delete_marker
                and (since is None or v.last_modified is None or v.last_modified >= since)]
    errors: list[ArchiveError] = []

    def extend(key: str, version_id: str) -> None:
        try:
            archive.store.extend_retention(key, version_id, until)
        except ArchiveError as exc:
            errors.append(exc)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda v: extend(v.key, v.version_id), versions))
    if errors:
        raise errors[0]
    return len(versions)
