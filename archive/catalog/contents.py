"""Loading everything the catalog holds about one recording, for seals, verification and export."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session as DBSession

from archive.catalog.models import Case, Gap, Marker, Recording, Seal, Segment, Session, TreeHead
from archive.evidence.errors import NotFoundError


@dataclass(frozen=True)
class RecordingContents:
    recording: Recording
    segments: list[Segment]
    gaps: list[Gap]
    sessions: list[tuple[Session, str | None]]  # with the case number, if linked
    markers: list[Marker]
    seal: Seal | None  # the latest
    head: TreeHead | None  # the tree head signed with the latest seal


def load_contents(db: DBSession, recording_id: str) -> RecordingContents:
    recording = db.get(Recording, recording_id)
    if recording is None:
        raise NotFoundError(f"recording {recording_id} does not exist", reason="no_recording")
    where = {"recording_id": recording_id}
    seal = db.scalar(select(Seal).filter_by(**where).order_by(Seal.number.desc()))
    return RecordingContents(
        recording=recording,
        segments=list(db.scalars(select(Segment).filter_by(**where).order_by(Segment.seq))),
        gaps=sorted(db.scalars(select(Gap).filter_by(**where)),
                    key=lambda g: (g.started_at, g.id)),
        sessions=sorted(((s, n) for s, n in db.execute(
            select(Session, Case.number).outerjoin(Case, Session.case_id == Case.id)
            .where(Session.recording_id == recording_id))),
            key=lambda p: (p[0].started_at, p[0].id)),
        markers=sorted(db.scalars(select(Marker).filter_by(**where)),
                       key=lambda m: (m.at, m.id)),
        seal=seal,
        head=db.get(TreeHead, seal.tree_head_id) if seal else None,
    )
