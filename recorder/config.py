"""The agent's configuration file (window.toml): one pydantic model per section."""

from __future__ import annotations

import tomllib
from datetime import date
from ipaddress import ip_address
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from recorder import schedule as sched
from recorder.errors import ConfigError

_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
MiB = 1024 * 1024


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScheduleConfig(_Section):
    mode: sched.Mode = Field(
        sched.Mode.HOURS,
        description="hours: opening hours; always: round the clock; on_demand: per interview")
    timezone: str = Field("Asia/Shanghai", description="IANA zone the hours are written in")
    hours: list[str] = Field(
        default_factory=list, max_length=64,
        description='opening hours, e.g. ["mon-fri 08:30-12:00", "mon-fri 14:00-17:30"]')
    closed_dates: list[date] = Field(
        default_factory=list, max_length=1000, description="public holidays: no recording")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("hours")
    @classmethod
    def _valid_hours(cls, value: list[str]) -> list[str]:
        for text in value:
            sched.parse_span(text)
        return value

    @model_validator(mode="after")
    def _hours_needed(self) -> ScheduleConfig:
        if self.mode is sched.Mode.HOURS and not self.hours:
            raise ValueError("mode 'hours' needs at least one entry in hours")
        return self

    def to_schedule(self) -> sched.Schedule:
        return sched.Schedule(mode=self.mode, timezone=self.timezone,
                              spans=tuple(sched.parse_span(h) for h in self.hours),
                              closed_dates=frozenset(self.closed_dates))


class CameraConfig(_Section):
    id: str = Field(pattern=_ID, description="camera id, unique on this agent")
    window_id: str = Field(min_length=1, max_length=64, description="archive window recorded")
    source: str = Field(
        min_length=1, max_length=1000,
        description="rtsp://… URL, /dev/videoN, a media file, or lavfi:<filtergraph>")
    kind: Literal["auto", "rtsp", "v4l2", "file", "lavfi"] = Field(
        "auto", description="source kind; auto guesses from the source")
    audio_device: str | None = Field(
        None, max_length=200, description="ALSA capture device beside a V4L2 camera (hw:1,0)")
    archive_camera_id: str | None = Field(
        None, max_length=64, description="camera id registered in the archive, if any")
    segment_s: int = Field(60, ge=1, le=600, description="target segment length in seconds")
    socket_timeout_s: float = Field(
        5.0, ge=1, le=60, description="RTSP socket timeout: a silent camera fails after ~2x this")
    stall_timeout_s: float = Field(
        20.0, ge=2, le=600,
        description="second guard: restart ffmpeg when no segment grows for this long")
    restart_backoff_initial_s: float = Field(
        0.5, ge=0.05, le=60, description="first wait before restarting ffmpeg")
    restart_backoff_max_s: float = Field(
        5.0, ge=0.1, le=300, description="longest wait between ffmpeg restarts")
    loop_file: bool = Field(True, description="file sources: loop the file forever")
    video_size: str = Field(
        "1280x720", pattern=r"^\d{2,5}x\d{2,5}$", description="size for lavfi/V4L2 capture")
    framerate: int = Field(25, ge=1, le=120, description="frame rate for lavfi/V4L2 capture")
    schedule: ScheduleConfig = Field(
        default_factory=lambda: ScheduleConfig(mode=sched.Mode.ALWAYS),
        description="when this camera records")


