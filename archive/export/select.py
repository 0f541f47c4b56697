"""Which sealed segments an export request covers, and whether the requester may have them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session as DBSession

from archive.access.duties import Action, roles_for
from archive.access.people import Principal, require_role
from archive.access.scope import EVERYWHERE, Scope
from archive.catalog.models import (
    Case,
    Jurisdiction,
    LogLeaf,
    Recording,
    Seal,
    Session,
    TreeHead,
    Window,
)
from archive.evidence.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from archive.export.offline.layout import Interval, Selection
from archive.store.objects import ObjectStore

EXPORTERS = roles_for(Action.EXPORT)  # the duty table: never administrators


@dataclass
class Targets:
    """Recordings with the intervals selected on each, and the sessions named."""

    intervals: dict[str, list[Interval]] = field(default_factory=dict)
    session_ids: list[str] = field(default_factory=list)
    case_number: str | None = None

    def add(self, recording_id: str, interval: Interval) -> None:
        self.intervals.setdefault(recording_id, []).append(interval)


@dataclass(frozen=True)
class RecordingPlan:
    """One recording's part of an export, as its latest seal states it."""

    recording_id: str
    window_id: str
    window_name: str
    jurisdiction_path: str
    retain_until: datetime
    seal: Seal
    head: TreeHead
    manifest_bytes: bytes
    manifest: dict[str, Any]
    segments: list[dict[str, Any]]  # the manifest's entries of the selected segments
    segment_leaves: dict[int, int]  # seq -> log index of its "segment" entry
    intervals: list[Interval]

    @property
    def selected_bytes(self) -> int:
        return sum(int(s["size"]) for s in self.segments)


@dataclass(frozen=True)
class ExportPlan:
    recordings: list[RecordingPlan]
    session_ids: list[str]
    case_number: str | None

    @property
    def total_bytes(self) -> int:
        return sum(r.selected_bytes for r in self.recordings)


def resolve_targets(db: DBSession, selection: Selection,
                    principal: Principal | None) -> Targets:
    """Find what the selection names and check the requester may export all of it.

    `principal` None is the local operator (no scope).

    Raises:
        PermissionDeniedError: the role may not export, or a case reaches outside the scope.
        NotFoundError: an unknown (or out-of-scope) case, session or window.
        InvalidInputError: the selection matches no recording.
    """
    selection.validate()
    if principal is not None:
        require_role(principal, *EXPORTERS)
    targets = Targets()
    scope = principal.scope if principal is not None else Scope(EVERYWHERE)
    if selection.case is not None:
        _resolve_case(db, selection.case.strip(), scope, targets)
    elif selection.session_ids:
        for session_id in selection.session_ids:
            session, _ = scope.require_session(db, session_id)
            targets.session_ids.append(session.id)
            targets.add(session.recording_id, Interval(session.started_at, session.ended_at))
    else:
        _resolve_window(db, selection, scope, targets)
    return targets


def _resolve_case(db: DBSession, case_ref: str, scope: Scope, targets: Targets) -> None:
    case = db.scalar(select(Case).where(or_(Case.number == case_ref, Case.id == case_ref)))
    sessions = [] if case is None else list(db.scalars(
        select(Session).where(Session.case_id == case.id).order_by(Session.started_at)))
    visible = [] if case is None else list(db.scalars(
        select(Session.id).where(Session.case_id == case.id, scope.on_window(Session.window_id))))
    if case is None or (sessions and not visible):
        raise NotFoundError(f"case {case_ref} does not exist", reason="no_case")
    if len(visible) != len(sessions):
        raise PermissionDeniedError(
            f"case {case.number} has sessions outside your jurisdiction; ask someone whose "
            "jurisdiction covers all of them", reason="out_of_scope")
    if not sessions:
        raise InvalidInputError(f"case {case.number} has no recorded sessions to export",
                                reason="nothing_to_export")
    targets.case_number = case.number
    for session in sessions:
        targets.session_ids.append(session.id)
        targets.add(session.recording_id, Interval(session.started_at, session.ended_at))


