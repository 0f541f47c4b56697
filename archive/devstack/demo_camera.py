"""Demo setup for `make run`: a demo window recorded by a virtual (lavfi) camera.

The recorder is a separate program that speaks to the archive over HTTP: this module writes its
config file and starts it as a process (`aidrec recorder run`), never importing it.
`start_demo_camera` registers the demo jurisdiction, window and device when missing, writes the
agent's window.toml under AIDREC_HOME and starts `aidrec recorder run` in the background;
its pid is in `<home>/run/demo-recorder.pid` (`aidrec down` stops it by that pid).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from archive.access import registry
from archive.catalog.models import Device, Jurisdiction, Window
from archive.evidence.vocabulary import JurisdictionLevel
from archive.services import Archive
from archive.settings import Settings

logger = logging.getLogger(__name__)

PID_FILE = "run/demo-recorder.pid"
CONFIG_FILE = "demo-recorder.toml"
TOKEN_FILE = "demo/recorder.token"  # noqa: S105 - a path, not a secret
WINDOW_ID = "demo-w1"
TREE = (("demo", "示范省", JurisdictionLevel.PROVINCE, None),
        ("demo-p", "示范州", JurisdictionLevel.PREFECTURE, "demo"),
        ("demo-c", "示范县", JurisdictionLevel.COUNTY, "demo-p"),
        ("demo-s", "示范县法律援助工作站", JurisdictionLevel.STATION, "demo-c"))


def demo_pid_path(settings: Settings) -> Path:
    return settings.home.resolve() / PID_FILE


def start_demo_camera(settings: Settings) -> None:
    """Register a demo window and start a virtual camera recording into the local stack."""
    home = settings.home.resolve()
    pid_path = demo_pid_path(settings)
    if _alive(pid_path):
        logger.info("demo recorder already running")
        return
    _ensure_registered(settings, home / TOKEN_FILE)
    config = home / CONFIG_FILE
    config.write_text(_config_text(settings, home))
    config.chmod(0o600)
    (home / "logs").mkdir(parents=True, exist_ok=True)
    with (home / "logs" / "demo-recorder.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "archive", "recorder", "run", "--config", str(config)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=dict(os.environ, AIDREC_HOME=str(home)), start_new_session=True)
    pid_path.parent.mkdir(parents=True, exist_ok=True)
    pid_path.write_text(f"{process.pid}\n")
    logger.info("demo recorder started (pid %d) for window %s", process.pid, WINDOW_ID)


def _alive(pid_path: Path) -> bool:
    try:
        pid = int(pid_path.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True


def _ensure_registered(settings: Settings, token_path: Path) -> str:
    """Demo jurisdictions, window and device; the device token is kept in token_path."""
    archive = Archive.from_settings(settings)
    try:
        archive.catalog.migrate()
        with archive.catalog.write() as db:
            for jid, name, level, parent in TREE:
                if db.get(Jurisdiction, jid) is None:
                    registry.create_jurisdiction(db, id=jid, name=name, level=level,
                                                 parent_id=parent)
            if db.get(Window, WINDOW_ID) is None:
                registry.create_window(db, id=WINDOW_ID, name="演示窗口", jurisdiction_id="demo-s")
            if token_path.exists() and token_path.read_text().strip():
                return token_path.read_text().strip()
            number = 1
            while db.get(Device, f"demo-rec-{number}") is not None:
                number += 1
            _, token = registry.create_device(db, id=f"demo-rec-{number}",
                                              name="demo virtual camera",
                                              jurisdiction_id="demo-s")
    finally:
        archive.close()
    token_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(token_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    return token


def _config_text(settings: Settings, home: Path) -> str:
    return f"""# Written by `aidrec up --demo`: a virtual camera at the demo window.
[agent]
device_id = "demo-recorder"
archive_url = "{settings.api_url}"
token_file = "{home / TOKEN_FILE}"
spool_dir = "{home / 'spool' / 'demo'}"
control_port = 0
min_free_bytes = 268435456
shutdown_upload_grace_s = 2

[[cameras]]
id = "demo-cam1"
window_id = "{WINDOW_ID}"
source = "virtual"
video_size = "640x360"
framerate = 15
segment_s = 10

[cameras.schedule]
mode = "always"
timezone = "Asia/Shanghai"
"""
