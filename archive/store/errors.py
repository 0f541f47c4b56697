"""Translation of S3 SDK and transport errors into archive errors, at the store boundary."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import urllib3
from minio.error import InvalidResponseError, S3Error, ServerError

from archive.evidence.errors import (
    ArchiveError,
    IntegrityError,
    InvalidInputError,
    NotFoundError,
    ObjectLockedError,
    StoreError,
    StoreUnavailableError,
)

_NOT_FOUND = frozenset({"NoSuchKey", "NoSuchVersion", "NoSuchBucket", "ResourceNotFound"})
_DIGEST_MISMATCH = frozenset({"BadDigest", "XAmzContentChecksumMismatch"})
_UNAVAILABLE = frozenset({"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout"})
# "Nothing set" answers differ by server: SeaweedFS (404 ObjectLockConfigurationNotFoundError,
# 404 NoSuchObjectLegalHold, 400 InvalidRequest on a bucket without lock) and MinIO/AWS
# (NoSuchObjectLockConfiguration).
NO_LOCK_SETTING = frozenset(
    {
        "ObjectLockConfigurationNotFoundError",
        "NoSuchObjectLockConfiguration",
        "NoSuchObjectLegalHold",
        "InvalidRequest",
    }
)


@contextmanager
def boundary(what: str) -> Iterator[None]:
    """Translate SDK and transport errors into archive errors."""
    try:
        yield
    except S3Error as exc:
        raise from_s3_error(exc, what) from exc
    except ServerError as exc:
        if exc.status_code >= 500:
            raise StoreUnavailableError(f"{what}: server error {exc.status_code}") from exc
        raise StoreError(f"{what}: {exc}", reason="s3_error") from exc
    except InvalidResponseError as exc:
        raise StoreError(f"{what}: invalid response: {exc}", reason="invalid_response") from exc
    except urllib3.exceptions.HTTPError as exc:
        raise StoreUnavailableError(f"{what}: object store unreachable: {exc}") from exc
    except ValueError as exc:  # the SDK's own checks: bucket/key names, sizes
        raise InvalidInputError(f"{what}: {exc}", reason="invalid_request") from exc


@contextmanager
def locked_on_denied(key: str, version_id: str) -> Iterator[None]:
    """A refusal to change or delete a version means a lock holds it."""
    try:
        yield
    except S3Error as exc:
        if exc.code != "AccessDenied":
            raise
        raise ObjectLockedError(
            f"{key}@{version_id} is locked (retention or legal hold): server refused",
            reason="object_locked",
        ) from exc


def from_s3_error(exc: S3Error, what: str) -> ArchiveError:
    code = exc.code or ""
    message = f"{what}: {code}: {exc.message}"
    if code in _NOT_FOUND:
        return NotFoundError(message, reason=_snake(code))
    if code in _DIGEST_MISMATCH:
        return IntegrityError(message, reason="digest_mismatch")
    if code in _UNAVAILABLE:
        return StoreUnavailableError(message)
    if code == "AccessDenied":
        return StoreError(message, reason="access_denied")
    return StoreError(message, reason="s3_error")


def _snake(code: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", code).lower()
