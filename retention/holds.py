"""Legal holds: place and release in the catalog, mirror them as S3 legal holds on every object.

The catalog is written first: a hold recorded there already stops every sweep, even before the
store has the S3 legal hold. The store is then brought to what the catalog says; a failure
leaves the item "pending" and the maintenance job retries. The S3 legal hold of a recording is
on while any active hold covers it, so releasing one of two holds leaves the objects held.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session as DBSession

from archive.access import approvals
from archive.access.duties import Action, roles_for
from archive.access.people import Principal, require_role
from archive.catalog.models import Case, Jurisdiction, Recording, Session, Window
from archive.evidence.errors import ArchiveError, ConflictError, InvalidInputError, NotFoundError
from archive.evidence.vocabulary import RecordingState
from archive.services import Archive
from retention.locks import recording_prefix
from retention.models import (
    HoldEvent,
    HoldItemStatus,
    HoldKind,
    LegalHold,
    LegalHoldItem,
    RecordingRetention,
    StoreSync,
)

logger = logging.getLogger(__name__)

PLACE_ROLES = roles_for(Action.PLACE_HOLD)  # the duty table (docs/security.md)
RELEASE_ROLES = roles_for(Action.RELEASE_HOLD)
RELEASE_REQUESTED = "release_requested"  # the first of the two people a release needs
MAX_REFERENCE = 200
MAX_REASON = 2000


@dataclass(frozen=True)
class HoldTargets:
    """What a hold covers: recordings directly, through sessions, or every session of cases."""

    recording_ids: tuple[str, ...] = ()
    session_ids: tuple[str, ...] = ()
    case_numbers: tuple[str, ...] = ()


@dataclass
class SyncResult:
    synced: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HoldView:
    hold: LegalHold
    items: list[LegalHoldItem]
    events: list[HoldEvent]


def _text(value: str, name: str, limit: int) -> str:
    value = value.strip()
    if not value or len(value) > limit:
        raise InvalidInputError(f"{name} must be 1-{limit} characters", reason=f"bad_{name}")
    return value


def place_hold(archive: Archive, *, principal: Principal, kind: HoldKind, reference: str,
               reason: str, targets: HoldTargets, now: datetime) -> HoldView:
    """Record a hold on every recording the targets name, then set the S3 legal holds.

    Raises:
        PermissionDeniedError: the role may not place holds.
        NotFoundError: a target does not exist in the caller's subtree (nothing is held).
        InvalidInputError: no target, empty reference or reason.
    """
    require_role(principal, *PLACE_ROLES)
    reference = _text(reference, "reference", MAX_REFERENCE)
    reason = _text(reason, "reason", MAX_REASON)
    with archive.catalog.write() as db:
        rids = _resolve(db, principal, targets)
        # Row locks in a fixed order: a sweep claiming one of these waits for this commit.
        for rid in rids:
            db.get(Recording, rid, with_for_update=True)
        states = {s.recording_id: s for s in db.scalars(
            select(RecordingRetention).where(RecordingRetention.recording_id.in_(rids)))}
        hold = LegalHold(kind=kind, reference=reference, reason=reason,
                         scope_path=principal.jurisdiction_path, placed_by=principal.user_id,
                         placed_at=now)
        db.add(hold)
        db.flush()
        disposed = []
        for rid in rids:
            state = states.get(rid)
            certificate = state.disposing_certificate if state else None
            if certificate:
                disposed.append(rid)
            db.add(LegalHoldItem(
                hold_id=hold.id, recording_id=rid,
                status=HoldItemStatus.DISPOSED if certificate else HoldItemStatus.ACTIVE,
                certificate_id=certificate,
                store=StoreSync.OFF if certificate else StoreSync.PENDING))
        db.add(HoldEvent(hold_id=hold.id, action="placed", actor=principal.user_id,
                         reason=reason, at=now,
                         detail={"kind": kind.value, "reference": reference,
                                 "recordings": rids, "already_disposed": disposed}))
        hold_id = hold.id
    logger.info("legal_hold_placed", extra={"hold": hold_id, "recordings": len(rids)})
    sync_recordings(archive, [r for r in rids if r not in disposed], now=now)
    with archive.catalog.read() as db:
        return _view(db, hold_id)


def release_hold(archive: Archive, *, principal: Principal, hold_id: str, reason: str,
                 now: datetime) -> HoldView:
    """Ask for, or give the second approval of, a hold's release (reason required, logged).

    The first call records the request and the hold stays; it is released when a second,
    independent person (another role or another jurisdiction level, archive/access/
    approvals.py) agrees; both must have held their role there for `approver_min_days`.
    Then S3 holds no other hold needs are lifted.

    Raises:
        PermissionDeniedError: the role may not release holds, "too_new", "not_independent".
        NotFoundError: no such hold in the caller's subtree.
        ConflictError: "already_released", "already_requested" (by the same person).
    """
    require_role(principal, *RELEASE_ROLES)
    reason = _text(reason, "reason", MAX_REASON)
    with archive.catalog.write() as db:
        hold = db.get(LegalHold, hold_id, with_for_update=True)
        if hold is None or not principal.covers(hold.scope_path):
            raise NotFoundError(f"hold {hold_id} does not exist", reason="no_hold")
        if hold.released_at is not None:
            raise ConflictError(f"hold {hold_id} was released at "
                                f"{hold.released_at.isoformat()}", reason="already_released")
        me = approvals.require_settled(db, principal, now=now,
                                       min_days=archive.settings.archive.approver_min_days)
        asked = db.scalars(select(HoldEvent).where(HoldEvent.hold_id == hold_id,
                                                   HoldEvent.action == RELEASE_REQUESTED)
                           .order_by(HoldEvent.id)).first()
        if asked is None:
            db.add(HoldEvent(hold_id=hold_id, action=RELEASE_REQUESTED, actor=principal.user_id,
                             reason=reason, at=now))
            rids: list[str] | None = None
        else:
            if asked.actor == principal.user_id:
                raise ConflictError(f"{principal.user_id} already asked to release hold "
                                    f"{hold_id}; a second person must agree",
                                    reason="already_requested")
            approvals.require_independent(approvals.approver_of(db, asked.actor), me)
            hold.released_at, hold.released_by, hold.release_reason = (
                now, principal.user_id, reason)
            db.add(HoldEvent(hold_id=hold_id, action="released", actor=principal.user_id,
                             reason=reason, at=now, detail={"requested_by": asked.actor}))
            rids = list(db.scalars(select(LegalHoldItem.recording_id).where(
                LegalHoldItem.hold_id == hold_id,
                LegalHoldItem.status == HoldItemStatus.ACTIVE)))
    if rids is not None:
        logger.info("legal_hold_released", extra={"hold": hold_id, "recordings": len(rids)})
        sync_recordings(archive, rids, now=now)
    with archive.catalog.read() as db:
        return _view(db, hold_id)


def get_hold(db: DBSession, *, principal: Principal, hold_id: str) -> HoldView:
    hold = db.get(LegalHold, hold_id)
    if hold is None or not principal.covers(hold.scope_path):
        raise NotFoundError(f"hold {hold_id} does not exist", reason="no_hold")
    return _view(db, hold_id)


def list_holds(db: DBSession, *, principal: Principal, active: bool | None = None,
               limit: int = 200) -> list[LegalHold]:
    query = select(LegalHold).where(principal.scope.on_path(LegalHold.scope_path))
    if active is True:
        query = query.where(LegalHold.released_at.is_(None))
    elif active is False:
        query = query.where(LegalHold.released_at.is_not(None))
    return list(db.scalars(query.order_by(LegalHold.placed_at.desc()).limit(limit)))


def _view(db: DBSession, hold_id: str) -> HoldView:
    return HoldView(
        hold=db.get_one(LegalHold, hold_id),
        items=list(db.scalars(select(LegalHoldItem).where(LegalHoldItem.hold_id == hold_id)
                              .order_by(LegalHoldItem.id))),
        events=list(db.scalars(select(HoldEvent).where(HoldEvent.hold_id == hold_id)
                               .order_by(HoldEvent.id))))


def _resolve(db: DBSession, principal: Principal, targets: HoldTargets) -> list[str]:
    """Recording ids the targets name, all inside the caller's subtree, sorted."""
    found: set[str] = set()
    for rid in targets.recording_ids:
        if db.get(Recording, rid) is None:
            raise NotFoundError(f"recording {rid} does not exist", reason="no_recording")
        found.add(rid)
    for sid in targets.session_ids:
        session = db.get(Session, sid)
        if session is None:
            raise NotFoundError(f"session {sid} does not exist", reason="no_session")
        found.add(session.recording_id)
    for number in targets.case_numbers:
        case = db.scalar(select(Case).where(Case.number == number.strip()))
        if case is None:
            raise NotFoundError(f"case {number} does not exist", reason="no_case")
        found.update(db.scalars(select(Session.recording_id).where(Session.case_id == case.id)))
    if not found:
        raise InvalidInputError("a hold needs at least one recording, session or case with "
                                "sessions", reason="no_target")
    paths = {rid: path for rid, path in db.execute(
        select(Recording.id, Jurisdiction.path)
        .join(Window, Recording.window_id == Window.id)
        .join(Jurisdiction, Window.jurisdiction_id == Jurisdiction.id)
        .where(Recording.id.in_(found)))}
    for rid in sorted(found):
        if not principal.covers(paths.get(rid, "")):
            # Same answer as for a recording that does not exist: no existence leak.
            raise NotFoundError(f"recording {rid} does not exist", reason="no_recording")
    return sorted(found)


