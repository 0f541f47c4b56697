"""A BagIt bag (RFC 8493) written straight into a stored (uncompressed) zip, hashed as it streams.

Media is already compressed and must stay byte for byte: entries are ZIP_STORED. Each file is
hashed (SHA-256 and SHA-512) while it is written, so a 5 GB export is read once and never held
in memory or staged on disk. `bagit.py --validate` and `bagit.Bag(...).validate()` accept the
unzipped result.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO

from archive.evidence.errors import InvalidInputError
from archive.export.offline.layout import BAG_ALGORITHMS, BAGIT_VERSION, check_path

ZIP64_LIMIT = 0x7FFFFFFF  # entries this large get zip64 headers up front
_FILE_MODE = 0o100644 << 16


@dataclass(frozen=True)
class BagEntry:
    """One file written into the bag, with its digests."""

    path: str  # relative to the bag root: "data/..." for payload
    size: int
    sha256: str
    sha512: str

    def digest(self, algorithm: str) -> str:
        return self.sha256 if algorithm == "sha256" else self.sha512


def bagit_txt() -> bytes:
    return f"BagIt-Version: {BAGIT_VERSION}\nTag-File-Character-Encoding: UTF-8\n".encode()


def bag_info_txt(fields: Sequence[tuple[str, str]]) -> bytes:
    """Labels and values, one per line; line breaks inside values become spaces."""
    lines = []
    for label, value in fields:
        flat = " ".join(value.splitlines()).strip()
        lines.append(f"{label}: {flat}\n")
    return "".join(lines).encode()


def manifest_txt(entries: Iterable[BagEntry], algorithm: str) -> bytes:
    """`<digest>  <path>` lines (RFC 8493 2.1.3), sorted by path."""
    lines = [f"{e.digest(algorithm)}  {e.path}\n" for e in sorted(entries, key=lambda e: e.path)]
    return "".join(lines).encode()


class ZipBagWriter:
    """Writes the bag `<bag_name>/...` into a zip; `finish` adds the manifests and tag files."""

    def __init__(self, handle: BinaryIO, *, bag_name: str, moment: datetime,
                 on_bytes: Callable[[int], None] | None = None) -> None:
        check_path(bag_name)
        self._zip = zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED,
                                    allowZip64=True)
        self._bag = bag_name
        self._date_time = moment.astimezone(UTC).timetuple()[:6]
        self._payload: dict[str, BagEntry] = {}
        self._tags: dict[str, BagEntry] = {}
        self._on_bytes = on_bytes
        self._finished = False

    @property
    def payload(self) -> list[BagEntry]:
        return list(self._payload.values())

    def has(self, path: str) -> bool:
        return f"{self._bag}/{path}" in self._zip.NameToInfo

    def add_payload(self, path: str, data: bytes) -> BagEntry:
        """A small payload file (not counted as progress, which follows the media)."""
        if not path.startswith("data/"):
            raise InvalidInputError(f"payload path {path} is outside data/", reason="bad_path")
        entry = self._write(path, [data], size_hint=len(data), count=False)
        self._payload[path] = entry
        return entry

    def add_payload_stream(self, path: str, chunks: Iterable[bytes], *, size_hint: int,
                           digests: Callable[[], tuple[str, str]] | None = None) -> BagEntry:
        """Write one payload file ("data/...") from chunks, hashing them on the way.

        `digests`, when given, returns (sha256, sha512) of the chunks once they are all
        written: the producer hashed them already (on another thread), so they are not
        hashed twice.
        """
        if not path.startswith("data/"):
            raise InvalidInputError(f"payload path {path} is outside data/", reason="bad_path")
        entry = self._write(path, chunks, size_hint=size_hint, count=True, digests=digests)
        self._payload[path] = entry
        return entry

    def add_tag(self, path: str, data: bytes) -> BagEntry:
        if path.startswith("data/"):
            raise InvalidInputError(f"tag file {path} is inside data/", reason="bad_path")
        entry = self._write(path, [data], size_hint=len(data), count=False)
        self._tags[path] = entry
        return entry

    def finish(self, *, bag_info: Sequence[tuple[str, str]], tag_files: Mapping[str, bytes],
               sign: Callable[[bytes], Mapping[str, bytes]] | None = None) -> bytes:
        """Write bagit.txt, bag-info.txt, manifests, extra tag files and tag manifests.

        `sign` receives the bytes of tagmanifest-sha256.txt and returns further tag files
        (signature, timestamp) that no tag manifest lists. Returns those tagmanifest bytes.
        """
        payload = list(self._payload.values())
        octets = sum(e.size for e in payload)
        self.add_tag("bagit.txt", bagit_txt())
        self.add_tag("bag-info.txt", bag_info_txt(
            [*bag_info, ("Payload-Oxum", f"{octets}.{len(payload)}")]))
        for algorithm in BAG_ALGORITHMS:
            self.add_tag(f"manifest-{algorithm}.txt", manifest_txt(payload, algorithm))
        for path, data in tag_files.items():
            self.add_tag(path, data)
        tagged = list(self._tags.values())
        signed = b""
        for algorithm in BAG_ALGORITHMS:
            text = manifest_txt(tagged, algorithm)
            self._write(f"tagmanifest-{algorithm}.txt", [text], size_hint=len(text),
                        count=False)
            if algorithm == "sha256":
                signed = text
        if sign is not None:
            for path, data in sign(signed).items():
                self._write(path, [data], size_hint=len(data), count=False)
        self._finished = True
        return signed

    def close(self) -> None:
        self._zip.close()

    def _write(self, path: str, chunks: Iterable[bytes], *, size_hint: int, count: bool,
               digests: Callable[[], tuple[str, str]] | None = None) -> BagEntry:
        check_path(path)
        name = f"{self._bag}/{path}"
        if name in self._zip.NameToInfo:
            raise InvalidInputError(f"{path} is written twice", reason="duplicate_path")
        info = zipfile.ZipInfo(name, date_time=self._date_time)  # type: ignore[arg-type]
        info.compress_type = zipfile.ZIP_STORED
        info.external_attr = _FILE_MODE
        sha256, sha512 = hashlib.sha256(), hashlib.sha512()
        size = 0
        with self._zip.open(info, "w", force_zip64=size_hint > ZIP64_LIMIT) as out:
            for chunk in chunks:
                if digests is None:
                    sha256.update(chunk)
                    sha512.update(chunk)
                out.write(chunk)
                size += len(chunk)
                if count and self._on_bytes is not None:
                    self._on_bytes(len(chunk))
        if digests is not None:
            return BagEntry(path, size, *digests())
        return BagEntry(path, size, sha256.hexdigest(), sha512.hexdigest())
