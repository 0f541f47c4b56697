"""SHA-256 digests and the segment hash chain that links a recording's segments."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import BinaryIO

_HEX64 = re.compile(r"[0-9a-f]{64}")  # used with fullmatch: no newline slips past
CHUNK = 1024 * 1024
GENESIS_PREFIX = b"aidrec-chain-v1:"


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


def genesis_hash(recording_id: str) -> str:
    """The `prev_hash` of segment 0: binds the chain to its recording."""
    return hashlib.sha256(GENESIS_PREFIX + recording_id.encode()).hexdigest()


def chain_hash(prev_hash: str, segment_sha256: str) -> str:
    """Link hash of a segment: sha256(prev link || segment sha256), both as raw bytes.

    Dropping, reordering or replacing any segment changes every later link.
    """
    return hashlib.sha256(bytes.fromhex(prev_hash) + bytes.fromhex(segment_sha256)).hexdigest()


def is_sha256_hex(text: str) -> bool:
    return bool(_HEX64.fullmatch(text))
