"""The durable spool: segments and everything the archive must hear, kept until it confirms.

SQLite in WAL mode with synchronous=FULL beside the media files. A segment file is fsynced
(file and directory) before its row is committed, and deleted only after the archive has
confirmed its exact SHA-256. Items go to the archive in the order they were spooled, per
camera: the recording's opening first, then its segments, gaps, sessions and markers, then
its closing.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from archive.evidence.digest import chain_hash, sha256_stream
from recorder.errors import SpoolError
from recorder.outage import Cause, GapRecord, Outage

logger = logging.getLogger(__name__)

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


class ItemKind(StrEnum):
    OPEN = "open"
    SEGMENT = "segment"
    GAP = "gap"
    SESSION = "session"
    SESSION_END = "session_end"
    MARKER = "marker"
    CLOSE = "close"


class ItemState(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"  # the archive answered with what we sent
    REJECTED = "rejected"  # metadata the archive refused for good (never media)


def iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to the spool")
    return moment.astimezone(UTC).isoformat()


def parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True)
class RecordingRow:
    id: int
    camera_id: str
    window_id: str
    block_start: datetime | None
    block_end: datetime | None
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    state: str
    remote_id: str | None
    genesis: str | None
    next_seq: int
    chain_head: str | None
    last_media_end: datetime | None
    outage: Outage | None


@dataclass(frozen=True)
class RunRow:
    id: int
    recording_id: int
    camera_id: str
    dir: Path
    started_at: datetime
    pid: int | None
    anchor: float | None
    state: str


@dataclass(frozen=True)
class Item:
    id: int
    camera_id: str
    recording_id: int
    kind: ItemKind
    state: ItemState
    attempts: int
    last_error: str | None
    payload: dict[str, Any]
    remote_id: str | None
    path: Path | None
    size: int | None
    sha256: str | None
    seq: int | None
    prev_hash: str | None
    chain_hash: str | None
    started_at: datetime | None
    ended_at: datetime | None
    partial: bool
    closed_at: float | None
    confirmed_at: float | None


@dataclass(frozen=True)
class CameraState:
    camera_id: str
    stopped: dict[str, str] | None  # {"person", "reason", "at"}: a named person's stop
    interview: dict[str, str] | None  # on_demand: {"at"} while an interview is open
    session_items: list[int]  # open sessions (item ids) on this camera's recording


def seal_file(path: Path) -> tuple[str, int]:
    """Hash a closed segment and force it and its directory entry to disk."""
    with path.open("rb") as handle:
        digest, size = sha256_stream(handle)
        os.fsync(handle.fileno())
    fsync_dir(path.parent)
    return digest, size


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _outage_to_json(outage: Outage | None) -> str | None:
    if outage is None:
        return None
    return json.dumps({"started_at": iso(outage.started_at), "cause": outage.cause.value,
                       "detail": outage.detail, "person": outage.person,
                       "attempts": outage.attempts})


def _outage_from_json(text: str | None) -> Outage | None:
    if not text:
        return None
    data = json.loads(text)
    return Outage(started_at=datetime.fromisoformat(data["started_at"]),
                  cause=Cause(data["cause"]), detail=data["detail"], person=data["person"],
                  attempts=int(data["attempts"]))


class Spool:
    """One agent's spool directory: `spool.db` and `media/<camera>/run-<n>/` segment files."""

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

    # Recordings --------------------------------------------------------------------------

    def open_recording(self, *, camera_id: str, window_id: str, block_start: datetime | None,
                       block_end: datetime | None, now: datetime,
                       started_at: datetime | None = None,
                       outage: Outage | None = None) -> RecordingRow:
        """A new local recording; its opening goes to the archive once its start is known."""
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO recordings (camera_id, window_id, block_start, block_end, "
                "created_at, started_at, outage) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (camera_id, window_id, block_start and iso(block_start),
                 block_end and iso(block_end), iso(now), started_at and iso(started_at),
                 _outage_to_json(outage)))
            rec_id = int(cur.lastrowid or 0)
            self._insert_item(db, camera_id, rec_id, ItemKind.OPEN, {"window_id": window_id},
                              now)
        return self.get_recording(rec_id)

    def get_recording(self, rec_id: int) -> RecordingRow:
        row = self._one("SELECT * FROM recordings WHERE id = ?", (rec_id,))
        if row is None:
            raise SpoolError(f"no local recording {rec_id}", reason="no_recording")
        return _recording(row)

    def current_recording(self, camera_id: str) -> RecordingRow | None:
        row = self._one("SELECT * FROM recordings WHERE camera_id = ? AND state = 'open' "
                        "ORDER BY id DESC LIMIT 1", (camera_id,))
        return _recording(row) if row else None

    def latest_recording(self, camera_id: str) -> RecordingRow | None:
        row = self._one("SELECT * FROM recordings WHERE camera_id = ? ORDER BY id DESC LIMIT 1",
                        (camera_id,))
        return _recording(row) if row else None

    def set_started(self, rec_id: int, started_at: datetime) -> None:
        with self._tx() as db:
            db.execute("UPDATE recordings SET started_at = ? WHERE id = ? AND started_at IS NULL",
                       (iso(started_at), rec_id))

    def set_outage(self, rec_id: int, outage: Outage | None) -> None:
        with self._tx() as db:
            db.execute("UPDATE recordings SET outage = ? WHERE id = ?",
                       (_outage_to_json(outage), rec_id))

    def add_gap(self, rec: RecordingRow, gap: GapRecord, *, now: datetime,
                outage: Outage | None) -> None:
        """Spool a gap and set the outage that follows it (None: media is back)."""
        with self._tx() as db:
            self._insert_item(db, rec.camera_id, rec.id, ItemKind.GAP, gap.as_payload(), now)
            db.execute("UPDATE recordings SET outage = ? WHERE id = ?",
                       (_outage_to_json(outage), rec.id))

    def close_recording(self, rec: RecordingRow, *, ended_at: datetime, now: datetime,
                        gap: GapRecord | None = None) -> None:
        """Spool the closing (after a last gap, if any); nothing is appended afterwards."""
        with self._tx() as db:
            if gap is not None:
                self._insert_item(db, rec.camera_id, rec.id, ItemKind.GAP, gap.as_payload(), now)
            started = rec.started_at or ended_at
            end = max(ended_at, started)
            db.execute("UPDATE recordings SET state = 'closed', ended_at = ?, outage = NULL, "
                       "started_at = COALESCE(started_at, ?) WHERE id = ?",
                       (iso(end), iso(started), rec.id))
            self._insert_item(db, rec.camera_id, rec.id, ItemKind.CLOSE,
                              {"ended_at": iso(end)}, now)

    # Runs --------------------------------------------------------------------------------

    def new_run(self, rec: RecordingRow, *, now: datetime) -> RunRow:
        camera_dir = self.media / rec.camera_id
        camera_dir.mkdir(parents=True, exist_ok=True)
        with self._tx() as db:
            cur = db.execute("INSERT INTO runs (recording_id, camera_id, dir, started_at) "
                             "VALUES (?, ?, '', ?)", (rec.id, rec.camera_id, iso(now)))
            run_id = int(cur.lastrowid or 0)
            run_dir = camera_dir / f"run-{run_id:06d}"
            db.execute("UPDATE runs SET dir = ? WHERE id = ?", (str(run_dir), run_id))
        run_dir.mkdir(exist_ok=True)
        fsync_dir(camera_dir)
        return self.get_run(run_id)

    def get_run(self, run_id: int) -> RunRow:
        row = self._one("SELECT * FROM runs WHERE id = ?", (run_id,))
        if row is None:
            raise SpoolError(f"no run {run_id}", reason="no_run")
        return RunRow(id=row["id"], recording_id=row["recording_id"],
                      camera_id=row["camera_id"], dir=Path(row["dir"]),
                      started_at=datetime.fromisoformat(row["started_at"]), pid=row["pid"],
                      anchor=row["anchor"], state=row["state"])

    def running_runs(self, camera_id: str) -> list[RunRow]:
        rows = self._all("SELECT id FROM runs WHERE camera_id = ? AND state = 'running' "
                         "ORDER BY id", (camera_id,))
        return [self.get_run(r["id"]) for r in rows]

    def set_run_pid(self, run_id: int, pid: int) -> None:
        with self._tx() as db:
            db.execute("UPDATE runs SET pid = ? WHERE id = ?", (pid, run_id))

    def set_run_anchor(self, run_id: int, anchor: float) -> None:
        with self._tx() as db:
            db.execute("UPDATE runs SET anchor = ? WHERE id = ? AND anchor IS NULL",
                       (anchor, run_id))

    def end_run(self, run_id: int, *, now: datetime, returncode: int | None) -> None:
        with self._tx() as db:
            db.execute("UPDATE runs SET state = 'ended', ended_at = ?, returncode = ? "
                       "WHERE id = ?", (iso(now), returncode, run_id))

    def run_has_file(self, run_id: int, filename: str) -> bool:
        return self._one("SELECT 1 FROM items WHERE run_id = ? AND filename = ?",
                         (run_id, filename)) is not None

    def run_last_segment_end(self, run_id: int) -> datetime | None:
        row = self._one("SELECT ended_at FROM items WHERE run_id = ? AND kind = 'segment' "
                        "ORDER BY id DESC LIMIT 1", (run_id,))
        return parse_time(row["ended_at"]) if row else None

    # Segments ----------------------------------------------------------------------------

    def add_segment(
        self, *, rec: RecordingRow, run_id: int, path: Path, sha256: str, size: int,
        started_at: datetime, ended_at: datetime, partial: bool, closed_at: float,
        now: datetime, gap: GapRecord | None = None,
    ) -> Item | None:
        """Spool a sealed segment as the recording's next one; None if already spooled.

        With the recording's genesis known, its chain hash is computed now; otherwise
        when the archive has opened the recording. `gap` (the outage this segment ends)
        is spooled just before it and the recording's outage is cleared.
        """
        with self._tx() as db:
            if db.execute("SELECT 1 FROM items WHERE run_id = ? AND filename = ?",
                          (run_id, path.name)).fetchone():
                return None
            row = db.execute("SELECT * FROM recordings WHERE id = ?", (rec.id,)).fetchone()
            current = _recording(row)
            if gap is not None:
                self._insert_item(db, rec.camera_id, rec.id, ItemKind.GAP, gap.as_payload(), now)
            seq = current.next_seq
            prev = current.chain_head if current.genesis else None
            link = chain_hash(prev, sha256) if prev else None
            cur = db.execute(
                "INSERT INTO items (camera_id, recording_id, kind, created_at, run_id, "
                "filename, path, size, sha256, seq, prev_hash, chain_hash, started_at, "
                "ended_at, partial, closed_at) VALUES (?, ?, 'segment', ?, ?, ?, ?, ?, ?, ?, "
                "?, ?, ?, ?, ?, ?)",
                (rec.camera_id, rec.id, iso(now), run_id, path.name, str(path), size, sha256,
                 seq, prev, link, iso(started_at), iso(ended_at), int(partial), closed_at))
            item_id = int(cur.lastrowid or 0)
            last_end = max(ended_at, current.last_media_end or ended_at)
            db.execute(
                "UPDATE recordings SET next_seq = ?, chain_head = COALESCE(?, chain_head), "
                "last_media_end = ?, started_at = COALESCE(started_at, ?), "
                "outage = CASE WHEN ? THEN NULL ELSE outage END WHERE id = ?",
                (seq + 1, link, iso(last_end), iso(started_at), int(gap is not None), rec.id))
        return self.get_item(item_id)

    def confirm_open(self, item: Item, *, remote_id: str, genesis: str, now: datetime) -> None:
        """The archive opened the recording: compute the chain of segments spooled so far."""
        with self._tx() as db:
            db.execute("UPDATE recordings SET remote_id = ?, genesis = ? WHERE id = ?",
                       (remote_id, genesis, item.recording_id))
            head = genesis
            rows = db.execute("SELECT id, sha256 FROM items WHERE recording_id = ? AND "
                              "kind = 'segment' ORDER BY seq", (item.recording_id,)).fetchall()
            for row in rows:
                link = chain_hash(head, row["sha256"])
                db.execute("UPDATE items SET prev_hash = ?, chain_hash = ? WHERE id = ?",
                           (head, link, row["id"]))
                head = link
            db.execute("UPDATE recordings SET chain_head = ? WHERE id = ?",
                       (head, item.recording_id))
            self._done(db, item, now=now, remote_id=remote_id)

    def confirm_segment(self, item: Item, *, now: datetime) -> None:
        """The archive holds this exact segment: record that, then delete the local file."""
        with self._tx() as db:
            db.execute("UPDATE items SET state = 'confirmed', done_at = ?, confirmed_at = ?, "
                       "last_error = NULL WHERE id = ?", (iso(now), now.timestamp(), item.id))
        if item.path is not None:
            self._delete_media(item.path)

    def _delete_media(self, path: Path) -> None:
        try:
            path.unlink()
        except FileNotFoundError:
            return
        fsync_dir(path.parent)

    def delete_confirmed_leftovers(self) -> int:
        """Files of confirmed segments a crash left behind (deleted after the commit)."""
        count = 0
        for row in self._all("SELECT path FROM items WHERE kind = 'segment' AND "
                             "state = 'confirmed' AND path IS NOT NULL"):
            path = Path(row["path"])
            if path.exists():
                self._delete_media(path)
                count += 1
        return count

    def remove_empty_run_dirs(self) -> None:
        """Directories of ended runs whose every segment is confirmed."""
        for row in self._all("SELECT id, dir FROM runs WHERE state = 'ended'"):
            run_dir = Path(row["dir"])
            if not run_dir.is_dir():
                continue
            if any(p.suffix == ".ts" for p in run_dir.iterdir()):
                continue
            for leftover in run_dir.iterdir():
                leftover.unlink()
            run_dir.rmdir()

    def prune(self, *, before: datetime) -> int:
        """Forget items the archive confirmed (or refused) before `before`; media is long gone."""
        with self._tx() as db:
            cur = db.execute("DELETE FROM items WHERE state != 'pending' AND done_at < ? AND "
                             "id NOT IN (SELECT value FROM cameras, json_each(session_items))",
                             (iso(before),))
            return cur.rowcount

    # Items -------------------------------------------------------------------------------

    def add_item(self, *, camera_id: str, recording_id: int, kind: ItemKind,
                 payload: dict[str, Any], now: datetime) -> int:
        with self._tx() as db:
            return self._insert_item(db, camera_id, recording_id, kind, payload, now)

    def _insert_item(self, db: sqlite3.Connection, camera_id: str, recording_id: int,
                     kind: ItemKind, payload: dict[str, Any], now: datetime) -> int:
        cur = db.execute("INSERT INTO items (camera_id, recording_id, kind, created_at, payload) "
                         "VALUES (?, ?, ?, ?, ?)",
                         (camera_id, recording_id, kind.value, iso(now), json.dumps(payload)))
        return int(cur.lastrowid or 0)

    def get_item(self, item_id: int) -> Item:
        row = self._one("SELECT * FROM items WHERE id = ?", (item_id,))
        if row is None:
            raise SpoolError(f"no spool item {item_id}", reason="no_item")
        return _item(row)

    def next_item(self, camera_id: str) -> Item | None:
        """The oldest item of this camera the archive has not confirmed yet."""
        row = self._one("SELECT * FROM items WHERE camera_id = ? AND state = 'pending' "
                        "ORDER BY id LIMIT 1", (camera_id,))
        return _item(row) if row else None

    def complete_item(self, item: Item, *, now: datetime, remote_id: str | None = None) -> None:
        with self._tx() as db:
            self._done(db, item, now=now, remote_id=remote_id)

    def _done(self, db: sqlite3.Connection, item: Item, *, now: datetime,
              remote_id: str | None) -> None:
        db.execute("UPDATE items SET state = 'confirmed', done_at = ?, confirmed_at = ?, "
                   "remote_id = COALESCE(?, remote_id), last_error = NULL WHERE id = ?",
                   (iso(now), now.timestamp(), remote_id, item.id))

    def fail_item(self, item: Item, *, error: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE items SET attempts = attempts + 1, last_error = ? WHERE id = ?",
                       (error[:1000], item.id))

    def reject_item(self, item: Item, *, error: str, now: datetime) -> None:
        """Metadata the archive refused for good; media is never rejected this way."""
        if item.kind is ItemKind.SEGMENT:
            raise SpoolError("a segment is never given up", reason="segment_reject")
        with self._tx() as db:
            db.execute("UPDATE items SET state = 'rejected', done_at = ?, last_error = ?, "
                       "attempts = attempts + 1 WHERE id = ?", (iso(now), error[:1000], item.id))

    def remote_recording_id(self, rec_id: int) -> str | None:
        return self.get_recording(rec_id).remote_id

    # Camera state ------------------------------------------------------------------------

    def camera_state(self, camera_id: str) -> CameraState:
        row = self._one("SELECT * FROM cameras WHERE camera_id = ?", (camera_id,))
        if row is None:
            return CameraState(camera_id, None, None, [])
        return CameraState(camera_id, json.loads(row["stopped"]) if row["stopped"] else None,
                           json.loads(row["interview"]) if row["interview"] else None,
                           json.loads(row["session_items"]))

    def save_camera_state(self, state: CameraState) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO cameras (camera_id, stopped, interview, session_items) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(camera_id) DO UPDATE SET stopped = "
                "excluded.stopped, interview = excluded.interview, "
                "session_items = excluded.session_items",
                (state.camera_id, json.dumps(state.stopped) if state.stopped else None,
                 json.dumps(state.interview) if state.interview else None,
                 json.dumps(state.session_items)))

    # Figures -----------------------------------------------------------------------------

    def backlog(self, camera_id: str | None = None) -> tuple[int, int]:
        """Unconfirmed segments and their bytes (all cameras when camera_id is None)."""
        where = "kind = 'segment' AND state = 'pending'"
        args: tuple[Any, ...] = ()
        if camera_id is not None:
            where += " AND camera_id = ?"
            args = (camera_id,)
        row = self._one(f"SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS b FROM items "
                        f"WHERE {where}", args)
        assert row is not None
        return int(row["n"]), int(row["b"])

    def pending_items(self, camera_id: str) -> int:
        row = self._one("SELECT COUNT(*) AS n FROM items WHERE camera_id = ? AND "
                        "state = 'pending'", (camera_id,))
        return int(row["n"]) if row else 0

    def last_confirmed_segment(self, camera_id: str) -> Item | None:
        row = self._one("SELECT * FROM items WHERE camera_id = ? AND kind = 'segment' AND "
                        "state = 'confirmed' ORDER BY confirmed_at DESC LIMIT 1", (camera_id,))
        return _item(row) if row else None

    def last_gap(self, camera_id: str) -> Item | None:
        row = self._one("SELECT * FROM items WHERE camera_id = ? AND kind = 'gap' "
                        "ORDER BY id DESC LIMIT 1", (camera_id,))
        return _item(row) if row else None

    def stuck_item(self, camera_id: str) -> Item | None:
        """The head of the camera's queue if it has failed at least once."""
        item = self.next_item(camera_id)
        return item if item is not None and item.attempts > 0 else None

    def segments(self, camera_id: str | None = None) -> list[Item]:
        sql = "SELECT * FROM items WHERE kind = 'segment'"
        args: tuple[Any, ...] = ()
        if camera_id is not None:
            sql += " AND camera_id = ?"
            args = (camera_id,)
        return [_item(r) for r in self._all(sql + " ORDER BY id", args)]

    def items(self, camera_id: str | None = None) -> list[Item]:
        sql = "SELECT * FROM items"
        args: tuple[Any, ...] = ()
        if camera_id is not None:
            sql += " WHERE camera_id = ?"
            args = (camera_id,)
        return [_item(r) for r in self._all(sql + " ORDER BY id", args)]

    def recordings(self, camera_id: str | None = None) -> list[RecordingRow]:
        sql = "SELECT * FROM recordings"
        args: tuple[Any, ...] = ()
        if camera_id is not None:
            sql += " WHERE camera_id = ?"
            args = (camera_id,)
        return [_recording(r) for r in self._all(sql + " ORDER BY id", args)]


