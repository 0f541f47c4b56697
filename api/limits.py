"""Request body limits per route, enforced before anything parses or authenticates.

An ASGI middleware: a declared Content-Length above the route's limit is answered 413
without calling the app (the body is never read); a body without one (chunked) is counted
as it streams and the read that crosses the limit raises a 413 inside the app, before the
route's handler or its authentication ran. Segment uploads may be as large as
`archive.max_segment_bytes` and stay streamed; heartbeats carry a week of opening spans per
camera; every other body is small JSON (`web.max_json_body_bytes`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SEGMENT_ROUTE = re.compile(r"/api/v1/ingest/recordings/[^/]+/segments/[^/]+")
HEARTBEAT_ROUTE = "/api/v1/ingest/heartbeat"
HEARTBEAT_BYTES = 1024 * 1024


class BodyTooLargeError(HTTPException):
    """Raised from the counted stream: the body grew past the route's limit (HTTP 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


@dataclass(frozen=True)
class BodyLimits:
    json_bytes: int
    segment_bytes: int

    def for_route(self, method: str, path: str) -> int:
        if method == "PUT" and SEGMENT_ROUTE.fullmatch(path):
            return self.segment_bytes
        if method == "POST" and path == HEARTBEAT_ROUTE:
            return max(HEARTBEAT_BYTES, self.json_bytes)
        return self.json_bytes


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.for_route(scope["method"], scope["path"])
        declared = [v for k, v in scope["headers"] if k == b"content-length"]
        if declared:
            text = declared[0].decode("latin-1").strip()
            if len(declared) > 1 or not text.isdigit():
                await _refuse(send, 400, "bad_length", "Content-Length is not one number")
                return
            if int(text) > limit:
                await _refuse(send, 413, "too_large",
                              f"the request body is larger than {limit} bytes")
                return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLargeError(limit)
            return message

        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watch)
        except BodyTooLargeError as exc:  # read outside FastAPI's error handling
            if not started:
                await _refuse(send, 413, "too_large", str(exc.detail))


async def _refuse(send: Send, status: int, reason: str, message: str) -> None:
    body = json.dumps({"error": {"reason": reason, "message": message}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
