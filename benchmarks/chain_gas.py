"""Gas of every govchain contract operation, on the embedded EVM (py-evm).

Gas is deterministic, so these figures hold on Ganache and Besu alike (Shanghai rules).
Anchoring is measured for batches of 1 to 1,000,000 documents: the contract stores only
the root and size, so its execution gas is the same whatever the batch size; only the
calldata cost of the tree-size number varies by a few gas per non-zero byte.

Run: .venv/bin/python benchmarks/chain_gas.py [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
import time

from eth_account import Account
from eth_account.signers.local import LocalAccount

from govchain.chain.backends import EmbeddedBackend
from govchain.chain.deployment import Founder, deploy_consortium
from govchain.chain.gateway import ChainGateway, TxResult
from govchain.chain.types import CredentialStatus, Did, LevelOfAssurance, Role, office_id
from govchain.platform.anchoring.merkle import leaf_hash, tree_root

BATCH_SIZES = (1, 10, 1_000, 100_000, 1_000_000)


def _calldata_gas(gateway: ChainGateway, tx_hash: str) -> int:
    data = bytes(gateway.w3.eth.get_transaction(tx_hash)["input"])  # type: ignore[arg-type]
    return 21_000 + sum(4 if b == 0 else 16 for b in data)


def _root_of(batch: int) -> bytes:
    # A real root over `batch` document hashes, computed bottom-up.
    leaves = [leaf_hash(hashlib.sha256(i.to_bytes(8, "big")).digest()) for i in range(batch)]
    return tree_root(leaves)


def measure() -> dict[str, object]:
    """Run every operation once and collect its gas."""
    gateway = ChainGateway(EmbeddedBackend())

    def funded() -> LocalAccount:
        account: LocalAccount = Account.create()
        gateway.fund(account.address, 10**21)
        return account

    deployer, aachen, gelsenkirchen, soest, office_admin, archive = (funded() for _ in range(6))
    rows: list[tuple[str, int]] = []

    def row(label: str, tx: TxResult) -> None:
        rows.append((label, tx.gas_used))

    d = deploy_consortium(
        gateway,
        deployer,
        [
            Founder(name="Aachen", address=aachen.address),
            Founder(name="Gelsenkirchen", address=gelsenkirchen.address),
            Founder(name="Soest", address=soest.address),
        ],
        2,
        on_step=lambda tx: row(tx.description.replace("Deploying", "deploy"), tx),
    )
    office = office_id("NRW", "Aachen", "Ordnungsamt")
    call = d.trust.register_office_call(
        office, "NRW", "Aachen", "Ordnungsamt", office_admin.address
    )
    proposal_id, tx = d.consortium.propose(aachen, call)
    row("Consortium.propose (registerOffice)", tx)
    row("Consortium.approve + execute registerOffice", d.consortium.approve(soest, proposal_id))
    for role, who in (
        (Role.TRUST_ADMIN, aachen),
        (Role.STATUS_ISSUER, office_admin),
        (Role.ANCHORER, archive),
    ):
        registry = {
            Role.TRUST_ADMIN: d.trust,
            Role.STATUS_ISSUER: d.status,
            Role.ANCHORER: d.anchors,
        }
        decision = d.consortium.decide(
            soest, [aachen], registry[role].grant_role_call(role, who.address)
        )
        rows.append((f"grant {role.value} (propose + approve)", decision.gas_used))
    now = gateway.block_timestamp()
    row(
        "TrustRegistry.accredit",
        d.trust.accredit(
            aachen, office, "https://vct.govchain.de/x/v1", LevelOfAssurance.HIGH, now
        ),
    )
    row(
        "TrustRegistry.registerDid (did:jwk, ~150 chars)",
        d.trust.register_did(office_admin, office, Did("did:jwk:" + "e" * 150), b"\x01" * 32),
    )
    list_id, tx = d.status.create_list(office_admin)
    row("StatusRegistry.createList (131,072 entries)", tx)
    row(
        "StatusRegistry.setStatus (suspend, fresh word)",
        d.status.set_status(office_admin, list_id, 1000, CredentialStatus.SUSPENDED),
    )
    row(
        "StatusRegistry.setStatus (revoke, same word)",
        d.status.set_status(office_admin, list_id, 1001, CredentialStatus.REVOKED),
    )
    row(
        "StatusRegistry.setStatuses (100 revocations)",
        d.status.set_statuses(
            office_admin, list_id, {i * 997 % 131_072: CredentialStatus.REVOKED for i in range(100)}
        ),
    )

    anchors = []
    for batch in BATCH_SIZES:
        ns, tx = d.anchors.register_namespace(archive, f"bench.{batch}")
        if batch == BATCH_SIZES[0]:
            row("AnchorRegistry.registerNamespace", tx)
        root = _root_of(batch)
        _, first = d.anchors.anchor(archive, ns, batch, root)
        _, later = d.anchors.anchor(archive, ns, 2 * batch, hashlib.sha256(root).digest())
        anchors.append(
            {
                "batch_size": batch,
                "first_anchor_gas": first.gas_used,
                "later_anchor_gas": later.gas_used,
                "first_anchor_execution_gas": first.gas_used
                - _calldata_gas(gateway, first.tx_hash),
                "later_anchor_execution_gas": later.gas_used
                - _calldata_gas(gateway, later.tx_hash),
            }
        )
    return {
        "machine": f"{platform.machine()}, {platform.system()} {platform.release()}, "
        f"Python {sys.version.split()[0]}",
        "operations": [{"operation": label, "gas": gas} for label, gas in rows],
        "anchoring": anchors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = parser.parse_args()
    started = time.perf_counter()
    result = measure()
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"Gas per operation (embedded py-evm, Shanghai rules) — {result['machine']}\n")
    for entry in result["operations"]:  # type: ignore[attr-defined]
        print(f"  {entry['operation']:<52} {entry['gas']:>10,}")
    print("\nAnchoring one root, by batch size (documents in the log):\n")
    columns = ("first gas", "later gas", "first exec", "later exec")
    print(f"  {'batch':>9}" + "".join(f"  {c:>10}" for c in columns))
    for a in result["anchoring"]:  # type: ignore[attr-defined]
        print(
            f"  {a['batch_size']:>9,}  {a['first_anchor_gas']:>10,}  {a['later_anchor_gas']:>10,}"
            f"  {a['first_anchor_execution_gas']:>10,}  {a['later_anchor_execution_gas']:>10,}"
        )
    exec_gas = {a["later_anchor_execution_gas"] for a in result["anchoring"]}  # type: ignore[attr-defined]
    verdict = "the same" if len(exec_gas) == 1 else "NOT the same"
    print(f"\nExecution gas of a later anchor is {verdict} for every batch size.")
    print(f"(measured in {time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
