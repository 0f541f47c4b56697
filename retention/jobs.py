"""Retention jobs: apply decisions when a recording is sealed, and a periodic maintenance run.

The maintenance run mirrors holds into the store, applies every decision (raising locks),
proposes a batch of what is due (when configured) and executes approved batches. Every part is
idempotent and resumable, so an overlapping or interrupted run does no harm.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from huey import crontab
from sqlalchemy import select

from archive.catalog.models import Jurisdiction
from archive.evidence.errors import ArchiveError, ConflictError
from archive.jobs import RECORDING_CLOSED, RECORDING_SEALED, JobRegistry
from archive.services import Archive
from archive.settings import load_section
from retention.disposal_batches import list_batches, propose_batch
from retention.errors import SweepBusyError
from retention.holds import recordings_to_sync, sync_recordings
from retention.locks import apply_retention
from retention.models import BatchState
from retention.settings import RetentionSettings
from retention.sweeper import run_sweep

logger = logging.getLogger(__name__)

RECORDING_DISPOSED = "recording_disposed"  # (recording_id, certificate_id)
JOB_ACTOR = "system:retention"


@dataclass
class MaintenanceResult:
    holds_synced: int = 0
    decided: int = 0
    raised: int = 0
    proposed: str | None = None
    disposed: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def maintain(archive: Archive, config: RetentionSettings, *, now: datetime,
             on_disposed: Callable[[str, str], None] | None = None) -> MaintenanceResult:
    """One maintenance pass: holds, locks, proposal, approved disposals."""
    result = MaintenanceResult()
    with archive.catalog.read() as db:
        to_sync = recordings_to_sync(db)
    synced = sync_recordings(archive, to_sync, now=now)
    result.holds_synced = len(synced.synced)
    result.errors.extend(f"hold {rid}: {e}" for rid, e in synced.errors.items())
    applied = apply_retention(archive, config, now=now)
    result.decided, result.raised = applied.decided, len(applied.raised)
    result.errors.extend(f"lock {rid}: {e}" for rid, e in applied.errors.items())
    if config.auto_propose:
        result.proposed = _propose_per_root(archive, config, now)
    try:
        swept = run_sweep(archive, config, now=now, actor=JOB_ACTOR, on_disposed=on_disposed)
        result.disposed = swept.disposed
        result.errors.extend(f"disposal {rid}: {e}" for rid, e in swept.unfinished.items())
    except SweepBusyError:
        logger.info("retention_sweep_busy")
    return result


def _propose_per_root(archive: Archive, config: RetentionSettings,
                      now: datetime) -> str | None:
    """One batch per province (the approvers' scope), unless one already awaits approval."""
    with archive.catalog.read() as db:
        roots = list(db.scalars(select(Jurisdiction.path)
                                .where(Jurisdiction.parent_id.is_(None))))
        waiting = {b.scope_path for b in list_batches(db, principal=None,
                                                      states=(BatchState.PROPOSED,))}
    proposed = None
    for root in roots:
        if root in waiting:
            continue
        with contextlib.suppress(ConflictError):  # nothing due there
            proposed = propose_batch(archive, config, proposer=None, now=now,
                                     scope_path=root).batch.id
    return proposed


def register(registry: JobRegistry, *, settings: RetentionSettings | None = None) -> None:
    """Add retention tasks and subscribe them to archive events."""
    config = settings or load_section(RetentionSettings, registry.settings)
    huey = registry.huey

    def emit_disposed(recording_id: str, certificate_id: str) -> None:
        for name in registry.subscribers.get(RECORDING_DISPOSED, []):
            registry.tasks[name](recording_id, certificate_id)

    @huey.task(retries=5, retry_delay=60)  # type: ignore[untyped-decorator]
    def retention_apply(recording_id: str, *_event: Any) -> None:
        # A session linked to a case (or any change) is sealed again: decide again then.
        result = apply_retention(registry.archive(), config, now=datetime.now(UTC),
                                 ids=[recording_id])
        if result.errors:
            raise ArchiveError(result.errors[recording_id], reason="retention_apply")

    @huey.task()  # type: ignore[untyped-decorator]
    def retention_sweep() -> None:
        # Enqueued when a batch gets its last approval: dispose of it now, not at the next
        # maintenance run. A sweep already running has the lease and will take the batch.
        with contextlib.suppress(SweepBusyError):
            run_sweep(registry.archive(), config, now=datetime.now(UTC), actor=JOB_ACTOR,
                      on_disposed=emit_disposed)

    minute = "0" if config.maintain_every_minutes == 60 else f"*/{config.maintain_every_minutes}"

    @huey.periodic_task(crontab(minute=minute))  # type: ignore[untyped-decorator]
    def retention_maintain() -> None:
        result = maintain(registry.archive(), config, now=datetime.now(UTC),
                          on_disposed=emit_disposed)
        for error in result.errors:
            logger.warning("retention_maintenance_error", extra={"error": error})

    registry.add_task("retention_apply", retention_apply)
    registry.add_task("retention_maintain", retention_maintain)
    registry.add_task("retention_sweep", retention_sweep)
    registry.subscribe(RECORDING_SEALED, "retention_apply")
    registry.subscribe(RECORDING_CLOSED, "retention_apply")
