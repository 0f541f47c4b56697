"""Where everything lives inside an evidence package, and what an export request selects."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from archive.evidence.canonical import iso
from archive.evidence.errors import InvalidInputError

PACKAGE_FORMAT = "aidrec-package/1"
EXPORT_RECORD_FORMAT = "aidrec-export-record/1"
ACCESS_LOG_FORMAT = "aidrec-access-log-extract/1"

BAGIT_VERSION = "1.0"
BAG_ALGORITHMS = ("sha256", "sha512")

# Tag files at the bag root (outside data/).
README = "README.txt"
TAGMANIFEST = "tagmanifest-sha256.txt"
# The archive's signature and an RFC 3161 token over the tag manifest, which pins every other
# file through the manifests. They are tag files that no tag manifest lists (they can't list
# what signs them).
PACKAGE_SIGNATURE = f"{TAGMANIFEST}.p7s"
PACKAGE_TIMESTAMP = f"{TAGMANIFEST}.tsr"

# Payload files (under data/).
INDEX = "data/package.json"
REPORT = "data/chain-of-custody.pdf"
ACCESS_LOG = "data/access-log.json"
TRUST_ROOTS = "data/trust/root.pem"
TRUST_CRLS = "data/trust/crls"
EXPORT_DIR = "data/export"

MAX_REASON = 2000
_SAFE_PATH = re.compile(r"[A-Za-z0-9._/-]{1,400}")
_SAFE_NAME = re.compile(r"[A-Za-z0-9._-]{1,120}")


def recording_dir(recording_id: str) -> str:
    return f"data/recordings/{safe_name(recording_id)}"


def segment_path(recording_id: str, seq: int, key: str) -> str:
    """The segment keeps the extension of its stored object (`.ts`, `.wav`, ...)."""
    suffix = key.rsplit(".", 1)[-1] if "." in key.rsplit("/", 1)[-1] else "bin"
    return f"{recording_dir(recording_id)}/segments/{seq:06d}.{safe_name(suffix)}"


def head_dir(size: int) -> str:
    return f"data/log/heads/{size:012d}"


def document_dir(recording_id: str | None, kind: str, ref: str) -> str:
    leaf = safe_name(ref.replace("/", "-"))
    if recording_id is None:
        return f"data/documents/{safe_name(kind)}/{leaf}"
    return f"{recording_dir(recording_id)}/documents/{safe_name(kind)}/{leaf}"


def safe_name(name: str) -> str:
    """A file name component: letters, digits, dot, dash and underscore only.

    Raises:
        InvalidInputError: anything else (a package never holds names it must escape).
    """
    if not _SAFE_NAME.fullmatch(name) or name in (".", ".."):
        raise InvalidInputError(f"got file name {name!r}, expected [A-Za-z0-9._-]",
                                reason="bad_name")
    return name


def check_path(path: str) -> str:
    """A relative bag path of safe components."""
    parts = path.split("/")
    if not _SAFE_PATH.fullmatch(path) or any(p in ("", ".", "..") for p in parts):
        raise InvalidInputError(f"got bag path {path!r}, expected safe relative components",
                                reason="bad_path")
    return path


@dataclass(frozen=True)
class Interval:
    """A half-open time range; `end` None means open-ended (a session still running)."""

    start: datetime
    end: datetime | None

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Whether [start, end) shares any time with this interval."""
        if end <= self.start:
            return False
        return self.end is None or start < self.end

    def as_dict(self) -> dict[str, Any]:
        return {"from": iso(self.start), "to": iso(self.end)}


@dataclass(frozen=True)
class Selection:
    """What to export: a case, sessions, or a window's time range (exactly one)."""

    case: str | None = None  # case number (or case id)
    session_ids: tuple[str, ...] = ()
    window_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def validate(self) -> None:
        """Raises:
            InvalidInputError: not exactly one mode, or a bad time range.
        """
        modes = [self.case is not None, bool(self.session_ids),
                 self.window_id is not None]
        if sum(modes) != 1:
            raise InvalidInputError(
                "give exactly one of a case, session ids, or a window with a time range",
                reason="bad_selection")
        if self.case is not None and not self.case.strip():
            raise InvalidInputError("the case number is empty", reason="bad_selection")
        if len(set(self.session_ids)) != len(self.session_ids):
            raise InvalidInputError("a session id is given twice", reason="bad_selection")
        if self.window_id is None:
            if self.since is not None or self.until is not None:
                raise InvalidInputError("a time range needs a window", reason="bad_selection")
            return
        if self.since is None or self.until is None:
            raise InvalidInputError("a window export needs both --from and --to",
                                    reason="bad_selection")
        for moment in (self.since, self.until):
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise InvalidInputError(
                    f"time {moment.isoformat()} has no UTC offset, expected e.g. "
                    "2026-11-02T09:00:00+08:00", reason="naive_time")
        if self.until <= self.since:
            raise InvalidInputError(
                f"empty time range: {self.since.isoformat()} to {self.until.isoformat()}",
                reason="empty_range")

    def as_dict(self) -> dict[str, Any]:
        if self.case is not None:
            return {"case": self.case.strip()}
        if self.session_ids:
            return {"sessions": list(self.session_ids)}
        return {"window": self.window_id, "from": iso(self.since), "to": iso(self.until)}


@dataclass(frozen=True)
class ExportRequest:
    """A selection, why it is exported, and who asks (recorded in the package and the log)."""

    selection: Selection
    reason: str
    actor: str  # "user:alice", "operator:root", "operator:root for user:alice"
    actor_name: str = ""
    actor_role: str = ""

    def validate(self) -> None:
        """Raises:
            InvalidInputError: bad selection, or a missing or overlong reason.
        """
        self.selection.validate()
        if not self.reason.strip():
            raise InvalidInputError("an export needs a reason (--reason)", reason="no_reason")
        if len(self.reason) > MAX_REASON:
            raise InvalidInputError(f"the reason is longer than {MAX_REASON} characters",
                                    reason="bad_reason")
