"""Shared parts of the recorder benchmarks: a simulated 720p camera, the agent as a process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from archive.devstack.ephemeral import free_port
from bench.common import cpu_seconds

ROOT = Path(__file__).resolve().parent.parent
CAMERA_SCRIPT = ROOT / "tests" / "integration" / "recorder" / "camera_sim.py"


@contextmanager
def camera(*, width: int, height: int, bitrate_kbps: int, gop: int = 50) -> Iterator[str]:
    """GStreamer's RTSP server with one shared H.264+AAC mount; yields its URL."""
    port = free_port()
    process = subprocess.Popen(
        ["/usr/bin/python3", str(CAMERA_SCRIPT), "--port", str(port), "--width", str(width),
         "--height", str(height), "--bitrate", str(bitrate_kbps), "--gop", str(gop),
         "--pattern", "snow"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    if not process.stdout.readline().startswith(b"ready"):
        raise RuntimeError("camera simulator did not start")
    try:
        yield f"rtsp://127.0.0.1:{port}/cam"
    finally:
        process.terminate()
        process.wait(10)


def window_toml(*, archive_url: str, token: str, spool: Path, window_id: str,
                sources: list[str], segment_s: int) -> str:
    lines = ["[agent]", f'archive_url = "{archive_url}"', f'token = "{token}"',
             f'spool_dir = "{spool}"', "control_port = 0", "min_free_bytes = 0"]
    for i, source in enumerate(sources):
        lines += ["", "[[cameras]]", f'id = "cam{i}"', f'window_id = "{window_id}"',
                  f'source = "{source}"', f"segment_s = {segment_s}",
                  # GStreamer's server answers slowly on a loaded box.
                  "socket_timeout_s = 15",
                  "[cameras.schedule]", 'mode = "always"']
    return "\n".join(lines) + "\n"


@contextmanager
def agent_process(config: Path, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "archive", "recorder", "run",
                                    "--config", str(config)], cwd=ROOT, stdout=out,
                                   stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def tree_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of a process (with its reaped children) and of each live child."""
    result = {pid: cpu_seconds(pid)}
    for child in children(pid):
        try:
            result[child] = cpu_seconds(child)
        except OSError:
            continue
    return result


def delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two snapshots; a child that appeared in between counts from zero."""
    return sum(after[p] - before.get(p, 0.0) for p in after)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def wait_for(check: Any, timeout: float, *, logs: tuple[Path, ...] = ()) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {p}:\n" + "\n".join(
                p.read_text(errors="replace").splitlines()[-30:]) for p in logs if p.exists())
            raise RuntimeError(f"timed out\n{tails}")
        time.sleep(0.5)


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))
