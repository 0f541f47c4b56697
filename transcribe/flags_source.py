"""Transcribe's flag source for `archive.catalog.flags` (entry point `aidrec.flag_sources`):
which sessions and recordings carry a transcript flag."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session as DBSession

from transcribe.models import TranscriptFlag


def flagged(db: DBSession, recording_ids: Sequence[str]) -> tuple[set[str], set[str]]:
    """Sessions with a transcript flag, and recordings with a flag outside any session."""
    sessions: set[str] = set()
    recordings: set[str] = set()
    for recording_id, session_id in db.execute(
            select(TranscriptFlag.recording_id, TranscriptFlag.session_id).distinct()
            .where(TranscriptFlag.recording_id.in_(list(recording_ids)))):
        if session_id is None:
            recordings.add(recording_id)
        else:
            sessions.add(session_id)
    return sessions, recordings
