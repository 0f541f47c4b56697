"""Errors of authentication, each with a machine-readable reason."""

from __future__ import annotations

from archive.evidence.errors import PermissionDeniedError


class NotAuthenticatedError(PermissionDeniedError):
    """No valid credentials came with the request (HTTP 401)."""

    reason = "not_authenticated"


class TooManyAttemptsError(PermissionDeniedError):
    """Too many failed logins for this name or address recently (HTTP 429)."""

    reason = "too_many_attempts"

    def __init__(self, message: str, *, retry_after_s: int, reason: str | None = None) -> None:
        super().__init__(message, reason=reason)
        self.retry_after_s = retry_after_s


class CsrfError(PermissionDeniedError):
    """A cookie-authenticated change came without the session's CSRF token (HTTP 403)."""

    reason = "csrf"
