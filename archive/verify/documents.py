"""A sealed document as the catalog keeps it: a transcript, a disposal certificate, a log head.

`RecordingVerifier.verify_document` is the one check of such a document, and export packages
carry them (`archive.export.parts`); this module holds only the description, so that disposal
records and export sources can name a document without importing the verifier.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from archive.evidence.log_entries import document_log_entry


@dataclass(frozen=True)
class SealedDocument:
    """Derived evidence sealed with `Sealer.seal_document`: `<name>.json` signed as `<name>.p7s`.

    `objects` maps file names to stored versions ({"key", "version_id", "sha256", "size"}), as
    `DocumentSeal.objects` does; files other than the signed JSON, its signature, token and
    trust snapshots (e.g. `transcript.vtt`) are exported too and checked against the JSON's
    `files` section ({"name": {"sha256", "size"}}) when it has one.
    """

    kind: str  # of the document and of its log entry: "transcript", "disposal", "access_log"
    ref: str  # the log entry's ref, e.g. "<recording>/transcript/2"
    name: str  # "transcript", "certificate", "head"
    sha256: str  # what the catalog says `<name>.json` hashes to; its log entry names it
    objects: Mapping[str, Mapping[str, Any]]
    log_index: int
    tree_head_id: int
    recording_id: str | None = None
    title: str = ""  # shown in an export's report, e.g. "转写稿 第2版 (machine)"

    @property
    def log_entry(self) -> bytes:
        return document_log_entry(self.kind, self.ref, self.sha256)
