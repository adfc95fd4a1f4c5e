"""Errors of the ACA-Py agents package.

Tree (below ``govchain.errors.GovchainError``)::

    AgentError
    ├── AgentsNotInstalledError     .venv-agents / aca-py missing (run the bootstrap)
    ├── AgentPortBusyError          a port an agent or the webhook receiver needs is taken
    ├── AgentStartError             a managed agent exited or did not become ready
    ├── AgentUnavailableError       the agent's admin API cannot be reached
    ├── AgentTimeoutError           a protocol exchange did not reach the state awaited
    ├── ExchangeAbandonedError      an agent went down mid-exchange; govchain abandoned it
    ├── ExchangeFailedError         the other side refused or ended an exchange
    ├── DidKeyTypeError             a DID's key does not fit the proof suite (BBS+ needs
    │                               bls12381g2 did:keys); refused before anything is sent
    └── AgentRequestError           the admin API refused a call (status, path, detail)
        └── AgentAuthError          401/403: wrong admin API key or sub-wallet token

Every error has an English sentence (``str(err)``) and a German one (``message_de``).
"""

from __future__ import annotations

from govchain.errors import GovchainError

__all__ = [
    "AgentAuthError",
    "AgentError",
    "AgentPortBusyError",
    "AgentRequestError",
    "AgentStartError",
    "AgentTimeoutError",
    "AgentUnavailableError",
    "AgentsNotInstalledError",
    "DidKeyTypeError",
    "ExchangeAbandonedError",
    "ExchangeFailedError",
]


class AgentError(GovchainError):
    """Anything that went wrong with an ACA-Py agent."""


class AgentsNotInstalledError(AgentError):
    """ACA-Py is not installed where govchain looks for it."""


class AgentPortBusyError(AgentError):
    """A port an agent (or the webhook receiver) should listen on is already taken."""

    def __init__(self, agent: str, host: str, port: int) -> None:
        super().__init__(
            f"Port {port} on {host} for the {agent} agent is already in use; "
            "stop what listens there or choose another port.",
            f"Port {port} auf {host} für den Agenten {agent} ist bereits belegt; "
            "das dort lauschende Programm beenden oder einen anderen Port wählen.",
        )
        self.agent = agent
        self.host = host
        self.port = port


class AgentStartError(AgentError):
    """A managed agent exited during start-up or did not become ready in time."""

    def __init__(self, agent: str, message: str, message_de: str) -> None:
        super().__init__(message, message_de)
        self.agent = agent


class AgentUnavailableError(AgentError):
    """The admin API of an agent cannot be reached (agent down, wrong port)."""

    def __init__(self, url: str, reason: str, agent: str = "ACA-Py") -> None:
        super().__init__(
            f"The {agent} agent at {url} cannot be reached ({reason}); is it running?",
            f"Der Agent {agent} unter {url} ist nicht erreichbar ({reason}); läuft er?",
        )
        self.url = url
        self.reason = reason
        self.agent = agent


class AgentTimeoutError(AgentError):
    """A DIDComm exchange (connection, credential, presentation) did not finish in time."""

    def __init__(self, what: str, record_id: str, state: str, timeout: float) -> None:
        super().__init__(
            f"The {what} {record_id} is still '{state}' after {timeout:.0f} s.",
            f"{what} {record_id} ist nach {timeout:.0f} s noch im Zustand '{state}'.",
        )
        self.what = what
        self.record_id = record_id
        self.state = state


class AgentRequestError(AgentError):
    """The admin API answered a call with an error status."""

    def __init__(self, method: str, path: str, status_code: int, detail: str) -> None:
        super().__init__(
            f"The agent refused {method} {path} with HTTP {status_code}: {detail}",
            f"Der Agent hat {method} {path} mit HTTP {status_code} abgelehnt: {detail}",
        )
        self.method = method
        self.path = path
        self.status_code = status_code
        self.detail = detail


class AgentAuthError(AgentRequestError):
    """The admin API key or the sub-wallet token was refused (401/403)."""


class ExchangeAbandonedError(AgentError):
    """An agent was down during a DIDComm exchange govchain started; govchain abandoned
    the exchange on every agent it could still reach (no record is left half-way)."""

    def __init__(self, what: str, what_de: str, agent: str, url: str) -> None:
        super().__init__(
            f"The {agent} agent at {url} is down, so the {what} was abandoned; "
            "start the agent and try again.",
            f"Der Agent {agent} unter {url} ist nicht erreichbar, daher wurde "
            f"{what_de} abgebrochen; den Agenten starten und es erneut versuchen.",
        )
        self.what = what
        self.agent = agent
        self.url = url


class ExchangeFailedError(AgentError):
    """A DIDComm exchange ended without its result (the other side refused or failed)."""

    def __init__(self, what: str, record_id: str, reason: str) -> None:
        super().__init__(
            f"The {what} {record_id} ended without a result: {reason or 'no reason given'}.",
            f"Der Austausch {record_id} ({what}) endete ohne Ergebnis: "
            f"{reason or 'kein Grund angegeben'}.",
        )
        self.what = what
        self.record_id = record_id
        self.reason = reason


class DidKeyTypeError(AgentError):
    """The issuer's or the subject's DID has no key of the type the proof suite signs
    with: ACA-Py would issue, and later proofs would fail without saying why (for BBS+,
    the holder cannot derive a proof unless the subject is a bls12381g2 did:key)."""

    def __init__(
        self, role: str, role_de: str, did: str, proof_type: str, key_type: str, found: str
    ) -> None:
        shown = did if len(did) <= 60 else did[:57] + "..."
        super().__init__(
            f"The {role} {shown} is not a {key_type} did:key ({found}), so "
            f"{proof_type} proofs with it would fail silently; use a {key_type} did:key.",
            f"{role_de} {shown} ist kein {key_type}-did:key ({found}), daher würden "
            f"{proof_type}-Nachweise damit stillschweigend scheitern; bitte einen "
            f"{key_type}-did:key verwenden.",
        )
        self.role = role
        self.did = did
        self.proof_type = proof_type
        self.key_type = key_type
