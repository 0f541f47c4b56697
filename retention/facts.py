"""Reading what decisions need from the catalog: rules, recordings, sessions, flags, holds.

Flags come from the packages that raise them, through `archive.catalog.flags`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session as DBSession

from archive.access.scope import Scope
from archive.catalog import flags
from archive.catalog.models import Case, Jurisdiction, Recording, Session, Window
from archive.evidence.vocabulary import RecordingState
from archive.settings import Settings
from retention.models import (
    HoldItemStatus,
    LegalHold,
    LegalHoldItem,
    RecordingRetention,
    RetentionRule,
)
from retention.policy import (
    CaseFacts,
    Decision,
    Period,
    RecordingFacts,
    Rule,
    SessionFacts,
    decide,
)

CHUNK = 500  # recordings per query: keeps IN lists short on both databases
FLOOR_DAYS = 180  # the brief's six months; settings may raise it, never lower it


def floor_of(settings: Settings) -> Period:
    """The floor every recording gets: the archive's default retention, at least 180 days."""
    return Period(days=max(FLOOR_DAYS, settings.archive.default_retention_days))


@dataclass(frozen=True)
class Placement:
    """Where a recording sits: its window, jurisdiction and size."""

    window_id: str
    jurisdiction_id: str
    jurisdiction_path: str
    segment_count: int
    total_bytes: int
    started_at: datetime
    ended_at: datetime | None
    sealed: bool
    closed: bool


def rule_of(row: RetentionRule) -> Rule:
    return Rule(id=row.id, category=row.category, period=Period(row.years, row.days),
                case_type=row.case_type, stage=row.stage, label=row.label)


def load_rules(db: DBSession) -> list[Rule]:
    """The active rules, oldest first."""
    rows = db.scalars(select(RetentionRule).where(RetentionRule.retired_at.is_(None))
                      .order_by(RetentionRule.created_at, RetentionRule.id))
    return [rule_of(row) for row in rows]


def recording_ids(db: DBSession, *, scope_path: str = "/", include_disposed: bool = False,
                  lock_ended_by: datetime | None = None) -> list[str]:
    """Recordings in a jurisdiction subtree, oldest first; optionally only those whose
    catalog lock has ended by `lock_ended_by` (a due recording's has)."""
    query = (select(Recording.id)
             .join(Window, Recording.window_id == Window.id)
             .join(Jurisdiction, Window.jurisdiction_id == Jurisdiction.id)
             .outerjoin(RecordingRetention, RecordingRetention.recording_id == Recording.id)
             .where(Scope(scope_path).on_jurisdiction())
             .order_by(Recording.started_at, Recording.id))
    if not include_disposed:
        query = query.where(RecordingRetention.disposed_at.is_(None))
    if lock_ended_by is not None:
        query = query.where(Recording.retain_until <= lock_ended_by,
                            or_(RecordingRetention.retain_until.is_(None),
                                RecordingRetention.retain_until <= lock_ended_by))
    return list(db.scalars(query))


def chunks(ids: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start:start + CHUNK])


def load_facts(db: DBSession, ids: Sequence[str]) -> dict[str, RecordingFacts]:
    """Facts of up to CHUNK recordings; unknown ids are left out."""
    ids = list(ids)
    if not ids:
        return {}
    recordings = {r.id: r for r in db.scalars(select(Recording).where(Recording.id.in_(ids)))}
    states = {s.recording_id: s for s in db.scalars(
        select(RecordingRetention).where(RecordingRetention.recording_id.in_(ids)))}
    sessions: dict[str, list[tuple[Session, Case | None]]] = {}
    for session, case in db.execute(
            select(Session, Case).outerjoin(Case, Session.case_id == Case.id)
            .where(Session.recording_id.in_(ids)).order_by(Session.started_at, Session.id)):
        sessions.setdefault(session.recording_id, []).append((session, case))
    flagged_sessions, flagged_recordings = flags.flagged(db, ids)
    holds: dict[str, list[str]] = {}
    for recording_id, hold_id in db.execute(
            select(LegalHoldItem.recording_id, LegalHoldItem.hold_id)
            .join(LegalHold, LegalHold.id == LegalHoldItem.hold_id)
            .where(LegalHoldItem.recording_id.in_(ids), LegalHold.released_at.is_(None),
                   LegalHoldItem.status == HoldItemStatus.ACTIVE)):
        holds.setdefault(recording_id, []).append(hold_id)
    facts = {}
    for rid, rec in recordings.items():
        state = states.get(rid)
        lock = max(rec.retain_until, state.retain_until) if state else rec.retain_until
        facts[rid] = RecordingFacts(
            id=rid, origin=rec.origin, running=rec.state is RecordingState.OPEN,
            started_at=rec.started_at, ended_at=rec.ended_at, created_at=rec.created_at,
            lock_until=lock,
            sessions=tuple(SessionFacts(
                id=s.id, started_at=s.started_at, ended_at=s.ended_at, stage=s.stage,
                case=CaseFacts(c.number, c.case_type, c.archived_at) if c else None,
                flagged=s.id in flagged_sessions or bool((s.attributes or {}).get("flagged")))
                for s, c in sessions.get(rid, [])),
            flagged=rid in flagged_recordings,
            holds=tuple(sorted(holds.get(rid, []))),
            disposed=bool(state and state.disposed_at),
            disposing=bool(state and state.disposing_certificate and not state.disposed_at))
    return facts


def decide_many(db: DBSession, ids: Sequence[str], *, rules: list[Rule], floor: Period,
                now: datetime) -> dict[str, Decision]:
    """Decisions for any number of recordings, read in chunks."""
    decisions = {}
    for chunk in chunks(ids):
        for rid, facts in load_facts(db, chunk).items():
            decisions[rid] = decide(facts, rules, floor=floor, now=now)
    return decisions


def placements(db: DBSession, ids: Sequence[str]) -> dict[str, Placement]:
    result = {}
    for chunk in chunks(ids):
        for rec, window, node in db.execute(
                select(Recording, Window, Jurisdiction)
                .join(Window, Recording.window_id == Window.id)
                .join(Jurisdiction, Window.jurisdiction_id == Jurisdiction.id)
                .where(Recording.id.in_(chunk))):
            result[rec.id] = Placement(
                window_id=window.id, jurisdiction_id=node.id, jurisdiction_path=node.path,
                segment_count=rec.segment_count, total_bytes=rec.total_bytes,
                started_at=rec.started_at, ended_at=rec.ended_at,
                sealed=rec.revision == rec.sealed_revision and rec.last_sealed_at is not None,
                closed=rec.state is RecordingState.CLOSED)
    return result
