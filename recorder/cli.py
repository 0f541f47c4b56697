"""CLI verbs of the recorder agent: recorder run/status/stop/resume, record, tag, mark."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from recorder.errors import RecorderError

recorder_app = typer.Typer(no_args_is_help=True, help="The recorder agent beside the cameras.")

WindowConfig = Annotated[Path | None, typer.Option(
    "--config", help="the agent's window.toml (finds the running agent through its spool)")]
AgentUrl = Annotated[str | None, typer.Option(
    "--agent", help="control URL of the agent [default: from --config, else 127.0.0.1:8790]")]
SecretFile = Annotated[Path | None, typer.Option(
    "--secret-file", envvar="AIDREC_CONTROL_SECRET_FILE",
    help="the agent's control secret [default: control_secret_file of --config]")]
DEFAULT_AGENT = "http://127.0.0.1:8790"
# The recorder reads no archive settings: `aidrec record` finds the local stack by the
# environment it runs under, or by --archive-url.
LOCAL_API_PORT = 8700
LOG_FIELDS = ("camera", "recording_id", "local_id", "run", "seq", "sha256", "partial")


class _FieldsFormatter(logging.Formatter):
    """Plain log lines with the structured fields a record carries appended as key=value."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = [f"{k}={getattr(record, k)}" for k in LOG_FIELDS if hasattr(record, k)]
        return f"{text} {' '.join(fields)}" if fields else text


def _configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_FieldsFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _fail(exc: RecorderError) -> typer.Exit:
    typer.echo(f"error ({exc.reason}): {exc.message}", err=True)
    return typer.Exit(2)


