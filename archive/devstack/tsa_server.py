"""RFC 3161 timestamp authority on loopback: OpenSSL's `ts -reply` behind a small HTTP server."""

from __future__ import annotations

import argparse
import errno
import fcntl
import logging
import os
import shutil
import signal
import socketserver
import subprocess
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType

from asn1crypto import tsp

from archive.devstack.pki import DevPki, ensure_dev_pki
from archive.evidence.errors import ConfigurationError, StackError

logger = logging.getLogger(__name__)

QUERY_CONTENT_TYPE = "application/timestamp-query"
REPLY_CONTENT_TYPE = "application/timestamp-reply"
# A TimeStampReq is a digest plus a few fields: anything this large is not one.
_MAX_REQUEST_BYTES = 64 * 1024
_OPENSSL_TIMEOUT_S = 10.0
# Socket timeout per request, so a client that stops sending cannot hold a thread forever.
_CLIENT_TIMEOUT_S = 10.0


class _BadRequestError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class _OpenSslTsa:
    """Runs `openssl ts -reply` once per request, one at a time."""

    def __init__(self, pki: DevPki) -> None:
        openssl = shutil.which("openssl")
        if openssl is None:
            raise ConfigurationError(
                "got no `openssl` on PATH, expected the OpenSSL CLI", reason="openssl_missing"
            )
        self._openssl = openssl
        self._pki = pki
        self._lock = threading.Lock()

    def reply(self, query_der: bytes) -> bytes:
        """Return the DER TimeStampResp for a DER TimeStampReq (granted or rejected)."""
        argv = [
            self._openssl,
            "ts",
            "-reply",
            "-config",
            str(self._pki.tsa_config),
            "-queryfile",
            "/dev/stdin",
        ]
        with self._serial_lock():
            result = subprocess.run(
                argv,
                input=query_der,
                capture_output=True,
                timeout=_OPENSSL_TIMEOUT_S,
                check=False,
            )
        if result.returncode != 0 or not result.stdout:
            tail = result.stderr.decode(errors="replace").strip().splitlines()[-5:]
            logger.error("tsa_openssl_failed", extra={"rc": result.returncode, "stderr": tail})
            raise RuntimeError(f"openssl ts -reply exited {result.returncode}")
        return result.stdout

    @contextmanager
    def _serial_lock(self) -> Iterator[None]:
        # openssl reads, increments and rewrites the serial file without locking: serialise
        # the whole call within this process (thread lock) and across processes (flock).
        if not self._lock.acquire(timeout=_OPENSSL_TIMEOUT_S):
            raise TimeoutError("timed out waiting for the TSA serial lock")
        try:
            lock_path = self._pki.directory / ".tsa.lock"
            fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)
        finally:
            self._lock.release()


def _parse_query(body: bytes) -> None:
    """Raise _BadRequestError unless `body` is a DER TimeStampReq (v1)."""
    try:
        query = tsp.TimeStampReq.load(body, strict=True)
        version = query["version"].native
        _ = query.native  # asn1crypto parses lazily: force every field now
    except (ValueError, TypeError, KeyError) as exc:
        raise _BadRequestError(400, f"got a body that is not a DER TimeStampReq: {exc}") from exc
    if version != "v1":
        raise _BadRequestError(400, f"got TimeStampReq version {version}, expected v1")


