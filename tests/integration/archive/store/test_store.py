"""The evidence object store against a real SeaweedFS: locks, versions, integrity, failures."""

from __future__ import annotations

import hashlib
import io
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from minio import Minio

from archive.devstack.seaweed import SeaweedServer, find_free_s3_port
from archive.evidence.errors import (
    IntegrityError,
    InvalidInputError,
    NotFoundError,
    ObjectLockedError,
    StackError,
    StoreError,
    StoreUnavailableError,
)
from archive.store.objects import MIB, SINGLE_PUT_MAX, ObjectStore, StoredObject
from tests.integration.archive.conftest import SeaweedHandle


@pytest.fixture
def store(seaweed_server: SeaweedHandle) -> ObjectStore:
    return seaweed_server.store()


def _key() -> str:
    return f"tests/{uuid.uuid4().hex}/segment.ts"


def _until(days: int = 1) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)


def _put(store: ObjectStore, key: str, data: bytes, *, days: int = 1) -> StoredObject:
    return store.put_locked(
        key,
        data,
        length=len(data),
        sha256_hex=hashlib.sha256(data).hexdigest(),
        retain_until=_until(days),
        content_type="video/mp2t",
        metadata={"recording": "r1"},
    )


def test_round_trip_reads_the_pinned_version(store: ObjectStore) -> None:
    data = b"segment bytes " * 1000
    key = _key()
    stored = _put(store, key, data)
    assert stored.version_id
    assert stored.size == len(data)

    assert store.read_verified(key, version_id=stored.version_id, sha256_hex=stored.sha256_hex) == (
        data
    )
    assert store.hash_object(key, version_id=stored.version_id) == (stored.sha256_hex, len(data))
    assert store.read_range(key, version_id=stored.version_id, start=8, length=5) == b"bytes"
    info = store.stat(key, stored.version_id)
    assert (info.sha256_hex, info.size, info.content_type) == (
        stored.sha256_hex,
        len(data),
        "video/mp2t",
    )
    assert info.retention_mode == "COMPLIANCE"
    assert info.metadata["recording"] == "r1"
    assert info.retain_until is not None
    assert info.retain_until > datetime.now(UTC)


def test_wrong_declared_sha256_is_refused_and_nothing_stored(store: ObjectStore) -> None:
    key = _key()
    with pytest.raises(IntegrityError, match="BadDigest") as caught:
        store.put_locked(
            key,
            b"real bytes",
            length=10,
            sha256_hex=hashlib.sha256(b"other bytes").hexdigest(),
            retain_until=_until(),
            content_type="video/mp2t",
        )
    assert caught.value.reason == "digest_mismatch"
    assert store.list_versions(key) == []


