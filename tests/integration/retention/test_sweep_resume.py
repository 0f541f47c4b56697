"""Sweeps are idempotent and safe to interrupt: a resumed sweep never certifies twice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from archive.catalog.models import LogLeaf
from archive.services import Archive
from archive.verify.disposed import DisposalCertificate, DisposedObject
from retention import certificate, sweeper
from retention.disposal_batches import approve_batch, cancel_batch, list_due, propose_batch
from retention.errors import ApprovalError, SweepBusyError
from retention.jobs import maintain
from retention.locks import apply_retention
from retention.models import (
    BatchState,
    DisposalBatch,
    DisposalItem,
    ItemState,
    RetentionLease,
)
from retention.settings import RetentionSettings
from retention.sweeper import run_sweep
from retention.verify import verify_certificate
from tests.integration.retention.conftest import (
    People,
    make_recording,
    segment_versions,
    wait_until,
)


class Interrupted(BaseException):
    """Stands for the process being stopped (Ctrl-C, SIGTERM, power) mid-step."""


def _interrupt_after(real: Callable[..., Any], calls: int) -> Callable[..., Any]:
    count = {"n": 0}

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        count["n"] += 1
        result = real(*args, **kwargs)
        if count["n"] >= calls:
            raise Interrupted(f"stopped after call {calls}")
        return result

    return wrapped


def _counts(archive: Archive) -> tuple[int, int, int]:
    with archive.catalog.read() as db:
        return (db.scalar(select(func.count()).select_from(LogLeaf)
                          .where(LogLeaf.kind == "disposal")) or 0,
                db.scalar(select(func.count()).select_from(DisposalCertificate)) or 0,
                db.scalar(select(func.count()).select_from(DisposedObject)) or 0)


def test_interrupted_sweeps_resume_without_double_work(
        archive: Archive, people: People, config: RetentionSettings,
        monkeypatch: pytest.MonkeyPatch) -> None:
    first = make_recording(archive, due_in=8)
    second = make_recording(archive, due_in=8)
    raised = apply_retention(archive, config, now=datetime.now(UTC)).raised
    due_at = max(raised.values())

    # Maintenance proposes what is due but disposes of nothing without approval.
    wait_until(due_at)
    done = maintain(archive, config.model_copy(update={"auto_propose": True}),
                    now=datetime.now(UTC))
    assert done.proposed is not None and done.disposed == {}
    assert len(segment_versions(archive, first)) == 2
    approve_batch(archive, approver=people.admin, batch_id=done.proposed, reason="checked",
                  now=due_at)

    # 1. Stopped right after the certificate was sealed and logged, before it was recorded.
    with monkeypatch.context() as patch:
        patch.setattr(sweeper, "seal_certificate",
                      _interrupt_after(certificate.seal_certificate, calls=1))
        with pytest.raises(Interrupted, match="stopped after call 1"):
            run_sweep(archive, config, now=datetime.now(UTC), actor="t")
    assert _counts(archive) == (1, 0, 0)  # logged once, not recorded yet
    with archive.catalog.read() as db:
        assert db.get(RetentionLease, sweeper.LEASE) is None  # released on the way out

    # 2. The next sweep recovers that certificate, then is stopped after one deletion.
    with monkeypatch.context() as patch:
        patch.setattr(archive.store, "delete_version",
                      _interrupt_after(archive.store.delete_version, calls=1))
        with pytest.raises(Interrupted, match="stopped after call 1"):
            run_sweep(archive, config, now=datetime.now(UTC), actor="t")
    assert _counts(archive) == (1, 1, 2)
    with archive.catalog.read() as db:
        (interrupted,) = db.scalars(select(DisposalItem.recording_id)
                                    .where(DisposalItem.state == ItemState.CERTIFIED))
    assert len(segment_versions(archive, interrupted)) == 1  # one deleted, not yet marked

    # 3. The next one finishes both recordings: still one certificate each.
    result = run_sweep(archive, config, now=datetime.now(UTC), actor="t")
    assert set(result.disposed) == {first, second}
    assert _counts(archive) == (2, 2, 4)
    for rid, certificate_id in result.disposed.items():
        assert segment_versions(archive, rid) == []
        assert verify_certificate(archive, certificate_id).ok
        stored = [v for v in archive.store.list_versions(f"disposals/{certificate_id}/")
                  if not v.is_delete_marker]
        assert len(stored) == 3  # certificate.json, .p7s, .tsr: one version each
        assert archive.verifier().verify_recording(rid).ok

    # 4. Once more: nothing left to do.
    again = run_sweep(archive, config, now=datetime.now(UTC) + timedelta(days=1), actor="t")
    assert (again.disposed, again.skipped, again.unfinished) == ({}, {}, {})
    assert _counts(archive) == (2, 2, 4)
    assert list_due(archive, now=datetime.now(UTC)) == []


def test_only_one_sweep_at_a_time(archive: Archive, people: People,
                                  config: RetentionSettings) -> None:
    with archive.catalog.write() as db:
        db.add(RetentionLease(name=sweeper.LEASE, holder="other-worker",
                              expires_at=datetime.now(UTC) + timedelta(minutes=5)))
    with pytest.raises(SweepBusyError, match="sweep other-worker holds the lease until"):
        run_sweep(archive, config, now=datetime.now(UTC), actor="t")
    with archive.catalog.write() as db:  # a crashed worker's lease expires
        db.get_one(RetentionLease, sweeper.LEASE).expires_at = datetime.now(UTC)
    assert run_sweep(archive, config, now=datetime.now(UTC), actor="t").disposed == {}


def test_store_refusal_leaves_the_item_for_the_next_sweep(
        archive: Archive, people: People, config: RetentionSettings) -> None:
    """The decision's clock says due, the store's clock says not yet: nothing is lost."""
    rid = make_recording(archive)
    now = datetime.now(UTC)
    future = now + timedelta(days=400)  # a frozen clock far ahead of the store's
    apply_retention(archive, config, now=now)
    batch = propose_batch(archive, config, proposer=people.admin, now=future).batch
    approve_batch(archive, approver=people.admin, batch_id=batch.id, reason="due",
                  now=future)
    result = run_sweep(archive, config, now=future, actor="t")
    assert "object_locked" in result.unfinished[rid]
    assert len(segment_versions(archive, rid)) == 2
    with archive.catalog.read() as db:
        item = db.scalar(select(DisposalItem).where(DisposalItem.recording_id == rid))
        assert item is not None and item.state is ItemState.CERTIFIED
        assert "object_locked" in (item.last_error or "")
        assert db.get_one(DisposalBatch, batch.id).state is BatchState.APPROVED
    with pytest.raises(ApprovalError, match="started"):
        cancel_batch(archive, principal=people.admin, batch_id=batch.id, reason="stop",
                     now=future)
    again = run_sweep(archive, config, now=future, actor="t")
    assert "object_locked" in again.unfinished[rid]
    assert _counts(archive)[:2] == (1, 1)  # certified once; completes when the lock ends
