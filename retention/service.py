"""Retention rules (set, retire, list) and what the archive will keep, for how long, and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as DBSession

from archive.access.duties import Action, roles_for
from archive.access.people import Principal, require_role
from archive.catalog.models import Case, Jurisdiction, Recording, Window
from archive.evidence.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from archive.evidence.vocabulary import Role, Stage
from archive.services import Archive
from archive.verify.disposed import DisposalCertificate
from retention.errors import PolicyError
from retention.facts import (
    Placement,
    decide_many,
    floor_of,
    load_rules,
    placements,
    recording_ids,
)
from retention.holds import held_recordings
from retention.models import RecordingRetention, RetentionRule, RuleCategory
from retention.policy import Decision, Period, Status

POLICY_ROLES = roles_for(Action.MANAGE_REGISTRY)  # the duty table (docs/security.md)
READ_ROLES = roles_for(Action.SEE_RETENTION)
MAX_YEARS = 100
MAX_DAYS = 36500
MAX_REASON = 2000


@dataclass(frozen=True)
class RuleInput:
    category: RuleCategory
    years: int = 0
    days: int = 0
    case_type: str | None = None
    stage: Stage | None = None
    label: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Explanation:
    """Everything an administrator needs to see about one recording's retention."""

    recording_id: str
    decision: Decision
    status: Status
    placement: Placement
    state: RecordingRetention | None
    certificate_id: str | None


def require_policy_admin(principal: Principal) -> None:
    """Rules apply to the whole archive: only an administrator of a root jurisdiction sets them."""
    require_role(principal, *POLICY_ROLES)
    if principal.jurisdiction_path.count("/") != 2:
        raise PermissionDeniedError("retention rules apply everywhere: only an administrator "
                                    "of the whole tree may change them", reason="scope")


def set_rule(db: DBSession, *, principal: Principal, spec: RuleInput, floor: Period,
             now: datetime) -> RetentionRule:
    """Add a rule, retiring the active one for the same category, case type and stage.

    Existing locks are never shortened by a change: the store refuses it, and decisions keep
    the longer of the rule and the lock already set.

    Raises:
        PolicyError: out of bounds, below the floor, or a filter that does not apply.
    """
    require_policy_admin(principal)
    _validate(spec, floor)
    same_type = (RetentionRule.case_type.is_(None) if spec.case_type is None
                 else RetentionRule.case_type == spec.case_type)
    same_stage = (RetentionRule.stage.is_(None) if spec.stage is None
                  else RetentionRule.stage == spec.stage)
    existing = list(db.scalars(select(RetentionRule).where(
        RetentionRule.retired_at.is_(None), RetentionRule.category == spec.category,
        same_type, same_stage)))
    rule = RetentionRule(category=spec.category, case_type=spec.case_type, stage=spec.stage,
                         years=spec.years, days=spec.days, label=spec.label.strip(),
                         reason=spec.reason.strip(), created_by=principal.user_id,
                         created_at=now)
    db.add(rule)
    db.flush()
    for old in existing:
        old.retired_at, old.retired_by = now, principal.user_id
        old.retire_reason = f"replaced by rule {rule.id}: {spec.reason.strip()}"[:MAX_REASON]
    return rule


def _validate(spec: RuleInput, floor: Period) -> None:
    if not 0 <= spec.years <= MAX_YEARS or not 0 <= spec.days <= MAX_DAYS:
        raise PolicyError(f"got {spec.years} years {spec.days} days, expected 0-{MAX_YEARS} "
                          f"years and 0-{MAX_DAYS} days", reason="bad_period")
    period = Period(spec.years, spec.days)
    if not period.at_least(floor.years * 365 + floor.days):
        raise PolicyError(f"got {period}, below the floor of {floor}: every recording is kept "
                          "at least that long", reason="below_floor")
    if spec.case_type is not None and spec.category is not RuleCategory.CASE:
        raise PolicyError("a case type only applies to case rules", reason="bad_filter")
    if spec.stage is not None and spec.category in (RuleCategory.NO_SESSION,
                                                     RuleCategory.IMPORT):
        raise PolicyError(f"a stage does not apply to {spec.category.value} rules",
                          reason="bad_filter")
    if spec.case_type is not None and not 1 <= len(spec.case_type.strip()) <= 64:
        raise PolicyError("case type must be 1-64 characters", reason="bad_filter")
    if not spec.reason.strip() or len(spec.reason) > MAX_REASON or len(spec.label) > 200:
        raise InvalidInputError(f"reason must be 1-{MAX_REASON} characters, label at most 200",
                                reason="bad_reason")


