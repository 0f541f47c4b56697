"""Catalog tables of complaints (投诉) and the sessions they concern."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from archive.catalog.models import Base, new_id
from archive.catalog.types import utcnow


class ComplaintState(enum.StrEnum):
    REGISTERED = "registered"  # 登记, awaiting acceptance (5 working days)
    ACCEPTED = "accepted"  # 受理, being handled (closed within 45 days of receipt)
    CLOSED = "closed"  # 办结, with an outcome


class Outcome(enum.StrEnum):
    SUBSTANTIATED = "substantiated"  # 属实
    PARTLY = "partly_substantiated"  # 部分属实
    UNSUBSTANTIATED = "unsubstantiated"  # 不属实
    NOT_ACCEPTED = "not_accepted"  # 不予受理
    WITHDRAWN = "withdrawn"  # 撤回


class Complaint(Base):
    __tablename__ = "complaints"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(100), unique=True)
    jurisdiction_id: Mapped[str] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    complainant: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(Text)
    received_on: Mapped[date] = mapped_column(Date)
    accept_due: Mapped[date] = mapped_column(Date)
    close_due: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default=ComplaintState.REGISTERED.value)
    accepted_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(32))
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ComplaintSession(Base):
    """A session a complaint concerns; linking places a hold on its recording."""

    __tablename__ = "complaint_sessions"
    complaint_id: Mapped[str] = mapped_column(ForeignKey("complaints.id"), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), primary_key=True)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"), index=True)
    linked_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)
    hold_ref: Mapped[str] = mapped_column(String(200), default="")


Index("ix_complaints_state_due", Complaint.state, Complaint.accept_due)
Index("ix_complaint_sessions_session", ComplaintSession.session_id)
