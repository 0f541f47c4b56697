"""Every way stored evidence could be altered is tried, and verification says what and where."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pyhanko.sign import signers
from sqlalchemy import update

from archive.catalog.models import LogLeaf, Recording, Seal, Segment
from archive.devstack.ephemeral import EphemeralStack
from archive.devstack.pki import make_throwaway_pki
from archive.evidence.errors import ObjectLockedError
from archive.evidence.report import Report
from archive.services import Archive
from archive.signatures.cms import CmsSigner
from tests.support import bootstrap_tree, make_media

pytestmark = pytest.mark.usefixtures("test_stack")


@pytest.fixture
def sealed(archive: Archive, tmp_path: Path) -> str:
    """A sealed, verifiable recording of three real MPEG-TS segments."""
    from archive.ingest.importer import import_files
    from archive.ingest.service import Actor

    tree = bootstrap_tree(archive)
    files = [make_media(tmp_path / f"part{i}.ts", seconds=1) for i in range(3)]
    result = import_files(
        archive,
        files,
        actor=Actor("operator:test", None),
        window_id=tree.window_id,
        case_number="云援〔2026〕0007号",
        stage=None,
        staff_id="s-001",
    )
    assert result.sealed
    report = archive.verifier().verify_recording(result.recording_id)
    assert report.ok, report.to_json()
    return result.recording_id


def _failed(report: Report) -> dict[str, str]:
    assert not report.ok, "tampering went unnoticed"
    return {c.name: f"{c.subject}: {c.detail}" for c in report.checks if not c.ok}


def _seal(archive: Archive, recording_id: str) -> Seal:
    from sqlalchemy import select

    with archive.catalog.read() as db:
        seal = db.scalar(select(Seal).where(Seal.recording_id == recording_id))
        assert seal is not None
        return seal


def _replace_seal_object(archive: Archive, recording_id: str, name: str, data: bytes) -> None:
    """Store other bytes as a new version and repoint the catalog, as an insider could."""
    seal = _seal(archive, recording_id)
    ref = dict(seal.objects[name])
    digest = hashlib.sha256(data).hexdigest()
    stored = archive.store.put_locked(
        ref["key"],
        data,
        length=len(data),
        sha256_hex=digest,
        retain_until=seal.timestamp_at.replace(year=2030),
        content_type="application/octet-stream",
    )
    objects = {
        **seal.objects,
        name: {**ref, "version_id": stored.version_id, "sha256": digest, "size": len(data)},
    }
    with archive.catalog.write() as db:
        db.execute(update(Seal).where(Seal.id == seal.id).values(objects=objects))


def _manifest(archive: Archive, recording_id: str) -> bytes:
    ref = _seal(archive, recording_id).objects["manifest.json"]
    return archive.store.read_verified(
        ref["key"], version_id=ref["version_id"], sha256_hex=ref["sha256"]
    )


def catalog_hash_changed(archive: Archive, rid: str, _stack: EphemeralStack) -> None:
    with archive.catalog.write() as db:
        db.execute(
            update(Segment)
            .where(Segment.recording_id == rid, Segment.seq == 1)
            .values(sha256="ab" * 32)
        )


def segment_swapped(archive: Archive, rid: str, _stack: EphemeralStack) -> None:
    """Segment 1's key gets new bytes; catalog repointed with consistent hashes and chain."""
    from sqlalchemy import select

    from archive.evidence.digest import chain_hash

    data = b"\x47" + b"forged transport stream" * 1000
    digest = hashlib.sha256(data).hexdigest()
    with archive.catalog.write() as db:
        segments = list(
            db.scalars(select(Segment).where(Segment.recording_id == rid).order_by(Segment.seq))
        )
        target = segments[1]
        stored = archive.store.put_locked(
            target.object_key,
            data,
            length=len(data),
            sha256_hex=digest,
            retain_until=target.ended_at.replace(year=2030),
            content_type="video/mp2t",
        )
        target.sha256, target.size, target.version_id = digest, len(data), stored.version_id
        link = target.prev_hash
        for segment in segments[1:]:
            segment.prev_hash = link
            link = chain_hash(link, segment.sha256)
            segment.chain_hash = link
        recording = db.get(Recording, rid)
        assert recording is not None
        recording.chain_head = link


def segment_dropped(archive: Archive, rid: str, _stack: EphemeralStack) -> None:
    from sqlalchemy import delete

    with archive.catalog.write() as db:
        db.execute(delete(Segment).where(Segment.recording_id == rid, Segment.seq == 1))


def segments_reordered(archive: Archive, rid: str, _stack: EphemeralStack) -> None:
    with archive.catalog.write() as db:
        for old, new in ((0, 100), (1, 0), (100, 1)):
            db.execute(
                update(Segment)
                .where(Segment.recording_id == rid, Segment.seq == old)
                .values(seq=new)
            )


