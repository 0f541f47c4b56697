"""window.toml: validation names the bad field; relative paths; the token."""

from __future__ import annotations

from pathlib import Path

import pytest

from recorder.config import load_config, parse_config
from recorder.errors import ConfigError


def _minimal(**camera: object) -> dict[str, object]:
    return {"agent": {"archive_url": "http://127.0.0.1:8700", "token": "t",
                      "spool_dir": "/tmp/s"},
            "cameras": [{"id": "cam1", "window_id": "w1", "source": "rtsp://x/cam", **camera}]}


def test_defaults() -> None:
    config = parse_config(_minimal())
    camera = config.cameras[0]
    assert camera.segment_s == 60
    assert camera.schedule.mode.value == "always"
    assert config.agent.heartbeat_interval_s == 15
    assert config.agent.bearer_token() == "t"


@pytest.mark.parametrize(("camera", "field"), [
    ({"segment_s": 0}, "cameras.0.segment_s"),
    ({"nonsense": 1}, "cameras.0.nonsense"),
    ({"schedule": {"mode": "hours"}}, "cameras.0.schedule"),
    ({"schedule": {"mode": "hours", "hours": ["mon 8-9"]}}, "cameras.0.schedule.hours"),
    ({"schedule": {"mode": "always", "timezone": "Mars/Base"}}, "cameras.0.schedule.timezone"),
])
def test_invalid_fields_are_named(camera: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        parse_config(_minimal(**camera))


def test_duplicate_cameras_and_token_choice_refused() -> None:
    data = _minimal()
    data["cameras"] = [*data["cameras"], *data["cameras"]]  # type: ignore[misc]
    with pytest.raises(ConfigError, match="unique"):
        parse_config(data)
    with pytest.raises(ConfigError, match="token"):
        parse_config({**_minimal(), "agent": {"archive_url": "http://a", "spool_dir": "/s"}})


def test_load_resolves_paths_beside_the_file(tmp_path: Path) -> None:
    (tmp_path / "device.token").write_text("secret\n")
    path = tmp_path / "window.toml"
    path.write_text('[agent]\narchive_url = "https://a:1"\ntoken_file = "device.token"\n'
                    'spool_dir = "spool"\n[[cameras]]\nid = "c"\nwindow_id = "w"\n'
                    'source = "virtual"\n')
    config = load_config(path)
    assert config.agent.spool_dir == tmp_path / "spool"
    assert config.agent.bearer_token() == "secret"
    (tmp_path / "bad.toml").write_text("[agent")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path / "bad.toml")


@pytest.mark.parametrize("url", ["http://archive.example:8700", "http://10.0.0.5:8700/",
                                 "http://[2001:db8::1]:8700", "http://127.0.0.1.evil.example/",
                                 "http://localhost.evil.example"])
def test_plain_http_to_another_host_is_refused_naming_the_setting(url: str) -> None:
    data = _minimal()
    data["agent"] = {**data["agent"], "archive_url": url}  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match="allow_insecure_http = true") as refused:
        parse_config(data)
    assert refused.value.reason == "invalid_config"
    data["agent"] = {**data["agent"], "allow_insecure_http": True}  # type: ignore[dict-item]
    assert parse_config(data).agent.archive_url == url


@pytest.mark.parametrize("url", ["http://127.0.0.1:8700", "http://127.8.9.1/", "http://[::1]:8700",
                                 "http://localhost:8700", "https://archive.example",
                                 "https://10.0.0.5:8443/"])
def test_loopback_http_and_any_https_are_accepted(url: str) -> None:
    data = _minimal()
    data["agent"] = {**data["agent"], "archive_url": url}  # type: ignore[dict-item]
    config = parse_config(data)
    assert config.agent.archive_url == url and config.agent.allow_insecure_http is False
