"""What a package carries besides the media: proofs, tree heads, documents, people, history.

Everything here is read inside one catalog transaction after the recordings are sealed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as DBSession

from archive.catalog.models import Session, Staff, TreeHead, User
from archive.evidence.log_entries import log_entry_bytes
from archive.evidence.merkle import InclusionProof
from archive.export.offline.layout import document_dir, head_dir, recording_dir
from archive.export.parts import AccessEvent, AccessLogSource, DocumentSource
from archive.export.select import ExportPlan, RecordingPlan
from archive.seal.translog import TransparencyLog
from archive.verify.documents import SealedDocument

HEAD_FILES = ("head.json", "head.p7s", "head.tsr")


@dataclass(frozen=True)
class HeadRef:
    """A signed tree head as stored, and where the package puts it."""

    id: int
    size: int
    root: str
    objects: Mapping[str, Mapping[str, Any]]

    @property
    def dir(self) -> str:
        return head_dir(self.size)

    @property
    def statement(self) -> str:
        return f"{self.dir}/head.json"


@dataclass(frozen=True)
class PlacedDocument:
    document: SealedDocument
    dir: str
    proof: InclusionProof
    head: HeadRef


@dataclass
class Gathered:
    heads: dict[int, HeadRef] = field(default_factory=dict)
    proofs: dict[str, InclusionProof] = field(default_factory=dict)  # bag path -> proof
    documents: dict[str, list[PlacedDocument]] = field(default_factory=dict)
    sessions: list[dict[str, Any]] = field(default_factory=list)  # sealed entries + recording
    staff: dict[str, str] = field(default_factory=dict)


def head_ref(db: DBSession, tree_head_id: int) -> HeadRef:
    head = db.get(TreeHead, tree_head_id)
    assert head is not None, f"tree head {tree_head_id} is missing"
    return HeadRef(id=head.id, size=head.size, root=head.root, objects=head.objects)


def proof_for(db: DBSession, log: TransparencyLog, *, entry: bytes, log_index: int,
              head: HeadRef) -> InclusionProof:
    raw = log.prove_inclusion(db, log_index, head.size)
    return InclusionProof.from_pymerkle(raw, entry=entry, tree_head=head.statement)


def gather(db: DBSession, log: TransparencyLog, plan: ExportPlan, *,
           sources: Mapping[str, DocumentSource]) -> Gathered:
    """Proofs for every seal and exported segment, documents, sessions and staff names."""
    found = Gathered()
    for rec in plan.recordings:
        head = found.heads.setdefault(rec.seal.tree_head_id, head_ref(db, rec.seal.tree_head_id))
        base = recording_dir(rec.recording_id)
        entry = log_entry_bytes("manifest", recording=rec.recording_id, seal=rec.seal.number,
                                sha256=rec.seal.manifest_sha256)
        found.proofs[f"{base}/proofs/manifest.json"] = proof_for(
            db, log, entry=entry, log_index=rec.seal.log_index, head=head)
        for segment in rec.segments:
            seq = int(segment["seq"])
            entry = log_entry_bytes("segment", recording=rec.recording_id, seq=seq,
                                    sha256=segment["sha256"])
            found.proofs[segment_proof_path(rec.recording_id, seq)] = proof_for(
                db, log, entry=entry, log_index=rec.segment_leaves[seq], head=head)
        found.documents[rec.recording_id] = _documents(db, log, rec, sources, found)
        _sessions(db, rec, plan.session_ids, found)
    return found


def segment_proof_path(recording_id: str, seq: int) -> str:
    return f"{recording_dir(recording_id)}/proofs/segment-{seq:06d}.json"


def _documents(db: DBSession, log: TransparencyLog, rec: RecordingPlan,
               sources: Mapping[str, DocumentSource], found: Gathered) -> list[PlacedDocument]:
    placed = []
    for name in sorted(sources):
        for document in sources[name](db, recording_id=rec.recording_id,
                                      intervals=rec.intervals):
            head = found.heads.setdefault(document.tree_head_id,
                                          head_ref(db, document.tree_head_id))
            placed.append(PlacedDocument(
                document=document, dir=document_dir(rec.recording_id, document.kind,
                                                    document.ref),
                proof=proof_for(db, log, entry=document.log_entry, log_index=document.log_index,
                                head=head), head=head))
    return placed


def _sessions(db: DBSession, rec: RecordingPlan, selected: Sequence[str],
              found: Gathered) -> None:
    wanted = set(selected)
    for entry in rec.manifest["sessions"]:
        if entry["id"] not in wanted:
            continue
        found.sessions.append({**entry, "recording_id": rec.recording_id,
                               "window_id": rec.window_id, "window_name": rec.window_name})
        staff_id = entry.get("staff_id")
        if staff_id and staff_id not in found.staff:
            staff = db.get(Staff, staff_id)
            found.staff[staff_id] = staff.name if staff else staff_id
    # Sessions linked after the seal are not in its manifest: the catalog's view, marked.
    sealed = {e["id"] for e in rec.manifest["sessions"]}
    for session in db.scalars(select(Session).where(Session.recording_id == rec.recording_id,
                                                    Session.id.in_(wanted - sealed))):
        found.sessions.append({"id": session.id, "unsealed": True,
                               "recording_id": rec.recording_id, "window_id": rec.window_id,
                               "window_name": rec.window_name})


def user_name(db: DBSession, user_id: str) -> tuple[str, str]:
    user = db.get(User, user_id)
    return (user.name, user.role.value) if user else ("", "")


def access_events(db: DBSession, *, recording_ids: Sequence[str],
                  sources: Mapping[str, AccessLogSource]) -> list[AccessEvent]:
    events: list[AccessEvent] = []
    for name in sorted(sources):
        events += sources[name](db, recording_ids=recording_ids)
    return events
