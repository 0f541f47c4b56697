"""Verification of a sealed transcript: seal, log, files, sources, version chain, catalog."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select

from archive.catalog.models import Segment
from archive.evidence.errors import ArchiveError
from archive.evidence.log_entries import document_log_entry
from archive.evidence.report import Report
from archive.services import Archive
from transcribe import service
from transcribe.document import lines_from_document


def verify_transcript(archive: Archive, recording_id: str, *,
                      number: int | None = None) -> Report:
    """Check one version (the current one by default); the report says what failed.

    Steps: 1. signature, timestamp and log inclusion of transcript.json; 2. the bytes are the
    catalog's; 3. the WebVTT is the one the document names; 4. the source segments are the
    recording's stored segments; 5. the version chain links to its parent; 6. the current
    version is what search shows.
    """
    with archive.catalog.read() as db:
        version = service.get_version_or_raise(db, recording_id=recording_id, number=number)
        transcript = service.get_transcript_or_raise(db, recording_id=recording_id)
        parent = (service.get_version_or_raise(db, recording_id=recording_id,
                                               number=version.parent_number)
                  if version.parent_number else None)
        segments = {seq: sha for seq, sha in db.execute(
            select(Segment.seq, Segment.sha256).where(Segment.recording_id == recording_id))}
        visible = service.visible_lines(db, recording_id=recording_id)
    ref = f"{recording_id}/transcript/{version.number}"
    # 1.
    report = archive.verifier().verify_document(
        name="transcript", objects=version.objects,
        entry=document_log_entry("transcript", ref, version.document_sha256),
        log_index=version.log_index, tree_head_id=version.tree_head_id)
    report.target = f"transcript {ref}"
    try:
        entry = version.objects["transcript.json"]
        data = archive.store.read_verified(entry["key"], version_id=entry["version_id"],
                                           sha256_hex=entry["sha256"])
        document = json.loads(data)
    except (ArchiveError, KeyError, ValueError) as exc:
        report.add("document", False, f"cannot read transcript.json: {exc}")
        return report
    # 2.
    sha = hashlib.sha256(data).hexdigest()
    report.add("catalog", sha == version.document_sha256,
               f"document sha256 {sha}" + ("" if sha == version.document_sha256 else
                                           f", expected {version.document_sha256}"))
    # 3.
    named = document["files"]["transcript.vtt"]
    vtt = version.objects.get("transcript.vtt", {})
    try:
        archive.store.read_verified(vtt["key"], version_id=vtt["version_id"],
                                    sha256_hex=named["sha256"])
        report.add("webvtt", True, f"transcript.vtt matches sha256 {named['sha256'][:16]}…")
    except (ArchiveError, KeyError) as exc:
        report.add("webvtt", False, f"transcript.vtt does not match the document: {exc}")
    # 4.
    wrong = [s["seq"] for s in document["source"]["segments"]
             if segments.get(s["seq"]) != s["sha256"]]
    missing = sorted(set(segments) - {s["seq"] for s in document["source"]["segments"]})
    report.add("sources", not wrong and not missing,
               f"{len(segments)} segments named by hash" if not wrong and not missing else
               f"segments {wrong} differ, segments {missing} not covered")
    # 5.
    expected_parent = parent.document_sha256 if parent else None
    got_parent = document["version"]["parent_sha256"]
    report.add("version chain", got_parent == expected_parent,
               f"version {version.number} follows "
               + (f"version {parent.number}" if parent else "nothing")
               + ("" if got_parent == expected_parent else
                  f"; got parent {got_parent}, expected {expected_parent}"))
    # 6.
    if version.number == transcript.current_version:
        keys = [(line.offset_ms, line.end_offset_ms, line.text) for line in visible]
        sealed = [(line.offset_ms, line.end_offset_ms, line.text)
                  for line in lines_from_document(document)]
        report.add("search index", keys == sealed,
                   f"{len(sealed)} lines searchable as sealed" if keys == sealed else
                   f"{len(keys)} visible lines differ from {len(sealed)} sealed lines")
    return report
