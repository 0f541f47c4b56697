"""The spool's SQLite file: its schema, durable pragmas, and one writer at a time.

WAL mode with synchronous=FULL, so a committed row survives a power loss; every part of the
spool shares one connection behind a lock, and each write is one `BEGIN IMMEDIATE`.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DB_NAME = "spool.db"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS recordings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    camera_id TEXT NOT NULL,
    window_id TEXT NOT NULL,
    block_start TEXT, block_end TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    ended_at TEXT,
    state TEXT NOT NULL DEFAULT 'open',
    remote_id TEXT, genesis TEXT,
    next_seq INTEGER NOT NULL DEFAULT 0,
    chain_head TEXT,
    last_media_end TEXT,
    outage TEXT
);
CREATE INDEX IF NOT EXISTS ix_recordings_camera ON recordings(camera_id, state);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recording_id INTEGER NOT NULL REFERENCES recordings(id),
    camera_id TEXT NOT NULL,
    dir TEXT NOT NULL,
    started_at TEXT NOT NULL,
    pid INTEGER,
    anchor REAL,
    ended_at TEXT,
    returncode INTEGER,
    state TEXT NOT NULL DEFAULT 'running'
);
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    camera_id TEXT NOT NULL,
    recording_id INTEGER NOT NULL REFERENCES recordings(id),
    kind TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    created_at TEXT NOT NULL,
    done_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    payload TEXT NOT NULL DEFAULT '{}',
    remote_id TEXT,
    run_id INTEGER, filename TEXT, path TEXT, size INTEGER, sha256 TEXT, seq INTEGER,
    prev_hash TEXT, chain_hash TEXT, started_at TEXT, ended_at TEXT,
    partial INTEGER NOT NULL DEFAULT 0, closed_at REAL, confirmed_at REAL,
    UNIQUE (run_id, filename)
);
CREATE INDEX IF NOT EXISTS ix_items_lane ON items(camera_id, state, id);
CREATE INDEX IF NOT EXISTS ix_items_kind_state ON items(kind, state);
CREATE TABLE IF NOT EXISTS cameras (
    camera_id TEXT PRIMARY KEY,
    stopped TEXT,
    interview TEXT,
    session_items TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class SpoolDatabase:
    """The spool directory's `spool.db` and `media/`; the base every part of the spool shares."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.media = root / "media"
        self.media.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(root / DB_NAME, check_same_thread=False,
                                   isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA busy_timeout=30000")
        self._db.executescript(_SCHEMA)
        self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _one(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._db.execute(sql, args).fetchone()
            return row

    def _all(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._db.execute(sql, args).fetchall())
