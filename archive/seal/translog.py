"""The append-only Merkle transparency log (RFC 6962 hashing via pymerkle), kept in the catalog."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pymerkle import BaseMerkleTree, InclusionProof, verify_inclusion
from pymerkle.proof import InvalidProof
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive.catalog.models import LogLeaf
from archive.evidence.errors import VerificationError
from archive.evidence.merkle import leaf_hash


@dataclass(frozen=True)
class LogEntry:
    kind: str  # "segment", "manifest", "disposal", ...
    ref: str  # what it is about, e.g. "<recording>/<seq>"
    data: bytes  # the exact bytes whose leaf hash goes into the tree


class _CatalogTree(BaseMerkleTree):  # type: ignore[misc]
    """pymerkle storage backend on the `log_leaves` table of the current session."""

    def __init__(self) -> None:
        super().__init__("sha256")
        self.session: Session | None = None
        self.pending: LogEntry | None = None

    def _db(self) -> Session:
        if self.session is None:
            raise RuntimeError("transparency log used outside a bound session")
        return self.session

    def _encode_entry(self, data: LogEntry) -> bytes:
        return data.data

    def _store_leaf(self, data: LogEntry, digest: bytes) -> int:
        db = self._db()
        index = self._get_size() + 1
        db.add(LogLeaf(index=index, kind=data.kind, ref=data.ref, entry=data.data,
                       leaf_hash=digest))
        db.flush()
        return index

    def _get_leaf(self, index: int) -> bytes:
        value = self._db().scalar(select(LogLeaf.leaf_hash).where(LogLeaf.index == index))
        if value is None:
            raise ValueError(f"no log leaf {index}")
        return bytes(value)

    def _get_leaves(self, offset: int, width: int) -> list[bytes]:
        rows = self._db().scalars(
            select(LogLeaf.leaf_hash)
            .where(LogLeaf.index > offset, LogLeaf.index <= offset + width)
            .order_by(LogLeaf.index)
        )
        return [bytes(r) for r in rows]

    def _get_size(self) -> int:
        return int(self._db().scalar(select(func.coalesce(func.max(LogLeaf.index), 0))) or 0)


class TransparencyLog:
    """One per process: keeps pymerkle's subroot cache warm between transactions."""

    def __init__(self) -> None:
        self._tree = _CatalogTree()
        self._lock = threading.RLock()

    @contextmanager
    def _bound(self, session: Session) -> Iterator[_CatalogTree]:
        with self._lock:
            self._tree.session = session
            try:
                yield self._tree
            except BaseException:
                # Leaves flushed in a transaction that fails never existed: forget cached nodes.
                self._tree.cache_clear()
                raise
            finally:
                self._tree.session = None

    def append(self, session: Session, entries: Iterable[LogEntry]) -> tuple[int, int]:
        """Append entries in order; returns (first index, new size). Caller holds the log lock."""
        with self._bound(session) as tree:
            first = tree.get_size() + 1
            size = first - 1
            for entry in entries:
                size = tree.append_entry(entry)
            return first, size

    def invalidate(self) -> None:
        """Forget cached nodes, e.g. after the transaction that appended was rolled back."""
        with self._lock:
            self._tree.cache_clear()

    def size(self, session: Session) -> int:
        with self._bound(session) as tree:
            return int(tree.get_size())

    def root(self, session: Session, size: int) -> str:
        with self._bound(session) as tree:
            return bytes(tree.get_root(size)).hex()

    def leaf_hash(self, session: Session, index: int) -> str:
        with self._bound(session) as tree:
            return bytes(tree.get_leaf(index)).hex()

    def prove_inclusion(self, session: Session, index: int, size: int) -> dict[str, Any]:
        with self._bound(session) as tree:
            proof = tree.prove_inclusion(index, size)
            return dict(proof.serialize())


def leaf_hash_of(data: bytes) -> str:
    """RFC 6962 leaf hash, hex."""
    return leaf_hash(data).hex()


def verify_inclusion_proof(*, entry: bytes, root_hex: str, proof: dict[str, Any],
                           index: int, size: int) -> None:
    """Check that `entry` is leaf `index` of the tree of `size` leaves with root `root_hex`.

    Raises:
        VerificationError: the proof does not lead from the entry to the root.
    """
    try:
        parsed = InclusionProof.deserialize(proof)
        if parsed.size != size or parsed.index != index:
            raise VerificationError(
                f"proof is for leaf {parsed.index} of {parsed.size}, expected {index} of {size}",
                reason="proof_mismatch",
            )
        verify_inclusion(bytes.fromhex(leaf_hash_of(entry)), bytes.fromhex(root_hex), parsed)
    except InvalidProof as exc:
        raise VerificationError(f"inclusion proof invalid: {exc}", reason="bad_proof") from exc
    except (KeyError, ValueError, TypeError) as exc:
        raise VerificationError(f"inclusion proof malformed: {exc}", reason="bad_proof") from exc
