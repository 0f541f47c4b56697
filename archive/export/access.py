"""Exports in the access log: creation and each download are reads of evidence.

Who, what (export id, the package's sha256 and its tag manifest's), when and why go into
one hash-chained access-log entry each; polling a job's progress reads no evidence and is
not logged. The same log is one source of the custody history of the next package
(`access_events`), so a playback or a download made before an export travels with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session as DBSession

from archive.audit import log as audit
from archive.catalog.db import Catalog
from archive.export.parts import AccessEvent

SOURCE = "aidrec-access-log"
# Creation is in the custody history already as the sealed export record.
_SEALED_ELSEWHERE = frozenset({"export"})
_REASON_CHARS = 200


@dataclass(frozen=True)
class Actor:
    """Who reads: a person (their user id and role) or the console operator."""

    user_id: str | None
    role: str
    name: str = ""  # "operator:<login>" for the console
    ip: str = ""
    user_agent: str = ""
    scope_path: str = "/"


@dataclass(frozen=True)
class ExportRead:
    """What one export entry is about."""

    export_id: str
    recording_ids: Sequence[str] = ()
    session_ids: Sequence[str] = ()
    package_sha256: str | None = None
    tagmanifest_sha256: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def log_export(catalog: Catalog, actor: Actor, *, action: str, read: ExportRead,
               reason: str, reason_kind: str | None = None,
               at: datetime | None = None) -> audit.AccessEntry:
    """Append the entry of an export's creation ("export") or download ("download")."""
    recordings = sorted(set(read.recording_ids))
    detail: dict[str, Any] = {
        "export": read.export_id, "recordings": recordings,
        "sessions": sorted(set(read.session_ids)), "reason": reason, **read.extra}
    if read.package_sha256:
        detail["package_sha256"] = read.package_sha256
    if read.tagmanifest_sha256:
        detail["tagmanifest_sha256"] = read.tagmanifest_sha256
    if actor.user_id is None:
        detail["actor"] = actor.name
    return audit.record(catalog, audit.Access(
        action=action, at=at or datetime.now(UTC), user_id=actor.user_id, role=actor.role,
        target_type="export", target_id=read.export_id,
        recording_id=recordings[0] if len(recordings) == 1 else None,
        scope_path=actor.scope_path, reason_kind=reason_kind,
        reason_ref=reason.strip()[:_REASON_CHARS], ip=actor.ip, user_agent=actor.user_agent,
        detail=detail))


def log_verification(catalog: Catalog, actor: Actor, *, recording_id: str,
                     session_id: str | None, outcome: bool) -> audit.AccessEntry:
    """`aidrec verify --session/--recording` re-reads every original: a read of evidence."""
    return audit.record(catalog, audit.Access(
        action="view", at=datetime.now(UTC), user_id=actor.user_id, role=actor.role,
        target_type="verification", target_id=session_id or recording_id,
        recording_id=recording_id, session_id=session_id, scope_path=actor.scope_path,
        reason_kind="routine", reason_ref="verification",
        detail={"actor": actor.name, "originals": "all", "passed": outcome}))


def access_events(db: DBSession, *, recording_ids: Sequence[str]) -> list[AccessEvent]:
    """Reads of these recordings in the access log, oldest first, as custody events."""
    wanted = set(recording_ids)
    if not wanted:
        return []
    entry_ = audit.AccessEntry
    rows = db.scalars(select(entry_).where(
        entry_.outcome == "ok", entry_.action.not_in(_SEALED_ELSEWHERE),
        or_(and_(entry_.action.in_(audit.READ_ACTIONS), entry_.recording_id.in_(wanted)),
            # entries naming their recordings in the detail: many-recording exports, searches
            and_(entry_.recording_id.is_(None), or_(
                and_(entry_.action.in_(audit.READ_ACTIONS), entry_.target_type == "export"),
                entry_.action == "search"))))
        .order_by(entry_.seq))
    events = []
    for entry in rows:
        if entry.target_type == "playback" and entry.action != "download":
            continue  # a playlist or segment request of a playback: its "play" entry counts
        detail = entry.detail or {}
        touched = sorted(wanted.intersection(
            [entry.recording_id] if entry.recording_id else detail.get("recordings", [])))
        if not touched:
            continue
        who = f"user:{entry.user_id}" if entry.user_id else str(detail.get("actor", ""))
        reason = f"{entry.reason_kind}: {entry.reason_ref or ''}".strip(": ") \
            if entry.reason_kind else entry.reason_ref or ""
        events.append(AccessEvent(
            at=entry.at, actor=who, action=entry.action,
            target=f"session {entry.session_id}" if entry.session_id else
            ", ".join(f"recording {r}" for r in touched),
            reason=reason, source=SOURCE,
            detail={"seq": entry.seq, "entry_hash": entry.entry_hash,
                    "target": f"{entry.target_type} {entry.target_id}".strip(),
                    **{k: detail[k] for k in ("range", "seq", "export", "package_sha256",
                                             "tagmanifest_sha256") if k in detail}}))
    return events
