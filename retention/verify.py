"""Checking a disposal certificate, and exporting it for independent tools (openssl)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select

from archive.evidence.errors import NotFoundError
from archive.evidence.report import Report
from archive.services import Archive
from archive.verify.disposed import (
    CERTIFICATE_NAME,
    DisposalCertificate,
    DisposedObject,
    certificate_document,
)


def get_certificate_or_raise(archive: Archive, certificate_id: str) -> DisposalCertificate:
    with archive.catalog.read() as db:
        cert = db.get(DisposalCertificate, certificate_id)
    if cert is None:
        raise NotFoundError(f"certificate {certificate_id} does not exist",
                            reason="no_certificate")
    return cert


def verify_certificate(archive: Archive, certificate_id: str) -> Report:
    """Steps: 1. signature, timestamp, log inclusion, and the bytes are those the catalog
    names; 2. they are the catalog's copy; 3. the objects it names are the ones recorded as
    disposed, and 4. they are gone.

    Raises:
        NotFoundError: no such certificate.
    """
    cert = get_certificate_or_raise(archive, certificate_id)
    report = Report(target=f"disposal certificate {cert.id} (recording {cert.recording_id})")
    # 1.
    document = archive.verifier().verify_document(report, certificate_document(cert))
    if document is None:
        return report  # a failed check says why
    # 2. With 1., the stored bytes are the catalog's copy.
    same = hashlib.sha256(cert.document).hexdigest() == cert.document_sha256
    report.add("catalog", same, "stored bytes are the catalog's copy" if same else
               "stored certificate differs from the catalog's copy")
    # 3.
    with archive.catalog.read() as db:
        rows = list(db.scalars(select(DisposedObject)
                               .where(DisposedObject.certificate_id == cert.id)))
    named = {(o["key"], o["version_id"], o["sha256"]) for o in document["objects"]}
    recorded = {(r.key, r.version_id, r.sha256) for r in rows}
    report.add("objects", named == recorded, f"{len(named)} object versions named"
               if named == recorded else "the certificate and the catalog name different "
               "objects")
    # 4.
    remaining = [r for r in rows if r.deleted_at is None]
    report.add("deleted", not remaining, "every named version was deleted" if not remaining
               else f"{len(remaining)} versions not deleted yet (a sweep will finish them)")
    return report


def export_certificate(archive: Archive, certificate_id: str, directory: Path) -> list[Path]:
    """Write certificate.json, .p7s, .tsr and chain.pem, for `openssl cms/ts -verify`."""
    cert = get_certificate_or_raise(archive, certificate_id)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in (f"{CERTIFICATE_NAME}.json", f"{CERTIFICATE_NAME}.p7s",
                 f"{CERTIFICATE_NAME}.tsr", "chain.pem"):
        ref = cert.objects.get(name)
        if ref is None:
            continue
        data = archive.store.read_verified(ref["key"], version_id=ref["version_id"],
                                           sha256_hex=ref["sha256"])
        path = directory / name
        path.write_bytes(data)
        written.append(path)
    return written