@recorder_app.command("run")
def run(config: Annotated[Path, typer.Option("--config", help="window.toml")],
        log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING")] = "INFO") -> None:
    """Run the agent unattended until SIGTERM/SIGINT."""
    from recorder.agent import Agent
    from recorder.config import load_config

    _configure_logging(log_level)
    try:
        agent = Agent(load_config(config))
    except RecorderError as exc:
        raise _fail(exc) from exc
    stop = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        logging.getLogger(__name__).warning("signal %d: stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        agent.start()
    except RecorderError as exc:
        agent.stop()
        raise _fail(exc) from exc
    try:
        while not stop.wait(1.0):
            pass
    finally:
        agent.stop()


def _agent_target(config: Path | None, agent: str | None,
                  secret_file: Path | None = None) -> tuple[str, str, str | None]:
    """The agent's URL, its control secret, and its admin token if this user may read it.

    Raises:
        RecorderError: no secret to be found, or the agent is not running.
    """
    from recorder.config import load_config
    from recorder.control import read_control_file, read_secret

    if config is None:
        env = os.environ.get("AIDREC_RECORDER_CONFIG")
        config = Path(env) if env else None
    if config is None:
        if secret_file is None:
            raise RecorderError("the control API needs its secret: give --config (the "
                                "agent's window.toml) or --secret-file", reason="no_secret")
        return agent or DEFAULT_AGENT, read_secret(secret_file), None
    settings = load_config(config).agent
    secret = read_secret(secret_file or settings.secret_path())
    try:
        data = read_control_file(settings.spool_dir)
    except RecorderError as exc:
        if exc.reason != "no_access":
            raise
        # Staff may read the secret (its group) but not the agent's own file.
        return agent or f"http://{settings.control_host}:{settings.control_port}", secret, None
    return agent or str(data["url"]), secret, data.get("admin_token")


@recorder_app.command("status")
def status(config: WindowConfig = None, agent: AgentUrl = None, secret_file: SecretFile = None,
           as_json: Annotated[bool, typer.Option("--json")] = False,
           metrics: Annotated[bool, typer.Option("--metrics", help="Prometheus text")] = False,
           ) -> None:
    """Per camera: recording or not, current segment, spool backlog, last upload, last gap."""
    from recorder import control

    try:
        url, secret, _ = _agent_target(config, agent, secret_file)
        data = control.call(url, "GET", "/status", secret=secret)
    except RecorderError as exc:
        if exc.reason != "no_agent" or config is None or metrics:
            raise _fail(exc) from exc
        _print_down(config, as_json, exc.message)
        raise typer.Exit(3) from exc
    if metrics:
        typer.echo(control.call(url, "GET", "/metrics", secret=secret), nl=False)
        return
    if as_json:
        typer.echo(json.dumps({"running": True, **data}, indent=2, ensure_ascii=False))
        return
    _print_status(data)


def _print_down(config: Path, as_json: bool, why: str) -> None:
    """The agent is down: say so, with what waits in its spool."""
    from recorder.config import load_config
    from recorder.status import spool_status

    data = spool_status(load_config(config))
    if as_json:
        typer.echo(json.dumps({**data, "error": why}, indent=2, ensure_ascii=False))
        return
    typer.echo(f"agent NOT running ({why})")
    for cam in data["cameras"]:
        backlog = cam["backlog"]
        typer.echo(f"camera {cam['id']} (window {cam['window_id']}): NOT recording; spool "
                   f"backlog {backlog['segments']} segment(s), {backlog['bytes'] // 1024} KiB; "
                   f"last upload {cam['last_upload_at'] or '-'}")


def _print_status(data: dict[str, Any]) -> None:
    disk = data["disk"]
    typer.echo(f"agent {data['device_id']} up since {data['up_since']}; disk "
               f"{'FULL' if disk['full'] else 'ok'} ({disk['free_bytes'] // 2**20} MiB free)")
    for alert in data["alerts"]:
        typer.echo(f"  ALERT {alert}")
    for cam in data["cameras"]:
        state = "recording" if cam["recording"] else "NOT recording"
        typer.echo(f"camera {cam['id']} (window {cam['window_id']}, {cam['mode']}): {state}")
        typer.echo(f"  current segment: {cam['current_segment'] or '-'}; recording "
                   f"{cam['recording_id'] or '(not yet opened in the archive)'}")
        backlog = cam["backlog"]
        typer.echo(f"  spool backlog: {backlog['segments']} segment(s), "
                   f"{backlog['bytes'] // 1024} KiB, {backlog['items']} item(s); last upload "
                   f"{cam['last_upload_at'] or '-'}")
        if cam["upload_error"]:
            typer.echo(f"  upload error: {cam['upload_error']}")
        if cam["outage"]:
            o = cam["outage"]
            typer.echo(f"  OUTAGE since {o['since']}: {o['cause']} ({o['detail']})")
        gap = cam["last_gap"]
        typer.echo(f"  last gap: {gap['cause']} {gap['started_at']} .. {gap['ended_at']}"
                   if gap else "  last gap: -")


@recorder_app.command("stop")
def stop_camera(camera: Annotated[str, typer.Option(help="camera id")],
                person: Annotated[str, typer.Option(help="who stops it (recorded)")],
                reason: Annotated[str, typer.Option(help="why (recorded)")],
                config: WindowConfig = None) -> None:
    """Stop a camera; the stop is a gap naming the person and the reason."""
    _admin(config, f"/cameras/{camera}/stop", {"person": person, "reason": reason})


@recorder_app.command("resume")
def resume_camera(camera: Annotated[str, typer.Option(help="camera id")],
                  config: WindowConfig = None) -> None:
    """Resume a camera a person stopped."""
    _admin(config, f"/cameras/{camera}/resume", {})


def _admin(config: Path | None, path: str, body: dict[str, Any]) -> None:
    from recorder import control

    try:
        url, secret, token = _agent_target(config, None)
        if token is None:
            raise RecorderError("stop/resume need --config of the agent (for its admin "
                                "token), run as the agent's user", reason="admin_only")
        typer.echo(json.dumps(control.call(url, "POST", path, body=body, admin_token=token,
                                           secret=secret)))
    except RecorderError as exc:
        raise _fail(exc) from exc


def _local_home() -> Path:
    """AIDREC_HOME, where the local stack keeps its state (as `aidrec up` reads it)."""
    return Path(os.environ.get("AIDREC_HOME") or "var").resolve()


def _local_stack_api() -> str:
    """The local stack's API on the port `aidrec up` serves it (AIDREC_PORTS__API)."""
    return f"http://127.0.0.1:{os.environ.get('AIDREC_PORTS__API') or LOCAL_API_PORT}"


def record(
    source: Annotated[str, typer.Option(help="rtsp://…, /dev/videoN, a file, lavfi:<graph>")],
    duration: Annotated[float, typer.Option(help="seconds to record", min=1)],
    window: Annotated[str, typer.Option(help="archive window id")],
    case: Annotated[str | None, typer.Option(help="case number")] = None,
    stage: Annotated[str | None, typer.Option(help="case stage")] = None,
    staff: Annotated[str | None, typer.Option(help="staff id")] = None,
    segment: Annotated[int, typer.Option("--segment-s", help="segment seconds", min=1)] = 10,
    archive_url: Annotated[str | None, typer.Option(
        envvar="AIDREC_PUBLIC_URL", help="archive API [default: the local stack]")] = None,
    token: Annotated[str | None, typer.Option(
        envvar="AIDREC_DEVICE_TOKEN", help="device token (or AIDREC_DEVICE_TOKEN)")] = None,
    token_file: Annotated[Path | None, typer.Option(help="file holding the token")] = None,
    spool_dir: Annotated[Path | None, typer.Option(help="spool [default: HOME/spool/…]")]
    = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Record a source once (demos, tests): sealed segments, one session, then closed."""
    from recorder.once import record_once

    _configure_logging("WARNING")
    if token is None and token_file is not None:
        token = token_file.read_text().strip()
    if not token:
        typer.echo("error: a device token is needed (--token, --token-file or "
                   "AIDREC_DEVICE_TOKEN; `aidrec admin add-device` prints one)", err=True)
        raise typer.Exit(2)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    spool = spool_dir or _local_home() / "spool" / f"record-{stamp}"
    try:
        result = record_once(source=source, duration_s=duration, window_id=window,
                             archive_url=archive_url or _local_stack_api(), token=token,
                             spool_dir=spool, segment_s=segment, case_number=case,
                             stage=stage, staff_id=staff)
    except RecorderError as exc:
        raise _fail(exc) from exc
    summary = {"recording_id": result.recording_id, "segments": result.segments,
               "gaps": result.gaps, "pending": result.pending,
               "seal_state": result.seal_state, "spool_dir": str(result.spool_dir)}
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        typer.echo(result.recording_id or "(not opened in the archive)")
        typer.echo(f"{result.segments} segment(s), {result.gaps} gap(s), seal "
                   f"{result.seal_state}; check with `aidrec verify --recording "
                   f"{result.recording_id}`", err=True)
    raise typer.Exit(0 if result.pending == 0 and result.recording_id else 1)


def tag(
    window: Annotated[str, typer.Option(help="window id")],
    case: Annotated[str | None, typer.Option(help="case number")] = None,
    stage: Annotated[str | None, typer.Option(help="case stage")] = None,
    staff: Annotated[str | None, typer.Option(help="staff id")] = None,
    end: Annotated[bool, typer.Option("--end", help="end the open session")] = False,
    config: WindowConfig = None, agent: AgentUrl = None, secret_file: SecretFile = None,
) -> None:
    """Open a session on the window's live recording (or end it with --end)."""
    from recorder import control

    try:
        url, secret, _ = _agent_target(config, agent, secret_file)
        if end:
            answer = control.call(url, "POST", f"/windows/{window}/sessions/end",
                                  secret=secret)
        else:
            answer = control.call(url, "POST", f"/windows/{window}/sessions", secret=secret,
                                  body={"case_number": case, "stage": stage, "staff_id": staff})
    except RecorderError as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps(answer))


def mark(window: Annotated[str, typer.Option(help="window id")],
         label: Annotated[str, typer.Option(help="what happened")],
         config: WindowConfig = None, agent: AgentUrl = None,
         secret_file: SecretFile = None) -> None:
    """Drop a marker on the window's live recording."""
    from recorder import control

    try:
        url, secret, _ = _agent_target(config, agent, secret_file)
        answer = control.call(url, "POST", f"/windows/{window}/markers", secret=secret,
                              body={"label": label})
    except RecorderError as exc:
        raise _fail(exc) from exc
    typer.echo(json.dumps(answer))


def register(app: typer.Typer) -> None:
    """Add the recorder's verbs to `aidrec`."""
    app.add_typer(recorder_app, name="recorder")
    app.command("record")(record)
    app.command("tag")(tag)
    app.command("mark")(mark)
