"""Offline verification of an evidence package: the zip and trust roots are all it needs.

`PackageVerifier(trust_roots=...).verify(path)` follows numbered steps and returns a report
naming every check that failed and where; it never contacts aidrec or the network.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from archive.evidence.digest import chain_hash, genesis_hash
from archive.evidence.errors import ArchiveError, InvalidInputError, VerificationError
from archive.evidence.formats import MANIFEST_FORMAT
from archive.evidence.log_entries import document_log_entry, log_entry_bytes
from archive.evidence.merkle import InclusionProof, check_inclusion
from archive.evidence.report import Report
from archive.export.offline import layout
from archive.export.offline.bagcheck import Digests, ZipBag, check_bag, check_container
from archive.export.offline.bagread import open_zip
from archive.signatures.cms import timestamp_time, timestamp_token_der, verify_detached
from archive.signatures.pades import verify_pdf
from archive.signatures.timestamps import verify_token

PACKAGE_ROOT_WARNING = (
    "no trust root given: checked against the root certificate inside the package, which "
    "proves only that the package is self-consistent, not who made it (a forger signs with "
    "his own root); pass --trust-root with the root received separately from the archive")


@dataclass
class PackageReport(Report):
    """A package's checks; `self_consistent_only`: they rest on the package's own root."""

    self_consistent_only: bool = False


class PackageVerifier:
    """Checks packages against trust roots; None means the package's own root, which proves
    only self-consistency (the report says so, and `aidrec verify` exits 3)."""

    def __init__(self, *, trust_roots: Sequence[Path] | None = None) -> None:
        self.trust_roots = list(trust_roots) if trust_roots else None

    def verify(self, path: Path) -> PackageReport:
        """Every check of the package at `path`; `report.ok` only when all pass."""
        report = PackageReport(target=f"package {path.name}",
                               self_consistent_only=self.trust_roots is None)
        try:
            archive = open_zip(path)
        except InvalidInputError as exc:
            report.add("container", False, exc.message)
            return report
        with archive, tempfile.TemporaryDirectory(prefix="aidrec-verify-") as scratch:
            # 1.
            bag = check_container(report, archive)
            if bag is None:
                return report
            # 2-4.
            digests = check_bag(report, bag)
            run = _Run(report, bag, digests, Path(scratch))
            # 5.
            if not run.choose_trust(self.trust_roots):
                return report
            # 6.
            run.package_signature()
            # 7.
            index = run.index()
            if index is None:
                return report
            # 8-9.
            for recording in index.get("recordings") or []:
                run.guarded("recording", partial(run.recording, recording))
            # 10.
            run.guarded("export record", lambda: run.export_record(index))
            # 11.
            run.guarded("report signature", lambda: run.report_pdf(index))
        return report


class _Run:
    """One verification: the bag, its computed digests, and the trust material in use."""

    def __init__(self, report: PackageReport, bag: ZipBag, digests: Mapping[str, Digests],
                 scratch: Path) -> None:
        self.report = report
        self.bag = bag
        self.digests = digests
        self.scratch = scratch
        self.roots: list[Path] = []
        self._files: dict[bytes, Path] = {}
        self._heads: dict[str, dict[str, Any] | None] = {}

    def add(self, name: str, ok: bool, detail: str, subject: str = "") -> bool:
        return self.report.add(name, ok, detail, subject)

    def guarded(self, name: str, step: Callable[[], None]) -> None:
        """A step over index entries: a malformed index fails the check, not the verifier."""
        try:
            step()
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            self.add(name, False, f"the index is malformed here: {exc!r}", layout.INDEX)

    # 5. Trust roots: the caller's, or the package's own (self-consistency only).
    def choose_trust(self, given: list[Path] | None) -> bool:
        if given is not None:
            missing = [str(p) for p in given if not p.is_file()]
            if missing:
                return self.add("trust root", False, f"cannot read {', '.join(missing)}")
            self.roots = given
            return self.add("trust root", True, ", ".join(str(p) for p in given))
        try:
            self.roots = [self._file(self.bag.read(layout.TRUST_ROOTS))]
        except InvalidInputError as exc:
            return self.add("trust root", False, f"no --trust-root given and {exc.message}")
        self.report.warnings.append(PACKAGE_ROOT_WARNING)
        return self.add("trust root", True, f"the package's own {layout.TRUST_ROOTS} "
                        "(not independent: self-consistency only)")

    # 6. The archive signed and a TSA dated the tag manifest, which pins every file.
    def package_signature(self) -> None:
        crls = [p for p in self.bag.files if p.startswith(f"{layout.TRUST_CRLS}/")]
        try:
            data = self.bag.read(layout.TAGMANIFEST)
            result = self._verify_cms(data, self.bag.read(layout.PACKAGE_SIGNATURE), crls)
        except ArchiveError as exc:
            self.add("package signature", False, _why(exc), layout.PACKAGE_SIGNATURE)
        else:
            self.add("package signature", True, f"{layout.TAGMANIFEST} signed by "
                     f"{result.signer_subject}, timestamped "
                     f"{result.timestamp_time.isoformat()}", layout.PACKAGE_SIGNATURE)
        try:
            token = verify_token(self.bag.read(layout.PACKAGE_TIMESTAMP),
                                 self.bag.read(layout.TAGMANIFEST), trust_roots=self.roots,
                                 crls=[self.bag.read(p) for p in crls])
        except ArchiveError as exc:
            self.add("package timestamp", False, _why(exc), layout.PACKAGE_TIMESTAMP)
            return
        self.add("package timestamp", True, f"RFC 3161 token over {layout.TAGMANIFEST}: "
                 f"{token.time.isoformat()} by {token.tsa_subject}", layout.PACKAGE_TIMESTAMP)

    # 7. The index: readable, and it accounts for every payload file and nothing more.
    def index(self) -> dict[str, Any] | None:
        try:
            index: dict[str, Any] = json.loads(self.bag.read(layout.INDEX))
            if index.get("format") != layout.PACKAGE_FORMAT:
                raise ValueError(f"format {index.get('format')!r}")
            named = _paths_in(index) | {layout.INDEX}
        except (ArchiveError, ValueError, KeyError, TypeError) as exc:
            self.add("index", False, f"unreadable {layout.INDEX}: {exc}", layout.INDEX)
            return None
        payload = {p for p in self.bag.files if p.startswith("data/")}
        ok = True
        for path in sorted(payload - named):
            ok = self.add("index", False, "file is not part of the package index (added?)",
                          path)
        for path in sorted(named - payload):
            ok = self.add("index", False, "the index names this file but it is missing", path)
        if ok:
            self.add("index", True, f"{len(named)} files, all accounted for", layout.INDEX)
        return index

    # 8. A recording: its seal, its hash chain, the exported segments, log proofs, gaps.
    def recording(self, entry: Mapping[str, Any]) -> None:
        rid = str(entry["id"])
        subject = f"recording {rid}"
        signed = self._signed(entry["seal"]["files"], "manifest", f"{subject} seal")
        if signed is None:
            return
        data, manifest = signed
        if manifest.get("format") != MANIFEST_FORMAT or \
                manifest.get("recording", {}).get("id") != rid:
            self.add("manifest", False, f"got a manifest of {manifest.get('recording')}, "
                     f"expected recording {rid}", subject)
            return
        self._chain(manifest, subject)
        self._segments(rid, manifest, entry["segments"], str(entry["seal"]["tree_head"]),
                       subject)
        sha = hashlib.sha256(data).hexdigest()
        self._inclusion(entry["seal"]["proof"], entry["seal"]["tree_head"],
                        log_entry_bytes("manifest", recording=rid,
                                        seal=manifest["seal"]["number"], sha256=sha),
                        f"{subject} seal {manifest['seal']['number']}")
        gaps = self._json(entry["gaps"])
        same = gaps == {"recording": rid, "gaps": manifest["gaps"]}
        self.add("gaps", same, f"{len(manifest['gaps'])} gap records as sealed" if same else
                 "gaps.json differs from the gaps in the sealed manifest", entry["gaps"])
        # 9. Sealed documents (transcripts, ...).
        for document in entry.get("documents", []):
            self._document(document)

    def _chain(self, manifest: Mapping[str, Any], subject: str) -> None:
        link = genesis_hash(manifest["recording"]["id"])
        for position, segment in enumerate(manifest["segments"]):
            if segment["seq"] != position or segment["prev_hash"] != link:
                self.add("chain", False, f"sealed segment {segment['seq']} does not link to "
                         "its predecessor", subject)
                return
            link = chain_hash(link, segment["sha256"])
            if segment["chain_hash"] != link:
                self.add("chain", False, f"chain hash of segment {segment['seq']} does not "
                         "recompute", subject)
                return
        ok = link == manifest["chain"]["head"] and \
            len(manifest["segments"]) == manifest["chain"]["segment_count"]
        self.add("chain", ok, f"{len(manifest['segments'])} sealed segments link to head "
                 f"{link[:16]}…" if ok else "the sealed chain head does not recompute", subject)

    def _segments(self, rid: str, manifest: Mapping[str, Any],
                  exported: Sequence[Mapping[str, Any]], head: str, subject: str) -> None:
        sealed = {int(s["seq"]): s for s in manifest["segments"]}
        good = 0
        for item in exported:
            seq, path = int(item["seq"]), str(item["file"])
            where = f"{subject} segment {seq}"
            seal = sealed.get(seq)
            digest = self.digests.get(path)
            if seal is None:
                self.add("segment", False, f"segment {seq} is not in the sealed manifest", path)
                continue
            if path != layout.segment_path(rid, seq, seal["key"]):
                self.add("segment", False, f"got file {path} for segment {seq}", where)
                continue
            if digest is None:
                self.add("segment", False, "file is missing or unreadable", path)
                continue
            if digest.sha256 != seal["sha256"] or digest.size != seal["size"]:
                self.add("segment", False, f"bytes hash to {digest.sha256[:16]}… "
                         f"({digest.size} B), the seal says {seal['sha256'][:16]}… "
                         f"({seal['size']} B)", path)
                continue
            proof_ok = self._inclusion(
                str(item["proof"]), head,
                log_entry_bytes("segment", recording=rid, seq=seq, sha256=digest.sha256),
                where, quiet=True)
            good += proof_ok
        if exported and good == len(exported):
            self.add("segments", True, f"{good} exported segments hash as sealed and are in "
                     "the log", subject)

    def _document(self, document: Mapping[str, Any]) -> None:
        subject = f"{document['kind']} {document['ref']}"
        name = str(document["name"])
        files: Mapping[str, str] = document["files"]
        signed = self._signed(files, name, subject)
        if signed is None:
            return
        data, content = signed
        entry = document_log_entry(str(document["kind"]), str(document["ref"]),
                                   hashlib.sha256(data).hexdigest())
        self._inclusion(str(document["proof"]), str(document["tree_head"]), entry, subject)
        for file_name, meta in (content.get("files") or {}).items():
            path = files.get(file_name, "")
            digest = self.digests.get(path)
            ok = digest is not None and digest.sha256 == meta.get("sha256") and \
                digest.size == meta.get("size")
            self.add("document file", ok, "matches the sealed document" if ok else
                     f"does not match the sha256/size that {name}.json names", path or
                     f"{subject} {file_name}")

    # 10. The export record: sealed and logged before the package was written, and it lists
    # exactly the segments the package holds.
    def export_record(self, index: Mapping[str, Any]) -> None:
        export = index["export"]
        record = export["record"]
        signed = self._signed(record["files"], "export", "export record")
        if signed is None:
            return
        data, content = signed
        self._inclusion(record["proof"], record["tree_head"],
                        document_log_entry(record["kind"], record["ref"],
                                           hashlib.sha256(data).hexdigest()), "export record")
        exported = {r["id"]: sorted(int(s["seq"]) for s in r["segments"])
                    for r in index["recordings"]}
        claims = {"id": export["id"], "actor": export["actor"], "reason": export["reason"],
                  "selection": export["selection"], "segments": exported}
        wrong = [k for k, v in claims.items() if content.get(k) != v]
        self.add("export record", not wrong, f"export {content.get('id')} by "
                 f"{content.get('actor')}: {content.get('reason')}" if not wrong else
                 f"the sealed record differs from the package in {', '.join(wrong)}",
                 layout.EXPORT_DIR)

    # 11. The chain-of-custody report: PAdES B-LTA, valid, unchanged since its timestamp.
    def report_pdf(self, index: Mapping[str, Any]) -> None:
        path = str(index["report"])
        try:
            result = verify_pdf(self.bag.read(path), trust_roots=self.roots)
        except ArchiveError as exc:
            self.add("report signature", False, _why(exc), path)
            return
        self.add("report signature", True, f"PAdES B-LTA by {result.signer_subject}, signed "
                 f"{result.signature_time.isoformat()}, document timestamp "
                 f"{result.document_timestamp.isoformat()}", path)

    # Shared steps -------------------------------------------------------------------------
    def _signed(self, files: Mapping[str, str], name: str,
                subject: str) -> tuple[bytes, dict[str, Any]] | None:
        """`<name>.json` verified against `<name>.p7s` (as of its timestamp, with the CRL
        snapshot beside it) and `<name>.tsr` equal to the token inside the signature."""
        try:
            data = self.bag.read(files[f"{name}.json"])
            cms = self.bag.read(files[f"{name}.p7s"])
            token = self.bag.read(files[f"{name}.tsr"])
            crls = [p for f, p in files.items() if f.endswith((".crl", ".der"))]
            result = self._verify_cms(data, cms, crls)
            if timestamp_token_der(cms) != token:
                raise VerificationError(f"{name}.tsr is not the token inside {name}.p7s",
                                        reason="bad_timestamp")
            content: dict[str, Any] = json.loads(data)
        except KeyError as exc:
            self.add("signature", False, f"the index names no {exc}", subject)
            return None
        except (ArchiveError, ValueError) as exc:
            self.add("signature", False, _why(exc), files.get(f"{name}.p7s", subject))
            return None
        self.add("signature", True, f"{name}.json signed by {result.signer_subject}, "
                 f"timestamped {result.timestamp_time.isoformat()}", subject)
        return data, content

    def _verify_cms(self, data: bytes, cms: bytes, crl_paths: Sequence[str]) -> Any:
        crls = [self._file(self.bag.read(p)) for p in crl_paths]
        return verify_detached(data, cms, trust_roots=self.roots, crls=crls,
                               moment=timestamp_time(cms))

    def _inclusion(self, proof_path: str, head_path: str, entry: bytes, subject: str, *,
                   quiet: bool = False) -> bool:
        head = self._head(head_path)
        if head is None:
            return self.add("log inclusion", False, f"tree head {head_path} is not valid",
                            subject)
        try:
            proof = InclusionProof.parse(self._json(proof_path))
            if proof.tree_head != head_path:
                raise VerificationError(f"got a proof against {proof.tree_head}, expected "
                                        f"{head_path}", reason="proof_mismatch")
            check_inclusion(proof, entry=entry, root_hex=str(head["root"]),
                            tree_size=int(head["size"]))
        except (ArchiveError, ValueError) as exc:
            return self.add("log inclusion", False, _why(exc), proof_path)
        if not quiet:
            self.add("log inclusion", True, f"leaf {proof.log_index} of the signed tree of "
                     f"{head['size']} (root {str(head['root'])[:16]}…)", subject)
        return True

    def _head(self, path: str) -> dict[str, Any] | None:
        if path not in self._heads:
            directory = path.rsplit("/", 1)[0]
            files = {p.rsplit("/", 1)[1]: p for p in self.bag.files
                     if p.rsplit("/", 1)[0] == directory}
            signed = self._signed(files, "head", f"tree head {directory.rsplit('/', 1)[-1]}")
            self._heads[path] = signed[1] if signed else None
        return self._heads[path]

    def _json(self, path: str) -> Any:
        return json.loads(self.bag.read(path))

    def _file(self, data: bytes) -> Path:
        """Trust material as a file (the signature checks take paths), once per content."""
        if data not in self._files:
            target = self.scratch / f"{len(self._files)}.bin"
            target.write_bytes(data)
            self._files[data] = target
        return self._files[data]


def _paths_in(index: Mapping[str, Any]) -> set[str]:
    """Every bag path the index names (strings starting with data/)."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str) and value.startswith("data/"):
            found.add(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key != "dir":  # directories, not files
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(index)
    return found


def _why(exc: ArchiveError | ValueError) -> str:
    if isinstance(exc, ArchiveError):
        return f"{exc.reason}: {exc.message}"
    return str(exc)
