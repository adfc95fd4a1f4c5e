"""The `govchain` command against real chains: happy paths and every bad input the
foundation names (wrong RPC URL, chain down mid-operation, wrong chain id, missing
deployment record, busy port), each with one clear sentence, exit code 1 and no
half-finished deployment recorded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner
from web3 import Web3

from govchain.agents.settings import default_acapy_executable
from govchain.chain.accounts import AccountStore
from govchain.chain.backends import GanacheBackend
from govchain.chain.besu import decode_qbft_extra_data, parse_permissions_config
from govchain.chain.clients.permissioning import NodeEntry
from govchain.chain.deployment import Deployment, DeploymentStore
from govchain.chain.errors import NodeToolsMissingError
from govchain.chain.ganache import GanacheProcess
from govchain.chain.gateway import ChainGateway
from govchain.cli import app
from govchain.settings import PLACEHOLDER_PASSPHRASE
from tests.conftest import free_port

runner = CliRunner()
ON_GANACHE = ("--backend", "ganache", "--rpc")

pytestmark = pytest.mark.ganache


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def record_path(data_dir: Path) -> Path:
    return data_dir / "chain" / "deployment.json"


@pytest.fixture
def own_ganache(tmp_path: Path) -> GanacheProcess:
    node = GanacheProcess(port=free_port(), log_path=tmp_path / "own-ganache.log")
    node.start()
    yield node  # type: ignore[misc]
    node.stop()


def test_deploy_records_the_contracts_and_status_shows_them(
    data_dir: Path, ganache: GanacheProcess
) -> None:
    code, out, err = invoke("chain", "deploy", *ON_GANACHE, ganache.url)
    assert code == 0, err
    assert "Deploying Consortium" in out and "Deployment eingetragen" in out
    record = DeploymentStore(data_dir / "chain").load()
    assert record.chain_id == 1337 and record.threshold == 2
    assert [f.name for f in record.founders] == ["Aachen", "Gelsenkirchen", "Soest"]
    gateway = ChainGateway(GanacheBackend(ganache.url, 10))
    Deployment.attach(gateway, record)  # all code is there

    code, out, err = invoke("chain", "status", "--rpc", ganache.url, "--json")
    assert code == 0, err
    status = json.loads(out)
    assert status["contracts"] == record.contracts.model_dump()
    assert [m["name"] for m in status["members"]] == ["Aachen", "Gelsenkirchen", "Soest"]

    code, _, err = invoke("chain", "deploy", *ON_GANACHE, ganache.url)
    assert code == 1 and "already deployed" in err and "bereits bereitgestellt" in err
    assert DeploymentStore(data_dir / "chain").load() == record


def test_wrong_rpc_url(data_dir: Path) -> None:
    code, out, err = invoke("chain", "deploy", "--rpc", f"http://127.0.0.1:{free_port()}")
    assert code == 1
    assert "is not reachable" in err and "nicht erreichbar" in err
    for url in ("not-a-url", "ftp://127.0.0.1/"):
        code, out, err = invoke("chain", "deploy", "--rpc", url)
        assert code == 1
        assert "must be an http:// or https:// URL" in err
        assert "Traceback" not in out + err
    assert not record_path(data_dir).exists()


def test_bad_thresholds_and_members_are_refused_before_anything_happens(
    data_dir: Path, ganache: GanacheProcess
) -> None:
    for args in (["--threshold", "0"], ["--threshold", "4"], ["--threshold", "-1"]):
        code, _, err = invoke("chain", "deploy", *ON_GANACHE, ganache.url, *args)
        assert code == 1 and "threshold" in err, args
    code, _, err = invoke(
        "chain", "deploy", *ON_GANACHE, ganache.url, "--member", "Köln", "--member", "Koeln"
    )
    assert code == 1 and "named once" in err
    assert not (data_dir / "chain" / "keys").exists()
    assert not record_path(data_dir).exists()


def test_a_record_of_another_chain_is_not_replaced_silently(
    data_dir: Path, ganache: GanacheProcess, tmp_path: Path
) -> None:
    assert invoke("chain", "deploy", *ON_GANACHE, ganache.url)[0] == 0
    before = record_path(data_dir).read_text()
    other = GanacheProcess(port=free_port(), chain_id=4242, log_path=tmp_path / "other.log")
    other.start()
    try:
        code, _, err = invoke("chain", "deploy", *ON_GANACHE, other.url)
    finally:
        other.stop()
    assert code == 1 and "chain 1337 is recorded" in err and "--force" in err
    assert record_path(data_dir).read_text() == before


def test_unusable_files_give_one_sentence(data_dir: Path, ganache: GanacheProcess) -> None:
    record_path(data_dir).mkdir(parents=True)  # a folder where the record should be
    code, out, err = invoke("chain", "status", *ON_GANACHE, ganache.url)
    assert code == 1 and "cannot be read" in err
    assert "Traceback" not in out + err


def test_wrong_chain_id(data_dir: Path, ganache: GanacheProcess) -> None:
    code, _, err = invoke("chain", "deploy", *ON_GANACHE, ganache.url, "--chain-id", "2026")
    assert code == 1
    assert "serves chain id 1337, but chain id 2026 was expected" in err
    assert not record_path(data_dir).exists()


def test_missing_deployment_record(data_dir: Path, ganache: GanacheProcess) -> None:
    code, _, err = invoke("chain", "status", "--rpc", ganache.url)
    assert code == 1
    assert "No deployment record" in err and "govchain chain deploy" in err


def test_damaged_deployment_record(data_dir: Path, ganache: GanacheProcess) -> None:
    record_path(data_dir).parent.mkdir(parents=True)
    record_path(data_dir).write_text("{not json")
    code, _, err = invoke("chain", "status", "--rpc", ganache.url)
    assert code == 1 and "damaged" in err and "beschädigt" in err


def test_a_record_of_another_chain_is_refused(
    data_dir: Path, ganache: GanacheProcess, own_ganache: GanacheProcess
) -> None:
    assert invoke("chain", "deploy", *ON_GANACHE, ganache.url)[0] == 0
    code, _, err = invoke("chain", "status", "--rpc", own_ganache.url)
    assert code == 1 and "was the chain reset" in err


def test_busy_port(data_dir: Path, ganache: GanacheProcess) -> None:
    code, _, err = invoke("chain", "up", "--port", str(ganache.port))
    assert code == 1
    assert f"Port {ganache.port} on 127.0.0.1 is already in use" in err


def test_chain_going_down_mid_deployment_records_nothing(
    data_dir: Path, own_ganache: GanacheProcess
) -> None:
    keys = AccountStore(data_dir / "chain" / "keys", PLACEHOLDER_PASSPHRASE)
    deployer = keys.get_or_create("deployer").address
    w3 = Web3(Web3.HTTPProvider(own_ganache.url))

    def kill_after_first_contract() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            # Two transactions mean the first contract is deployed and reported, and the
            # second is under way: the node dies in the middle of the deployment.
            if w3.eth.get_transaction_count(deployer) >= 2:
                own_ganache.kill()
                return
            time.sleep(0.01)

    watcher = threading.Thread(target=kill_after_first_contract)
    watcher.start()
    code, out, err = invoke("chain", "deploy", *ON_GANACHE, own_ganache.url)
    watcher.join()
    assert code == 1
    assert "Deploying Consortium" in out  # it got under way
    assert "is not reachable" in err and "nicht erreichbar" in err
    assert not record_path(data_dir).exists()


def test_embedded_chain_cannot_be_deployed_to(data_dir: Path) -> None:
    code, _, err = invoke("chain", "deploy", "--backend", "embedded")
    assert code == 1 and "only inside one process" in err


def test_missing_npm_packages(tmp_path: Path) -> None:
    node = GanacheProcess(port=free_port(), log_path=tmp_path / "g.log", node_modules=tmp_path)
    with pytest.raises(NodeToolsMissingError, match="npm ci"):
        node.start()
    assert not node.is_running()


def test_besu_genesis_writes_a_decodable_network(tmp_path: Path) -> None:
    out = tmp_path / "network"
    code, stdout, err = invoke(
        "besu",
        "genesis",
        "--validators",
        "4",
        "--city",
        "Aachen",
        "--city",
        "Soest",
        "--chain-id",
        "2026",
        "--out",
        str(out),
    )
    assert code == 0, err
    assert "tolerieren 1" in stdout
    genesis = json.loads((out / "genesis.json").read_text())
    validators = json.loads((out / "validators.json").read_text())
    addresses = decode_qbft_extra_data(genesis["extraData"])
    assert len(addresses) == 4
    assert genesis["config"]["chainId"] == 2026
    assert {v["name"] for v in validators} >= {"Aachen", "Soest", "validator-3"}
    code, _, err = invoke("besu", "genesis", "--validators", "4", "--out", str(out))
    assert code == 1 and "overwrite" in err


def test_besu_permissions_render_the_on_chain_allowlists(
    data_dir: Path, ganache: GanacheProcess, tmp_path: Path
) -> None:
    assert invoke("chain", "deploy", *ON_GANACHE, ganache.url)[0] == 0
    target = tmp_path / "permissions_config.toml"
    code, _, err = invoke("besu", "permissions", "--rpc", ganache.url, "--out", str(target))
    assert code == 1 and "--allow-empty" in err and not target.exists()

    record = DeploymentStore(data_dir / "chain").load()
    d = Deployment.attach(ChainGateway(GanacheBackend(ganache.url, 10)), record)
    keys = AccountStore(data_dir / "chain" / "keys", PLACEHOLDER_PASSPHRASE)
    aachen, soest = keys.load("member-aachen"), keys.load("member-soest")
    d.consortium.decide(aachen, [soest], d.account_rules.allow_call(aachen.address, "Aachen"))
    node = NodeEntry("cd" * 64, "192.0.2.10", 30303, "Aachen")
    d.consortium.decide(aachen, [soest], d.node_rules.allow_call(node))

    code, _, err = invoke("besu", "permissions", "--rpc", ganache.url, "--out", str(target))
    assert code == 0, err
    accounts, nodes = parse_permissions_config(target.read_text())
    assert accounts == [aachen.address]
    assert nodes == [f"enode://{'cd' * 64}@192.0.2.10:30303"]


def test_demo_json_summary() -> None:
    code, out, err = invoke("demo", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert [m["name"] for m in summary["members"]] == ["Aachen", "Gelsenkirchen", "Soest"]
    assert summary["threshold"] == 2
    assert summary["office"]["trusted_for_dog_permit"] is True
    credentials = summary["credentials"]
    assert len(credentials["credentials"]) == 5
    reasons = {p["reason_code"] for r in credentials["refusals"] for p in r["problems"]}
    assert reasons == {"suspended", "revoked"}
    assert summary["status_entry"]["after_suspend"] == "SUSPENDED"
    assert summary["status_entry"]["final"] == "REVOKED"
    assert summary["anchor"]["receipt_verified"] is True
    assert summary["anchor"]["verification_steps"][-1] == "transaction"
    assert summary["anchor"]["receipt"]["leaf_index"] == 2
    assert {r["error"] for r in summary["refusals"]} == {
        "GovernedAccessNotConsortium",
        "StatusRegistryRevokedIsFinal",
        "StatusRegistryNotListOwner",
    }
    assert all(s["gas"] > 0 for s in summary["steps"] if s["block"] is not None)
    # the agents part: DIDComm issuance, proof, revocation on chain, refused proof
    agents = summary["agents"]
    if default_acapy_executable().is_file():
        assert agents["first_proof"] == "valid"
        assert agents["listed_after_revocation"] == "REVOKED"
        assert agents["second_proof"] == "invalid"
        assert "revoked" in agents["second_proof_reasons"]
    else:
        assert agents == {"skipped": "ACA-Py is not installed"}


def test_demo_narrates_in_plain_words() -> None:
    code, out, err = invoke("demo")
    assert code == 0, err
    assert "Behörde aufgenommen: Ordnungsamt Aachen" in out
    assert "Archivakten verankert" in out and "Rechnungsprüfung" in out
    assert "Gas" in out and "Block" in out
    if default_acapy_executable().is_file():
        assert "über DIDComm ausgestellt" in out and "Vorgezeigt beim Prüf-Agenten" in out
        assert "Abgelehnt: erneuter Nachweis über DIDComm" in out


def test_every_command_has_help() -> None:
    for command in (
        [],
        ["demo"],
        ["chain"],
        ["chain", "up"],
        ["chain", "deploy"],
        ["chain", "status"],
        ["contracts"],
        ["contracts", "build"],
        ["contracts", "check"],
        ["besu"],
        ["besu", "genesis"],
        ["besu", "permissions"],
        ["version"],
        ["chain", "grant-role"],
        ["anchoring"],
        ["anchoring", "account"],
        ["anchoring", "add-namespace"],
        ["anchoring", "submit"],
        ["anchoring", "status"],
        ["anchoring", "receipt"],
        ["anchoring", "run"],
        ["audit"],
        ["audit", "verify"],
        ["audit", "consistency"],
        ["platform"],
        ["platform", "serve"],
        ["archive"],
        ["archive", "handover"],
        ["archive", "run"],
        ["archive", "verify"],
        ["issuer"],
        ["issuer", "serve"],
        ["issuer", "offer"],
        ["verifier"],
        ["verifier", "serve"],
        ["verifier", "request"],
        ["verifier", "result"],
        ["wallet"],
        ["wallet", "create"],
        ["wallet", "list"],
        ["wallet", "receive"],
        ["wallet", "present"],
        ["wallet", "log"],
        ["wallet", "serve"],
    ):
        code, out, _ = invoke(*command, "--help")
        assert code == 0 and "Usage" in out, command


@pytest.mark.parametrize("service", ["wallet", "issuer", "platform"])
def test_serve_answers_over_http_and_refuses_a_busy_port(
    service: str, tmp_path: Path, ganache: GanacheProcess
) -> None:
    port = free_port()
    env = {**os.environ, "GOVCHAIN_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "govchain.cli", service, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/openapi.json", timeout=2
                ) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, f"{service} serve did not answer"
                time.sleep(0.2)
        code, _, err = invoke(service, "serve", "--port", str(port))
        assert code == 1 and "already in use" in err
    finally:
        proc.terminate()
        proc.wait(timeout=30)
