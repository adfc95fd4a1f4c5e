"""Deploying the consortium's contracts, and the record that lets services find them again.

A deployment record is written only after every contract is deployed and wired, in one
atomic file replace: a deployment cut short (node down, wrong chain, error) records
nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from pydantic import BaseModel, ValidationError

from govchain._files import atomic_write_text
from govchain.chain._abi import load_artifact
from govchain.chain.clients.anchor_registry import AnchorRegistryClient
from govchain.chain.clients.consortium import ConsortiumClient
from govchain.chain.clients.permissioning import AccountRulesClient, NodeRulesClient
from govchain.chain.clients.status_registry import StatusRegistryClient
from govchain.chain.clients.trust_registry import TrustRegistryClient
from govchain.chain.errors import (
    ChainIdMismatchError,
    DeploymentNotFoundError,
    DeploymentRecordError,
)
from govchain.chain.gateway import ChainGateway, TxResult

__all__ = [
    "ContractAddresses",
    "Deployment",
    "DeploymentRecord",
    "DeploymentStore",
    "Founder",
    "deploy_consortium",
]

log = logging.getLogger(__name__)

RECORD_FORMAT: Literal["govchain-deployment/1"] = "govchain-deployment/1"


class Founder(BaseModel):
    """A founding member city."""

    name: str
    address: ChecksumAddress


class ContractAddresses(BaseModel):
    """Where each contract lives."""

    consortium: ChecksumAddress
    trust_registry: ChecksumAddress
    status_registry: ChecksumAddress
    anchor_registry: ChecksumAddress
    account_rules: ChecksumAddress
    node_rules: ChecksumAddress


class DeploymentRecord(BaseModel):
    """What services need to find the contracts again."""

    format: Literal["govchain-deployment/1"] = RECORD_FORMAT
    chain_id: int
    backend: str
    rpc_url: str
    block_number: int
    deployed_at: datetime
    deployer: ChecksumAddress
    sources_sha256: str
    founders: list[Founder]
    threshold: int
    contracts: ContractAddresses


class DeploymentStore:
    """The deployment record in ``<data dir>/chain/deployment.json``."""

    def __init__(self, chain_dir: Path) -> None:
        self.path = chain_dir / "deployment.json"

    def exists(self) -> bool:
        """Whether a record was written."""
        return self.path.is_file()

    def load(self) -> DeploymentRecord:
        """Read the record; raise a clear error when it is missing or damaged."""
        try:
            text = self.path.read_text()
        except FileNotFoundError as err:
            raise DeploymentNotFoundError(
                f"No deployment record at {self.path}; run `govchain chain deploy` first.",
                f"Kein Deployment-Eintrag unter {self.path}; zuerst `govchain chain deploy` "
                "ausführen.",
            ) from err
        except (OSError, UnicodeDecodeError) as err:
            raise DeploymentRecordError(
                f"The deployment record {self.path} cannot be read ({type(err).__name__}).",
                f"Der Deployment-Eintrag {self.path} ist nicht lesbar ({type(err).__name__}).",
            ) from err
        try:
            return DeploymentRecord.model_validate_json(text)
        except ValidationError as err:
            raise DeploymentRecordError(
                f"The deployment record {self.path} is damaged or of another format.",
                f"Der Deployment-Eintrag {self.path} ist beschädigt oder hat ein anderes Format.",
            ) from err

    def save(self, record: DeploymentRecord) -> None:
        """Write the record atomically (temp file, fsync, rename)."""
        atomic_write_text(self.path, json.dumps(record.model_dump(mode="json"), indent=2) + "\n")


@dataclass(frozen=True)
class Deployment:
    """Typed clients of all contracts of one deployment."""

    record: DeploymentRecord
    gateway: ChainGateway
    consortium: ConsortiumClient
    trust: TrustRegistryClient
    status: StatusRegistryClient
    anchors: AnchorRegistryClient
    account_rules: AccountRulesClient
    node_rules: NodeRulesClient

    @classmethod
    def attach(cls, gateway: ChainGateway, record: DeploymentRecord) -> Deployment:
        """Bind a record to a live chain, checking chain id and that the code is there."""
        if record.chain_id != gateway.chain_id:
            raise ChainIdMismatchError(record.chain_id, gateway.chain_id, gateway.url)
        addresses = record.contracts
        for field_name, address in addresses.model_dump().items():
            if not gateway.has_code(address):
                raise DeploymentNotFoundError(
                    f"The recorded {field_name} contract is not on the chain at {gateway.url} "
                    "(was the chain reset?); run `govchain chain deploy` again.",
                    f"Der eingetragene Vertrag {field_name} fehlt auf der Chain unter "
                    f"{gateway.url} (wurde sie zurückgesetzt?); `govchain chain deploy` "
                    "erneut ausführen.",
                )
        return cls(
            record=record,
            gateway=gateway,
            consortium=ConsortiumClient(gateway, addresses.consortium),
            trust=TrustRegistryClient(gateway, addresses.trust_registry),
            status=StatusRegistryClient(gateway, addresses.status_registry),
            anchors=AnchorRegistryClient(gateway, addresses.anchor_registry),
            account_rules=AccountRulesClient(gateway, addresses.account_rules),
            node_rules=NodeRulesClient(gateway, addresses.node_rules),
        )


StepCallback = Callable[[TxResult], None]


def deploy_consortium(
    gateway: ChainGateway,
    deployer: LocalAccount,
    founders: Sequence[Founder],
    threshold: int,
    *,
    on_step: StepCallback | None = None,
) -> Deployment:
    """Deploy the Consortium and the registries governed by it.

    The deployer gets no rights: every role is granted later by consortium vote.
    Nothing is recorded here; the caller saves ``deployment.record`` once it is content.
    """

    def step(result: TxResult) -> ChecksumAddress:
        if on_step is not None:
            on_step(result)
        if result.contract_address is None:  # deploy() already refuses this; keep mypy honest
            raise DeploymentRecordError(f"{result.description}: no contract address.")
        return result.contract_address

    consortium = step(
        gateway.deploy(
            deployer,
            "Consortium",
            [f.address for f in founders],
            [f.name for f in founders],
            threshold,
            description="Deploying Consortium",
        )
    )
    addresses = {"consortium": consortium}
    for field_name, contract in (
        ("trust_registry", "TrustRegistry"),
        ("status_registry", "StatusRegistry"),
        ("anchor_registry", "AnchorRegistry"),
        ("account_rules", "AccountRules"),
        ("node_rules", "NodeRules"),
    ):
        addresses[field_name] = step(
            gateway.deploy(deployer, contract, consortium, description=f"Deploying {contract}")
        )
    record = DeploymentRecord(
        chain_id=gateway.chain_id,
        backend=gateway.backend.kind.value,
        rpc_url=gateway.url,
        block_number=gateway.block_number(),
        deployed_at=datetime.now(UTC),
        deployer=deployer.address,
        sources_sha256=load_artifact("Consortium").sources_sha256,
        founders=list(founders),
        threshold=threshold,
        contracts=ContractAddresses(**addresses),
    )
    return Deployment.attach(gateway, record)
