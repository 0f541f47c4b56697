"""Background jobs (huey): seals on close and on schedule; other packages add theirs.

Packages register through the `aidrec.tasks` entry point: a function taking a `JobRegistry`
that adds tasks and subscribes them to archive events (e.g. "segment_stored").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import entry_points
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey, crontab

from archive.evidence.errors import SigningUnavailableError, StoreUnavailableError
from archive.seal.sealer import recordings_due
from archive.settings import Settings

logger = logging.getLogger(__name__)

SEAL_RETRIES = 1000  # a seal is never given up: the TSA may be down for hours
SEAL_RETRY_DELAY_S = 30

# Events the archive emits, with their arguments.
SEGMENT_STORED = "segment_stored"  # (recording_id, seq)
RECORDING_CLOSED = "recording_closed"  # (recording_id,)
RECORDING_SEALED = "recording_sealed"  # (recording_id, seal_number)


@dataclass
class JobRegistry:
    """What a package's task registration sees: the queue, settings and the archive."""

    huey: Huey
    settings: Settings
    archive: Callable[[], Any]  # -> archive.services.Archive, built lazily in the worker
    tasks: dict[str, Any] = field(default_factory=dict)
    subscribers: dict[str, list[str]] = field(default_factory=dict)

    def add_task(self, name: str, task: Any) -> None:
        self.tasks[name] = task

    def subscribe(self, event: str, task_name: str) -> None:
        self.subscribers.setdefault(event, []).append(task_name)


@dataclass
class Jobs:
    huey: Huey
    registry: JobRegistry

    @property
    def tasks(self) -> dict[str, Any]:
        return self.registry.tasks

    def enqueue(self, name: str, *args: Any) -> None:
        self.registry.tasks[name](*args)

    def emit(self, event: str, *args: Any) -> None:
        """Enqueue every task subscribed to `event`."""
        for name in self.registry.subscribers.get(event, []):
            self.registry.tasks[name](*args)


def build_jobs(settings: Settings, *, immediate: bool = False,
               archive_factory: Callable[[], Any] | None = None) -> Jobs:
    """Create the queue and register every task; the same call in API, CLI and worker."""
    if settings.jobs.redis_url:
        huey: Huey = RedisHuey("aidrec", url=settings.jobs.redis_url, immediate=immediate)
    else:
        settings.home.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey("aidrec", filename=str(settings.home / "jobs.db"),
                          immediate=immediate)
    holder: dict[str, Any] = {}

    def archive() -> Any:
        # Built on first use inside the worker process, never at import.
        if "archive" not in holder:
            if archive_factory is not None:
                holder["archive"] = archive_factory()
            else:
                from archive.services import Archive

                holder["archive"] = Archive.from_settings(settings)
        return holder["archive"]

    registry = JobRegistry(huey=huey, settings=settings, archive=archive)
    jobs = Jobs(huey=huey, registry=registry)

    @huey.task(retries=SEAL_RETRIES, retry_delay=SEAL_RETRY_DELAY_S)  # type: ignore[untyped-decorator]
    def seal_recording(recording_id: str) -> None:
        try:
            result = archive().sealer.seal_recording(recording_id, now=datetime.now(UTC))
        except (SigningUnavailableError, StoreUnavailableError):
            logger.warning("seal deferred", extra={"recording_id": recording_id})
            raise
        if result is not None:
            jobs.emit(RECORDING_SEALED, recording_id, result.number)

    @huey.periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
    def seal_due() -> None:
        for recording_id in recordings_due(archive().catalog, now=datetime.now(UTC),
                                           interval_s=settings.archive.seal_interval_s):
            seal_recording(recording_id)

    registry.add_task("seal_recording", seal_recording)
    registry.add_task("seal_due", seal_due)
    registry.subscribe(RECORDING_CLOSED, "seal_recording")
    for ep in entry_points(group="aidrec.tasks"):
        ep.load()(registry)
    return jobs
