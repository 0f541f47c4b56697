"""SHA-256 helpers and the segment hash chain, checked against hashlib by hand."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import BinaryIO, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.evidence.digest import (
    CHUNK,
    chain_hash,
    genesis_hash,
    is_sha256_hex,
    sha256_file,
    sha256_stream,
)

# Distinct segments: two equal neighbours could be dropped or swapped without a trace.
SEGMENTS = st.lists(st.binary(min_size=32, max_size=32).map(bytes.hex), min_size=2, max_size=12,
                    unique=True)


def _links(recording_id: str, segments: list[str]) -> list[str]:
    links, prev = [], genesis_hash(recording_id)
    for segment in segments:
        prev = chain_hash(prev, segment)
        links.append(prev)
    return links


def test_genesis_binds_the_chain_to_its_recording() -> None:
    assert genesis_hash("rec-1") == hashlib.sha256(b"aidrec-chain-v1:rec-1").hexdigest()
    assert genesis_hash("rec-1") != genesis_hash("rec-2")
    assert genesis_hash("录像") == hashlib.sha256("aidrec-chain-v1:录像".encode()).hexdigest()


def test_chain_hash_joins_the_raw_bytes_not_the_hex() -> None:
    prev, segment = "ab" * 32, hashlib.sha256(b"segment 0").hexdigest()
    expected = hashlib.sha256(bytes.fromhex(prev) + bytes.fromhex(segment)).hexdigest()
    assert chain_hash(prev, segment) == expected
    assert chain_hash(prev, segment) != hashlib.sha256((prev + segment).encode()).hexdigest()
    assert is_sha256_hex(chain_hash(prev, segment))


@given(segments=SEGMENTS, data=st.data())
def test_dropping_a_segment_changes_every_later_link(segments: list[str],
                                                     data: st.DataObject) -> None:
    at = data.draw(st.integers(0, len(segments) - 1))
    before, after = _links("r", segments), _links("r", segments[:at] + segments[at + 1:])
    assert after[:at] == before[:at]
    # Each later link differs from the link at its place and from the one it moved up from.
    assert all(a != b for a, b in zip(after[at:], before[at:], strict=False))
    assert all(a != b for a, b in zip(after[at:], before[at + 1:], strict=True))


@given(segments=SEGMENTS, data=st.data())
def test_reordering_two_segments_changes_every_later_link(segments: list[str],
                                                          data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(segments) - 2))
    j = data.draw(st.integers(i + 1, len(segments) - 1))
    swapped = list(segments)
    swapped[i], swapped[j] = swapped[j], swapped[i]
    before, after = _links("r", segments), _links("r", swapped)
    assert after[:i] == before[:i]
    assert all(a != b for a, b in zip(after[i:], before[i:], strict=True))


@given(segments=SEGMENTS, data=st.data())
def test_replacing_a_segment_changes_every_later_link(segments: list[str],
                                                      data: st.DataObject) -> None:
    at = data.draw(st.integers(0, len(segments) - 1))
    other = data.draw(st.binary(min_size=32, max_size=32).map(bytes.hex)
                      .filter(lambda h: h != segments[at]))
    replaced = [*segments[:at], other, *segments[at + 1:]]
    before, after = _links("r", segments), _links("r", replaced)
    assert after[:at] == before[:at]
    assert all(a != b for a, b in zip(after[at:], before[at:], strict=True))


@given(segments=SEGMENTS)
def test_another_recording_changes_every_link(segments: list[str]) -> None:
    assert all(a != b for a, b in zip(_links("a", segments), _links("b", segments),
                                      strict=True))


SIZES = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 7]


@pytest.mark.parametrize("size", SIZES)
def test_stream_and_file_digests_around_the_chunk_boundary(size: int, tmp_path: Path) -> None:
    data = bytes(i * 31 % 251 for i in range(size))
    expected = (hashlib.sha256(data).hexdigest(), size)
    assert sha256_stream(io.BytesIO(data)) == expected
    path = tmp_path / "blob"
    path.write_bytes(data)
    assert sha256_file(path) == expected


@given(data=st.binary(max_size=4096))
def test_stream_digest_equals_hashlib(data: bytes) -> None:
    assert sha256_stream(io.BytesIO(data)) == (hashlib.sha256(data).hexdigest(), len(data))


class _Trickle(io.RawIOBase):
    """A stream that returns fewer bytes than asked for, as pipes and sockets do."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data, self._step, self._at = data, step, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        n = self._step if size < 0 else min(size, self._step)
        chunk = self._data[self._at:self._at + n]
        self._at += len(chunk)
        return chunk


def test_stream_digest_reads_short_reads_to_the_end() -> None:
    data = bytes(range(256)) * 40
    trickle = cast(BinaryIO, _Trickle(data, 1000))
    assert sha256_stream(trickle) == (hashlib.sha256(data).hexdigest(), len(data))


@pytest.mark.parametrize(("text", "ok"), [
    ("0" * 64, True), ("0123456789abcdef" * 4, True), (hashlib.sha256(b"").hexdigest(), True),
    ("A" * 64, False), ("0" * 63, False), ("0" * 65, False), ("", False), ("g" * 64, False),
    ("sha256:" + "0" * 64, False), (" " + "0" * 63, False),
    ("0" * 64 + "\n", False),  # `$` alone would match before a final newline
])
def test_is_sha256_hex(text: str, ok: bool) -> None:
    assert is_sha256_hex(text) is ok
