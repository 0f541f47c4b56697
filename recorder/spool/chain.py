"""Sealed segments in the queue, and the hash chain the agent keeps over them.

The chain needs the recording's genesis, which only the archive's opening gives; segments
spooled before that are chained when the opening is confirmed.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from archive.evidence.digest import chain_hash
from recorder.outage import GapRecord
from recorder.spool.media import delete_media
from recorder.spool.queue import ItemQueue, insert_item, mark_done
from recorder.spool.rows import Item, ItemKind, RecordingRow, iso, recording_of


class SegmentChain(ItemQueue):
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
            current = recording_of(row)
            if gap is not None:
                insert_item(db, rec.camera_id, rec.id, ItemKind.GAP, gap.as_payload(), now)
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
            mark_done(db, item, now=now, remote_id=remote_id)

    def confirm_segment(self, item: Item, *, now: datetime) -> None:
        """The archive holds this exact segment: record that, then delete the local file."""
        with self._tx() as db:
            db.execute("UPDATE items SET state = 'confirmed', done_at = ?, confirmed_at = ?, "
                       "last_error = NULL WHERE id = ?", (iso(now), now.timestamp(), item.id))
        if item.path is not None:
            delete_media(item.path)
