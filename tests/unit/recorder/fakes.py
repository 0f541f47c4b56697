"""Fakes for the recorder's unit tests: a settable clock and an in-memory archive."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from archive.evidence.digest import chain_hash, genesis_hash
from recorder.archive_client import OpenedRecording, SegmentReceipt
from recorder.errors import ArchiveRejectedError, ArchiveUnavailableError


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._now.timestamp()

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)


@dataclass
class FakeArchive:
    """Keeps what the ingest API would, with its chain and order rules."""

    down: bool = False
    recordings: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    lose_next_answer: bool = False

    def _enter(self, name: str) -> None:
        self.calls.append(name)
        if self.down:
            raise ArchiveUnavailableError("archive down", reason="unreachable")

    def _answer_lost(self) -> None:
        if self.lose_next_answer:
            self.lose_next_answer = False
            raise ArchiveUnavailableError("answer lost", reason="unreachable")

    def open_recording(self, *, window_id: str, camera_id: str | None,
                       started_at: datetime) -> OpenedRecording:
        self._enter("open")
        rid = f"r{len(self.recordings) + 1}"
        self.recordings[rid] = {"window_id": window_id, "started_at": started_at,
                                "head": genesis_hash(rid), "segments": [], "gaps": [],
                                "sessions": {}, "markers": [], "closed": None}
        self._answer_lost()
        return OpenedRecording(rid, genesis_hash(rid))

    def find_recording(self, *, window_id: str, started_at: datetime) -> OpenedRecording | None:
        self._enter("find")
        for rid, rec in self.recordings.items():
            if rec["window_id"] == window_id and rec["started_at"] == started_at:
                return OpenedRecording(rid, genesis_hash(rid))
        return None

    def put_segment(self, *, recording_id: str, seq: int, path: Path, sha256: str,
                    prev_hash: str, started_at: datetime, ended_at: datetime,
                    partial: bool) -> SegmentReceipt:
        self._enter("segment")
        rec = self.recordings[recording_id]
        body = hashlib.sha256(path.read_bytes()).hexdigest()
        if body != sha256:
            raise ArchiveRejectedError("digest mismatch", reason="digest_mismatch", status=400)
        if seq < len(rec["segments"]):
            stored = rec["segments"][seq]
            if stored["sha256"] != sha256:
                raise ArchiveRejectedError("exists", reason="segment_exists", status=409)
            return SegmentReceipt(seq, sha256, stored["chain"], created=False)
        if seq != len(rec["segments"]):
            raise ArchiveRejectedError("out of order", reason="out_of_order", status=409)
        if prev_hash != rec["head"]:
            raise ArchiveRejectedError("chain break", reason="chain_break", status=409)
        link = chain_hash(prev_hash, sha256)
        rec["segments"].append({"sha256": sha256, "chain": link, "partial": partial,
                                "started_at": started_at, "ended_at": ended_at})
        rec["head"] = link
        self._answer_lost()
        return SegmentReceipt(seq, sha256, link, created=True)

    def report_gap(self, recording_id: str, body: dict[str, Any]) -> str:
        self._enter("gap")
        self.recordings[recording_id]["gaps"].append(body)
        return f"g{len(self.recordings[recording_id]['gaps'])}"

    def open_session(self, recording_id: str, body: dict[str, Any]) -> str:
        self._enter("session")
        sessions = self.recordings[recording_id]["sessions"]
        sid = f"s{len(sessions) + 1}"
        sessions[sid] = dict(body)
        return sid

    def update_session(self, session_id: str, body: dict[str, Any]) -> str:
        self._enter("session_end")
        for rec in self.recordings.values():
            if session_id in rec["sessions"]:
                rec["sessions"][session_id].update(body)
        return session_id

    def add_marker(self, recording_id: str, body: dict[str, Any]) -> str:
        self._enter("marker")
        self.recordings[recording_id]["markers"].append(body)
        return "m"

    def close_recording(self, recording_id: str, *, ended_at: datetime) -> None:
        self._enter("close")
        self.recordings[recording_id]["closed"] = ended_at

    def heartbeat(self, status: dict[str, Any]) -> None:
        self._enter("heartbeat")
