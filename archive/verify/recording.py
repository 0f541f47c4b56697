"""Verification of stored recordings: hashes, chain, seal signature, timestamp, log inclusion."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session as DBSession

from archive.catalog.contents import RecordingContents, load_contents
from archive.catalog.db import Catalog
from archive.catalog.models import Segment, Session, TreeHead
from archive.evidence.digest import chain_hash, genesis_hash
from archive.evidence.errors import ArchiveError, NotFoundError
from archive.evidence.log_entries import log_entry_bytes
from archive.evidence.report import Report
from archive.seal.manifest import gap_entry, marker_entry, segment_entry, session_entry
from archive.seal.translog import TransparencyLog, leaf_hash_of, verify_inclusion_proof
from archive.store.objects import ObjectStore
from archive.verify.disposed import check_disposed
from archive.verify.documents import SealedDocument


class RecordingVerifier:
    """Re-reads a recording from the store and proves it complete and unchanged."""

    def __init__(self, *, catalog: Catalog, store: ObjectStore, log: TransparencyLog,
                 trust_roots: Sequence[Path], crls: Sequence[Path] = (), workers: int = 4,
                 progress: Callable[[int], None] | None = None) -> None:
        self.catalog = catalog
        self.store = store
        self.log = log
        self.trust_roots = list(trust_roots)
        self.crls = list(crls)
        self.workers = workers
        self.progress = progress

    def verify_session(self, session_id: str) -> Report:
        with self.catalog.read() as db:
            session = db.get(Session, session_id)
            if session is None:
                raise NotFoundError(f"session {session_id} does not exist", reason="no_session")
            recording_id = session.recording_id
        report = self.verify_recording(recording_id)
        report.target = f"session {session_id} (recording {recording_id})"
        return report

    def verify_recording(self, recording_id: str) -> Report:
        report = Report(target=f"recording {recording_id}")
        with self.catalog.read() as db:
            loaded = load_contents(db, recording_id)
            # 1. The chain as the catalog holds it.
            self._check_chain(report, loaded)
            # 2. Every original re-read from its pinned version, except those disposed of
            # under a sealed certificate, which is verified instead.
            self._check_objects(report, check_disposed(self, db, report, loaded.segments))
            # 3-6. The latest seal: current, intact, signed, timestamped, matching the catalog.
            manifest = self._check_seal(report, loaded)
            if manifest is not None:
                self._check_manifest(report, loaded, manifest)
            # 7. The seal is in the transparency log under a signed tree head.
            if loaded.seal is not None and loaded.head is not None:
                seal = loaded.seal
                entry = log_entry_bytes("manifest", recording=seal.recording_id,
                                        seal=seal.number, sha256=seal.manifest_sha256)
                self.check_log(db, report, entry=entry, log_index=seal.log_index,
                               head=loaded.head)
        return report

    def _check_chain(self, report: Report, loaded: RecordingContents) -> None:
        link = genesis_hash(loaded.recording.id)
        broken = False
        for expected_seq, segment in enumerate(loaded.segments):
            subject = f"segment {segment.seq}"
            if segment.seq != expected_seq:
                broken = not report.add("chain", False, f"got segment {segment.seq}, expected "
                                        f"{expected_seq}: a segment is missing or reordered",
                                        subject)
                break
            if segment.prev_hash != link:
                broken = not report.add("chain", False, f"prev_hash {segment.prev_hash[:16]}… "
                                        f"does not link to {link[:16]}…", subject)
                break
            link = chain_hash(link, segment.sha256)
            if segment.chain_hash != link:
                broken = not report.add("chain", False, "chain hash does not recompute", subject)
                break
        if not broken:
            ok = link == loaded.recording.chain_head
            report.add("chain", ok, f"{len(loaded.segments)} segments linked, head {link[:16]}…"
                       if ok else "chain head in the catalog differs from the segments")

    def _check_objects(self, report: Report, segments: list[Segment]) -> None:
        def hash_one(segment: Segment) -> tuple[Segment, str | None, int, str]:
            try:
                digest, size = self.store.hash_object(segment.object_key,
                                                      version_id=segment.version_id)
                return segment, digest, size, ""
            except ArchiveError as exc:
                return segment, None, 0, exc.message

        failures = 0
        total = 0
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            for segment, digest, size, error in pool.map(hash_one, segments):
                total += size
                if self.progress is not None:
                    self.progress(size)
                subject = f"segment {segment.seq} ({segment.object_key})"
                if digest is None:
                    failures += 1
                    report.add("object", False, f"cannot read: {error}", subject)
                elif digest != segment.sha256 or size != segment.size:
                    failures += 1
                    report.add("object", False, f"stored bytes hash to {digest} ({size} B), "
                               f"catalog says {segment.sha256} ({segment.size} B)", subject)
        if failures == 0:
            report.add("objects", True, f"{len(segments)} originals re-read, {total} bytes, "
                       "all hashes match")

    def _check_seal(self, report: Report, loaded: RecordingContents) -> dict[str, Any] | None:
        from archive.signatures.cms import verify_detached

        seal = loaded.seal
        recording = loaded.recording
        if seal is None:
            report.add("seal", False, "recording is awaiting its first seal")
            return None
        subject = f"seal {seal.number}"
        report.add("seal current", seal.revision == recording.revision,
                   "the latest seal covers everything in the catalog" if
                   seal.revision == recording.revision else
                   f"awaiting seal: catalog revision {recording.revision}, sealed "
                   f"{seal.revision}", subject)
        try:
            data = self._read(seal.objects["manifest.json"])
            cms = self._read(seal.objects["manifest.p7s"])
        except (ArchiveError, KeyError) as exc:
            report.add("seal objects", False, f"cannot read seal: {exc}", subject)
            return None
        try:
            result = verify_detached(data, cms, trust_roots=self.trust_roots, crls=self.crls)
        except ArchiveError as exc:
            report.add("signature", False, f"{exc.reason}: {exc.message}", subject)
            return None
        report.add("signature", True, f"signed by {result.signer_subject}", subject)
        report.add("timestamp", True, f"RFC 3161 time {result.timestamp_time.isoformat()} "
                   f"by {result.tsa_subject}", subject)
        manifest: dict[str, Any] = json.loads(data)
        return manifest

    def _read(self, ref: Mapping[str, Any]) -> bytes:
        return self.store.read_verified(ref["key"], version_id=ref["version_id"],
                                        sha256_hex=ref["sha256"])

    def _check_manifest(self, report: Report, loaded: RecordingContents,
                        manifest: dict[str, Any]) -> None:
        subject = f"seal {loaded.seal.number}" if loaded.seal else ""
        sealed_count = manifest["chain"]["segment_count"]
        expected = [segment_entry(s) for s in loaded.segments[:sealed_count]]
        if manifest["segments"] != expected:
            where = _first_difference(manifest["segments"], expected)
            report.add("manifest segments", False, f"sealed segment list differs from the "
                       f"catalog at {where}", subject)
        else:
            report.add("manifest segments", True, f"{sealed_count} segments as sealed", subject)
        if manifest["recording"]["revision"] == loaded.recording.revision:
            parts = {
                "gaps": [gap_entry(g) for g in loaded.gaps],
                "sessions": [session_entry(s, n) for s, n in loaded.sessions],
                "markers": [marker_entry(m) for m in loaded.markers],
            }
            for name, entries in parts.items():
                same = manifest[name] == entries
                report.add(f"manifest {name}", same, f"{len(entries)} {name} as sealed" if same
                           else f"{name} in the catalog differ from the sealed manifest", subject)
            head_ok = manifest["chain"]["head"] == loaded.recording.chain_head
            report.add("manifest chain head", head_ok, "matches" if head_ok else
                       "sealed chain head differs from the catalog", subject)

    def verify_document(self, report: Report, document: SealedDocument, *,
                        subject: str = "") -> dict[str, Any] | None:
        """Check a sealed document into `report`: 1. its signature and RFC 3161 timestamp;
        2. its bytes are the ones the catalog and its log entry name; 3. the entry is in the
        transparency log under a signed tree head.

        Returns the content of `<name>.json` (read against the catalog's pinned hash) for the
        caller's own checks, or None when it cannot be read as a JSON object (a check says why).
        """
        from archive.signatures.cms import verify_detached

        try:
            data = self._read(document.objects[f"{document.name}.json"])
            cms = self._read(document.objects[f"{document.name}.p7s"])
        except (ArchiveError, KeyError) as exc:
            report.add("signature", False, f"{getattr(exc, 'reason', 'missing')}: {exc}",
                       subject)
            return None
        try:
            result = verify_detached(data, cms, trust_roots=self.trust_roots, crls=self.crls)
        except ArchiveError as exc:
            report.add("signature", False, f"{exc.reason}: {exc}", subject)
            return _content(report, document, data, subject)
        report.add("signature", True, f"signed by {result.signer_subject}, timestamped "
                   f"{result.timestamp_time.isoformat()}", subject)
        digest = hashlib.sha256(data).hexdigest()
        report.add("document hash", digest == document.sha256,
                   "the catalog and the log entry name these bytes" if digest == document.sha256
                   else f"the stored bytes hash to {digest}, the catalog and the log entry name "
                   f"{document.sha256}", subject)
        with self.catalog.read() as db:
            head = db.get(TreeHead, document.tree_head_id)
            if head is None:
                report.add("log inclusion", False,
                           f"tree head {document.tree_head_id} is missing", subject)
            else:
                self.check_log(db, report, entry=document.log_entry,
                               log_index=document.log_index, head=head)
        return _content(report, document, data, subject)

    def check_log(self, db: DBSession, report: Report, *, entry: bytes, log_index: int,
                  head: TreeHead) -> None:
        """Step 7: the entry is leaf `log_index` under a signed, timestamped tree head."""
        from archive.signatures.cms import verify_detached

        subject = f"log leaf {log_index}"
        try:
            statement = self._read(head.objects["head.json"])
            cms = self._read(head.objects["head.p7s"])
            verify_detached(statement, cms, trust_roots=self.trust_roots, crls=self.crls)
        except (ArchiveError, KeyError) as exc:
            report.add("tree head", False, f"signed tree head {head.size} invalid: {exc}",
                       subject)
            return
        signed = json.loads(statement)
        try:
            stored_leaf = self.log.leaf_hash(db, log_index)
            proof = self.log.prove_inclusion(db, log_index, signed["size"])
            if stored_leaf != leaf_hash_of(entry):
                raise ArchiveError("log leaf does not hold this entry", reason="leaf_mismatch")
            verify_inclusion_proof(entry=entry, root_hex=signed["root"], proof=proof,
                                   index=log_index, size=signed["size"])
        except (ArchiveError, ValueError) as exc:
            report.add("log inclusion", False, str(exc), subject)
            return
        report.add("log inclusion", True, f"entry is leaf {log_index} of the signed "
                   f"tree of {signed['size']} (root {signed['root'][:16]}…)", subject)


def _content(report: Report, document: SealedDocument, data: bytes,
             subject: str) -> dict[str, Any] | None:
    try:
        content = json.loads(data)
    except ValueError as exc:
        report.add("document", False, f"{document.name}.json is not JSON: {exc}", subject)
        return None
    if not isinstance(content, dict):
        report.add("document", False, f"{document.name}.json is not a JSON object", subject)
        return None
    return content


def _first_difference(sealed: list[dict[str, Any]], catalog: list[dict[str, Any]]) -> str:
    for index, (a, b) in enumerate(zip(sealed, catalog, strict=False)):
        if a != b:
            fields = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            return f"segment {a.get('seq', index)} ({', '.join(fields)})"
    return f"count: sealed {len(sealed)}, catalog {len(catalog)}"
