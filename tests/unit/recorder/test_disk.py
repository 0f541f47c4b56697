"""The disk guard's decision: a floor, a quota and a resume margin."""

from __future__ import annotations

import pytest

from recorder.disk import DiskLimits, disk_full

MiB = 1024 * 1024
LIMITS = DiskLimits(min_free_bytes=100 * MiB, max_spool_bytes=500 * MiB,
                    resume_margin_bytes=50 * MiB)


@pytest.mark.parametrize(("was_full", "free", "spooled", "full"), [
    (False, 200 * MiB, 10 * MiB, False),
    (False, 99 * MiB, 10 * MiB, True),  # below the floor
    (False, 900 * MiB, 501 * MiB, True),  # over the quota
    (True, 120 * MiB, 10 * MiB, True),  # not yet clear by the margin
    (True, 151 * MiB, 10 * MiB, False),
    (True, 900 * MiB, 460 * MiB, True),
    (True, 900 * MiB, 449 * MiB, False),
])
def test_disk_full(was_full: bool, free: int, spooled: int, full: bool) -> None:
    assert disk_full(was_full=was_full, free_bytes=free, spooled_bytes=spooled,
                     limits=LIMITS) is full


def test_no_quota() -> None:
    limits = DiskLimits(min_free_bytes=0, max_spool_bytes=None, resume_margin_bytes=0)
    assert not disk_full(was_full=False, free_bytes=1, spooled_bytes=10**12, limits=limits)
