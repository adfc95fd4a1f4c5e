"""`govchain demo`: the whole system in one run, on the embedded chain.

A consortium of three cities is founded, admits an issuer office by M-of-N vote and
grants roles. The office registers its DID, is accredited, and issues one SD-JWT VC of
each municipal type; the citizen presents each with selective disclosure and holder
binding, and a verifier checks it with status and trust from the chain, until one is
suspended and another revoked. A status entry shows that revocation is final. The
archive hands records to the anchoring service, which anchors them in one transaction,
and an auditor verifies a receipt offline and on chain. With ACA-Py installed
(``scripts/bootstrap-agents.sh``), the agents part issues a permit over DIDComm into a
citizen's sub-wallet, the citizen proves it to the verifier agent, it is revoked on
chain and the next proof is refused. Each step is narrated in plain German with block
number and gas, and collected into a machine-readable summary.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from govchain.chain.backends import EmbeddedBackend
from govchain.chain.deployment import Deployment, Founder, deploy_consortium
from govchain.chain.errors import AccessDeniedError, StatusRegistryRevokedIsFinal
from govchain.chain.gateway import ChainGateway, TxResult
from govchain.chain.types import CredentialStatus, Did, OfficeId, Role, office_id
from govchain.credentials._demo import credentials_demo
from govchain.credentials.types import DangerousDogPermit
from govchain.errors import GovchainError
from govchain.platform.anchoring.receipts import verify_receipt
from govchain.platform.anchoring.service import AnchorChain, AnchoringService

__all__ = ["DemoStep", "DemoSummary", "run_demo"]

CITIES = ("Aachen", "Gelsenkirchen", "Soest")
THRESHOLD = 2
STATE = "NRW"
OFFICE = ("Aachen", "Ordnungsamt")
ARCHIVE_NAMESPACE = "archive.aachen"
UNACCREDITED_VCT = "https://vct.govchain.de/bewohnerparkausweis/v1"


@dataclass
class DemoStep:
    """One thing that happened, in plain words, with where and what it cost."""

    title: str
    detail: str
    block: int | None = None
    gas: int | None = None
    tx_hash: str | None = None


@dataclass
class DemoSummary:
    """Everything the demo did, for ``--json``."""

    chain_id: int
    backend: str
    contracts: dict[str, str]
    members: list[dict[str, str]]
    threshold: int
    office: dict[str, Any] = field(default_factory=dict)
    status_entry: dict[str, Any] = field(default_factory=dict)
    credentials: dict[str, Any] = field(default_factory=dict)
    anchor: dict[str, Any] = field(default_factory=dict)
    agents: dict[str, Any] = field(default_factory=dict)
    refusals: list[dict[str, str]] = field(default_factory=list)
    steps: list[DemoStep] = field(default_factory=list)
    total_gas: int = 0

    def to_json(self) -> str:
        """The summary as pretty JSON."""
        return json.dumps(asdict(self), indent=2, ensure_ascii=False)


Narrator = Callable[[DemoStep], None]


class _Demo:
    def __init__(self, narrate: Narrator) -> None:
        self._narrate = narrate
        self.steps: list[DemoStep] = []

    def narrate(self, title: str, detail: str, txs: list[TxResult]) -> None:
        """Record a step told by a sub-demo (the credentials part)."""
        self.record(title, detail, *txs)

    def record(self, title: str, detail: str, *txs: TxResult) -> DemoStep:
        step = DemoStep(
            title=title,
            detail=detail,
            block=txs[-1].block_number if txs else None,
            gas=sum(t.gas_used for t in txs) if txs else None,
            tx_hash=txs[-1].tx_hash if txs else None,
        )
        self.steps.append(step)
        self._narrate(step)
        return step


def _fresh_accounts(gateway: ChainGateway, labels: list[str]) -> dict[str, LocalAccount]:
    accounts: dict[str, LocalAccount] = {}
    for label in labels:
        account: LocalAccount = Account.create()
        gateway.fund(account.address, 10**21)
        accounts[label] = account
    return accounts


def _record_deployment(demo: _Demo, tx: TxResult) -> None:
    contract = tx.description.removeprefix("Deploying ")
    demo.record(f"Vertrag bereitgestellt: {contract}", f"Adresse {tx.contract_address}", tx)


def _anchoring_demo(
    demo: _Demo, gateway: ChainGateway, d: Deployment, archive: LocalAccount
) -> dict[str, Any]:
    """The archive hands five records to the anchoring service; an auditor checks one."""
    records = [f"Akte {n}: Bauakte Aachen, Aussonderung 2026".encode() for n in range(1, 6)]
    with tempfile.TemporaryDirectory(prefix="govchain-demo-") as folder:
        service = AnchoringService(Path(folder), AnchorChain(d.anchors, archive))
        try:
            service.add_namespace(ARCHIVE_NAMESPACE)
            ids = service.submit_many(
                ARCHIVE_NAMESPACE, [hashlib.sha256(r).digest() for r in records]
            )
            block_before = gateway.block_number()
            anchor = service.anchor(ARCHIVE_NAMESPACE)
            receipt = service.receipt(ids[2])
        finally:
            service.close()
    if anchor is None or receipt is None or anchor.block_number is None:
        raise GovchainError(
            "The demo's anchor did not come through.", "Die Demo-Verankerung fehlt."
        )
    mined = gateway.mined(receipt.anchor.transaction_hash)
    demo.record(
        "Archivakten verankert",
        f"{len(records)} Hashes im Log '{ARCHIVE_NAMESPACE}' angenommen (Quittungs-IDs "
        f"{ids[0]} … {ids[-1]}); eine Transaktion für alle: Wurzel {anchor.root.hex()[:16]}… "
        f"in Block {anchor.block_number} ({gateway.block_number() - block_before} Block).",
        *([mined] if mined else []),
    )
    result = verify_receipt(receipt, document=records[2], gateway=gateway)
    demo.record(
        "Prüfung durch die Rechnungsprüfung" if result.ok else "Prüfung fehlgeschlagen",
        f"Quittung {receipt.receipt_id}: "
        + "; ".join(f"{s.name} {'✔' if s.ok else '✗'}" for s in result.steps)
        + f". {result.steps[-1].message_de}",
    )
    return {
        "namespace": ARCHIVE_NAMESPACE,
        "receipt_ids": ids,
        "tree_size": anchor.tree_size,
        "root": "0x" + anchor.root.hex(),
        "block_number": anchor.block_number,
        "transaction_hash": receipt.anchor.transaction_hash,
        "receipt": receipt.model_dump(mode="json"),
        "receipt_verified": result.ok,
        "verification_steps": [s.name for s in result.steps if s.ok],
    }


def _agents_demo(
    demo: _Demo, gateway: ChainGateway, d: Deployment, office_admin: LocalAccount, office: OfficeId
) -> dict[str, Any]:
    """DIDComm with real ACA-Py agents, or a note saying how to install them."""
    from govchain.agents._demo import agents_demo  # noqa: PLC0415
    from govchain.agents.settings import default_acapy_executable  # noqa: PLC0415

    if not default_acapy_executable().is_file():
        demo.record(
            "ACA-Py-Agenten übersprungen",
            "ACA-Py ist nicht installiert; scripts/bootstrap-agents.sh (oder make demo) "
            "installiert es.",
        )
        return {"skipped": "ACA-Py is not installed"}
    return agents_demo(
        gateway, d, office_admin=office_admin, office_id=office, narrate=demo.narrate
    )


def run_demo(narrate: Narrator = lambda step: None) -> DemoSummary:
    """Run the demo on a fresh embedded chain and return what happened."""
    demo = _Demo(narrate)
    gateway = ChainGateway(EmbeddedBackend())
    accounts = _fresh_accounts(
        gateway, ["deployer", *CITIES, "office-admin", "archive-service", "outsider"]
    )
    cities = [accounts[c] for c in CITIES]

    deployment = deploy_consortium(
        gateway,
        accounts["deployer"],
        [Founder(name=c, address=accounts[c].address) for c in CITIES],
        THRESHOLD,
        on_step=lambda tx: _record_deployment(demo, tx),
    )
    d: Deployment = deployment
    demo.record(
        "Konsortium gegründet",
        f"{', '.join(CITIES)} sind Mitglieder; Beschlüsse brauchen {THRESHOLD} von "
        f"{len(CITIES)} Stimmen.",
    )

    office = office_id(STATE, *OFFICE)
    decision = d.consortium.decide(
        cities[0],
        cities[1:],
        d.trust.register_office_call(
            office, STATE, OFFICE[0], OFFICE[1], accounts["office-admin"].address
        ),
    )
    demo.record(
        "Behörde aufgenommen: Ordnungsamt Aachen",
        f"Aachen beantragt, Gelsenkirchen stimmt zu (Antrag {decision.proposal_id}); "
        "der Beschluss wird in derselben Transaktion ausgeführt.",
        *decision.transactions,
    )

    for role, grantee, who in (
        (Role.TRUST_ADMIN, cities[0].address, "Aachen (Akkreditierungsstelle)"),
        (Role.STATUS_ISSUER, accounts["office-admin"].address, "Ordnungsamt Aachen"),
        (Role.ANCHORER, accounts["archive-service"].address, "Digitales Stadtarchiv Aachen"),
    ):
        registry = {
            Role.TRUST_ADMIN: d.trust,
            Role.STATUS_ISSUER: d.status,
            Role.ANCHORER: d.anchors,
        }[role]
        decision = d.consortium.decide(
            cities[2], cities[:2], registry.grant_role_call(role, grantee)
        )
        demo.record(
            f"Rolle {role.value} vergeben an {who}",
            f"Soest beantragt, Aachen stimmt zu (Antrag {decision.proposal_id}).",
            *decision.transactions,
        )

    refusals: list[dict[str, str]] = []
    try:
        d.status.grant_role(cities[1], Role.STATUS_ISSUER, accounts["outsider"].address)
    except AccessDeniedError as err:
        refusals.append({"error": type(err).__name__, "de": err.message_de, "en": err.message})
        demo.record(
            "Abgelehnt: Rollenvergabe ohne Beschluss",
            f"Gelsenkirchen versucht allein eine Rolle zu vergeben. Der Vertrag sagt: "
            f"{err.message_de}",
        )

    credentials = credentials_demo(
        gateway,
        d,
        trust_admin=cities[0],
        office_admin=accounts["office-admin"],
        office_id=office,
        narrate=demo.narrate,
    )
    did = Did(credentials["issuer"]["did"])
    trusted = d.trust.trust_at(did, DangerousDogPermit.vct, gateway.block_timestamp())
    untrusted = d.trust.trust_at(did, UNACCREDITED_VCT, gateway.block_timestamp())
    demo.record(
        "Vertrauensprüfung auf der Chain",
        f"Hundeerlaubnis: vertraut={trusted.trusted} "
        f"(Niveau {trusted.level_of_assurance.label_de if trusted.level_of_assurance else '-'}); "
        f"Bewohnerparkausweis: vertraut={untrusted.trusted} ({untrusted.reason.name}): "
        "dafür ist das Ordnungsamt nicht akkreditiert.",
    )

    list_id, list_tx = d.status.create_list(accounts["office-admin"])
    index = secrets.randbelow(d.status.status_list(list_id).size)
    suspend_tx = d.status.set_status(
        accounts["office-admin"], list_id, index, CredentialStatus.SUSPENDED
    )
    after_suspend = d.status.status(list_id, index)
    revoke_tx = d.status.set_status(
        accounts["office-admin"], list_id, index, CredentialStatus.REVOKED
    )
    after_revoke = d.status.status(list_id, index)
    demo.record(
        "Statuseintrag gesetzt und gelesen",
        f"Liste {list_id}, zufälliger Index {index}: ausgesetzt → gelesen "
        f"{after_suspend.name}; widerrufen → gelesen {after_revoke.name}.",
        list_tx,
        suspend_tx,
        revoke_tx,
    )
    try:
        d.status.set_status(accounts["office-admin"], list_id, index, CredentialStatus.VALID)
    except StatusRegistryRevokedIsFinal as err:
        refusals.append({"error": type(err).__name__, "de": err.message_de, "en": err.message})
        demo.record("Abgelehnt: Widerruf rückgängig machen", err.message_de)
    try:
        d.status.set_status(cities[1], list_id, index, CredentialStatus.VALID)
    except AccessDeniedError as err:
        refusals.append({"error": type(err).__name__, "de": err.message_de, "en": err.message})
        demo.record("Abgelehnt: fremde Statusliste", err.message_de)

    anchoring = _anchoring_demo(demo, gateway, d, accounts["archive-service"])
    agents = _agents_demo(demo, gateway, d, accounts["office-admin"], office)

    return DemoSummary(
        chain_id=gateway.chain_id,
        backend=gateway.backend.kind.value,
        contracts=d.record.contracts.model_dump(),
        members=[{"name": m.name, "address": m.address} for m in d.consortium.members()],
        threshold=d.consortium.threshold(),
        office={
            "office_id": "0x" + office.hex(),
            "name": f"{OFFICE[1]} {OFFICE[0]}",
            "did": did,
            "trusted_for_dog_permit": trusted.trusted,
            "level_of_assurance": trusted.level_of_assurance.name
            if trusted.level_of_assurance
            else None,
        },
        status_entry={
            "list_id": list_id,
            "index": index,
            "after_suspend": after_suspend.name,
            "final": after_revoke.name,
        },
        credentials=credentials,
        anchor=anchoring,
        agents=agents,
        refusals=refusals,
        steps=demo.steps,
        total_gas=sum(s.gas or 0 for s in demo.steps),
    )
