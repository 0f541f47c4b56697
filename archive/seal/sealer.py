"""Seals: sign and timestamp manifests, store them under lock, log them, sign tree heads."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session as DBSession

from archive.catalog.contents import load_contents
from archive.catalog.db import Catalog
from archive.catalog.models import Jurisdiction, LogLeaf, Recording, Seal, Segment, TreeHead, Window
from archive.evidence.canonical import canonical_json, iso
from archive.evidence.errors import NotFoundError, SigningUnavailableError
from archive.evidence.log_entries import document_log_entry, log_entry_bytes
from archive.evidence.vocabulary import RecordingState, SealState
from archive.seal.manifest import build_manifest
from archive.seal.translog import LogEntry, TransparencyLog
from archive.store.objects import ObjectStore

logger = logging.getLogger(__name__)


class Signer(Protocol):
    """Makes a detached, timestamped CMS signature (DER) over bytes."""

    def sign(self, data: bytes) -> bytes: ...


class SignatureChecker(Protocol):
    """Verifies what the signer made; returns the timestamp time."""

    def __call__(self, data: bytes, cms_der: bytes) -> datetime: ...


def _FOREVER() -> datetime:  # noqa: N802 - reads as the constant it stands for
    """Tree heads and trust snapshots outlive every recording: a century of lock."""
    return datetime.now(UTC) + timedelta(days=36500)


@dataclass(frozen=True)
class SealMaterial:
    """Trust material stored beside every signature, for offline verification."""

    chain_pem: bytes
    crls: Mapping[str, bytes]  # file name -> DER CRL snapshot


@dataclass(frozen=True)
class SealResult:
    recording_id: str
    number: int
    manifest_sha256: str
    log_index: int
    tree_size: int
    timestamp_at: datetime


@dataclass(frozen=True)
class DocumentSeal:
    """Where a sealed document (transcript, certificate, log head) and its proofs are kept."""

    kind: str
    ref: str
    sha256: str
    objects: dict[str, Any]  # file name -> {"key", "version_id", "sha256", "size"}
    log_index: int
    tree_head_id: int
    tree_size: int
    timestamp_at: datetime

    @property
    def log_entry(self) -> bytes:
        return document_log_entry(self.kind, self.ref, self.sha256)


class Sealer:
    """Seals recordings; idempotent: a recording whose content is already sealed is left alone."""

    def __init__(self, *, catalog: Catalog, store: ObjectStore, signer: Signer,
                 check: SignatureChecker, material: SealMaterial, log: TransparencyLog,
                 retention_days: int) -> None:
        self.catalog = catalog
        self.store = store
        self.signer = signer
        self.check = check
        self.material = material
        self.log = log
        self.retention_days = retention_days
        self._lock = threading.Lock()
        self._trust: dict[str, Any] | None = None
        self._checked_once = False

    def seal_recording(self, recording_id: str, *, now: datetime) -> SealResult | None:
        """Seal the recording's current revision, or return None if it is already sealed.

        Raises:
            SigningUnavailableError: signer or TSA down; the recording stays awaiting seal.
        """
        with self.catalog.read() as db:
            snapshot = self._snapshot(db, recording_id, now)
        if snapshot is None:
            return None
        manifest, recording_revision, retain_until = snapshot
        data = canonical_json(manifest)
        try:
            cms = self.signer.sign(data)
        except SigningUnavailableError:
            self._mark_awaiting(recording_id)
            raise
        timestamp_at = self._timestamp_of(data, cms)
        number = manifest["seal"]["number"]
        prefix = f"recordings/{recording_id}/seals/{number:06d}"
        objects = self._store_signed(prefix, "manifest", data, cms, retain_until,
                                     "application/json")
        with self.catalog.write() as db:
            self.catalog.lock_log(db)
            try:
                return self._log_and_record(db, manifest, data, objects, recording_revision,
                                            timestamp_at, now)
            except BaseException:
                self.log.invalidate()
                raise

    def seal_document(self, *, kind: str, ref: str, prefix: str, name: str, data: bytes,
                      retain_until: datetime, now: datetime,
                      content_type: str = "application/json") -> DocumentSeal:
        """Sign and timestamp derived evidence, store it under lock at `prefix`, log it.

        Used for transcripts, disposal certificates and access-log heads: `data` is stored
        as `<name>.json` beside `<name>.p7s`, `<name>.tsr`, the chain and CRLs.

        Raises:
            SigningUnavailableError: signer or TSA down; nothing is logged, retry later.
        """
        cms = self.signer.sign(data)
        timestamp_at = self._timestamp_of(data, cms)
        objects = self._store_signed(prefix, name, data, cms, retain_until, content_type)
        digest = hashlib.sha256(data).hexdigest()
        with self.catalog.write() as db:
            self.catalog.lock_log(db)
            try:
                _, size = self.log.append(db, [LogEntry(kind, ref, document_log_entry(
                    kind, ref, digest))])
                head = self._sign_tree_head(db, size, now)
            except BaseException:
                self.log.invalidate()
                raise
            return DocumentSeal(kind=kind, ref=ref, sha256=digest, objects=objects,
                                log_index=size, tree_head_id=head.id, tree_size=size,
                                timestamp_at=timestamp_at)

    def _snapshot(self, db: DBSession, recording_id: str,
                  now: datetime) -> tuple[dict[str, Any], int, datetime] | None:
        recording = db.get(Recording, recording_id)
        if recording is None:
            raise NotFoundError(f"recording {recording_id} does not exist", reason="no_recording")
        if recording.revision == recording.sealed_revision and recording.last_sealed_at:
            return None
        window = db.get(Window, recording.window_id)
        assert window is not None
        jurisdiction = db.get(Jurisdiction, window.jurisdiction_id)
        assert jurisdiction is not None
        contents = load_contents(db, recording_id)
        previous = contents.seal
        manifest = build_manifest(
            recording=recording, jurisdiction_path=jurisdiction.path,
            segments=contents.segments, gaps=contents.gaps, sessions=contents.sessions,
            markers=contents.markers,
            seal_number=(previous.number + 1) if previous else 1,
            previous_manifest_sha256=previous.manifest_sha256 if previous else None,
            sealed_at=now,
        )
        retain_until = max(recording.retain_until,
                           now + timedelta(days=self.retention_days))
        return manifest, recording.revision, retain_until

    def _timestamp_of(self, data: bytes, cms: bytes) -> datetime:
        """The RFC 3161 time of a fresh signature.

        The first signature of each process is fully verified against the trust roots, so a
        misconfigured signer or TSA fails loudly before anything is stored; later ones only
        have their token read (the verifier checks every seal again when asked).
        """
        with self._lock:
            if not self._checked_once:
                moment = self.check(data, cms)
                self._checked_once = True
                return moment
        from archive.signatures.cms import timestamp_time

        return timestamp_time(cms)

    def _store_signed(self, prefix: str, name: str, data: bytes, cms: bytes,
                      retain_until: datetime, content_type: str) -> dict[str, Any]:
        from archive.signatures.cms import timestamp_token_der

        files: dict[str, tuple[bytes, str]] = {
            f"{name}.json": (data, content_type),
            f"{name}.p7s": (cms, "application/pkcs7-signature"),
            f"{name}.tsr": (timestamp_token_der(cms), "application/timestamp-reply"),
        }
        with ThreadPoolExecutor(max_workers=len(files)) as pool:
            futures = {name: pool.submit(self._put, f"{prefix}/{name}", payload, ctype,
                                         retain_until)
                       for name, (payload, ctype) in files.items()}
            refs = {name: future.result() for name, future in futures.items()}
        return {**refs, **self._trust_refs()}

    def _put(self, key: str, payload: bytes, content_type: str,
             retain_until: datetime) -> dict[str, Any]:
        digest = hashlib.sha256(payload).hexdigest()
        stored = self.store.put_locked(key, payload, length=len(payload), sha256_hex=digest,
                                       retain_until=retain_until, content_type=content_type)
        return {"key": stored.key, "version_id": stored.version_id, "sha256": digest,
                "size": len(payload)}

    def _trust_refs(self) -> dict[str, Any]:
        """Chain and CRL snapshots, stored once per content under `trust/` and shared by seals."""
        with self._lock:
            if self._trust is not None:
                return self._trust
            files = {"chain.pem": (self.material.chain_pem, "application/x-pem-file")}
            files.update({n: (c, "application/pkix-crl") for n, c in self.material.crls.items()})
            refs: dict[str, Any] = {}
            for name, (payload, ctype) in files.items():
                digest = hashlib.sha256(payload).hexdigest()
                key = f"trust/{digest}/{name}"
                found = [v for v in self.store.list_versions(key)
                         if v.key == key and not v.is_delete_marker and v.size == len(payload)]
                if found:
                    refs[name] = {"key": key, "version_id": found[0].version_id,
                                  "sha256": digest, "size": len(payload)}
                else:
                    refs[name] = self._put(key, payload, ctype, _FOREVER())
            self._trust = refs
            return refs

    def _log_and_record(self, db: DBSession, manifest: dict[str, Any], data: bytes,
                        objects: dict[str, Any], revision: int, timestamp_at: datetime,
                        now: datetime) -> SealResult:
        recording_id = manifest["recording"]["id"]
        manifest_sha = hashlib.sha256(data).hexdigest()
        entries = self._unlogged_segment_entries(db, recording_id)
        manifest_entry = LogEntry("manifest", f"{recording_id}/seal/{manifest['seal']['number']}",
                                  log_entry_bytes("manifest", recording=recording_id,
                                                  seal=manifest["seal"]["number"],
                                                  sha256=manifest_sha))
        _, size = self.log.append(db, [*entries, manifest_entry])
        head = self._sign_tree_head(db, size, now)
        seal = Seal(
            recording_id=recording_id, number=manifest["seal"]["number"], revision=revision,
            segment_count=manifest["chain"]["segment_count"],
            chain_head=manifest["chain"]["head"], manifest_sha256=manifest_sha,
            objects=objects, timestamp_at=timestamp_at, log_index=size, tree_head_id=head.id,
        )
        db.add(seal)
        recording = db.get(Recording, recording_id)
        assert recording is not None
        recording.sealed_revision = revision
        recording.last_sealed_at = now
        recording.seal_state = (SealState.SEALED if recording.revision == revision
                                else SealState.AWAITING_SEAL)
        db.flush()
        logger.info("recording sealed", extra={"recording_id": recording_id,
                                               "seal": seal.number, "log_size": size})
        return SealResult(recording_id=recording_id, number=seal.number,
                          manifest_sha256=manifest_sha, log_index=size, tree_size=size,
                          timestamp_at=timestamp_at)

    def _unlogged_segment_entries(self, db: DBSession, recording_id: str) -> list[LogEntry]:
        logged = set(db.scalars(select(LogLeaf.ref).where(
            LogLeaf.kind == "segment", LogLeaf.ref.like(f"{recording_id}/%"))))
        entries = []
        for seq, sha in db.execute(select(Segment.seq, Segment.sha256).where(
                Segment.recording_id == recording_id).order_by(Segment.seq)):
            ref = f"{recording_id}/{seq}"
            if ref not in logged:
                entries.append(LogEntry("segment", ref, log_entry_bytes(
                    "segment", recording=recording_id, seq=seq, sha256=sha)))
        return entries

    def _sign_tree_head(self, db: DBSession, size: int, now: datetime) -> TreeHead:
        root = self.log.root(db, size)
        statement = canonical_json({"format": "aidrec-tree-head/1", "log": "aidrec",
                                    "size": size, "root": root, "algorithm": "rfc6962-sha256",
                                    "signed_at": iso(now)})
        cms = self.signer.sign(statement)
        timestamp_at = self._timestamp_of(statement, cms)
        retain_until = _FOREVER()
        objects = self._store_signed(f"log/heads/{size:012d}", "head", statement, cms,
                                     retain_until, "application/json")
        head = TreeHead(size=size, root=root, objects=objects, timestamp_at=timestamp_at)
        db.add(head)
        db.flush()
        return head

    def _mark_awaiting(self, recording_id: str) -> None:
        with self.catalog.write() as db:
            recording = db.get(Recording, recording_id)
            if recording is not None and recording.revision != recording.sealed_revision:
                recording.seal_state = SealState.AWAITING_SEAL


def recordings_due(catalog: Catalog, *, now: datetime, interval_s: int) -> list[str]:
    """Recordings with unsealed content: closed ones at once, running ones every interval."""
    cutoff = now - timedelta(seconds=interval_s)
    with catalog.read() as db:
        rows = db.execute(select(Recording.id, Recording.state, Recording.last_sealed_at,
                                 Recording.created_at)
                          .where(Recording.revision != Recording.sealed_revision))
        due = []
        for rid, state, last, created in rows:
            reference = last or created
            if state is RecordingState.CLOSED or reference <= cutoff:
                due.append(rid)
        return due
