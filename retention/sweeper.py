"""The sweep: executes approved disposal batches, one recording at a time, resumably.

Each item moves pending → certifying → certified → done, every step committed before the next
starts, so a sweep interrupted anywhere is completed by the next run without doing anything
twice:
1. claim: under the recording's row lock, check again that it is due, unheld and sealed, list
   every object version, freeze the certificate bytes and mark the recording "disposing" (a
   hold placed after this sees the certificate);
2. certify: seal the frozen bytes (or recover the seal from the transparency log), keep the
   recording's seals as long as the certificate, record the certificate and its objects;
3. delete: each version, which the store allows only once its lock has ended; a refusal
   leaves the item certified with the error, for the next run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as DBSession

from archive.catalog.models import Jurisdiction, Recording, Seal, Segment, Window, new_id
from archive.evidence.canonical import iso
from archive.evidence.errors import ArchiveError, NotFoundError, ObjectLockedError
from archive.services import Archive
from archive.verify.disposed import DisposalCertificate, DisposedObject
from retention.certificate import (
    ApprovalRef,
    ObjectRef,
    ReleasedHold,
    build_certificate,
    seal_certificate,
)
from retention.errors import SweepBusyError
from retention.facts import floor_of, load_facts, load_rules
from retention.locks import recording_prefix
from retention.models import (
    BatchState,
    DisposalApproval,
    DisposalBatch,
    DisposalItem,
    HoldItemStatus,
    ItemState,
    LegalHold,
    LegalHoldItem,
    RecordingRetention,
    RetentionLease,
)
from retention.policy import Decision, Status, decide
from retention.settings import RetentionSettings

logger = logging.getLogger(__name__)

LEASE = "sweep"


@dataclass
class SweepResult:
    disposed: dict[str, str] = field(default_factory=dict)  # recording -> certificate
    skipped: dict[str, str] = field(default_factory=dict)  # recording -> reason
    unfinished: dict[str, str] = field(default_factory=dict)  # recording -> last error
    bytes_disposed: int = 0


@dataclass(frozen=True)
class Sweep:
    archive: Archive
    config: RetentionSettings
    now: datetime
    actor: str
    holder: str


def run_sweep(archive: Archive, config: RetentionSettings, *, now: datetime, actor: str,
              on_disposed: Callable[[str, str], None] | None = None) -> SweepResult:
    """Execute every approved batch; only one sweep runs at a time (a lease in the catalog).

    Raises:
        SweepBusyError: another sweep holds the lease.
    """
    sweep = Sweep(archive, config, now, actor, holder=f"{actor}:{uuid.uuid4().hex[:8]}")
    result = SweepResult()
    _acquire(sweep)
    try:
        with archive.catalog.read() as db:
            batches = list(db.scalars(select(DisposalBatch.id)
                                      .where(DisposalBatch.state == BatchState.APPROVED)
                                      .order_by(DisposalBatch.approved_at)))
        for batch_id in batches:
            with archive.catalog.read() as db:
                items = list(db.scalars(select(DisposalItem.id).where(
                    DisposalItem.batch_id == batch_id,
                    DisposalItem.state.in_((ItemState.PENDING, ItemState.CERTIFYING,
                                            ItemState.CERTIFIED)))
                    .order_by(DisposalItem.id)))
            for item_id in items:
                _renew(sweep)
                _process(sweep, item_id, result, on_disposed)
            _finish_batch(sweep, batch_id)
    finally:
        _release(sweep)
    return result


def _process(sweep: Sweep, item_id: int, result: SweepResult,
             on_disposed: Callable[[str, str], None] | None) -> None:
    with sweep.archive.catalog.read() as db:
        item = db.get_one(DisposalItem, item_id)
        rid, state = item.recording_id, item.state
    try:
        if state is ItemState.PENDING:
            state = claim_item(sweep, item_id)
        if state is ItemState.CERTIFYING:
            state = certify_item(sweep, item_id)
        if state is ItemState.CERTIFIED:
            state = delete_item(sweep, item_id)
    except ArchiveError as exc:
        logger.warning("disposal_item_failed", extra={"recording_id": rid,
                                                      "reason": exc.reason})
        _note_error(sweep, item_id, f"{exc.reason}: {exc.message}")
        result.unfinished[rid] = f"{exc.reason}: {exc.message}"
        return
    with sweep.archive.catalog.read() as db:
        item = db.get_one(DisposalItem, item_id)
    if item.state is ItemState.DONE and item.certificate_id:
        result.disposed[rid] = item.certificate_id
        result.bytes_disposed += item.size
        if on_disposed is not None:
            on_disposed(rid, item.certificate_id)
    elif item.state is ItemState.SKIPPED:
        result.skipped[rid] = item.skip_reason or ""
    else:
        result.unfinished[rid] = item.last_error or item.state.value


# --- 1. claim ---------------------------------------------------------------------------------


def claim_item(sweep: Sweep, item_id: int) -> ItemState:
    """Check the item again under the recording's row lock and freeze its certificate."""
    archive = sweep.archive
    with archive.catalog.read() as db:
        rid = db.get_one(DisposalItem, item_id).recording_id
        pinned = {(s.object_key, s.version_id): s for s in db.scalars(
            select(Segment).where(Segment.recording_id == rid))}
    # Outside the transaction: every version under segments/, pinned or not (a crash between
    # store and catalog leaves unpinned copies; they are evidence too and go with the rest).
    objects = []
    for version in archive.store.list_versions(f"{recording_prefix(rid)}segments/"):
        if version.is_delete_marker:
            continue
        segment = pinned.get((version.key, version.version_id))
        if segment is not None:
            objects.append(ObjectRef(segment.seq, segment.object_key, segment.version_id,
                                     segment.sha256, segment.size))
        else:
            info = archive.store.stat(version.key, version.version_id)
            objects.append(ObjectRef(None, version.key, version.version_id,
                                     info.sha256_hex or "", info.size))
    listed = {(o.key, o.version_id) for o in objects}
    with archive.catalog.write() as db:
        recording = db.get(Recording, rid, with_for_update=True)
        item = db.get_one(DisposalItem, item_id, with_for_update=True)
        if item.state is not ItemState.PENDING or recording is None:
            return item.state
        skip, decision = _skip_reason(sweep, db, item, recording)
        if skip is None and not set(pinned) <= listed:
            skip = "objects_missing"  # never certify what is not there to delete
        if skip is not None:
            item.state, item.skip_reason, item.updated_at = ItemState.SKIPPED, skip, sweep.now
            logger.info("disposal_item_skipped", extra={"recording_id": rid, "reason": skip})
            return item.state
        certificate_id = new_id()
        item.document = _document(sweep, db, item, recording, objects, certificate_id,
                                  decision)
        item.certificate_id = certificate_id
        item.state, item.updated_at, item.last_error = ItemState.CERTIFYING, sweep.now, None
        state = db.get(RecordingRetention, rid)
        if state is None:
            state = RecordingRetention(recording_id=rid, retain_until=recording.retain_until,
                                       decided_at=sweep.now)
            db.add(state)
        state.disposing_certificate = certificate_id
        return item.state