class AgentConfig(_Section):
    device_id: str = Field(
        "recorder", min_length=1, max_length=64, description="device id in the archive (logs)")
    archive_url: str = Field(
        pattern=r"^https?://", max_length=500, description="base URL of the archive API")
    allow_insecure_http: bool = Field(
        False, description="accept an http:// archive_url to a host other than this machine "
        "(the device token and the media then cross the network in clear)")
    token: SecretStr | None = Field(None, description="device bearer token (or token_file)")
    token_file: Path | None = Field(None, description="file holding the device bearer token")
    spool_dir: Path = Field(description="local spool: segments and the spool database")
    control_host: str = Field("127.0.0.1", description="address of the local control API")
    control_port: int = Field(
        8790, ge=0, le=65535, description="port of the local control API (0: any free port)")
    control_secret_file: Path | None = Field(
        None, description="where the agent writes the control API's secret at start "
        "(default: spool_dir/control.secret)")
    control_secret_group: str | None = Field(
        None, min_length=1, max_length=64,
        description="group that may read the secret (mode 0640, e.g. the staff UI's); "
        "default: only the agent's user (0600)")
    heartbeat_interval_s: float = Field(
        15.0, ge=0.5, le=300, description="seconds between heartbeats to the archive")
    upload_backoff_initial_s: float = Field(
        0.5, ge=0.05, le=60, description="first wait after a failed upload")
    upload_backoff_max_s: float = Field(
        30.0, ge=0.1, le=3600, description="longest wait between upload retries")
    request_timeout_s: float = Field(
        60.0, ge=1, le=3600, description="timeout of one archive request")
    min_free_bytes: int = Field(
        256 * MiB, ge=0, description="stop taking media when the spool disk has less free")
    max_spool_bytes: int | None = Field(
        None, ge=MiB, description="stop taking media when unconfirmed media exceeds this")
    resume_margin_bytes: int = Field(
        64 * MiB, ge=0, description="free this much beyond the limits before resuming")
    shutdown_upload_grace_s: float = Field(
        5.0, ge=0, le=600,
        description="on stop, wait this long for the archive to confirm what is spooled")
    disk_check_interval_s: float = Field(
        1.0, ge=0.1, le=60, description="how often the disk guard checks space")
    ffmpeg: str = Field("ffmpeg", min_length=1, description="ffmpeg executable")
    ffprobe: str = Field("ffprobe", min_length=1, description="ffprobe executable")

    @model_validator(mode="after")
    def _one_token(self) -> AgentConfig:
        if (self.token is None) == (self.token_file is None):
            raise ValueError("give exactly one of token and token_file")
        return self

    @model_validator(mode="after")
    def _tls_off_this_machine(self) -> AgentConfig:
        url = urlsplit(self.archive_url)
        if url.scheme == "http" and not _is_loopback(url.hostname) \
                and not self.allow_insecure_http:
            raise ValueError(
                f"archive_url {self.archive_url} is plain http to another host: the device "
                "token and the recordings would cross the network unencrypted; use https://, "
                "or set allow_insecure_http = true in [agent] to accept that")
        return self

    def secret_path(self) -> Path:
        """The control API's secret file."""
        return self.control_secret_file or self.spool_dir / "control.secret"

    def bearer_token(self) -> str:
        """The device token, read from token_file when given that way.

        Raises:
            ConfigError: the token file cannot be read or is empty.
        """
        if self.token is not None:
            return self.token.get_secret_value()
        assert self.token_file is not None
        try:
            value = self.token_file.read_text().strip()
        except OSError as exc:
            raise ConfigError(f"cannot read token_file {self.token_file}: {exc}",
                              reason="no_token") from exc
        if not value:
            raise ConfigError(f"token_file {self.token_file} is empty", reason="no_token")
        return value


class RecorderConfig(_Section):
    agent: AgentConfig = Field(description="the agent itself")
    cameras: list[CameraConfig] = Field(min_length=1, max_length=256, description="cameras")

    @model_validator(mode="after")
    def _unique_cameras(self) -> RecorderConfig:
        ids = [c.id for c in self.cameras]
        if len(ids) != len(set(ids)):
            raise ValueError("camera ids must be unique")
        return self

    def camera(self, camera_id: str) -> CameraConfig:
        for camera in self.cameras:
            if camera.id == camera_id:
                return camera
        raise ConfigError(f"no camera {camera_id} in the configuration", reason="no_camera")


def load_config(path: Path) -> RecorderConfig:
    """Read and validate window.toml; relative paths are taken from the file's directory.

    Raises:
        ConfigError: the file is missing, not TOML, or fails validation (the message names
            the field).
    """
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc}", reason="no_config") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}", reason="bad_toml") from exc
    agent = data.get("agent")
    if isinstance(agent, dict):
        for key in ("spool_dir", "token_file", "control_secret_file"):
            if isinstance(agent.get(key), str) and not Path(agent[key]).is_absolute():
                agent[key] = str((path.parent / agent[key]).resolve())
    return parse_config(data, origin=str(path))


def parse_config(data: dict[str, object], *, origin: str = "config") -> RecorderConfig:
    """Validate an already parsed configuration.

    Raises:
        ConfigError: a field is missing or invalid; the message names it.
    """
    try:
        return RecorderConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
        raise ConfigError(f"{origin}: {problems}", reason="invalid_config") from exc
