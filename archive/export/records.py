"""Export records: every export is sealed into the transparency log before its package is
published, and its completion too; together they are the export history packages carry.

Until the access log (views, downloads) exists, these sealed records are the history of access
that a package reports; an `aidrec.access_log` source adds its events beside them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as DBSession

from archive.catalog.models import LogLeaf
from archive.evidence.canonical import canonical_json, iso
from archive.evidence.errors import ArchiveError
from archive.export.offline.layout import EXPORT_RECORD_FORMAT, ExportRequest
from archive.export.parts import AccessEvent
from archive.seal.manifest import software_version
from archive.seal.sealer import DocumentSeal
from archive.services import Archive
from archive.store.objects import ObjectStore

logger = logging.getLogger(__name__)

EXPORT_KIND = "export"
COMPLETED_KIND = "export_completed"
RECORD_NAME = "export"
COMPLETED_NAME = "completed"
LOG_SOURCE = "aidrec-log"


def export_ref(export_id: str) -> str:
    return f"export/{export_id}"


def export_prefix(export_id: str) -> str:
    return f"exports/{export_id}"


def build_export_record(*, export_id: str, request: ExportRequest, created_at: datetime,
                        segments: dict[str, list[int]], sessions: Sequence[str],
                        documents: Sequence[str]) -> dict[str, Any]:
    """The record sealed with every package: who, when, why and exactly what."""
    return {
        "format": EXPORT_RECORD_FORMAT,
        "id": export_id,
        "created_at": iso(created_at),
        "actor": request.actor,
        "actor_name": request.actor_name,
        "actor_role": request.actor_role,
        "reason": request.reason.strip(),
        "selection": request.selection.as_dict(),
        "recordings": sorted(segments),
        "segments": {rid: sorted(seqs) for rid, seqs in sorted(segments.items())},
        "sessions": sorted(sessions),
        "documents": sorted(documents),
        "software": {"name": "aidrec", "version": software_version()},
    }


def seal_export_record(archive: Archive, record: dict[str, Any], *, retain_until: datetime,
                       now: datetime) -> tuple[bytes, DocumentSeal]:
    """Sign, timestamp, store and log the record; returns its bytes and where it lies.

    Raises:
        SigningUnavailableError: the signer or TSA is down: nothing is exported then.
    """
    data = canonical_json(record)
    seal = archive.sealer.seal_document(
        kind=EXPORT_KIND, ref=export_ref(record["id"]), prefix=export_prefix(record["id"]),
        name=RECORD_NAME, data=data, retain_until=retain_until, now=now)
    return data, seal


def seal_completion(archive: Archive, *, export_id: str, tagmanifest_sha256: str,
                    package_bytes: int, retain_until: datetime, now: datetime) -> DocumentSeal:
    """Log that the package was handed over, and which bag (its signed tag manifest) it was."""
    data = canonical_json({
        "format": f"{EXPORT_RECORD_FORMAT}/completed", "id": export_id,
        "completed_at": iso(now), "tagmanifest_sha256": tagmanifest_sha256,
        "package_bytes": package_bytes})
    return archive.sealer.seal_document(
        kind=COMPLETED_KIND, ref=f"{export_ref(export_id)}/completed",
        prefix=export_prefix(export_id), name=COMPLETED_NAME, data=data,
        retain_until=retain_until, now=now)


def record_retention(retain_untils: Sequence[datetime], *, now: datetime,
                     default_days: int) -> datetime:
    """Export records are kept at least as long as what they exported."""
    return max([now + timedelta(days=default_days), *retain_untils])


def export_history(db: DBSession, store: ObjectStore, *,
                   recording_ids: Sequence[str]) -> list[AccessEvent]:
    """Earlier exports (sealed records in the log) that touched any of these recordings.

    Reads each logged export record back from the store, verified against its log entry.
    """
    wanted = set(recording_ids)
    completed: dict[str, dict[str, Any]] = {}
    records: list[tuple[int, dict[str, Any]]] = []
    rows = db.execute(select(LogLeaf.index, LogLeaf.kind, LogLeaf.entry)
                      .where(LogLeaf.kind.in_([EXPORT_KIND, COMPLETED_KIND]))
                      .order_by(LogLeaf.index))
    for index, kind, entry in rows:
        logged = json.loads(bytes(entry))
        ref = str(logged.get("ref", ""))
        export_id = ref.split("/")[1] if ref.count("/") >= 1 else ""
        name = RECORD_NAME if kind == EXPORT_KIND else COMPLETED_NAME
        document = _read_logged(store, f"{export_prefix(export_id)}/{name}.json",
                                str(logged.get("sha256", "")))
        if document is None:
            continue
        if kind == COMPLETED_KIND:
            completed[export_id] = {**document, "log_index": index}
        else:
            records.append((index, document))
    events = []
    for index, record in records:
        touched = wanted.intersection(record.get("recordings", []))
        if not touched:
            continue
        done = completed.get(str(record["id"]))
        events.append(AccessEvent(
            at=datetime.fromisoformat(str(record["created_at"]).replace("Z", "+00:00")),
            actor=str(record["actor"]), action=EXPORT_KIND,
            target=", ".join(f"recording {r}" for r in sorted(touched)),
            reason=str(record["reason"]), source=LOG_SOURCE,
            detail={"export_id": record["id"], "log_index": index,
                    "selection": record.get("selection"),
                    "completed_at": done.get("completed_at") if done else None,
                    "tagmanifest_sha256": done.get("tagmanifest_sha256") if done else None}))
    return events


def _read_logged(store: ObjectStore, key: str, sha256: str) -> dict[str, Any] | None:
    try:
        versions = [v for v in store.list_versions(key)
                    if v.key == key and not v.is_delete_marker]
        for version in versions:
            try:
                data = store.read_verified(key, version_id=version.version_id,
                                           sha256_hex=sha256)
            except ArchiveError:
                continue
            document: dict[str, Any] = json.loads(data)
            return document
    except (ArchiveError, ValueError) as exc:
        logger.warning("export_record_unreadable", extra={"key": key, "error": str(exc)})
        return None
    logger.warning("export_record_missing", extra={"key": key})
    return None
