"""Looking things up within the caller's jurisdiction subtree; outside it they do not exist.

Everything hangs off a window, and a window off a jurisdiction: a session, recording, gap or
marker is visible when its window's jurisdiction path starts with the person's subtree path.
Anything outside answers "not found", the same as a missing id, so ids cannot be probed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session as DBSession

from archive.access.people import Principal
from archive.catalog.models import Case, Jurisdiction, Recording, Session, Window
from archive.evidence.errors import NotFoundError


@dataclass(frozen=True)
class Placed:
    """A window with the jurisdiction it sits in."""

    window: Window
    jurisdiction: Jurisdiction

    @property
    def path(self) -> str:
        return self.jurisdiction.path


def window_in_scope(db: DBSession, principal: Principal, window_id: str) -> Placed:
    """Raises:
        NotFoundError: no such window in the person's subtree.
    """
    window = db.get(Window, window_id)
    if window is not None:
        node = db.get(Jurisdiction, window.jurisdiction_id)
        if node is not None and principal.covers(node.path):
            return Placed(window, node)
    raise NotFoundError(f"window {window_id} does not exist", reason="no_window")


def recording_in_scope(db: DBSession, principal: Principal,
                       recording_id: str) -> tuple[Recording, Placed]:
    recording = db.get(Recording, recording_id)
    if recording is not None:
        try:
            return recording, window_in_scope(db, principal, recording.window_id)
        except NotFoundError:
            pass
    raise NotFoundError(f"recording {recording_id} does not exist", reason="no_recording")


def session_in_scope(db: DBSession, principal: Principal,
                     session_id: str) -> tuple[Session, Placed]:
    session = db.get(Session, session_id)
    if session is not None:
        try:
            return session, window_in_scope(db, principal, session.window_id)
        except NotFoundError:
            pass
    raise NotFoundError(f"session {session_id} does not exist", reason="no_session")


def jurisdiction_in_scope(db: DBSession, principal: Principal,
                          jurisdiction_id: str) -> Jurisdiction:
    node = db.get(Jurisdiction, jurisdiction_id)
    if node is None or not principal.covers(node.path):
        raise NotFoundError(f"jurisdiction {jurisdiction_id} does not exist",
                            reason="no_jurisdiction")
    return node


def windows_subquery(path: str) -> ColumnElement[bool]:
    """Window ids under a jurisdiction path, for IN (...) filters."""
    subtree = select(Jurisdiction.id).where(Jurisdiction.path.startswith(path, autoescape=True))
    return Window.jurisdiction_id.in_(subtree)


def window_ids_in(path: str) -> Select[str]:
    """SELECT of the window ids under `path`."""
    return select(Window.id).join(Jurisdiction, Jurisdiction.id == Window.jurisdiction_id) \
        .where(Jurisdiction.path.startswith(path, autoescape=True))


def case_in_scope(db: DBSession, principal: Principal, case_id: str) -> Case:
    """A case the person can see: registered in their subtree, or with a session in it."""
    case = db.get(Case, case_id)
    if case is not None:
        if case.jurisdiction_id is not None:
            node = db.get(Jurisdiction, case.jurisdiction_id)
            if node is not None and principal.covers(node.path):
                return case
        visible = db.scalar(select(Session.id).where(
            Session.case_id == case.id,
            Session.window_id.in_(window_ids_in(principal.jurisdiction_path))).limit(1))
        if visible is not None:
            return case
    raise NotFoundError(f"case {case_id} does not exist", reason="no_case")
