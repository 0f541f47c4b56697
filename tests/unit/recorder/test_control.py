"""The control API's checks, one by one, and the real server refusing before it acts."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from recorder import control_guard as guard
from recorder.agent import Agent
from recorder.config import parse_config
from recorder.control import ControlServer, call, read_control_file, read_secret
from recorder.errors import ControlError

PORT = 8790
SECRET = "s" * 43


def _headers(**extra: str) -> dict[str, str]:
    base = {"host": f"127.0.0.1:{PORT}", "authorization": f"Bearer {SECRET}",
            "content-type": "application/json", "content-length": "2"}
    return {k: v for k, v in {**base, **extra}.items() if v != "-"}


def _check(method: str = "POST", **extra: str) -> guard.Refusal | None:
    return guard.check(method=method, headers=_headers(**extra), port=PORT, secret=SECRET)


def test_a_proper_call_passes() -> None:
    assert _check() is None
    assert _check(host=f"localhost:{PORT}", origin=f"http://localhost:{PORT}") is None
    assert _check("GET", **{"content-type": "-", "content-length": "-"}) is None
    assert _check(**{"sec-fetch-site": "same-origin"}) is None
    assert _check(**{"content-type": "application/json; charset=utf-8"}) is None


@pytest.mark.parametrize(("extra", "status", "reason"), [
    ({"host": "-"}, 403, "bad_host"),
    ({"host": "evil.example:8790"}, 403, "bad_host"),  # DNS rebinding
    ({"host": "127.0.0.1:8791"}, 403, "bad_host"),
    ({"origin": "http://127.0.0.1:9000"}, 403, "bad_origin"),
    ({"origin": "https://evil.example"}, 403, "bad_origin"),
    ({"origin": "null"}, 403, "bad_origin"),
    ({"sec-fetch-site": "cross-site"}, 403, "cross_site"),
    ({"sec-fetch-site": "same-site"}, 403, "cross_site"),
    ({"authorization": "-"}, 401, "no_secret"),
    ({"authorization": f"Basic {SECRET}"}, 401, "no_secret"),
    ({"authorization": "Bearer "}, 401, "no_secret"),
    ({"authorization": "Bearer wrong"}, 401, "bad_secret"),
    ({"transfer-encoding": "chunked"}, 411, "length_required"),
    ({"content-length": "x1"}, 400, "bad_length"),
    ({"content-type": "-"}, 415, "not_json"),
    ({"content-type": "text/plain"}, 415, "not_json"),
    ({"content-type": "application/x-www-form-urlencoded"}, 415, "not_json"),
    ({"content-type": "multipart/form-data; boundary=x"}, 415, "not_json"),
])
def test_each_check_refuses(extra: dict[str, str], status: int, reason: str) -> None:
    refusal = _check(**extra)
    assert refusal is not None and (refusal.status, refusal.reason) == (status, reason)


def test_a_get_with_a_body_needs_json_too() -> None:
    refusal = _check("GET", **{"content-type": "text/plain", "content-length": "5"})
    assert refusal is not None and refusal.reason == "not_json"


def test_a_checked_header_twice_is_refused() -> None:
    twice = guard.header_map([("Host", f"127.0.0.1:{PORT}"), ("host", "evil.example")])
    assert isinstance(twice, guard.Refusal) and twice.reason == "duplicate_header"
    assert guard.header_map([("X-A", "1"), ("x-a", "2")]) == {"x-a": "2"}


def test_the_secret_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "control.secret"
    guard.write_secret(path, SECRET, group=None)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and read_secret(path) == SECRET
    import grp

    group = grp.getgrgid(os.getgid()).gr_name
    guard.write_secret(path, "t" * 43, group=group)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640 and read_secret(path) == "t" * 43
    assert path.stat().st_gid == os.getgid()
    assert sorted(p.name for p in path.parent.iterdir()) == ["control.secret"]
    with pytest.raises(KeyError, match="no-such-group"):
        guard.write_secret(path, "u" * 43, group="no-such-group-aidrec")
    assert read_secret(path) == "t" * 43  # unchanged
    path.write_text("\n")
    with pytest.raises(ControlError, match="is empty"):
        read_secret(path)
    with pytest.raises(ControlError, match="no control secret"):
        read_secret(tmp_path / "missing")


class _Camera:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def open_session(self, **kwargs: Any) -> int:
        self.calls.append("open")
        return 1

    def end_session(self) -> list[int]:
        self.calls.append("end")
        return [1]

    def add_marker(self, label: str) -> int:
        self.calls.append(f"mark {label}")
        return 1


class FakeAgent:
    """What the control API needs of an agent: its config and one camera."""

    def __init__(self, spool: Path) -> None:
        self.config = parse_config({
            "agent": {"archive_url": "http://127.0.0.1:1", "token": "t", "spool_dir": str(spool),
                      "control_port": 0},
            "cameras": [{"id": "cam1", "window_id": "w1", "source": "virtual"}]})
        self.cam = _Camera()

    def cameras_of(self, window_id: str) -> list[_Camera]:
        return [self.cam]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[ControlServer, FakeAgent]]:
    agent = FakeAgent(tmp_path / "spool")
    (tmp_path / "spool").mkdir()
    server = ControlServer(cast(Agent, agent), host="127.0.0.1", port=0)
    server.start()
    try:
        yield server, agent
    finally:
        server.stop()


def test_the_server_refuses_before_acting(served: tuple[ControlServer, FakeAgent]) -> None:
    server, agent = served
    found = read_control_file(agent.config.agent.spool_dir)
    secret_file = Path(found["secret_file"])
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    secret = read_secret(secret_file)
    url = f"{server.url}/windows/w1/markers"
    ok = {"Authorization": f"Bearer {secret}"}
    attempts = [
        httpx.post(url, json={"label": "x"}),  # no secret
        httpx.post(url, json={"label": "x"}, headers={"Authorization": "Bearer nope"}),
        httpx.post(url, content=b'{"label": "x"}', headers={**ok, "Content-Type": "text/plain"}),
        httpx.post(url, data={"label": "x"}, headers=ok),  # a form
        httpx.post(url, json={"label": "x"}, headers={**ok, "Origin": "http://evil.example"}),
        httpx.post(url, json={"label": "x"}, headers={**ok, "Host": "evil.example"}),
        httpx.get(f"{server.url}/status"),
    ]
    assert [r.status_code for r in attempts] == [401, 401, 415, 415, 403, 403, 401]
    assert all(r.json()["error"]["reason"] for r in attempts)
    assert agent.cam.calls == []
    # With the secret and JSON it works; the client sends both.
    assert call(server.url, "POST", "/windows/w1/markers", body={"label": "到"},
                secret=secret) == {"window_id": "w1", "markers": [1]}
    assert call(server.url, "POST", "/windows/w1/sessions/end", secret=secret)["ended"] == [1]
    assert agent.cam.calls == ["mark 到", "end"]
    with pytest.raises(ControlError, match="control secret is wrong"):
        call(server.url, "GET", "/status", secret="wrong")


def test_stopping_removes_the_secret(tmp_path: Path) -> None:
    agent = FakeAgent(tmp_path)
    server = ControlServer(cast(Agent, agent), host="127.0.0.1", port=0)
    server.start()
    first = read_secret(agent.config.agent.secret_path())
    server.stop()
    assert not agent.config.agent.secret_path().exists()
    again = ControlServer(cast(Agent, agent), host="127.0.0.1", port=0)
    again.start()
    try:
        assert read_secret(agent.config.agent.secret_path()) != first  # fresh per start
        assert json.loads((tmp_path / "control.json").read_text())["url"] == again.url
    finally:
        again.stop()
