"""The committed contract artifacts, and lookup tables derived from their ABIs:
custom errors by 4-byte selector and events by topic."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from govchain.chain.errors import ContractRevertError, revert_class

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"


@dataclass(frozen=True)
class Artifact:
    """ABI and creation bytecode of one contract."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    sources_sha256: str


def _signature(item: dict[str, Any]) -> str:
    return f"{item['name']}({','.join(_canonical_type(i) for i in item['inputs'])})"


def _canonical_type(param: dict[str, Any]) -> str:
    kind: str = param["type"]
    if kind.startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in param["components"])
        return f"({inner}){kind.removeprefix('tuple')}"
    return kind


@cache
def load_artifact(name: str) -> Artifact:
    """Load one contract's committed artifact."""
    document = json.loads((ARTIFACTS_DIR / f"{name}.json").read_text())
    return Artifact(
        name=name,
        abi=document["abi"],
        bytecode=document["bytecode"],
        sources_sha256=document["sourcesSha256"],
    )


@dataclass(frozen=True)
class _ErrorAbi:
    name: str
    names: tuple[str, ...]
    types: tuple[str, ...]


@cache
def error_table() -> dict[bytes, _ErrorAbi]:
    """Every custom error of every artifact, by selector."""
    table: dict[bytes, _ErrorAbi] = {}
    for path in sorted(ARTIFACTS_DIR.glob("*.json")):
        for item in load_artifact(path.stem).abi:
            if item["type"] == "error":
                selector = keccak(text=_signature(item))[:4]
                table[selector] = _ErrorAbi(
                    name=item["name"],
                    names=tuple(i["name"] for i in item["inputs"]),
                    types=tuple(_canonical_type(i) for i in item["inputs"]),
                )
    return table


@cache
def event_table() -> dict[bytes, tuple[str, str]]:
    """Every event of every artifact, by topic 0: (contract name, event name)."""
    table: dict[bytes, tuple[str, str]] = {}
    for path in sorted(ARTIFACTS_DIR.glob("*.json")):
        for item in load_artifact(path.stem).abi:
            if item["type"] == "event":
                table.setdefault(keccak(text=_signature(item)), (path.stem, item["name"]))
    return table


def decode_revert(data: bytes, tx_hash: str | None = None) -> ContractRevertError | None:
    """Turn revert data into its typed exception, or None if the selector is unknown."""
    if len(data) < 4:
        return None
    spec = error_table().get(data[:4])
    if spec is None:
        return None
    cls = revert_class(spec.name)
    if cls is None:
        return None
    try:
        values = abi_decode(list(spec.types), data[4:])
    except DecodingError:
        return None  # a known selector with malformed data: do not guess
    fields = {
        name: to_checksum_address(value) if kind == "address" else value
        for name, kind, value in zip(spec.names, spec.types, values, strict=True)
    }
    inner = None
    reason = fields.get("reason")
    if isinstance(reason, bytes):
        inner = decode_revert(reason, tx_hash)
    return cls(fields, tx_hash=tx_hash, inner=inner)
