"""Migration 0005 creates exactly what the web models map, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import api.app  # noqa: F401 - imports every model module
from archive.catalog.models import Base
from archive.services import Archive

WEB_TABLES = {"access_log", "access_log_heads", "login_sessions", "login_throttles",
              "playback_grants", "reviews", "session_notes", "complaints",
              "complaint_sessions", "sessions", "account_links", "role_grants",
              "users", "api_tokens"}


def _table_of(diff: object) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    assert isinstance(item, tuple)
    for part in item[1:]:
        name = getattr(part, "name", None) if not hasattr(part, "table") else \
            getattr(part.table, "name", None)
        if isinstance(part, str):
            return part
        if name:
            return str(name)
    return None


def test_models_match_the_migration(archive: Archive) -> None:
    with archive.catalog.engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    ours = [d for d in diffs if _table_of(d) in WEB_TABLES]
    assert not ours, ours
