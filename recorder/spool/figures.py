"""What status, metrics and tests read from the spool: backlog, last upload, last gap, lists."""

from __future__ import annotations

from typing import Any

from recorder.spool.database import SpoolDatabase
from recorder.spool.rows import Item, RecordingRow, item_of, recording_of


class Figures(SpoolDatabase):
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
        return item_of(row) if row else None

    def last_gap(self, camera_id: str) -> Item | None:
        row = self._one("SELECT * FROM items WHERE camera_id = ? AND kind = 'gap' "
                        "ORDER BY id DESC LIMIT 1", (camera_id,))
        return item_of(row) if row else None

    def segments(self, camera_id: str | None = None) -> list[Item]:
        sql = "SELECT * FROM items WHERE kind = 'segment'"
        args: tuple[Any, ...] = ()
        if camera_id is not None:
            sql += " AND camera_id = ?"
            args = (camera_id,)
        return [item_of(r) for r in self._all(sql + " ORDER BY id", args)]

    def items(self, camera_id: str | None = None) -> list[Item]:
        sql = "SELECT * FROM items"
        args: tuple[Any, ...] = ()
        if camera_id is not None:
            sql += " WHERE camera_id = ?"
            args = (camera_id,)
        return [item_of(r) for r in self._all(sql + " ORDER BY id", args)]

    def recordings(self, camera_id: str | None = None) -> list[RecordingRow]:
        sql = "SELECT * FROM recordings"
        args: tuple[Any, ...] = ()
        if camera_id is not None:
            sql += " WHERE camera_id = ?"
            args = (camera_id,)
        return [recording_of(r) for r in self._all(sql + " ORDER BY id", args)]
