"""Real parts for the recorder's tests: a live RTSP camera, an archive API process that can be
stopped, and the agent as its own process, all faults injected by pid."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from archive.catalog.models import Gap, Segment
from archive.devstack.ephemeral import EphemeralStack as TestStack
from archive.devstack.ephemeral import free_port
from archive.services import Archive
from archive.settings import Settings
from tests.support import Tree, bootstrap_tree

ROOT = Path(__file__).resolve().parents[3]
SYSTEM_PYTHON = "/usr/bin/python3"  # the Debian interpreter that sees GStreamer's `gi`
CAMERA_SCRIPT = Path(__file__).with_name("camera_sim.py")


def wait_until(check: Callable[[], Any], *, timeout: float, interval: float = 0.2,
               what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def _stop(process: subprocess.Popen[bytes] | None, timeout: float = 20) -> None:
    """terminate → wait → kill."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@dataclass
class CameraSim:
    """GStreamer's RTSP server on 127.0.0.1: /cam (H.264+AAC), /g711 (H.264+G.711)."""

    log: Path
    port: int = field(default_factory=free_port)
    args: tuple[str, ...] = ()
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [SYSTEM_PYTHON, str(CAMERA_SCRIPT), "--port", str(self.port), *self.args],
                stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode()
        if not line.startswith("ready"):
            _stop(self.process)
            raise AssertionError(f"camera simulator did not start: {self.log.read_text()}")

    def url(self, mount: str = "cam") -> str:
        return f"rtsp://127.0.0.1:{self.port}/{mount}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def kill(self) -> float:
        """SIGKILL (the camera loses power); returns the wall time."""
        assert self.process is not None
        at = time.time()
        os.kill(self.pid, signal.SIGKILL)
        self.process.wait(10)
        return at

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.pid, signal.SIGCONT)
        _stop(self.process)


@dataclass
class ApiServer:
    """`create_app` served by uvicorn in its own process, against the test stack."""

    settings: Settings
    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        data = self.settings.model_dump(mode="json")
        data["s3"]["secret_key"] = self.settings.s3.secret_key.get_secret_value()
        data["s3"]["hold_secret_key"] = self.settings.s3.hold_secret_key.get_secret_value()
        path = self.workdir / "api-settings.json"
        path.write_text(json.dumps(data))
        env = dict(os.environ, AIDREC_TRANSCRIBE__ENABLED="false",
                   AIDREC_HOME=str(self.settings.home))
        with (self.workdir / "api.log").open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.integration.recorder.api_server", str(path),
                 str(self.port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL)

        def healthy() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"API died: {(self.workdir / 'api.log').read_text()}")
            try:
                return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(healthy, timeout=120, what="the API")

    def stop(self) -> None:
        _stop(self.process)


