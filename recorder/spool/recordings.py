"""Local recordings: opened at once, sent to the archive when their start is known, closed last.

Opening, a gap and closing each queue their item in the same transaction as the row change,
so the archive hears of them in the order they happened.
"""

from __future__ import annotations

from datetime import datetime

from recorder.errors import SpoolError
from recorder.outage import GapRecord, Outage
from recorder.spool.database import SpoolDatabase
from recorder.spool.queue import insert_item
from recorder.spool.rows import ItemKind, RecordingRow, iso, outage_json, recording_of


class Recordings(SpoolDatabase):
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
                 outage_json(outage)))
            rec_id = int(cur.lastrowid or 0)
            insert_item(db, camera_id, rec_id, ItemKind.OPEN, {"window_id": window_id}, now)
        return self.get_recording(rec_id)

    def get_recording(self, rec_id: int) -> RecordingRow:
        row = self._one("SELECT * FROM recordings WHERE id = ?", (rec_id,))
        if row is None:
            raise SpoolError(f"no local recording {rec_id}", reason="no_recording")
        return recording_of(row)

    def current_recording(self, camera_id: str) -> RecordingRow | None:
        row = self._one("SELECT * FROM recordings WHERE camera_id = ? AND state = 'open' "
                        "ORDER BY id DESC LIMIT 1", (camera_id,))
        return recording_of(row) if row else None

    def latest_recording(self, camera_id: str) -> RecordingRow | None:
        row = self._one("SELECT * FROM recordings WHERE camera_id = ? ORDER BY id DESC LIMIT 1",
                        (camera_id,))
        return recording_of(row) if row else None

    def remote_recording_id(self, rec_id: int) -> str | None:
        return self.get_recording(rec_id).remote_id

    def set_started(self, rec_id: int, started_at: datetime) -> None:
        with self._tx() as db:
            db.execute("UPDATE recordings SET started_at = ? WHERE id = ? AND started_at IS NULL",
                       (iso(started_at), rec_id))

    def set_outage(self, rec_id: int, outage: Outage | None) -> None:
        with self._tx() as db:
            db.execute("UPDATE recordings SET outage = ? WHERE id = ?",
                       (outage_json(outage), rec_id))

    def add_gap(self, rec: RecordingRow, gap: GapRecord, *, now: datetime,
                outage: Outage | None) -> None:
        """Spool a gap and set the outage that follows it (None: media is back)."""
        with self._tx() as db:
            insert_item(db, rec.camera_id, rec.id, ItemKind.GAP, gap.as_payload(), now)
            db.execute("UPDATE recordings SET outage = ? WHERE id = ?",
                       (outage_json(outage), rec.id))

    def close_recording(self, rec: RecordingRow, *, ended_at: datetime, now: datetime,
                        gap: GapRecord | None = None) -> None:
        """Spool the closing (after a last gap, if any); nothing is appended afterwards."""
        with self._tx() as db:
            if gap is not None:
                insert_item(db, rec.camera_id, rec.id, ItemKind.GAP, gap.as_payload(), now)
            started = rec.started_at or ended_at
            end = max(ended_at, started)
            db.execute("UPDATE recordings SET state = 'closed', ended_at = ?, outage = NULL, "
                       "started_at = COALESCE(started_at, ?) WHERE id = ?",
                       (iso(end), iso(started), rec.id))
            insert_item(db, rec.camera_id, rec.id, ItemKind.CLOSE, {"ended_at": iso(end)}, now)
