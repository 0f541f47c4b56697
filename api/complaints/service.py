"""Complaints (投诉): register, accept, link sessions (placing holds), close with an outcome."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError as DBIntegrityError
from sqlalchemy.orm import Session as DBSession

from api.complaints.deadlines import Calendar, due_dates, urgency
from api.complaints.models import Complaint, ComplaintSession, ComplaintState, Outcome
from api.compose.holds import Holds
from api.settings import WebSettings
from archive.access.people import Principal
from archive.catalog.db import Catalog
from archive.catalog.models import Case, Jurisdiction, Session, Window
from archive.evidence.errors import ConflictError, InvalidInputError, NotFoundError

_NUMBER = re.compile(r"^\S(.{0,98}\S)?$")


def calendar_of(web: WebSettings) -> Calendar:
    return Calendar(holidays=frozenset(web.holidays), workdays=frozenset(web.workdays))


@dataclass(frozen=True)
class NewComplaint:
    complainant: str
    summary: str
    received_on: date
    contact: str = ""
    number: str | None = None
    jurisdiction_id: str | None = None

    def validate(self, today: date) -> None:
        """Raises:
            InvalidInputError: empty names, a receipt date in the future, a bad number.
        """
        if not self.complainant.strip() or not self.summary.strip():
            raise InvalidInputError("a complaint needs the complainant and what happened",
                                    reason="incomplete")
        if self.received_on > today:
            raise InvalidInputError("the receipt date is in the future", reason="future_date")
        if self.number is not None and not _NUMBER.match(self.number):
            raise InvalidInputError("a complaint number has 1-100 characters without "
                                    "leading or trailing spaces", reason="bad_number")


def _next_number(db: DBSession, prefix: str, year: int) -> str:
    pattern = f"{prefix}〔{year}〕%号"
    used = db.scalar(select(func.count()).select_from(Complaint)
                     .where(Complaint.number.like(pattern))) or 0
    return f"{prefix}〔{year}〕{used + 1:04d}号"


def register(catalog: Catalog, principal: Principal, *, new: NewComplaint, web: WebSettings,
             now: datetime) -> str:
    """Register a complaint; returns its id.

    Raises:
        InvalidInputError, NotFoundError (jurisdiction outside the subtree),
        ConflictError (the number exists).
    """
    today = now.astimezone(web.zone).date()
    new.validate(today)
    accept_due, close_due = due_dates(new.received_on, calendar=calendar_of(web),
                                      accept_working_days=web.complaint_accept_working_days,
                                      close_days=web.complaint_close_days)
    try:
        with catalog.write() as db:
            node = principal.scope.require_jurisdiction(
                db, new.jurisdiction_id or principal.jurisdiction_id)
            number = new.number or _next_number(db, web.complaint_prefix, new.received_on.year)
            if db.scalar(select(Complaint.id).where(Complaint.number == number)):
                raise ConflictError(f"complaint {number} already exists", reason="exists")
            complaint = Complaint(
                number=number, jurisdiction_id=node.id, complainant=new.complainant.strip(),
                contact=new.contact.strip(), summary=new.summary.strip(),
                received_on=new.received_on, accept_due=accept_due, close_due=close_due,
                created_by=principal.user_id, created_at=now)
            db.add(complaint)
            db.flush()
            return complaint.id
    except DBIntegrityError:
        raise ConflictError("a complaint with this number was registered just now; try "
                            "again", reason="exists") from None


def complaint_in_scope(db: DBSession, principal: Principal, complaint_id: str) -> tuple[
        Complaint, Jurisdiction]:
    complaint = db.get(Complaint, complaint_id)
    if complaint is not None:
        node = db.get_one(Jurisdiction, complaint.jurisdiction_id)
        if principal.covers(node.path):
            return complaint, node
    raise NotFoundError(f"complaint {complaint_id} does not exist", reason="no_complaint")


def accept(db: DBSession, principal: Principal, complaint_id: str, *, now: datetime) -> Complaint:
    complaint, _ = complaint_in_scope(db, principal, complaint_id)
    if complaint.state != ComplaintState.REGISTERED:
        raise ConflictError(f"complaint {complaint.number} is {complaint.state}, not "
                            "registered", reason="bad_state")
    complaint.state, complaint.accepted_at = ComplaintState.ACCEPTED.value, now
    return complaint


def close(db: DBSession, principal: Principal, complaint_id: str, *, outcome: Outcome,
          note: str, now: datetime) -> Complaint:
    """Close with an outcome; a registered complaint may only be closed as not accepted or
    withdrawn."""
    complaint, _ = complaint_in_scope(db, principal, complaint_id)
    if complaint.state == ComplaintState.CLOSED:
        raise ConflictError(f"complaint {complaint.number} is already closed",
                            reason="bad_state")
    if complaint.state == ComplaintState.REGISTERED and outcome not in (
            Outcome.NOT_ACCEPTED, Outcome.WITHDRAWN):
        raise ConflictError("accept the complaint before closing it with a finding",
                            reason="bad_state")
    if not note.strip():
        raise InvalidInputError("closing needs a note on the finding", reason="incomplete")
    complaint.state, complaint.closed_at = ComplaintState.CLOSED.value, now
    complaint.outcome, complaint.outcome_note = outcome.value, note.strip()
    return complaint


def link_session(catalog: Catalog, holds: Holds, principal: Principal, *, complaint_id: str,
                 session_id: str, now: datetime) -> ComplaintSession:
    """Link a session to an open complaint and hold its recording.

    The hold is placed first: if it fails nothing is linked; a link that then fails leaves
    the recording held, which errs on the safe side.

    Raises:
        NotFoundError, ConflictError (closed complaint, already linked).
    """
    with catalog.read() as db:
        complaint, _ = complaint_in_scope(db, principal, complaint_id)
        session, _ = principal.scope.require_session(db, session_id)
        if complaint.state == ComplaintState.CLOSED:
            raise ConflictError(f"complaint {complaint.number} is closed", reason="bad_state")
        if db.get(ComplaintSession, (complaint.id, session.id)) is not None:
            raise ConflictError("the session is already linked", reason="already_linked")
        number, recording_id = complaint.number, session.recording_id
    hold_ref = holds.place(principal=principal, complaint_number=number,
                           session_id=session_id, reason=f"投诉 {number}", now=now)
    try:
        with catalog.write() as db:
            link = ComplaintSession(complaint_id=complaint_id, session_id=session_id,
                                    recording_id=recording_id, linked_by=principal.user_id,
                                    linked_at=now, hold_ref=hold_ref)
            db.add(link)
            db.flush()
            return link
    except DBIntegrityError:
        raise ConflictError("the session is already linked", reason="already_linked") from None


@dataclass(frozen=True)
class ComplaintRow:
    complaint: Complaint
    jurisdiction_name: str
    sessions: int
    due: date | None  # the next deadline (accept, then close); None once closed
    urgency: str | None


def _row(c: Complaint, name: str, sessions: int, today: date, cal: Calendar) -> ComplaintRow:
    due = (c.accept_due if c.state == ComplaintState.REGISTERED else
           c.close_due if c.state == ComplaintState.ACCEPTED else None)
    return ComplaintRow(complaint=c, jurisdiction_name=name, sessions=sessions, due=due,
                        urgency=urgency(due, today, calendar=cal) if due else None)


def list_complaints(db: DBSession, principal: Principal, *, web: WebSettings, today: date,
                    open_only: bool = False, state: str | None = None,
                    limit: int = 100) -> list[ComplaintRow]:
    """Complaints in the subtree, the most urgent open ones first."""
    count = (select(func.count()).select_from(ComplaintSession)
             .where(ComplaintSession.complaint_id == Complaint.id).scalar_subquery())
    query = (select(Complaint, Jurisdiction.name, count)
             .join(Jurisdiction, Jurisdiction.id == Complaint.jurisdiction_id)
             .where(principal.scope.on_jurisdiction()))
    if open_only:
        query = query.where(Complaint.state != ComplaintState.CLOSED.value)
    if state:
        query = query.where(Complaint.state == state)
    cal = calendar_of(web)
    rows = [_row(c, name, int(n or 0), today, cal) for c, name, n in db.execute(
        query.order_by(Complaint.received_on.desc()).limit(limit))]
    rows.sort(key=lambda r: (r.due is None, r.due or date.max))
    return rows


@dataclass(frozen=True)
class LinkedSession:
    session: Session
    window_name: str
    case_number: str | None
    linked_at: datetime
    hold_ref: str


def get_complaint(db: DBSession, principal: Principal, complaint_id: str, *,
                  web: WebSettings, today: date) -> tuple[ComplaintRow, list[LinkedSession]]:
    complaint, node = complaint_in_scope(db, principal, complaint_id)
    links = [LinkedSession(session=s, window_name=w, case_number=n, linked_at=link.linked_at,
                           hold_ref=link.hold_ref)
             for link, s, w, n in db.execute(
                 select(ComplaintSession, Session, Window.name, Case.number)
                 .join(Session, Session.id == ComplaintSession.session_id)
                 .join(Window, Window.id == Session.window_id)
                 .outerjoin(Case, Case.id == Session.case_id)
                 .where(ComplaintSession.complaint_id == complaint.id,
                        principal.scope.on_window(Session.window_id))
                 .order_by(Session.started_at))]
    return _row(complaint, node.name, len(links), today, calendar_of(web)), links
