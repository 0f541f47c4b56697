"""The spool disk guard: stop taking media before the disk fills, resume when uploads free it."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DiskLimits:
    min_free_bytes: int
    max_spool_bytes: int | None
    resume_margin_bytes: int


def disk_full(*, was_full: bool, free_bytes: int, spooled_bytes: int,
              limits: DiskLimits) -> bool:
    """Full below the free-space floor or above the spool quota; once full, stays full
    until both are clear by the resume margin (no flapping)."""
    margin = limits.resume_margin_bytes if was_full else 0
    if free_bytes < limits.min_free_bytes + margin:
        return True
    return (limits.max_spool_bytes is not None
            and spooled_bytes > limits.max_spool_bytes - margin)


@dataclass
class DiskGuard:
    """Checks the spool's file system and the unconfirmed bytes; `full` is read by cameras."""

    root: Path
    limits: DiskLimits
    full: bool = False
    free_bytes: int = 0
    spooled_bytes: int = 0

    def is_full(self) -> bool:
        return self.full

    def check(self, spooled_bytes: int) -> bool:
        self.free_bytes = shutil.disk_usage(self.root).free
        self.spooled_bytes = spooled_bytes
        full = disk_full(was_full=self.full, free_bytes=self.free_bytes,
                         spooled_bytes=spooled_bytes, limits=self.limits)
        if full and not self.full:
            logger.error("ALERT spool disk full: %d bytes free, %d bytes unconfirmed; no new "
                         "media is taken until uploads free space (nothing unconfirmed is "
                         "deleted)", self.free_bytes, spooled_bytes)
        elif self.full and not full:
            logger.warning("spool disk has room again (%d bytes free); recording resumes",
                           self.free_bytes)
        self.full = full
        return full
