"""Disposal certificates: the document (pure), and sealing it exactly once.

A certificate names what is disposed of (every object version with its hash), the recording
and its latest seal, the rule and date that made it due, the holds that were released, who
proposed and approved the disposal, and when. Its bytes are frozen in the catalog before they
are signed, so a sweep interrupted anywhere seals the same bytes, and a sweep that finds the
certificate already in the transparency log recovers it instead of signing a second one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from archive.catalog.models import LogLeaf, TreeHead
from archive.evidence.canonical import canonical_json, iso
from archive.evidence.errors import IntegrityError, NotFoundError
from archive.seal.manifest import software_version
from archive.services import Archive
from archive.verify.disposed import (
    CERTIFICATE_KIND,
    CERTIFICATE_NAME,
    certificate_prefix,
    certificate_ref,
)
from retention.policy import Decision

CERTIFICATE_FORMAT = "aidrec-disposal-certificate/1"
_SEAL_FILES = (f"{CERTIFICATE_NAME}.json", f"{CERTIFICATE_NAME}.p7s", f"{CERTIFICATE_NAME}.tsr")


@dataclass(frozen=True)
class ObjectRef:
    """One object version to dispose of; `seq` is None for a version the catalog never pinned."""

    seq: int | None
    key: str
    version_id: str
    sha256: str
    size: int

    def entry(self) -> dict[str, Any]:
        return {"seq": self.seq, "key": self.key, "version_id": self.version_id,
                "sha256": self.sha256, "size": self.size}


@dataclass(frozen=True)
class ApprovalRef:
    user: str
    role: str
    at: datetime
    reason: str


@dataclass(frozen=True)
class ReleasedHold:
    id: str
    kind: str
    reference: str
    released_at: datetime
    released_by: str
    reason: str


@dataclass(frozen=True)
class SealedCertificate:
    objects: dict[str, Any]
    log_index: int
    tree_head_id: int
    timestamp_at: datetime


def build_certificate(
    *, certificate_id: str, issued_at: datetime, executed_by: str,
    recording: dict[str, Any], objects: Sequence[ObjectRef], decision: Decision,
    batch: dict[str, Any], approvals: Sequence[ApprovalRef],
    released_holds: Sequence[ReleasedHold],
) -> bytes:
    """The canonical JSON bytes of a certificate (what is signed)."""
    governing = decision.governing
    return canonical_json({
        "format": CERTIFICATE_FORMAT,
        "software": {"name": "aidrec", "version": software_version()},
        "certificate": {"id": certificate_id, "issued_at": iso(issued_at),
                        "executed_by": executed_by},
        "recording": recording,
        "objects": [o.entry() for o in sorted(objects, key=_order)],
        "totals": {"objects": len(objects), "bytes": sum(o.size for o in objects)},
        "retention": {
            "rule_id": governing.rule_id, "rule": governing.rule, "anchor": governing.anchor,
            "retain_until": iso(decision.retain_until),
            "policy_until": iso(decision.policy_until),
            "terms": [{"rule_id": t.rule_id, "rule": t.rule, "anchor": t.anchor,
                       "until": iso(t.until)} for t in decision.terms],
        },
        "holds": {"active": list(decision.holds),
                  "released": [{"id": h.id, "kind": h.kind, "reference": h.reference,
                                "released_at": iso(h.released_at),
                                "released_by": h.released_by, "reason": h.reason}
                               for h in released_holds]},
        "approval": {**batch, "approvals": [
            {"user": a.user, "role": a.role, "at": iso(a.at), "reason": a.reason}
            for a in approvals]},
    })


def _order(ref: ObjectRef) -> tuple[int, str, str]:
    return (ref.seq if ref.seq is not None else 1 << 40, ref.key, ref.version_id)


def seal_certificate(archive: Archive, *, certificate_id: str, document: bytes, now: datetime,
                     retain_days: int) -> SealedCertificate:
    """Seal the certificate, or recover it when an interrupted sweep already logged it.

    Raises:
        SigningUnavailableError: signer or TSA down; nothing logged, retry later.
        IntegrityError: the logged certificate's stored bytes are not `document`.
    """
    recovered = _recover(archive, certificate_id, document)
    if recovered is not None:
        return recovered
    seal = archive.sealer.seal_document(
        kind=CERTIFICATE_KIND, ref=certificate_ref(certificate_id),
        prefix=certificate_prefix(certificate_id), name=CERTIFICATE_NAME, data=document,
        retain_until=now + timedelta(days=retain_days), now=now)
    return SealedCertificate(objects=seal.objects, log_index=seal.log_index,
                             tree_head_id=seal.tree_head_id, timestamp_at=seal.timestamp_at)


def _recover(archive: Archive, certificate_id: str,
             document: bytes) -> SealedCertificate | None:
    from archive.signatures.cms import timestamp_time

    ref = certificate_ref(certificate_id)
    with archive.catalog.read() as db:
        index = db.scalar(select(LogLeaf.index).where(LogLeaf.kind == CERTIFICATE_KIND,
                                                      LogLeaf.ref == ref))
        if index is None:
            return None
        head = db.scalar(select(TreeHead).where(TreeHead.size == index)
                         .order_by(TreeHead.id).limit(1))
    if head is None:
        raise NotFoundError(f"certificate {certificate_id} is logged at {index} but no tree "
                            "head of that size exists", reason="no_tree_head")
    prefix = certificate_prefix(certificate_id) + "/"
    latest = {v.key.removeprefix(prefix): v for v in archive.store.list_versions(prefix)
              if v.is_latest and not v.is_delete_marker}
    objects: dict[str, Any] = {}
    for name in _SEAL_FILES:
        version = latest.get(name)
        if version is None:
            raise NotFoundError(f"certificate {certificate_id} is logged but {name} is not "
                                "stored", reason="certificate_missing")
        info = archive.store.stat(version.key, version.version_id)
        objects[name] = {"key": version.key, "version_id": version.version_id,
                         "sha256": info.sha256_hex, "size": info.size}
    if objects[f"{CERTIFICATE_NAME}.json"]["sha256"] != hashlib.sha256(document).hexdigest():
        raise IntegrityError(f"stored certificate {certificate_id} is not the frozen document",
                             reason="certificate_mismatch")
    # Chain and CRL snapshots are shared: the tree head signed with the certificate names them.
    objects.update({name: ref for name, ref in head.objects.items()
                    if not name.startswith("head.")})
    p7s = objects[f"{CERTIFICATE_NAME}.p7s"]
    cms = archive.store.read_verified(p7s["key"], version_id=p7s["version_id"],
                                      sha256_hex=p7s["sha256"])
    return SealedCertificate(objects=objects, log_index=index, tree_head_id=head.id,
                             timestamp_at=timestamp_time(cms))
