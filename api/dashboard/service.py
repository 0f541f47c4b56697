"""The dashboard: windows recording now, today's gaps, open complaints, flagged sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session as DBSession

from api import roles
from api.complaints.service import ComplaintRow, list_complaints
from api.compose.transcripts import QueueItem, flagged_sessions
from api.rows import pairs
from api.sessions.service import day_bounds
from api.settings import WebSettings
from api.timeline.service import GapRow, WindowStatus, gaps_between, window_statuses
from archive.access.people import Principal
from archive.catalog.models import Window

FLAGGED_DAYS = 7


@dataclass(frozen=True)
class Flagged:
    item: QueueItem
    window_name: str


@dataclass(frozen=True)
class Dashboard:
    now: datetime
    windows: list[WindowStatus]
    gaps: list[GapRow]
    complaints: list[ComplaintRow] | None  # None: the role does not handle complaints
    flagged: list[Flagged] | None  # None: the role does not see evidence

    @property
    def recording(self) -> list[WindowStatus]:
        return [w for w in self.windows if w.state == "recording"]


def build(db: DBSession, principal: Principal, *, web: WebSettings, now: datetime) -> Dashboard:
    today = now.astimezone(web.zone).date()
    start, end = day_bounds(today, web.zone)
    complaints = flagged = None
    if principal.role in roles.COMPLAINT_READ:
        complaints = list_complaints(db, principal, web=web, today=today, open_only=True,
                                     limit=20)
    if principal.role in roles.CONTENT:  # flags are read from what was said
        items = flagged_sessions(db, principal, since=start - timedelta(days=FLAGGED_DAYS))
        names = dict(pairs(db.execute(select(Window.id, Window.name).where(
            Window.id.in_({i.window_id for i in items})))))
        flagged = [Flagged(i, names.get(i.window_id, i.window_id)) for i in items]
    return Dashboard(now=now, windows=window_statuses(db, principal, now=now,
                                                     fresh_s=web.recording_fresh_s),
                     gaps=gaps_between(db, principal, start=start, end=end, limit=50),
                     complaints=complaints, flagged=flagged)

