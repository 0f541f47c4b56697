"""The local stack and the CLI as an operator uses them: up, status, ingest, verify, down."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from archive.devstack.seaweed import find_free_s3_port
from archive.evidence.digest import chain_hash
from tests.conftest import free_port
from tests.support import make_media


def _env(home: Path) -> dict[str, str]:
    s3 = find_free_s3_port()
    return {**os.environ, "AIDREC_HOME": str(home), "AIDREC_PORTS__API": str(free_port()),
            "AIDREC_PORTS__S3": str(s3), "AIDREC_PORTS__SEAWEED_BASE": str(s3 + 1),
            "AIDREC_PORTS__TSA": str(free_port()),
            # Share the assembled Whisper model with the transcription tests.
            "AIDREC_TRANSCRIBE__MODELS_DIR": str(Path.home() / ".cache" / "aidrec" / "models")}


def aidrec(env: dict[str, str], *args: str, check: bool = True,
           timeout: float = 120) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "archive", *args], env=env, text=True,
                            capture_output=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"aidrec {' '.join(args)} -> {result.returncode}\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    env = _env(tmp_path_factory.mktemp("home"))
    aidrec(env, "up", "--detach")
    try:
        for args in (["add-jurisdiction", "yn", "云南省", "province"],
                     ["add-jurisdiction", "km", "昆明市", "prefecture", "--parent", "yn"],
                     ["add-jurisdiction", "wh", "五华区", "county", "--parent", "km"],
                     ["add-jurisdiction", "wh-s1", "五华区工作站", "station", "--parent", "wh"],
                     ["add-window", "hotline-1", "12348热线", "wh-s1", "--kind", "hotline"],
                     ["add-window", "wh-w1", "1号窗口", "wh-s1"]):
            aidrec(env, "admin", *args)
        yield env
    finally:
        aidrec(env, "down", check=False)


def _status(env: dict[str, str]) -> dict[str, object]:
    result = aidrec(env, "status", "--json", check=False)
    status: dict[str, object] = json.loads(result.stdout)
    return status


def test_status_names_every_service_with_pid_and_address(stack: dict[str, str]) -> None:
    status = _status(stack)
    assert status["running"] is True
    services = {s["name"]: s for s in status["services"]}  # type: ignore[attr-defined]
    assert set(services) == {"s3", "tsa", "api", "worker"}
    for service in services.values():
        assert service["pid"] > 0 and service["running"] and service["answers"], service
    assert services["api"]["address"] == f"http://127.0.0.1:{stack['AIDREC_PORTS__API']}/"


def test_no_process_shows_an_s3_secret_on_its_command_line(stack: dict[str, str]) -> None:
    """`ps` shows every user each command line: the stack's S3 keys reach weed by 0600 files."""
    local = tomllib.loads((Path(stack["AIDREC_HOME"]) / "local.toml").read_text())["s3"]
    secrets = [local["secret_key"], local["hold_secret_key"]]
    services = {s["name"]: s for s in _status(stack)["services"]}  # type: ignore[attr-defined]
    wrapper = int(services["s3"]["pid"])
    lines = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                lines[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                continue
    assert b"archive.devstack.seaweed" in lines[wrapper]
    assert any(b"weed mini" in line for line in lines.values())
    assert [pid for pid, line in lines.items()
            if any(secret.encode() in line for secret in secrets)] == []
    keys = Path(stack["AIDREC_HOME"]) / "run" / "s3-credentials.json"
    assert keys.stat().st_mode & 0o777 == 0o600


def test_ingest_of_real_media_then_verify_passes(stack: dict[str, str], tmp_path: Path) -> None:
    clip = make_media(tmp_path / "call.ts", seconds=3)
    audio = make_media(tmp_path / "call.wav", seconds=2, kind="wav")
    out = aidrec(stack, "ingest", str(clip), str(audio), "--window", "hotline-1",
                 "--case", "云援〔2026〕0123号", "--stage", "consultation", "--staff", "s-7",
                 "--json")
    result = json.loads(out.stdout)
    assert result["sealed"] is True and result["segments"] == 2
    verified = aidrec(stack, "verify", "--session", result["session_id"])
    assert "all checks passed" in verified.stdout
    as_json = json.loads(aidrec(stack, "verify", "--session", result["session_id"],
                                "--json").stdout)
    assert as_json["ok"] is True
    assert aidrec(stack, "fixity", "--json").returncode == 0


def _evidence_rows(stack: dict[str, str]) -> tuple[int, int, int]:
    # Recordings, segments and seals: the stack's worker may meanwhile seal the access log's
    # head (its own objects), so the store's total is not what a bad ingest must leave alone.
    with sqlite3.connect(Path(stack["AIDREC_HOME"]) / "catalog.db") as db:
        return tuple(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[return-value]
                     for table in ("recordings", "segments", "seals"))


def test_bad_ingest_arguments_store_nothing(stack: dict[str, str], tmp_path: Path) -> None:
    before = _evidence_rows(stack)
    not_media = tmp_path / "notes.ts"
    not_media.write_text("not a video")
    bad = aidrec(stack, "ingest", str(not_media), "--window", "hotline-1", check=False)
    assert bad.returncode == 2 and "not readable media" in bad.stderr
    missing = aidrec(stack, "ingest", str(tmp_path / "nope.ts"), "--window", "hotline-1",
                     check=False)
    assert missing.returncode == 2 and "is not a file" in missing.stderr
    clip = make_media(tmp_path / "ok.ts", seconds=1)
    unknown = aidrec(stack, "ingest", str(clip), "--window", "no-such-window", check=False)
    assert unknown.returncode == 2 and "does not exist" in unknown.stderr
    assert _evidence_rows(stack) == before
    assert aidrec(stack, "fixity", "--json").returncode == 0


def test_api_killed_mid_upload_loses_nothing(stack: dict[str, str]) -> None:
    token = aidrec(stack, "admin", "add-device", "rec-kill", "recorder", "wh-s1").stdout.strip()
    api = f"http://127.0.0.1:{stack['AIDREC_PORTS__API']}"
    headers = {"Authorization": f"Bearer {token}"}
    start = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
    with httpx.Client(base_url=api, headers=headers, timeout=30) as client:
        rec = client.post("/api/v1/ingest/recordings",
                          json={"window_id": "wh-w1", "started_at": start.isoformat()}).json()
        data = os.urandom(4 * 1024 * 1024)
        digest = hashlib.sha256(data).hexdigest()
        params = {"sha256": digest, "prev_hash": rec["chain_head"],
                  "started_at": start.isoformat(),
                  "ended_at": (start + timedelta(seconds=5)).isoformat()}
        url = f"/api/v1/ingest/recordings/{rec['id']}/segments/0"
        api_pid = next(s["pid"] for s in _status(stack)["services"]  # type: ignore[attr-defined]
                       if s["name"] == "api")
        _send_half_then_kill(api, url, params, headers, data, api_pid)
        put = _retry_until_up(lambda: client.put(url, params=params, content=data,
                                                  headers={"Content-Type": "video/mp2t"}))
        assert put.status_code == 200, put.text
        assert put.json()["chain_hash"] == chain_hash(rec["chain_head"], digest)
        closed = client.post(f"/api/v1/ingest/recordings/{rec['id']}/close",
                             json={"ended_at": params["ended_at"]})
        assert closed.status_code == 200
    deadline = time.monotonic() + 60
    while True:  # the worker seals it
        report = aidrec(stack, "verify", "--recording", rec["id"], "--json", check=False)
        if report.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert json.loads(report.stdout)["ok"] is True, report.stdout


def _send_half_then_kill(api: str, url: str, params: dict[str, str],
                         headers: dict[str, str], data: bytes, pid: int) -> None:
    """Stream half of the body, SIGKILL the API process, then drop the connection."""
    host, port = api.removeprefix("http://").split(":")
    query = str(httpx.QueryParams(params))
    head = (f"PUT {url}?{query} HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: {headers['Authorization']}\r\nContent-Type: video/mp2t\r\n"
            f"Content-Length: {len(data)}\r\n\r\n").encode()
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(head + data[: len(data) // 2])
        time.sleep(0.3)
        os.kill(pid, signal.SIGKILL)


def _retry_until_up(call: object, timeout_s: float = 60) -> httpx.Response:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            response: httpx.Response = call()  # type: ignore[operator]
            return response
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_taken_port_is_a_clear_error_not_a_hang(tmp_path: Path) -> None:
    env = _env(tmp_path / "taken")
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", int(env["AIDREC_PORTS__TSA"])))
        blocker.listen()
        began = time.monotonic()
        result = aidrec(env, "up", "--detach", check=False, timeout=60)
        assert time.monotonic() - began < 30
    assert result.returncode != 0
    assert f"port {env['AIDREC_PORTS__TSA']} on 127.0.0.1 is taken" in result.stderr
    assert _status(env)["running"] is False


def test_two_stacks_run_side_by_side_and_stop(stack: dict[str, str], tmp_path: Path) -> None:
    env = _env(tmp_path / "second")
    aidrec(env, "up", "--detach")
    try:
        assert _status(env)["running"] is True
        assert _status(stack)["running"] is True
    finally:
        aidrec(env, "down")
    status = _status(env)
    assert status["running"] is False
    for service in status["services"]:  # type: ignore[attr-defined]
        assert not service["running"]
