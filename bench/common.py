"""Shared set-up for benchmarks: an ephemeral stack, a catalog, a registered device, an API."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from archive.access import registry
from archive.devstack.ephemeral import EphemeralStack, free_port
from archive.evidence.vocabulary import JurisdictionLevel
from archive.services import Archive
from archive.settings import Settings, to_toml


@dataclass(frozen=True)
class Bench:
    stack: EphemeralStack
    settings: Settings
    archive: Archive
    device_token: str
    window_id: str


def setup_archive(stack: EphemeralStack, home: Path, catalog_url: str | None = None) -> Bench:
    settings = stack.settings(home=home,
                              catalog_url=catalog_url or f"sqlite:///{home / 'catalog.db'}")
    archive = Archive.from_settings(settings)
    archive.catalog.migrate()
    with archive.catalog.write() as db:
        registry.create_jurisdiction(db, id="p", name="省", level=JurisdictionLevel.PROVINCE)
        registry.create_jurisdiction(db, id="f", name="市", parent_id="p",
                                     level=JurisdictionLevel.PREFECTURE)
        registry.create_jurisdiction(db, id="c", name="县", parent_id="f",
                                     level=JurisdictionLevel.COUNTY)
        registry.create_jurisdiction(db, id="s", name="站", parent_id="c",
                                     level=JurisdictionLevel.STATION)
        registry.create_window(db, id="w1", name="窗口", jurisdiction_id="s")
        _, token = registry.create_device(db, id="d1", name="bench", jurisdiction_id="s")
    return Bench(stack, settings, archive, token, "w1")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its reaped children, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(v) for v in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


API_PIDS: list[int] = []


@contextmanager
def api_process(settings: Settings) -> Iterator[str]:
    """The API as its own process (as in production), on a free port."""
    settings.home.mkdir(parents=True, exist_ok=True)
    config = settings.home / "bench.toml"
    config.write_text(to_toml(settings))
    port = free_port()
    env = {**os.environ, "AIDREC_CONFIG": str(config), "AIDREC_HOME": str(settings.home)}
    log = (settings.home / "api.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "archive", "api", "--port", str(port)],
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    API_PIDS.append(process.pid)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=1)  # noqa: S310
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((settings.home / "api.log").read_text()) from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(15)
        log.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values: list[float]) -> str:
    return (f"median {statistics.median(values) * 1000:.1f} ms, "
            f"p95 {percentile(values, 0.95) * 1000:.1f} ms, n={len(values)}")
