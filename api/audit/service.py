"""Reading the access log within the auditor's subtree."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as DBSession

from api.rows import pairs
from archive.access.people import Principal
from archive.audit import log as audit
from archive.audit.log import AccessEntry, AccessLogHead
from archive.catalog.models import User
from archive.evidence.errors import InvalidInputError

MAX_PAGE = 500


def query_entries(db: DBSession, *, principal: Principal, user_id: str | None = None,
                  action: str | None = None, session_id: str | None = None,
                  recording_id: str | None = None, reason_ref: str | None = None,
                  since: datetime | None = None, until: datetime | None = None,
                  before: int | None = None, limit: int = 100
                  ) -> tuple[list[AccessEntry], int | None]:
    """A page of entries about the auditor's subtree, newest first, and the next cursor."""
    if action is not None and action not in audit.ACTIONS:
        raise InvalidInputError(f"got action {action!r}, expected one of "
                                f"{', '.join(audit.ACTIONS)}", reason="bad_action")
    for moment in (since, until):
        if moment is not None and moment.tzinfo is None:
            raise InvalidInputError("times must carry a UTC offset", reason="naive_time")
    where = audit.EntryFilter(scope_path=principal.jurisdiction_path, user_id=user_id,
                              action=action, session_id=session_id,
                              recording_id=recording_id, reason_ref=reason_ref, since=since,
                              until=until, before_seq=before)
    rows = audit.list_entries(db, where=where, limit=min(limit, MAX_PAGE) + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].seq if more and rows else None)


def list_heads(db: DBSession, *, limit: int = 30) -> list[AccessLogHead]:
    return list(db.scalars(select(AccessLogHead).order_by(AccessLogHead.size.desc())
                           .limit(limit)))


def names_of(db: DBSession, user_ids: set[str]) -> dict[str, str]:
    if not user_ids:
        return {}
    return dict(pairs(db.execute(select(User.id, User.name).where(User.id.in_(user_ids)))))
