"""Anchor receipts: a self-contained proof that a document hash was anchored, and its
verification, step by step, offline (the hashes) and online (the AnchorRegistry).

The format is specified in ``docs/receipts.md``; this module is one implementation of it.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from govchain.chain.clients.anchor_registry import AnchorRegistryClient, namespace_id
from govchain.chain.errors import ChainError
from govchain.chain.gateway import ChainGateway
from govchain.platform.anchoring.errors import ReceiptFormatError
from govchain.platform.anchoring.merkle import leaf_hash, root_from_inclusion_proof

__all__ = [
    "RECEIPT_FORMAT",
    "AnchorEvidence",
    "AnchorReceipt",
    "ReceiptVerification",
    "VerificationStep",
    "load_receipt",
    "verify_receipt",
]

RECEIPT_FORMAT: Literal["govchain-anchor-receipt/1"] = "govchain-anchor-receipt/1"

_HEX32 = r"^[0-9a-f]{64}$"


class AnchorEvidence(BaseModel):
    """Where and when the root was anchored."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    chain_id: int = Field(ge=1)
    contract: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$")
    namespace_id: str = Field(pattern=r"^0x[0-9a-f]{64}$")
    anchor_index: int = Field(ge=0)
    transaction_hash: str = Field(pattern=r"^0x[0-9a-f]{64}$")
    block_number: int = Field(ge=0)
    block_time: int = Field(ge=0)
    block_time_utc: str


class AnchorReceipt(BaseModel):
    """The receipt document (see docs/receipts.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["govchain-anchor-receipt/1"] = RECEIPT_FORMAT
    receipt_id: str
    namespace: str
    document_hash_alg: Literal["sha-256"] = "sha-256"
    document_hash: str = Field(pattern=_HEX32)
    leaf_hash: str = Field(pattern=_HEX32)
    leaf_index: int = Field(ge=0)
    tree_size: int = Field(ge=1)
    audit_path: list[str]
    root: str = Field(pattern=_HEX32)
    anchor: AnchorEvidence

    @field_validator("audit_path")
    @classmethod
    def _hex_path(cls, value: list[str]) -> list[str]:
        for item in value:
            if len(item) != 64 or any(c not in "0123456789abcdef" for c in item):
                raise ValueError("audit path entries must be 64 lower-case hex digits")
        return value

    def to_json(self) -> str:
        """The receipt as pretty JSON."""
        return json.dumps(self.model_dump(mode="json"), indent=2) + "\n"


def load_receipt(text: str) -> AnchorReceipt:
    """Parse a receipt document, refusing anything that is not exactly the format."""
    try:
        return AnchorReceipt.model_validate_json(text)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "document"
        raise ReceiptFormatError(f"{where}: {first['msg']}") from err


def block_time_utc(timestamp: int) -> str:
    """A block time as ISO 8601 UTC."""
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class VerificationStep:
    """One step of a receipt's verification. ``ok`` is None when it could not be made."""

    name: str
    ok: bool | None
    message_en: str
    message_de: str


