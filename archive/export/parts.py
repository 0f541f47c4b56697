"""What sibling packages contribute to an export, found by entry point: sealed documents
(transcripts, ...) and access-log events. `archive` never imports them.

Sources return `archive.verify.documents.SealedDocument`s, the description every check of a
sealed document uses.

A document source is registered under `aidrec.export_parts`, for example in transcribe's
pyproject section: `transcribe = "transcribe.export:sealed_transcripts"`; an access-log source
under `aidrec.access_log`. Both are called inside a catalog read transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import entry_points
from typing import Any, Protocol

from sqlalchemy.orm import Session as DBSession

from archive.export.offline.layout import Interval
from archive.verify.documents import SealedDocument

logger = logging.getLogger(__name__)

DOCUMENT_SOURCES = "aidrec.export_parts"
ACCESS_LOG_SOURCES = "aidrec.access_log"


class DocumentSource(Protocol):
    """Sealed documents about one recording worth exporting with the selected intervals."""

    def __call__(self, db: DBSession, *, recording_id: str,
                 intervals: Sequence[Interval]) -> list[SealedDocument]: ...


@dataclass(frozen=True)
class AccessEvent:
    """One access to exported material: a view, download or export, with its reason."""

    at: datetime
    actor: str
    action: str  # "export", "view", "download", ...
    target: str  # what was accessed, e.g. "recording <id>" or "session <id>"
    reason: str
    source: str  # who keeps this record: "aidrec-log" (sealed export records) or a package
    detail: Mapping[str, Any] = field(default_factory=dict)


class AccessLogSource(Protocol):
    """Access events touching any of these recordings, oldest first."""

    def __call__(self, db: DBSession, *,
                 recording_ids: Sequence[str]) -> list[AccessEvent]: ...


def load_document_sources() -> dict[str, DocumentSource]:
    return {ep.name: ep.load() for ep in entry_points(group=DOCUMENT_SOURCES)}


def load_access_log_sources() -> dict[str, AccessLogSource]:
    return {ep.name: ep.load() for ep in entry_points(group=ACCESS_LOG_SOURCES)}