def _held(db: DBSession, recording_id: str) -> bool:
    return db.scalar(select(LegalHoldItem.id).join(LegalHold, LegalHold.id == LegalHoldItem.hold_id)
                     .where(LegalHoldItem.recording_id == recording_id,
                            LegalHoldItem.status == HoldItemStatus.ACTIVE,
                            LegalHold.released_at.is_(None)).limit(1)) is not None


def sync_recordings(archive: Archive, recording_ids: Iterable[str], *,
                    now: datetime) -> SyncResult:
    """Bring each recording's S3 legal holds to what the catalog says; errors stay pending."""
    result = SyncResult()
    for rid in sorted(set(recording_ids)):
        try:
            _sync_one(archive, rid, now)
            result.synced.append(rid)
        except ArchiveError as exc:
            logger.warning("legal_hold_sync_failed", extra={"recording_id": rid,
                                                            "reason": exc.reason})
            result.errors[rid] = f"{exc.reason}: {exc.message}"
            with archive.catalog.write() as db:
                for item in db.scalars(select(LegalHoldItem).where(
                        LegalHoldItem.recording_id == rid,
                        LegalHoldItem.status == HoldItemStatus.ACTIVE)):
                    item.store_error = result.errors[rid][:2000]
    return result


def _sync_one(archive: Archive, rid: str, now: datetime) -> None:
    with archive.catalog.read() as db:
        items = {item_id: active for item_id, active in db.execute(
            select(LegalHoldItem.id, LegalHold.released_at.is_(None))
            .join(LegalHold, LegalHold.id == LegalHoldItem.hold_id)
            .where(LegalHoldItem.recording_id == rid,
                   LegalHoldItem.status == HoldItemStatus.ACTIVE))}
    wanted = any(items.values())
    _set_all(archive, rid, wanted)
    if not wanted:
        # A hold placed while we lifted: put the S3 holds back (it may have set them first).
        with archive.catalog.read() as db:
            if _held(db, rid):
                _set_all(archive, rid, True)
    with archive.catalog.write() as db:
        # Only the items seen above: a hold placed since then syncs itself.
        for item in db.scalars(select(LegalHoldItem).where(LegalHoldItem.id.in_(list(items)))):
            item.store = StoreSync.ON if items[item.id] else StoreSync.OFF
            item.store_synced_at = now
            item.store_error = None


