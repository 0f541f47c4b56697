"""Sealing the access log's head daily, and proving the whole log intact."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from archive.audit.log import (
    FORMAT,
    GENESIS,
    AccessLogHead,
    chain_entry,
    entry_payload,
    head,
    iter_entries,
)
from archive.evidence.canonical import canonical_json, iso
from archive.evidence.report import Report
from archive.verify.documents import SealedDocument
from archive.verify.recording import RecordingVerifier

if TYPE_CHECKING:
    from archive.services import Archive

logger = logging.getLogger(__name__)

HEAD_FORMAT = "aidrec-access-log-head/1"
HEAD_KIND = "access_log"
# The log outlives the recordings it speaks of: its heads are kept locked for ten years.
HEAD_RETENTION_DAYS = 3650


def seal_head(archive: Archive, *, now: datetime) -> AccessLogHead | None:
    """Sign, timestamp and log the current head; None when it is already sealed.

    Raises:
        SigningUnavailableError: signer or TSA down; nothing is recorded, retry later.
    """
    with archive.catalog.read() as db:
        size, last = head(db)
        previous = db.scalar(select(AccessLogHead).order_by(AccessLogHead.size.desc())
                             .limit(1))
        if previous is not None and previous.size == size:
            return None
        before = ({"size": previous.size, "head": previous.head_hash,
                   "document_sha256": previous.document_sha256} if previous else None)
    document = canonical_json({"format": HEAD_FORMAT, "log": FORMAT, "size": size,
                               "head": last, "previous": before, "sealed_at": iso(now)})
    retain = now + timedelta(days=max(HEAD_RETENTION_DAYS,
                                      archive.settings.archive.default_retention_days))
    sealed = archive.sealer.seal_document(
        kind=HEAD_KIND, ref=f"access-log/{size}", prefix=f"access-log/heads/{size:012d}",
        name="head", data=document, retain_until=retain, now=now)
    with archive.catalog.write() as db:
        row = AccessLogHead(size=size, head_hash=last, document_sha256=sealed.sha256,
                            objects=sealed.objects, log_index=sealed.log_index,
                            tree_head_id=sealed.tree_head_id, timestamp_at=sealed.timestamp_at,
                            sealed_at=now)
        db.add(row)
        db.flush()
    logger.info("access log head sealed", extra={"size": size, "log_index": sealed.log_index})
    return row


def verify_log(archive: Archive) -> Report:
    """Recompute the whole chain and check every sealed head against it.

    Steps: 1. entries are numbered 1..n without holes; 2. each links to the one before and
    hashes to what it stores; 3. each sealed head names an entry that exists and whose hash
    it signed; 4. each head document is signed, timestamped and in the transparency log.
    """
    report = Report(target="access log")
    hashes: dict[int, str] = {}
    with archive.catalog.read() as db:
        heads = list(db.scalars(select(AccessLogHead).order_by(AccessLogHead.size)))
        wanted = {h.size for h in heads}
        expected_seq, prev, broken = 1, GENESIS, False
        for entry in iter_entries(db):
            # 1. Numbering.
            if entry.seq != expected_seq:
                report.add("numbering", False, f"got entry {entry.seq}, expected "
                           f"{expected_seq}: entries are missing", f"entry {entry.seq}")
                broken = True
                break
            # 2. Links and hashes.
            if entry.prev_hash != prev:
                report.add("chain", False, f"prev_hash {entry.prev_hash[:16]}… does not link "
                           f"to {prev[:16]}…", f"entry {entry.seq}")
                broken = True
                break
            recomputed = chain_entry(prev, entry_payload(entry.seq, entry))
            if recomputed != entry.entry_hash:
                report.add("chain", False, "entry does not hash to its stored hash: it was "
                           "changed after it was written", f"entry {entry.seq}")
                broken = True
                break
            if entry.seq in wanted:
                hashes[entry.seq] = entry.entry_hash
            prev, expected_seq = entry.entry_hash, expected_seq + 1
        size = expected_seq - 1
        if not broken:
            report.add("chain", True, f"{size} entries linked, head {prev[:16]}…")
    # 3-4. Heads.
    verifier = archive.verifier()
    for sealed in heads:
        subject = f"head {sealed.size}"
        if sealed.size == 0:
            pass
        elif broken and sealed.size not in hashes:
            report.add("head", False, "cannot check: the chain is broken before it", subject)
            continue
        elif sealed.size not in hashes:
            report.add("head", False, f"sealed head names entry {sealed.size}, the log has "
                       f"{size}: entries were removed", subject)
            continue
        elif hashes[sealed.size] != sealed.head_hash:
            report.add("head", False, "the entry's hash differs from the sealed head",
                       subject)
            continue
        document = _check_document(verifier, report, sealed, subject)
        if document is not None:
            same = (document.get("size") == sealed.size
                    and document.get("head") == sealed.head_hash)
            report.add("head", same, "signed document names this entry and hash" if same else
                       "signed document differs from the catalog's head row", subject)
    if not heads:
        report.add("heads", True, "no head sealed yet")
    elif not broken:
        unsealed = size - heads[-1].size
        report.add("heads", True, f"{len(heads)} sealed heads; {unsealed} entries after the "
                   "latest (sealed at the next daily seal)")
    return report


def _check_document(verifier: RecordingVerifier, report: Report, sealed: AccessLogHead,
                    subject: str) -> dict[str, object] | None:
    inner = Report(target=subject)
    document = verifier.verify_document(inner, SealedDocument(
        kind=HEAD_KIND, ref=f"access-log/{sealed.size}", name="head",
        sha256=sealed.document_sha256, objects=sealed.objects, log_index=sealed.log_index,
        tree_head_id=sealed.tree_head_id), subject=subject)
    report.checks.extend(inner.checks)
    return document if inner.ok else None
