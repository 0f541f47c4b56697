"""The durable spool: segments and everything the archive must hear, kept until it confirms.

SQLite in WAL mode with synchronous=FULL beside the media files. A segment file is fsynced
(file and directory) before its row is committed, and deleted only after the archive has
confirmed its exact SHA-256. Items go to the archive in the order they were spooled, per
camera: the recording's opening first, then its segments, gaps, sessions and markers, then
its closing.

`Spool` is the one object the agent holds; each part of it lives in its own module:
`database` (the SQLite file and transactions), `rows` (the values read from it),
`recordings`, `runs`, `chain` (segments and their hash chain), `queue` (the upload order),
`cameras` (state kept across restarts), `media` (files on disk) and `figures` (status reads).
"""

from __future__ import annotations

from recorder.spool.cameras import CameraStates
from recorder.spool.chain import SegmentChain
from recorder.spool.figures import Figures
from recorder.spool.media import MediaFiles, seal_file
from recorder.spool.recordings import Recordings
from recorder.spool.rows import CameraState, Item, ItemKind, ItemState, RecordingRow, RunRow
from recorder.spool.runs import Runs

__all__ = ["CameraState", "Item", "ItemKind", "ItemState", "RecordingRow", "RunRow", "Spool",
           "seal_file"]


class Spool(Recordings, Runs, SegmentChain, CameraStates, Figures, MediaFiles):
    """One agent's spool directory: `spool.db` and `media/<camera>/run-<n>/` segment files."""
