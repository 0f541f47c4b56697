"""The access log: who viewed, played, downloaded, searched or exported what, when and why.

The log is evidence in its own right. Entries are append-only (database triggers refuse
UPDATE and DELETE, see migration 0005) and hash-chained: each entry's hash covers the
previous entry's hash and its own canonical JSON, so removing, reordering or editing one
breaks every later link. Once a day the head (size and last hash) is signed and timestamped
with the archive's signer and logged in the transparency log (archive/audit_seal.py), so
even a rewrite of the whole table after a seal is detected.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    and_,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from archive.access.scope import Scope
from archive.catalog.db import Catalog
from archive.catalog.models import Base
from archive.catalog.types import utcnow
from archive.evidence.canonical import canonical_json, iso
from archive.evidence.errors import InvalidInputError

FORMAT = "aidrec-access-log/1"
GENESIS = hashlib.sha256(FORMAT.encode()).hexdigest()
_PG_LOCK_KEY = 6216005  # serialises appenders (the transparency log uses 6216001)

# What people do; the first group reads evidence (the "who watched" question).
READ_ACTIONS = ("view", "play", "segment", "download", "export", "transcript")
ACTIONS = (*READ_ACTIONS, "search", "review", "note", "complaint", "hold", "login",
           "login_failed", "logout", "admin", "audit")
REASON_KINDS = ("complaint", "inspection", "routine")
OUTCOMES = ("ok", "denied")


class AccessEntry(Base):
    """One access, chained to the one before."""

    __tablename__ = "access_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    user_id: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    target_type: Mapped[str] = mapped_column(String(32), default="")
    target_id: Mapped[str] = mapped_column(String(200), default="")
    recording_id: Mapped[str | None] = mapped_column(String(32))
    session_id: Mapped[str | None] = mapped_column(String(32))
    window_id: Mapped[str | None] = mapped_column(String(64))
    # The jurisdiction path the entry is about: the target's, or the person's own subtree.
    scope_path: Mapped[str] = mapped_column(String(1000), default="/")
    reason_kind: Mapped[str | None] = mapped_column(String(16))
    reason_ref: Mapped[str | None] = mapped_column(String(200))
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    outcome: Mapped[str] = mapped_column(String(16), default="ok")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class AccessLogHead(Base):
    """A signed, timestamped statement of the log's size and last hash (sealed daily)."""

    __tablename__ = "access_log_heads"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    size: Mapped[int] = mapped_column(Integer, index=True)
    head_hash: Mapped[str] = mapped_column(String(64))
    document_sha256: Mapped[str] = mapped_column(String(64))
    objects: Mapped[dict[str, Any]] = mapped_column(JSON)
    log_index: Mapped[int] = mapped_column(Integer)
    tree_head_id: Mapped[int] = mapped_column(ForeignKey("tree_heads.id"))
    timestamp_at: Mapped[datetime]
    sealed_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")


Index("ix_access_log_user_at", AccessEntry.user_id, AccessEntry.at)
Index("ix_access_log_session", AccessEntry.session_id)
Index("ix_access_log_recording", AccessEntry.recording_id)
Index("ix_access_log_at", AccessEntry.at)


@dataclass(frozen=True)
class Access:
    """What happened, before it is numbered and chained."""

    action: str
    at: datetime
    user_id: str | None = None
    role: str | None = None
    target_type: str = ""
    target_id: str = ""
    recording_id: str | None = None
    session_id: str | None = None
    window_id: str | None = None
    scope_path: str = "/"
    reason_kind: str | None = None
    reason_ref: str | None = None
    ip: str = ""
    user_agent: str = ""
    outcome: str = "ok"
    detail: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> None:
        """Raises:
            InvalidInputError: unknown action, reason kind or outcome, or a naive time.
        """
        if self.action not in ACTIONS:
            raise InvalidInputError(f"got action {self.action!r}, expected one of "
                                    f"{', '.join(ACTIONS)}", reason="bad_action")
        if self.reason_kind is not None and self.reason_kind not in REASON_KINDS:
            raise InvalidInputError(f"got reason kind {self.reason_kind!r}, expected one of "
                                    f"{', '.join(REASON_KINDS)}", reason="bad_reason")
        if self.outcome not in OUTCOMES:
            raise InvalidInputError(f"got outcome {self.outcome!r}", reason="bad_outcome")
        if self.at.tzinfo is None:
            raise InvalidInputError("access time must be aware", reason="naive_time")


