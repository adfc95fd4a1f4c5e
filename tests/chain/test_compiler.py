"""The committed artifacts are exactly what the pinned solc makes of the sources."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from govchain.chain._abi import ARTIFACTS_DIR, error_table, load_artifact
from govchain.chain.compiler import CONTRACT_NAMES, CONTRACTS_DIR, check_artifacts
from govchain.chain.errors import NodeToolsMissingError, revert_class


def test_committed_artifacts_match_the_sources() -> None:
    drifts = check_artifacts()
    assert drifts == [], "run `govchain contracts build` and commit the artifacts"


def test_a_changed_source_is_detected_as_drift(tmp_path: Path) -> None:
    contracts = tmp_path / "contracts"
    shutil.copytree(CONTRACTS_DIR, contracts)
    source = contracts / "AnchorRegistry.sol"
    source.write_text(source.read_text().replace('return "1.0.0";', 'return "1.0.1";'))
    drifts = check_artifacts(contracts_dir=contracts, artifacts_dir=ARTIFACTS_DIR)
    assert {d.contract for d in drifts} == set(CONTRACT_NAMES)  # the source digest changed
    assert all("differs" in d.reason for d in drifts)


def test_missing_npm_packages_give_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NodeToolsMissingError, match="npm ci"):
        check_artifacts(node_modules=tmp_path)


def test_every_custom_error_has_a_typed_exception() -> None:
    names = {spec.name for spec in error_table().values()}
    assert len(names) > 40
    missing = sorted(n for n in names if revert_class(n) is None)
    assert missing == []


def test_artifacts_target_shanghai_with_the_pinned_compiler() -> None:
    for name in CONTRACT_NAMES:
        document = json.loads((ARTIFACTS_DIR / f"{name}.json").read_text())
        assert document["compiler"] == {"solc": "0.8.37", "evmVersion": "shanghai"}
        assert load_artifact(name).bytecode.startswith("0x60")
