"""Transcript flags reach retention's facts through the `aidrec.flag_sources` seam."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from archive.catalog.models import Recording, Session
from archive.services import Archive
from retention.facts import load_facts
from tests.integration.retention.conftest import People, make_recording
from transcribe.models import TranscriptFlag


def _flag(archive: Archive, recording_id: str, *, on_session: bool) -> None:
    with archive.catalog.write() as db:
        recording = db.get_one(Recording, recording_id)
        session_id = db.scalar(select(Session.id).where(Session.recording_id == recording_id)) \
            if on_session else None
        db.add(TranscriptFlag(recording_id=recording_id, window_id=recording.window_id,
                              session_id=session_id, kind="fee", phrase="红包", text="红包",
                              offset_ms=100, end_offset_ms=600, weight=3,
                              started_at=recording.started_at + timedelta(milliseconds=100)))


def test_flagged_sessions_and_recordings_are_facts(archive: Archive, people: People) -> None:
    in_session = make_recording(archive)
    no_session = make_recording(archive, session=False)
    plain = make_recording(archive)
    _flag(archive, in_session, on_session=True)
    _flag(archive, no_session, on_session=False)

    with archive.catalog.read() as db:
        facts = load_facts(db, [in_session, no_session, plain])
    (flagged_session,) = facts[in_session].sessions
    assert flagged_session.flagged and not facts[in_session].flagged
    assert facts[no_session].flagged and facts[no_session].sessions == ()
    (quiet,) = facts[plain].sessions
    assert not quiet.flagged and not facts[plain].flagged
