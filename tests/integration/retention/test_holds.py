"""Legal holds: held material survives every sweep and the store refuses its deletion."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from archive.access import people as access
from archive.catalog.models import User
from archive.evidence.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    ObjectLockedError,
    PermissionDeniedError,
)
from archive.evidence.vocabulary import Role
from archive.services import Archive
from retention.disposal_batches import approve_batch, list_due, propose_batch
from retention.holds import HoldTargets, place_hold, release_hold, sync_recordings
from retention.jobs import maintain
from retention.locks import apply_retention, recording_prefix
from retention.models import HoldKind, LegalHold, StoreSync
from retention.settings import RetentionSettings
from retention.sweeper import run_sweep
from tests.integration.retention.conftest import (
    SETTLED,
    People,
    make_recording,
    segment_versions,
    wait_until,
)


def _all_versions(archive: Archive, rid: str) -> list[tuple[str, str]]:
    return [(v.key, v.version_id) for v in archive.store.list_versions(recording_prefix(rid))
            if not v.is_delete_marker]


def test_held_recording_survives_every_sweep_and_the_store_refuses(
        archive: Archive, people: People, config: RetentionSettings) -> None:
    held = make_recording(archive, due_in=8, case="云援〔2026〕0123号")
    other = make_recording(archive, due_in=8)
    raised = apply_retention(archive, config, now=datetime.now(UTC)).raised
    due_at = max(raised[held], raised[other])

    # A batch approved while nothing was held yet...
    wait_until(due_at)
    batch = propose_batch(archive, config, proposer=people.admin, now=due_at).batch
    approve_batch(archive, approver=people.admin, batch_id=batch.id, reason="due", now=due_at)
    assert {e.recording_id for e in list_due(archive, now=due_at)} == {held, other}

    # ... then a complaint holds one recording, through its case.
    view = place_hold(archive, principal=people.supervisor, kind=HoldKind.COMPLAINT,
                      reference="投诉〔2026〕7号", reason="applicant reports a refusal",
                      targets=HoldTargets(case_numbers=("云援〔2026〕0123号",)), now=due_at)
    assert [(i.recording_id, i.store) for i in view.items] == [(held, StoreSync.ON)]
    assert [e.action for e in view.events] == ["placed"]
    assert view.events[0].actor == "sup1"
    # Every object of the recording (segments and seal files) carries the S3 legal hold.
    objects = _all_versions(archive, held)
    assert len(objects) > 2
    assert all(archive.store.get_legal_hold(k, v) for k, v in objects)

    # The sweep skips it (checked again at execution), and the store refuses its deletion
    # even though the retention has ended: nobody with storage credentials can delete it.
    for _ in range(2):
        result = run_sweep(archive, config, now=datetime.now(UTC), actor="t")
        assert held not in result.disposed
    assert result.disposed == {} or list(result.disposed) == [other]
    assert len(segment_versions(archive, held)) == 2
    for key, version in objects:
        with pytest.raises(ObjectLockedError, match=r"is locked \(retention or legal hold\)"):
            archive.store.delete_version(key, version)
    assert [e.recording_id for e in list_due(archive, now=due_at)] == []

    # Releasing needs a role and a reason, and is logged.
    for who in (people.staff, people.supervisor):
        with pytest.raises(PermissionDeniedError, match=f"role {who.role} may not do this"):
            release_hold(archive, principal=who, hold_id=view.hold.id, reason="done",
                         now=datetime.now(UTC))
    with pytest.raises(InvalidInputError, match="reason must be 1-2000 characters"):
        release_hold(archive, principal=people.inspector, hold_id=view.hold.id, reason=" ",
                     now=datetime.now(UTC))
    # Two people: the inspector's request keeps the hold; an administrator agrees.
    asked = release_hold(archive, principal=people.inspector, hold_id=view.hold.id,
                         reason="complaint closed: unfounded", now=datetime.now(UTC))
    assert asked.hold.released_at is None
    assert all(archive.store.get_legal_hold(k, v) for k, v in objects)
    released = release_hold(archive, principal=people.admin, hold_id=view.hold.id,
                            reason="agreed", now=datetime.now(UTC))
    assert released.hold.released_by == "admin1"
    assert [(e.action, e.actor) for e in released.events] == [
        ("placed", "sup1"), ("release_requested", "insp1"), ("released", "admin1")]
    assert not any(archive.store.get_legal_hold(k, v) for k, v in objects)
    assert [e.recording_id for e in list_due(archive, now=datetime.now(UTC))] == [held]


def test_two_holds_release_one_keeps_the_store_hold(archive: Archive, people: People) -> None:
    rid = make_recording(archive)
    now = datetime.now(UTC)
    first = place_hold(archive, principal=people.inspector, kind=HoldKind.INSPECTION,
                       reference="纪检-1", reason="inspection", now=now,
                       targets=HoldTargets(recording_ids=(rid,)))
    second = place_hold(archive, principal=people.admin, kind=HoldKind.COURT,
                        reference="(2026)云01民初1号", reason="court order", now=now,
                        targets=HoldTargets(recording_ids=(rid,)))
    for who in (people.inspector, people.admin):
        release_hold(archive, principal=who, hold_id=first.hold.id,
                     reason="inspection closed", now=now)
    versions = _all_versions(archive, rid)
    assert all(archive.store.get_legal_hold(k, v) for k, v in versions)
    # The court hold is the province's: its inspector is the second person.
    with archive.catalog.write() as db:
        access.create_user(db, id="insp-yn", name="insp-yn", role=Role.INSPECTOR,
                           jurisdiction_id="yn").role_since = now - SETTLED
        province_inspector = access.principal_of(db, db.get_one(User, "insp-yn"))
    for who in (people.admin, province_inspector):
        release_hold(archive, principal=who, hold_id=second.hold.id, reason="judgment",
                     now=now)
    assert not any(archive.store.get_legal_hold(k, v) for k, v in versions)
    with pytest.raises(ConflictError, match="was released at") as refused:
        release_hold(archive, principal=people.admin, hold_id=second.hold.id, reason="x",
                     now=now)
    assert refused.value.reason == "already_released"


def test_bad_hold_requests_change_nothing(archive: Archive, people: People) -> None:
    rid = make_recording(archive, window="gd-w1", seal=False)
    now = datetime.now(UTC)
    attempts: list[tuple[object, HoldTargets, type[Exception], str]] = [
        (people.staff, HoldTargets(recording_ids=(rid,)), PermissionDeniedError,
         "role window_staff may not do this"),
        (people.supervisor, HoldTargets(recording_ids=(rid,)), NotFoundError,
         f"recording {rid} does not exist"),  # gd: not theirs
        (people.inspector, HoldTargets(recording_ids=(rid, "nope")), NotFoundError,
         "recording nope does not exist"),
        (people.inspector, HoldTargets(), InvalidInputError,
         "a hold needs at least one recording, session or case"),
        (people.inspector, HoldTargets(case_numbers=("no such case",)), NotFoundError,
         "case no such case does not exist"),
    ]
    for principal, targets, error, message in attempts:
        with pytest.raises(error, match=message):
            place_hold(archive, principal=principal, kind=HoldKind.COMPLAINT,  # type: ignore[arg-type]
                       reference="r", reason="why", targets=targets, now=now)
    with archive.catalog.read() as db:
        assert db.scalar(select(func.count()).select_from(LegalHold)) == 0
    assert not any(archive.store.get_legal_hold(k, v) for k, v in _all_versions(archive, rid))


def test_store_failure_leaves_the_hold_pending_and_maintenance_completes_it(
        archive: Archive, people: People, config: RetentionSettings,
        monkeypatch: pytest.MonkeyPatch) -> None:
    rid = make_recording(archive)
    from archive.evidence.errors import StoreUnavailableError

    def down(*_args: object, **_kwargs: object) -> None:
        raise StoreUnavailableError("store down")

    with monkeypatch.context() as patch:
        patch.setattr(archive.store, "set_legal_hold", down)
        view = place_hold(archive, principal=people.inspector, kind=HoldKind.INSPECTION,
                          reference="纪检-2", reason="r", now=datetime.now(UTC),
                          targets=HoldTargets(recording_ids=(rid,)))
    # The catalog hold is in force already; the store part waits for the worker.
    assert view.items[0].store is StoreSync.PENDING
    assert "store down" in (view.items[0].store_error or "")
    maintain(archive, config, now=datetime.now(UTC))
    assert all(archive.store.get_legal_hold(k, v) for k, v in _all_versions(archive, rid))
    assert sync_recordings(archive, [rid], now=datetime.now(UTC)).errors == {}


def test_release_needs_two_independent_people(archive: Archive, people: People) -> None:
    """One person alone, or with a colleague of their role and level, releases nothing."""
    rid = make_recording(archive)
    now = datetime.now(UTC)
    hold = place_hold(archive, principal=people.supervisor, kind=HoldKind.COMPLAINT,
                      reference="投诉〔2026〕9号", reason="complaint", now=now,
                      targets=HoldTargets(recording_ids=(rid,))).hold
    with archive.catalog.write() as db:
        access.create_user(db, id="insp2", name="insp2", role=Role.INSPECTOR,
                           jurisdiction_id="km").role_since = now - SETTLED
        access.create_user(db, id="insp-new", name="insp-new", role=Role.INSPECTOR,
                           jurisdiction_id="wh")
        colleague = access.principal_of(db, db.get_one(User, "insp2"))
        fresh = access.principal_of(db, db.get_one(User, "insp-new"))
    with pytest.raises(PermissionDeniedError, match="approvals count from") as too_new:
        release_hold(archive, principal=fresh, hold_id=hold.id, reason="mine", now=now)
    assert too_new.value.reason == "too_new"
    release_hold(archive, principal=people.inspector, hold_id=hold.id, reason="closed",
                 now=now)
    with pytest.raises(ConflictError, match="a second person must agree"):
        release_hold(archive, principal=people.inspector, hold_id=hold.id, reason="again",
                     now=now)
    with pytest.raises(PermissionDeniedError, match="cannot be the second person") as same:
        release_hold(archive, principal=colleague, hold_id=hold.id, reason="me too", now=now)
    assert same.value.reason == "not_independent"
    versions = _all_versions(archive, rid)
    with archive.catalog.read() as db:
        assert db.get_one(LegalHold, hold.id).released_at is None
    assert all(archive.store.get_legal_hold(k, v) for k, v in versions)
    # A different role (the county's supervisor may not release) or level: the administrator.
    released = release_hold(archive, principal=people.admin, hold_id=hold.id, reason="agreed",
                            now=now)
    assert released.hold.released_by == "admin1"
    assert not any(archive.store.get_legal_hold(k, v) for k, v in versions)
