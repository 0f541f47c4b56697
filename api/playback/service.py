"""Playback: a reasoned grant for a time range, its HLS playlist, and its segments.

A person presses play and says why (a complaint number, an inspection ticket, or routine
review); that makes a grant for the segments overlapping the range. The playlist lists them
in order with their recorded durations; every segment request is checked again (same person,
still in scope, grant not expired, segment inside it) and logged before a byte is sent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session as DBSession

from api.audit.reasons import Reason
from api.playback.models import PlaybackGrant
from api.sessions.service import segments_between
from archive.access.people import Principal
from archive.access.scope import Placed
from archive.catalog.models import Recording, Segment
from archive.evidence.errors import InvalidInputError, NotFoundError, PermissionDeniedError

HLS_TYPES = frozenset({"video/mp2t"})
MAX_RANGE = timedelta(hours=24)


@dataclass(frozen=True)
class PlaylistEntry:
    seq: int
    started_at: datetime
    duration_ms: int
    player_start_ms: int  # where it begins on the player's clock
    content_type: str
    size: int


def playlist_entries(segments: list[Segment]) -> list[PlaylistEntry]:
    entries, clock = [], 0
    for s in segments:
        entries.append(PlaylistEntry(seq=s.seq, started_at=s.started_at,
                                     duration_ms=max(s.duration_ms, 1), player_start_ms=clock,
                                     content_type=s.content_type, size=s.size))
        clock += max(s.duration_ms, 1)
    return entries


def player_ms(entries: list[PlaylistEntry], moment: datetime) -> int:
    """Where a wall-clock moment is on the player's clock (a gap maps to what follows)."""
    for e in entries:
        offset = round((moment - e.started_at).total_seconds() * 1000)
        if offset < e.duration_ms:
            return e.player_start_ms + max(offset, 0)
    return entries[-1].player_start_ms + entries[-1].duration_ms if entries else 0


def create_grant(db: DBSession, principal: Principal, *, recording_id: str, start: datetime,
                 end: datetime, session_id: str | None, reason: Reason, now: datetime,
                 minutes: int) -> tuple[PlaybackGrant, Placed, list[PlaylistEntry]]:
    """Raises:
        NotFoundError: recording outside the subtree, or no media in the range.
        InvalidInputError: a bad range or reason.
    """
    recording, placed = principal.scope.require_recording(db, recording_id)
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInputError("times must carry a UTC offset", reason="naive_time")
    if end < start or end - start > MAX_RANGE:
        raise InvalidInputError("a range ends after it starts and spans at most 24 hours",
                                reason="bad_range")
    reason.validate(db, principal)
    segments = segments_between(db, recording.id, start, end)
    if not segments:
        raise NotFoundError("no recorded media in this range", reason="no_media")
    grant = PlaybackGrant(user_id=principal.user_id, recording_id=recording.id,
                          session_id=session_id, first_seq=segments[0].seq,
                          last_seq=segments[-1].seq, range_start=start, range_end=end,
                          reason_kind=reason.kind, reason_ref=reason.ref.strip(),
                          created_at=now, expires_at=now + timedelta(minutes=minutes))
    db.add(grant)
    db.flush()
    return grant, placed, playlist_entries(segments)


def grant_in_scope(db: DBSession, principal: Principal, grant_id: str, *,
                   now: datetime) -> tuple[PlaybackGrant, Recording, Placed]:
    """The caller's own live grant on a recording they may still see.

    Raises:
        NotFoundError: no such grant of this person, or its recording is out of scope now.
        PermissionDeniedError: the grant has expired (press play again).
    """
    grant = db.get(PlaybackGrant, grant_id)
    if grant is None or grant.user_id != principal.user_id:
        raise NotFoundError(f"playback {grant_id} does not exist", reason="no_playback")
    recording, placed = principal.scope.require_recording(db, grant.recording_id)
    if grant.expires_at <= now:
        raise PermissionDeniedError("this playback has expired; press play again",
                                    reason="playback_expired")
    return grant, recording, placed


def grant_segments(db: DBSession, grant: PlaybackGrant) -> list[Segment]:
    return list(db.scalars(select(Segment).where(
        Segment.recording_id == grant.recording_id, Segment.seq >= grant.first_seq,
        Segment.seq <= grant.last_seq).order_by(Segment.seq)))


def segment_of(db: DBSession, grant: PlaybackGrant, seq: int) -> Segment:
    if not grant.first_seq <= seq <= grant.last_seq:
        raise NotFoundError(f"segment {seq} is not part of this playback", reason="no_segment")
    segment = db.scalar(select(Segment).where(Segment.recording_id == grant.recording_id,
                                              Segment.seq == seq))
    if segment is None:
        raise NotFoundError(f"segment {seq} does not exist", reason="no_segment")
    return segment


def hls_playlist(entries: list[PlaylistEntry], *, complete: bool) -> str:
    """An HLS media playlist (RFC 8216) of the grant's segments.

    Recorders cut with reset timestamps and imports are separate files, so every segment
    after the first starts a discontinuity; each carries its wall-clock start.
    """
    target = max((math.ceil(e.duration_ms / 1000) for e in entries), default=1)
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{target}",
             f"#EXT-X-MEDIA-SEQUENCE:{entries[0].seq if entries else 0}",
             "#EXT-X-PLAYLIST-TYPE:VOD" if complete else "#EXT-X-PLAYLIST-TYPE:EVENT"]
    for index, e in enumerate(entries):
        if index:
            lines.append("#EXT-X-DISCONTINUITY")
        utc = e.started_at.astimezone(UTC)
        stamp = utc.strftime("%Y-%m-%dT%H:%M:%S.") + \
            f"{utc.microsecond // 1000:03d}Z"
        lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{stamp}")
        lines.append(f"#EXTINF:{e.duration_ms / 1000:.3f},")
        lines.append(f"segments/{e.seq}.ts")
    if complete:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def playable_as_hls(entries: list[PlaylistEntry]) -> bool:
    return bool(entries) and all(e.content_type in HLS_TYPES for e in entries)
