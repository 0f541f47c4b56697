"""Disposal records: which originals were deleted under which sealed certificate.

The retention package writes these; the archive only reads them, so verification can report a
disposed segment as "disposed per certificate" instead of "missing". A certificate is a sealed
document (`Sealer.seal_document`, kind "disposal"): signed, timestamped, stored under lock and
logged in the transparency log.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, select
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm import Session as DBSession
from sqlalchemy.schema import UniqueConstraint

from archive.catalog.models import Base, Segment
from archive.catalog.types import utcnow
from archive.evidence.report import Report
from archive.verify.documents import SealedDocument


class DocumentVerifier(Protocol):
    """What checking a certificate needs of the recording verifier (it passes itself)."""

    def verify_document(self, report: Report, document: SealedDocument, *,
                        subject: str = "") -> dict[str, Any] | None: ...


CERTIFICATE_KIND = "disposal"  # kind of the sealed document and of its log entry
CERTIFICATE_NAME = "certificate"  # stored as certificate.json / .p7s / .tsr


def certificate_ref(certificate_id: str) -> str:
    """The transparency-log ref of a certificate."""
    return f"disposal/{certificate_id}"


def certificate_document(cert: DisposalCertificate) -> SealedDocument:
    """A certificate as the sealed document that is checked."""
    return SealedDocument(kind=CERTIFICATE_KIND, ref=certificate_ref(cert.id),
                          name=CERTIFICATE_NAME, sha256=cert.document_sha256,
                          objects=cert.objects, log_index=cert.log_index,
                          tree_head_id=cert.tree_head_id)


def certificate_prefix(certificate_id: str) -> str:
    """Where a certificate and its proofs are stored."""
    return f"disposals/{certificate_id}"


class DisposalCertificate(Base):
    """A sealed disposal certificate of one recording's originals."""

    __tablename__ = "disposal_certificates"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"), index=True)
    document_sha256: Mapped[str] = mapped_column(String(64))
    document: Mapped[bytes] = mapped_column(LargeBinary)  # the exact signed bytes
    objects: Mapped[dict[str, Any]]  # file name -> {"key", "version_id", "sha256", "size"}
    log_index: Mapped[int] = mapped_column(Integer)
    tree_head_id: Mapped[int] = mapped_column(ForeignKey("tree_heads.id"))
    timestamp_at: Mapped[datetime]
    issued_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]  # every listed object confirmed deleted
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DisposedObject(Base):
    """One object version a certificate disposes of; `seq` is None for uncatalogued versions."""

    __tablename__ = "disposed_objects"
    __table_args__ = (UniqueConstraint("key", "version_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    certificate_id: Mapped[str] = mapped_column(ForeignKey("disposal_certificates.id"),
                                                index=True)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"), index=True)
    seq: Mapped[int | None] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(500))
    version_id: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    deleted_at: Mapped[datetime | None]


def disposed_versions(db: DBSession) -> set[tuple[str, str]]:
    """(key, version_id) of every object version a certificate disposes of (for fixity)."""
    return {(k, v) for k, v in db.execute(select(DisposedObject.key, DisposedObject.version_id))}


def check_disposed(verifier: DocumentVerifier, db: DBSession, report: Report,
                   segments: Sequence[Segment]) -> list[Segment]:
    """Report segments disposed under a certificate; return the others, still to be re-read.

    Each certificate is verified (signature, timestamp, log inclusion) and must name the
    segment's exact version and hash; a segment it does not name is left to the object check.
    """
    if not segments:
        return []
    recording_id = segments[0].recording_id
    rows = list(db.execute(
        select(DisposedObject, DisposalCertificate)
        .join(DisposalCertificate, DisposedObject.certificate_id == DisposalCertificate.id)
        .where(DisposedObject.recording_id == recording_id, DisposedObject.seq.is_not(None))))
    if not rows:
        return list(segments)
    by_seq = {row.seq: (row, cert) for row, cert in rows}
    remaining: list[Segment] = []
    covered: dict[str, list[int]] = {}
    certificates: dict[str, DisposalCertificate] = {}
    for segment in segments:
        found = by_seq.get(segment.seq)
        if (found is None or found[0].version_id != segment.version_id
                or found[0].sha256 != segment.sha256):
            remaining.append(segment)
            continue
        covered.setdefault(found[1].id, []).append(segment.seq)
        certificates[found[1].id] = found[1]
    for cert_id, seqs in covered.items():
        _report_certificate(verifier, report, certificates[cert_id], seqs, segments)
    return remaining


def _report_certificate(verifier: DocumentVerifier, report: Report,
                        cert: DisposalCertificate, seqs: list[int],
                        segments: Sequence[Segment]) -> None:
    subject = f"segments {_ranges(seqs)}"
    checked = Report(target=f"disposal certificate {cert.id}")
    document = verifier.verify_document(checked, certificate_document(cert))
    if not checked.ok or document is None:
        failed = "; ".join(f"{c.name}: {c.detail}" for c in checked.checks if not c.ok)
        report.add("disposed", False, f"certificate {cert.id} does not verify: {failed}",
                   subject)
        return
    try:
        listed = document["objects"]
    except KeyError as exc:
        report.add("disposed", False, f"certificate {cert.id} unreadable: {exc}", subject)
        return
    named = {(o.get("seq"), o["version_id"], o["sha256"]) for o in listed}
    by_seq = {s.seq: s for s in segments}
    unnamed = [seq for seq in seqs
               if (seq, by_seq[seq].version_id, by_seq[seq].sha256) not in named]
    if unnamed:
        report.add("disposed", False, f"certificate {cert.id} does not name segments "
                   f"{_ranges(unnamed)}", subject)
        return
    report.add("disposed", True, f"disposed per certificate {cert.id} (issued "
               f"{cert.issued_at.isoformat()}; signature, timestamp and log inclusion "
               "verified)", subject)


def _ranges(seqs: list[int]) -> str:
    ordered = sorted(seqs)
    parts: list[str] = []
    start = prev = ordered[0]
    for seq in [*ordered[1:], None]:
        if seq is not None and seq == prev + 1:
            prev = seq
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if seq is not None:
            start = prev = seq
    return ", ".join(parts)
