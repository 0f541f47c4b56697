"""Entries of the transparency log: canonical JSON naming what is logged."""

from __future__ import annotations

from typing import Any

from archive.evidence.canonical import canonical_json


def log_entry_bytes(kind: str, **fields: Any) -> bytes:
    """Bytes of a transparency-log entry: canonical JSON naming what is logged."""
    return canonical_json({"kind": kind, **fields})


def document_log_entry(kind: str, ref: str, sha256: str) -> bytes:
    """The entry of a sealed document (transcript, certificate, export record, audit head)."""
    return log_entry_bytes(kind, ref=ref, sha256=sha256)