class _Handler(BaseHTTPRequestHandler):
    server_version = "aidrec-tsa/1"
    timeout = _CLIENT_TIMEOUT_S
    tsa: _OpenSslTsa  # set on the per-server subclass

    def do_POST(self) -> None:
        try:
            body = self._read_query()
            _parse_query(body)
        except _BadRequestError as exc:
            self._send(exc.status, "text/plain; charset=utf-8", f"{exc}\n".encode())
            return
        try:
            reply = self.tsa.reply(body)
        except (RuntimeError, TimeoutError, subprocess.TimeoutExpired, OSError) as exc:
            logger.error("tsa_reply_failed", extra={"error": str(exc)})
            self._send(500, "text/plain; charset=utf-8", b"timestamping failed\n")
            return
        self._send(200, REPLY_CONTENT_TYPE, reply)

    def do_GET(self) -> None:
        # Readiness probe for the local stack (any path); timestamps are POST only.
        self._send(200, "text/plain; charset=utf-8", b"ok: POST application/timestamp-query\n")

    def _read_query(self) -> bytes:
        content_type = self.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip().lower() != QUERY_CONTENT_TYPE:
            raise _BadRequestError(
                400, f"got Content-Type {content_type!r}, expected {QUERY_CONTENT_TYPE!r}"
            )
        length_header = self.headers.get("Content-Length")
        if length_header is None or not length_header.isdigit():
            raise _BadRequestError(400, f"got Content-Length {length_header!r}, expected a number")
        length = int(length_header)
        if length > _MAX_REQUEST_BYTES:
            limit = _MAX_REQUEST_BYTES
            raise _BadRequestError(413, f"got {length} bytes, expected at most {limit}")
        body = self.rfile.read(length)
        if len(body) != length:
            raise _BadRequestError(400, f"got {len(body)} bytes, expected {length}")
        return body

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("tsa_http " + format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (getfqdn): a DNS lookup we never need.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)


class TsaServer:
    """RFC 3161 TSA answering POSTed TimeStampReqs at `url`, signing with the PKI's TSA key."""

    def __init__(self, *, pki: DevPki, host: str = "127.0.0.1", port: int) -> None:
        self._pki = pki
        self._host = host
        self._port = port
        self._tsa = _OpenSslTsa(pki)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Where clients POST; the bound port once started (port 0 picks a free one)."""
        port = self._server.server_port if self._server is not None else self._port
        return f"http://{self._host}:{port}/"

    def start(self) -> None:
        """Bind and serve in a background thread; StackError at once if the port is taken."""
        if self._server is not None:
            return
        handler = type("_BoundHandler", (_Handler,), {"tsa": self._tsa})
        try:
            server = _Server((self._host, self._port), handler)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise StackError(
                    f"port {self._port} on {self._host} is taken", reason="port_taken"
                ) from exc
            raise StackError(
                f"got {exc.strerror} binding {self._host}:{self._port}, expected a listening TSA",
                reason="bind_failed",
            ) from exc
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name=f"tsa-{server.server_port}",
            daemon=True,
        )
        self._server, self._thread = server, thread
        thread.start()
        logger.info("tsa_started", extra={"url": self.url})

    def stop(self) -> None:
        """Stop serving and close the socket; waits for the serving loop to end."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.shutdown()
        server.server_close()
        thread.join(timeout=5.0)
        self._server = self._thread = None
        logger.info("tsa_stopped", extra={"port": server.server_port})

    def serve_forever(self, *, stop_event: threading.Event) -> None:
        """Serve until `stop_event` is set (e.g. by a signal handler), then stop cleanly."""
        self.start()
        try:
            # Waiting here, not in serve_forever, keeps signal handlers free to set the event.
            stop_event.wait()
        finally:
            self.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the TSA in the foreground until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m archive.devstack.tsa_server",
                                     description=__doc__)
    parser.add_argument("--pki-dir", type=Path, required=True, help="development PKI directory")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback)")
    parser.add_argument("--port", type=int, required=True, help="TCP port (0: any free)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    stop_event = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop_event.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    server = TsaServer(pki=ensure_dev_pki(args.pki_dir), host=args.host, port=args.port)
    try:
        server.start()
    except StackError as exc:
        logger.error("tsa_start_failed: %s", exc)
        return 1
    # One line on stdout that a supervisor can wait for.
    print(f"tsa listening on {server.url}", flush=True)
    server.serve_forever(stop_event=stop_event)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
