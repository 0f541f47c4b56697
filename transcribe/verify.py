"""Verification of a sealed transcript: seal, log, files, sources, version chain, catalog."""

from __future__ import annotations

from sqlalchemy import select

from archive.catalog.models import Segment
from archive.evidence.errors import ArchiveError
from archive.evidence.report import Report
from archive.services import Archive
from archive.verify.documents import SealedDocument
from transcribe import service
from transcribe.document import lines_from_document


def verify_transcript(archive: Archive, recording_id: str, *,
                      number: int | None = None) -> Report:
    """Check one version (the current one by default); the report says what failed.

    Steps: 1. signature, timestamp and log inclusion of transcript.json; 2. the bytes are the
    ones the catalog names; 3. the WebVTT is the one the document names; 4. the source
    segments are the recording's stored segments; 5. the version chain links to its parent;
    6. the current version is what search shows.
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
    report = Report(target=f"transcript {ref}")
    # 1-2.
    document = archive.verifier().verify_document(report, SealedDocument(
        kind="transcript", ref=ref, name="transcript", sha256=version.document_sha256,
        objects=version.objects, log_index=version.log_index,
        tree_head_id=version.tree_head_id))
    if document is None:
        return report  # a failed check says why
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