@dataclass
class ReceiptVerification:
    """All steps; the receipt holds only if every step was made and passed."""

    steps: list[VerificationStep] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True only when every step was made and passed."""
        return bool(self.steps) and all(s.ok is True for s in self.steps)

    @property
    def failed(self) -> VerificationStep | None:
        """The first step that failed or could not be made."""
        return next((s for s in self.steps if s.ok is not True), None)

    def add(self, name: str, ok: bool | None, en: str, de: str) -> bool:
        self.steps.append(VerificationStep(name, ok, en, de))
        return ok is True


@functools.lru_cache(maxsize=1024)
def _namespace_hex(name: str) -> str:
    # Keccak is comparatively slow here and receipts of one namespace share the value.
    return "0x" + namespace_id(name).hex()


def verify_receipt(
    receipt: AnchorReceipt,
    *,
    document: bytes | None = None,
    gateway: ChainGateway | None = None,
) -> ReceiptVerification:
    """Verify a receipt: the document (if given), the leaf, the audit path, and (with a
    gateway) the anchor on chain. Stops at the first failed step."""
    r = receipt
    v = ReceiptVerification()
    consistent = r.receipt_id == f"{r.namespace}:{r.leaf_index}" and (
        r.anchor.block_time_utc == block_time_utc(r.anchor.block_time)
    )
    if not v.add(
        "fields",
        consistent,
        "The receipt id and the block time agree with the namespace, index and timestamp."
        if consistent
        else "The receipt id or the written block time contradicts the receipt's own fields.",
        "Quittungs-ID und Blockzeit passen zu Namensraum, Index und Zeitstempel."
        if consistent
        else "Quittungs-ID oder ausgeschriebene Blockzeit widersprechen den Feldern der Quittung.",
    ):
        return v
    doc_hash = bytes.fromhex(r.document_hash)
    leaf_ok = leaf_hash(doc_hash).hex() == r.leaf_hash
    if document is not None:
        actual = hashlib.sha256(document).hexdigest()
        if not v.add(
            "document",
            actual == r.document_hash,
            f"The document's SHA-256 is {actual}; the receipt names {r.document_hash}.",
            f"Der SHA-256 des Dokuments ist {actual}; die Quittung nennt {r.document_hash}.",
        ):
            return v
    if not v.add(
        "leaf",
        leaf_ok,
        "The leaf hash is SHA-256(0x00 || document hash)."
        if leaf_ok
        else "The leaf hash is not SHA-256(0x00 || document hash).",
        "Der Blatt-Hash ist SHA-256(0x00 || Dokument-Hash)."
        if leaf_ok
        else "Der Blatt-Hash ist nicht SHA-256(0x00 || Dokument-Hash).",
    ):
        return v
    try:
        computed = root_from_inclusion_proof(
            r.leaf_index,
            r.tree_size,
            bytes.fromhex(r.leaf_hash),
            [bytes.fromhex(p) for p in r.audit_path],
        ).hex()
    except ValueError as err:
        computed = f"(none: {err})"
    if not v.add(
        "inclusion",
        computed == r.root,
        f"The document's hash is in the log at index {r.leaf_index}; the log of size "
        f"{r.tree_size} had root {r.root}."
        if computed == r.root
        else f"The audit path leads to {computed}, not to the root {r.root}.",
        f"Der Hash des Dokuments steht im Log an Index {r.leaf_index}; das Log der Größe "
        f"{r.tree_size} hatte die Wurzel {r.root}."
        if computed == r.root
        else f"Der Prüfpfad führt zu {computed}, nicht zur Wurzel {r.root}.",
    ):
        return v
    expected_ns = _namespace_hex(r.namespace)
    if not v.add(
        "namespace",
        expected_ns == r.anchor.namespace_id,
        f"Namespace {r.namespace} has id {expected_ns}.",
        f"Namensraum {r.namespace} hat die ID {expected_ns}.",
    ):
        return v
    if gateway is None:
        v.add(
            "chain",
            None,
            "Not checked on chain: give --rpc to check the anchor.",
            "Nicht auf der Chain geprüft: mit --rpc die Verankerung prüfen.",
        )
        return v
    _verify_on_chain(r, v, gateway)
    return v


def _verify_on_chain(r: AnchorReceipt, v: ReceiptVerification, gateway: ChainGateway) -> None:
    a = r.anchor
    if not v.add(
        "chain-id",
        gateway.chain_id == a.chain_id,
        f"The node serves chain {gateway.chain_id}; the receipt names chain {a.chain_id}.",
        f"Der Knoten bedient Chain {gateway.chain_id}; die Quittung nennt Chain {a.chain_id}.",
    ):
        return
    try:
        registry = AnchorRegistryClient(gateway, gateway.w3.to_checksum_address(a.contract))
        if not v.add(
            "contract",
            gateway.has_code(registry.address),
            f"There is a contract at {a.contract}.",
            f"Unter {a.contract} liegt ein Vertrag.",
        ):
            return
        found = registry.find_anchor_of_size(bytes.fromhex(a.namespace_id[2:]), r.tree_size)
    except ChainError as err:
        v.add("anchor", None, f"Could not read the anchor: {err.message}", err.message_de)
        return
    matches = (
        found is not None
        and found.root.hex() == r.root
        and found.block_number == a.block_number
        and found.timestamp == a.block_time
        and found.index == a.anchor_index
    )
    if not v.add(
        "anchor",
        matches,
        f"Root {r.root} was anchored in block {a.block_number} at {a.block_time_utc} "
        f"(anchor {a.anchor_index})."
        if matches
        else "The AnchorRegistry holds no anchor of this log size with this root, block, time "
        "and position.",
        f"Die Wurzel {r.root} wurde in Block {a.block_number} um {a.block_time_utc} "
        f"verankert (Anker {a.anchor_index})."
        if matches
        else "Das AnchorRegistry enthält keinen Anker dieser Loggröße mit dieser Wurzel, "
        "diesem Block, dieser Zeit und Position.",
    ):
        return
    try:
        mined = gateway.mined(a.transaction_hash)
    except ChainError as err:
        v.add("transaction", None, f"Could not read the transaction: {err.message}", err.message_de)
        return
    tx_ok = (
        mined is not None
        and mined.block_number == a.block_number
        and any(
            e.name == "Anchored"
            and e.address.lower() == a.contract.lower()
            and e.args["root"].hex() == r.root
            and e.args["treeSize"] == r.tree_size
            for e in mined.events
        )
    )
    v.add(
        "transaction",
        tx_ok,
        f"The anchor was written by the consortium contract at {a.contract} on chain "
        f"{a.chain_id} in transaction {a.transaction_hash}."
        if tx_ok
        else f"Transaction {a.transaction_hash} did not write this anchor.",
        f"Der Anker wurde vom Konsortialvertrag {a.contract} auf Chain {a.chain_id} in "
        f"Transaktion {a.transaction_hash} geschrieben."
        if tx_ok
        else f"Transaktion {a.transaction_hash} hat diesen Anker nicht geschrieben.",
    )
