"""The daily seal of the access log's head, as a periodic job."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from huey import crontab

from archive.evidence.errors import SigningUnavailableError, StoreUnavailableError
from archive.jobs import JobRegistry

logger = logging.getLogger(__name__)

SEAL_RETRIES = 1000  # like recording seals: never given up while the TSA is down
SEAL_RETRY_DELAY_S = 300


def register(registry: JobRegistry) -> None:
    """Entry point `aidrec.tasks`: audit = "archive.audit.jobs:register"."""
    huey = registry.huey

    @huey.task(retries=SEAL_RETRIES, retry_delay=SEAL_RETRY_DELAY_S)  # type: ignore[untyped-decorator]
    def seal_access_log() -> None:
        from archive.audit.seal import seal_head

        try:
            row = seal_head(registry.archive(), now=datetime.now(UTC))
        except (SigningUnavailableError, StoreUnavailableError):
            logger.warning("access log seal deferred")
            raise
        if row is not None:
            logger.info("access log head sealed", extra={"size": row.size})

    # Just after midnight China time (16:05 UTC); a missed day is caught up by the next run,
    # which seals everything appended since the last head.
    @huey.periodic_task(crontab(minute="5", hour="16"))  # type: ignore[untyped-decorator]
    def seal_access_log_daily() -> None:
        seal_access_log()

    registry.add_task("seal_access_log", seal_access_log)
    registry.add_task("seal_access_log_daily", seal_access_log_daily)