def _skip_reason(sweep: Sweep, db: DBSession, item: DisposalItem,
                 recording: Recording) -> tuple[str | None, Decision]:
    facts = load_facts(db, [recording.id])[recording.id]
    decision = decide(facts, load_rules(db), floor=floor_of(sweep.archive.settings),
                      now=sweep.now)
    batch = db.get_one(DisposalBatch, item.batch_id)
    if batch.state is not BatchState.APPROVED:
        return "not_approved", decision
    status = decision.status(sweep.now)
    if status is not Status.DUE:
        return {Status.HELD: "held", Status.DISPOSED: "already_disposed",
                Status.DISPOSING: "already_disposed"}.get(status, "not_due"), decision
    if recording.revision != recording.sealed_revision or recording.last_sealed_at is None:
        return "not_sealed", decision
    return None, decision


def _document(sweep: Sweep, db: DBSession, item: DisposalItem, recording: Recording,
              objects: list[ObjectRef], certificate_id: str, decision: Decision) -> bytes:
    window = db.get_one(Window, recording.window_id)
    node = db.get_one(Jurisdiction, window.jurisdiction_id)
    seal = db.scalar(select(Seal).where(Seal.recording_id == recording.id)
                     .order_by(Seal.number.desc()).limit(1))
    batch = db.get_one(DisposalBatch, item.batch_id)
    approvals = [ApprovalRef(a.user_id, a.role, a.at, a.reason) for a in db.scalars(
        select(DisposalApproval).where(DisposalApproval.batch_id == batch.id)
        .order_by(DisposalApproval.id))]
    released = [ReleasedHold(h.id, h.kind.value, h.reference, h.released_at, h.released_by or "",
                             h.release_reason or "")
                for h in db.scalars(select(LegalHold).join(
                    LegalHoldItem, LegalHoldItem.hold_id == LegalHold.id).where(
                    LegalHoldItem.recording_id == recording.id,
                    LegalHoldItem.status == HoldItemStatus.ACTIVE,
                    LegalHold.released_at.is_not(None)).order_by(LegalHold.placed_at))
                if h.released_at is not None]
    described: dict[str, Any] = {
        "id": recording.id, "window_id": recording.window_id,
        "jurisdiction_path": node.path, "origin": recording.origin.value,
        "started_at": iso(recording.started_at), "ended_at": iso(recording.ended_at),
        "segment_count": recording.segment_count, "total_bytes": recording.total_bytes,
        "chain_head": recording.chain_head,
        "latest_seal": None if seal is None else {
            "number": seal.number, "manifest_sha256": seal.manifest_sha256,
            "log_index": seal.log_index},
    }
    return build_certificate(
        certificate_id=certificate_id, issued_at=sweep.now, executed_by=sweep.actor,
        recording=described, objects=objects, decision=decision,
        batch={"batch": batch.id, "proposed_by": batch.proposed_by,
               "proposed_at": iso(batch.proposed_at), "required": batch.required_approvals},
        approvals=approvals, released_holds=released)


