"""Evidence object store: write-once S3 versions under COMPLIANCE retention, verified on read."""

from __future__ import annotations

import base64
import io
import logging
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from hashlib import sha256
from pathlib import Path
from typing import BinaryIO, cast

import urllib3
from minio import Minio
from minio.commonconfig import COMPLIANCE
from minio.error import S3Error
from minio.retention import Retention
from urllib3 import BaseHTTPResponse

from archive.evidence.errors import ArchiveError, InvalidInputError, StoreError
from archive.store.errors import NO_LOCK_SETTING, boundary, locked_on_denied
from archive.store.streams import GuardedReader, VerifiedStream, drain

logger = logging.getLogger(__name__)

MIB = 1024 * 1024
# Up to this size one PUT carries x-amz-checksum-sha256, which the server verifies before it
# stores anything. Above it, multipart: S3 has no whole-object SHA-256 for parts, so the client
# hashes while uploading and aborts the upload before its last part on a mismatch.
SINGLE_PUT_MAX = 64 * MIB
PART_SIZE = 16 * MIB
READ_CHUNK = 1 * MIB
SHA256_METADATA = "sha256"

_MIN_PART_SIZE = 5 * MIB  # the SDK refuses smaller part sizes, even for a single PUT
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_METADATA_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")



@dataclass(frozen=True)
class StoredObject:
    """One stored, locked object version as the catalog pins it."""

    key: str
    version_id: str
    size: int
    sha256_hex: str


@dataclass(frozen=True)
class ObjectInfo:
    """What HEAD tells about one object version."""

    key: str
    version_id: str
    size: int
    content_type: str | None
    sha256_hex: str | None
    last_modified: datetime | None
    retention_mode: str | None
    retain_until: datetime | None
    legal_hold: bool
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class VersionEntry:
    """One row of a version listing; delete markers have no size."""

    key: str
    version_id: str
    size: int | None
    last_modified: datetime | None
    is_latest: bool
    is_delete_marker: bool


@dataclass(frozen=True)
class HashOutcome:
    """Fixity result of one object version: a digest and size, or the error met."""

    key: str
    version_id: str
    sha256_hex: str | None = None
    size: int | None = None
    error: ArchiveError | None = None


