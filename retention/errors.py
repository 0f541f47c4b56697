"""Errors of retention, holds and disposal, each with a machine-readable reason.

Each one also derives from the archive error its HTTP status follows (api/errors.py).
"""

from __future__ import annotations

from archive.evidence.errors import ArchiveError, ConflictError, InvalidInputError


class RetentionError(ArchiveError):
    """Base of every retention error."""

    reason = "retention"


class PolicyError(RetentionError, InvalidInputError):
    """A retention rule that cannot be accepted; nothing was changed."""

    reason = "bad_policy"


class ApprovalError(RetentionError, ConflictError):
    """A disposal batch is not in a state that allows this approval or execution."""

    reason = "approval"


class SweepBusyError(RetentionError, ConflictError):
    """Another sweep holds the lease; try again when it ends or its lease expires."""

    reason = "sweep_running"