def _resolve_window(db: DBSession, selection: Selection, scope: Scope,
                    targets: Targets) -> None:
    assert selection.window_id is not None
    assert selection.since is not None and selection.until is not None
    scope.require_window(db, selection.window_id)
    interval = Interval(selection.since, selection.until)
    recordings = db.scalars(
        select(Recording).where(Recording.window_id == selection.window_id,
                                Recording.started_at < selection.until,
                                or_(Recording.ended_at.is_(None),
                                    Recording.ended_at > selection.since))
        .order_by(Recording.started_at))
    for recording in recordings:
        targets.add(recording.id, interval)
    for session in db.scalars(
            select(Session).where(Session.window_id == selection.window_id,
                                  Session.started_at < selection.until,
                                  or_(Session.ended_at.is_(None),
                                      Session.ended_at > selection.since))
            .order_by(Session.started_at)):
        targets.session_ids.append(session.id)
    if not targets.intervals:
        raise InvalidInputError(
            f"window {selection.window_id} recorded nothing between "
            f"{selection.since.isoformat()} and {selection.until.isoformat()}",
            reason="nothing_to_export")


def plan_export(db: DBSession, store: ObjectStore, targets: Targets) -> ExportPlan:
    """The sealed segments overlapping the targets, read from each recording's latest seal.

    Raises:
        InvalidInputError: reason awaiting_seal when a recording has no seal;
            nothing_to_export when no sealed segment overlaps.
        IntegrityError: a stored manifest does not hash as the catalog pinned it.
    """
    plans = []
    for recording_id, intervals in targets.intervals.items():
        recording = db.get(Recording, recording_id)
        assert recording is not None
        seal = db.scalar(select(Seal).where(Seal.recording_id == recording_id)
                         .order_by(Seal.number.desc()))
        if seal is None:
            raise InvalidInputError(
                f"recording {recording_id} is awaiting its first seal; seal it "
                f"(aidrec seal --recording {recording_id}) and export again",
                reason="awaiting_seal")
        head = db.get(TreeHead, seal.tree_head_id)
        assert head is not None
        ref = seal.objects["manifest.json"]
        data = store.read_verified(ref["key"], version_id=ref["version_id"],
                                   sha256_hex=seal.manifest_sha256)
        manifest: dict[str, Any] = json.loads(data)
        sealed = manifest["segments"][: manifest["chain"]["segment_count"]]
        chosen = [s for s in sealed if any(
            i.overlaps(_time(s["started_at"]), _time(s["ended_at"])) for i in intervals)]
        if not chosen:
            continue
        leaves = {str(ref): int(index) for ref, index in db.execute(
            select(LogLeaf.ref, LogLeaf.index).where(
                LogLeaf.kind == "segment",
                LogLeaf.ref.in_([f"{recording_id}/{s['seq']}" for s in chosen])))}
        window = db.get(Window, recording.window_id)
        node = db.get(Jurisdiction, window.jurisdiction_id) if window else None
        plans.append(RecordingPlan(
            recording_id=recording_id, window_id=recording.window_id,
            window_name=window.name if window else recording.window_id,
            jurisdiction_path=node.path if node else "", retain_until=recording.retain_until,
            seal=seal, head=head, manifest_bytes=data, manifest=manifest, segments=chosen,
            segment_leaves={int(r.rsplit("/", 1)[1]): i for r, i in leaves.items()},
            intervals=intervals))
    if not plans:
        raise InvalidInputError("no sealed segment overlaps the selection: nothing to export",
                                reason="nothing_to_export")
    plans.sort(key=lambda p: (p.manifest["recording"]["started_at"], p.recording_id))
    return ExportPlan(recordings=plans, session_ids=targets.session_ids,
                      case_number=targets.case_number)


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
