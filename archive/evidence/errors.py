"""Errors raised by the archive, each with a machine-readable reason."""

from __future__ import annotations


class ArchiveError(Exception):
    """Base of every archive error; `reason` is a stable machine-readable code."""

    reason: str = "archive_error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.reason


class ConfigurationError(ArchiveError):
    reason = "configuration"


class NotFoundError(ArchiveError):
    reason = "not_found"


class ConflictError(ArchiveError):
    """The request contradicts what the archive already holds; nothing was changed."""

    reason = "conflict"


class InvalidInputError(ArchiveError):
    reason = "invalid_input"


class DigestMismatchError(InvalidInputError):
    reason = "digest_mismatch"


class ChainBreakError(ConflictError):
    reason = "chain_break"


class PermissionDeniedError(ArchiveError):
    reason = "permission_denied"


class StoreError(ArchiveError):
    reason = "store_error"


class StoreUnavailableError(StoreError):
    reason = "store_unavailable"


class ObjectLockedError(StoreError):
    """The object store refused to delete or overwrite a locked object version."""

    reason = "object_locked"


class IntegrityError(StoreError):
    """Bytes read back from the store do not hash to what the catalog pinned."""

    reason = "integrity"


class SigningError(ArchiveError):
    reason = "signing"


class SigningUnavailableError(SigningError):
    """The signer or the timestamp authority could not be reached; retry later."""

    reason = "signing_unavailable"


class VerificationError(ArchiveError):
    """A signature, timestamp, hash, chain or proof did not verify."""

    reason = "verification"


class StackError(ArchiveError):
    """The local stack could not start or stop a service."""

    reason = "stack"
