"""Export: select, seal what is pending, record the export, and stream the package to a zip.

The zip is written to a hidden temporary file beside the target and gets its name only when it
is complete and its export is sealed into the log (before) and its completion (after): a
failed or refused export leaves no file behind.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive.access.people import Principal
from archive.evidence.canonical import canonical_json, iso
from archive.evidence.errors import IntegrityError, InvalidInputError
from archive.evidence.merkle import InclusionProof
from archive.export import access as export_access
from archive.export import custody, gather, records
from archive.export.custody_pdf import find_cjk_font, prepare_font, render_report
from archive.export.offline import layout
from archive.export.offline.layout import ExportRequest
from archive.export.parts import (
    AccessEvent,
    AccessLogSource,
    DocumentSource,
    load_access_log_sources,
    load_document_sources,
)
from archive.export.readme import readme_text
from archive.export.select import ExportPlan, Targets, plan_export, resolve_targets
from archive.export.stream import StoredRef, VerifiedChunks, prefetched
from archive.export.zipbag import ZipBagWriter
from archive.seal.sealer import DocumentSeal
from archive.services import Archive
from archive.signatures.pades import PdfSigner
from archive.signatures.timestamps import request_token

logger = logging.getLogger(__name__)

# stage name, bytes done, bytes in all
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ExportResult:
    export_id: str
    path: Path
    size: int
    tagmanifest_sha256: str
    recordings: int
    segments: int
    payload_bytes: int
    recording_ids: tuple[str, ...] = ()
    session_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Prepared:
    found: gather.Gathered
    record: dict[str, Any]
    record_seal: DocumentSeal
    record_proof: InclusionProof
    history: list[AccessEvent]


class PackageBuilder:
    """Builds evidence packages from one archive; sources default to the installed plugins."""

    def __init__(self, archive: Archive, *,
                 documents: Mapping[str, DocumentSource] | None = None,
                 access_logs: Mapping[str, AccessLogSource] | None = None,
                 font_path: Path | None = None, time_zone: str = "Asia/Shanghai",
                 prefetch: int = 3) -> None:
        self.archive = archive
        self.documents = load_document_sources() if documents is None else documents
        self.access_logs = load_access_log_sources() if access_logs is None else access_logs
        self.font_path = font_path
        self.time_zone = time_zone
        self.prefetch = prefetch

    def check(self, request: ExportRequest, principal: Principal | None) -> Targets:
        """Validate a request without exporting: arguments, existence, permission.

        Raises:
            InvalidInputError, NotFoundError, PermissionDeniedError: what is wrong.
        """
        request.validate()
        with self.archive.catalog.read() as db:
            return resolve_targets(db, request.selection, principal)

    def export(self, request: ExportRequest, out: Path, *, principal: Principal | None,
               now: datetime | None = None, export_id: str | None = None,
               progress: Progress | None = None) -> ExportResult:
        """Write the package for `request` to `out` (a new .zip) and record the export.

        Raises:
            InvalidInputError, NotFoundError, PermissionDeniedError: a bad request; no file.
            SigningUnavailableError: the TSA or signer is down; no file.
            IntegrityError: stored evidence does not hash as sealed; no file.
        """
        moment = now or datetime.now(UTC)
        export_id = export_id or uuid.uuid4().hex
        _check_out(out)
        report = progress or _no_progress
        report("selecting", 0, 0)
        targets = self.check(request, principal)
        for recording_id in targets.intervals:  # a seal must cover what is exported
            self.archive.sealer.seal_recording(recording_id, now=moment)
        with self.archive.catalog.read() as db:
            plan = plan_export(db, self.archive.store, targets)
        font_path = find_cjk_font(self.font_path)
        fd, temp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.",
                                         suffix=".partial")
        temp = Path(temp_name)
        # Proofs, documents, the sealed export record and the history are gathered while the
        # media stream; the record is sealed and logged before the package can be published.
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="export-side") as side:
            prepared = side.submit(self._prepare, request, plan, export_id, moment)
            font = side.submit(prepare_font, font_path)
            try:
                with os.fdopen(fd, "w+b") as handle:
                    tagmanifest = self._write(
                        handle, plan=plan, prepared=prepared, font=font, request=request,
                        export_id=export_id, moment=moment, progress=report)
                    handle.flush()
                    os.fsync(handle.fileno())
                size = temp.stat().st_size
                digest = hashlib.sha256(tagmanifest).hexdigest()
                records.seal_completion(
                    self.archive, export_id=export_id, tagmanifest_sha256=digest,
                    package_bytes=size, retain_until=self._retention(plan, moment),
                    now=datetime.now(UTC))
                _publish(temp, out)
            finally:
                temp.unlink(missing_ok=True)
        report("done", plan.total_bytes, plan.total_bytes)
        logger.info("package_exported", extra={"export_id": export_id, "bytes": size,
                                               "recordings": len(plan.recordings)})
        return ExportResult(export_id=export_id, path=out, size=size,
                            tagmanifest_sha256=digest, recordings=len(plan.recordings),
                            segments=sum(len(r.segments) for r in plan.recordings),
                            payload_bytes=plan.total_bytes,
                            recording_ids=tuple(r.recording_id for r in plan.recordings),
                            session_ids=tuple(plan.session_ids))

    def _prepare(self, request: ExportRequest, plan: ExportPlan, export_id: str,
                 moment: datetime) -> _Prepared:
        with self.archive.catalog.read() as db:
            found = gather.gather(db, self.archive.log, plan, sources=self.documents)
        record, record_seal = self._record(request, plan, found, export_id, moment)
        recording_ids = [r.recording_id for r in plan.recordings]
        with self.archive.catalog.read() as db:
            record_head = gather.head_ref(db, record_seal.tree_head_id)
            found.heads.setdefault(record_head.id, record_head)
            record_proof = gather.proof_for(db, self.archive.log, entry=record_seal.log_entry,
                                            log_index=record_seal.log_index, head=record_head)
            history = records.export_history(db, self.archive.store,
                                             recording_ids=recording_ids)
            history += export_access.access_events(db, recording_ids=recording_ids)
            history += gather.access_events(db, recording_ids=recording_ids,
                                            sources=self.access_logs)
        history.sort(key=lambda e: e.at)
        return _Prepared(found=found, record=record, record_seal=record_seal,
                         record_proof=record_proof, history=history)

    def _record(self, request: ExportRequest, plan: ExportPlan, found: gather.Gathered,
                export_id: str, moment: datetime) -> tuple[dict[str, Any], DocumentSeal]:
        documents = [p.document.ref for docs in found.documents.values() for p in docs]
        record = records.build_export_record(
            export_id=export_id, request=request, created_at=moment,
            segments={r.recording_id: [int(s["seq"]) for s in r.segments]
                      for r in plan.recordings},
            sessions=plan.session_ids, documents=documents)
        _, seal = records.seal_export_record(self.archive, record,
                                             retain_until=self._retention(plan, moment),
                                             now=moment)
        return record, seal

    def _retention(self, plan: ExportPlan, moment: datetime) -> datetime:
        return records.record_retention(
            [r.retain_until for r in plan.recordings], now=moment,
            default_days=self.archive.settings.archive.default_retention_days)

    def _write(self, handle: Any, *, plan: ExportPlan, prepared: Future[_Prepared],
               font: Future[Path], request: ExportRequest, export_id: str, moment: datetime,
               progress: Progress) -> bytes:
        total = plan.total_bytes
        done = [0]

        def on_bytes(count: int) -> None:
            done[0] += count
            progress("segments", done[0], total)

        bag_name = f"aidrec-export-{export_id}"
        writer = ZipBagWriter(handle, bag_name=bag_name, moment=moment, on_bytes=on_bytes)
        # The media, streamed: each segment hashed on the way and checked against its seal.
        refs = [(rec, segment, StoredRef(segment["key"], segment["version_id"],
                                         segment["sha256"], int(segment["size"])))
                for rec in plan.recordings for segment in rec.segments]
        by_key = {id(ref): (rec, segment) for rec, segment, ref in refs}
        stream = closing(prefetched(self.archive.store, [r for _, _, r in refs],
                                    depth=self.prefetch))
        with stream as segments:
            self._stream_segments(writer, segments, by_key, prepared)
        # Then what was gathered meanwhile: trust material, seals, proofs, records, index.
        ready = prepared.result()
        found, record, record_seal = ready.found, ready.record, ready.record_seal
        record_proof, history = ready.record_proof, ready.history
        files = _Files(self.archive, writer)
        settings = self.archive.settings
        # Trust material: the archive's roots (a copy: verifiers bring their own) and CRLs.
        roots = b"".join(p.read_bytes() for p in self.archive.trust_roots)
        writer.add_payload(layout.TRUST_ROOTS, roots)
        crl_paths = [writer.add_payload(f"{layout.TRUST_CRLS}/{layout.safe_name(p.name)}",
                                        p.read_bytes()).path for p in settings.signing.crls]
        heads = {head.id: files.signed(head.dir, "head", head.objects)
                 for head in found.heads.values()}
        index_recordings = []
        for rec in plan.recordings:
            base = layout.recording_dir(rec.recording_id)
            seal_files = files.signed(f"{base}/seal", "manifest", rec.seal.objects,
                                      data=rec.manifest_bytes)
            writer.add_payload(f"{base}/gaps.json", canonical_json(
                {"recording": rec.recording_id, "gaps": rec.manifest["gaps"]}))
            documents = [self._document(files, placed) for placed in
                         found.documents.get(rec.recording_id, [])]
            index_recordings.append(_recording_index(rec, seal_files, heads, found, documents))
        for path, proof in found.proofs.items():
            writer.add_payload(path, canonical_json(proof.as_json()))
        record_files = files.signed(layout.EXPORT_DIR, records.RECORD_NAME,
                                    record_seal.objects)
        writer.add_payload(f"{layout.EXPORT_DIR}/proof.json",
                           canonical_json(record_proof.as_json()))
        writer.add_payload(layout.ACCESS_LOG, canonical_json(_access_log(history, moment)))
        index = _index(request=request, export_id=export_id, moment=moment, plan=plan,
                       recordings=index_recordings, heads=heads, crls=crl_paths,
                       record_files=record_files, record_seal=record_seal,
                       record_head=found.heads[record_seal.tree_head_id])
        writer.add_payload(layout.INDEX, json.dumps(index, ensure_ascii=False, indent=1)
                           .encode())
        progress("report", total, total)
        model = custody.build(plan=plan, found=found, record=record, history=history,
                              files=writer.payload, time_zone=self.time_zone)
        pdf = render_report(model, font_path=font.result())
        writer.add_payload(layout.REPORT, self._pdf_signer().sign(
            pdf, reason=f"证据包 {export_id} 保管链报告", location="aidrec"))
        progress("sealing", total, total)
        readme = readme_text(
            bag_name=bag_name, export_id=export_id, created_at=iso(moment) or "",
            actor=request.actor, reason=request.reason,
            recording_dirs=[layout.recording_dir(r.recording_id) for r in plan.recordings],
            root_fingerprints=_fingerprints(roots))
        tagmanifest = writer.finish(
            bag_info=_bag_info(request, export_id, moment), tag_files={layout.README:
                                                                       readme.encode()},
            sign=self._sign_package)
        writer.close()
        return tagmanifest

    @staticmethod
    def _stream_segments(writer: ZipBagWriter,
                         segments: Iterator[tuple[StoredRef, VerifiedChunks]],
                         by_key: Mapping[int, tuple[Any, dict[str, Any]]],
                         prepared: Future[_Prepared]) -> None:
        for ref, chunks in segments:
            if prepared.done() and prepared.exception() is not None:
                prepared.result()  # fail now (the TSA is down, say), not after the media
            rec, segment = by_key[id(ref)]
            path = layout.segment_path(rec.recording_id, int(segment["seq"]), segment["key"])
            # The reading thread verified SHA-256 against the seal and computed SHA-512.
            entry = writer.add_payload_stream(path, chunks, size_hint=ref.size,
                                              digests=_digests_of(ref, chunks))
            if entry.size != ref.size or chunks.size != ref.size:
                raise IntegrityError(f"segment {path} read back as {entry.size} bytes, "
                                     f"sealed as {ref.size}", reason="size_mismatch")

    def _document(self, files: _Files, placed: gather.PlacedDocument) -> dict[str, Any]:
        document = placed.document
        written = files.signed(placed.dir, document.name, document.objects)
        files.writer.add_payload(f"{placed.dir}/proof.json",
                                 canonical_json(placed.proof.as_json()))
        return {"kind": document.kind, "ref": document.ref, "name": document.name,
                "title": document.title, "dir": placed.dir, "files": written,
                "log_index": document.log_index, "proof": f"{placed.dir}/proof.json",
                "tree_head": placed.head.statement}

    def _sign_package(self, tagmanifest: bytes) -> dict[str, bytes]:
        settings = self.archive.settings
        return {
            layout.PACKAGE_SIGNATURE: self.archive.sealer.signer.sign(tagmanifest),
            layout.PACKAGE_TIMESTAMP: request_token(settings.tsa.url, tagmanifest,
                                                    timeout_s=settings.tsa.timeout_s),
        }

    def _pdf_signer(self) -> PdfSigner:
        settings = self.archive.settings
        signing = settings.signing
        if signing.key is None or signing.cert is None:
            raise InvalidInputError("signing.key and signing.cert must be configured",
                                    reason="no_signer")
        return PdfSigner(key=signing.key, cert=signing.cert, chain=signing.chain,
                         tsa_url=settings.tsa.url, trust_roots=self.archive.trust_roots,
                         crls=signing.crls, timeout_s=settings.tsa.timeout_s)


class _Files:
    """Copies stored signed objects (JSON, CMS, token, chain, CRLs) into the bag."""

    def __init__(self, archive: Archive, writer: ZipBagWriter) -> None:
        self.archive = archive
        self.writer = writer

    def signed(self, directory: str, name: str, objects: Mapping[str, Mapping[str, Any]], *,
               data: bytes | None = None) -> dict[str, str]:
        """Every object of a seal into `directory`; returns file name -> bag path."""
        written = {}
        for file_name in sorted(objects):
            ref = objects[file_name]
            payload = data if data is not None and file_name == f"{name}.json" else \
                self.archive.store.read_verified(ref["key"], version_id=ref["version_id"],
                                                 sha256_hex=ref["sha256"])
            path = f"{directory}/{layout.safe_name(file_name)}"
            if not self.writer.has(path):
                self.writer.add_payload(path, payload)
            written[file_name] = path
        return written


def _recording_index(rec: Any, seal_files: dict[str, str], heads: Mapping[int, dict[str, str]],
                     found: gather.Gathered, documents: list[dict[str, Any]]) -> dict[str, Any]:
    base = layout.recording_dir(rec.recording_id)
    head = found.heads[rec.seal.tree_head_id]
    return {
        "id": rec.recording_id, "window_id": rec.window_id, "window_name": rec.window_name,
        "jurisdiction_path": rec.jurisdiction_path, "dir": base,
        "seal": {"number": rec.seal.number, "files": seal_files,
                 "log_index": rec.seal.log_index, "proof": f"{base}/proofs/manifest.json",
                 "tree_head": head.statement},
        "intervals": [i.as_dict() for i in rec.intervals],
        "segments": [{"seq": int(s["seq"]), "sha256": s["sha256"], "size": int(s["size"]),
                      "started_at": s["started_at"], "ended_at": s["ended_at"],
                      "file": layout.segment_path(rec.recording_id, int(s["seq"]), s["key"]),
                      "proof": gather.segment_proof_path(rec.recording_id, int(s["seq"]))}
                     for s in rec.segments],
        "gaps": f"{base}/gaps.json",
        "documents": documents,
    }


def _index(*, request: ExportRequest, export_id: str, moment: datetime, plan: ExportPlan,
           recordings: list[dict[str, Any]], heads: Mapping[int, dict[str, str]],
           crls: list[str], record_files: dict[str, str], record_seal: DocumentSeal,
           record_head: gather.HeadRef) -> dict[str, Any]:
    return {
        "format": layout.PACKAGE_FORMAT,
        "export": {"id": export_id, "created_at": iso(moment), "actor": request.actor,
                   "actor_name": request.actor_name, "actor_role": request.actor_role,
                   "reason": request.reason.strip(), "selection": request.selection.as_dict(),
                   "record": {"kind": records.EXPORT_KIND, "ref": record_seal.ref,
                              "files": record_files, "log_index": record_seal.log_index,
                              "proof": f"{layout.EXPORT_DIR}/proof.json",
                              "tree_head": record_head.statement}},
        "trust": {"roots": layout.TRUST_ROOTS, "crls": crls},
        "report": layout.REPORT,
        "access_log": layout.ACCESS_LOG,
        "case_numbers": [plan.case_number] if plan.case_number else [],
        "sessions": plan.session_ids,
        "tree_heads": {str(h["head.json"]).split("/")[-2]: h for h in heads.values()},
        "recordings": recordings,
    }


def _access_log(history: Sequence[AccessEvent], moment: datetime) -> dict[str, Any]:
    return {"format": layout.ACCESS_LOG_FORMAT, "generated_at": iso(moment),
            "note": "exports are sealed records in the transparency log; playbacks, "
                    "transcript readings, searches, downloads and verifications come from "
                    "the archive's hash-chained access log (seq and entry_hash name each)",
            "events": [{"at": iso(e.at), "actor": e.actor, "action": e.action,
                        "target": e.target, "reason": e.reason, "source": e.source,
                        "detail": dict(e.detail)} for e in history]}


def _bag_info(request: ExportRequest, export_id: str,
              moment: datetime) -> list[tuple[str, str]]:
    from archive.seal.manifest import software_version

    return [
        ("Source-Organization", "aidrec legal-aid evidence archive"),
        ("External-Identifier", export_id),
        ("External-Description", "Evidence package (证据包): original recordings, seals, "
                                 "proofs and chain-of-custody report"),
        ("Bagging-Date", moment.astimezone(UTC).date().isoformat()),
        ("Bag-Software-Agent", f"aidrec {software_version()}"),
        ("Internal-Sender-Identifier", request.actor),
    ]


def _fingerprints(pem_bytes: bytes) -> list[str]:
    from archive.signatures.certs import pem_blocks

    return [hashlib.sha256(der).hexdigest() for der in pem_blocks(pem_bytes)]


def _publish(temp: Path, out: Path) -> None:
    """Give the finished package its name, never replacing a file that appeared meanwhile."""
    try:
        os.link(temp, out)
    except FileExistsError as exc:
        raise InvalidInputError(f"{out} already exists", reason="out_exists") from exc
    except OSError:  # file systems without hard links (FAT on a USB stick, some shares)
        if out.exists():
            raise InvalidInputError(f"{out} already exists", reason="out_exists") from None
        os.rename(temp, out)


def _digests_of(ref: StoredRef, chunks: VerifiedChunks) -> Callable[[], tuple[str, str]]:
    return lambda: (ref.sha256, chunks.sha512)


def _check_out(out: Path) -> None:
    if out.suffix.lower() != ".zip":
        raise InvalidInputError(f"got output {out.name}, expected a .zip file name",
                                reason="bad_out")
    if not out.parent.is_dir():
        raise InvalidInputError(f"directory {out.parent} does not exist", reason="bad_out")
    if out.exists():
        raise InvalidInputError(f"{out} already exists; choose a new file name",
                                reason="out_exists")
    if not os.access(out.parent, os.W_OK):
        raise InvalidInputError(f"cannot write to {out.parent}", reason="bad_out")


def _no_progress(stage: str, done: int, total: int) -> None:
    return None