class ObjectStore:
    """The evidence bucket, through the minio SDK (MinIO in production, SeaweedFS locally)."""

    def __init__(
        self,
        *,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        secure: bool = False,
        region: str | None = None,
        connect_timeout_s: float = 3.0,
        read_timeout_s: float = 30.0,
        ca_file: Path | None = None,
        hold_keys: tuple[str, str] | None = None,
    ) -> None:
        """`hold_keys`: the S3 identity that alone may place and lift legal holds (SeaweedFS
        and S3 have one permission for both); without them the app's identity is used."""
        self._bucket = bucket
        http = _http_pool(connect_timeout_s, read_timeout_s, ca_file)
        self._client = Minio(endpoint, access_key=access_key, secret_key=secret_key,
                             secure=secure, region=region, http_client=http)
        self._hold_client = self._client if hold_keys is None else Minio(
            endpoint, access_key=hold_keys[0], secret_key=hold_keys[1], secure=secure,
            region=region, http_client=http)

    @property
    def bucket(self) -> str:
        return self._bucket

    def ensure_bucket(self) -> None:
        """Create the bucket with Object Lock (and so versioning) unless it exists.

        Raises:
            StoreError: "bucket_not_locked" for a bucket without Object Lock; "bucket_missing"
                when it is absent and these credentials may not create it.
        """
        with boundary(f"bucket {self._bucket}"):
            if not self._client.bucket_exists(self._bucket):
                self._create_bucket()
                return
            if not self._bucket_is_locked():
                raise StoreError(
                    f"bucket {self._bucket} exists without Object Lock; evidence needs it",
                    reason="bucket_not_locked",
                )

    def put_locked(
        self,
        key: str,
        data: BinaryIO | bytes,
        *,
        length: int,
        sha256_hex: str,
        retain_until: datetime,
        content_type: str,
        metadata: Mapping[str, str] | None = None,
    ) -> StoredObject:
        """Store a new version under COMPLIANCE retention until retain_until (rounded up to s).

        Raises:
            IntegrityError: "digest_mismatch" when the bytes don't hash to sha256_hex; nothing
                is stored then.
            InvalidInputError: bad key, digest, date, length or metadata; a short stream.
        """
        _check_key(key)
        _check_sha256(sha256_hex)
        headers = _user_metadata(metadata, sha256_hex)
        retention = Retention(COMPLIANCE, _ceil_to_second(_check_aware(retain_until)))
        if length < 0:
            raise InvalidInputError(f"length must be >= 0, got {length}", reason="bad_length")
        if isinstance(data, bytes) and len(data) != length:
            raise InvalidInputError(
                f"got {len(data)} bytes, expected length {length}", reason="length_mismatch"
            )
        stream = io.BytesIO(data) if isinstance(data, bytes) else data
        if length <= SINGLE_PUT_MAX:
            headers["x-amz-checksum-sha256"] = base64.b64encode(bytes.fromhex(sha256_hex)).decode()
            reader = GuardedReader(stream, length=length, sha256_hex=None)
            part_size = max(length, _MIN_PART_SIZE)
        else:
            reader = GuardedReader(stream, length=length, sha256_hex=sha256_hex)
            part_size = PART_SIZE
        with boundary(f"put {key}"):
            result = self._client.put_object(
                self._bucket,
                key,
                cast(BinaryIO, reader),  # the SDK only calls read()
                length,
                content_type=content_type,
                metadata=dict(headers),
                part_size=part_size,
                num_parallel_uploads=1,  # parts read in order so the hash check precedes the last
                retention=retention,
            )
        if not result.version_id:
            raise StoreError(f"no version id for {key}: is versioning on?", reason="unversioned")
        logger.info("object_stored", extra={"key": key, "version_id": result.version_id})
        return StoredObject(key, result.version_id, length, sha256_hex)

    def open_verified(
        self, key: str, *, version_id: str, sha256_hex: str, chunk_size: int = READ_CHUNK
    ) -> VerifiedStream:
        """Stream a pinned version; the stream raises IntegrityError("hash_mismatch") at its end.

        Raises:
            NotFoundError: the key or version does not exist (raised here, before any bytes).
        """
        _check_sha256(sha256_hex)
        response = self._get(key, version_id=version_id)
        return VerifiedStream(
            response, what=f"{key}@{version_id}", sha256_hex=sha256_hex, chunk_size=chunk_size
        )

    def read_verified(self, key: str, *, version_id: str, sha256_hex: str) -> bytes:
        """Whole pinned version in memory (small objects only), verified.

        Raises:
            NotFoundError, IntegrityError: as open_verified.
        """
        with self.open_verified(key, version_id=version_id, sha256_hex=sha256_hex) as stream:
            return b"".join(stream)

    def hash_object(self, key: str, *, version_id: str) -> tuple[str, int]:
        """SHA-256 hex and size of a version, streamed without keeping it (fixity)."""
        response = self._get(key, version_id=version_id)
        digest = sha256()
        size = 0
        for view in drain(response, 4 * READ_CHUNK, f"{key}@{version_id}"):
            digest.update(view)  # releases the GIL: threads hash in parallel
            size += len(view)
        return digest.hexdigest(), size

    def hash_objects_parallel(
        self, items: Sequence[tuple[str, str]], *, workers: int = 4
    ) -> list[HashOutcome]:
        """hash_object for (key, version_id) pairs on a thread pool; results in input order.

        An error for one item is returned in its outcome, not raised, so one bad object doesn't
        hide the rest of a fixity run.
        """

        def one(item: tuple[str, str]) -> HashOutcome:
            key, version_id = item
            try:
                hex_digest, size = self.hash_object(key, version_id=version_id)
            except ArchiveError as exc:
                return HashOutcome(key, version_id, error=exc)
            return HashOutcome(key, version_id, sha256_hex=hex_digest, size=size)

        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            return list(pool.map(one, items))

    def read_range(self, key: str, *, version_id: str, start: int, length: int) -> bytes:
        """length bytes from offset start of a version (fewer at the end), unverified.

        Raises:
            InvalidInputError: "invalid_range" for a negative start, length < 1 or a start past
                the end.
        """
        if start < 0 or length < 1:
            raise InvalidInputError(
                f"range start={start} length={length} is invalid", reason="invalid_range"
            )
        response = self._get(key, version_id=version_id, offset=start, length=length)
        return b"".join(drain(response, READ_CHUNK, f"{key}@{version_id}"))

    def stat(self, key: str, version_id: str) -> ObjectInfo:
        """Size, digest, content type, retention and legal hold of a version."""
        _check_key(key)
        with boundary(f"stat {key}@{version_id}"):
            obj = self._client.stat_object(self._bucket, key, version_id=version_id)
        headers = obj.metadata or {}
        until = headers.get("x-amz-object-lock-retain-until-date")
        user = {
            name.lower().removeprefix("x-amz-meta-"): str(value)
            for name, value in headers.items()
            if name.lower().startswith("x-amz-meta-")
        }
        return ObjectInfo(
            key=key,
            version_id=obj.version_id or version_id,
            size=obj.size or 0,
            content_type=obj.content_type,
            sha256_hex=user.get(SHA256_METADATA),
            last_modified=obj.last_modified,
            retention_mode=headers.get("x-amz-object-lock-mode"),
            retain_until=datetime.fromisoformat(until) if until else None,
            legal_hold=headers.get("x-amz-object-lock-legal-hold", "").upper() == "ON",
            metadata=user,
        )

    def list_versions(self, prefix: str) -> list[VersionEntry]:
        """Every version and delete marker under prefix, newest first per key."""
        with boundary(f"list {prefix}"):
            listing = self._client.list_objects(
                self._bucket, prefix=prefix, recursive=True, include_version=True
            )
            return [
                VersionEntry(
                    key=obj.object_name or "",
                    version_id=obj.version_id or "",
                    size=None if obj.is_delete_marker else obj.size,
                    last_modified=obj.last_modified,
                    is_latest=str(obj.is_latest).lower() == "true",
                    is_delete_marker=bool(obj.is_delete_marker),
                )
                for obj in listing
            ]

    def get_retention(self, key: str, version_id: str) -> datetime | None:
        """The retain-until date of a version, or None when it has no retention."""
        _check_key(key)
        with boundary(f"retention {key}@{version_id}"):
            try:
                retention = self._client.get_object_retention(self._bucket, key, version_id)
            except S3Error as exc:
                if exc.code in NO_LOCK_SETTING:
                    return None
                raise
        return None if retention is None else retention.retain_until_date

    def extend_retention(self, key: str, version_id: str, until: datetime) -> datetime:
        """Raise a version's COMPLIANCE retention to until, never shortening; returns the date held.

        Raises:
            ObjectLockedError: the server refused the change.
        """
        wanted = _ceil_to_second(_check_aware(until))
        current = self.get_retention(key, version_id)
        if current is not None and current >= wanted:
            return current
        with boundary(f"extend retention {key}@{version_id}"), locked_on_denied(key, version_id):
            self._client.set_object_retention(
                self._bucket, key, Retention(COMPLIANCE, wanted), version_id
            )
        logger.info("retention_extended", extra={"key": key, "version_id": version_id})
        return wanted

    def set_legal_hold(self, key: str, version_id: str, on: bool) -> None:
        """Place or lift the legal hold on a version, as the legal-hold identity if configured.

        Raises:
            StoreError: reason "access_denied" when the identity may not set legal holds.
        """
        _check_key(key)
        with boundary(f"legal hold {key}@{version_id}"):
            if on:
                self._hold_client.enable_object_legal_hold(self._bucket, key, version_id)
            else:
                self._hold_client.disable_object_legal_hold(self._bucket, key, version_id)
        logger.info("legal_hold_set", extra={"key": key, "version_id": version_id, "on": on})

    def get_legal_hold(self, key: str, version_id: str) -> bool:
        """Whether a version is under legal hold."""
        _check_key(key)
        with boundary(f"legal hold {key}@{version_id}"):
            try:
                return bool(
                    self._client.is_object_legal_hold_enabled(self._bucket, key, version_id)
                )
            except S3Error as exc:
                if exc.code in NO_LOCK_SETTING:
                    return False
                raise

    def delete_version(self, key: str, version_id: str) -> None:
        """Permanently delete one version, which the server allows only once it is unlocked.

        Raises:
            ObjectLockedError: retention or legal hold still protects it.
        """
        _check_key(key)
        if not version_id:
            raise InvalidInputError("delete_version needs a version id", reason="no_version_id")
        with boundary(f"delete {key}@{version_id}"), locked_on_denied(key, version_id):
            self._client.remove_object(self._bucket, key, version_id=version_id)
        logger.info("object_version_deleted", extra={"key": key, "version_id": version_id})

    def _get(
        self, key: str, *, version_id: str, offset: int = 0, length: int = 0
    ) -> BaseHTTPResponse:
        _check_key(key)
        if not version_id:
            raise InvalidInputError("reads are pinned: version id required", reason="no_version_id")
        with boundary(f"get {key}@{version_id}"):
            try:
                return self._client.get_object(
                    self._bucket, key, offset=offset, length=length, version_id=version_id
                )
            except S3Error as exc:
                if exc.code == "InvalidRange":
                    raise InvalidInputError(
                        f"offset {offset} is past the end of {key}@{version_id}",
                        reason="invalid_range",
                    ) from exc
                raise

    def _create_bucket(self) -> None:
        try:
            self._client.make_bucket(self._bucket, object_lock=True)
        except S3Error as exc:
            if exc.code != "AccessDenied":
                raise
            raise StoreError(
                f"bucket {self._bucket} is missing and these credentials may not create it;"
                " provision it with Object Lock",
                reason="bucket_missing",
            ) from exc
        logger.info("bucket_created", extra={"bucket": self._bucket})

    def _bucket_is_locked(self) -> bool:
        try:
            self._client.get_object_lock_config(self._bucket)
        except S3Error as exc:
            if exc.code in NO_LOCK_SETTING:
                return False
            if exc.code != "AccessDenied":
                raise
            # Not allowed to read the lock setting: versioning is necessary for a lock, and
            # put_locked's retention headers fail on any bucket without one.
            versioning = self._client.get_bucket_versioning(self._bucket)
            return bool(versioning.status == "Enabled")
        return True


