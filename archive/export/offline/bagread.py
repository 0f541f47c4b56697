"""Reading a serialized bag (RFC 8493): the zip, its one bag directory, its manifest lines."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

from archive.evidence.errors import InvalidInputError


def parse_manifest(text: bytes, *, what: str) -> dict[str, str]:
    """Path -> digest from a manifest file.

    Raises:
        InvalidInputError: reason bad_manifest for a malformed line or a repeated path.
    """
    result: dict[str, str] = {}
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"{what} is not UTF-8", reason="bad_manifest") from exc
    for number, line in enumerate(decoded.splitlines(), start=1):
        if not line.strip():
            continue
        digest, _, path = line.partition(" ")
        path = path.lstrip(" \t")
        if not digest or not path:
            raise InvalidInputError(f"{what} line {number} is malformed", reason="bad_manifest")
        path = path.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")
        if path in result:
            raise InvalidInputError(f"{what} lists {path} twice", reason="bad_manifest")
        result[path] = digest.lower()
    return result


def bag_root_of(names: Sequence[str]) -> str:
    """The one top-level directory of a serialized bag (RFC 8493 4.2).

    Raises:
        InvalidInputError: reason bad_container when there is not exactly one.
    """
    tops = {n.split("/", 1)[0] for n in names}
    if len(tops) != 1 or any("/" not in n for n in names):
        raise InvalidInputError(
            f"got top-level entries {sorted(tops)[:5]}, expected one bag directory",
            reason="bad_container")
    return tops.pop()


def open_zip(path: Path) -> zipfile.ZipFile:
    """Raises:
        InvalidInputError: reason not_a_zip.
    """
    try:
        return zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise InvalidInputError(f"{path} is not a readable zip file: {exc}",
                                reason="not_a_zip") from exc
