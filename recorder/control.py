"""The agent's local control API on 127.0.0.1: tag, mark, status, metrics, stop and resume.

`aidrec tag`, `aidrec mark` and `aidrec recorder status` talk to it. Every call needs the
per-machine secret the agent writes at start to `control_secret_file` (0600, or 0640 for
the staff UI's group), JSON bodies, and loopback Host and Origin (`recorder/control_guard.py`),
so a web page open on the window's PC cannot use it. Stop and resume also need the admin
token the agent writes, readable only by its own user, into `<spool>/control.json`.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from archive.evidence.vocabulary import Stage
from recorder import control_guard as guard
from recorder import status as status_mod
from recorder.errors import ControlError, RecorderError

if TYPE_CHECKING:
    from recorder.agent import Agent

logger = logging.getLogger(__name__)

CONTROL_FILE = "control.json"
ADMIN_HEADER = "X-Aidrec-Admin"
MAX_BODY = 64 * 1024
STAGE_NAMES = tuple(stage.value for stage in Stage)  # in the order of the service process


class ControlServer:
    """A small threaded HTTP server in front of the agent's window verbs."""

    def __init__(self, agent: Agent, *, host: str, port: int) -> None:
        self.agent = agent
        self.admin_token = secrets.token_urlsafe(24)
        self.secret = guard.new_secret()
        handler = _handler_for(self)
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="control",
                                        daemon=True)

    def start(self) -> None:
        """Write the secret, then serve; a fresh secret on every start.

        Raises:
            ControlError: the secret file cannot be written (or its group set).
        """
        config = self.agent.config.agent
        try:
            guard.write_secret(config.secret_path(), self.secret,
                               group=config.control_secret_group)
        except (OSError, KeyError) as exc:
            raise ControlError(f"cannot write the control secret {config.secret_path()}: "
                               f"{exc}", reason="no_secret_file") from exc
        self._thread.start()
        path = config.spool_dir / CONTROL_FILE
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump({"url": self.url, "pid": os.getpid(), "admin_token": self.admin_token,
                       "secret_file": str(config.secret_path())}, handle)
        os.replace(tmp, path)
        logger.info("control API at %s (secret in %s)", self.url, config.secret_path())

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        secret_path = self.agent.config.agent.secret_path()
        try:
            if guard.read_secret(secret_path) == self.secret:
                secret_path.unlink()
        except (OSError, ValueError):
            pass
        path = self.agent.config.agent.spool_dir / CONTROL_FILE
        try:
            if json.loads(path.read_text()).get("pid") == os.getpid():
                path.unlink()
        except (OSError, ValueError):
            pass

    # Routes -------------------------------------------------------------------------------

    def handle(self, method: str, path: str, body: dict[str, Any],
               admin: str | None) -> tuple[int, Any]:
        agent = self.agent
        if method == "GET" and path == "/status":
            return 200, status_mod.agent_status(agent)
        if method == "GET" and path == "/metrics":
            return 200, status_mod.prometheus_text(status_mod.agent_status(agent))
        if method != "POST":
            return 404, _error("not_found", f"no route {method} {path}")
        if m := re.fullmatch(r"/windows/([^/]+)/sessions", path):
            stage = body.get("stage")
            if stage is not None and stage not in STAGE_NAMES:
                raise ControlError(f"got stage {stage!r}, expected one of "
                                   f"{', '.join(STAGE_NAMES)}", reason="bad_stage")
            attributes = body.get("attributes") or {}
            if not isinstance(attributes, dict):
                raise ControlError("attributes must be an object", reason="bad_attributes")
            ids = [cam.open_session(case_number=_text(body, "case_number", 100),
                                    stage=stage, staff_id=_text(body, "staff_id", 64),
                                    attributes=attributes)
                   for cam in agent.cameras_of(m.group(1))]
            return 201, {"window_id": m.group(1), "sessions": ids}
        if m := re.fullmatch(r"/windows/([^/]+)/sessions/end", path):
            ended = [i for cam in agent.cameras_of(m.group(1)) for i in cam.end_session()]
            return 200, {"window_id": m.group(1), "ended": ended}
        if m := re.fullmatch(r"/windows/([^/]+)/markers", path):
            label = _text(body, "label", 500)
            if not label:
                raise ControlError("a marker needs a label (1-500 characters)",
                                   reason="bad_label")
            ids = [cam.add_marker(label) for cam in agent.cameras_of(m.group(1))]
            return 201, {"window_id": m.group(1), "markers": ids}
        if m := re.fullmatch(r"/cameras/([^/]+)/(stop|resume)", path):
            if admin is None or not hmac.compare_digest(admin, self.admin_token):
                return 403, _error("admin_only", "stop and resume need the agent's admin "
                                   "token (run the command as the agent's user)")
            camera = agent.camera(m.group(1))
            if m.group(2) == "stop":
                camera.stop_by_person(person=_text(body, "person", 200) or "",
                                      reason=_text(body, "reason", 2000) or "")
                return 200, {"camera": camera.id, "stopped": True}
            return 200, {"camera": camera.id, "resumed": camera.resume()}
        return 404, _error("not_found", f"no route {method} {path}")


