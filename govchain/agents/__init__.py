"""ACA-Py agents: the issuer, the multitenant holder and the verifier as child processes.

``AgentFleet`` starts and supervises them (``process``), ``AgentAdminClient`` talks to
their admin API with typed models (``admin``, ``schemas``), ``AgentSettings`` holds
their ports, keys and storage. ``connect`` / ``issue`` / ``request_proof``
(``exchange``) are the DIDComm flows services build on.
"""

from govchain.agents.admin import DIDEXCHANGE_1_1, AgentAdminClient
from govchain.agents.errors import (
    AgentAuthError,
    AgentError,
    AgentPortBusyError,
    AgentRequestError,
    AgentsNotInstalledError,
    AgentStartError,
    AgentTimeoutError,
    AgentUnavailableError,
    DidKeyTypeError,
    ExchangeAbandonedError,
    ExchangeFailedError,
)
from govchain.agents.exchange import (
    Connection,
    IssuedCredential,
    ProofOutcome,
    ProofRequest,
    ProofType,
    connect,
    issue,
    request_proof,
)
from govchain.agents.process import AgentFleet, AgentProcess, WebhookEvent, WebhookReceiver
from govchain.agents.schemas import (
    AgentStatus,
    ConnectionRecord,
    ConnectionState,
    CredentialExchange,
    Did,
    DidInfo,
    DidKeyType,
    InvitationRecord,
    OobRecord,
    PresentationExchange,
    SubWallet,
)
from govchain.agents.settings import AgentRole, AgentSettings, AgentStorageKind

__all__ = [
    "DIDEXCHANGE_1_1",
    "AgentAdminClient",
    "AgentAuthError",
    "AgentError",
    "AgentFleet",
    "AgentPortBusyError",
    "AgentProcess",
    "AgentRequestError",
    "AgentRole",
    "AgentSettings",
    "AgentStartError",
    "AgentStatus",
    "AgentStorageKind",
    "AgentTimeoutError",
    "AgentUnavailableError",
    "AgentsNotInstalledError",
    "Connection",
    "ConnectionRecord",
    "ConnectionState",
    "CredentialExchange",
    "Did",
    "DidInfo",
    "DidKeyType",
    "DidKeyTypeError",
    "ExchangeAbandonedError",
    "ExchangeFailedError",
    "InvitationRecord",
    "IssuedCredential",
    "OobRecord",
    "PresentationExchange",
    "ProofOutcome",
    "ProofRequest",
    "ProofType",
    "SubWallet",
    "WebhookEvent",
    "WebhookReceiver",
    "connect",
    "issue",
    "request_proof",
]
