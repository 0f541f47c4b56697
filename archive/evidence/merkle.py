"""RFC 9162 inclusion proofs as packages carry them, checked without the library that made them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from archive.evidence.errors import VerificationError
from archive.evidence.formats import PROOF_FORMAT

ALGORITHM = "rfc6962-sha256"


def leaf_hash(entry: bytes) -> bytes:
    """RFC 6962 / 9162 leaf hash: SHA-256(0x00 || entry)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


@dataclass(frozen=True)
class InclusionProof:
    """Leaf `log_index` (1-based, as the catalog counts) of a tree of `tree_size` leaves."""

    log_index: int
    tree_size: int
    audit_path: tuple[str, ...]  # hex, RFC 9162 order (from the leaf up)
    entry: bytes  # the logged bytes (canonical JSON), for a reader's convenience
    tree_head: str  # bag path of the signed tree head statement

    def as_json(self) -> dict[str, Any]:
        return {
            "format": PROOF_FORMAT, "algorithm": ALGORITHM,
            "log_index": self.log_index, "leaf_index": self.log_index - 1,
            "tree_size": self.tree_size, "audit_path": list(self.audit_path),
            "entry": self.entry.decode(), "leaf_hash": leaf_hash(self.entry).hex(),
            "tree_head": self.tree_head,
        }

    @classmethod
    def from_pymerkle(cls, proof: dict[str, Any], *, entry: bytes,
                      tree_head: str) -> InclusionProof:
        """From pymerkle's serialized proof, whose path starts with the leaf hash itself."""
        meta = proof["metadata"]
        path = [str(p) for p in proof["path"]]
        if not path or path[0] != leaf_hash(entry).hex():
            raise VerificationError("pymerkle proof does not start at this entry's leaf",
                                    reason="bad_proof")
        return cls(log_index=int(meta["index"]), tree_size=int(meta["size"]),
                   audit_path=tuple(path[1:]), entry=entry, tree_head=tree_head)

    @classmethod
    def parse(cls, document: Any) -> InclusionProof:
        """Raises:
            VerificationError: reason bad_proof for anything but a well-formed proof file.
        """
        try:
            if document["format"] != PROOF_FORMAT or document["algorithm"] != ALGORITHM:
                raise ValueError(f"format {document['format']}/{document['algorithm']}")
            path = tuple(str(p) for p in document["audit_path"])
            for node in path:
                if len(bytes.fromhex(node)) != 32:
                    raise ValueError(f"audit path node {node!r} is not 32 bytes")
            proof = cls(log_index=int(document["log_index"]),
                        tree_size=int(document["tree_size"]), audit_path=path,
                        entry=str(document["entry"]).encode(),
                        tree_head=str(document["tree_head"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise VerificationError(f"got an unreadable inclusion proof: {exc}",
                                    reason="bad_proof") from exc
        return proof


def root_from_inclusion_proof(entry: bytes, *, log_index: int, tree_size: int,
                              audit_path: tuple[str, ...]) -> bytes:
    """The tree root an audit path leads to from `entry` (RFC 9162, 2.1.3.2).

    Raises:
        VerificationError: reason bad_proof when the path cannot belong to such a tree.
    """
    leaf_index = log_index - 1
    # 1. The leaf must lie inside the tree.
    if not 0 <= leaf_index < tree_size:
        raise VerificationError(f"got leaf {log_index} in a tree of {tree_size} leaves",
                                reason="bad_proof")
    # 2-3.
    fn, sn = leaf_index, tree_size - 1
    r = leaf_hash(entry)
    # 4.
    for node_hex in audit_path:
        p = bytes.fromhex(node_hex)
        if sn == 0:  # a.
            raise VerificationError("audit path is longer than the tree is high",
                                    reason="bad_proof")
        if fn & 1 or fn == sn:  # b.
            r = _node(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = _node(r, p)
        fn >>= 1  # c.
        sn >>= 1
    # 5.
    if sn != 0:
        raise VerificationError("audit path is shorter than the tree is high",
                                reason="bad_proof")
    return r


def check_inclusion(proof: InclusionProof, *, entry: bytes, root_hex: str,
                    tree_size: int) -> None:
    """`entry` is leaf `proof.log_index` of the signed tree of `tree_size` leaves.

    Raises:
        VerificationError: reason proof_mismatch (another entry or tree) or bad_proof.
    """
    if proof.tree_size != tree_size:
        raise VerificationError(
            f"got a proof for a tree of {proof.tree_size} leaves, expected the signed tree "
            f"of {tree_size}", reason="proof_mismatch")
    if proof.entry != entry:
        raise VerificationError("got a proof for another log entry, expected this file's",
                                reason="proof_mismatch")
    root = root_from_inclusion_proof(entry, log_index=proof.log_index, tree_size=tree_size,
                                     audit_path=proof.audit_path)
    if root.hex() != root_hex:
        raise VerificationError(
            f"audit path leads to root {root.hex()[:16]}…, expected the signed root "
            f"{root_hex[:16]}…", reason="proof_mismatch")
