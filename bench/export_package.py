"""`aidrec export` and `aidrec verify FILE.zip` of 1 GB against `zip -0` and `sha256sum` of the
same files in the same run, with the peak RSS of each process.

BENCH_SEGMENTS (default 100) x 10 MiB segments. BENCH_5GB=1 instead runs one export and one
verify of 512 x 10 MiB (5.4 GB) and reports their time and peak RSS (~10 minutes on 2 cores).
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from archive.devstack.ephemeral import ephemeral_stack
from archive.evidence.vocabulary import RecordingOrigin
from archive.ingest import service as ingest
from archive.settings import to_toml
from bench.common import Bench, setup_archive

SEGMENTS = int(os.environ.get("BENCH_SEGMENTS", "100"))
SIZE = 10 * 1024 * 1024
START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
# Peak RSS survives fork+exec on Linux: measure through a small launcher, not from here.
LAUNCHER = ("import os, subprocess, sys; p = subprocess.Popen(sys.argv[1:], "
            "stdout=subprocess.DEVNULL); _, s, u = os.wait4(p.pid, 0); "
            "print(u.ru_maxrss); sys.exit(os.waitstatus_to_exitcode(s))")


def measured(argv: list[str], env: dict[str, str] | None = None,
             cwd: Path | None = None) -> tuple[float, float]:
    """Seconds and peak RSS (MiB) of one command."""
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", LAUNCHER, *argv], env=env, cwd=cwd,
                          capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"{argv[:3]} failed: {done.stderr[-2000:]}")
    return elapsed, int(done.stdout.split()[-1]) / 1024


def record(bench: Bench, count: int, files: Path | None) -> str:
    """A closed, sealed recording of `count` segments; also written to `files` if given."""
    archive = bench.archive
    actor = ingest.Actor("operator:bench", None)
    opened = ingest.open_recording(archive.catalog, actor=actor, window_id=bench.window_id,
                                   started_at=START, origin=RecordingOrigin.LIVE,
                                   retention_days=180)
    print(f"storing {count} x {SIZE // 2**20} MiB", flush=True)
    head, base = opened.chain_head, os.urandom(SIZE)
    for seq in range(count):
        data = seq.to_bytes(8, "big") + base[8:]
        if files is not None:
            (files / f"{seq:06d}.ts").write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        moment = START + timedelta(seconds=60 * seq)
        meta = ingest.SegmentMeta(seq=seq, sha256=digest, prev_hash=head, started_at=moment,
                                  ended_at=moment + timedelta(seconds=60), partial=False,
                                  content_type="video/mp2t")
        head = ingest.put_segment(archive.catalog, archive.store, actor=actor,
                                  recording_id=opened.id, meta=meta, body=io.BytesIO(data),
                                  size=SIZE, body_sha256=digest).chain_hash
    ingest.close_recording(archive.catalog, actor=actor, recording_id=opened.id,
                           ended_at=START + timedelta(seconds=60 * count))
    archive.sealer.seal_recording(opened.id, now=datetime.now(UTC))
    return opened.id


def export_argv(bench: Bench, out: Path, count: int) -> list[str]:
    return [sys.executable, "-m", "archive", "export", "--window", bench.window_id,
            "--from", START.isoformat(),
            "--to", (START + timedelta(seconds=60 * count)).isoformat(),
            "--reason", "benchmark", "--out", str(out), "--json"]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, ephemeral_stack(Path(tmp) / "stack") as stack:
        root = Path(tmp)
        bench = setup_archive(stack, root / "home")
        config = root / "aidrec.toml"
        config.write_text(to_toml(bench.settings))
        env = {**os.environ, "AIDREC_CONFIG": str(config)}
        trust = ["--trust-root", str(stack.pki.root_cert)]
        if os.environ.get("BENCH_5GB") == "1":
            large(bench, root, env, trust)
        else:
            compare(bench, root, env, trust)


def compare(bench: Bench, root: Path, env: dict[str, str], trust: list[str]) -> None:
    files = root / "files"
    files.mkdir()
    record(bench, SEGMENTS, files)
    names = sorted(p.name for p in files.iterdir())
    gb = SEGMENTS * SIZE / 1e9
    times: dict[str, float] = {"zip": 0, "export": 0, "sha256sum": 0, "verify": 0}
    peaks: dict[str, float] = dict.fromkeys(times, 0.0)
    for rep in range(2):  # alternated; both sides read warm caches
        for name, argv, where in (
                ("zip", ["zip", "-q", "-0", str(root / f"z{rep}.zip"), *names], files),
                ("export", export_argv(bench, root / f"p{rep}.zip", SEGMENTS), None),
                ("sha256sum", ["sha256sum", *names], files),
                ("verify", [sys.executable, "-m", "archive", "verify",
                            str(root / f"p{rep}.zip"), *trust], None)):
            seconds, peak = measured(argv, env, where)
            times[name] += seconds / 2
            peaks[name] = max(peaks[name], peak)
        (root / f"z{rep}.zip").unlink()
    print(f"data: {SEGMENTS} x {SIZE // 2**20} MiB = {gb:.2f} GB")
    for name in times:
        print(f"{name:10s} {gb / times[name] * 1000:6.0f} MB/s ({times[name]:.2f} s), "
              f"peak RSS {peaks[name]:.0f} MiB")
    print(f"export/zip -0:      {times['zip'] / times['export']:.2f} (target >= 0.5)")
    print(f"verify/sha256sum:   {times['sha256sum'] / times['verify']:.2f} (target >= 0.7)")


def large(bench: Bench, root: Path, env: dict[str, str], trust: list[str]) -> None:
    count = 512  # x 10 MiB = 5.4 GB
    record(bench, count, None)
    out = root / "large.zip"
    seconds, peak = measured(export_argv(bench, out, count), env)
    print(f"5 GB export: {out.stat().st_size / 1e9:.2f} GB in {seconds:.0f} s "
          f"({out.stat().st_size / 1e6 / seconds:.0f} MB/s), peak RSS {peak:.0f} MiB")
    seconds, peak = measured([sys.executable, "-m", "archive", "verify", str(out), *trust], env)
    print(f"5 GB verify: {seconds:.0f} s ({out.stat().st_size / 1e6 / seconds:.0f} MB/s), "
          f"peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
