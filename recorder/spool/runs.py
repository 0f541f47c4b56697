"""ffmpeg runs: one directory of segment files per run, `media/<camera>/run-<n>/`."""

from __future__ import annotations

from datetime import datetime

from recorder.errors import SpoolError
from recorder.spool.database import SpoolDatabase
from recorder.spool.media import fsync_dir
from recorder.spool.rows import RecordingRow, RunRow, iso, parse_time, run_of


class Runs(SpoolDatabase):
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
        return run_of(row)

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
