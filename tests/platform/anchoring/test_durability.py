"""Nothing accepted is lost, nothing is anchored twice: the anchoring process is killed
with SIGKILL at each critical moment and restarted; the chain going away only queues.
Also the auditor's and archivist's commands, end to end on one deployed chain."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner
from web3 import Web3

from govchain.chain._abi import load_artifact
from govchain.chain.clients.anchor_registry import namespace_id
from govchain.chain.ganache import GanacheProcess
from govchain.cli import app
from govchain.platform.anchoring._store import AnchorStore
from tests.conftest import free_port
from tests.platform.archive.conftest import make_bag

pytestmark = pytest.mark.ganache

NS = "archive.test"
runner = CliRunner()


class Setup:
    """A deployed consortium, an anchoring account with its role and a namespace."""

    def __init__(self, node: GanacheProcess, data_dir: Path) -> None:
        self.node = node
        self.env = {
            **os.environ,
            "GOVCHAIN_DATA_DIR": str(data_dir),
            "GOVCHAIN_CHAIN_BACKEND": "ganache",
            "GOVCHAIN_RPC_URL": node.url,
        }
        self.data_dir = data_dir

    def cli(self, *args: str) -> tuple[int, str, str]:
        result = runner.invoke(app, list(args), env=self.env)
        return result.exit_code, result.stdout, result.stderr

    def process(self, *args: str, crash_at: str | None = None) -> subprocess.CompletedProcess[str]:
        env = dict(self.env)
        if crash_at:
            env["GOVCHAIN_ANCHORING_CRASH_AT"] = crash_at
        return subprocess.run(
            [sys.executable, "-m", "govchain.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def submit(self, documents: list[bytes]) -> list[str]:
        args = [a for d in documents for a in ("--hash", hashlib.sha256(d).hexdigest())]
        code, out, err = self.cli("anchoring", "submit", NS, *args)
        assert code == 0, err
        return out.split()

    def anchors_on_chain(self) -> int:
        w3 = Web3(Web3.HTTPProvider(self.node.url))
        record = json.loads((self.data_dir / "chain" / "deployment.json").read_text())
        registry = w3.eth.contract(
            address=record["contracts"]["anchor_registry"], abi=load_artifact("AnchorRegistry").abi
        )
        return int(registry.functions.anchorCount(namespace_id(NS)).call())

    def verify_all(self, ids: list[str], documents: list[bytes], tmp: Path) -> None:
        for rid, document in zip(ids, documents, strict=True):
            code, out, err = self.cli("anchoring", "receipt", rid)
            assert code == 0, err
            (tmp / "r.json").write_text(out)
            (tmp / "doc").write_bytes(document)
            code, out, err = self.cli(
                "audit",
                "verify",
                str(tmp / "r.json"),
                "--rpc",
                self.node.url,
                "--file",
                str(tmp / "doc"),
            )
            assert code == 0, out + err
            assert "Receipt confirmed" in out


@pytest.fixture
def node(tmp_path: Path) -> Iterator[GanacheProcess]:
    ganache = GanacheProcess(
        port=free_port(), db_path=tmp_path / "chain-db", log_path=tmp_path / "ganache.log"
    )
    ganache.start()
    yield ganache
    ganache.stop()


@pytest.fixture
def setup(node: GanacheProcess, tmp_path: Path) -> Setup:
    s = Setup(node, tmp_path / "data")
    assert s.cli("chain", "deploy")[0] == 0
    code, address, err = s.cli("anchoring", "account")
    assert code == 0, err
    assert s.cli("chain", "grant-role", "--role", "anchorer", "--to", address.strip())[0] == 0
    code, _, err = s.cli("anchoring", "add-namespace", NS)
    assert code == 0, err
    return s


DOCS = [f"Akte {n}".encode() for n in range(25)]


def test_killed_after_accepting_before_anchoring(setup: Setup, tmp_path: Path) -> None:
    script = (
        "import hashlib, sys, time\n"
        "from govchain.platform.anchoring._wiring import open_service\n"
        "from govchain.platform.settings import PlatformSettings\n"
        "s = open_service(PlatformSettings(), None)\n"
        f"ids = s.submit_many({NS!r}, [hashlib.sha256(f'Akte {{n}}'.encode()).digest() "
        "for n in range(25)])\n"
        "print(' '.join(ids), flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], env=setup.env, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    ids = proc.stdout.readline().split()  # accepted: the ids are out
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert len(ids) == 25

    # Killed again after fixing the anchor's size and root, before sending anything.
    crashed = setup.process("anchoring", "run", "--once", crash_at="prepared")
    assert crashed.returncode == -signal.SIGKILL
    assert setup.anchors_on_chain() == 0

    done = setup.process("anchoring", "run", "--once")
    assert done.returncode == 0, done.stderr
    assert setup.anchors_on_chain() == 1
    setup.verify_all(ids, DOCS, tmp_path)


def test_killed_during_the_transaction(setup: Setup, tmp_path: Path) -> None:
    ids = setup.submit(DOCS)
    w3 = Web3(Web3.HTTPProvider(setup.node.url))
    w3.provider.make_request("miner_stop", [])  # type: ignore[arg-type]
    crashed = setup.process("anchoring", "run", "--once", crash_at="sent")
    assert crashed.returncode == -signal.SIGKILL
    store = AnchorStore(setup.data_dir / "anchoring" / "anchoring.sqlite3")
    (row,) = store.anchors(NS)
    store.close()
    assert row.state.value == "sent" and row.tx_hash
    assert setup.anchors_on_chain() == 0  # still in the node's pool
    w3.provider.make_request("miner_start", [])  # type: ignore[arg-type]

    done = setup.process("anchoring", "run", "--once")
    assert done.returncode == 0, done.stderr
    assert setup.anchors_on_chain() == 1  # the pending transaction was not sent again
    setup.verify_all(ids, DOCS, tmp_path)


def test_killed_after_the_transaction_before_the_receipt(setup: Setup, tmp_path: Path) -> None:
    ids = setup.submit(DOCS)
    crashed = setup.process("anchoring", "run", "--once", crash_at="mined")
    assert crashed.returncode == -signal.SIGKILL
    assert setup.anchors_on_chain() == 1
    code, _, _ = setup.cli("anchoring", "receipt", ids[0])
    assert code == 2  # not confirmed locally yet

    done = setup.process("anchoring", "run", "--once")
    assert done.returncode == 0, done.stderr
    assert setup.anchors_on_chain() == 1  # recognised on chain, not anchored twice
    setup.verify_all(ids, DOCS, tmp_path)


def test_chain_unavailable_queues_and_resumes(setup: Setup, tmp_path: Path) -> None:
    setup.node.stop()
    ids = setup.submit(DOCS[:7])  # still accepted
    code, _, err = setup.cli("anchoring", "run", "--once")
    assert code == 1 and "7 Hashes warten" in err and "not reachable" in err
    code, out, _ = setup.cli("anchoring", "status", "--json")
    assert json.loads(out) == [
        {"namespace": NS, "size": 7, "anchored": 0, "backlog": 7, "last_anchor_block": None}
    ]
    setup.node.start()
    time.sleep(0.5)
    code, _, err = setup.cli("anchoring", "run", "--once")
    assert code == 0, err
    assert json.loads(setup.cli("anchoring", "status", "--json")[1])[0]["backlog"] == 0
    setup.verify_all(ids, DOCS[:7], tmp_path)


def test_audit_commands_show_consistency_and_name_the_failed_step(
    setup: Setup, tmp_path: Path
) -> None:
    first = setup.submit(DOCS[:5])
    assert setup.cli("anchoring", "run", "--once")[0] == 0
    setup.submit(DOCS[5:12])
    assert setup.cli("anchoring", "run", "--once")[0] == 0

    code, out, err = setup.cli("audit", "consistency", NS)
    assert code == 0, err
    assert "Anker 0 → 1: 5 → 12 Einträge" in out

    code, out, _ = setup.cli("anchoring", "receipt", first[1])
    receipt = json.loads(out)
    (tmp_path / "ok.json").write_text(out)
    code, out, _ = setup.cli("audit", "verify", str(tmp_path / "ok.json"), "--offline")
    assert code == 0 and "Offline checks passed" in out
    receipt["anchor"]["anchor_index"] += 1
    (tmp_path / "bad.json").write_text(json.dumps(receipt))
    code, out, err = setup.cli(
        "audit", "verify", str(tmp_path / "bad.json"), "--rpc", setup.node.url
    )
    assert code == 1 and "step 'anchor'" in err
    (tmp_path / "junk.json").write_text("{not a receipt")
    code, _, err = setup.cli("audit", "verify", str(tmp_path / "junk.json"))
    assert code == 1 and "not a readable govchain anchor receipt" in err


def test_archive_commands_hand_over_anchor_and_verify(setup: Setup, tmp_path: Path) -> None:
    bag = make_bag(tmp_path / "sip")
    code, out, err = setup.cli("archive", "handover", str(bag))
    assert code == 0, err
    aip_id = out.split("AIP ")[1].split()[0]
    code, out, err = setup.cli("archive", "run")
    assert code == 0, err
    code, out, err = setup.cli("archive", "verify", aip_id)
    assert code == 0, out + err
    assert "Evidence record confirmed" in out
    code, _, err = setup.cli("archive", "handover", str(tmp_path / "nothing-here"))
    assert code == 1 and ("Fehler" in err)
