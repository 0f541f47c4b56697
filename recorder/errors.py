"""Errors raised by the recorder agent, each with a machine-readable reason."""

from __future__ import annotations

from archive.evidence.errors import ArchiveError


class RecorderError(ArchiveError):
    """Base of every recorder error; `reason` is a stable machine-readable code.

    A kind of the evidence core's error, so the `aidrec` root reports both alike.
    """

    reason: str = "recorder_error"


class ConfigError(RecorderError):
    """The configuration file is missing, unreadable or invalid."""

    reason = "config"


class ProbeError(RecorderError):
    """The source could not be probed (unreachable, no video stream, unknown codec)."""

    reason = "probe"


class SpoolError(RecorderError):
    """The local spool refused an operation (corrupt state, unknown item)."""

    reason = "spool"


class ArchiveUnavailableError(RecorderError):
    """The archive could not be reached or answered 5xx: retry later."""

    reason = "archive_unavailable"


class ArchiveRejectedError(RecorderError):
    """The archive refused a request for good (4xx); retrying the same request cannot help."""

    reason = "archive_rejected"

    def __init__(self, message: str, *, reason: str | None = None, status: int = 400) -> None:
        super().__init__(message, reason=reason)
        self.status = status


class ControlError(RecorderError):
    """A control request to the local agent (tag, mark, stop) was refused or failed."""

    reason = "control"
