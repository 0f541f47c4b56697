"""Disposal end to end on the real store: due exactly when due, approved, certified, verified."""

from __future__ import annotations

import hashlib
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import cms
from sqlalchemy import func, select

from archive.access import people as access
from archive.catalog.models import LogLeaf, Recording, User
from archive.evidence.errors import ConflictError, ObjectLockedError, PermissionDeniedError
from archive.evidence.vocabulary import Role
from archive.services import Archive
from archive.verify.disposed import DisposalCertificate
from retention.disposal_batches import approve_batch, list_due, propose_batch
from retention.errors import ApprovalError
from retention.locks import apply_retention
from retention.models import DisposalApproval, DisposalBatch
from retention.settings import RetentionSettings
from retention.sweeper import run_sweep
from retention.verify import export_certificate, verify_certificate
from tests.integration.retention.conftest import (
    People,
    make_recording,
    segment_versions,
    wait_until,
)

WH = "/yn/km/wh/"  # county wh: its administrator and the province's are at two levels


def _openssl(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True,
                          timeout=30, check=False)


def test_expires_exactly_when_due_two_person_approval_certificate_verifies(
        archive: Archive, people: People, tmp_path: Path) -> None:
    config = RetentionSettings(two_person_rule=True, auto_propose=False)
    rid = make_recording(archive, due_in=8)
    kept = make_recording(archive)  # due in six months
    applied = apply_retention(archive, config, now=datetime.now(UTC))
    due_at = applied.raised[rid]
    # The store holds every segment exactly until the recording is due.
    versions = segment_versions(archive, rid)
    assert len(versions) == 2
    assert all(archive.store.get_retention(k, v) == due_at for k, v in versions)

    # Not before: one second early nothing is due, nothing can be proposed, the store refuses.
    early = due_at - timedelta(seconds=1)
    assert list_due(archive, now=early) == []
    with pytest.raises(ConflictError, match="nothing is due"):
        propose_batch(archive, config, proposer=people.admin, now=early)
    with pytest.raises(ObjectLockedError, match=r"is locked \(retention or legal hold\)"):
        archive.store.delete_version(*versions[0])
    # Only administrators propose and approve.
    with pytest.raises(PermissionDeniedError, match="role inspector may not do this"):
        propose_batch(archive, config, proposer=people.inspector, now=due_at)

    # Exactly when due: listed with its size and rule; the other recording is not.
    wait_until(due_at)
    due = list_due(archive, now=due_at)
    assert [(e.recording_id, e.size, e.segment_count) for e in due] == [
        (rid, sum(archive.store.stat(k, v).size for k, v in versions), 2)]
    assert due[0].rule.startswith("floor")
    batch = propose_batch(archive, config, proposer=people.admin, now=due_at,
                          scope_path=WH).batch
    assert batch.required_approvals == 2

    # Two independent people: one approval is not enough, nor the same one twice, nor a
    # second administrator at the same level (one administrator could have made that one).
    approve_batch(archive, approver=people.admin, batch_id=batch.id, reason="due", now=due_at)
    assert run_sweep(archive, config, now=datetime.now(UTC), actor="t").disposed == {}
    assert len(segment_versions(archive, rid)) == 2
    with pytest.raises(ApprovalError, match="already approved"):
        approve_batch(archive, approver=people.admin, batch_id=batch.id, reason="again",
                      now=due_at)
    with pytest.raises(PermissionDeniedError, match="cannot be the second person"):
        approve_batch(archive, approver=people.admin2, batch_id=batch.id, reason="same level",
                      now=due_at)
    view = approve_batch(archive, approver=people.county_admin, batch_id=batch.id,
                         reason="checked the list", now=due_at)
    assert view.batch.state.value == "approved"

    result = run_sweep(archive, config, now=datetime.now(UTC), actor="wh-admin")
    assert list(result.disposed) == [rid]
    certificate_id = result.disposed[rid]
    assert segment_versions(archive, rid) == []  # gone from the store
    assert len(segment_versions(archive, kept)) == 2  # the other is untouched

    # The certificate: what (objects and hashes), why (rule), who approved, when.
    report = verify_certificate(archive, certificate_id)
    assert report.ok, report.to_json()
    with archive.catalog.read() as db:
        cert = db.get_one(DisposalCertificate, certificate_id)
        assert db.scalar(select(func.count()).select_from(LogLeaf)
                         .where(LogLeaf.kind == "disposal")) == 1
    document = json.loads(cert.document)
    assert [(o["key"], o["version_id"]) for o in document["objects"]] == sorted(versions)
    assert document["retention"]["retain_until"].startswith(
        due_at.strftime("%Y-%m-%dT%H:%M:%S"))
    assert [a["user"] for a in document["approval"]["approvals"]] == ["admin1", "wh-admin"]
    # ... kept forever under lock.
    ref = cert.objects["certificate.json"]
    locked = archive.store.get_retention(ref["key"], ref["version_id"])
    assert locked is not None and locked >= datetime.now(UTC) + timedelta(days=36499)

    # Verified by openssl alone: the CMS signature and the RFC 3161 token.
    files = {p.name: p for p in export_certificate(archive, certificate_id, tmp_path)}
    pki = archive.settings.signing
    assert pki.trust_roots
    ok = _openssl("cms", "-verify", "-binary", "-inform", "DER", "-content",
                  files["certificate.json"], "-in", files["certificate.p7s"], "-CAfile",
                  pki.trust_roots[0], "-purpose", "any", "-out", "/dev/null")
    assert ok.returncode == 0, ok.stderr
    signer_info = cms.ContentInfo.load(files["certificate.p7s"].read_bytes())[
        "content"]["signer_infos"][0]
    imprint = hashlib.sha256(signer_info["signature"].native).hexdigest()
    chain = tmp_path / "untrusted.pem"
    chain.write_bytes(b"".join(p.read_bytes() for p in pki.chain))
    ts = _openssl("ts", "-verify", "-in", files["certificate.tsr"], "-token_in", "-digest",
                  imprint, "-CAfile", pki.trust_roots[0], "-untrusted", chain)
    assert ts.returncode == 0, ts.stderr
    files["certificate.json"].write_bytes(cert.document.replace(b'"wh-admin"', b'"mallory"'))
    forged = _openssl("cms", "-verify", "-binary", "-inform", "DER", "-content",
                      files["certificate.json"], "-in", files["certificate.p7s"], "-CAfile",
                      pki.trust_roots[0], "-purpose", "any", "-out", "/dev/null")
    assert forged.returncode != 0

    # The recording verifies: its disposed segments "disposed per certificate", not missing.
    verified = archive.verifier().verify_recording(rid)
    assert verified.ok, verified.to_json()
    disposed = [c for c in verified.checks if c.name == "disposed"]
    assert len(disposed) == 1
    assert f"disposed per certificate {certificate_id}" in disposed[0].detail
    assert disposed[0].subject == "segments 0-1"
    with archive.catalog.read() as db:
        recording = db.get_one(Recording, rid)
        assert recording.segment_count == 2  # the catalog keeps the history
    # Nothing is disposed twice.
    assert list_due(archive, now=datetime.now(UTC) + timedelta(days=1)) == []

    # disposal_record_swapped: a disposal record naming another certificate's entry is
    # reported, never taken as proof.
    with archive.catalog.write() as db:
        db.get_one(DisposalCertificate, certificate_id).document_sha256 = \
            hashlib.sha256(b"another certificate").hexdigest()
    tampered = archive.verifier().verify_recording(rid)
    assert not tampered.ok
    failed = [c for c in tampered.checks if not c.ok]
    assert failed[0].name == "disposed" and "does not verify" in failed[0].detail
    assert not verify_certificate(archive, certificate_id).ok


