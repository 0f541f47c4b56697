"""Read-ahead of stored segments: order kept, digests computed, failures and early stops."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import closing
from types import TracebackType
from typing import cast

import pytest

from archive.evidence.errors import IntegrityError
from archive.export.stream import StoredRef, prefetched
from archive.store.objects import ObjectStore


class _Stream:
    def __init__(self, data: bytes, sha256: str, gate: threading.Event | None) -> None:
        self.data, self.sha256, self.gate = data, sha256, gate

    def __iter__(self) -> Iterator[bytes]:
        for i in range(0, len(self.data), 1000):
            if self.gate is not None:
                self.gate.wait(5)
            yield self.data[i:i + 1000]
        if hashlib.sha256(self.data).hexdigest() != self.sha256:
            raise IntegrityError("hash mismatch", reason="hash_mismatch")

    def __enter__(self) -> _Stream:
        return self

    def __exit__(self, *args: type[BaseException] | BaseException | TracebackType | None) -> None:
        return None


class FakeStore:
    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = objects
        self.opened: list[str] = []

    def open_verified(self, key: str, *, version_id: str, sha256_hex: str,
                      chunk_size: int) -> _Stream:
        self.opened.append(key)
        return _Stream(self.objects[key], sha256_hex, None)


def _refs(objects: dict[str, bytes]) -> list[StoredRef]:
    return [StoredRef(k, "v1", hashlib.sha256(v).hexdigest(), len(v)) for k, v in objects.items()]


def test_chunks_arrive_in_order_with_their_sha512() -> None:
    objects = {f"k{i}": bytes([i]) * (2500 + i) for i in range(6)}
    store = cast(ObjectStore, FakeStore(objects))
    seen = []
    for ref, chunks in prefetched(store, _refs(objects), depth=2, queued_chunks=2):
        data = b"".join(chunks)
        assert data == objects[ref.key]
        assert chunks.sha512 == hashlib.sha512(data).hexdigest()
        assert chunks.size == len(data)
        seen.append(ref.key)
    assert seen == list(objects)


def test_a_version_that_does_not_hash_as_pinned_raises_after_its_bytes() -> None:
    objects = {"good": b"a" * 3000, "bad": b"b" * 3000}
    refs = _refs(objects)
    refs[1] = StoredRef("bad", "v1", "00" * 32, 3000)
    store = cast(ObjectStore, FakeStore(objects))
    with closing(prefetched(store, refs)) as stream:
        _, first = next(stream)
        assert b"".join(first) == objects["good"]
        _, second = next(stream)
        with pytest.raises(IntegrityError, match="hash mismatch"):
            b"".join(second)


def test_stopping_early_releases_the_readers() -> None:
    objects = {f"k{i}": b"x" * 50_000 for i in range(5)}
    store = FakeStore(objects)
    before = set(threading.enumerate())
    stream = prefetched(cast(ObjectStore, store), _refs(objects), depth=2, queued_chunks=1)
    _, chunks = next(stream)
    next(iter(chunks))
    stream.close()  # returns once the blocked readers gave up
    assert len(store.opened) <= 3
    assert not [t for t in set(threading.enumerate()) - before
                if t.name.startswith("prefetch")]


