"""SHA-256 digests and the segment hash chain that links a recording's segments."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from archive.evidence.errors import InvalidInputError

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1024 * 1024
GENESIS_PREFIX = b"aidrec-chain-v1:"


@dataclass(frozen=True)
class Digest:
    """A SHA-256 digest, printed as `sha256:<hex>`."""

    hex: str

    def __post_init__(self) -> None:
        if not _HEX64.match(self.hex):
            raise InvalidInputError(
                f"got {self.hex!r}, expected 64 lowercase hex digits", reason="bad_digest"
            )

    @classmethod
    def parse(cls, text: str) -> Digest:
        value = text.strip().lower()
        return cls(value.removeprefix("sha256:"))

    @classmethod
    def of_bytes(cls, data: bytes) -> Digest:
        return cls(hashlib.sha256(data).hexdigest())

    @property
    def raw(self) -> bytes:
        return bytes.fromhex(self.hex)

    def __str__(self) -> str:
        return f"sha256:{self.hex}"


def sha256_file(path: Path) -> tuple[str, int]:
    """Hex SHA-256 and size of a file, read in 1 MiB chunks."""
    with path.open("rb") as handle:
        return sha256_stream(handle)


def sha256_stream(handle: BinaryIO) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    while chunk := handle.read(CHUNK):
        h.update(chunk)
        size += len(chunk)
    return h.hexdigest(), size


def sha256_chunks(chunks: Iterable[bytes]) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    for chunk in chunks:
        h.update(chunk)
        size += len(chunk)
    return h.hexdigest(), size


def genesis_hash(recording_id: str) -> str:
    """The `prev_hash` of segment 0: binds the chain to its recording."""
    return hashlib.sha256(GENESIS_PREFIX + recording_id.encode()).hexdigest()


def chain_hash(prev_hash: str, segment_sha256: str) -> str:
    """Link hash of a segment: sha256(prev link || segment sha256), both as raw bytes.

    Dropping, reordering or replacing any segment changes every later link.
    """
    return hashlib.sha256(bytes.fromhex(prev_hash) + bytes.fromhex(segment_sha256)).hexdigest()


def is_sha256_hex(text: str) -> bool:
    return bool(_HEX64.match(text))