def retire_rule(db: DBSession, *, principal: Principal, rule_id: str, reason: str,
                now: datetime) -> RetentionRule:
    """Retire a rule; recordings keep the locks it set, and the floor always applies."""
    require_policy_admin(principal)
    if not reason.strip() or len(reason) > MAX_REASON:
        raise InvalidInputError(f"reason must be 1-{MAX_REASON} characters",
                                reason="bad_reason")
    rule = db.get(RetentionRule, rule_id, with_for_update=True)
    if rule is None:
        raise NotFoundError(f"rule {rule_id} does not exist", reason="no_rule")
    if rule.retired_at is not None:
        raise ConflictError(f"rule {rule_id} is already retired", reason="retired")
    rule.retired_at, rule.retired_by, rule.retire_reason = now, principal.user_id, reason.strip()
    return rule


def list_rules(db: DBSession, *, include_retired: bool = False) -> list[RetentionRule]:
    query = select(RetentionRule)
    if not include_retired:
        query = query.where(RetentionRule.retired_at.is_(None))
    return list(db.scalars(query.order_by(RetentionRule.created_at, RetentionRule.id)))


def explain(archive: Archive, *, principal: Principal | None, recording_id: str,
            now: datetime) -> Explanation:
    """Why a recording is kept, until when, and whether it is held, due or disposed.

    Raises:
        NotFoundError: no such recording in the caller's subtree.
    """
    if principal is not None:
        require_role(principal, *READ_ROLES)
    with archive.catalog.read() as db:
        where = placements(db, [recording_id]).get(recording_id)
        if where is None or (principal and not principal.covers(where.jurisdiction_path)):
            raise NotFoundError(f"recording {recording_id} does not exist",
                                reason="no_recording")
        decision = decide_many(db, [recording_id], rules=load_rules(db),
                               floor=floor_of(archive.settings), now=now)[recording_id]
        state = db.get(RecordingRetention, recording_id)
        certificate = db.scalar(select(DisposalCertificate.id)
                                .where(DisposalCertificate.recording_id == recording_id))
    return Explanation(recording_id=recording_id, decision=decision,
                       status=decision.status(now), placement=where, state=state,
                       certificate_id=certificate)


def schedule(archive: Archive, *, principal: Principal | None, now: datetime,
             until: datetime, limit: int = 500) -> list[Explanation]:
    """Recordings whose lock ends by `until`: what will become due, and what holds keep."""
    if principal is not None:
        require_role(principal, *READ_ROLES)
    scope = principal.jurisdiction_path if principal else "/"
    with archive.catalog.read() as db:
        ids = recording_ids(db, scope_path=scope, lock_ended_by=until)[:limit]
        decisions = decide_many(db, ids, rules=load_rules(db),
                                floor=floor_of(archive.settings), now=now)
        where = placements(db, ids)
        states = {s.recording_id: s for s in db.scalars(
            select(RecordingRetention).where(RecordingRetention.recording_id.in_(ids)))}
    result = [Explanation(recording_id=rid, decision=d, status=d.status(now),
                          placement=where[rid], state=states.get(rid), certificate_id=None)
              for rid, d in decisions.items()]
    return sorted(result, key=lambda e: (e.decision.retain_until, e.recording_id))


def mark_case_archived(db: DBSession, *, principal: Principal, number: str,
                       archived_at: datetime, case_type: str | None = None) -> Case:
    """Record that a case file was archived (and its type): case rules count from this date.

    A stand-in until case management sets it; an archived date is never moved earlier.
    """
    require_role(principal, Role.ADMIN, Role.SUPERVISOR)
    case = db.scalar(select(Case).where(Case.number == number.strip()))
    if case is None:
        raise NotFoundError(f"case {number} does not exist", reason="no_case")
    if case.jurisdiction_id is not None:
        node = db.get(Jurisdiction, case.jurisdiction_id)
        if node is None or not principal.covers(node.path):
            raise NotFoundError(f"case {number} does not exist", reason="no_case")
    if case.archived_at is not None and archived_at < case.archived_at:
        raise ConflictError(f"case {number} was archived {case.archived_at.isoformat()}; "
                            "the date is never moved earlier", reason="earlier_date")
    case.archived_at = archived_at
    if case_type is not None:
        case.case_type = case_type.strip()[:64] or None
    return case


def held_ids(archive: Archive, recording_ids_: list[str]) -> dict[str, list[str]]:
    with archive.catalog.read() as db:
        return held_recordings(db, recording_ids_)


def recording_window(db: DBSession, recording_id: str) -> Window | None:
    recording = db.get(Recording, recording_id)
    return None if recording is None else db.get(Window, recording.window_id)
