"""RFC 9162 Merkle hashing: known vectors, and proofs against the recursive definition."""

from __future__ import annotations

import hashlib

import pytest

from govchain.platform.anchoring.merkle import (
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_inclusion_proof,
    tree_root,
)

# Inputs and roots of the Certificate Transparency reference test data.
CT_INPUTS = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def _reference_root(entries: list[bytes]) -> bytes:
    """MTH exactly as RFC 9162 section 2.1.1 defines it, recursively."""
    n = len(entries)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaf_hash(entries[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(_reference_root(entries[:k]), _reference_root(entries[k:]))


@pytest.mark.parametrize("size", range(1, 9))
def test_known_roots(size: int) -> None:
    leaves = [leaf_hash(bytes.fromhex(x)) for x in CT_INPUTS[:size]]
    assert tree_root(leaves).hex() == CT_ROOTS[size - 1]


def test_empty_tree() -> None:
    assert tree_root([]).hex() == hashlib.sha256(b"").hexdigest()


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 8, 9, 16, 17, 100])
def test_every_audit_path_recomputes_the_root(size: int) -> None:
    entries = [i.to_bytes(4, "big") for i in range(size)]
    leaves = [leaf_hash(e) for e in entries]
    root = _reference_root(entries)
    assert tree_root(leaves) == root
    for index in range(size):
        path = inclusion_proof(index, leaves)
        assert root_from_inclusion_proof(index, size, leaves[index], path) == root


def test_a_tampered_leaf_or_path_does_not_verify() -> None:
    leaves = [leaf_hash(bytes([i])) for i in range(6)]
    root = tree_root(leaves)
    path = inclusion_proof(3, leaves)
    assert root_from_inclusion_proof(3, 6, leaf_hash(b"forged"), path) != root
    assert root_from_inclusion_proof(2, 6, leaves[3], path) != root
    with pytest.raises(ValueError, match="longer"):
        root_from_inclusion_proof(3, 6, leaves[3], [*path, b"\x00" * 32, b"\x00" * 32])
    with pytest.raises(ValueError, match="shorter"):
        root_from_inclusion_proof(3, 6, leaves[3], path[:-1])
    with pytest.raises(ValueError, match="outside"):
        root_from_inclusion_proof(6, 6, leaves[3], path)
