"""Upload lanes: one per camera, sending spooled items to the archive strictly in order.

An item leaves the spool only when the archive has confirmed it; a segment counts as
confirmed when the archive answers with the SHA-256 we sent (`created` true, or false
for a repeat of bytes it already holds). Failures are retried with backoff, across
restarts, in order; media is never given up.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime

from archive.evidence.digest import genesis_hash
from recorder.archive_client import ArchivePort
from recorder.clock import Clock
from recorder.errors import ArchiveRejectedError, ArchiveUnavailableError, SpoolError
from recorder.outage import next_backoff
from recorder.spool import Item, ItemKind, Spool

logger = logging.getLogger(__name__)

IDLE_POLL_S = 5.0  # a safety net: the camera wakes its lane when it spools something
# Refusals worth retrying: the token may be re-enabled, the window registered later.
RETRYABLE_STATUSES = frozenset({401, 403, 404, 408})


@dataclass
class LaneStatus:
    last_upload_at: datetime | None = None
    last_error: str | None = None
    blocked_reason: str | None = None  # media the archive refuses: needs a person
    uploads: int = 0
    failures: int = 0
    rejected: list[str] = field(default_factory=list)


class NotReadyError(Exception):
    """The head item waits for something local (e.g. the recording's start time)."""


class UploadLane:
    """Sends one camera's spooled items to the archive, oldest first."""

    def __init__(self, *, camera_id: str, spool: Spool, archive: ArchivePort, clock: Clock,
                 backoff_initial_s: float, backoff_max_s: float,
                 archive_camera_id: str | None = None) -> None:
        self.camera_id = camera_id
        self.spool = spool
        self.archive = archive
        self.clock = clock
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.archive_camera_id = archive_camera_id
        self.status = LaneStatus()
        self._wake = threading.Event()

    def wake(self) -> None:
        """Something was spooled: look now instead of at the next poll."""
        self._wake.set()

    def run(self, stop: threading.Event) -> None:
        backoff: float | None = None
        streak = 0
        while not stop.is_set():
            try:
                progressed = self.step()
            except (ArchiveUnavailableError, ArchiveRejectedError) as exc:
                backoff = next_backoff(backoff, initial=self.backoff_initial_s,
                                       maximum=self.backoff_max_s)
                self.status.failures += 1
                streak += 1
                self.status.last_error = exc.message
                level = logging.WARNING if streak == 1 or streak % 100 == 0 else logging.DEBUG
                logger.log(level, "upload failed (%d in a row), retrying in %.1f s: %s", streak,
                           backoff, exc.message, extra={"camera": self.camera_id})
                stop.wait(backoff)
                continue
            except Exception:
                backoff = self.backoff_max_s
                logger.exception("upload lane error", extra={"camera": self.camera_id})
                stop.wait(backoff)
                continue
            if streak:
                logger.info("uploads resumed after %d failed tries", streak,
                            extra={"camera": self.camera_id})
            backoff, streak = None, 0
            if not progressed:
                self._wake.wait(IDLE_POLL_S)
                self._wake.clear()

    def step(self) -> bool:
        """Send the head item; False when there is nothing to send yet.

        Raises:
            ArchiveUnavailableError: the archive could not take it now.
            ArchiveRejectedError: the archive refused media (or refused for a reason that
                may pass, such as an unknown token); the item stays at the head.
        """
        item = self.spool.next_item(self.camera_id)
        if item is None:
            return False
        try:
            self._send(item)
        except NotReadyError:
            return False
        except ArchiveRejectedError as exc:
            self.spool.fail_item(item, error=exc.message)
            if self._may_drop(item, exc):
                logger.error("archive refused %s item %d for good: %s", item.kind.value,
                             item.id, exc.message, extra={"camera": self.camera_id})
                self.spool.reject_item(item, error=exc.message, now=self.clock.now())
                self.status.rejected.append(f"{item.kind.value} {item.id}: {exc.message}")
                return True
            self.status.blocked_reason = f"{item.kind.value} {item.id}: {exc.reason}"
            raise
        except ArchiveUnavailableError as exc:
            self.spool.fail_item(item, error=exc.message)
            raise
        self.status.blocked_reason = None
        self.status.last_error = None
        return True

    @staticmethod
    def _may_drop(item: Item, exc: ArchiveRejectedError) -> bool:
        # Only metadata written by this agent that the archive calls invalid; never media,
        # never the recording's opening or closing.
        if item.kind in (ItemKind.SEGMENT, ItemKind.OPEN, ItemKind.CLOSE):
            return False
        return exc.status not in RETRYABLE_STATUSES

    def _send(self, item: Item) -> None:
        now = self.clock.now
        if item.kind is ItemKind.OPEN:
            self._open(item)
            return
        remote = self.spool.remote_recording_id(item.recording_id)
        if remote is None:
            raise SpoolError(f"item {item.id} precedes its recording's opening",
                             reason="order")
        if item.kind is ItemKind.SEGMENT:
            self._segment(item, remote)
        elif item.kind is ItemKind.GAP:
            gap_id = self.archive.report_gap(remote, item.payload)
            self.spool.complete_item(item, now=now(), remote_id=gap_id)
        elif item.kind is ItemKind.SESSION:
            session_id = self.archive.open_session(remote, item.payload)
            self.spool.complete_item(item, now=now(), remote_id=session_id)
        elif item.kind is ItemKind.SESSION_END:
            try:
                opened = self.spool.get_item(int(item.payload["session_item"]))
            except SpoolError:
                self.spool.reject_item(item, error="its session is no longer spooled",
                                       now=now())
                return
            if opened.remote_id is None:  # the archive refused the session itself
                self.spool.reject_item(item, error="its session was refused", now=now())
                return
            body = {k: v for k, v in item.payload.items() if k != "session_item"}
            self.archive.update_session(opened.remote_id, body)
            self.spool.complete_item(item, now=now())
        elif item.kind is ItemKind.MARKER:
            marker_id = self.archive.add_marker(remote, item.payload)
            self.spool.complete_item(item, now=now(), remote_id=marker_id)
        elif item.kind is ItemKind.CLOSE:
            self.archive.close_recording(
                remote, ended_at=datetime.fromisoformat(item.payload["ended_at"]))
            self.spool.complete_item(item, now=now())
            logger.info("recording closed in the archive",
                        extra={"camera": self.camera_id, "recording_id": remote})

    def _open(self, item: Item) -> None:
        rec = self.spool.get_recording(item.recording_id)
        if rec.started_at is None:
            raise NotReadyError
        opened = None
        if item.attempts > 0:
            # The answer to an earlier try may have been lost after the archive acted.
            opened = self.archive.find_recording(window_id=rec.window_id,
                                                 started_at=rec.started_at)
        if opened is None:
            opened = self.archive.open_recording(window_id=rec.window_id,
                                                 camera_id=self.archive_camera_id,
                                                 started_at=rec.started_at)
        if opened.chain_head != genesis_hash(opened.id):
            raise ArchiveRejectedError(
                f"recording {opened.id} starts its chain at {opened.chain_head}, expected "
                f"the genesis {genesis_hash(opened.id)}", reason="bad_genesis", status=502)
        self.spool.confirm_open(item, remote_id=opened.id, genesis=opened.chain_head,
                                now=self.clock.now())
        logger.info("recording opened in the archive",
                    extra={"camera": self.camera_id, "recording_id": opened.id})

    def _segment(self, item: Item, remote: str) -> None:
        assert item.path is not None and item.sha256 is not None and item.seq is not None
        assert item.started_at is not None and item.ended_at is not None
        if item.prev_hash is None or item.chain_hash is None:
            raise SpoolError(f"segment item {item.id} has no chain yet", reason="no_chain")
        receipt = self.archive.put_segment(
            recording_id=remote, seq=item.seq, path=item.path, sha256=item.sha256,
            prev_hash=item.prev_hash, started_at=item.started_at, ended_at=item.ended_at,
            partial=item.partial)
        if receipt.sha256 != item.sha256 or receipt.chain_hash != item.chain_hash:
            raise ArchiveRejectedError(
                f"archive answered segment {item.seq} with sha256 {receipt.sha256} chain "
                f"{receipt.chain_hash}, expected {item.sha256} chain {item.chain_hash}",
                reason="receipt_mismatch", status=502)
        self.spool.confirm_segment(item, now=self.clock.now())
        self.status.last_upload_at = self.clock.now()
        self.status.uploads += 1