def test_large_object_goes_multipart_and_a_wrong_digest_is_aborted(store: ObjectStore) -> None:
    data = bytes(range(256)) * ((SINGLE_PUT_MAX + 3 * MIB) // 256)
    key = _key()
    with pytest.raises(IntegrityError, match="expected"):
        store.put_locked(
            key,
            io.BytesIO(data),
            length=len(data),
            sha256_hex="0" * 64,
            retain_until=_until(),
            content_type="video/mp2t",
        )
    assert store.list_versions(key) == []

    stored = _put(store, key, data)
    assert store.hash_object(key, version_id=stored.version_id) == (stored.sha256_hex, len(data))
    assert store.get_retention(key, stored.version_id) is not None
    assert store.stat(key, stored.version_id).sha256_hex == stored.sha256_hex


def test_short_stream_is_refused_and_nothing_stored(store: ObjectStore) -> None:
    key = _key()
    with pytest.raises(InvalidInputError, match="before the declared length"):
        store.put_locked(
            key,
            io.BytesIO(b"abc"),
            length=10,
            sha256_hex=hashlib.sha256(b"abc").hexdigest(),
            retain_until=_until(),
            content_type="video/mp2t",
        )
    assert store.list_versions(key) == []


def test_naive_retain_until_is_refused(store: ObjectStore) -> None:
    with pytest.raises(InvalidInputError, match="time zone"):
        store.put_locked(
            _key(),
            b"x",
            length=1,
            sha256_hex=hashlib.sha256(b"x").hexdigest(),
            retain_until=datetime(2030, 1, 1),  # naive on purpose
            content_type="video/mp2t",
        )


def test_overwrite_adds_a_version_and_the_pinned_one_is_unchanged(store: ObjectStore) -> None:
    key = _key()
    first = _put(store, key, b"original recording")
    second = _put(store, key, b"a replacement attempt")
    assert second.version_id != first.version_id

    assert store.read_verified(key, version_id=first.version_id, sha256_hex=first.sha256_hex) == (
        b"original recording"
    )
    versions = store.list_versions(key)
    assert {v.version_id for v in versions} == {first.version_id, second.version_id}
    assert [v.version_id for v in versions if v.is_latest] == [second.version_id]


def test_delete_of_a_locked_version_is_refused(store: ObjectStore) -> None:
    key = _key()
    stored = _put(store, key, b"evidence")
    with pytest.raises(ObjectLockedError, match=r"is locked \(retention or legal hold\)"):
        store.delete_version(key, stored.version_id)
    assert store.read_verified(key, version_id=stored.version_id, sha256_hex=stored.sha256_hex)


def test_delete_marker_does_not_hide_the_pinned_version(
    store: ObjectStore, seaweed_server: SeaweedHandle
) -> None:
    key = _key()
    stored = _put(store, key, b"evidence")
    raw = Minio(
        seaweed_server.server.endpoint,
        access_key=seaweed_server.access_key,
        secret_key=seaweed_server.secret_key,
        secure=False,
    )
    raw.remove_object(seaweed_server.bucket, key)  # no version id: S3 adds a delete marker

    versions = store.list_versions(key)
    assert any(v.is_delete_marker and v.is_latest for v in versions)
    assert store.read_verified(key, version_id=stored.version_id, sha256_hex=stored.sha256_hex) == (
        b"evidence"
    )


def test_extend_retention_never_shortens(store: ObjectStore) -> None:
    key = _key()
    stored = _put(store, key, b"evidence", days=10)
    before = store.get_retention(key, stored.version_id)
    assert before is not None

    assert store.extend_retention(key, stored.version_id, before - timedelta(days=5)) == before
    assert store.get_retention(key, stored.version_id) == before

    later = before + timedelta(days=30, microseconds=1)
    held = store.extend_retention(key, stored.version_id, later)
    assert held >= later
    assert store.get_retention(key, stored.version_id) == held


def test_legal_hold_is_set_read_and_lifted(store: ObjectStore) -> None:
    key = _key()
    stored = _put(store, key, b"evidence")
    assert store.get_legal_hold(key, stored.version_id) is False

    store.set_legal_hold(key, stored.version_id, True)
    assert store.get_legal_hold(key, stored.version_id) is True
    assert store.stat(key, stored.version_id).legal_hold is True

    store.set_legal_hold(key, stored.version_id, False)
    assert store.get_legal_hold(key, stored.version_id) is False


def test_wrong_expected_hash_on_read_raises_at_the_end(store: ObjectStore) -> None:
    data = b"x" * (3 * MIB + 5)
    key = _key()
    stored = _put(store, key, data)
    tampered_pin = hashlib.sha256(b"what the catalog should never hold").hexdigest()

    received = bytearray()
    stream = store.open_verified(key, version_id=stored.version_id, sha256_hex=tampered_pin)
    with stream, pytest.raises(  # noqa: PT012 - raised at the end
            IntegrityError, match=f"hashes to [0-9a-f]{{64}}, expected {tampered_pin}") as caught:
        for chunk in stream:
            received += chunk
    assert caught.value.reason == "hash_mismatch"
    assert bytes(received) == data  # every byte came through: only the final check failed


def test_missing_key_and_version_are_not_found(store: ObjectStore) -> None:
    stored = _put(store, _key(), b"evidence")
    with pytest.raises(NotFoundError, match="NoSuchVersion"):
        store.read_verified(_key(), version_id=stored.version_id, sha256_hex=stored.sha256_hex)
    with pytest.raises(NotFoundError, match=f"@{'f' * 32}: NoSuchVersion"):
        store.hash_object(stored.key, version_id="f" * 32)


def test_hash_objects_parallel_reports_each_item(store: ObjectStore) -> None:
    items = [_put(store, _key(), f"segment {i}".encode()) for i in range(6)]
    pairs = [(s.key, s.version_id) for s in items] + [(_key(), "f" * 32)]

    outcomes = store.hash_objects_parallel(pairs, workers=4)

    assert [o.sha256_hex for o in outcomes[:-1]] == [s.sha256_hex for s in items]
    assert isinstance(outcomes[-1].error, NotFoundError)


def test_ensure_bucket_accepts_the_locked_bucket_and_reports_a_missing_one(
    seaweed_server: SeaweedHandle,
) -> None:
    seaweed_server.store().ensure_bucket()
    with pytest.raises(StoreError, match="bucket not-provisioned is missing") as caught:
        seaweed_server.store(bucket="not-provisioned").ensure_bucket()
    assert caught.value.reason == "bucket_missing"


def test_second_server_runs_beside_and_a_stopped_one_is_unavailable_fast(
    seaweed_server: SeaweedHandle, tmp_path: Path
) -> None:
    other = SeaweedServer(
        data_dir=tmp_path / "other",
        s3_port=find_free_s3_port(),
        access_key="other-app",
        secret_key="other-secret-key",
        buckets=["other-bucket"],
    )
    other.start()
    try:
        assert set(other.ports.values()).isdisjoint(seaweed_server.server.ports.values())
        other_store = ObjectStore(
            endpoint=other.endpoint,
            access_key="other-app",
            secret_key="other-secret-key",
            bucket="other-bucket",
        )
        stored = _put(other_store, "k", b"on the other server")
        assert seaweed_server.store().list_versions("k") == []
    finally:
        other.stop()
    assert other.pid is None

    started = time.monotonic()
    with pytest.raises(StoreUnavailableError, match="object store unreachable"):
        other_store.hash_object("k", version_id=stored.version_id)
    assert time.monotonic() - started < 5


def test_taken_port_fails_at_once(tmp_path: Path) -> None:
    s3_port = find_free_s3_port()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", s3_port + 3))  # one of weed's inner ports
        squatter.listen()
        server = SeaweedServer(
            data_dir=tmp_path / "s3", s3_port=s3_port, access_key="a", secret_key="secret-key"
        )
        started = time.monotonic()
        with pytest.raises(StackError, match=f"port {s3_port + 3} on 127.0.0.1 is taken"):
            server.start()
    assert time.monotonic() - started < 1
    assert server.pid is None
