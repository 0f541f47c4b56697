"""`aidrec verify` of 1 GB of segments against `sha256sum` of the same files, same run."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archive.devstack.ephemeral import ephemeral_stack
from archive.evidence.vocabulary import RecordingOrigin
from archive.ingest import service as ingest
from archive.settings import to_toml
from bench.common import setup_archive

SEGMENTS = int(os.environ.get("BENCH_SEGMENTS", "100"))
SIZE = 10 * 1024 * 1024


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, ephemeral_stack(Path(tmp) / "stack") as stack:
        bench = setup_archive(stack, Path(tmp) / "home")
        archive = bench.archive
        actor = ingest.Actor("operator:bench", None)
        start = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
        rec = ingest.open_recording(archive.catalog, actor=actor, window_id=bench.window_id,
                                    started_at=start, origin=RecordingOrigin.LIVE,
                                    retention_days=180)
        files_dir = Path(tmp) / "files"
        files_dir.mkdir()
        head, base = rec.chain_head, os.urandom(SIZE)
        for seq in range(SEGMENTS):
            path = files_dir / f"{seq:06d}.ts"
            path.write_bytes(seq.to_bytes(8, "big") + base[8:])
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            moment = start + timedelta(seconds=60 * seq)
            meta = ingest.SegmentMeta(seq=seq, sha256=digest, prev_hash=head,
                                      started_at=moment, ended_at=moment + timedelta(seconds=60),
                                      partial=False, content_type="video/mp2t")
            with path.open("rb") as body:
                head = ingest.put_segment(archive.catalog, archive.store, actor=actor,
                                          recording_id=rec.id, meta=meta, body=body,
                                          size=SIZE, body_sha256=digest).chain_hash
        ingest.close_recording(archive.catalog, actor=actor, recording_id=rec.id,
                               ended_at=start + timedelta(seconds=60 * SEGMENTS))
        archive.sealer.seal_recording(rec.id, now=datetime.now(UTC))
        config = Path(tmp) / "aidrec.toml"
        config.write_text(to_toml(bench.settings))
        env = {**os.environ, "AIDREC_CONFIG": str(config)}
        files = sorted(str(p) for p in files_dir.iterdir())
        gb = SEGMENTS * SIZE / 1e9
        t_sum = t_verify = 0.0
        for _ in range(2):  # alternate; both read warm caches
            began = time.perf_counter()
            subprocess.run(["sha256sum", *files], check=True, capture_output=True)
            t_sum += time.perf_counter() - began
            began = time.perf_counter()
            subprocess.run([sys.executable, "-m", "archive", "verify", "--recording", rec.id],
                           check=True, capture_output=True, env=env)
            t_verify += time.perf_counter() - began
        print(f"data: {SEGMENTS} x {SIZE // 2**20} MiB = {gb:.2f} GB")
        print(f"sha256sum:     {2 * gb / t_sum * 1000:.0f} MB/s ({t_sum / 2:.2f} s)")
        print(f"aidrec verify: {2 * gb / t_verify * 1000:.0f} MB/s ({t_verify / 2:.2f} s, "
              "including process start, signature, timestamp and log checks)")
        print(f"ratio verify/sha256sum: {t_sum / t_verify:.2f} (target >= 0.70)")


if __name__ == "__main__":
    main()
