"""Request and response bodies of complaints."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from api.complaints.models import Outcome
from api.complaints.service import ComplaintRow, LinkedSession


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ComplaintIn(_In):
    complainant: str = Field(min_length=1, max_length=200, description="who complains")
    contact: str = Field("", max_length=200, description="how to reach them")
    summary: str = Field(min_length=1, max_length=5000, description="what happened")
    received_on: date | None = Field(None, description="day of receipt (default today)")
    number: str | None = Field(None, min_length=1, max_length=100,
                               description="the office's number; generated when absent")
    jurisdiction_id: str | None = Field(None, max_length=64,
                                        description="where it is handled (default: yours)")
    session_ids: list[str] = Field(default_factory=list, max_length=50,
                                   description="sessions it concerns (each is held)")


class LinkIn(_In):
    session_id: str = Field(min_length=1, max_length=32)


class CloseIn(_In):
    outcome: Outcome
    note: str = Field(min_length=1, max_length=5000)


class ComplaintOut(BaseModel):
    id: str
    number: str
    jurisdiction_id: str
    jurisdiction_name: str
    complainant: str
    contact: str
    summary: str
    received_on: date
    accept_due: date
    close_due: date
    state: str
    accepted_at: datetime | None
    closed_at: datetime | None
    outcome: str | None
    outcome_note: str
    created_by: str
    sessions: int
    due: date | None = Field(description="the next deadline: accept, then close")
    urgency: str | None = Field(description="overdue, due_today, due_soon or on_time")

    @classmethod
    def of(cls, row: ComplaintRow) -> ComplaintOut:
        c = row.complaint
        return cls(id=c.id, number=c.number, jurisdiction_id=c.jurisdiction_id,
                   jurisdiction_name=row.jurisdiction_name, complainant=c.complainant,
                   contact=c.contact, summary=c.summary, received_on=c.received_on,
                   accept_due=c.accept_due, close_due=c.close_due, state=c.state,
                   accepted_at=c.accepted_at, closed_at=c.closed_at, outcome=c.outcome,
                   outcome_note=c.outcome_note, created_by=c.created_by,
                   sessions=row.sessions, due=row.due, urgency=row.urgency)


class LinkedSessionOut(BaseModel):
    session_id: str
    window_name: str
    started_at: datetime
    ended_at: datetime | None
    case_number: str | None
    linked_at: datetime
    hold_ref: str

    @classmethod
    def of(cls, link: LinkedSession) -> LinkedSessionOut:
        s = link.session
        return cls(session_id=s.id, window_name=link.window_name, started_at=s.started_at,
                   ended_at=s.ended_at, case_number=link.case_number,
                   linked_at=link.linked_at, hold_ref=link.hold_ref)


class ComplaintDetailOut(ComplaintOut):
    linked: list[LinkedSessionOut]
