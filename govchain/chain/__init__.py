"""The chain gateway: backends, compiler driver, deployment and typed contract clients."""

from govchain.chain.accounts import AccountStore
from govchain.chain.backends import (
    ChainBackend,
    EmbeddedBackend,
    GanacheBackend,
    RpcBackend,
    create_backend,
)
from govchain.chain.deployment import (
    Deployment,
    DeploymentRecord,
    DeploymentStore,
    Founder,
    deploy_consortium,
)
from govchain.chain.errors import ChainError, ContractRevertError
from govchain.chain.ganache import GanacheProcess
from govchain.chain.gateway import ChainGateway, DecodedEvent, EncodedCall, TxResult

__all__ = [
    "AccountStore",
    "ChainBackend",
    "ChainError",
    "ChainGateway",
    "ContractRevertError",
    "DecodedEvent",
    "Deployment",
    "DeploymentRecord",
    "DeploymentStore",
    "EmbeddedBackend",
    "EncodedCall",
    "Founder",
    "GanacheBackend",
    "GanacheProcess",
    "RpcBackend",
    "TxResult",
    "create_backend",
    "deploy_consortium",
]
