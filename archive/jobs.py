"""Background jobs (huey): seals on close and on schedule; other packages add theirs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import entry_points
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey, crontab

from archive.errors import SigningUnavailableError, StoreUnavailableError
from archive.sealing import recordings_due
from archive.settings import Settings

logger = logging.getLogger(__name__)

SEAL_RETRIES = 1000  # a seal is never given up: the TSA may be down for hours
SEAL_RETRY_DELAY_S = 30


@dataclass
class Jobs:
    huey: Huey
    tasks: dict[str, Any]

    def enqueue(self, name: str, *args: Any) -> None:
        self.tasks[name](*args)


def build_jobs(settings: Settings, *, immediate: bool = False,
               archive_factory: Callable[[], Any] | None = None) -> Jobs:
    """Create the queue and register every task; the same call in API and worker."""
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

    @huey.task(retries=SEAL_RETRIES, retry_delay=SEAL_RETRY_DELAY_S)
    def seal_recording(recording_id: str) -> None:
        try:
            archive().sealer.seal_recording(recording_id, now=datetime.now(UTC))
        except (SigningUnavailableError, StoreUnavailableError):
            logger.warning("seal deferred", extra={"recording_id": recording_id})
            raise

    @huey.periodic_task(crontab(minute="*"))
    def seal_due() -> None:
        for recording_id in recordings_due(archive().catalog, now=datetime.now(UTC),
                                           interval_s=settings.archive.seal_interval_s):
            seal_recording(recording_id)

    tasks: dict[str, Any] = {"seal_recording": seal_recording, "seal_due": seal_due}
    for ep in entry_points(group="aidrec.tasks"):
        register = ep.load()
        tasks.update(register(huey, settings, archive))
    return Jobs(huey=huey, tasks=tasks)
