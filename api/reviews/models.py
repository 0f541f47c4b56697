"""Catalog tables of review: checklist scores of a session, and timestamped notes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from archive.catalog.models import Base, new_id
from archive.catalog.types import utcnow


class Review(Base):
    """A supervisor's scoring of one session against the office's quality checklist."""

    __tablename__ = "reviews"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    reviewer_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    checklist: Mapped[str] = mapped_column(String(64))  # checklist id and version
    scores: Mapped[dict[str, Any]] = mapped_column(JSON)  # item id -> 0, 1 or 2
    total: Mapped[int] = mapped_column(Integer)
    maximum: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SessionNote(Base):
    """A note at a moment of a session (offset from the session's start)."""

    __tablename__ = "session_notes"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    author_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    offset_ms: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
