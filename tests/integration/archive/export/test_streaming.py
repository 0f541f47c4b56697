"""Exports stream: the exporting process's peak memory does not grow with the package.

5 GB is too slow for `make test` on two cores; this compares 96 MiB with 384 MiB of media
from one recording (bench/export_package.py measures 5 GB once and reports it).
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive.devstack.ephemeral import EphemeralStack
from archive.evidence.vocabulary import RecordingOrigin
from archive.ingest import service as ingest
from archive.settings import to_toml
from tests.integration.archive.export.conftest import OPERATOR, open_archive
from tests.support import bootstrap_tree

pytestmark = pytest.mark.usefixtures("test_stack")

SEGMENT = 16 * 1024 * 1024
COUNT = 24
SMALL = 6
T0 = datetime(2026, 11, 3, 1, 0, tzinfo=UTC)


# Linux keeps a process's peak RSS across fork and exec: a child forked straight from pytest
# would report pytest's own size. A small launcher forks the command and reports its peak.
LAUNCHER = ("import os, subprocess, sys; p = subprocess.Popen(sys.argv[1:]); "
            "_, status, usage = os.wait4(p.pid, 0); print('MAXRSS_KB', usage.ru_maxrss); "
            "sys.exit(os.waitstatus_to_exitcode(status))")


def peak_rss_mib(argv: list[str], env: dict[str, str]) -> tuple[int, float, str]:
    """Run a command; its exit code, peak resident set size (MiB) and output."""
    done = subprocess.run([sys.executable, "-c", LAUNCHER, *argv], env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    line = next(x for x in done.stdout.splitlines() if x.startswith("MAXRSS_KB"))
    return done.returncode, int(line.split()[1]) / 1024, done.stdout + done.stderr


def test_export_memory_stays_flat(test_stack: EphemeralStack, tmp_path: Path) -> None:
    archive = open_archive(test_stack, tmp_path / "home", f"sqlite:///{tmp_path / 'c.db'}")
    try:
        tree = bootstrap_tree(archive)
        recording = ingest.open_recording(
            archive.catalog, actor=OPERATOR, window_id=tree.window_id, started_at=T0,
            origin=RecordingOrigin.LIVE, retention_days=180)
        head, base = recording.chain_head, os.urandom(SEGMENT)
        for seq in range(COUNT):
            data = seq.to_bytes(8, "big") + base[8:]
            digest = hashlib.sha256(data).hexdigest()
            start = T0 + timedelta(minutes=seq)
            meta = ingest.SegmentMeta(seq=seq, sha256=digest, prev_hash=head, started_at=start,
                                      ended_at=start + timedelta(minutes=1), partial=False,
                                      content_type="video/mp2t")
            head = ingest.put_segment(archive.catalog, archive.store, actor=OPERATOR,
                                      recording_id=recording.id, meta=meta,
                                      body=io.BytesIO(data), size=SEGMENT,
                                      body_sha256=digest).chain_hash
        ingest.close_recording(archive.catalog, actor=OPERATOR, recording_id=recording.id,
                               ended_at=T0 + timedelta(minutes=COUNT))
        config = tmp_path / "aidrec.toml"
        config.write_text(to_toml(archive.settings))
    finally:
        archive.close()
    env = {**os.environ, "AIDREC_CONFIG": str(config)}
    peaks = []
    # The small export runs twice: one process's peak RSS varies by tens of MiB from run to run
    # (allocator arenas of the prefetch threads), so the baseline is the higher of two.
    for minutes in (SMALL, SMALL, COUNT):
        out = tmp_path / f"export-{minutes}.zip"
        code, peak, output = peak_rss_mib(
            [sys.executable, "-m", "archive", "export", "--window", tree.window_id,
             "--from", T0.isoformat(), "--to", (T0 + timedelta(minutes=minutes)).isoformat(),
             "--reason", "memory test", "--out", str(out), "--json"], env)
        assert code == 0, output
        assert out.stat().st_size > minutes * SEGMENT
        peaks.append(peak)
        out.unlink()
    small, large = max(peaks[:2]), peaks[2]
    print(f"peak RSS: {SMALL * 16} MiB export {small:.0f} MiB, {COUNT * 16} MiB export "
          f"{large:.0f} MiB")
    assert large < 300, peaks
    assert large - small < 32, f"memory grew with the export: {peaks}"
