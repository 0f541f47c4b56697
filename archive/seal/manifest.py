"""Canonical JSON manifests of recordings: the exact bytes that seals sign."""

from __future__ import annotations

from datetime import datetime
from importlib import metadata
from typing import Any

from archive.catalog.models import Gap, Marker, Recording, Segment, Session
from archive.evidence.canonical import iso
from archive.evidence.formats import CHAIN_ALGORITHM, CHAIN_GENESIS, MANIFEST_FORMAT


def software_version() -> str:
    try:
        return metadata.version("aidrec")
    except metadata.PackageNotFoundError:
        return "unknown"


def segment_entry(segment: Segment) -> dict[str, Any]:
    return {
        "seq": segment.seq, "sha256": segment.sha256, "size": segment.size,
        "started_at": iso(segment.started_at), "ended_at": iso(segment.ended_at),
        "duration_ms": segment.duration_ms, "partial": segment.partial,
        "prev_hash": segment.prev_hash, "chain_hash": segment.chain_hash,
        "key": segment.object_key, "version_id": segment.version_id,
        "content_type": segment.content_type,
    }


def gap_entry(gap: Gap) -> dict[str, Any]:
    return {"id": gap.id, "started_at": iso(gap.started_at), "ended_at": iso(gap.ended_at),
            "cause": gap.cause.value, "detail": gap.detail, "person": gap.person,
            "reported_by": gap.reported_by}


def session_entry(session: Session, case_number: str | None) -> dict[str, Any]:
    return {"id": session.id, "started_at": iso(session.started_at),
            "ended_at": iso(session.ended_at), "case_number": case_number,
            "stage": session.stage.value if session.stage else None,
            "staff_id": session.staff_id, "attributes": session.attributes,
            "created_by": session.created_by}


def marker_entry(marker: Marker) -> dict[str, Any]:
    return {"id": marker.id, "at": iso(marker.at), "label": marker.label,
            "created_by": marker.created_by}


def build_manifest(
    *, recording: Recording, jurisdiction_path: str, segments: list[Segment], gaps: list[Gap],
    sessions: list[tuple[Session, str | None]], markers: list[Marker], seal_number: int,  # sorted
    previous_manifest_sha256: str | None, sealed_at: datetime,
) -> dict[str, Any]:
    """Everything a verifier needs to know about one recording at one revision."""
    return {
        "format": MANIFEST_FORMAT,
        "software": {"name": "aidrec", "version": software_version()},
        "recording": {
            "id": recording.id, "window_id": recording.window_id,
            "camera_id": recording.camera_id, "device_id": recording.device_id,
            "jurisdiction_path": jurisdiction_path, "origin": recording.origin.value,
            "state": recording.state.value, "started_at": iso(recording.started_at),
            "ended_at": iso(recording.ended_at), "revision": recording.revision,
        },
        "seal": {"number": seal_number, "sealed_at": iso(sealed_at),
                 "previous_manifest_sha256": previous_manifest_sha256},
        "chain": {"algorithm": CHAIN_ALGORITHM, "genesis": CHAIN_GENESIS,
                  "head": recording.chain_head, "segment_count": len(segments)},
        "segments": [segment_entry(s) for s in segments],
        "gaps": [gap_entry(g) for g in gaps],
        "sessions": [session_entry(s, n) for s, n in sessions],
        "markers": [marker_entry(m) for m in markers],
    }
