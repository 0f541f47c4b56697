"""Segments read from the store a few at a time ahead of the zip writer, in bounded memory."""

from __future__ import annotations

import hashlib
import queue
import threading
from collections import deque
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from archive.store.objects import ObjectStore

CHUNK = 4 * 1024 * 1024
_POLL_S = 0.2


@dataclass(frozen=True)
class StoredRef:
    key: str
    version_id: str
    sha256: str
    size: int


@dataclass(frozen=True)
class _End:
    sha512: str
    size: int


@dataclass(frozen=True)
class _Failed:
    error: BaseException


_Item = bytes | _End | _Failed


class VerifiedChunks:
    """The bytes of one version, in order; once exhausted, `sha512` and `size` describe them.

    Its SHA-256 is the pinned one: a version that hashes otherwise raises IntegrityError
    from the iteration, after its last chunk. Both digests are computed by the reading
    thread, so the consumer only writes.
    """

    def __init__(self, feed: queue.Queue[_Item]) -> None:
        self._feed = feed
        self.sha512 = ""
        self.size = -1

    def __iter__(self) -> Iterator[bytes]:
        while True:
            item = self._feed.get()
            if isinstance(item, _End):
                self.sha512, self.size = item.sha512, item.size
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item


def prefetched(store: ObjectStore, refs: Sequence[StoredRef], *, depth: int = 2,
               queued_chunks: int = 4,
               ) -> Generator[tuple[StoredRef, VerifiedChunks], None, None]:
    """Each ref with its verified bytes, in order; consume one before asking for the next.

    Up to `depth` versions are read at once, each at most `queued_chunks` chunks of 4 MiB
    ahead of the consumer, so memory stays flat whatever the total. Close the generator (or
    exhaust it) to stop the readers.
    """
    stop = threading.Event()
    pending = iter(refs)
    feeds: deque[tuple[StoredRef, queue.Queue[_Item]]] = deque()
    with ThreadPoolExecutor(max_workers=max(1, depth), thread_name_prefix="prefetch") as pool:

        def submit() -> None:
            ref = next(pending, None)
            if ref is not None:
                feed: queue.Queue[_Item] = queue.Queue(maxsize=queued_chunks)
                pool.submit(_produce, store, ref, feed, stop)
                feeds.append((ref, feed))

        for _ in range(max(1, depth)):
            submit()
        try:
            while feeds:
                ref, feed = feeds.popleft()
                yield ref, VerifiedChunks(feed)
                submit()
        finally:
            stop.set()  # producers blocked on a full queue give up within _POLL_S


def _produce(store: ObjectStore, ref: StoredRef, feed: queue.Queue[_Item],
             stop: threading.Event) -> None:
    sha512 = hashlib.sha512()
    size = 0
    try:
        with store.open_verified(ref.key, version_id=ref.version_id,
                                 sha256_hex=ref.sha256, chunk_size=CHUNK) as stream:
            for chunk in stream:  # SHA-256 is checked by the stream itself
                sha512.update(chunk)
                size += len(chunk)
                if not _put(feed, chunk, stop):
                    return
        _put(feed, _End(sha512.hexdigest(), size), stop)
    except BaseException as exc:  # handed to the consumer, which re-raises it
        _put(feed, _Failed(exc), stop)


def _put(feed: queue.Queue[_Item], item: _Item, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            feed.put(item, timeout=_POLL_S)
            return True
        except queue.Full:
            continue
    return False
