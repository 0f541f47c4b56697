"""Segment files on disk: fsynced before their row commits, deleted only once confirmed."""

from __future__ import annotations

import os
from pathlib import Path

from archive.evidence.digest import sha256_stream
from recorder.spool.database import SpoolDatabase


def seal_file(path: Path) -> tuple[str, int]:
    """Hash a closed segment and force it and its directory entry to disk."""
    with path.open("rb") as handle:
        digest, size = sha256_stream(handle)
        os.fsync(handle.fileno())
    fsync_dir(path.parent)
    return digest, size


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def delete_media(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        return
    fsync_dir(path.parent)


class MediaFiles(SpoolDatabase):
    """Tidying the media directory after a crash or once runs are fully uploaded."""

    def delete_confirmed_leftovers(self) -> int:
        """Files of confirmed segments a crash left behind (deleted after the commit)."""
        count = 0
        for row in self._all("SELECT path FROM items WHERE kind = 'segment' AND "
                             "state = 'confirmed' AND path IS NOT NULL"):
            path = Path(row["path"])
            if path.exists():
                delete_media(path)
                count += 1
        return count

    def remove_empty_run_dirs(self) -> None:
        """Directories of ended runs whose every segment is confirmed."""
        for row in self._all("SELECT id, dir FROM runs WHERE state = 'ended'"):
            run_dir = Path(row["dir"])
            if not run_dir.is_dir():
                continue
            if any(p.suffix == ".ts" for p in run_dir.iterdir()):
                continue
            for leftover in run_dir.iterdir():
                leftover.unlink()
            run_dir.rmdir()
