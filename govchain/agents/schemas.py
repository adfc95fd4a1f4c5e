"""Pydantic models for the ACA-Py admin API calls govchain makes.

Only the fields govchain reads are declared; ACA-Py's other fields are ignored, so a
minor ACA-Py upgrade that adds fields does not break us.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, NewType

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = [
    "AgentStatus",
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
]

Did = NewType("Did", str)


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class AgentStatus(_Model):
    """``GET /status``: who the agent is."""

    label: str | None = None
    version: str


class ConnectionState(StrEnum):
    """RFC 0023 connection states as ACA-Py reports them."""

    START = "start"
    INVITATION = "invitation"
    REQUEST = "request"
    RESPONSE = "response"
    ACTIVE = "active"
    COMPLETED = "completed"
    ABANDONED = "abandoned"
    ERROR = "error"


class InvitationRecord(_Model):
    """``POST /out-of-band/create-invitation``: the invitation to hand to the other side."""

    invi_msg_id: str
    oob_id: str | None = None
    invitation_url: str
    invitation: dict[str, Any]


class OobRecord(_Model):
    """``POST /out-of-band/receive-invitation``: the receiver's out-of-band record."""

    oob_id: str
    state: str
    connection_id: str | None = None
    invi_msg_id: str | None = None


class ConnectionRecord(_Model):
    """A DIDComm connection."""

    connection_id: str
    state: ConnectionState
    their_label: str | None = None
    alias: str | None = None
    invitation_msg_id: str | None = None
    my_did: str | None = None
    their_did: str | None = None

    @property
    def is_active(self) -> bool:
        """Whether messages can flow (ACA-Py says ``active`` or ``completed``)."""
        return self.state in {ConnectionState.ACTIVE, ConnectionState.COMPLETED}


class DidKeyType(StrEnum):
    """Key types govchain creates did:key DIDs for."""

    ED25519 = "ed25519"
    BLS12381G2 = "bls12381g2"


class DidInfo(_Model):
    """A DID in an agent's wallet."""

    did: Did
    verkey: str
    key_type: str
    method: str
    posture: str | None = None


class SubWallet(_Model):
    """A holder sub-wallet (one per citizen) and the bearer token to act in it."""

    wallet_id: str
    token: SecretStr = Field(repr=False)
    label: str | None = None


class CredentialExchange(_Model):
    """An issue-credential 2.0 exchange (``cred_ex_record``)."""

    cred_ex_id: str
    state: str
    connection_id: str | None = None
    thread_id: str | None = None
    role: str | None = None
    error_msg: str | None = None


class PresentationExchange(_Model):
    """A present-proof 2.0 exchange."""

    pres_ex_id: str
    state: str
    connection_id: str | None = None
    thread_id: str | None = None
    role: str | None = None
    verified: str | None = None  # ACA-Py reports "true" / "false" as strings
    error_msg: str | None = None
    by_format: dict[str, Any] | None = None  # request / presentation per format ("dif")

    @property
    def is_verified(self) -> bool:
        """Whether the verifier checked the presentation and found it valid."""
        return self.state == "done" and self.verified == "true"
