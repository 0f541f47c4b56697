"""Request and response bodies of retention: rules, holds, disposal batches, forecast."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from archive.evidence.vocabulary import Stage
from retention.disposal_batches import BatchView, DueEntry
from retention.holds import HoldView
from retention.models import HoldKind, RetentionRule, RuleCategory
from retention.service import Explanation


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RuleIn(_In):
    category: RuleCategory
    years: int = Field(0, ge=0, le=100, description="calendar years")
    days: int = Field(0, ge=0, le=36500, description="days, added to the years")
    case_type: str | None = Field(None, min_length=1, max_length=64,
                                  description="case rules: only this case type")
    stage: Stage | None = Field(None, description="only sessions of this stage")
    label: str = Field("", max_length=200)
    reason: str = Field(min_length=1, max_length=2000, description="why (kept with the rule)")


class ReasonIn(_In):
    reason: str = Field(min_length=1, max_length=2000)


class RuleOut(BaseModel):
    id: str
    category: RuleCategory
    case_type: str | None
    stage: Stage | None
    years: int
    days: int
    label: str
    description: str
    reason: str
    created_by: str
    created_at: datetime
    retired_at: datetime | None
    retired_by: str | None
    retire_reason: str | None

    @classmethod
    def of(cls, row: RetentionRule) -> RuleOut:
        from retention.facts import rule_of

        return cls(id=row.id, category=row.category, case_type=row.case_type, stage=row.stage,
                   years=row.years, days=row.days, label=row.label,
                   description=rule_of(row).describe(), reason=row.reason,
                   created_by=row.created_by, created_at=row.created_at,
                   retired_at=row.retired_at, retired_by=row.retired_by,
                   retire_reason=row.retire_reason)


class PoliciesOut(BaseModel):
    floor: str = Field(description="kept at least this long after a recording ends (or its "
                       "import), whatever the rules")
    rules: list[RuleOut]


class TermOut(BaseModel):
    rule_id: str
    rule: str
    until: datetime | None = Field(description="None: not known yet (e.g. case not archived)")
    at_least: datetime
    anchor: str


class RetentionOut(BaseModel):
    recording_id: str
    window_id: str
    jurisdiction_path: str
    status: str = Field(description="kept, due, held, open_ended, disposing or disposed")
    retain_until: datetime = Field(description="kept at least until then (lock date)")
    open_ended: bool
    rule: str
    anchor: str
    terms: list[TermOut]
    holds: list[str]
    notes: list[str]
    size: int
    locked_in_store_until: datetime | None
    certificate_id: str | None

    @classmethod
    def of(cls, e: Explanation) -> RetentionOut:
        d = e.decision
        return cls(recording_id=e.recording_id, window_id=e.placement.window_id,
                   jurisdiction_path=e.placement.jurisdiction_path, status=e.status.value,
                   retain_until=d.retain_until, open_ended=d.open_ended, rule=d.governing.rule,
                   anchor=d.governing.anchor,
                   terms=[TermOut(rule_id=t.rule_id, rule=t.rule, until=t.until,
                                  at_least=t.lower_bound, anchor=t.anchor) for t in d.terms],
                   holds=list(d.holds), notes=list(d.notes), size=e.placement.total_bytes,
                   locked_in_store_until=e.state.locks_until if e.state else None,
                   certificate_id=e.certificate_id)


class DueOut(BaseModel):
    recording_id: str
    window_id: str
    jurisdiction_path: str
    started_at: datetime
    ended_at: datetime | None
    segment_count: int
    size: int
    rule: str
    retain_until: datetime
    blocked: str | None

    @classmethod
    def of(cls, e: DueEntry) -> DueOut:
        return cls(**e.__dict__)


class HoldIn(_In):
    kind: HoldKind
    reference: str = Field(min_length=1, max_length=200,
                           description="complaint, inspection or court reference")
    reason: str = Field(min_length=1, max_length=2000)
    recording_ids: list[str] = Field(default_factory=list, max_length=500)
    session_ids: list[str] = Field(default_factory=list, max_length=500)
    case_numbers: list[str] = Field(default_factory=list, max_length=50,
                                    description="every session of these cases")


class HoldItemOut(BaseModel):
    recording_id: str
    status: str = Field(description="active, or disposed (certificate issued before the hold)")
    certificate_id: str | None
    store: str = Field(description="S3 legal hold: pending, on or off")
    store_synced_at: datetime | None
    store_error: str | None


class HoldEventOut(BaseModel):
    action: str
    actor: str
    reason: str
    at: datetime
    detail: dict[str, Any]


class HoldOut(BaseModel):
    id: str
    kind: HoldKind
    reference: str
    reason: str
    placed_by: str
    placed_at: datetime
    released_by: str | None
    released_at: datetime | None
    release_reason: str | None
    items: list[HoldItemOut]
    events: list[HoldEventOut]

    @classmethod
    def of(cls, v: HoldView) -> HoldOut:
        h = v.hold
        return cls(id=h.id, kind=h.kind, reference=h.reference, reason=h.reason,
                   placed_by=h.placed_by, placed_at=h.placed_at, released_by=h.released_by,
                   released_at=h.released_at, release_reason=h.release_reason,
                   items=[HoldItemOut(recording_id=i.recording_id, status=i.status.value,
                                      certificate_id=i.certificate_id, store=i.store.value,
                                      store_synced_at=i.store_synced_at,
                                      store_error=i.store_error) for i in v.items],
                   events=[HoldEventOut(action=e.action, actor=e.actor, reason=e.reason,
                                        at=e.at, detail=e.detail) for e in v.events])


class HoldSummaryOut(BaseModel):
    id: str
    kind: HoldKind
    reference: str
    placed_by: str
    placed_at: datetime
    released_at: datetime | None


class BatchIn(_In):
    note: str = Field("", max_length=2000)
    jurisdiction_id: str | None = Field(
        None, min_length=1, max_length=64, description="only what is due in this part of your "
        "subtree (default: all of it); a county's batch can be approved by administrators of "
        "two levels")


class ApprovalOut(BaseModel):
    user_id: str
    role: str
    reason: str
    at: datetime


class BatchItemOut(BaseModel):
    recording_id: str
    state: str
    rule: str
    retain_until: datetime
    segment_count: int
    size: int
    certificate_id: str | None
    skip_reason: str | None
    last_error: str | None


class BatchOut(BaseModel):
    id: str
    state: str
    scope_path: str
    required_approvals: int
    proposed_by: str
    proposed_at: datetime
    approved_at: datetime | None
    finished_at: datetime | None
    note: str
    size: int
    approvals: list[ApprovalOut]
    items: list[BatchItemOut]

    @classmethod
    def of(cls, v: BatchView) -> BatchOut:
        b = v.batch
        return cls(id=b.id, state=b.state.value, scope_path=b.scope_path,
                   required_approvals=b.required_approvals, proposed_by=b.proposed_by,
                   proposed_at=b.proposed_at, approved_at=b.approved_at,
                   finished_at=b.finished_at, note=b.note, size=v.size,
                   approvals=[ApprovalOut(user_id=a.user_id, role=a.role, reason=a.reason,
                                          at=a.at) for a in v.approvals],
                   items=[BatchItemOut(recording_id=i.recording_id, state=i.state.value,
                                       rule=i.rule, retain_until=i.retain_until,
                                       segment_count=i.segment_count, size=i.size,
                                       certificate_id=i.certificate_id,
                                       skip_reason=i.skip_reason, last_error=i.last_error)
                          for i in v.items])


class CheckOut(BaseModel):
    name: str
    ok: bool
    detail: str


class CertificateOut(BaseModel):
    id: str
    recording_id: str
    issued_at: datetime
    timestamp_at: datetime
    completed_at: datetime | None
    log_index: int
    document: dict[str, Any] = Field(description="the signed certificate")
    verified: bool
    checks: list[CheckOut]


class ForecastOut(BaseModel):
    start: datetime
    points: list[datetime]
    series: dict[str, list[int]] = Field(description="jurisdiction -> bytes at each point")
    names: dict[str, str]
    total: list[int]
    rates_per_day: dict[str, float]
    capacity: int | None
    warnings: list[str]
