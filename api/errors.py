"""One place that maps domain errors to HTTP answers; no stack trace ever leaves the server.

API paths answer JSON (`ErrorResponse`); page paths answer an HTML page rendered by the web
area (or a redirect to the login page when nobody is logged in).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.auth.errors import CsrfError, NotAuthenticatedError, TooManyAttemptsError
from archive.evidence import errors

logger = logging.getLogger(__name__)

_STATUS: list[tuple[type[errors.ArchiveError], int]] = [
    (errors.DigestMismatchError, 400),
    (errors.InvalidInputError, 400),
    (errors.NotFoundError, 404),
    (errors.ConflictError, 409),
    (NotAuthenticatedError, 401),
    (TooManyAttemptsError, 429),
    (CsrfError, 403),
    (errors.PermissionDeniedError, 403),
    (errors.StoreUnavailableError, 503),
    (errors.SigningUnavailableError, 503),
    (errors.IntegrityError, 502),
]

# (request, status, reason, message) -> a page; installed by the web area.
PageRenderer = Callable[[Request, int, str, str], Response]


class ErrorBody(BaseModel):
    reason: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


def status_for(exc: errors.ArchiveError) -> int:
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 500


def _is_page(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith("/api/") or path == "/healthz")


def _answer(request: Request, status: int, reason: str, message: str,
            headers: dict[str, str] | None = None) -> Response:
    renderer: PageRenderer | None = getattr(request.app.state, "render_error", None)
    if renderer is not None and _is_page(request):
        return renderer(request, status, reason, message)
    body = ErrorResponse(error=ErrorBody(reason=reason, message=message))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(errors.ArchiveError)
    async def _archive_error(request: Request, exc: errors.ArchiveError) -> Response:
        status = status_for(exc)
        if status >= 500:
            logger.error("request failed: %s (%s)", exc.message, exc.reason)
        headers: dict[str, str] = {}
        if isinstance(exc, NotAuthenticatedError):
            headers["WWW-Authenticate"] = "Bearer"
        if isinstance(exc, TooManyAttemptsError):
            headers["Retry-After"] = str(exc.retry_after_s)
        return _answer(request, status, exc.reason, exc.message, headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        reason = {404: "not_found", 405: "method_not_allowed",
                  413: "too_large"}.get(exc.status_code, "http")
        return _answer(request, exc.status_code, reason, str(exc.detail),
                       dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if _is_page(request):
            return _answer(request, 400, "invalid_input", _summary(exc))
        return JSONResponse({"detail": _plain(exc)}, status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        logger.exception("unhandled error", exc_info=exc)
        return _answer(request, 500, "internal", "internal error")


def _plain(exc: RequestValidationError) -> list[dict[str, object]]:
    """FastAPI's validation details without echoing whole inputs back."""
    out: list[dict[str, object]] = []
    for item in exc.errors():
        out.append({"loc": list(item.get("loc", ())), "msg": str(item.get("msg", "")),
                    "type": str(item.get("type", ""))})
    return out


def _summary(exc: RequestValidationError) -> str:
    parts = [f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
             for e in exc.errors()[:3]]
    return "; ".join(parts) or "invalid request"
