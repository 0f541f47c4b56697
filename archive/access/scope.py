"""The one scope rule: a caller sees and acts only inside its jurisdiction subtree.

A jurisdiction's path lists its ancestors' ids and ends in "/" ("/yn/km/wh/"), so a subtree is
a path prefix: "/a/b/" holds "/a/b/c/" but not its sibling "/a/bc/". Everything else hangs off
a jurisdiction: a window sits in one; a recording, session, gap or flag in a window; a device,
person, case or complaint is registered in one.

Outside its subtree a person gets "not found", the same answer as for a missing id, so ids
cannot be probed. A device is refused outright (permission denied, reason "out_of_scope"):
that is the ingest API's answer to a recorder set up with another jurisdiction's window.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, select, true
from sqlalchemy.orm import Session as DBSession

from archive.access.registry import get_jurisdiction_or_raise
from archive.catalog.models import Case, Device, Jurisdiction, Recording, Session, User, Window
from archive.evidence.errors import NotFoundError, PermissionDeniedError

EVERYWHERE = "/"


@dataclass(frozen=True)
class Placed:
    """A window with the jurisdiction it sits in."""

    window: Window
    jurisdiction: Jurisdiction

    @property
    def path(self) -> str:
        return self.jurisdiction.path


@dataclass(frozen=True)
class Scope:
    """The subtree a caller may reach, and how it is told no."""

    path: str  # "/yn/km/": the subtree's prefix; "/" reaches everything
    caller: str = ""  # named in refusals: "device:wh-rec1"
    hides: bool = True  # out of scope answers "not found" (people), else a refusal (devices)

    def __post_init__(self) -> None:
        if not (self.path.startswith("/") and self.path.endswith("/")):
            raise ValueError(f"a jurisdiction path starts and ends with '/', got {self.path!r}")

    @classmethod
    def of_device(cls, db: DBSession, *, caller: str, jurisdiction_id: str) -> Scope:
        """A device's scope: the subtree of the jurisdiction it is registered in."""
        node = get_jurisdiction_or_raise(db, id=jurisdiction_id)
        return cls(node.path, caller=caller, hides=False)

    def covers(self, path: str) -> bool:
        """Whether a jurisdiction path (or a path scoped like one) lies in the subtree."""
        return path.startswith(self.path)

    def within(self, path: str) -> Scope:
        """The same caller narrowed to a subtree it covers (a list filter)."""
        if not self.covers(path):
            raise ValueError(f"{path} is outside {self.path}")
        return Scope(path, caller=self.caller, hides=self.hides)

    # --- SQL: the same rule as WHERE clauses -------------------------------------------------

    def on_path(self, column: SQLColumnExpression[str]) -> ColumnElement[bool]:
        """Rows whose path column (a jurisdiction's, a hold's scope) lies in the subtree."""
        if self.path == EVERYWHERE:
            return true()
        return column.startswith(self.path, autoescape=True)

    def on_jurisdiction(self) -> ColumnElement[bool]:
        """Jurisdiction rows of the subtree (for queries that join Jurisdiction)."""
        return self.on_path(Jurisdiction.path)

    def window_ids(self) -> Select[str]:
        """SELECT of the ids of the windows in the subtree."""
        return select(Window.id).join(Jurisdiction, Jurisdiction.id == Window.jurisdiction_id) \
            .where(self.on_jurisdiction())

    def on_window(self, window_id: SQLColumnExpression[str]) -> ColumnElement[bool]:
        """Rows whose window lies in the subtree: recordings, sessions, transcript flags."""
        if self.path == EVERYWHERE:
            return true()
        return window_id.in_(self.window_ids())

    # --- lookups: the thing, or the scope's answer for it -----------------------------------

    def require_window(self, db: DBSession, window_id: str) -> Placed:
        """Raises:
            NotFoundError: no such window, or (people) one outside the subtree.
            PermissionDeniedError: (devices) the window is outside the subtree.
        """
        window = db.get(Window, window_id)
        missing = NotFoundError(f"window {window_id} does not exist", reason="no_window")
        if window is None:
            raise missing
        return Placed(window, self._admit(db, window.jurisdiction_id, missing,
                                          f"record window {window_id}"))

    def require_recording(self, db: DBSession, recording_id: str) -> tuple[Recording, Placed]:
        recording = db.get(Recording, recording_id)
        missing = NotFoundError(f"recording {recording_id} does not exist",
                                reason="no_recording")
        if recording is None:
            raise missing
        return recording, self._window_of(db, recording.window_id, missing)

    def require_session(self, db: DBSession, session_id: str) -> tuple[Session, Placed]:
        session = db.get(Session, session_id)
        missing = NotFoundError(f"session {session_id} does not exist", reason="no_session")
        if session is None:
            raise missing
        return session, self._window_of(db, session.window_id, missing)

    def require_jurisdiction(self, db: DBSession, jurisdiction_id: str) -> Jurisdiction:
        missing = NotFoundError(f"jurisdiction {jurisdiction_id} does not exist",
                                reason="no_jurisdiction")
        return self._admit(db, jurisdiction_id, missing, f"reach jurisdiction {jurisdiction_id}")

    def require_device(self, db: DBSession, device_id: str) -> Device:
        device = db.get(Device, device_id)
        missing = NotFoundError(f"device {device_id} does not exist", reason="no_device")
        if device is None:
            raise missing
        self._admit(db, device.jurisdiction_id, missing, f"reach device {device_id}")
        return device

    def require_user(self, db: DBSession, user_id: str) -> User:
        user = db.get(User, user_id)
        missing = NotFoundError(f"user {user_id} does not exist", reason="no_user")
        if user is None:
            raise missing
        self._admit(db, user.jurisdiction_id, missing, f"reach user {user_id}")
        return user

    def require_case(self, db: DBSession, case_id: str) -> Case:
        """A case registered in the subtree, or with a session in it."""
        case = db.get(Case, case_id)
        if case is not None:
            if case.jurisdiction_id is not None:
                node = db.get(Jurisdiction, case.jurisdiction_id)
                if node is not None and self.covers(node.path):
                    return case
            visible = db.scalar(select(Session.id).where(
                Session.case_id == case.id, self.on_window(Session.window_id)).limit(1))
            if visible is not None:
                return case
        raise NotFoundError(f"case {case_id} does not exist", reason="no_case")

    def _window_of(self, db: DBSession, window_id: str, missing: NotFoundError) -> Placed:
        """A row's placed window; a hidden window hides the row too."""
        try:
            return self.require_window(db, window_id)
        except NotFoundError:
            raise missing from None

    def _admit(self, db: DBSession, jurisdiction_id: str, missing: NotFoundError,
               act: str) -> Jurisdiction:
        node = db.get(Jurisdiction, jurisdiction_id)
        if node is None:
            raise missing
        if not self.covers(node.path):
            if self.hides:
                raise missing
            raise PermissionDeniedError(f"{self.caller} may not {act}", reason="out_of_scope")
        return node
