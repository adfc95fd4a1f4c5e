"""The anchoring service: append-only Merkle logs per namespace, anchored on chain."""

from govchain.platform.anchoring.merkle import (
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_inclusion_proof,
    tree_root,
)

__all__ = ["inclusion_proof", "leaf_hash", "node_hash", "root_from_inclusion_proof", "tree_root"]
