"""CPU per camera of the whole recorder agent against bare `ffmpeg -c copy` of the same stream.

In one run, N agent cameras and N bare `ffmpeg -c copy` segmenters pull the same simulated
720p H.264+AAC RTSP stream (one shared GStreamer encoder) for the same wall time. The agent's
figure is its whole process tree: ffmpeg children, hashing, the spool and the uploads to a
real archive API (whose own CPU is not counted). Segments are 60 s (the default); with
BENCH_SEGMENT_S=10 the agent closes, hashes and uploads six times as often.

Environment: BENCH_CAMERAS (8), BENCH_SECONDS (240), BENCH_WARMUP (20), BENCH_SIZE (1280x720),
BENCH_BITRATE (3000 kbit/s), BENCH_SEGMENT_S (60).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

from archive.devstack.ephemeral import ephemeral_stack
from bench.common import api_process, cpu_seconds, setup_archive
from bench.recorder_common import (
    agent_process,
    camera,
    delta,
    env_int,
    rss_mib,
    tree_cpu,
    wait_for,
    window_toml,
)
from recorder.ffmpeg_args import build_copy_baseline_args

TARGET_RATIO = 1.3


def _confirmed(spool: Path) -> int:
    try:
        with sqlite3.connect(f"file:{spool / 'spool.db'}?mode=ro", uri=True) as db:
            row = db.execute("SELECT COUNT(*) FROM items WHERE kind = 'segment' AND "
                             "state = 'confirmed'").fetchone()
            return int(row[0])
    except sqlite3.Error:
        return 0


def main() -> None:
    cameras = env_int("BENCH_CAMERAS", 8)
    seconds = env_int("BENCH_SECONDS", 240)
    segment_s = env_int("BENCH_SEGMENT_S", 60)
    warmup = env_int("BENCH_WARMUP", 20)
    width, height = (int(x) for x in os.environ.get("BENCH_SIZE", "1280x720").split("x"))
    bitrate = env_int("BENCH_BITRATE", 3000)
    with tempfile.TemporaryDirectory() as tmp_name, \
            ephemeral_stack(Path(tmp_name) / "stack") as stack:
        tmp = Path(tmp_name)
        bench = setup_archive(stack, tmp / "home")
        with camera(width=width, height=height, bitrate_kbps=bitrate) as url, \
                api_process(bench.settings) as api_url:
            spool = tmp / "spool"
            config = tmp / "window.toml"
            config.write_text(window_toml(archive_url=api_url, token=bench.device_token,
                                          spool=spool, window_id=bench.window_id,
                                          sources=[url] * cameras, segment_s=segment_s))
            bare: list[subprocess.Popen[bytes]] = []
            for i in range(cameras):
                out = tmp / "bare" / str(i)
                out.mkdir(parents=True)
                argv = build_copy_baseline_args(url, out, segment_s=segment_s)
                argv.insert(1, "-nostats")
                bare.append(subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                             stdout=subprocess.DEVNULL,
                                             stderr=subprocess.DEVNULL))
                time.sleep(1.0)  # GStreamer's server refuses simultaneous set-ups
            try:
                with agent_process(config, tmp / "agent.log") as agent:
                    wait_for(lambda: _confirmed(spool) >= cameras, timeout=2 * segment_s + 90,
                             logs=(tmp / "agent.log", tmp / "home" / "api.log"))
                    time.sleep(warmup)
                    agent_before = tree_cpu(agent.pid)
                    bare_before = [cpu_seconds(p.pid) for p in bare]
                    confirmed_before = _confirmed(spool)
                    began = time.monotonic()
                    time.sleep(seconds)
                    wall = time.monotonic() - began
                    agent_after = tree_cpu(agent.pid)
                    bare_after = [cpu_seconds(p.pid) for p in bare]
                    if any(p.poll() is not None for p in bare):
                        raise RuntimeError("a bare ffmpeg exited during the run")
                    confirmed = _confirmed(spool) - confirmed_before
                    rss_agent = rss_mib(agent.pid)
                    rss_ffmpeg = [rss_mib(p) for p in agent_after if p != agent.pid]
                    restarts = sum(1 for p in agent_after if p not in agent_before)
            finally:
                for process in bare:
                    process.terminate()
                    process.wait(10)
    agent_cpu = delta(agent_before, agent_after)
    agent_python = agent_after[agent.pid] - agent_before[agent.pid]
    bare_cpu = sum(a - b for a, b in zip(bare_after, bare_before, strict=True))
    per_agent = agent_cpu / wall / cameras
    per_bare = bare_cpu / wall / cameras
    ratio = agent_cpu / bare_cpu
    print(f"{cameras} cameras {width}x{height} @ {bitrate} kbit/s, {segment_s} s segments, "
          f"{wall:.0f} s measured after {warmup} s warm-up; {confirmed} segments uploaded "
          f"and confirmed in the window; {restarts} ffmpeg restarts")
    print(f"bare ffmpeg -c copy: {per_bare * 100:.2f} % of a core per camera")
    print(f"agent (whole tree): {per_agent * 100:.2f} % of a core per camera "
          f"(of which the Python agent {agent_python / wall / cameras * 100:.2f} %)")
    print(f"ratio agent / bare: {ratio:.2f} (target <= {TARGET_RATIO})")
    per_ffmpeg = sum(rss_ffmpeg) / max(1, len(rss_ffmpeg))
    print(f"memory: agent {rss_agent:.0f} MiB + ffmpeg {per_ffmpeg:.0f} MiB per camera")
    for budget in (1.0, 0.8):
        print(f"cameras per 2-core box at {budget:.0%} CPU: {int(2 * budget / per_agent)}")


if __name__ == "__main__":
    main()
