"""Sealed transcripts contributed to evidence packages (the `aidrec.export_parts` hook)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session as DBSession

from archive.export.offline.layout import Interval
from archive.verify.documents import SealedDocument
from transcribe.models import TranscriptVersion


def sealed_transcripts(db: DBSession, *, recording_id: str,
                       intervals: Sequence[Interval]) -> list[SealedDocument]:
    """Every sealed version of the recording's transcript, whole: a cut would break its seal."""
    versions = db.scalars(select(TranscriptVersion)
                          .where(TranscriptVersion.recording_id == recording_id)
                          .order_by(TranscriptVersion.number))
    return [
        SealedDocument(kind="transcript", ref=f"{recording_id}/transcript/{v.number}",
                       name="transcript", sha256=v.document_sha256, objects=v.objects,
                       log_index=v.log_index, tree_head_id=v.tree_head_id,
                       recording_id=recording_id,
                       title=f"转写稿 第{v.number}版 ({v.kind})")
        for v in versions
    ]