def _http_pool(
    connect_timeout_s: float, read_timeout_s: float, ca_file: Path | None
) -> urllib3.PoolManager:
    # The SDK's default waits 5 minutes per timeout with 5 retries: a dead server would stall a
    # request for minutes. Never retry after the request went out (read=0): a replayed PUT would
    # leave an extra version that COMPLIANCE then keeps for years.
    retries = urllib3.Retry(
        total=3,
        connect=2,
        read=0,
        other=0,
        status=2,
        backoff_factor=0.2,
        status_forcelist=(500, 502, 503, 504),
        raise_on_status=False,  # hand the last error body to the SDK, which names the S3 code
    )
    return urllib3.PoolManager(
        num_pools=4,
        maxsize=16,  # parallel fixity and ingest threads each hold one connection
        timeout=urllib3.Timeout(connect=connect_timeout_s, read=read_timeout_s),
        retries=retries,
        cert_reqs="CERT_REQUIRED",
        ca_certs=str(ca_file) if ca_file else None,
    )


def _check_key(key: str) -> None:
    if not key or key.startswith("/") or len(key.encode()) > 1024:
        raise InvalidInputError(f"invalid object key {key!r}", reason="bad_key")


def _check_sha256(sha256_hex: str) -> None:
    if not _SHA256_HEX.fullmatch(sha256_hex):
        raise InvalidInputError(
            f"sha256 must be 64 lowercase hex digits, got {sha256_hex!r}", reason="bad_digest"
        )


def _check_aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInputError(f"{moment} has no time zone", reason="naive_datetime")
    return moment


def _ceil_to_second(moment: datetime) -> datetime:
    """Round up: servers keep whole seconds, and a lock must never end before it was asked to."""
    if moment.microsecond == 0:
        return moment
    return moment.replace(microsecond=0) + timedelta(seconds=1)


def _user_metadata(metadata: Mapping[str, str] | None, sha256_hex: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for name, value in (metadata or {}).items():
        lowered = name.lower()
        # The SDK sends x-amz-* and content-* names as plain headers, not as x-amz-meta-*.
        reserved = lowered.startswith(("x-amz-", "content-", "cache-control"))
        if reserved or lowered == SHA256_METADATA or not _METADATA_NAME.fullmatch(lowered):
            raise InvalidInputError(f"metadata name {name!r} is not allowed", reason="bad_metadata")
        if not value.isascii() or not value.isprintable():
            raise InvalidInputError(
                f"metadata {name!r} must be printable ASCII", reason="bad_metadata"
            )
        result[lowered] = value
    result[SHA256_METADATA] = sha256_hex
    return result