def _set_all(archive: Archive, rid: str, on: bool) -> None:
    versions = [v for v in archive.store.list_versions(recording_prefix(rid))
                if not v.is_delete_marker]
    errors: list[ArchiveError] = []

    def one(key: str, version_id: str) -> None:
        try:
            archive.store.set_legal_hold(key, version_id, on)
        except ArchiveError as exc:
            errors.append(exc)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda v: one(v.key, v.version_id), versions))
    if errors:
        raise errors[0]


def recordings_to_sync(db: DBSession) -> list[str]:
    """Recordings whose S3 legal holds may differ from the catalog.

    Items not yet mirrored, items of released holds still on, and held recordings that may
    have received objects since their last sync (still running, or sealed again since).
    """
    stale = select(LegalHoldItem.recording_id).join(
        LegalHold, LegalHold.id == LegalHoldItem.hold_id).join(
        Recording, Recording.id == LegalHoldItem.recording_id).where(
        LegalHoldItem.status == HoldItemStatus.ACTIVE,
        or_(LegalHoldItem.store == StoreSync.PENDING,
            (LegalHold.released_at.is_not(None)) & (LegalHoldItem.store == StoreSync.ON),
            (LegalHold.released_at.is_(None)) & (LegalHoldItem.store == StoreSync.OFF),
            (LegalHold.released_at.is_(None)) & or_(
                Recording.state == RecordingState.OPEN,
                Recording.last_sealed_at > LegalHoldItem.store_synced_at)))
    return sorted(set(db.scalars(stale)))


def held_recordings(db: DBSession, recording_ids: Sequence[str]) -> dict[str, list[str]]:
    """Active hold ids per recording, for the given recordings."""
    held: dict[str, list[str]] = {}
    for rid, hold_id in db.execute(
            select(LegalHoldItem.recording_id, LegalHoldItem.hold_id)
            .join(LegalHold, LegalHold.id == LegalHoldItem.hold_id)
            .where(LegalHoldItem.recording_id.in_(list(recording_ids)),
                   LegalHoldItem.status == HoldItemStatus.ACTIVE,
                   LegalHold.released_at.is_(None))):
        held.setdefault(rid, []).append(hold_id)
    return held