def _recording(row: sqlite3.Row) -> RecordingRow:
    return RecordingRow(
        id=row["id"], camera_id=row["camera_id"], window_id=row["window_id"],
        block_start=parse_time(row["block_start"]), block_end=parse_time(row["block_end"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        started_at=parse_time(row["started_at"]), ended_at=parse_time(row["ended_at"]),
        state=row["state"], remote_id=row["remote_id"], genesis=row["genesis"],
        next_seq=row["next_seq"], chain_head=row["chain_head"],
        last_media_end=parse_time(row["last_media_end"]),
        outage=_outage_from_json(row["outage"]))


def _item(row: sqlite3.Row) -> Item:
    return Item(
        id=row["id"], camera_id=row["camera_id"], recording_id=row["recording_id"],
        kind=ItemKind(row["kind"]), state=ItemState(row["state"]), attempts=row["attempts"],
        last_error=row["last_error"], payload=json.loads(row["payload"]),
        remote_id=row["remote_id"], path=Path(row["path"]) if row["path"] else None,
        size=row["size"], sha256=row["sha256"], seq=row["seq"], prev_hash=row["prev_hash"],
        chain_hash=row["chain_hash"], started_at=parse_time(row["started_at"]),
        ended_at=parse_time(row["ended_at"]), partial=bool(row["partial"]),
        closed_at=row["closed_at"], confirmed_at=row["confirmed_at"])
