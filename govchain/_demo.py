"""`govchain demo`: the whole system in one run, on the embedded chain.

For now (foundation): a consortium of three cities is founded, admits an issuer office
by M-of-N vote, grants roles, accredits the office, registers its DID, runs a status
entry through suspension and revocation, and anchors a Merkle root of archive records.
Each step is narrated in plain German with block number and gas, and collected into a
machine-readable summary.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from jwcrypto import jwk
from jwcrypto.common import base64url_decode, base64url_encode

from govchain.chain.backends import EmbeddedBackend
from govchain.chain.deployment import Deployment, Founder, deploy_consortium
from govchain.chain.errors import AccessDeniedError, StatusRegistryRevokedIsFinal
from govchain.chain.gateway import ChainGateway, TxResult
from govchain.chain.types import (
    CredentialStatus,
    Did,
    LevelOfAssurance,
    Role,
    office_id,
)
from govchain.platform.anchoring.merkle import (
    inclusion_proof,
    leaf_hash,
    root_from_inclusion_proof,
    tree_root,
)

__all__ = ["DemoStep", "DemoSummary", "run_demo"]

CITIES = ("Aachen", "Gelsenkirchen", "Soest")
THRESHOLD = 2
STATE = "NRW"
OFFICE = ("Aachen", "Ordnungsamt")
VCT_DOG = "https://vct.govchain.de/gefaehrlicher-hund/v1"
VCT_MUSIC = "https://vct.govchain.de/strassenmusik/v1"
ARCHIVE_NAMESPACE = "archive.aachen"


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
    anchor: dict[str, Any] = field(default_factory=dict)
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


def _office_did() -> tuple[Did, bytes]:
    """A fresh P-256 key as did:jwk, with its RFC 7638 thumbprint."""
    key = jwk.JWK.generate(kty="EC", crv="P-256")
    public = key.export_public(as_dict=True)
    encoded = base64url_encode(json.dumps(public, separators=(",", ":"), sort_keys=True))
    thumbprint = base64url_decode(key.thumbprint())
    return Did(f"did:jwk:{encoded}"), thumbprint


def _record_deployment(demo: _Demo, tx: TxResult) -> None:
    contract = tx.description.removeprefix("Deploying ")
    demo.record(f"Vertrag bereitgestellt: {contract}", f"Adresse {tx.contract_address}", tx)


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

    now = gateway.block_timestamp()
    acc_dog = d.trust.accredit(cities[0], office, VCT_DOG, LevelOfAssurance.SUBSTANTIAL, now - 60)
    acc_music = d.trust.accredit(cities[0], office, VCT_MUSIC, LevelOfAssurance.LOW, now - 60)
    demo.record(
        "Akkreditierungen eingetragen",
        "Ordnungsamt Aachen darf Erlaubnisse für gefährliche Hunde (Niveau substanziell) "
        "und für Straßenmusik (Niveau niedrig) ausstellen.",
        acc_dog,
        acc_music,
    )

    did, thumbprint = _office_did()
    did_tx = d.trust.register_did(accounts["office-admin"], office, did, thumbprint)
    demo.record(
        "DID des Ordnungsamts registriert",
        f"{did[:40]}… mit Schlüssel-Fingerabdruck {thumbprint.hex()[:16]}…",
        did_tx,
    )
    trusted = d.trust.trust_at(did, VCT_DOG, gateway.block_timestamp())
    untrusted = d.trust.trust_at(
        did, "https://vct.govchain.de/buergerid/v1", gateway.block_timestamp()
    )
    demo.record(
        "Vertrauensprüfung",
        f"Hundeerlaubnis: vertraut={trusted.trusted} "
        f"(Niveau {trusted.level_of_assurance.label_de if trusted.level_of_assurance else '-'}); "
        f"BürgerID: vertraut={untrusted.trusted} ({untrusted.reason.name}).",
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

    records = [f"Akte {n}: Bauakte Aachen, Aussonderung 2026".encode() for n in range(1, 6)]
    leaves = [leaf_hash(hashlib.sha256(r).digest()) for r in records]
    root = tree_root(leaves)
    ns, ns_tx = d.anchors.register_namespace(accounts["archive-service"], ARCHIVE_NAMESPACE)
    anchor, anchor_tx = d.anchors.anchor(accounts["archive-service"], ns, len(leaves), root)
    path = inclusion_proof(2, leaves)
    proven = root_from_inclusion_proof(2, len(leaves), leaves[2], path) == anchor.root
    demo.record(
        "Merkle-Wurzel verankert",
        f"{len(leaves)} Archivakten im Log '{ARCHIVE_NAMESPACE}', Wurzel {root.hex()[:16]}… "
        f"in Block {anchor.block_number}; Akte 3 per Prüfpfad ({len(path)} Hashes) "
        f"{'nachgewiesen' if proven else 'NICHT nachgewiesen'}.",
        ns_tx,
        anchor_tx,
    )

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
        anchor={
            "namespace": ARCHIVE_NAMESPACE,
            "tree_size": anchor.tree_size,
            "root": "0x" + anchor.root.hex(),
            "block_number": anchor.block_number,
            "timestamp": anchor.timestamp,
            "inclusion_verified": proven,
        },
        refusals=refusals,
        steps=demo.steps,
        total_gas=sum(s.gas or 0 for s in demo.steps),
    )
