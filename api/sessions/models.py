"""An index the web service needs on the archive's sessions table (created by migration 0005).

The dashboard finds each flag's session by recording and start time; without this index
each probe scans the recording's sessions.
"""

from __future__ import annotations

from sqlalchemy import Index

from archive.catalog.models import Session

Index("ix_sessions_recording_started", Session.recording_id, Session.started_at)
