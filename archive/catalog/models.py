"""Catalog entities: jurisdictions, windows, devices, recordings, segments, seals and the log."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.schema import UniqueConstraint

from archive.catalog.types import UtcDateTime, utcnow
from archive.evidence.vocabulary import (
    GapCause,
    JurisdictionLevel,
    RecordingOrigin,
    RecordingState,
    Role,
    SealState,
    Stage,
    WindowKind,
)


def new_id() -> str:
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime(),
                                                     dict[str, Any]: JSON()}


def _enum(cls: type[enum.Enum]) -> SAEnum:
    return SAEnum(cls, native_enum=False, length=32, validate_strings=True,
                  values_callable=lambda e: [m.value for m in e])


class Jurisdiction(Base):
    __tablename__ = "jurisdictions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("jurisdictions.id"))
    level: Mapped[JurisdictionLevel] = mapped_column(_enum(JurisdictionLevel))
    name: Mapped[str] = mapped_column(String(200))
    # Materialised path "/root/child/.../self/" so a subtree is one prefix query.
    path: Mapped[str] = mapped_column(String(1000), index=True)


class Window(Base):
    __tablename__ = "windows"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    jurisdiction_id: Mapped[str] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[WindowKind] = mapped_column(_enum(WindowKind), default=WindowKind.WINDOW)
    language: Mapped[str | None] = mapped_column(String(16))


class Camera(Base):
    __tablename__ = "cameras"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_id: Mapped[str] = mapped_column(ForeignKey("windows.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(500))


class Device(Base):
    """A recorder agent; it authenticates with a bearer token stored only as a hash."""

    __tablename__ = "devices"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    jurisdiction_id: Mapped[str] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    # The token's idle clock: it runs from the later of the two (archive.device_token_idle_days).
    token_issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]  # recorded at most hourly, not on every request
    last_heartbeat_at: Mapped[datetime | None]
    last_status: Mapped[dict[str, Any] | None]


class Staff(Base):
    __tablename__ = "staff"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    jurisdiction_id: Mapped[str] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))


class Case(Base):
    """A case number is unique within the jurisdiction that registered it, not across them."""

    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("jurisdiction_id", "number",
                                       name="uq_cases_jurisdiction_number"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(100), index=True)
    jurisdiction_id: Mapped[str | None] = mapped_column(ForeignKey("jurisdictions.id"))
    case_type: Mapped[str | None] = mapped_column(String(64))
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[datetime | None]


class Recording(Base):
    __tablename__ = "recordings"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    window_id: Mapped[str] = mapped_column(ForeignKey("windows.id"), index=True)
    camera_id: Mapped[str | None] = mapped_column(ForeignKey("cameras.id"))
    device_id: Mapped[str | None] = mapped_column(ForeignKey("devices.id"))
    origin: Mapped[RecordingOrigin] = mapped_column(_enum(RecordingOrigin))
    state: Mapped[RecordingState] = mapped_column(
        _enum(RecordingState), default=RecordingState.OPEN
    )
    seal_state: Mapped[SealState] = mapped_column(_enum(SealState), default=SealState.UNSEALED)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    segment_count: Mapped[int] = mapped_column(Integer, default=0)
    chain_head: Mapped[str] = mapped_column(String(64))
    total_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    last_sealed_at: Mapped[datetime | None]
    # Bumped by every change a seal must cover; a seal records the revision it covered.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    sealed_revision: Mapped[int] = mapped_column(Integer, default=0)
    retain_until: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    segments: Mapped[list[Segment]] = relationship(
        back_populates="recording", order_by="Segment.seq", lazy="raise"
    )


class Segment(Base):
    __tablename__ = "segments"
    __table_args__ = (UniqueConstraint("recording_id", "seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]
    duration_ms: Mapped[int] = mapped_column(BigInteger)
    partial: Mapped[bool] = mapped_column(default=False)
    prev_hash: Mapped[str] = mapped_column(String(64))
    chain_hash: Mapped[str] = mapped_column(String(64))
    object_key: Mapped[str] = mapped_column(String(500))
    version_id: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    recording: Mapped[Recording] = relationship(back_populates="segments", lazy="raise")


class Gap(Base):
    __tablename__ = "gaps"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"), index=True)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]
    cause: Mapped[GapCause] = mapped_column(_enum(GapCause))
    detail: Mapped[str] = mapped_column(Text, default="")
    person: Mapped[str | None] = mapped_column(String(200))
    reported_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Session(Base):
    """A reception or interview (接待/会见): a time range on one window's recording."""

    __tablename__ = "sessions"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"), index=True)
    window_id: Mapped[str] = mapped_column(ForeignKey("windows.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None]
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"), index=True)
    stage: Mapped[Stage | None] = mapped_column(_enum(Stage))
    staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), index=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Marker(Base):
    __tablename__ = "markers"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"), index=True)
    at: Mapped[datetime]
    label: Mapped[str] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(64))


class Seal(Base):
    """One signed, timestamped manifest of a recording, stored under lock."""

    __tablename__ = "seals"
    __table_args__ = (UniqueConstraint("recording_id", "number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)
    segment_count: Mapped[int] = mapped_column(Integer)
    chain_head: Mapped[str] = mapped_column(String(64))
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    objects: Mapped[dict[str, Any]]  # name -> {"key", "version_id", "sha256", "size"}
    timestamp_at: Mapped[datetime]
    log_index: Mapped[int] = mapped_column(Integer)
    tree_head_id: Mapped[int] = mapped_column(ForeignKey("tree_heads.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LogLeaf(Base):
    """An entry of the append-only Merkle transparency log (RFC 6962 hashing)."""

    __tablename__ = "log_leaves"
    index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    ref: Mapped[str] = mapped_column(String(200), index=True)
    entry: Mapped[bytes] = mapped_column(LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TreeHead(Base):
    """A signed, timestamped statement of the log's size and root."""

    __tablename__ = "tree_heads"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    size: Mapped[int] = mapped_column(Integer, index=True)
    root: Mapped[str] = mapped_column(String(64))
    objects: Mapped[dict[str, Any]]
    timestamp_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_segments_recording_seq", Segment.recording_id, Segment.seq)
Index("ix_sessions_case_stage", Session.case_id, Session.stage)


class User(Base):
    """A person, scoped to a jurisdiction subtree."""

    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_enum(Role))
    jurisdiction_id: Mapped[str] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None]
    # Since when the person holds this role at this place: a two-person approval counts only
    # from someone who has for a while (archive/access/approvals.py).
    role_since: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    """A bearer token for scripts acting as a person; stored only as a hash."""

    __tablename__ = "api_tokens"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]  # migration 0011 gave old ones 90 days