def entry_payload(seq: int, access: Access | AccessEntry) -> dict[str, Any]:
    """The fields an entry's hash covers, in canonical form."""
    return {
        "format": FORMAT, "seq": seq, "at": iso(access.at), "user_id": access.user_id,
        "role": access.role, "action": access.action, "target_type": access.target_type,
        "target_id": access.target_id, "recording_id": access.recording_id,
        "session_id": access.session_id, "window_id": access.window_id,
        "scope_path": access.scope_path, "reason_kind": access.reason_kind,
        "reason_ref": access.reason_ref, "ip": access.ip, "user_agent": access.user_agent,
        "outcome": access.outcome, "detail": access.detail,
    }


def chain_entry(prev_hash: str, payload: dict[str, Any]) -> str:
    """sha256(previous hash bytes || canonical JSON of the entry)."""
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical_json(payload)).hexdigest()


def _clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def append(db: Session, access: Access) -> AccessEntry:
    """Number, chain and add one entry inside the caller's write transaction.

    Appenders are serialised (an advisory lock on PostgreSQL; SQLite's writer already holds
    the database lock), so the chain has exactly one successor per entry.

    Raises:
        InvalidInputError: the access is malformed (nothing is written).
    """
    access.validate()
    access = Access(**{**access.__dict__, "ip": _clip(access.ip, 64),
                       "user_agent": _clip(access.user_agent, 300),
                       "target_id": _clip(access.target_id, 200),
                       "reason_ref": _clip(access.reason_ref, 200) if access.reason_ref else
                       access.reason_ref})
    if db.get_bind().dialect.name != "sqlite":
        db.execute(text(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})"))
    last = db.execute(select(AccessEntry.seq, AccessEntry.entry_hash)
                      .order_by(AccessEntry.seq.desc()).limit(1)).first()
    seq, prev = (int(last[0]) + 1, str(last[1])) if last else (1, GENESIS)
    # Round-trip the detail through canonical JSON so what is stored is what was hashed.
    payload = entry_payload(seq, access)
    entry = AccessEntry(seq=seq, prev_hash=prev, entry_hash=chain_entry(prev, payload),
                        **{k: getattr(access, k) for k in (
                            "at", "user_id", "role", "action", "target_type", "target_id",
                            "recording_id", "session_id", "window_id", "scope_path",
                            "reason_kind", "reason_ref", "ip", "user_agent", "outcome",
                            "detail")})
    db.add(entry)
    db.flush()
    return entry


def record(catalog: Catalog, access: Access) -> AccessEntry:
    """Append one entry in its own transaction (reads are logged this way)."""
    with catalog.write() as db:
        return append(db, access)


@dataclass(frozen=True)
class EntryFilter:
    scope_path: str  # only entries about this subtree
    user_id: str | None = None
    action: str | None = None
    session_id: str | None = None
    recording_id: str | None = None
    reason_ref: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_seq: int | None = None  # keyset paging, newest first


def list_entries(db: Session, *, where: EntryFilter, limit: int = 100) -> list[AccessEntry]:
    """Entries matching every given field, newest first."""
    query = select(AccessEntry).where(Scope(where.scope_path).on_path(AccessEntry.scope_path))
    for column, value in ((AccessEntry.user_id, where.user_id),
                          (AccessEntry.action, where.action),
                          (AccessEntry.session_id, where.session_id),
                          (AccessEntry.recording_id, where.recording_id),
                          (AccessEntry.reason_ref, where.reason_ref)):
        if value:
            query = query.where(column == value)
    if where.since:
        query = query.where(AccessEntry.at >= where.since)
    if where.until:
        query = query.where(AccessEntry.at < where.until)
    if where.before_seq:
        query = query.where(AccessEntry.seq < where.before_seq)
    return list(db.scalars(query.order_by(AccessEntry.seq.desc()).limit(limit)))


