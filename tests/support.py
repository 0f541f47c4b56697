"""Helpers shared by tests: a jurisdiction tree with a device, media files, a chained uploader."""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from archive.access import registry
from archive.evidence.digest import chain_hash
from archive.evidence.vocabulary import JurisdictionLevel
from archive.services import Archive


@dataclass(frozen=True)
class Tree:
    token: str
    window_id: str
    other_token: str  # a device of a sibling county
    other_window_id: str


def bootstrap_tree(archive: Archive) -> Tree:
    """Province yn → prefecture km → counties wh and gd, one station and window each."""
    with archive.catalog.write() as db:
        registry.create_jurisdiction(db, id="yn", name="云南省", level=JurisdictionLevel.PROVINCE)
        registry.create_jurisdiction(db, id="km", name="昆明市", parent_id="yn",
                                     level=JurisdictionLevel.PREFECTURE)
        tokens = []
        for county, name in (("wh", "五华区"), ("gd", "官渡区")):
            registry.create_jurisdiction(db, id=county, name=name, parent_id="km",
                                         level=JurisdictionLevel.COUNTY)
            registry.create_jurisdiction(db, id=f"{county}-s1", name=f"{name}工作站",
                                         parent_id=county, level=JurisdictionLevel.STATION)
            registry.create_window(db, id=f"{county}-w1", name="1号窗口",
                                   jurisdiction_id=f"{county}-s1")
            _, token = registry.create_device(db, id=f"{county}-rec1", name="recorder",
                                              jurisdiction_id=f"{county}-s1")
            tokens.append(token)
    return Tree(token=tokens[0], window_id="wh-w1", other_token=tokens[1],
                other_window_id="gd-w1")


def make_media(path: Path, *, seconds: float = 5, kind: str = "ts") -> Path:
    """A real media file made by ffmpeg: H.264 + AAC MPEG-TS, or WAV audio."""
    if kind == "wav":
        args = ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", str(path)]
    else:
        args = ["-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=25:duration={seconds}",
                "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
                "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-c:a", "aac",
                "-f", "mpegts", str(path)]
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True)
    return path


@dataclass
class Uploader:
    """Talks to the ingest API as a recorder agent would, keeping the chain."""

    client: httpx.Client | Any
    token: str
    window_id: str
    recording_id: str = ""
    head: str = ""
    seq: int = 0
    clock: datetime = field(default_factory=lambda: datetime(2026, 11, 2, 1, 0, tzinfo=UTC))

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def open(self) -> dict[str, Any]:
        r = self.client.post("/api/v1/ingest/recordings", headers=self.headers,
                             json={"window_id": self.window_id,
                                   "started_at": self.clock.isoformat()})
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        self.recording_id, self.head = body["id"], body["chain_head"]
        return body

    def put(self, data: bytes, *, seconds: float = 5, seq: int | None = None,
            sha256: str | None = None, prev_hash: str | None = None) -> httpx.Response:
        start = self.clock
        end = start + timedelta(seconds=seconds)
        params: dict[str, str | int] = {
            "sha256": sha256 or hashlib.sha256(data).hexdigest(),
            "prev_hash": prev_hash or self.head,
            "started_at": start.isoformat(), "ended_at": end.isoformat(),
        }
        number = self.seq if seq is None else seq
        r: httpx.Response = self.client.put(
            f"/api/v1/ingest/recordings/{self.recording_id}/segments/{number}",
            params=params, content=data,
            headers={**self.headers, "Content-Type": "video/mp2t"})
        if r.status_code == 200 and r.json()["created"]:
            self.head = chain_hash(self.head, r.json()["sha256"])
            self.seq += 1
            self.clock = end
        return r

    def close(self) -> httpx.Response:
        r: httpx.Response = self.client.post(
            f"/api/v1/ingest/recordings/{self.recording_id}/close", headers=self.headers,
            json={"ended_at": self.clock.isoformat()})
        return r