def test_one_administrator_cannot_be_both_people(archive: Archive, people: People) -> None:
    """Creating a second administrator account no longer passes the two-person rule."""
    from api.admin import grants

    config = RetentionSettings(two_person_rule=True, auto_propose=False)
    rid = make_recording(archive, due_in=5)
    due_at = apply_retention(archive, config, now=datetime.now(UTC)).raised[rid]
    batch = propose_batch(archive, config, proposer=people.admin, now=due_at,
                          scope_path=WH).batch
    approve_batch(archive, approver=people.admin, batch_id=batch.id, reason="due", now=due_at)
    # The old way: the administrator makes a colleague. The account is only asked for, and
    # the one who asked cannot be the second person of the grant.
    with archive.catalog.write() as db:
        grant = grants.request(db, people.admin, user_id="sock", name="sock", role=Role.ADMIN,
                               jurisdiction_id="wh", new_account=True, now=due_at)
    with pytest.raises(PermissionDeniedError, match="cannot be the second person"), \
            archive.catalog.write() as db:
        grants.approve(db, people.admin, grant_id=grant.id, now=due_at, min_days=7)
    with archive.catalog.read() as db:
        assert db.get(User, "sock") is None
    # An administrator account made today elsewhere (say, at the console) waits its days.
    with archive.catalog.write() as db:
        access.create_user(db, id="fresh-admin", name="fresh", role=Role.ADMIN,
                           jurisdiction_id="wh")
        fresh = access.principal_of(db, db.get_one(User, "fresh-admin"))
    with pytest.raises(PermissionDeniedError, match="approvals count from"):
        approve_batch(archive, approver=fresh, batch_id=batch.id, reason="mine", now=due_at)
    # A settled administrator of the same role and level is not a second person either.
    with pytest.raises(PermissionDeniedError, match="another jurisdiction level"):
        approve_batch(archive, approver=people.admin2, batch_id=batch.id, reason="same",
                      now=due_at)
    with archive.catalog.read() as db:
        assert db.get_one(DisposalBatch, batch.id).state.value == "proposed"
        assert db.scalar(select(func.count()).select_from(DisposalApproval).where(
            DisposalApproval.batch_id == batch.id)) == 1
    # The county's administrator, settled, is: the batch is approved.
    view = approve_batch(archive, approver=people.county_admin, batch_id=batch.id,
                         reason="checked", now=due_at)
    assert view.batch.state.value == "approved"
    assert [a.user_id for a in view.approvals] == ["admin1", "wh-admin"]