@dataclass(frozen=True)
class Viewer:
    user_id: str
    role: str | None
    first_at: datetime
    last_at: datetime
    requests: int
    actions: tuple[str, ...]
    reasons: tuple[str, ...]  # "kind:ref"


def viewers(db: Session, *, session_id: str | None = None, recording_id: str | None = None,
            during: tuple[datetime, datetime] | None = None) -> list[Viewer]:
    """Who viewed, played or downloaded a session (or any part of a recording).

    With a session, its recording and its time range (`during`), reads of the recording not
    made through the session count too when they cover it: a range playback overlapping the
    range, an export naming the session, or a read of the whole recording.
    """
    if session_id is None and recording_id is None:
        raise InvalidInputError("name a session or a recording", reason="no_target")
    conditions = [AccessEntry.action.in_(READ_ACTIONS), AccessEntry.outcome == "ok",
                  AccessEntry.user_id.is_not(None)]
    targets = []
    if session_id is not None:
        targets.append(AccessEntry.session_id == session_id)
    if recording_id is not None:
        targets.append(AccessEntry.recording_id == recording_id if session_id is None else
                       and_(AccessEntry.session_id.is_(None),
                            or_(AccessEntry.recording_id == recording_id,
                                AccessEntry.recording_id.is_(None))))
    conditions.append(or_(*targets))
    rows = db.scalars(select(AccessEntry).where(*conditions).order_by(AccessEntry.seq))
    grouped: dict[str, dict[str, Any]] = {}
    for e in rows:
        if session_id is not None and e.session_id != session_id and not covers(
                e, session_id=session_id, recording_id=recording_id, during=during):
            continue
        at, kind, ref = e.at, e.reason_kind, e.reason_ref
        item = grouped.setdefault(str(e.user_id), {"role": e.role, "first": at, "last": at,
                                                   "n": 0, "actions": [], "reasons": []})
        item["last"], item["n"] = at, item["n"] + 1
        if e.action not in item["actions"]:
            item["actions"].append(e.action)
        reason = f"{kind}:{ref or ''}" if kind else None
        if reason and reason not in item["reasons"]:
            item["reasons"].append(reason)
    return [Viewer(user_id=u, role=i["role"], first_at=i["first"], last_at=i["last"],
                   requests=i["n"], actions=tuple(i["actions"]), reasons=tuple(i["reasons"]))
            for u, i in grouped.items()]


def covers(entry: AccessEntry, *, session_id: str, recording_id: str | None,
           during: tuple[datetime, datetime] | None) -> bool:
    """Whether a read logged without this session's id still read some of it."""
    detail = entry.detail or {}
    if entry.session_id == session_id or session_id in detail.get("sessions", ()):
        return True
    if entry.session_id is not None or recording_id is None or (
            entry.recording_id != recording_id and
            recording_id not in detail.get("recordings", ())):
        return False
    if detail.get("sessions"):
        return False  # it named the sessions it read, and not this one
    span = detail.get("range")
    if not span or during is None:
        return True  # the recording as a whole
    start, end = (datetime.fromisoformat(str(t).replace("Z", "+00:00")) for t in span)
    return start <= during[1] and during[0] <= end


def range_detail(start: datetime, end: datetime) -> dict[str, list[str | None]]:
    """The `range` a read of part of a recording logs, so `viewers` can place it."""
    return {"range": [iso(start), iso(end)]}


def head(db: Session) -> tuple[int, str]:
    """Size and last hash of the log (0 and the genesis hash when empty)."""
    last = db.execute(select(AccessEntry.seq, AccessEntry.entry_hash)
                      .order_by(AccessEntry.seq.desc()).limit(1)).first()
    return (int(last[0]), str(last[1])) if last else (0, GENESIS)


def count(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(AccessEntry)) or 0)


def iter_entries(db: Session, *, batch: int = 5000) -> Iterator[AccessEntry]:
    """Every entry in chain order, read in batches."""
    after = 0
    while True:
        rows: Sequence[AccessEntry] = db.scalars(
            select(AccessEntry).where(AccessEntry.seq > after).order_by(AccessEntry.seq)
            .limit(batch)).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq
        db.expunge_all()