# --- 2. certify -------------------------------------------------------------------------------


def certify_item(sweep: Sweep, item_id: int) -> ItemState:
    """Seal the frozen certificate (once), keep the recording's seals, record it all."""
    archive = sweep.archive
    with archive.catalog.read() as db:
        item = db.get_one(DisposalItem, item_id)
        rid, certificate_id, document = item.recording_id, item.certificate_id, item.document
        seals = [s.objects for s in db.scalars(select(Seal).where(Seal.recording_id == rid))]
    assert certificate_id is not None and document is not None
    sealed = seal_certificate(archive, certificate_id=certificate_id, document=document,
                              now=sweep.now, retain_days=sweep.config.certificate_retain_days)
    # The recording's manifests stay verifiable as long as the certificate that cites them.
    forever = sweep.now + timedelta(days=sweep.config.certificate_retain_days)
    for objects in seals:
        for ref in objects.values():
            if ref["key"].startswith(recording_prefix(rid)):
                archive.store.extend_retention(ref["key"], ref["version_id"], forever)
    parsed = json.loads(document)
    with archive.catalog.write() as db:
        item = db.get_one(DisposalItem, item_id, with_for_update=True)
        if item.state is not ItemState.CERTIFYING:
            return item.state
        if db.get(DisposalCertificate, certificate_id) is None:
            db.add(DisposalCertificate(
                id=certificate_id, recording_id=rid,
                document_sha256=hashlib.sha256(document).hexdigest(), document=document,
                objects=sealed.objects, log_index=sealed.log_index,
                tree_head_id=sealed.tree_head_id, timestamp_at=sealed.timestamp_at,
                issued_at=datetime.fromisoformat(parsed["certificate"]["issued_at"])))
            db.flush()
            for entry in parsed["objects"]:
                db.add(DisposedObject(certificate_id=certificate_id, recording_id=rid,
                                      seq=entry["seq"], key=entry["key"],
                                      version_id=entry["version_id"], sha256=entry["sha256"],
                                      size=entry["size"]))
        item.state, item.updated_at = ItemState.CERTIFIED, sweep.now
        logger.info("disposal_certified", extra={"recording_id": rid,
                                                 "certificate": certificate_id})
        return item.state


# --- 3. delete --------------------------------------------------------------------------------