def manifest_byte_changed(archive: Archive, rid: str, _stack: EphemeralStack) -> None:
    data = bytearray(_manifest(archive, rid))
    index = data.index(b'"size":') + len(b'"size":')
    data[index] = ord("9") if data[index] != ord("9") else ord("8")
    _replace_seal_object(archive, rid, "manifest.json", bytes(data))


def signature_forged(archive: Archive, rid: str, stack: EphemeralStack) -> None:
    """A genuine signature by the archive key, but over another document, is attached."""
    signer = CmsSigner(
        key_path=stack.pki.signer_key,
        cert_path=stack.pki.signer_cert,
        chain_paths=[stack.pki.chain],
        tsa_url=stack.tsa.url,
    )
    _replace_seal_object(archive, rid, "manifest.p7s", signer.sign(b'{"forged":true}'))


def signer_untrusted(archive: Archive, rid: str, stack: EphemeralStack) -> None:
    rogue = make_throwaway_pki(stack.root / f"rogue-{rid}")
    signer = CmsSigner(
        key_path=rogue.signer_key,
        cert_path=rogue.signer_cert,
        chain_paths=[rogue.chain],
        tsa_url=stack.tsa.url,
    )
    _replace_seal_object(archive, rid, "manifest.p7s", signer.sign(_manifest(archive, rid)))


def timestamp_missing(archive: Archive, rid: str, stack: EphemeralStack) -> None:
    plain = signers.SimpleSigner.load(  # type: ignore[no-untyped-call]

        str(stack.pki.signer_key), str(stack.pki.signer_cert), ca_chain_files=[str(stack.pki.chain)]
    )
    assert plain is not None
    cms = asyncio.run(
        plain.async_sign_general_data(
            _manifest(archive, rid), "sha256", detached=True, use_cades=True
        )
    ).dump()
    _replace_seal_object(archive, rid, "manifest.p7s", cms)


def log_leaf_rewritten(archive: Archive, rid: str, _stack: EphemeralStack) -> None:
    seal = _seal(archive, rid)
    with archive.catalog.write() as db:
        db.execute(
            update(LogLeaf)
            .where(LogLeaf.index == seal.log_index)
            .values(leaf_hash=hashlib.sha256(b"other").digest())
        )
    archive.log.invalidate()


ATTACKS: list[tuple[Callable[[Archive, str, EphemeralStack], None], str, str]] = [
    (catalog_hash_changed, "object", "segment 1"),
    (segment_swapped, "manifest segments", "segment 1"),
    (segment_dropped, "chain", "got segment 2, expected 1"),
    (segments_reordered, "chain", "segment 0"),
    (manifest_byte_changed, "signature", "bad_signature"),
    (signature_forged, "signature", "bad_signature"),
    (signer_untrusted, "signature", "untrusted_signer"),
    (timestamp_missing, "signature", "missing_timestamp"),
    (log_leaf_rewritten, "log inclusion", "log leaf"),
]


@pytest.mark.parametrize(("attack", "check", "said"), ATTACKS, ids=[a[0].__name__ for a in ATTACKS])
def test_tampering_is_detected_and_located(
    archive: Archive,
    sealed: str,
    test_stack: EphemeralStack,
    attack: Callable[[Archive, str, EphemeralStack], None],
    check: str,
    said: str,
) -> None:
    attack(archive, sealed, test_stack)
    failed = _failed(archive.verifier().verify_recording(sealed))
    assert check in failed, failed
    assert said in failed[check], failed


def test_locked_originals_cannot_be_deleted_or_overwritten(archive: Archive, sealed: str) -> None:
    from sqlalchemy import select

    with archive.catalog.read() as db:
        segment = db.scalar(select(Segment).where(Segment.recording_id == sealed))
        assert segment is not None
    with pytest.raises(ObjectLockedError, match=r"is locked \(retention or legal hold\)"):
        archive.store.delete_version(segment.object_key, segment.version_id)
    # An "overwrite" only adds a version; the pinned one is untouched and still verifies.
    archive.store.put_locked(
        segment.object_key,
        b"overwrite",
        length=9,
        sha256_hex=hashlib.sha256(b"overwrite").hexdigest(),
        retain_until=segment.ended_at.replace(year=2030),
        content_type="video/mp2t",
    )
    assert archive.verifier().verify_recording(sealed).ok


def test_fixity_reports_changed_objects(archive: Archive, sealed: str) -> None:
    from archive.verify.fixity import run_fixity

    clean = run_fixity(archive)
    assert clean.problems == [] and clean.checked > 3
    catalog_hash_changed(archive, sealed, None)  # type: ignore[arg-type]
    result: Any = run_fixity(archive)
    assert [p.state for p in result.problems] == ["changed"]
