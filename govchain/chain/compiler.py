"""Compile the Solidity contracts with the pinned npm ``solc`` through py-solc-x.

solc-js is not the native compiler py-solc-x expects: it prints ``>>> ...`` notices on
stdout next to the JSON, knows only ``--standard-json`` for our purposes, and resolves
imports only below ``--base-path``. A tiny shell shim filters the notices so that
``solcx.compile_standard`` reads clean JSON. Artifacts (ABI, bytecode and the source
hash they were built from) are committed under ``govchain/chain/artifacts/``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solcx
import solcx.wrapper
from solcx.exceptions import SolcError

from govchain._files import atomic_write_text
from govchain.chain.errors import CompilerError, NodeToolsMissingError

__all__ = [
    "CONTRACT_NAMES",
    "EVM_VERSION",
    "SOLC_VERSION",
    "ArtifactDrift",
    "build_artifacts",
    "check_artifacts",
    "compile_contracts",
    "find_node_modules",
]

log = logging.getLogger(__name__)

SOLC_VERSION = "0.8.37"
EVM_VERSION = "shanghai"
CONTRACT_NAMES = (
    "Consortium",
    "TrustRegistry",
    "StatusRegistry",
    "AnchorRegistry",
    "AccountRules",
    "NodeRules",
)

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTRACTS_DIR = REPO_ROOT / "contracts"
ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"


def find_node_modules(explicit: Path | None = None) -> Path:
    """Locate the ``node_modules`` folder holding the pinned npm tools.

    Raises:
        NodeToolsMissingError: when no folder with ``solc`` and ``ganache`` is found.
    """
    candidates = (
        [explicit] if explicit else [REPO_ROOT / "node_modules", Path.cwd() / "node_modules"]
    )
    for candidate in candidates:
        if candidate and (candidate / "solc" / "solc.js").is_file():
            return candidate
    where = ", ".join(str(c) for c in candidates if c)
    raise NodeToolsMissingError(
        f"The npm packages solc and ganache are not installed (looked in {where}); "
        "run `npm ci` in the repository (make bootstrap does this).",
        f"Die npm-Pakete solc und ganache sind nicht installiert (gesucht in {where}); "
        "bitte `npm ci` im Repository ausführen (make bootstrap erledigt das).",
    )


def _write_shim(node_modules: Path, directory: Path) -> Path:
    node = shutil.which("node")
    if node is None:
        raise NodeToolsMissingError(
            "Node.js is not installed; govchain needs it for solc and ganache.",
            "Node.js ist nicht installiert; govchain braucht es für solc und ganache.",
        )
    solcjs = node_modules / "solc" / "solc.js"
    shim = directory / "solc"
    # solc-js writes ">>> Cannot retry compilation with SMT..." notices on stdout, and
    # exits before a pipe has drained (output cut at 64 KiB), so it writes to a file.
    shim.write_text(
        "#!/usr/bin/env bash\n"
        'out="$(mktemp)"\n'
        "trap 'rm -f \"$out\"' EXIT\n"
        f'"{node}" "{solcjs}" "$@" > "$out"\n'
        "status=$?\n"
        'grep -v "^>>>" "$out"\n'
        "exit $status\n"
    )
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return shim


def _sources(contracts_dir: Path) -> dict[str, dict[str, str]]:
    return {
        path.name: {"content": path.read_text()} for path in sorted(contracts_dir.glob("*.sol"))
    }


def sources_digest(contracts_dir: Path = CONTRACTS_DIR) -> str:
    """SHA-256 over all Solidity sources, in name order."""
    digest = hashlib.sha256()
    for name, source in _sources(contracts_dir).items():
        digest.update(name.encode() + b"\0" + source["content"].encode() + b"\0")
    return digest.hexdigest()


def compile_contracts(
    contracts_dir: Path = CONTRACTS_DIR, node_modules: Path | None = None
) -> dict[str, dict[str, Any]]:
    """Compile every contract and return ``{name: {"abi": ..., "bytecode": ...}}``."""
    modules = find_node_modules(node_modules)
    sources = _sources(contracts_dir)
    if not sources:
        raise CompilerError(
            f"No Solidity sources in {contracts_dir}.",
            f"Keine Solidity-Quellen in {contracts_dir}.",
        )
    standard_input = {
        "language": "Solidity",
        "sources": sources,
        "settings": {
            "evmVersion": EVM_VERSION,
            "optimizer": {"enabled": True, "runs": 200},
            "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}},
        },
    }
    with tempfile.TemporaryDirectory(prefix="govchain-solc-") as tmp:
        shim = _write_shim(modules, Path(tmp))
        try:
            version = str(solcx.wrapper.get_solc_version(shim))
        except (SolcError, OSError) as err:
            raise CompilerError(
                f"solc-js did not start: {err}", f"solc-js startet nicht: {err}"
            ) from err
        if version != SOLC_VERSION:
            raise CompilerError(
                f"Installed solc is {version}, govchain pins {SOLC_VERSION}; run `npm ci`.",
                f"Installiertes solc ist {version}, govchain erwartet {SOLC_VERSION}; "
                "`npm ci` ausführen.",
            )
        try:
            output = solcx.compile_standard(
                standard_input, base_path=str(contracts_dir), solc_binary=shim
            )
        except SolcError as err:
            raise CompilerError(
                f"Solidity compilation failed: {err.message if hasattr(err, 'message') else err}",
                "Die Solidity-Kompilierung ist fehlgeschlagen.",
            ) from err
    result: dict[str, dict[str, Any]] = {}
    for file_contracts in output["contracts"].values():
        for name, compiled in file_contracts.items():
            if name in CONTRACT_NAMES:
                result[name] = {
                    "abi": compiled["abi"],
                    "bytecode": "0x" + compiled["evm"]["bytecode"]["object"],
                }
    missing = set(CONTRACT_NAMES) - set(result)
    if missing:
        raise CompilerError(
            f"Compiler output lacks contracts: {', '.join(sorted(missing))}.",
            f"Der Compiler lieferte diese Verträge nicht: {', '.join(sorted(missing))}.",
        )
    return result


def _artifact_documents(compiled: dict[str, dict[str, Any]], digest: str) -> dict[str, str]:
    documents = {}
    for name, data in compiled.items():
        document = {
            "contractName": name,
            "compiler": {"solc": SOLC_VERSION, "evmVersion": EVM_VERSION},
            "sourcesSha256": digest,
            "abi": data["abi"],
            "bytecode": data["bytecode"],
        }
        documents[f"{name}.json"] = json.dumps(document, indent=2, sort_keys=True) + "\n"
    return documents


def build_artifacts(
    contracts_dir: Path = CONTRACTS_DIR,
    artifacts_dir: Path = ARTIFACTS_DIR,
    node_modules: Path | None = None,
) -> list[Path]:
    """Compile and (atomically, file by file) write the artifacts; return their paths."""
    documents = _artifact_documents(
        compile_contracts(contracts_dir, node_modules), sources_digest(contracts_dir)
    )
    written = []
    for filename, text in documents.items():
        atomic_write_text(artifacts_dir / filename, text)
        written.append(artifacts_dir / filename)
    log.info("wrote %d artifacts to %s", len(written), artifacts_dir)
    return written


@dataclass(frozen=True)
class ArtifactDrift:
    """A committed artifact that differs from what the sources compile to."""

    contract: str
    reason: str


def check_artifacts(
    contracts_dir: Path = CONTRACTS_DIR,
    artifacts_dir: Path = ARTIFACTS_DIR,
    node_modules: Path | None = None,
) -> list[ArtifactDrift]:
    """Recompile and compare with the committed artifacts; return every difference."""
    documents = _artifact_documents(
        compile_contracts(contracts_dir, node_modules), sources_digest(contracts_dir)
    )
    drifts = []
    for filename, text in documents.items():
        path = artifacts_dir / filename
        name = filename.removesuffix(".json")
        if not path.is_file():
            drifts.append(ArtifactDrift(name, "artifact missing"))
        elif path.read_text() != text:
            drifts.append(ArtifactDrift(name, "artifact differs from compiled sources"))
    return drifts
