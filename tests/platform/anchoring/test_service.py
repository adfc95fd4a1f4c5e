"""The anchoring service on real chains: durable acceptance, one transaction per anchor,
receipts that verify offline and on chain, and every bad input refused."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from govchain.chain.types import Role
from govchain.platform.anchoring.errors import (
    AnchoringError,
    MalformedHashError,
    NamespaceNameError,
    ReceiptFormatError,
    ReceiptNotFoundError,
    UnknownNamespaceError,
)
from govchain.platform.anchoring.merkle import verify_consistency
from govchain.platform.anchoring.receipts import load_receipt, verify_receipt
from govchain.platform.anchoring.service import AnchorChain, AnchoringService, parse_hash
from tests.conftest import World

NS = "archive.aachen"


def doc(n: int) -> bytes:
    return f"Bauakte {n}".encode()


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


@pytest.fixture
def service(world: World, tmp_path: Path) -> AnchoringService:
    world.grant(Role.ANCHORER, world.anchorer)
    svc = AnchoringService(tmp_path / "anchoring", AnchorChain(world.d.anchors, world.anchorer))
    svc.add_namespace(NS)
    yield svc  # type: ignore[misc]
    svc.close()


def test_hashes_are_anchored_in_one_transaction_and_receipts_verify(
    service: AnchoringService, world: World
) -> None:
    ids = service.submit_many(NS, [sha(doc(n)) for n in range(37)])
    assert ids[0] == f"{NS}:0" and ids[-1] == f"{NS}:36"
    assert service.receipt(ids[5]) is None  # accepted, not yet anchored
    assert service.status()[0].backlog == 37

    anchor = service.anchor(NS)

    assert anchor is not None and anchor.tree_size == 37
    assert (
        world.d.anchors.anchor_count(
            world.d.anchors.namespace(
                bytes.fromhex(service.receipt(ids[0]).anchor.namespace_id[2:])  # type: ignore[union-attr]
            ).namespace_id
        )
        == 1
    )
    assert service.status()[0].backlog == 0
    assert service.anchor(NS) is None  # nothing new: no transaction
    for n, rid in enumerate(ids):
        receipt = service.receipt(rid)
        assert receipt is not None
        result = verify_receipt(receipt, document=doc(n), gateway=world.gateway)
        assert result.ok, result.failed
        assert [s.name for s in result.steps] == [
            "fields",
            "document",
            "leaf",
            "inclusion",
            "namespace",
            "chain-id",
            "contract",
            "anchor",
            "transaction",
        ]


def test_later_anchors_extend_earlier_ones(service: AnchoringService) -> None:
    service.submit_many(NS, [sha(doc(n)) for n in range(10)])
    first = service.anchor(NS)
    later_ids = service.submit_many(NS, [sha(doc(n)) for n in range(10, 25)])
    second = service.anchor(NS)
    assert first is not None and second is not None
    levels = service.levels(NS)
    proof = levels.consistency_proof(first.tree_size, second.tree_size)
    assert verify_consistency(first.tree_size, second.tree_size, first.root, second.root, proof)
    receipt = service.receipt(later_ids[0])
    assert receipt is not None and receipt.tree_size == 25
    early = service.receipt(f"{NS}:3")
    assert early is not None and early.tree_size == 10  # the first anchor that covers it


def test_a_restarted_service_keeps_everything(
    service: AnchoringService, world: World, tmp_path: Path
) -> None:
    service.submit_many(NS, [sha(doc(n)) for n in range(5)])
    service.anchor(NS)
    service.submit(NS, sha(doc(5)))
    service.close()
    again = AnchoringService(tmp_path / "anchoring", AnchorChain(world.d.anchors, world.anchorer))
    assert again.status()[0].size == 6 and again.status()[0].backlog == 1
    again.anchor(NS)
    receipt = again.receipt(f"{NS}:5")
    assert receipt is not None
    assert verify_receipt(receipt, document=doc(5), gateway=world.gateway).ok
    again.close()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("abc", "3 hex digits instead of 64"),
        ("zz" * 32, "not hexadecimal"),
        ("00" * 33, "66 hex digits instead of 64"),
        ("", "0 hex digits"),
    ],
)
def test_malformed_hashes_are_refused(value: str, reason: str) -> None:
    with pytest.raises(MalformedHashError, match=reason):
        parse_hash(value)


def test_bad_input_is_refused_and_nothing_is_written(service: AnchoringService) -> None:
    with pytest.raises(MalformedHashError, match="31 bytes instead of 32"):
        service.submit_many(NS, [sha(b"a"), b"\x01" * 31])
    assert service.status()[0].size == 0  # the good hash of the batch was not taken either
    with pytest.raises(UnknownNamespaceError, match="not registered"):
        service.submit("archive.unknown", sha(b"a"))
    for name in ("", "Archive", "a/b", "x" * 200):
        with pytest.raises(NamespaceNameError):
            service.add_namespace(name)
    for rid in ("nonsense", f"{NS}:99", "archive.unknown:0", f"{NS}:-1"):
        with pytest.raises(ReceiptNotFoundError):
            service.receipt(rid)


TAMPERED = [
    ("receipt_id", f"{NS}:4", "fields"),
    ("anchor.block_time_utc", "2001-01-01T00:00:00Z", "fields"),
    ("document_hash", "00" * 32, "leaf"),
    ("leaf_hash", "11" * 32, "leaf"),
    ("leaf_index", 4, "fields"),
    ("tree_size", 9, "inclusion"),
    ("audit_path", ["22" * 32, "33" * 32, "44" * 32], "inclusion"),
    ("root", "55" * 32, "inclusion"),
    ("namespace", "archive.soest", "fields"),
    ("anchor.chain_id", 4242, "chain-id"),
    ("anchor.contract", "0x" + "66" * 20, "contract"),
    ("anchor.namespace_id", "0x" + "77" * 32, "namespace"),
    ("anchor.anchor_index", 7, "anchor"),
    ("anchor.block_number", 1, "anchor"),
    ("anchor.block_time", 1, "fields"),
    ("anchor.transaction_hash", "0x" + "88" * 32, "transaction"),
]


@pytest.mark.parametrize(("field", "value", "step"), TAMPERED)
def test_any_tampered_field_fails_at_its_step(
    service: AnchoringService, world: World, field: str, value: object, step: str
) -> None:
    ids = service.submit_many(NS, [sha(doc(n)) for n in range(6)])
    service.anchor(NS)
    receipt = service.receipt(ids[3])
    assert receipt is not None
    document = json.loads(receipt.to_json())
    target = document
    *parents, leaf = field.split(".")
    for p in parents:
        target = target[p]
    target[leaf] = value
    tampered = load_receipt(json.dumps(document))
    result = verify_receipt(tampered, gateway=world.gateway)
    assert not result.ok
    assert result.failed is not None and result.failed.name == step


def test_a_foreign_document_and_unreadable_receipts(service: AnchoringService) -> None:
    ids = service.submit_many(NS, [sha(doc(1))])
    service.anchor(NS)
    receipt = service.receipt(ids[0])
    assert receipt is not None
    result = verify_receipt(receipt, document=b"another document")
    assert result.failed is not None and result.failed.name == "document"
    offline = verify_receipt(receipt, document=doc(1))
    assert not offline.ok and offline.failed is not None and offline.failed.ok is None
    for text in ("{", "[]", json.dumps({**json.loads(receipt.to_json()), "extra": 1})):
        with pytest.raises(ReceiptFormatError):
            load_receipt(text)


def test_a_namespace_owned_by_another_account_is_refused(
    service: AnchoringService, world: World, tmp_path: Path
) -> None:
    world.grant(Role.ANCHORER, world.outsider)
    other = AnchoringService(tmp_path / "other", AnchorChain(world.d.anchors, world.outsider))
    with pytest.raises(AnchoringError, match="belongs to account"):
        other.add_namespace(NS)
    assert not other.store.has_namespace(NS)
    other.close()
