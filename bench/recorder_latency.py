"""Time from a segment closing to the archive confirming its hash, on loopback.

The agent records a simulated 720p camera into 2 s segments and uploads them to a real
archive API process (SQLite catalog, SeaweedFS); per segment, from the moment ffmpeg wrote
its last bytes (the file's mtime) to the moment it was spooled (listed, hashed, fsynced) and
to the moment the archive confirmed it. Target: none set by the issue; reported as measured.

Environment: BENCH_CAMERAS (2), BENCH_SECONDS (120), BENCH_SIZE (1280x720).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from datetime import datetime
from pathlib import Path

from archive.devstack.ephemeral import ephemeral_stack
from bench.common import api_process, setup_archive, summary
from bench.recorder_common import agent_process, camera, env_int, window_toml

SEGMENT_S = 2
WARMUP_SEGMENTS = 3  # per camera: the first closes include the recording's opening


def main() -> None:
    cameras = env_int("BENCH_CAMERAS", 2)
    seconds = env_int("BENCH_SECONDS", 120)
    width, height = (int(x) for x in os.environ.get("BENCH_SIZE", "1280x720").split("x"))
    with tempfile.TemporaryDirectory() as tmp_name, \
            ephemeral_stack(Path(tmp_name) / "stack") as stack:
        tmp = Path(tmp_name)
        bench = setup_archive(stack, tmp / "home")
        with camera(width=width, height=height, bitrate_kbps=3000) as url, \
                api_process(bench.settings) as api_url:
            spool = tmp / "spool"
            config = tmp / "window.toml"
            config.write_text(window_toml(archive_url=api_url, token=bench.device_token,
                                          spool=spool, window_id=bench.window_id,
                                          sources=[url] * cameras, segment_s=SEGMENT_S))
            with agent_process(config, tmp / "agent.log"):
                time.sleep(seconds)
            with sqlite3.connect(spool / "spool.db") as db:
                rows = db.execute(
                    "SELECT camera_id, seq, closed_at, created_at, confirmed_at, size FROM items "
                    "WHERE kind = 'segment' AND state = 'confirmed' AND partial = 0 "
                    "ORDER BY id").fetchall()
    rows = [r for r in rows if r[1] >= WARMUP_SEGMENTS]
    spooled = [datetime.fromisoformat(r[3]).timestamp() - r[2] for r in rows]
    confirmed = [r[4] - r[2] for r in rows]
    size = sum(r[5] for r in rows) / max(1, len(rows))
    print(f"{cameras} camera(s) {width}x{height}, {SEGMENT_S} s segments of {size / 1e6:.2f} MB, "
          f"{seconds} s")
    print(f"close -> spooled (listed, hashed, fsynced): {summary(spooled)}")
    print(f"close -> confirmed by the archive: {summary(confirmed)}")


if __name__ == "__main__":
    main()
