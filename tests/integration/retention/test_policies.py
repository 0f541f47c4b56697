"""Policies: locks follow the longest rule, in the store itself, and are never shortened."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from huey import MemoryHuey
from sqlalchemy import func, select

from archive.catalog.models import Recording, Session
from archive.evidence.errors import InvalidInputError, PermissionDeniedError
from archive.evidence.vocabulary import Stage
from archive.ingest import service as ingest
from archive.jobs import RECORDING_CLOSED, RECORDING_SEALED, JobRegistry
from archive.services import Archive
from retention import service
from retention.errors import PolicyError
from retention.facts import floor_of
from retention.jobs import register
from retention.locks import apply_retention, recording_prefix
from retention.models import RecordingRetention, RetentionRule, RuleCategory
from retention.policy import ceil_second
from retention.settings import RetentionSettings
from tests.integration.retention.conftest import OPERATOR, People, make_recording


def _set(archive: Archive, people: People, spec: service.RuleInput) -> str:
    with archive.catalog.write() as db:
        return service.set_rule(db, principal=people.admin, spec=spec,
                                floor=floor_of(archive.settings),
                                now=datetime.now(UTC)).id


def _locks(archive: Archive, rid: str) -> set[datetime | None]:
    return {archive.store.get_retention(v.key, v.version_id)
            for v in archive.store.list_versions(recording_prefix(rid))
            if not v.is_delete_marker and "/seals/" not in v.key}


def test_policy_changes_extend_locks_and_never_shorten_them(
        archive: Archive, people: People, config: RetentionSettings) -> None:
    rid = make_recording(archive)
    with archive.catalog.read() as db:
        ended = db.get_one(Recording, rid).ended_at
    assert ended is not None
    two_years = ceil_second(ended.replace(year=ended.year + 2))
    one_year = ceil_second(ended.replace(year=ended.year + 1))

    _set(archive, people, service.RuleInput(RuleCategory.SESSION, years=2,
                                            stage=Stage.CONSULTATION, reason="walk-ins"))
    apply_retention(archive, config, now=datetime.now(UTC))
    assert _locks(archive, rid) == {two_years}  # in the store itself, on every segment

    # A shorter rule replaces it: the lock stays, the decision says why.
    _set(archive, people, service.RuleInput(RuleCategory.SESSION, years=1,
                                            stage=Stage.CONSULTATION, reason="shorter"))
    with archive.catalog.read() as db:
        assert len(service.list_rules(db)) == 1
        assert len(service.list_rules(db, include_retired=True)) == 2
    apply_retention(archive, config, now=datetime.now(UTC))
    assert _locks(archive, rid) == {two_years}
    explained = service.explain(archive, principal=people.admin, recording_id=rid,
                                now=datetime.now(UTC))
    assert explained.decision.policy_until == one_year
    assert explained.decision.retain_until == two_years
    assert explained.decision.governing.rule_id == "lock"
    # Retiring every rule changes nothing either.
    with archive.catalog.write() as db:
        for rule in service.list_rules(db):
            service.retire_rule(db, principal=people.admin, rule_id=rule.id, reason="test",
                                now=datetime.now(UTC))
    apply_retention(archive, config, now=datetime.now(UTC))
    assert _locks(archive, rid) == {two_years}
    with archive.catalog.read() as db:
        assert db.get_one(Recording, rid).retain_until == two_years


def test_linking_a_case_later_extends_retention_automatically(
        archive: Archive, people: People, config: RetentionSettings) -> None:
    registry = JobRegistry(huey=MemoryHuey("t", immediate=True), settings=archive.settings,
                           archive=lambda: archive)
    register(registry, settings=config)
    assert "retention_apply" in registry.subscribers[RECORDING_SEALED]
    assert "retention_apply" in registry.subscribers[RECORDING_CLOSED]
    _set(archive, people, service.RuleInput(RuleCategory.CASE, years=10, case_type="labour",
                                            reason="case files: 10 years after archiving"))
    rid = make_recording(archive)
    registry.tasks["retention_apply"](rid)
    before = _locks(archive, rid)

    # Staff tag the walk-in session with a case later; the seal that follows fires the event.
    with archive.catalog.read() as db:
        session_id = db.scalar(select(Session.id).where(Session.recording_id == rid))
    assert session_id is not None
    ingest.update_session(archive.catalog, actor=OPERATOR, session_id=session_id,
                          case_number="云援〔2026〕0456号", stage=Stage.APPLICATION)
    with archive.catalog.write() as db:
        service.mark_case_archived(db, principal=people.admin, number="云援〔2026〕0456号",
                                   archived_at=datetime.now(UTC) + timedelta(days=30),
                                   case_type="labour")
    seal = archive.sealer.seal_recording(rid, now=datetime.now(UTC))
    assert seal is not None
    for task in registry.subscribers[RECORDING_SEALED]:
        registry.tasks[task](rid, seal.number)

    after = _locks(archive, rid)
    assert len(after) == 1 and before != after
    (lock,) = after
    assert lock is not None and lock >= datetime.now(UTC) + timedelta(days=10 * 365 + 30)
    explained = service.explain(archive, principal=people.supervisor, recording_id=rid,
                                now=datetime.now(UTC))
    assert "case" in explained.decision.governing.rule
    with archive.catalog.read() as db:
        state = db.get_one(RecordingRetention, rid)
        assert state.locks_until == lock and "case" in state.rule


def test_bad_policies_change_nothing(archive: Archive, people: People) -> None:
    floor = floor_of(archive.settings)
    bad: list[tuple[object, service.RuleInput, type[Exception], str]] = [
        (people.admin, service.RuleInput(RuleCategory.NO_SESSION, days=90, reason="r"),
         PolicyError, "got 90 days, below the floor of 180 days"),  # the six-month floor
        (people.admin, service.RuleInput(RuleCategory.SESSION, years=1, case_type="labour",
                                         reason="r"), PolicyError,
         "a case type only applies to case rules"),
        (people.admin, service.RuleInput(RuleCategory.IMPORT, years=1, stage=Stage.REVIEW,
                                         reason="r"), PolicyError,
         "a stage does not apply to import rules"),
        (people.admin, service.RuleInput(RuleCategory.CASE, years=101, reason="r"),
         PolicyError, "got 101 years 0 days, expected 0-100 years"),
        (people.admin, service.RuleInput(RuleCategory.CASE, years=3, reason=" "),
         InvalidInputError, "reason must be 1-2000 characters"),
        (people.county_admin, service.RuleInput(RuleCategory.CASE, years=3, reason="r"),
         PermissionDeniedError, "retention rules apply everywhere"),  # not a county's to change
        (people.supervisor, service.RuleInput(RuleCategory.CASE, years=3, reason="r"),
         PermissionDeniedError, "role supervisor may not do this"),
    ]
    for principal, spec, error, message in bad:
        with pytest.raises(error, match=message), archive.catalog.write() as db:
            service.set_rule(db, principal=principal, spec=spec, floor=floor,  # type: ignore[arg-type]
                             now=datetime.now(UTC))
    with archive.catalog.read() as db:
        assert db.scalar(select(func.count()).select_from(RetentionRule)) == 0