@dataclass
class AgentProcess:
    """`aidrec recorder run --config window.toml` as a child process."""

    config_path: Path
    spool_dir: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "archive", "recorder", "run", "--config",
                 str(self.config_path)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self, timeout: float = 40) -> None:
        _stop(self.process, timeout)

    def children(self) -> list[int]:
        pids: list[int] = []
        for task in Path(f"/proc/{self.pid}/task").iterdir():
            text = (task / "children").read_text().split()
            pids.extend(int(p) for p in text)
        return pids

    def kill(self) -> float:
        """SIGKILL the agent alone; its ffmpeg children are left to the kernel."""
        assert self.process is not None
        at = time.time()
        os.kill(self.pid, signal.SIGKILL)
        self.process.wait(10)
        return at

    def kill_all(self) -> float:
        """SIGKILL the agent and its ffmpeg children at once (a crash or power cut)."""
        assert self.process is not None
        children = self.children()
        at = time.time()
        os.kill(self.pid, signal.SIGKILL)
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(10)
        return at

    def db(self) -> sqlite3.Connection:
        conn = sqlite3.connect(f"file:{self.spool_dir / 'spool.db'}?mode=ro", uri=True,
                               timeout=10)
        conn.row_factory = sqlite3.Row
        return conn

    def query(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        try:
            with self.db() as conn:
                return list(conn.execute(sql, args).fetchall())
        except sqlite3.OperationalError:
            return []

    def segments(self) -> list[sqlite3.Row]:
        return self.query("SELECT * FROM items WHERE kind = 'segment' ORDER BY id")

    def confirmed_segments(self) -> int:
        return sum(1 for s in self.segments() if s["state"] == "confirmed")

    def pending_items(self) -> int:
        return len(self.query("SELECT id FROM items WHERE state = 'pending'"))

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class RecorderWorld:
    """Everything one recorder test needs."""

    tmp: Path
    settings: Settings
    archive: Archive
    tree: Tree
    api: ApiServer
    cameras: list[CameraSim] = field(default_factory=list)
    agents: list[AgentProcess] = field(default_factory=list)

    def camera(self, *args: str) -> CameraSim:
        cam = CameraSim(log=self.tmp / f"camera-{len(self.cameras)}.log", args=args)
        cam.start()
        self.cameras.append(cam)
        return cam

    def agent(self, cameras: list[dict[str, Any]], *, token: str | None = None,
              spool_dir: Path | None = None, start: bool = True,
              **agent_options: Any) -> AgentProcess:
        spool = spool_dir or self.tmp / f"spool-{len(self.agents)}"
        spool.mkdir(parents=True, exist_ok=True)
        agent = {"device_id": "wh-rec1", "archive_url": self.api.url,
                 "token": token or self.tree.token, "spool_dir": str(spool),
                 "control_port": 0, "heartbeat_interval_s": 2, "min_free_bytes": 0,
                 "upload_backoff_initial_s": 0.2, "upload_backoff_max_s": 2,
                 "disk_check_interval_s": 0.5, "shutdown_upload_grace_s": 30,
                 **agent_options}
        camera_defaults = {"segment_s": 2, "socket_timeout_s": 2, "stall_timeout_s": 10,
                           "restart_backoff_initial_s": 0.3, "restart_backoff_max_s": 1,
                           "schedule": {"mode": "always"}}
        config = {"agent": agent, "cameras": [{**camera_defaults, **c} for c in cameras]}
        path = self.tmp / f"window-{len(self.agents)}.toml"
        path.write_text(_toml(config))
        process = AgentProcess(config_path=path, spool_dir=spool,
                               log=self.tmp / f"agent-{len(self.agents)}.log")
        self.agents.append(process)
        if start:
            process.start()
        return process

    def archive_segments(self, recording_id: str) -> list[Segment]:
        with self.archive.catalog.read() as db:
            return list(db.scalars(select(Segment).where(Segment.recording_id == recording_id)
                                   .order_by(Segment.seq)))

    def gaps(self, recording_id: str) -> list[Gap]:
        with self.archive.catalog.read() as db:
            return list(db.scalars(select(Gap).where(Gap.recording_id == recording_id)
                                   .order_by(Gap.started_at)))

    def check_everything_arrived(self, agent: AgentProcess) -> list[str]:
        """Every segment the agent closed is in the archive with its hash and chain link,
        and each recording's chain verifies after a seal. Returns the recording ids."""
        wait_until(lambda: agent.pending_items() == 0 and agent.segments(), timeout=90,
                   what="the spool to drain")
        recordings = agent.query("SELECT * FROM recordings ORDER BY id")
        ids = []
        for rec in recordings:
            local = [s for s in agent.segments() if s["recording_id"] == rec["id"]]
            if rec["remote_id"] is None:
                assert not local, "segments of a recording the archive never opened"
                continue
            stored = self.archive_segments(rec["remote_id"])
            assert [(s.seq, s.sha256, s.chain_hash, s.partial) for s in stored] == [
                (s["seq"], s["sha256"], s["chain_hash"], bool(s["partial"])) for s in local]
            assert all(s["state"] == "confirmed" for s in local)
            self.archive.sealer.seal_recording(rec["remote_id"], now=datetime.now(UTC))
            report = self.archive.verifier().verify_recording(rec["remote_id"])
            assert report.ok, [(c.name, c.detail) for c in report.checks if not c.ok]
            ids.append(rec["remote_id"])
        return ids


def _toml(data: dict[str, Any]) -> str:
    """Enough TOML for the agent's configuration (tables, arrays of tables, scalars)."""
    lines = ["[agent]"]
    lines += [f"{k} = {_value(v)}" for k, v in data["agent"].items()]
    for cam in data["cameras"]:
        lines.append("\n[[cameras]]")
        nested = {k: v for k, v in cam.items() if isinstance(v, dict)}
        lines += [f"{k} = {_value(v)}" for k, v in cam.items() if k not in nested]
        for name, table in nested.items():
            lines.append(f"[cameras.{name}]")
            lines += [f"{k} = {_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


@pytest.fixture
def world(test_stack: TestStack, tmp_path: Path) -> Iterator[RecorderWorld]:
    settings = test_stack.settings(home=tmp_path / "home",
                                   catalog_url=f"sqlite:///{tmp_path / 'catalog.db'}")
    archive = Archive.from_settings(settings)
    archive.catalog.migrate()
    tree = bootstrap_tree(archive)
    api = ApiServer(settings=settings, workdir=tmp_path)
    world = RecorderWorld(tmp=tmp_path, settings=settings, archive=archive, tree=tree, api=api)
    try:
        api.start()
        yield world
    finally:
        for agent in world.agents:
            agent.stop()
        for camera in world.cameras:
            camera.stop()
        api.stop()
        archive.close()
