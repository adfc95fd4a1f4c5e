"""ACA-Py agents: the issuer, the multitenant holder and the verifier as child processes.

``AgentFleet`` starts and supervises them (``process``), ``AgentAdminClient`` talks to
their admin API with typed models (``admin``, ``schemas``), ``AgentSettings`` holds
their ports, keys and storage.
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
    "ConnectionRecord",
    "ConnectionState",
    "CredentialExchange",
    "Did",
    "DidInfo",
    "DidKeyType",
    "InvitationRecord",
    "OobRecord",
    "PresentationExchange",
    "SubWallet",
    "WebhookEvent",
    "WebhookReceiver",
]
