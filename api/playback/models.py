"""Catalog table of playback grants: a person's reasoned permission to fetch a time range."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from archive.catalog.models import Base, new_id
from archive.catalog.types import utcnow


class PlaybackGrant(Base):
    """Made when a person presses play and gives a reason; segment requests name it.

    A grant is not a credential: every request under it is authenticated again and must come
    from the same person, still allowed to see the recording.
    """

    __tablename__ = "playback_grants"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"), index=True)
    session_id: Mapped[str | None] = mapped_column(ForeignKey("sessions.id"))
    first_seq: Mapped[int] = mapped_column(Integer)
    last_seq: Mapped[int] = mapped_column(Integer)
    range_start: Mapped[datetime]
    range_end: Mapped[datetime]
    reason_kind: Mapped[str] = mapped_column(String(16))
    reason_ref: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
