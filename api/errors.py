"""One place that maps domain errors to HTTP answers; no stack trace ever leaves the server."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from archive import errors

logger = logging.getLogger(__name__)

_STATUS: list[tuple[type[errors.ArchiveError], int]] = [
    (errors.DigestMismatchError, 400),
    (errors.InvalidInputError, 400),
    (errors.NotFoundError, 404),
    (errors.ConflictError, 409),
    (errors.PermissionDeniedError, 403),
    (errors.StoreUnavailableError, 503),
    (errors.SigningUnavailableError, 503),
    (errors.IntegrityError, 502),
]


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


def install(app: FastAPI) -> None:
    @app.exception_handler(errors.ArchiveError)
    async def _archive_error(_request: Request, exc: errors.ArchiveError) -> JSONResponse:
        status = status_for(exc)
        if status >= 500:
            logger.error("request failed: %s (%s)", exc.message, exc.reason)
        body = ErrorResponse(error=ErrorBody(reason=exc.reason, message=exc.message))
        return JSONResponse(body.model_dump(), status_code=status)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error", exc_info=exc)
        body = ErrorResponse(error=ErrorBody(reason="internal", message="internal error"))
        return JSONResponse(body.model_dump(), status_code=500)
