"""The upload queue: items go to the archive in the order they were spooled, per camera.

An item stays pending until the archive confirms it; metadata the archive refuses for good
is marked rejected, a segment never is.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from recorder.errors import SpoolError
from recorder.spool.database import SpoolDatabase
from recorder.spool.rows import Item, ItemKind, iso, item_of


def insert_item(db: sqlite3.Connection, camera_id: str, recording_id: int, kind: ItemKind,
                payload: dict[str, Any], now: datetime) -> int:
    """Queue an item inside the caller's transaction; its id."""
    cur = db.execute("INSERT INTO items (camera_id, recording_id, kind, created_at, payload) "
                     "VALUES (?, ?, ?, ?, ?)",
                     (camera_id, recording_id, kind.value, iso(now), json.dumps(payload)))
    return int(cur.lastrowid or 0)


def mark_done(db: sqlite3.Connection, item: Item, *, now: datetime,
              remote_id: str | None) -> None:
    """Record the archive's confirmation inside the caller's transaction."""
    db.execute("UPDATE items SET state = 'confirmed', done_at = ?, confirmed_at = ?, "
               "remote_id = COALESCE(?, remote_id), last_error = NULL WHERE id = ?",
               (iso(now), now.timestamp(), remote_id, item.id))


class ItemQueue(SpoolDatabase):
    def add_item(self, *, camera_id: str, recording_id: int, kind: ItemKind,
                 payload: dict[str, Any], now: datetime) -> int:
        with self._tx() as db:
            return insert_item(db, camera_id, recording_id, kind, payload, now)

    def get_item(self, item_id: int) -> Item:
        row = self._one("SELECT * FROM items WHERE id = ?", (item_id,))
        if row is None:
            raise SpoolError(f"no spool item {item_id}", reason="no_item")
        return item_of(row)

    def next_item(self, camera_id: str) -> Item | None:
        """The oldest item of this camera the archive has not confirmed yet."""
        row = self._one("SELECT * FROM items WHERE camera_id = ? AND state = 'pending' "
                        "ORDER BY id LIMIT 1", (camera_id,))
        return item_of(row) if row else None

    def stuck_item(self, camera_id: str) -> Item | None:
        """The head of the camera's queue if it has failed at least once."""
        item = self.next_item(camera_id)
        return item if item is not None and item.attempts > 0 else None

    def complete_item(self, item: Item, *, now: datetime, remote_id: str | None = None) -> None:
        with self._tx() as db:
            mark_done(db, item, now=now, remote_id=remote_id)

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

    def prune(self, *, before: datetime) -> int:
        """Forget items the archive confirmed (or refused) before `before`; media is long gone."""
        with self._tx() as db:
            cur = db.execute("DELETE FROM items WHERE state != 'pending' AND done_at < ? AND "
                             "id NOT IN (SELECT value FROM cameras, json_each(session_items))",
                             (iso(before),))
            return cur.rowcount
