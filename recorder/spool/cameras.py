"""Per-camera state that must survive a restart: a person's stop, an interview, open sessions."""

from __future__ import annotations

import json

from recorder.spool.database import SpoolDatabase
from recorder.spool.rows import CameraState, camera_state_of


class CameraStates(SpoolDatabase):
    def camera_state(self, camera_id: str) -> CameraState:
        row = self._one("SELECT * FROM cameras WHERE camera_id = ?", (camera_id,))
        return camera_state_of(camera_id, row)

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
