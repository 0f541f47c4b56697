"""What the spool's tables hold, as frozen values, and how each is read from its row."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from archive.evidence.vocabulary import GapCause
from recorder.outage import Outage


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


def outage_json(outage: Outage | None) -> str | None:
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
                  cause=GapCause(data["cause"]), detail=data["detail"], person=data["person"],
                  attempts=int(data["attempts"]))


def recording_of(row: sqlite3.Row) -> RecordingRow:
    return RecordingRow(
        id=row["id"], camera_id=row["camera_id"], window_id=row["window_id"],
        block_start=parse_time(row["block_start"]), block_end=parse_time(row["block_end"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        started_at=parse_time(row["started_at"]), ended_at=parse_time(row["ended_at"]),
        state=row["state"], remote_id=row["remote_id"], genesis=row["genesis"],
        next_seq=row["next_seq"], chain_head=row["chain_head"],
        last_media_end=parse_time(row["last_media_end"]),
        outage=_outage_from_json(row["outage"]))


def run_of(row: sqlite3.Row) -> RunRow:
    return RunRow(id=row["id"], recording_id=row["recording_id"],
                  camera_id=row["camera_id"], dir=Path(row["dir"]),
                  started_at=datetime.fromisoformat(row["started_at"]), pid=row["pid"],
                  anchor=row["anchor"], state=row["state"])


def item_of(row: sqlite3.Row) -> Item:
    return Item(
        id=row["id"], camera_id=row["camera_id"], recording_id=row["recording_id"],
        kind=ItemKind(row["kind"]), state=ItemState(row["state"]), attempts=row["attempts"],
        last_error=row["last_error"], payload=json.loads(row["payload"]),
        remote_id=row["remote_id"], path=Path(row["path"]) if row["path"] else None,
        size=row["size"], sha256=row["sha256"], seq=row["seq"], prev_hash=row["prev_hash"],
        chain_hash=row["chain_hash"], started_at=parse_time(row["started_at"]),
        ended_at=parse_time(row["ended_at"]), partial=bool(row["partial"]),
        closed_at=row["closed_at"], confirmed_at=row["confirmed_at"])


def camera_state_of(camera_id: str, row: sqlite3.Row | None) -> CameraState:
    if row is None:
        return CameraState(camera_id, None, None, [])
    return CameraState(camera_id, json.loads(row["stopped"]) if row["stopped"] else None,
                       json.loads(row["interview"]) if row["interview"] else None,
                       json.loads(row["session_items"]))