def _text(body: dict[str, Any], key: str, limit: int) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value.strip()) > limit:
        raise ControlError(f"{key} must be text of at most {limit} characters",
                           reason=f"bad_{key}")
    return value.strip() or None


def _error(reason: str, message: str) -> dict[str, Any]:
    return {"error": {"reason": reason, "message": message}}


_STATUS = {"no_window": 404, "no_camera": 404, "not_recording": 409, "too_large": 413}


def _handler_for(server: ControlServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("control: " + format, *args)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def _serve(self, method: str) -> None:
            headers = guard.header_map(list(self.headers.items()))
            refusal = headers if isinstance(headers, guard.Refusal) else guard.check(
                method=method, headers=headers, port=server.port, secret=server.secret)
            if refusal is not None:  # nothing of the body is read
                logger.warning("control: refused %s %s: %s", method, self.path,
                               refusal.reason)
                self._send(refusal.status, _error(refusal.reason, refusal.message))
                return
            try:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    raise ControlError("request body too large", reason="too_large")
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else {}
                if not isinstance(body, dict):
                    raise ControlError("the body must be a JSON object", reason="bad_body")
                code, answer = server.handle(method, self.path.split("?")[0], body,
                                             self.headers.get(ADMIN_HEADER))
            except json.JSONDecodeError:
                code, answer = 400, _error("bad_json", "the body is not JSON")
            except ControlError as exc:
                code, answer = _STATUS.get(exc.reason, 400), _error(exc.reason, exc.message)
            except RecorderError as exc:
                code, answer = 500, _error(exc.reason, exc.message)
            except Exception:
                logger.exception("control request failed")
                code, answer = 500, _error("internal", "internal error")
            self._send(code, answer)

        def _send(self, code: int, answer: Any) -> None:
            if isinstance(answer, bytes):
                data, ctype = answer, "text/plain; version=0.0.4"
            else:
                data, ctype = json.dumps(answer, default=str).encode(), "application/json"
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


# Client side (the CLI) ---------------------------------------------------------------------


def read_control_file(spool_dir: Path) -> dict[str, Any]:
    """Where the running agent listens, and its admin token (readable by its user only).

    Raises:
        ControlError: no agent has written a control file there.
    """
    path = spool_dir / CONTROL_FILE
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ControlError(f"no running agent found ({path} is missing)",
                           reason="no_agent") from exc
    except PermissionError as exc:
        raise ControlError(f"cannot read {path}: {exc}", reason="no_access") from exc
    except (OSError, ValueError) as exc:
        raise ControlError(f"cannot read {path}: {exc}", reason="no_agent") from exc
    return data


def read_secret(path: Path) -> str:
    """The control secret a running agent wrote.

    Raises:
        ControlError: the file is missing, unreadable for this user, or empty.
    """
    try:
        return guard.read_secret(path)
    except FileNotFoundError as exc:
        raise ControlError(f"no control secret at {path} (is the agent running?)",
                           reason="no_agent") from exc
    except (OSError, ValueError) as exc:
        raise ControlError(f"cannot read the control secret {path}: {exc} (run as the "
                           "agent's user or a member of control_secret_group)",
                           reason="no_secret") from exc


def call(url: str, method: str, path: str, *, secret: str,
         body: dict[str, Any] | None = None, admin_token: str | None = None,
         timeout_s: float = 10.0) -> Any:
    """One request to the agent's control API; the JSON answer (or metrics text).

    Raises:
        ControlError: the agent is unreachable or refused the request.
    """
    headers = {"Authorization": f"{guard.AUTH_SCHEME} {secret}"}
    if admin_token:
        headers[ADMIN_HEADER] = admin_token
    try:
        response = httpx.request(method, url.rstrip("/") + path, headers=headers,
                                 json=(body or {}) if method == "POST" else None,
                                 timeout=timeout_s)
    except httpx.TransportError as exc:
        raise ControlError(f"the agent at {url} is not answering ({exc})",
                           reason="no_agent") from exc
    if response.headers.get("content-type", "").startswith("text/plain"):
        return response.text
    data = response.json()
    if response.status_code >= 400:
        error = data.get("error", {})
        raise ControlError(error.get("message", response.text),
                           reason=error.get("reason", "control"))
    return data
