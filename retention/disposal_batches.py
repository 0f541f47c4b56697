"""What is due, and disposal batches: propose, approve (one or two administrators), cancel.

Nothing here deletes anything: `retention/sweeper.py` executes approved batches, checking
every item again when it gets to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as DBSession

from archive.access import approvals
from archive.access.duties import Action, roles_for
from archive.access.people import Principal, require_role
from archive.evidence.errors import ConflictError, InvalidInputError, NotFoundError
from archive.services import Archive
from retention.errors import ApprovalError
from retention.facts import decide_many, floor_of, load_rules, placements, recording_ids
from retention.models import (
    BatchState,
    DisposalApproval,
    DisposalBatch,
    DisposalItem,
    ItemState,
)
from retention.policy import Status
from retention.settings import RetentionSettings

APPROVER_ROLES = roles_for(Action.APPROVE_DISPOSAL)  # the duty table (docs/security.md)
SYSTEM_ACTOR = "system:retention"
MAX_REASON = 2000
_UNFINISHED_ITEMS = (ItemState.PENDING, ItemState.CERTIFYING, ItemState.CERTIFIED)


@dataclass(frozen=True)
class DueEntry:
    """One recording whose retention has ended, as the dry run lists it."""

    recording_id: str
    window_id: str
    jurisdiction_path: str
    started_at: datetime
    ended_at: datetime | None
    segment_count: int
    size: int
    rule: str
    retain_until: datetime
    blocked: str | None  # why it cannot be proposed now: "awaiting_seal", "in_batch:<id>"


@dataclass(frozen=True)
class BatchView:
    batch: DisposalBatch
    items: list[DisposalItem]
    approvals: list[DisposalApproval]

    @property
    def size(self) -> int:
        return sum(i.size for i in self.items)


def list_due(archive: Archive, *, now: datetime, scope_path: str = "/") -> list[DueEntry]:
    """Every recording in the subtree that may be disposed of at `now`, oldest due first."""
    floor = floor_of(archive.settings)
    with archive.catalog.read() as db:
        rules = load_rules(db)
        # A due recording's catalog lock has ended: that narrows the candidates cheaply.
        ids = recording_ids(db, scope_path=scope_path, lock_ended_by=now)
        decisions = decide_many(db, ids, rules=rules, floor=floor, now=now)
        due = [d for d in decisions.values() if d.status(now) is Status.DUE]
        where = placements(db, [d.recording_id for d in due])
        in_batch = _in_open_batch(db, [d.recording_id for d in due])
    entries = []
    for decision in due:
        place = where[decision.recording_id]
        blocked = None
        if decision.recording_id in in_batch:
            blocked = f"in_batch:{in_batch[decision.recording_id]}"
        elif not place.sealed:
            blocked = "awaiting_seal"
        entries.append(DueEntry(
            recording_id=decision.recording_id, window_id=place.window_id,
            jurisdiction_path=place.jurisdiction_path, started_at=place.started_at,
            ended_at=place.ended_at, segment_count=place.segment_count,
            size=place.total_bytes, rule=decision.governing.rule,
            retain_until=decision.retain_until, blocked=blocked))
    return sorted(entries, key=lambda e: (e.retain_until, e.recording_id))


def _in_open_batch(db: DBSession, ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = db.execute(select(DisposalItem.recording_id, DisposalItem.batch_id)
                      .join(DisposalBatch, DisposalBatch.id == DisposalItem.batch_id)
                      .where(DisposalItem.recording_id.in_(ids),
                             DisposalItem.state.in_(_UNFINISHED_ITEMS),
                             DisposalBatch.state.in_((BatchState.PROPOSED,
                                                      BatchState.APPROVED))))
    return {rid: bid for rid, bid in rows}


def propose_batch(archive: Archive, config: RetentionSettings, *, proposer: Principal | None,
                  now: datetime, scope_path: str | None = None, note: str = "") -> BatchView:
    """Freeze what is due now (sealed, in no open batch) into a batch awaiting approval.

    `proposer` None is the maintenance job (for `scope_path`, default the whole tree). Raises:
        PermissionDeniedError: a person who is not an administrator.
        ConflictError: "nothing_due".
    """
    if proposer is not None:
        require_role(proposer, *APPROVER_ROLES)
        scope = proposer.jurisdiction_path
        if scope_path is not None and not proposer.covers(scope_path):
            raise NotFoundError(f"jurisdiction {scope_path} is outside your subtree",
                                reason="out_of_scope")
    else:
        scope = "/"
    scope = scope_path or scope
    entries = [e for e in list_due(archive, now=now, scope_path=scope) if e.blocked is None]
    if not entries:
        raise ConflictError("nothing is due for disposal", reason="nothing_due")
    with archive.catalog.write() as db:
        # Checked again inside the write: another proposal may have taken some meanwhile.
        taken = _in_open_batch(db, [e.recording_id for e in entries])
        entries = [e for e in entries if e.recording_id not in taken]
        if not entries:
            raise ConflictError("nothing is due for disposal", reason="nothing_due")
        batch = DisposalBatch(scope_path=scope, required_approvals=config.required_approvals,
                              proposed_by=proposer.user_id if proposer else SYSTEM_ACTOR,
                              proposed_at=now, note=note.strip()[:MAX_REASON])
        db.add(batch)
        db.flush()
        for entry in entries:
            db.add(DisposalItem(batch_id=batch.id, recording_id=entry.recording_id,
                                rule=entry.rule[:200], retain_until=entry.retain_until,
                                segment_count=entry.segment_count, size=entry.size,
                                updated_at=now))
        batch_id = batch.id
    with archive.catalog.read() as db:
        return view(db, batch_id)


def approve_batch(archive: Archive, *, approver: Principal, batch_id: str, reason: str,
                  now: datetime) -> BatchView:
    """Add an approval; enough approvals of independent people make the batch executable.

    Each approver has held their role at their place for `approver_min_days`; each further
    approver is another person of another role or at another jurisdiction level than every
    earlier one (archive/access/approvals.py), so nobody approves twice through an account
    they made.

    Raises:
        PermissionDeniedError: not an approver role, "too_new", "not_independent".
        NotFoundError: no such batch in the approver's subtree.
        ApprovalError: "already_approved", "not_proposed".
    """
    require_role(approver, *APPROVER_ROLES)
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInputError(f"reason must be 1-{MAX_REASON} characters",
                                reason="bad_reason")
    with archive.catalog.write() as db:
        batch = _batch_for(db, approver, batch_id, lock=True)
        if batch.state is not BatchState.PROPOSED:
            raise ApprovalError(f"batch {batch_id} is {batch.state.value}, not awaiting "
                                "approval", reason="not_proposed")
        if db.scalar(select(DisposalApproval.id).where(
                DisposalApproval.batch_id == batch_id,
                DisposalApproval.user_id == approver.user_id)) is not None:
            raise ApprovalError(f"{approver.user_id} has already approved batch {batch_id}; "
                                "another person must approve", reason="already_approved")
        me = approvals.require_settled(db, approver, now=now,
                                       min_days=archive.settings.archive.approver_min_days)
        for earlier in db.scalars(select(DisposalApproval.user_id).where(
                DisposalApproval.batch_id == batch_id)):
            approvals.require_independent(approvals.approver_of(db, earlier), me)
        db.add(DisposalApproval(batch_id=batch_id, user_id=approver.user_id,
                                role=approver.role.value, reason=reason, at=now))
        db.flush()
        count = len(list(db.scalars(select(DisposalApproval.id)
                                    .where(DisposalApproval.batch_id == batch_id))))
        if count >= batch.required_approvals:
            batch.state = BatchState.APPROVED
            batch.approved_at = now
    with archive.catalog.read() as db:
        return view(db, batch_id)


def cancel_batch(archive: Archive, *, principal: Principal, batch_id: str, reason: str,
                 now: datetime) -> BatchView:
    """Cancel a batch whose items have not started; started items finish in the sweep.

    Raises:
        ApprovalError: "started" when a certificate was already issued for an item.
    """
    require_role(principal, *APPROVER_ROLES)
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInputError(f"reason must be 1-{MAX_REASON} characters",
                                reason="bad_reason")
    with archive.catalog.write() as db:
        batch = _batch_for(db, principal, batch_id, lock=True)
        if batch.state not in (BatchState.PROPOSED, BatchState.APPROVED):
            raise ApprovalError(f"batch {batch_id} is {batch.state.value}",
                                reason="not_cancellable")
        items = list(db.scalars(select(DisposalItem).where(DisposalItem.batch_id == batch_id)))
        if any(i.state not in (ItemState.PENDING, ItemState.SKIPPED) for i in items):
            raise ApprovalError(f"batch {batch_id} has started: certificates were issued",
                                reason="started")
        for item in items:
            if item.state is ItemState.PENDING:
                item.state, item.skip_reason, item.updated_at = ItemState.SKIPPED, "cancelled", now
        batch.state, batch.cancelled_by, batch.cancel_reason = (
            BatchState.CANCELLED, principal.user_id, reason)
        batch.finished_at = now
    with archive.catalog.read() as db:
        return view(db, batch_id)


def _batch_for(db: DBSession, principal: Principal, batch_id: str, *,
               lock: bool = False) -> DisposalBatch:
    batch = db.get(DisposalBatch, batch_id, with_for_update=lock)
    if batch is None or not principal.covers(batch.scope_path):
        raise NotFoundError(f"batch {batch_id} does not exist", reason="no_batch")
    return batch


def get_batch(db: DBSession, *, principal: Principal, batch_id: str) -> BatchView:
    _batch_for(db, principal, batch_id)
    return view(db, batch_id)


def list_batches(db: DBSession, *, principal: Principal | None,
                 states: tuple[BatchState, ...] = (), limit: int = 100) -> list[DisposalBatch]:
    query = select(DisposalBatch)
    if principal is not None:
        query = query.where(principal.scope.on_path(DisposalBatch.scope_path))
    if states:
        query = query.where(DisposalBatch.state.in_(states))
    return list(db.scalars(query.order_by(DisposalBatch.proposed_at.desc()).limit(limit)))


def view(db: DBSession, batch_id: str) -> BatchView:
    return BatchView(
        batch=db.get_one(DisposalBatch, batch_id),
        items=list(db.scalars(select(DisposalItem).where(DisposalItem.batch_id == batch_id)
                              .order_by(DisposalItem.id))),
        approvals=list(db.scalars(select(DisposalApproval)
                                  .where(DisposalApproval.batch_id == batch_id)
                                  .order_by(DisposalApproval.id))))