def delete_item(sweep: Sweep, item_id: int) -> ItemState:
    """Delete every certified version; the store refuses any still locked or held.

    Raises:
        ObjectLockedError: the store refused a deletion (its lock or a hold protects it);
            the item stays certified and is retried by the next sweep.
    """
    archive = sweep.archive
    with archive.catalog.read() as db:
        item = db.get_one(DisposalItem, item_id)
        rid, certificate_id = item.recording_id, item.certificate_id
        todo = [(o.id, o.key, o.version_id) for o in db.scalars(
            select(DisposedObject).where(DisposedObject.certificate_id == certificate_id,
                                         DisposedObject.deleted_at.is_(None))
            .order_by(DisposedObject.id))]
    deleted: list[int] = []
    failure: ArchiveError | None = None
    for row_id, key, version_id in todo:
        try:
            archive.store.delete_version(key, version_id)
        except NotFoundError:
            pass  # deleted by an earlier, interrupted run
        except ObjectLockedError as exc:
            failure = exc
            break
        deleted.append(row_id)
    with archive.catalog.write() as db:
        for row in db.scalars(select(DisposedObject).where(DisposedObject.id.in_(deleted))):
            row.deleted_at = sweep.now
        if failure is None:
            item = db.get_one(DisposalItem, item_id, with_for_update=True)
            item.state, item.updated_at, item.last_error = ItemState.DONE, sweep.now, None
            certificate = db.get_one(DisposalCertificate, certificate_id)
            certificate.completed_at = sweep.now
            state = db.get_one(RecordingRetention, rid)
            state.disposed_at = sweep.now
    if failure is not None:
        raise failure
    logger.info("recording_disposed", extra={"recording_id": rid, "certificate": certificate_id,
                                             "objects": len(todo)})
    return ItemState.DONE


def _note_error(sweep: Sweep, item_id: int, error: str) -> None:
    with sweep.archive.catalog.write() as db:
        item = db.get_one(DisposalItem, item_id)
        item.last_error, item.updated_at = error[:2000], sweep.now


def _finish_batch(sweep: Sweep, batch_id: str) -> None:
    with sweep.archive.catalog.write() as db:
        batch = db.get_one(DisposalBatch, batch_id, with_for_update=True)
        states = set(db.scalars(select(DisposalItem.state)
                                .where(DisposalItem.batch_id == batch_id)))
        if batch.state is BatchState.APPROVED and states <= {ItemState.DONE, ItemState.SKIPPED}:
            batch.state, batch.finished_at = BatchState.DONE, sweep.now


# --- the lease --------------------------------------------------------------------------------


def _acquire(sweep: Sweep) -> None:
    with sweep.archive.catalog.write() as db:
        lease = db.get(RetentionLease, LEASE, with_for_update=True)
        expires = _wall(sweep) + timedelta(seconds=sweep.config.lease_s)
        if lease is None:
            db.add(RetentionLease(name=LEASE, holder=sweep.holder, expires_at=expires))
            return
        if lease.holder != sweep.holder and lease.expires_at > _wall(sweep):
            raise SweepBusyError(f"sweep {lease.holder} holds the lease until "
                                 f"{lease.expires_at.isoformat()}", reason="sweep_running")
        lease.holder, lease.expires_at = sweep.holder, expires


def _renew(sweep: Sweep) -> None:
    with sweep.archive.catalog.write() as db:
        lease = db.get(RetentionLease, LEASE, with_for_update=True)
        if lease is None or lease.holder != sweep.holder:
            raise SweepBusyError("the sweep lost its lease", reason="lease_lost")
        lease.expires_at = _wall(sweep) + timedelta(seconds=sweep.config.lease_s)


def _release(sweep: Sweep) -> None:
    with sweep.archive.catalog.write() as db:
        lease = db.get(RetentionLease, LEASE, with_for_update=True)
        if lease is not None and lease.holder == sweep.holder:
            db.delete(lease)


def _wall(sweep: Sweep) -> datetime:
    """Leases run on real time, whatever date the sweep decides for."""
    from archive.catalog.types import utcnow

    return max(utcnow(), sweep.now)
