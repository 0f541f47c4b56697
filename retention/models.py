"""Catalog tables of retention: rules, per-recording state, legal holds, disposal batches.

Disposal certificates and disposed objects are archive tables (archive/disposal.py) because
verification reads them. Nothing here is ever deleted: rules are retired, holds released,
batches cancelled, each with who, when and why.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.schema import UniqueConstraint

from archive.catalog.models import Base, new_id
from archive.catalog.types import utcnow
from archive.evidence.vocabulary import Stage


def _enum(cls: type[enum.Enum]) -> SAEnum:
    # As the archive's: values stored as short strings, checked in Python, no native type.
    return SAEnum(cls, native_enum=False, length=32, validate_strings=True,
                  values_callable=lambda e: [m.value for m in e])


class RuleCategory(enum.StrEnum):
    """What a retention rule applies to."""

    NO_SESSION = "no_session"  # recordings with no session (walk-by footage, idle hours)
    SESSION = "session"  # sessions not linked to a case, by stage
    CASE = "case"  # sessions linked to a case, by case type and stage; counted from archiving
    FLAGGED = "flagged"  # sessions with a flag (transcript phrase, missing notice, supervisor)
    IMPORT = "import"  # imported recordings; counted from the import


class HoldKind(enum.StrEnum):
    COMPLAINT = "complaint"  # 投诉
    INSPECTION = "inspection"  # 纪检监察
    COURT = "court"  # a court's or prosecutor's request


class HoldItemStatus(enum.StrEnum):
    ACTIVE = "active"  # the hold protects this recording
    DISPOSED = "disposed"  # disposed (certificate issued) before the hold was placed


class StoreSync(enum.StrEnum):
    """Whether the S3 legal hold of a hold item's objects matches the catalog."""

    PENDING = "pending"
    ON = "on"
    OFF = "off"


class BatchState(enum.StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    DONE = "done"
    CANCELLED = "cancelled"


class ItemState(enum.StrEnum):
    PENDING = "pending"  # approved, nothing done yet
    CERTIFYING = "certifying"  # certificate bytes frozen; sealing it
    CERTIFIED = "certified"  # certificate sealed and recorded; deleting the objects
    DONE = "done"  # every object deleted
    SKIPPED = "skipped"  # not disposed (held, no longer due, ...): see skip_reason


class RetentionRule(Base):
    """One retention rule; edits retire the old row and add a new one."""

    __tablename__ = "retention_rules"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    category: Mapped[RuleCategory] = mapped_column(_enum(RuleCategory))
    case_type: Mapped[str | None] = mapped_column(String(64))  # None: any
    stage: Mapped[Stage | None] = mapped_column(_enum(Stage))  # None: any
    years: Mapped[int] = mapped_column(Integer, default=0)
    days: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]
    retired_by: Mapped[str | None] = mapped_column(String(64))
    retire_reason: Mapped[str | None] = mapped_column(Text)


class RecordingRetention(Base):
    """What retention last decided and applied for one recording."""

    __tablename__ = "recording_retention"
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"), primary_key=True)
    retain_until: Mapped[datetime]  # the lock date the catalog holds (never lowered)
    locks_until: Mapped[datetime | None]  # confirmed on every object in the store
    locks_checked_at: Mapped[datetime | None]
    rule: Mapped[str] = mapped_column(String(200), default="")
    open_ended: Mapped[bool] = mapped_column(default=False)
    decided_at: Mapped[datetime]
    decided_revision: Mapped[int] = mapped_column(Integer, default=0)
    disposing_certificate: Mapped[str | None] = mapped_column(String(32))
    disposed_at: Mapped[datetime | None]


class LegalHold(Base):
    """A complaint's, an inspection's or a court's hold on recordings."""

    __tablename__ = "legal_holds"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[HoldKind] = mapped_column(_enum(HoldKind))
    reference: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    scope_path: Mapped[str] = mapped_column(String(1000))  # the placer's subtree
    placed_by: Mapped[str] = mapped_column(String(64))
    placed_at: Mapped[datetime]
    released_by: Mapped[str | None] = mapped_column(String(64))
    released_at: Mapped[datetime | None]
    release_reason: Mapped[str | None] = mapped_column(Text)


class LegalHoldItem(Base):
    __tablename__ = "legal_hold_items"
    __table_args__ = (UniqueConstraint("hold_id", "recording_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hold_id: Mapped[str] = mapped_column(ForeignKey("legal_holds.id"), index=True)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"), index=True)
    status: Mapped[HoldItemStatus] = mapped_column(_enum(HoldItemStatus))
    certificate_id: Mapped[str | None] = mapped_column(String(32))
    store: Mapped[StoreSync] = mapped_column(_enum(StoreSync), default=StoreSync.PENDING)
    store_synced_at: Mapped[datetime | None]
    store_error: Mapped[str | None] = mapped_column(Text)


class HoldEvent(Base):
    """The log of a hold: placed, released, store synced."""

    __tablename__ = "legal_hold_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hold_id: Mapped[str] = mapped_column(ForeignKey("legal_holds.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime]


class DisposalBatch(Base):
    """Recordings proposed for disposal together; executed only once approved."""

    __tablename__ = "disposal_batches"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    scope_path: Mapped[str] = mapped_column(String(1000))
    state: Mapped[BatchState] = mapped_column(_enum(BatchState), default=BatchState.PROPOSED)
    required_approvals: Mapped[int] = mapped_column(Integer)
    proposed_by: Mapped[str] = mapped_column(String(64))
    proposed_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text, default="")
    approved_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(64))
    cancel_reason: Mapped[str | None] = mapped_column(Text)


class DisposalApproval(Base):
    __tablename__ = "disposal_approvals"
    __table_args__ = (UniqueConstraint("batch_id", "user_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("disposal_batches.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


class DisposalItem(Base):
    """One recording of a batch, with its progress: the unit a sweep resumes."""

    __tablename__ = "disposal_items"
    __table_args__ = (UniqueConstraint("batch_id", "recording_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("disposal_batches.id"), index=True)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"), index=True)
    state: Mapped[ItemState] = mapped_column(_enum(ItemState), default=ItemState.PENDING)
    rule: Mapped[str] = mapped_column(String(200))
    retain_until: Mapped[datetime]
    segment_count: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(BigInteger)
    certificate_id: Mapped[str | None] = mapped_column(String(32))
    document: Mapped[bytes | None] = mapped_column(LargeBinary)  # frozen before sealing
    skip_reason: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]


class RetentionLease(Base):
    """A named lease (the sweep) so two workers never run the same work at once."""

    __tablename__ = "retention_leases"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
