"""The archive's ingest API as the agent sees it: a port, and its HTTP implementation."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import httpx

from recorder.errors import ArchiveRejectedError, ArchiveUnavailableError

logger = logging.getLogger(__name__)

PREFIX = "/api/v1/ingest"
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class OpenedRecording:
    id: str
    chain_head: str


@dataclass(frozen=True)
class SegmentReceipt:
    seq: int
    sha256: str
    chain_hash: str
    created: bool


class ArchivePort(Protocol):
    """What the uploader and the heartbeat need from the archive."""

    def open_recording(self, *, window_id: str, camera_id: str | None,
                       started_at: datetime) -> OpenedRecording: ...

    def find_recording(self, *, window_id: str, started_at: datetime) -> OpenedRecording | None:
        ...

    def put_segment(self, *, recording_id: str, seq: int, path: Path, sha256: str,
                    prev_hash: str, started_at: datetime, ended_at: datetime,
                    partial: bool) -> SegmentReceipt: ...

    def report_gap(self, recording_id: str, body: dict[str, Any]) -> str: ...

    def open_session(self, recording_id: str, body: dict[str, Any]) -> str: ...

    def update_session(self, session_id: str, body: dict[str, Any]) -> str: ...

    def add_marker(self, recording_id: str, body: dict[str, Any]) -> str: ...

    def close_recording(self, recording_id: str, *, ended_at: datetime) -> None: ...

    def heartbeat(self, status: dict[str, Any]) -> None: ...


class HttpArchive:
    """The ingest API over HTTP with the device's bearer token."""

    def __init__(self, base_url: str, token: str, *, timeout_s: float = 60.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"), timeout=httpx.Timeout(timeout_s, connect=5.0),
            headers={"Authorization": f"Bearer {token}"}, transport=transport)

    def close(self) -> None:
        self._client.close()

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._client.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            raise ArchiveUnavailableError(f"{method} {url}: {type(exc).__name__}: {exc}",
                                          reason="unreachable") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise ArchiveUnavailableError(
                f"{method} {url}: HTTP {response.status_code} {_error_text(response)}",
                reason="server_error")
        if response.status_code >= 400:
            reason, message = _error_of(response)
            raise ArchiveRejectedError(f"{method} {url}: HTTP {response.status_code} {message}",
                                       reason=reason, status=response.status_code)
        return response

    def open_recording(self, *, window_id: str, camera_id: str | None,
                       started_at: datetime) -> OpenedRecording:
        body: dict[str, Any] = {"window_id": window_id, "started_at": started_at.isoformat()}
        if camera_id:
            body["camera_id"] = camera_id
        data = self._request("POST", f"{PREFIX}/recordings", json=body).json()
        return OpenedRecording(id=data["id"], chain_head=data["chain_head"])

    def find_recording(self, *, window_id: str, started_at: datetime) -> OpenedRecording | None:
        """An open recording of this window that this device opened at `started_at`.

        Used before repeating an opening whose answer was lost, so no twin is created.
        None also when the archive lacks the lookup endpoint.
        """
        try:
            response = self._request("GET", f"{PREFIX}/windows/{window_id}/recordings",
                                     params={"started_at": started_at.isoformat()})
        except ArchiveRejectedError as exc:
            if exc.status == 404:
                return None
            raise
        for data in response.json():
            if datetime.fromisoformat(data["started_at"]) == started_at:
                return OpenedRecording(id=data["id"], chain_head=data["genesis"])
        return None

    def put_segment(self, *, recording_id: str, seq: int, path: Path, sha256: str,
                    prev_hash: str, started_at: datetime, ended_at: datetime,
                    partial: bool) -> SegmentReceipt:
        size = path.stat().st_size
        params = {"sha256": sha256, "prev_hash": prev_hash,
                  "started_at": started_at.isoformat(), "ended_at": ended_at.isoformat(),
                  "partial": "true" if partial else "false"}
        headers = {"Content-Type": "video/mp2t", "Content-Length": str(size)}
        data = self._request("PUT", f"{PREFIX}/recordings/{recording_id}/segments/{seq}",
                             params=params, headers=headers, content=_chunks(path)).json()
        return SegmentReceipt(seq=int(data["seq"]), sha256=data["sha256"],
                              chain_hash=data["chain_hash"], created=bool(data["created"]))

    def report_gap(self, recording_id: str, body: dict[str, Any]) -> str:
        data = self._request("POST", f"{PREFIX}/recordings/{recording_id}/gaps", json=body)
        return str(data.json()["id"])

    def open_session(self, recording_id: str, body: dict[str, Any]) -> str:
        data = self._request("POST", f"{PREFIX}/recordings/{recording_id}/sessions", json=body)
        return str(data.json()["id"])

    def update_session(self, session_id: str, body: dict[str, Any]) -> str:
        data = self._request("PATCH", f"{PREFIX}/sessions/{session_id}", json=body)
        return str(data.json()["id"])

    def add_marker(self, recording_id: str, body: dict[str, Any]) -> str:
        data = self._request("POST", f"{PREFIX}/recordings/{recording_id}/markers", json=body)
        return str(data.json()["id"])

    def close_recording(self, recording_id: str, *, ended_at: datetime) -> None:
        self._request("POST", f"{PREFIX}/recordings/{recording_id}/close",
                      json={"ended_at": ended_at.isoformat()})

    def heartbeat(self, status: dict[str, Any]) -> None:
        self._request("POST", f"{PREFIX}/heartbeat", json={"status": status})

    def get_recording(self, recording_id: str) -> dict[str, Any]:
        data: dict[str, Any] = self._request("GET", f"{PREFIX}/recordings/{recording_id}").json()
        return data


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def _error_of(response: httpx.Response) -> tuple[str, str]:
    try:
        error = response.json().get("error") or {}
        return str(error.get("reason") or "rejected"), str(error.get("message") or "")
    except (ValueError, AttributeError):
        return "rejected", response.text[:300]


def _error_text(response: httpx.Response) -> str:
    return _error_of(response)[1] or response.reason_phrase
