"""RFC 9162 proof checking, against the library that makes the archive's proofs."""

from __future__ import annotations

import pytest
from pymerkle import InmemoryTree

from archive.evidence.errors import VerificationError
from archive.evidence.merkle import (
    InclusionProof,
    check_inclusion,
    leaf_hash,
    root_from_inclusion_proof,
)


def _tree(size: int) -> InmemoryTree:
    tree = InmemoryTree(algorithm="sha256")
    for i in range(size):
        tree.append_entry(f"entry {i}".encode())
    return tree


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 33])
def test_every_leaf_of_every_shape_leads_to_the_root(size: int) -> None:
    tree = _tree(size)
    root = bytes(tree.get_root(size))
    for index in range(1, size + 1):
        entry = f"entry {index - 1}".encode()
        proof = InclusionProof.from_pymerkle(dict(tree.prove_inclusion(index, size).serialize()),
                                             entry=entry, tree_head="h")
        assert root_from_inclusion_proof(entry, log_index=index, tree_size=size,
                                         audit_path=proof.audit_path) == root
        check_inclusion(proof, entry=entry, root_hex=root.hex(), tree_size=size)


def test_leaf_hash_is_rfc6962() -> None:
    assert leaf_hash(b"") == bytes.fromhex(
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")


def _proof(size: int = 9, index: int = 4) -> tuple[InclusionProof, str]:
    tree = _tree(size)
    entry = f"entry {index - 1}".encode()
    proof = InclusionProof.from_pymerkle(dict(tree.prove_inclusion(index, size).serialize()),
                                         entry=entry, tree_head="h")
    return proof, bytes(tree.get_root(size)).hex()


def test_proof_for_another_tree_is_refused() -> None:
    proof, _ = _proof(size=9)
    other_root = bytes(_tree(12).get_root(12)).hex()
    with pytest.raises(VerificationError, match="tree of 9 leaves, expected the signed tree of 12"):
        check_inclusion(proof, entry=proof.entry, root_hex=other_root, tree_size=12)


def test_proof_with_a_changed_node_is_refused() -> None:
    proof, root = _proof()
    path = list(proof.audit_path)
    path[1] = "00" * 32
    forged = InclusionProof(proof.log_index, proof.tree_size, tuple(path), proof.entry, "h")
    with pytest.raises(VerificationError, match="leads to root"):
        check_inclusion(forged, entry=proof.entry, root_hex=root, tree_size=9)


def test_proof_of_another_entry_is_refused() -> None:
    proof, root = _proof()
    with pytest.raises(VerificationError, match="another log entry"):
        check_inclusion(proof, entry=b"entry 5", root_hex=root, tree_size=9)


@pytest.mark.parametrize(("index", "extra"), [(10, 0), (0, 0), (4, 1), (4, -1)])
def test_paths_that_cannot_fit_the_tree_are_refused(index: int, extra: int) -> None:
    proof, _ = _proof()
    path = list(proof.audit_path)
    path = [*path, "11" * 32] if extra > 0 else path[:extra] if extra < 0 else path
    with pytest.raises(VerificationError, match=r"leaf|audit path"):
        root_from_inclusion_proof(proof.entry, log_index=index, tree_size=9,
                                  audit_path=tuple(path))


def test_proof_file_round_trips_and_rejects_garbage() -> None:
    proof, _ = _proof()
    assert InclusionProof.parse(proof.as_json()) == proof
    with pytest.raises(VerificationError, match="unreadable inclusion proof"):
        InclusionProof.parse({**proof.as_json(), "audit_path": ["zz"]})
