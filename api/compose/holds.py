"""Holds placed when a complaint is linked to a session: a port with two implementations.

`RetentionHolds` records a legal hold through retention (catalog + S3 legal holds on every
object, released only by an inspector or administrator with a reason). `StoreLegalHolds` is
the fallback for a catalog without retention's tables: it sets the S3 legal hold on each
segment version of the recording directly.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

from sqlalchemy import inspect, select
from sqlalchemy.exc import SQLAlchemyError

from api.rows import pairs
from archive.access.people import Principal
from archive.catalog.models import Segment, Session
from archive.evidence.errors import NotFoundError
from archive.services import Archive

logger = logging.getLogger(__name__)


class Holds(Protocol):
    """Places a hold on the recording of a session for a complaint; returns its reference."""

    def place(self, *, principal: Principal, complaint_number: str, session_id: str,
              reason: str, now: datetime) -> str: ...


class RetentionHolds:
    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    def place(self, *, principal: Principal, complaint_number: str, session_id: str,
              reason: str, now: datetime) -> str:
        from retention.holds import HoldTargets, place_hold
        from retention.models import HoldKind

        view = place_hold(self.archive, principal=principal, kind=HoldKind.COMPLAINT,
                          reference=complaint_number, reason=reason,
                          targets=HoldTargets(session_ids=(session_id,)), now=now)
        return f"hold:{view.hold.id}"


class StoreLegalHolds:
    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    def place(self, *, principal: Principal, complaint_number: str, session_id: str,
              reason: str, now: datetime) -> str:
        with self.archive.catalog.read() as db:
            session = db.get(Session, session_id)
            if session is None:
                raise NotFoundError(f"session {session_id} does not exist",
                                    reason="no_session")
            objects = pairs(db.execute(select(Segment.object_key, Segment.version_id).where(
                Segment.recording_id == session.recording_id)))
        for key, version_id in objects:
            self.archive.store.set_legal_hold(key, version_id, True)
        logger.info("legal_hold_placed", extra={"recording_id": session.recording_id,
                                                "complaint": complaint_number})
        return f"s3-legal-hold:{session.recording_id}"


def default_holds(archive: Archive) -> Holds:
    """Retention's holds where its tables exist, else S3 legal holds directly."""
    try:
        has_retention = inspect(archive.catalog.engine).has_table("legal_holds")
    except SQLAlchemyError:  # a catalog we cannot inspect: retention is not there either
        has_retention = False
    return RetentionHolds(archive) if has_retention else StoreLegalHolds(archive)
