"""RFC 9162 proof checking, against the library that makes the archive's proofs."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
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


# --- RFC 6962 test vectors (the leaves and results of the reference implementation's tests) ---

VECTOR_LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f")]
VECTOR_ROOTS = {
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}
VECTOR_PROOFS = [  # (leaf index from 0, tree size, audit path)
    (0, 1, ()),
    (0, 8, ("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")),
    (5, 8, ("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")),
    (2, 3, ("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",)),
    (1, 5, ("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")),
]


def test_empty_tree_hash_is_sha256_of_nothing() -> None:
    # RFC 6962 2.1: MTH({}) = SHA-256(); the library the log uses agrees.
    empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert hashlib.sha256(b"").hexdigest() == empty
    assert bytes(InmemoryTree(algorithm="sha256").get_root(0)).hex() == empty


@pytest.mark.parametrize(("leaf", "size", "path"), VECTOR_PROOFS)
def test_rfc6962_inclusion_vectors(leaf: int, size: int, path: tuple[str, ...]) -> None:
    entry = VECTOR_LEAVES[leaf]
    root = root_from_inclusion_proof(entry, log_index=leaf + 1, tree_size=size, audit_path=path)
    assert root.hex() == VECTOR_ROOTS[size]


def test_rfc6962_roots_of_the_library_match_the_vectors() -> None:
    tree = InmemoryTree(algorithm="sha256")
    for leaf in VECTOR_LEAVES:
        tree.append_entry(leaf)
    assert {n: bytes(tree.get_root(n)).hex() for n in VECTOR_ROOTS} == VECTOR_ROOTS


def test_leaf_and_node_prefixes_keep_leaves_and_nodes_apart() -> None:
    a, b = b"left", b"right"
    assert leaf_hash(a) == hashlib.sha256(b"\x00" + a).digest()
    node = hashlib.sha256(b"\x01" + leaf_hash(a) + leaf_hash(b)).digest()
    assert root_from_inclusion_proof(a, log_index=1, tree_size=2,
                                     audit_path=(leaf_hash(b).hex(),)) == node
    assert root_from_inclusion_proof(b, log_index=2, tree_size=2,
                                     audit_path=(leaf_hash(a).hex(),)) == node
    # The two children, logged as one entry, are not the node (second preimage, RFC 6962 2.1).
    fake = leaf_hash(a) + leaf_hash(b)
    assert root_from_inclusion_proof(fake, log_index=1, tree_size=1, audit_path=()) != node


def test_a_pymerkle_proof_of_another_entry_is_refused() -> None:
    tree = _tree(4)
    proof = dict(tree.prove_inclusion(2, 4).serialize())
    with pytest.raises(VerificationError, match="does not start at this entry's leaf"):
        InclusionProof.from_pymerkle(proof, entry=b"entry 0", tree_head="h")


# --- against pymerkle, for random trees and leaves ------------------------------------------

WRONG = r"leads to root|audit path is (longer|shorter) than the tree is high"


@st.composite
def _case(draw: st.DrawFn) -> tuple[list[bytes], int, int]:
    """Entries of a tree of `size` leaves (and a few more), and a leaf (1-based) of it.

    Entries are text, as the log's canonical JSON is, and distinct: equal leaves could swap.
    """
    entries = [text.encode() for text in draw(st.lists(st.text(max_size=20), min_size=2,
                                                       max_size=75, unique=True))]
    size = draw(st.integers(1, len(entries) - 1))
    return entries, size, draw(st.integers(1, size))


def _proved(entries: list[bytes], size: int, index: int) -> tuple[InmemoryTree, InclusionProof]:
    tree = InmemoryTree(algorithm="sha256")
    for entry in entries:
        tree.append_entry(entry)
    serialized = dict(tree.prove_inclusion(index, size).serialize())
    return tree, InclusionProof.from_pymerkle(serialized, entry=entries[index - 1],
                                              tree_head="h")


@settings(max_examples=60, deadline=None)
@given(_case())
def test_pymerkle_proofs_verify(case: tuple[list[bytes], int, int]) -> None:
    entries, size, index = case
    tree, proof = _proved(entries, size, index)
    root = bytes(tree.get_root(size)).hex()
    check_inclusion(proof, entry=entries[index - 1], root_hex=root, tree_size=size)
    assert InclusionProof.parse(proof.as_json()) == proof


@settings(max_examples=60, deadline=None)
@given(_case(), st.data())
def test_a_flipped_bit_fails(case: tuple[list[bytes], int, int], data: st.DataObject) -> None:
    entries, size, index = case
    assume(size > 1)
    tree, proof = _proved(entries, size, index)
    node = data.draw(st.integers(0, len(proof.audit_path) - 1))
    bit = data.draw(st.integers(0, 255))
    raw = bytearray(bytes.fromhex(proof.audit_path[node]))
    raw[bit // 8] ^= 1 << bit % 8
    path = (*proof.audit_path[:node], raw.hex(), *proof.audit_path[node + 1:])
    with pytest.raises(VerificationError, match="leads to root") as caught:
        check_inclusion(dataclasses.replace(proof, audit_path=path), entry=proof.entry,
                        root_hex=bytes(tree.get_root(size)).hex(), tree_size=size)
    assert caught.value.reason == "proof_mismatch"


@settings(max_examples=60, deadline=None)
@given(_case(), st.data())
def test_a_wrong_index_fails(case: tuple[list[bytes], int, int], data: st.DataObject) -> None:
    entries, size, index = case
    assume(size > 1)
    tree, proof = _proved(entries, size, index)
    other = data.draw(st.integers(1, size).filter(lambda i: i != index))
    with pytest.raises(VerificationError, match=WRONG):
        check_inclusion(dataclasses.replace(proof, log_index=other), entry=proof.entry,
                        root_hex=bytes(tree.get_root(size)).hex(), tree_size=size)


@settings(max_examples=60, deadline=None)
@given(_case(), st.data())
def test_a_wrong_size_fails(case: tuple[list[bytes], int, int], data: st.DataObject) -> None:
    entries, size, index = case
    tree, proof = _proved(entries, size, index)
    other = data.draw(st.integers(index, len(entries)).filter(lambda n: n != size))
    other_root = bytes(tree.get_root(other)).hex()
    with pytest.raises(VerificationError, match=f"tree of {size} leaves, expected the signed "
                                                f"tree of {other}") as caught:
        check_inclusion(proof, entry=proof.entry, root_hex=other_root, tree_size=other)
    assert caught.value.reason == "proof_mismatch"
    # Claiming the other size in the proof itself does not help either.
    with pytest.raises(VerificationError, match=WRONG):
        check_inclusion(dataclasses.replace(proof, tree_size=other), entry=proof.entry,
                        root_hex=other_root, tree_size=other)
